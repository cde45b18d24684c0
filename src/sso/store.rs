//! The AWS CLI's SSO cache, `~/.aws/sso/cache/`: the token file of an SSO session and the
//! client registration, in the AWS CLI v2's names and fields, so the AWS CLI and the SDKs use
//! what awsdo writes and awsdo uses what they write.
//!
//! - Token: `<sha1 hex of the sso-session name, or of the start URL for a legacy profile>.json`
//!   with `startUrl`, `region`, `accessToken`, `expiresAt`, `clientId`, `clientSecret`,
//!   `registrationExpiresAt`, `refreshToken` (botocore `SSOTokenFetcher._token_cache_key`,
//!   `SSOTokenProvider._attempt_create_token`).
//! - Registration: `<sha1 hex of {"region", "scopes", "session_name", "startUrl", "tool"} as
//!   Python's json.dumps(sort_keys=True)>.json` with `clientId`, `clientSecret`, `expiresAt`,
//!   `scopes`, `grantTypes` (botocore `BaseSSOTokenFetcher._registration_cache_key`).
//! - Times are written as the AWS CLI writes them, `2026-11-30T03:00:00Z`; read as RFC 3339 and
//!   also with botocore's older `UTC` suffix.
//!
//! Files are written atomically at 0600 (a private temporary file in the directory, renamed
//! over the old one, never through a symlink), read without following a symlink or blocking,
//! and at most [`MAX_FILE`] bytes.

use std::io::{self, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};

use crate::env::Env;
use anyhow::Context;
use rustix::fs::{AtFlags, FileType, Mode, OFlags};
use rustix::io::Errno;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// The most bytes read from a token or registration file (they hold a few KiB).
pub const MAX_FILE: u64 = 64 * 1024;

/// A token file's contents. `Debug` shows no secret.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// The session's start URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_url: Option<String>,
    /// The session's `sso_region`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The bearer token for the portal (GetRoleCredentials).
    pub access_token: String,
    /// When the access token expires (see [`parse_time`]).
    pub expires_at: String,
    /// The registration the token came from (its client id), for a refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_id: Option<String>,
    /// That registration's secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
    /// When that registration expires: no refresh after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registration_expires_at: Option<String>,
    /// The refresh token (present when the registration asked for `sso:account:access`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("start_url", &self.start_url)
            .field("region", &self.region)
            .field("expires_at", &self.expires_at)
            .field("client_id", &self.client_id.is_some())
            .field("refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

impl Token {
    /// When the access token expires; `None` when the file's time cannot be read.
    pub fn expires(&self) -> Option<OffsetDateTime> {
        parse_time(&self.expires_at)
    }

    /// Whether a refresh can be tried: a refresh token and a registration that has not expired
    /// at `now`.
    pub fn refreshable(&self, now: OffsetDateTime) -> bool {
        self.refresh_token.is_some()
            && self.client_id.is_some()
            && self.client_secret.is_some()
            && self
                .registration_expires_at
                .as_deref()
                .and_then(parse_time)
                .is_some_and(|t| t > now)
    }
}

/// A client registration's contents. `Debug` shows no secret.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "camelCase")]
pub struct Registration {
    /// The client id and secret RegisterClient issued.
    pub client_id: String,
    pub client_secret: String,
    /// When the registration expires (see [`parse_time`]).
    pub expires_at: String,
    /// The scopes registered for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes: Option<Vec<String>>,
    /// `["authorization_code", "refresh_token"]` for a PKCE registration; absent for a device
    /// code registration (the AWS CLI tells them apart this way).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant_types: Option<Vec<String>>,
}

impl std::fmt::Debug for Registration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Registration")
            .field("expires_at", &self.expires_at)
            .field("scopes", &self.scopes)
            .field("grant_types", &self.grant_types)
            .finish_non_exhaustive()
    }
}

impl Registration {
    /// Whether it was made for the authorization code grant (else the device code grant).
    pub fn for_auth_code(&self) -> bool {
        self.grant_types
            .as_ref()
            .is_some_and(|g| g.iter().any(|t| t == "authorization_code"))
    }
}

/// A time as the AWS CLI writes it (`2026-11-30T03:00:00Z`), or any RFC 3339 time, or
/// botocore's older `2026-11-30T03:00:00UTC`. `None` when it is none of these.
pub fn parse_time(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    OffsetDateTime::parse(s, &Rfc3339).ok().or_else(|| {
        let bare = s.strip_suffix("UTC")?;
        OffsetDateTime::parse(&format!("{bare}Z"), &Rfc3339).ok()
    })
}

/// `t` as the AWS CLI writes it: `%Y-%m-%dT%H:%M:%SZ` in UTC. `None` for a year beyond 9999.
pub fn format_time(t: OffsetDateTime) -> Option<String> {
    let t = t.to_offset(time::UtcOffset::UTC);
    let f = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    (t.year() <= 9999).then(|| t.format(&f).ok()).flatten()
}

/// SHA-1 in hex.
pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::{Digest as _, Sha1};
    crate::plan::hex(&Sha1::digest(data))
}

/// The token file name of a session: SHA-1 of the session name, or of the start URL for a
/// legacy profile (botocore `_token_cache_key`).
pub fn token_file(session: Option<&str>, start_url: &str) -> String {
    format!("{}.json", sha1_hex(session.unwrap_or(start_url).as_bytes()))
}

/// The registration file name (botocore `_registration_cache_key`): SHA-1 of Python's
/// `json.dumps({...}, sort_keys=True)` of the tool, start URL, region, the scopes as
/// configured (`null` when `sso_registration_scopes` is not set) and the session name.
pub fn registration_file(
    start_url: &str,
    region: &str,
    scopes: Option<&[String]>,
    session: Option<&str>,
) -> String {
    let opt = |s: Option<&str>| s.map_or_else(|| "null".to_owned(), py_json_str);
    let scopes = scopes.map_or_else(
        || "null".to_owned(),
        |l| {
            let items: Vec<String> = l.iter().map(|s| py_json_str(s)).collect();
            format!("[{}]", items.join(", "))
        },
    );
    let text = format!(
        "{{\"region\": {}, \"scopes\": {scopes}, \"session_name\": {}, \"startUrl\": {}, \"tool\": \"botocore\"}}",
        py_json_str(region),
        opt(session),
        py_json_str(start_url),
    );
    format!("{}.json", sha1_hex(text.as_bytes()))
}

/// A string as Python's `json.dumps` writes it (`ensure_ascii`: every non-ASCII character as
/// `\uXXXX`, UTF-16 surrogate pairs beyond the BMP).
fn py_json_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
    }
    out.push('"');
    out
}

/// `~/.aws/sso/cache`, from `HOME`.
pub fn dir(env: &Env) -> anyhow::Result<PathBuf> {
    let home = env
        .var("HOME")
        .filter(|h| !h.is_empty())
        .context("could not find the SSO token cache: HOME is not set")?;
    Ok(Path::new(&home).join(".aws").join("sso").join("cache"))
}

/// The directory, opened without following a symlink; `None` when it does not exist and
/// `create` is false. With `create`, it and its parents are made 0700 first.
fn open_dir(dir: &Path, create: bool) -> anyhow::Result<Option<OwnedFd>> {
    if create {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("could not create {}", dir.display()))?;
    }
    let flags = OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC;
    match rustix::fs::open(dir, flags, Mode::empty()) {
        Ok(fd) => Ok(Some(fd)),
        Err(Errno::NOENT) if !create => Ok(None),
        Err(Errno::LOOP | Errno::NOTDIR) => anyhow::bail!(
            "could not use {}: it is a symlink or not a directory; remove it",
            dir.display()
        ),
        Err(e) => {
            Err(io::Error::from(e)).with_context(|| format!("could not open {}", dir.display()))
        }
    }
}

/// The bytes of `name` in `dir`; `None` when it does not exist. Errors (`could not read WHAT
/// PATH: reason`, `what` being for example `the SSO token`): a symlink, not a regular file,
/// larger than [`MAX_FILE`], unreadable.
pub fn read(dir: &Path, name: &str, what: &str) -> anyhow::Result<Option<Vec<u8>>> {
    let shown = || format!("{what} {}", dir.join(name).display());
    let Some(d) = open_dir(dir, false)? else {
        return Ok(None);
    };
    let flags = OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::NONBLOCK | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(&d, name, flags, Mode::empty()) {
        Ok(fd) => fd,
        Err(Errno::NOENT) => return Ok(None),
        Err(Errno::LOOP) => anyhow::bail!("could not read {}: it is a symlink", shown()),
        Err(e) => {
            return Err(io::Error::from(e)).with_context(|| format!("could not read {}", shown()));
        }
    };
    let st = rustix::fs::fstat(&fd)
        .map_err(io::Error::from)
        .with_context(|| format!("could not read {}", shown()))?;
    if FileType::from_raw_mode(st.st_mode) != FileType::RegularFile {
        anyhow::bail!("could not read {}: not a regular file", shown());
    }
    let mut bytes = Vec::new();
    std::fs::File::from(fd)
        .take(MAX_FILE + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("could not read {}", shown()))?;
    if bytes.len() as u64 > MAX_FILE {
        anyhow::bail!("could not read {}: larger than {MAX_FILE} bytes", shown());
    }
    Ok(Some(bytes))
}

/// `name` in `dir` parsed as JSON; `None` when it is missing or is not a `T` (a file of
/// another tool's making is a miss, not an error).
pub fn read_json<T: serde::de::DeserializeOwned>(
    dir: &Path,
    name: &str,
    what: &str,
) -> anyhow::Result<Option<T>> {
    Ok(read(dir, name, what)?.and_then(|b| serde_json::from_slice(&b).ok()))
}

/// Write `value` as JSON to `name` in `dir` (created 0700 when missing), atomically and at
/// 0600: a new temporary file (never through an existing file or link), synced, renamed over
/// `name`. Errors name the file, never the contents.
pub fn write_json<T: Serialize>(dir: &Path, name: &str, value: &T) -> anyhow::Result<()> {
    let shown = dir.join(name).display().to_string();
    let bytes = serde_json::to_vec(value).with_context(|| format!("could not write {shown}"))?;
    let d = open_dir(dir, true)?.with_context(|| format!("could not create {}", dir.display()))?;
    let tmp = format!(".{name}.{}.{}.tmp", std::process::id(), nonce());
    let result = (|| -> io::Result<()> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&d, tmp.as_str(), flags, Mode::from_raw_mode(0o600))?;
        let mut f = std::fs::File::from(fd);
        f.write_all(&bytes)?;
        f.sync_all()?;
        rustix::fs::renameat(&d, tmp.as_str(), &d, name)?;
        Ok(())
    })();
    if result.is_err() {
        let _ = rustix::fs::unlinkat(&d, tmp.as_str(), AtFlags::empty());
    }
    result.with_context(|| format!("could not write {shown}"))
}

/// Delete `name` in `dir`; `Ok(false)` when it was not there.
pub fn remove(dir: &Path, name: &str) -> anyhow::Result<bool> {
    let Some(d) = open_dir(dir, false)? else {
        return Ok(false);
    };
    match rustix::fs::unlinkat(&d, name, AtFlags::empty()) {
        Ok(()) => Ok(true),
        Err(Errno::NOENT) => Ok(false),
        Err(e) => Err(io::Error::from(e))
            .with_context(|| format!("could not delete {}", dir.join(name).display())),
    }
}

/// A number that differs between the temporary files of one process.
fn nonce() -> u64 {
    use std::sync::atomic::{AtomicU64, Ordering};
    static SEQ: AtomicU64 = AtomicU64::new(0);
    SEQ.fetch_add(1, Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn file_names_are_the_aws_clis() {
        // sha1 of the session name (botocore _token_cache_key).
        assert_eq!(
            token_file(Some("corp"), "https://ignored"),
            format!("{}.json", sha1_hex(b"corp"))
        );
        assert_eq!(
            token_file(None, "https://d-123.awsapps.com/start"),
            format!("{}.json", sha1_hex(b"https://d-123.awsapps.com/start"))
        );
        // Expected values from Python: hashlib.sha1(json.dumps(args, sort_keys=True)).
        assert_eq!(
            registration_file(
                "https://d-123.awsapps.com/start",
                "us-east-1",
                None,
                Some("corp")
            ),
            "0143e0488cb33c761aa46e7df0e092123a7bdb6b.json"
        );
        let scopes = ["sso:account:access".to_owned(), "a b".to_owned()];
        assert_eq!(
            registration_file("https://x/\u{e9}\"", "eu-west-1", Some(&scopes), None),
            "964fa665dbb4df23aa6b522459dbb776b87a4485.json"
        );
    }

    #[test]
    fn times_read_as_the_aws_cli_and_botocore_write_them() {
        let t = parse_time("2026-11-30T03:00:00Z").unwrap();
        assert_eq!(parse_time("2026-11-30T03:00:00UTC"), Some(t));
        assert_eq!(parse_time("2026-11-30T04:00:00+01:00"), Some(t));
        assert_eq!(format_time(t).as_deref(), Some("2026-11-30T03:00:00Z"));
        assert_eq!(parse_time("soon"), None);
        assert_eq!(parse_time(""), None);
    }

    #[test]
    fn written_files_are_private_atomic_and_never_through_a_link() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join(".aws/sso/cache");
        let reg = Registration {
            client_id: "id".into(),
            client_secret: "SECRET-REG".into(),
            expires_at: "2026-11-30T03:00:00Z".into(),
            scopes: None,
            grant_types: None,
        };
        write_json(&dir, "r.json", &reg).unwrap();
        let mode = std::fs::metadata(dir.join("r.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o700);
        assert_eq!(
            read_json::<Registration>(&dir, "r.json", "r").unwrap(),
            Some(reg.clone())
        );
        assert!(!format!("{reg:?}").contains("SECRET"));
        // No temporary file is left.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        // A symlink is neither read nor written through.
        std::os::unix::fs::symlink(tmp.path().join("elsewhere"), dir.join("l.json")).unwrap();
        assert!(read(&dir, "l.json", "l").is_err());
        write_json(&dir, "l.json", &reg).unwrap();
        assert!(!tmp.path().join("elsewhere").exists());
        // Oversized: refused.
        std::fs::write(dir.join("big.json"), vec![b' '; MAX_FILE as usize + 1]).unwrap();
        assert!(read(&dir, "big.json", "b").is_err());
        assert!(remove(&dir, "r.json").unwrap());
        assert!(!remove(&dir, "r.json").unwrap());
    }
}
