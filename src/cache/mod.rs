//! The on-disk cache: one private directory, one JSON file per entry, one lock per entry.
//!
//! There is one door into the directory, [`Cache::open_dir`]: it creates the directory 0700
//! (whatever the umask), refuses one that is a symlink, owned by someone else or writable by
//! others, and hands back an open descriptor. Every read, write, lock, marker, refresh file and
//! deletion then works relative to that descriptor (`openat`, `renameat`, `unlinkat`), so a
//! path swapped after the check cannot redirect it.
//!
//! Every write goes to a temporary file in the same directory that is then renamed over the
//! entry, so a reader sees the old file or the new one, never half of either. Reading is
//! tolerant and never blocks: a missing, truncated, oversized or foreign entry is a miss, and
//! the caller fetches anew; an entry that is a symlink, a FIFO or anything but a private regular
//! file is refused. Entry file names are a digest of the entry's name, so they have the same
//! length whatever the profile name (the name itself is stored inside the entry).

mod dir;
#[cfg(test)]
mod tests;

use std::io;
use std::os::fd::OwnedFd;
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, bail};
use rustix::fs::{Mode, OFlags};
use rustix::io::Errno;
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use crate::deadline::Deadline;
use crate::env::Env;

use self::dir::{Dir, check_private_dir, check_private_file};

/// The most bytes read from an entry or marker. Entries are a few hundred bytes; anything
/// larger is not one of ours and is a miss.
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024;

/// How often a bounded lock wait retries.
const LOCK_POLL: Duration = Duration::from_millis(20);

/// The kinds of entry, each a file-name prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The final credentials of a profile.
    Profile,
    /// A GetSessionToken session made with MFA, shared by the roles that name its device.
    MfaSession,
    /// The MFA devices found for a long-lived key.
    Discovery,
}

impl Kind {
    /// Every kind.
    pub const ALL: [Kind; 3] = [Kind::Profile, Kind::MfaSession, Kind::Discovery];

    fn prefix(self) -> &'static str {
        match self {
            Kind::Profile => "profile",
            Kind::MfaSession => "mfa",
            Kind::Discovery => "discovery",
        }
    }
}

/// The file name of an entry (`ext` `json`) or its lock (`ext` `lock`):
/// `KIND.DIGEST.EXT`, where DIGEST is the first 128 bits of SHA-256 of `name` in hex. Its
/// length does not depend on `name` (a 250-character profile name fits any file system).
///
/// Migration: entries written by earlier versions were named after the percent-encoded name
/// (`profile.dev.json`); they are never read again (a miss, fetched anew) and `logout`
/// removes them.
pub fn file_name(kind: Kind, name: &str, ext: &str) -> String {
    let digest = crate::plan::hex(&Sha256::digest(name.as_bytes())[..16]);
    format!("{}.{digest}.{ext}", kind.prefix())
}

/// The file name earlier versions used for an entry.
fn legacy_file_name(kind: Kind, name: &str) -> String {
    format!("{}.{}.json", kind.prefix(), encode_name(name))
}

/// The cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// An exclusive lock on one entry; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct EntryLock {
    _file: OwnedFd,
}

/// A lock wait that reached its deadline: another awsdo holds the entry (perhaps waiting for
/// a person to type an MFA code).
#[derive(Debug)]
pub struct Busy {
    what: String,
}

impl std::fmt::Display for Busy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "could not get credentials for {}: another awsdo is getting them; try again",
            self.what
        )
    }
}

impl std::error::Error for Busy {}

/// An entry found on disk by [`Cache::stored`], whatever name it was written for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stored {
    /// Its kind.
    pub kind: Kind,
    /// Its file name in the cache directory.
    pub file: String,
}

impl Cache {
    /// The cache at `$AWSDO_CACHE_DIR`, else `$XDG_STATE_HOME/awsdo`, else
    /// `~/.local/state/awsdo`. Nothing is created until the first write.
    pub fn from_env(env: &Env) -> anyhow::Result<Cache> {
        let non_empty = |k: &str| env.var(k).filter(|v| !v.is_empty());
        let dir = if let Some(dir) = non_empty("AWSDO_CACHE_DIR") {
            PathBuf::from(dir)
        } else if let Some(state) = non_empty("XDG_STATE_HOME") {
            PathBuf::from(state).join("awsdo")
        } else if let Some(home) = non_empty("HOME") {
            PathBuf::from(home).join(".local/state/awsdo")
        } else {
            bail!("could not find a cache directory: set HOME or AWSDO_CACHE_DIR")
        };
        Ok(Cache { dir })
    }

    /// The cache at `dir`.
    #[cfg(test)]
    pub fn at(dir: impl Into<PathBuf>) -> Cache {
        Cache { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The one door into the cache directory: open it (with `create`, making it and its
    /// parents 0700 first), refuse it when it is a symlink, not a directory, owned by someone
    /// else or writable by others, and tighten a directory others can only read to 0700.
    /// `Ok(None)` when it does not exist and `create` is false.
    fn open_dir(&self, create: bool) -> anyhow::Result<Option<Dir>> {
        let shown = self.dir.display();
        if create {
            if let Some(parent) = self.dir.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::DirBuilder::new()
                    .recursive(true)
                    .mode(0o700)
                    .create(parent)
                    .with_context(|| format!("could not create cache directory {shown}"))?;
            }
            match rustix::fs::mkdir(&self.dir, Mode::from_raw_mode(0o700)) {
                Ok(()) | Err(Errno::EXIST) => {}
                Err(e) => {
                    return Err(io::Error::from(e))
                        .with_context(|| format!("could not create cache directory {shown}"));
                }
            }
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = match rustix::fs::open(&self.dir, flags, Mode::empty()) {
            Ok(fd) => fd,
            Err(Errno::NOENT) if !create => return Ok(None),
            Err(Errno::LOOP) => bail!(
                "could not use cache directory {shown}: it is a symlink; point AWSDO_CACHE_DIR at a real directory"
            ),
            Err(Errno::NOTDIR) => {
                let symlink =
                    std::fs::symlink_metadata(&self.dir).is_ok_and(|m| m.file_type().is_symlink());
                if symlink {
                    bail!(
                        "could not use cache directory {shown}: it is a symlink; point AWSDO_CACHE_DIR at a real directory"
                    );
                }
                bail!(
                    "could not use cache directory {shown}: it is not a directory; remove it or set AWSDO_CACHE_DIR"
                )
            }
            Err(e) => {
                return Err(io::Error::from(e))
                    .with_context(|| format!("could not read cache directory {shown}"));
            }
        };
        check_private_dir(&fd, &shown.to_string())?;
        Ok(Some(Dir {
            fd,
            path: self.dir.clone(),
        }))
    }

    /// The entry, or `None` when it is missing or unreadable as a `T` (a miss, not an error).
    /// An unsafe directory or entry is an error: using it could hand out planted credentials.
    pub fn read<T: DeserializeOwned>(&self, kind: Kind, name: &str) -> anyhow::Result<Option<T>> {
        self.read_file(&file_name(kind, name, "json"))
    }

    /// Store `value` for the entry, atomically, readable only by this user.
    pub fn write<T: Serialize>(&self, kind: Kind, name: &str, value: &T) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(value).context("could not encode cache entry")?;
        let dir = self
            .open_dir(true)?
            .context("could not create the cache directory")?;
        dir.write(&file_name(kind, name, "json"), &json)
    }

    /// Delete the entry (and one left by an earlier version under its old file name), with
    /// its temporary files; a missing one is fine. Says whether anything was deleted.
    pub fn remove(&self, kind: Kind, name: &str) -> anyhow::Result<bool> {
        let Some(dir) = self.open_dir(false)? else {
            return Ok(false);
        };
        let file = file_name(kind, name, "json");
        let mut removed = dir.remove(&file)?;
        removed |= dir.remove_temps(&file, true) > 0;
        let legacy = legacy_file_name(kind, name);
        removed |= dir.remove(&legacy)?;
        removed |= dir.remove_temps(&legacy, true) > 0;
        Ok(removed)
    }

    /// Every entry of `kind` on disk, found by listing the directory (not from a name): what
    /// `logout` deletes. Entries of earlier versions are included.
    pub fn stored(&self, kind: Kind) -> anyhow::Result<Vec<Stored>> {
        let Some(dir) = self.open_dir(false)? else {
            return Ok(Vec::new());
        };
        let prefix = format!("{}.", kind.prefix());
        let mut files: Vec<String> = dir
            .files()
            .into_iter()
            .filter(|f| f.starts_with(&prefix) && f.ends_with(".json"))
            .collect();
        files.sort();
        Ok(files
            .into_iter()
            .map(|file| Stored { kind, file })
            .collect())
    }

    /// A stored entry's content, as [`Cache::read`].
    pub fn read_stored<T: DeserializeOwned>(&self, s: &Stored) -> anyhow::Result<Option<T>> {
        self.read_file(&s.file)
    }

    /// Delete a stored entry and its temporary files, first waiting (until `deadline`) for
    /// the awsdo that may be writing it: a login in flight finishes before its entry goes.
    /// Returns how many files were deleted.
    pub fn remove_stored(&self, s: &Stored, deadline: Deadline) -> anyhow::Result<usize> {
        let Some(dir) = self.open_dir(false)? else {
            return Ok(0);
        };
        let lock_file = format!("{}.lock", s.file.strip_suffix(".json").unwrap_or(&s.file));
        let _lock = dir.lock(&lock_file, deadline, "a cached entry")?;
        let removed = usize::from(dir.remove(&s.file)?);
        Ok(removed + dir.remove_temps(&s.file, true))
    }

    /// Delete every temporary file in the directory, whoever wrote it (`logout --all`).
    /// Returns how many.
    pub fn remove_all_temps(&self) -> anyhow::Result<usize> {
        let Some(dir) = self.open_dir(false)? else {
            return Ok(0);
        };
        let mut n = 0;
        for f in dir.files() {
            if f.starts_with('.') && f.ends_with(".tmp") && dir.remove(&f)? {
                n += 1;
            }
        }
        Ok(n)
    }

    fn read_file<T: DeserializeOwned>(&self, file: &str) -> anyhow::Result<Option<T>> {
        let Some(dir) = self.open_dir(false)? else {
            return Ok(None);
        };
        let Some(bytes) = dir.read(file)? else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes).ok())
    }

    /// Wait for, then hold, the entry's lock. Whoever holds it is the one process that fetches
    /// this entry; the others find the result in the cache once they get the lock.
    ///
    /// The wait ends at `deadline` (the prompt hook's budget): then the error is one line,
    /// `could not get credentials for WHAT: another awsdo is getting them; try again`. Without
    /// a deadline (a command run by hand) it waits as long as the other awsdo takes, which may
    /// be a person typing an MFA code.
    pub fn lock(
        &self,
        kind: Kind,
        name: &str,
        deadline: Deadline,
        what: &str,
    ) -> anyhow::Result<EntryLock> {
        let dir = self
            .open_dir(true)?
            .context("could not create the cache directory")?;
        dir.lock(&file_name(kind, name, "lock"), deadline, what)
    }

    /// Record `value` under `marker` and say whether it is new (differs from what was
    /// recorded). Used to show a warning once per state rather than at every prompt. A marker
    /// that cannot be read or written counts as new, so a warning is never lost.
    pub fn remember(&self, marker: &str, value: &str) -> bool {
        let file = format!("seen.{}", encode_name(marker));
        let Ok(Some(dir)) = self.open_dir(true) else {
            return true;
        };
        if dir
            .read(&file)
            .is_ok_and(|old| old.is_some_and(|old| old == value.as_bytes()))
        {
            return false;
        }
        let _ = dir.write(&file, value.as_bytes());
        true
    }

    /// A file in the cache directory's `refresh/` folder whose mtime is `at` (epoch seconds),
    /// for fish's builtin-only expiry check (`path mtime`); returns its path. Files older than
    /// a day are deleted on the way (no live prompt still uses them). Made through the same
    /// door as the entries: the directory is checked and nothing is followed through a symlink.
    pub fn refresh_mark(&self, at: i64) -> anyhow::Result<PathBuf> {
        let dir = self
            .open_dir(true)?
            .context("could not create the cache directory")?;
        let shown = dir.path.join("refresh").display().to_string();
        match rustix::fs::mkdirat(&dir.fd, "refresh", Mode::from_raw_mode(0o700)) {
            Ok(()) | Err(Errno::EXIST) => {}
            Err(e) => {
                return Err(io::Error::from(e))
                    .with_context(|| format!("could not create {shown}"));
            }
        }
        let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&dir.fd, "refresh", flags, Mode::empty())
            .map_err(io::Error::from)
            .with_context(|| format!("could not open {shown} (it must be a directory)"))?;
        check_private_dir(&fd, &shown)?;
        let refresh = Dir {
            fd,
            path: dir.path.join("refresh"),
        };
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        for f in refresh.files() {
            if f.parse::<i64>()
                .is_ok_and(|t| t < now.saturating_sub(86_400))
            {
                let _ = refresh.remove(&f);
            }
        }
        let name = at.to_string();
        let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(
            &refresh.fd,
            name.as_str(),
            flags,
            Mode::from_raw_mode(0o600),
        )
        .map_err(io::Error::from)
        .with_context(|| format!("could not write {}", refresh.shown(&name)))?;
        let st = rustix::fs::fstat(&fd)
            .map_err(io::Error::from)
            .with_context(|| format!("could not write {}", refresh.shown(&name)))?;
        check_private_file(&refresh.shown(&name), &st)?;
        let when = rustix::fs::Timespec {
            tv_sec: at.max(0),
            tv_nsec: 0,
        };
        rustix::fs::futimens(
            &fd,
            &rustix::fs::Timestamps {
                last_access: when,
                last_modification: when,
            },
        )
        .map_err(io::Error::from)
        .with_context(|| format!("could not write {}", refresh.shown(&name)))?;
        Ok(refresh.path.join(name))
    }

    /// Whether `path` is the mark [`Cache::refresh_mark`] makes for `at` and it is still there
    /// with mtime `at`: a regular file, not followed through a symlink. fish's prompt compares
    /// the mark's mtime with the clock, so a missing or changed mark calls `awsdo export` at
    /// every prompt until it is made again.
    pub fn refresh_mark_is(&self, path: &Path, at: i64) -> bool {
        use std::os::unix::fs::MetadataExt;
        path == self.dir.join("refresh").join(at.to_string())
            && std::fs::symlink_metadata(path).is_ok_and(|m| m.is_file() && m.mtime() == at)
    }

    /// Every file name in the directory, for tests.
    #[cfg(test)]
    fn all_files(&self) -> Vec<String> {
        self.open_dir(false)
            .ok()
            .flatten()
            .map(|d| d.files())
            .unwrap_or_default()
    }
}

/// A name as a file-name part: letters, digits, `-` and `_` stay; every other byte becomes
/// `%XX`, so `a/b` and `..` cannot leave the directory. Used for warning markers (short,
/// fixed names) and for the entry names of earlier versions.
pub fn encode_name(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b == b'-' || b == b'_' {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}
