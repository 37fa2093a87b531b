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
    // The size, when the file has one, sizes the buffer: one read instead of a dozen. A
    // device such as /dev/zero says 0 and is bounded by `take`.
    let len = file.metadata().map_or(0, |m| m.len());
    if len > cap {
        return Ok(None);
    }
    read_reader_at_most(file, cap, len)
}

/// Reads `r` to its end when it yields at most `cap` bytes; `None` when it yields more.
/// `hint` sizes the buffer.
pub fn read_reader_at_most(r: impl Read, cap: u64, hint: u64) -> io::Result<Option<Vec<u8>>> {
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0).saturating_add(1));
    r.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= cap).then_some(bytes))
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
