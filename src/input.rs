//! Reading a file named on the command line with a bound: `/dev/zero`, `/dev/urandom` or a
//! runaway pipe would otherwise fill memory. A FIFO (`<(cmd)`) is read as usual.

use std::io::{self, Read};
use std::path::Path;

/// The most any input file may hold: far above any policy (APIM's limit is 256 KiB), decK
/// file, pattern list or CA bundle.
pub const MAX_INPUT_BYTES: u64 = 64 * 1024 * 1024;

/// Reads `path` whole, or fails when it holds more than [`MAX_INPUT_BYTES`].
pub fn read_capped(path: &Path) -> io::Result<Vec<u8>> {
    read_all_capped(std::fs::File::open(path)?)
}

/// Reads `r` to its end, or fails when it yields more than [`MAX_INPUT_BYTES`].
pub fn read_all_capped(r: impl Read) -> io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    r.take(MAX_INPUT_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_INPUT_BYTES {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!(
                "it holds more than {} MiB, more than any input akto-connect reads (a device such as /dev/zero?)",
                MAX_INPUT_BYTES / (1024 * 1024)
            ),
        ));
    }
    Ok(bytes)
}
