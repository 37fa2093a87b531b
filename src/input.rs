//! Reading a file named on the command line with a bound: `/dev/zero`, `/dev/urandom` or a
//! runaway pipe would otherwise fill memory. A FIFO (`<(cmd)`) is read as usual.

use std::io::{self, Read};
use std::path::Path;

/// The most any input file may hold: far above any policy (APIM's limit is 256 KiB), decK
/// file, pattern list or CA bundle.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads `path` whole, or fails when it holds more than [`MAX_INPUT_BYTES`].
pub fn read_capped(path: &Path) -> io::Result<Vec<u8>> {
    read_at_most(path, MAX_INPUT_BYTES)?.ok_or_else(too_large)
}

/// Reads `r` to its end, or fails when it yields more than [`MAX_INPUT_BYTES`].
pub fn read_all_capped(r: impl Read) -> io::Result<Vec<u8>> {
    read_reader_at_most(r, MAX_INPUT_BYTES, 0)?.ok_or_else(too_large)
}

/// Reads at most `cap` bytes of `path`; `None` when it holds more (a device such as
/// `/dev/zero` included), so nothing is read without bound.
pub fn read_at_most(path: &Path, cap: u64) -> io::Result<Option<Vec<u8>>> {
    let file = std::fs::File::open(path)?;
    let meta = file.metadata()?;
    let len = meta.len();
    if len > cap {
        return Ok(None);
    }
    // A regular file that gives its size is read in one call, without asking again for the
    // end it has already told (lint reads tens of thousands of policies). A device such as
    // /dev/zero, or a file of /proc that says 0, is read to its end, bounded by the cap.
    if meta.is_file() && len > 0 {
        let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
        file.take(len).read_to_end(&mut bytes)?;
        return Ok(Some(bytes));
    }
    read_reader_at_most(file, cap, len)
}

/// Reads `r` to its end when it yields at most `cap` bytes; `None` when it yields more.
/// `hint` sizes the buffer.
pub fn read_reader_at_most(r: impl Read, cap: u64, hint: u64) -> io::Result<Option<Vec<u8>>> {
    let mut r = r.take(cap.saturating_add(1));
    // Read into buffers that never grow: growing one copies it, and the allocator keeps the
    // old and new copies both (three times the input at the cap). The first is sized by the
    // hint, which is exact for a file; more than that comes in chunks joined once at the end.
    let mut chunks = Vec::new();
    let mut total = 0usize;
    let mut size = usize::try_from(hint).unwrap_or(0).saturating_add(1);
    loop {
        let mut chunk = Vec::with_capacity(size);
        // Limited to the capacity, so the read stops when the buffer is full.
        (&mut r).take(size as u64).read_to_end(&mut chunk)?;
        let full = chunk.len() == size;
        total += chunk.len();
        chunks.push(chunk);
        if !full {
            break;
        }
        size = total.clamp(64 << 10, 8 << 20);
    }
    if total as u64 > cap {
        return Ok(None);
    }
    if chunks.len() == 1 {
        return Ok(chunks.pop());
    }
    let mut bytes = Vec::with_capacity(total);
    for c in chunks {
        bytes.extend_from_slice(&c);
    }
    Ok(Some(bytes))
}

fn too_large() -> io::Error {
    {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it holds more than {} MiB, more than any input akto-connect reads (a device such as /dev/zero?)",
                MAX_INPUT_BYTES / (1024 * 1024)
            ),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every byte comes back, in order, whatever the hint, across the chunk sizes; one byte
    /// over the cap is refused.
    #[test]
    fn reads_whole_inputs_up_to_the_cap_and_refuses_one_byte_more() {
        for len in [0usize, 1, 2, 100, 65_535, 65_536, 65_537, 300_000, 9 << 20] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 % 251) as u8).collect();
            for hint in [0, 1, len as u64 / 2, len as u64, len as u64 + 10] {
                let got = read_reader_at_most(std::io::Cursor::new(&data), len as u64, hint)
                    .unwrap()
                    .unwrap_or_else(|| panic!("{len} bytes, hint {hint}: refused"));
                assert!(got == data, "{len} bytes, hint {hint}: different bytes");
                if len > 0 {
                    let cap = len as u64 - 1;
                    let over = read_reader_at_most(std::io::Cursor::new(&data), cap, hint).unwrap();
                    assert!(
                        over.is_none(),
                        "{len} bytes, cap {cap}, hint {hint}: accepted"
                    );
                }
            }
        }
    }

    /// A file is read whole in one go, refused past the cap, and an empty one is empty.
    #[test]
    fn files_are_read_whole_or_refused_by_their_size() {
        let dir = tempfile::tempdir().unwrap();
        for len in [0usize, 1, 4096, 70_000] {
            let data: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
            let path = dir.path().join(format!("f{len}"));
            std::fs::write(&path, &data).unwrap();
            let got = read_at_most(&path, len as u64).unwrap();
            assert!(got.as_deref() == Some(&data[..]), "{len} bytes");
            if len > 0 {
                assert!(
                    read_at_most(&path, len as u64 - 1).unwrap().is_none(),
                    "{len}"
                );
            }
        }
    }

    /// A source without end is read only to the cap.
    #[test]
    fn an_endless_source_stops_at_the_cap() {
        let got = read_reader_at_most(std::io::repeat(0), 1 << 20, 0).unwrap();
        assert!(got.is_none());
    }
}
