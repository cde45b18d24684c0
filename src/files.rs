//! Reading the small files a profile names (a web identity token, an SSO token, a CA bundle):
//! bounded in size and never blocking.
//!
//! A path in the config may name anything: a FIFO would wait for a writer with no deadline (and
//! hold the prompt), `/dev/zero` would never end. [`read_regular`] opens without blocking
//! (`O_NONBLOCK`), takes only a regular file, and reads at most a cap.

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

/// The most a token file (`web_identity_token_file`, an SSO token) may hold, in bytes: STS takes
/// web identity tokens of up to 20,000 characters, SSO cache files are a few KiB.
pub const MAX_TOKEN_FILE: u64 = 1024 * 1024;

/// The bytes of the regular file at `path`, at most `cap` of them.
///
/// Errors (as `io::Error`, whose text is a short reason without the path): the file cannot be
/// opened or read; it is a directory, a FIFO, a device or a socket (`InvalidInput`, "not a
/// regular file"); it holds more than `cap` bytes (`InvalidData`, "larger than N bytes").
pub fn read_regular(path: &Path, cap: u64) -> io::Result<Vec<u8>> {
    let file = File::options()
        .read(true)
        .custom_flags(libc::O_NONBLOCK)
        .open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        let what = if meta.is_dir() {
            "a directory"
        } else {
            "not a regular file"
        };
        return Err(io::Error::new(io::ErrorKind::InvalidInput, what));
    }
    // Sized from the metadata (capped), so a file is read in one call, not in doubling chunks.
    let hint = meta.len().min(cap).saturating_add(1);
    let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
    file.take(cap.saturating_add(1)).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > cap {
        return Err(io::Error::new(
            io::ErrorKind::InvalidData,
            format!("larger than {cap} bytes"),
        ));
    }
    Ok(bytes)
}

/// [`read_regular`] as UTF-8 text.
pub fn read_regular_text(path: &Path, cap: u64) -> io::Result<String> {
    String::from_utf8(read_regular(path, cap)?)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not UTF-8 text"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_within_the_cap_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("t");
        std::fs::write(&p, "token").unwrap();
        assert_eq!("token", read_regular_text(&p, 5).unwrap());
        let err = read_regular(&p, 4).unwrap_err();
        assert_eq!(io::ErrorKind::InvalidData, err.kind());
    }

    #[test]
    fn a_fifo_a_directory_and_a_device_are_refused_without_blocking() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: a valid NUL-terminated path; mkfifo only creates the node.
        assert_eq!(0, unsafe { libc::mkfifo(c.as_ptr(), 0o600) });
        for p in [fifo.as_path(), dir.path(), Path::new("/dev/zero")] {
            let err = read_regular(p, 1024).unwrap_err();
            assert_eq!(io::ErrorKind::InvalidInput, err.kind(), "{}", p.display());
        }
    }
}
