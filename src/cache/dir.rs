//! The checked cache directory: every file operation relative to its descriptor, private
//! modes checked on whatever is found.

use std::ffi::CStr;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};
use rustix::fs::{AtFlags, FileType, FlockOperation, Mode, OFlags};
use rustix::io::Errno;

use super::{Busy, EntryLock, LOCK_POLL, MAX_ENTRY_BYTES};
use crate::deadline::Deadline;

/// The cache directory, opened and checked by [`Cache::open_dir`].
pub(super) struct Dir {
    pub(super) fd: OwnedFd,
    pub(super) path: PathBuf,
}

impl Dir {
    pub(super) fn shown(&self, file: &str) -> String {
        self.path.join(file).display().to_string()
    }

    /// The file's bytes, or `None` when it is missing, unreadable or larger than
    /// [`MAX_ENTRY_BYTES`]. Never blocks (`O_NONBLOCK`: a FIFO does not wait for a writer) and
    /// never follows a symlink. A file that is not a private regular file of this user is an
    /// error: using it could hand out planted credentials.
    pub(super) fn read(&self, file: &str) -> anyhow::Result<Option<Vec<u8>>> {
        let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
        let fd = match rustix::fs::openat(&self.fd, file, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) => return Ok(None),
            Err(Errno::LOOP) => bail!(
                "could not use cache entry {}: it is a symlink; delete it (awsdo logout)",
                self.shown(file)
            ),
            Err(_) => return Ok(None),
        };
        let Ok(st) = rustix::fs::fstat(&fd) else {
            return Ok(None);
        };
        check_private_file(&self.shown(file), &st)?;
        // Sized from fstat (capped), so an entry is read in one call rather than in doubling
        // chunks from 32 bytes; the cap on what is read stays `take`'s.
        let hint = u64::try_from(st.st_size).unwrap_or(0).min(MAX_ENTRY_BYTES) + 1;
        let mut bytes = Vec::with_capacity(usize::try_from(hint).unwrap_or(0));
        let mut f = std::fs::File::from(fd).take(MAX_ENTRY_BYTES + 1);
        if f.read_to_end(&mut bytes).is_err() || bytes.len() as u64 > MAX_ENTRY_BYTES {
            return Ok(None);
        }
        Ok(Some(bytes))
    }

    /// Write `bytes` to `file` atomically (a private temporary file renamed over it).
    pub(super) fn write(&self, file: &str, bytes: &[u8]) -> anyhow::Result<()> {
        let tmp = temp_name(file);
        let result = (|| -> io::Result<()> {
            let flags =
                OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
            let fd = rustix::fs::openat(&self.fd, tmp.as_str(), flags, Mode::from_raw_mode(0o600))?;
            let mut f = std::fs::File::from(fd);
            f.write_all(bytes)?;
            f.sync_all()?;
            rustix::fs::renameat(&self.fd, tmp.as_str(), &self.fd, file)?;
            Ok(())
        })();
        if result.is_err() {
            let _ = rustix::fs::unlinkat(&self.fd, tmp.as_str(), AtFlags::empty());
        }
        result.with_context(|| format!("could not write cache entry {}", self.shown(file)))?;
        self.remove_temps(file, false);
        Ok(())
    }

    /// Delete `file`; `Ok(false)` when it was not there.
    pub(super) fn remove(&self, file: &str) -> anyhow::Result<bool> {
        match rustix::fs::unlinkat(&self.fd, file, AtFlags::empty()) {
            Ok(()) => Ok(true),
            Err(Errno::NOENT | Errno::NAMETOOLONG) => Ok(false),
            Err(e) => Err(io::Error::from(e))
                .with_context(|| format!("could not delete {}", self.shown(file))),
        }
    }

    /// Every file name in the directory (not `.` and `..`).
    pub(super) fn files(&self) -> Vec<String> {
        let Ok(dir) = rustix::fs::Dir::read_from(&self.fd) else {
            return Vec::new();
        };
        dir.filter_map(Result::ok)
            .filter_map(|e| cstr_name(e.file_name()))
            .filter(|n| n != "." && n != "..")
            .collect()
    }

    /// Delete the temporary files of `file`: those whose writer died before its rename
    /// (killed, power loss: they hold secrets and nobody will ever rename them), or, with
    /// `all`, every one. Returns how many were deleted.
    pub(super) fn remove_temps(&self, file: &str, all: bool) -> usize {
        let prefix = format!(".{file}.");
        let mut n = 0;
        for name in self.files() {
            let Some(pid) = name
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".tmp"))
                .and_then(|rest| rest.split('.').next())
                .and_then(|pid| pid.parse::<libc::pid_t>().ok())
            else {
                continue;
            };
            if (all || !alive(pid)) && self.remove(&name).unwrap_or(false) {
                n += 1;
            }
        }
        n
    }

    /// Hold the lock file `file`, waiting until `deadline` (forever when it has none).
    pub(super) fn lock(
        &self,
        file: &str,
        deadline: Deadline,
        what: &str,
    ) -> anyhow::Result<EntryLock> {
        // O_NOFOLLOW: a lock path that is a symlink must not make awsdo create or open a file
        // elsewhere.
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&self.fd, file, flags, Mode::from_raw_mode(0o600))
            .map_err(io::Error::from)
            .with_context(|| format!("could not open lock {}", self.shown(file)))?;
        if deadline.remaining().is_none() {
            rustix::fs::flock(&fd, FlockOperation::LockExclusive)
                .map_err(io::Error::from)
                .with_context(|| format!("could not lock {}", self.shown(file)))?;
            return Ok(EntryLock { _file: fd });
        }
        loop {
            match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
                Ok(()) => return Ok(EntryLock { _file: fd }),
                Err(Errno::WOULDBLOCK | Errno::INTR) => {}
                Err(e) => {
                    return Err(io::Error::from(e))
                        .with_context(|| format!("could not lock {}", self.shown(file)));
                }
            }
            if deadline.expired() {
                return Err(Busy {
                    what: what.to_owned(),
                }
                .into());
            }
            std::thread::sleep(deadline.capped(LOCK_POLL));
        }
    }
}

/// The name of a temporary file for `file`: `.FILE.PID.SEQ.tmp`.
pub(super) fn temp_name(file: &str) -> String {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    format!(".{file}.{}.{n}.tmp", std::process::id())
}

/// Whether process `pid` exists (this one included).
pub(super) fn alive(pid: libc::pid_t) -> bool {
    // SAFETY: kill with signal 0 only checks whether the process exists.
    pid == std::process::id() as libc::pid_t
        || unsafe { libc::kill(pid, 0) } == 0
        || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

pub(super) fn cstr_name(name: &CStr) -> Option<String> {
    name.to_str().ok().map(str::to_owned)
}

/// Refuse a directory owned by someone else or writable by others; tighten one that others
/// can only read.
pub(super) fn check_private_dir(fd: &impl AsFd, shown: &str) -> anyhow::Result<()> {
    let st = rustix::fs::fstat(fd)
        .map_err(io::Error::from)
        .with_context(|| format!("could not read cache directory {shown}"))?;
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if st.st_uid != me {
        bail!(
            "could not use cache directory {shown}: it is owned by uid {}, not by you; remove it or set AWSDO_CACHE_DIR",
            st.st_uid
        );
    }
    let mode = st.st_mode & 0o7777;
    if mode & 0o022 != 0 {
        bail!(
            "could not use cache directory {shown}: others can write to it; run: chmod 700 {shown}"
        );
    }
    if mode & 0o077 != 0 {
        // Readable by others but not writable: tighten it rather than refuse.
        let _ = rustix::fs::fchmod(fd, Mode::from_raw_mode(0o700));
    }
    Ok(())
}

pub(super) fn check_private_file(shown: &str, st: &rustix::fs::Stat) -> anyhow::Result<()> {
    let kind = FileType::from_raw_mode(st.st_mode);
    if kind == FileType::Symlink {
        bail!("could not use cache entry {shown}: it is a symlink; delete it (awsdo logout)");
    }
    if kind != FileType::RegularFile {
        bail!(
            "could not use cache entry {shown}: it is not a regular file; delete it (awsdo logout)"
        );
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if st.st_uid != me {
        bail!(
            "could not use cache entry {shown}: it is owned by uid {}, not by you; delete it",
            st.st_uid
        );
    }
    if st.st_mode & 0o077 != 0 {
        bail!(
            "could not use cache entry {shown}: others can read or write it; delete it (awsdo logout)"
        );
    }
    Ok(())
}
