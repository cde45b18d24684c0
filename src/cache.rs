//! The on-disk cache: one private directory, one JSON file per entry, one lock per entry.
//!
//! Every write goes to a temporary file in the same directory that is then renamed over the
//! entry, so a reader sees the old file or the new one, never half of either. Reading is
//! tolerant: a missing, truncated or foreign entry is a miss, and the caller fetches anew. The
//! directory and its files are private from creation (0700 and 0600) whatever the umask, and a
//! directory that others could tamper with is refused rather than used.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use anyhow::{Context, bail};
use serde::Serialize;
use serde::de::DeserializeOwned;

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
    fn prefix(self) -> &'static str {
        match self {
            Kind::Profile => "profile",
            Kind::MfaSession => "mfa",
            Kind::Discovery => "discovery",
        }
    }
}

/// The cache directory.
#[derive(Debug, Clone)]
pub struct Cache {
    dir: PathBuf,
}

/// An exclusive lock on one entry; released when dropped (or when the process dies).
#[derive(Debug)]
pub struct EntryLock {
    _file: File,
}

impl Cache {
    /// The cache at `$AWSDO_CACHE_DIR`, else `$XDG_STATE_HOME/awsdo`, else
    /// `~/.local/state/awsdo`. Nothing is created until the first write.
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Cache> {
        let non_empty = |k: &str| get(k).filter(|v| !v.is_empty());
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

    fn path(&self, kind: Kind, name: &str, ext: &str) -> PathBuf {
        self.dir
            .join(format!("{}.{}.{ext}", kind.prefix(), encode_name(name)))
    }

    /// The entry, or `None` when it is missing or unreadable as a `T` (a miss, not an error).
    /// An unsafe directory or entry is an error: using it could hand out planted credentials.
    pub fn read<T: DeserializeOwned>(&self, kind: Kind, name: &str) -> anyhow::Result<Option<T>> {
        let path = self.path(kind, name, "json");
        let meta = match fs::symlink_metadata(&path) {
            Ok(m) => m,
            Err(_) => return Ok(None),
        };
        self.check_dir()?;
        check_private_file(&path, &meta)?;
        let Ok(bytes) = fs::read(&path) else {
            return Ok(None);
        };
        Ok(serde_json::from_slice(&bytes).ok())
    }

    /// Store `value` for the entry, atomically, readable only by this user.
    pub fn write<T: Serialize>(&self, kind: Kind, name: &str, value: &T) -> anyhow::Result<()> {
        let path = self.path(kind, name, "json");
        let json = serde_json::to_vec_pretty(value).context("could not encode cache entry")?;
        self.write_bytes(&path, &json)
    }

    /// Delete the entry; a missing one is fine.
    pub fn remove(&self, kind: Kind, name: &str) -> anyhow::Result<bool> {
        let path = self.path(kind, name, "json");
        match fs::remove_file(&path) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(e).with_context(|| format!("could not delete {}", path.display())),
        }
    }

    /// Every entry name of a kind, decoded.
    pub fn names(&self, kind: Kind) -> Vec<String> {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return Vec::new();
        };
        let prefix = format!("{}.", kind.prefix());
        let mut names: Vec<String> = dir
            .filter_map(Result::ok)
            .filter_map(|e| e.file_name().into_string().ok())
            .filter_map(|f| {
                f.strip_prefix(&prefix)?
                    .strip_suffix(".json")
                    .and_then(decode_name)
            })
            .collect();
        names.sort();
        names
    }

    /// Wait for, then hold, the entry's lock. Whoever holds it is the one process that fetches
    /// this entry; the others find the result in the cache once they get the lock.
    pub fn lock(&self, kind: Kind, name: &str) -> anyhow::Result<EntryLock> {
        self.ensure_dir()?;
        let path = self.path(kind, name, "lock");
        // O_NOFOLLOW: a lock path that is a symlink must not make awsdo create or open a file
        // elsewhere.
        let file = OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o600)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&path)
            .with_context(|| format!("could not open lock {}", path.display()))?;
        file.lock()
            .with_context(|| format!("could not lock {}", path.display()))?;
        Ok(EntryLock { _file: file })
    }

    /// Record `value` under `marker` and say whether it is new (differs from what was
    /// recorded). Used to show a warning once per state rather than at every prompt. A marker
    /// that cannot be read or written counts as new, so a warning is never lost.
    pub fn remember(&self, marker: &str, value: &str) -> bool {
        let path = self.dir.join(format!("seen.{}", encode_name(marker)));
        let unsafe_file = fs::symlink_metadata(&path)
            .ok()
            .is_some_and(|m| check_private_file(&path, &m).is_err());
        if self.check_dir().is_ok()
            && !unsafe_file
            && fs::read_to_string(&path).is_ok_and(|old| old == value)
        {
            return false;
        }
        let _ = self.write_bytes(&path, value.as_bytes());
        true
    }

    fn write_bytes(&self, path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
        self.ensure_dir()?;
        let tmp = self.temp_path(path);
        let result = (|| -> io::Result<()> {
            let mut f = OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&tmp)?;
            f.write_all(bytes)?;
            f.sync_all()?;
            fs::rename(&tmp, path)
        })();
        if result.is_err() {
            let _ = fs::remove_file(&tmp);
        }
        result.with_context(|| format!("could not write cache entry {}", path.display()))?;
        self.remove_stale_temps(path);
        Ok(())
    }

    /// Delete the temporary files of `path` left by writers that died before their rename
    /// (killed, power loss): they hold secrets and nobody will ever rename them. A temp file
    /// whose writer is still alive is left alone.
    fn remove_stale_temps(&self, path: &Path) {
        let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
            return;
        };
        let prefix = format!(".{name}.");
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return;
        };
        for e in dir.filter_map(Result::ok) {
            let Ok(file) = e.file_name().into_string() else {
                continue;
            };
            let Some(pid) = file
                .strip_prefix(&prefix)
                .and_then(|rest| rest.strip_suffix(".tmp"))
                .and_then(|rest| rest.split('.').next())
                .and_then(|pid| pid.parse::<libc::pid_t>().ok())
            else {
                continue;
            };
            // SAFETY: kill with signal 0 only checks whether the process exists.
            let alive = pid == std::process::id() as libc::pid_t
                || unsafe { libc::kill(pid, 0) } == 0
                || io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
            if !alive {
                let _ = fs::remove_file(e.path());
            }
        }
    }

    fn temp_path(&self, path: &Path) -> PathBuf {
        static SEQ: AtomicU64 = AtomicU64::new(0);
        let n = SEQ.fetch_add(1, Ordering::Relaxed);
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("entry");
        self.dir
            .join(format!(".{name}.{}.{n}.tmp", std::process::id()))
    }

    /// Create the directory (0700) if needed, then check it is safe to use.
    fn ensure_dir(&self) -> anyhow::Result<()> {
        match fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dir)
        {
            Ok(()) => {}
            Err(e) => {
                return Err(e).with_context(|| {
                    format!("could not create cache directory {}", self.dir.display())
                });
            }
        }
        self.check_dir()
    }

    /// Refuse a directory that is a symlink, owned by someone else, or writable by others.
    fn check_dir(&self) -> anyhow::Result<()> {
        let meta = fs::symlink_metadata(&self.dir)
            .with_context(|| format!("could not read cache directory {}", self.dir.display()))?;
        let shown = self.dir.display();
        if meta.file_type().is_symlink() {
            bail!(
                "could not use cache directory {shown}: it is a symlink; point AWSDO_CACHE_DIR at a real directory"
            );
        }
        // SAFETY: geteuid has no preconditions and cannot fail.
        let me = unsafe { libc::geteuid() };
        if meta.uid() != me {
            bail!(
                "could not use cache directory {shown}: it is owned by uid {}, not by you; remove it or set AWSDO_CACHE_DIR",
                meta.uid()
            );
        }
        if meta.mode() & 0o022 != 0 {
            bail!(
                "could not use cache directory {shown}: others can write to it; run: chmod 700 {shown}"
            );
        }
        if meta.mode() & 0o077 != 0 {
            // Readable by others but not writable: tighten it rather than refuse.
            let _ = fs::set_permissions(&self.dir, fs::Permissions::from_mode(0o700));
        }
        Ok(())
    }
}

fn check_private_file(path: &Path, meta: &fs::Metadata) -> anyhow::Result<()> {
    let shown = path.display();
    if meta.file_type().is_symlink() {
        bail!("could not use cache entry {shown}: it is a symlink; delete it (awsdo logout)");
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    if meta.uid() != me {
        bail!(
            "could not use cache entry {shown}: it is owned by uid {}, not by you; delete it",
            meta.uid()
        );
    }
    if meta.mode() & 0o077 != 0 {
        bail!(
            "could not use cache entry {shown}: others can read or write it; delete it (awsdo logout)"
        );
    }
    Ok(())
}

/// A profile name as a file-name part: letters, digits, `-` and `_` stay; every other byte
/// becomes `%XX`, so `a/b` and `..` cannot leave the directory and names stay reversible.
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

fn decode_name(encoded: &str) -> Option<String> {
    let bytes = encoded.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = encoded.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
    struct Entry {
        n: u32,
    }

    #[test]
    fn names_round_trip_and_stay_in_the_directory() {
        for name in ["prod", "a/b", "..", "x y", "ü", "%41", "a.b"] {
            let enc = encode_name(name);
            assert!(!enc.contains('/') && !enc.contains('.'), "{enc}");
            assert_eq!(decode_name(&enc).as_deref(), Some(name));
        }
    }

    #[test]
    fn write_then_read_with_private_modes() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::at(tmp.path().join("c"));
        cache.write(Kind::Profile, "dev", &Entry { n: 1 }).unwrap();
        let got: Option<Entry> = cache.read(Kind::Profile, "dev").unwrap();
        assert_eq!(got, Some(Entry { n: 1 }));
        let dir_mode = fs::metadata(cache.dir()).unwrap().mode() & 0o777;
        assert_eq!(dir_mode, 0o700);
        let file = cache.dir().join("profile.dev.json");
        assert_eq!(fs::metadata(file).unwrap().mode() & 0o777, 0o600);
        assert_eq!(cache.names(Kind::Profile), vec!["dev".to_owned()]);
    }

    #[test]
    fn garbage_is_a_miss() {
        let tmp = tempfile::tempdir().unwrap();
        let cache = Cache::at(tmp.path().join("c"));
        cache.write(Kind::Profile, "dev", &Entry { n: 1 }).unwrap();
        let file = cache.dir().join("profile.dev.json");
        for junk in [&b""[..], b"{\"n\":", b"\xff\xfe", b"[1,2]"] {
            fs::write(&file, junk).unwrap();
            let got: Option<Entry> = cache.read(Kind::Profile, "dev").unwrap();
            assert_eq!(got, None);
        }
    }

    #[test]
    fn refuses_a_world_writable_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("c");
        fs::create_dir(&dir).unwrap();
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
        let err = Cache::at(&dir)
            .write(Kind::Profile, "dev", &Entry { n: 1 })
            .unwrap_err();
        assert!(format!("{err:#}").contains("chmod 700"), "{err:#}");
    }

    #[test]
    fn refuses_a_symlinked_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let real = tmp.path().join("real");
        fs::create_dir(&real).unwrap();
        fs::set_permissions(&real, fs::Permissions::from_mode(0o700)).unwrap();
        let link = tmp.path().join("link");
        std::os::unix::fs::symlink(&real, &link).unwrap();
        let err = Cache::at(&link)
            .write(Kind::Profile, "dev", &Entry { n: 1 })
            .unwrap_err();
        assert!(format!("{err:#}").contains("symlink"), "{err:#}");
    }
}
