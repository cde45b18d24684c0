//! Shells: quoting, set/unset statements and the hook snippets, one file per shell.
//!
//! The `Shell` trait is pure (strings in, strings out, no environment reads, no I/O), so every
//! quoting rule is a unit test; `tests/it/real_shells.rs` then feeds the output to the real
//! bash, zsh and fish and compares the bytes that come back.

mod bash;
mod fish;
mod nu;
mod pwsh;
mod zsh;

#[cfg(test)]
mod test_tools;

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use anyhow::bail;
use clap::ValueEnum;

/// The shells awsdo can print statements and hooks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum ShellKind {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "powershell")]
    Pwsh,
    /// nushell: data (one JSON record), never code.
    #[value(alias = "nushell")]
    Nu,
}

/// One shell's dialect. Implementations hold no state and do no I/O.
pub trait Shell {
    /// The name used in messages and in `awsdo export <name>`.
    fn name(&self) -> &'static str;
    /// `s` as a literal for this shell: evaluating the result yields exactly `s`, never more.
    fn quote<'a>(&self, s: &'a str) -> Cow<'a, str>;
    /// One complete, newline-terminated statement that exports `key` with `value`.
    ///
    /// `key` must be a valid name (see [`valid_key`]); an invalid one is a programmer error:
    /// it fails a debug assertion and yields an empty string in release builds.
    fn set(&self, key: &str, value: &str) -> String;
    /// One complete, newline-terminated statement that removes `key`; harmless when absent.
    ///
    /// Same contract on `key` as [`Shell::set`].
    fn unset(&self, key: &str) -> String;
    /// The hook snippet with the binary path `exe` and the path of its `export` worker
    /// `export_exe` ([`export_worker`]) substituted (quoted).
    fn hook(&self, exe: &Path, export_exe: &Path) -> String;
    /// The whole of `changes` as one piece of data, for shells that apply a record rather
    /// than evaluate statements (nu); `None` (the default): [`render`] writes statements.
    fn record(&self, _changes: &Changes) -> Option<String> {
        None
    }
}

impl ShellKind {
    /// The dialect for this kind.
    pub fn shell(self) -> &'static dyn Shell {
        match self {
            ShellKind::Bash => &bash::Bash,
            ShellKind::Zsh => &zsh::Zsh,
            ShellKind::Fish => &fish::Fish,
            ShellKind::Pwsh => &pwsh::Pwsh,
            ShellKind::Nu => &nu::Nu,
        }
    }
}

/// Environment changes, sorted by name; `None` removes the variable. A later change to the
/// same name replaces the earlier one. `Debug` shows the names only: values may be secrets.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Changes(BTreeMap<String, Option<String>>);

impl std::fmt::Debug for Changes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_map()
            .entries(
                self.0
                    .iter()
                    .map(|(k, v)| (k, if v.is_some() { "set" } else { "unset" })),
            )
            .finish()
    }
}

impl Changes {
    /// Set `key` to `value`, or remove it (`None`), replacing any earlier change to `key`.
    pub fn put(&mut self, key: impl Into<String>, value: Option<String>) {
        self.0.insert(key.into(), value);
    }

    /// Remove `key`, unless a change to it is already recorded.
    pub fn unset_unless_changed(&mut self, key: &str) {
        self.0.entry(key.to_owned()).or_insert(None);
    }

    /// Every change, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_deref()))
    }
}

impl From<BTreeMap<String, Option<String>>> for Changes {
    fn from(map: BTreeMap<String, Option<String>>) -> Changes {
        Changes(map)
    }
}

impl<K: Into<String>> FromIterator<(K, Option<String>)> for Changes {
    fn from_iter<I: IntoIterator<Item = (K, Option<String>)>>(iter: I) -> Changes {
        Changes(iter.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }
}

/// The statements for `changes` in `shell`'s dialect, in name order.
///
/// Keys that are not valid names (see [`valid_key`]) are dropped rather than emitted or
/// panicked on: no shell here can quote a variable *name*, so emitting one would be a syntax
/// error that aborts the `eval` half-way (leaving a half-applied credential set) or, worse, code.
/// awsdo only emits fixed names, so a bad key is a bug that the debug assertions in `set`/`unset`
/// and the tests catch; in a release build the rest of the statements stay whole.
///
/// nu gets one JSON record instead (see [`Shell::record`]), with the same keys dropped.
pub fn render(shell: &dyn Shell, changes: &Changes) -> String {
    if let Some(record) = shell.record(changes) {
        return record;
    }
    let mut out = String::new();
    for (key, value) in changes.iter().filter(|(key, _)| valid_key(key)) {
        match value {
            Some(value) => out.push_str(&shell.set(key, value)),
            None => out.push_str(&shell.unset(key)),
        }
    }
    out
}

/// The shell named by a `$SHELL`-style value (path, login `-` prefix, `.exe`).
///
/// Accepts `/` and `\` as separators (Windows paths), a leading `-` (login shells show up as
/// `-bash` in `$0`), a `.exe` suffix and any case; names and aliases come from clap so they
/// match what `awsdo hook <shell>` accepts.
pub fn detect(value: &str) -> anyhow::Result<ShellKind> {
    let base = value.rsplit(['/', '\\']).next().unwrap_or(value);
    let base = base.strip_prefix('-').unwrap_or(base).to_ascii_lowercase();
    let name = base.strip_suffix(".exe").unwrap_or(&base);
    if let Ok(kind) = ShellKind::from_str(name, true) {
        return Ok(kind);
    }
    let accepted: Vec<String> = ShellKind::value_variants()
        .iter()
        .filter_map(ShellKind::to_possible_value)
        .flat_map(|v| {
            v.get_name_and_aliases()
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    bail!(
        "cannot tell the shell from {value:?}: expected one of {}",
        accepted.join(", ")
    )
}

/// Refuse `changes` when a value holds what no shell can carry: a NUL character. Environment
/// variables are C strings (POSIX `environ`, execve(2)), so a value with NUL cannot reach a
/// program whole; bash and zsh cut `$'a\0b'` at the NUL and fish refuses it, so the quoting of
/// every shell here would silently change the value. `profile` names the profile in the error.
///
/// # Errors
/// One line naming the variable and the profile; never the value (it may be a secret).
pub fn check_carriable(shell: &dyn Shell, profile: &str, changes: &Changes) -> anyhow::Result<()> {
    for (key, value) in changes.iter() {
        if value.is_some_and(|v| v.contains('\0')) {
            bail!(
                "could not print the credentials of profile {:?} for {}: {key} holds a NUL character, which no environment variable can carry",
                crate::escape::escape(profile),
                shell.name()
            );
        }
    }
    Ok(())
}

/// Whether `key` is a name awsdo may emit: `[A-Z_][A-Z0-9_]*`.
///
/// Valid in every supported shell without quoting, and the only kind of name awsdo uses.
pub fn valid_key(key: &str) -> bool {
    let mut bytes = key.bytes();
    matches!(bytes.next(), Some(b'A'..=b'Z' | b'_'))
        && bytes.all(|b| matches!(b, b'A'..=b'Z' | b'0'..=b'9' | b'_'))
}

/// `statement()` when `key` is a valid variable name, else nothing (and a debug assertion):
/// no shell can quote a name, so an invalid one is never emitted.
pub(crate) fn for_valid_key(key: &str, statement: impl FnOnce() -> String) -> String {
    debug_assert!(valid_key(key), "invalid variable name {key:?}");
    if valid_key(key) {
        statement()
    } else {
        String::new()
    }
}

/// The token in each `shell/awsdo.*` snippet that [`Shell::hook`] replaces with the quoted path.
///
/// It is itself a single-quoted string, so the raw snippet files parse and lint cleanly.
pub(crate) const EXE_TOKEN: &str = "'@AWSDO_EXE@'";

/// The token for the `export` worker's path, as [`EXE_TOKEN`].
pub(crate) const EXPORT_EXE_TOKEN: &str = "'@AWSDO_EXPORT_EXE@'";

/// `template` with its one [`EXE_TOKEN`] replaced by `exe` and its one [`EXPORT_EXE_TOKEN`] by
/// `export_exe`, each quoted for `shell`.
fn fill_hook(shell: &dyn Shell, template: &str, exe: &Path, export_exe: &Path) -> String {
    let exe = exe.to_string_lossy();
    let export_exe = export_exe.to_string_lossy();
    template
        .replacen(EXE_TOKEN, &shell.quote(&exe), 1)
        .replacen(EXPORT_EXE_TOKEN, &shell.quote(&export_exe), 1)
}

/// The binary the hook runs for `awsdo export`: `awsdo-export` in `exe`'s directory
/// (installed with awsdo: `cargo install` puts both in one directory), by its resolved path,
/// when it is a file this user may execute that hands over to `exe` (the file named `awsdo`
/// beside its resolved path resolves to `exe`); else `exe` itself. `awsdo-export` serves warm
/// switches without loading the network code and hands everything else to that `awsdo`.
pub fn export_worker(exe: &Path) -> std::path::PathBuf {
    let worker = || {
        let worker = std::fs::canonicalize(exe.with_file_name("awsdo-export")).ok()?;
        // A file this user may execute (access(2) X_OK, not just some x bit).
        let runs = std::fs::metadata(&worker).ok()?.is_file()
            && rustix::fs::access(&worker, rustix::fs::Access::EXEC_OK).is_ok();
        let target = std::fs::canonicalize(worker.with_file_name("awsdo")).ok()?;
        let hands_to_exe = target == std::fs::canonicalize(exe).ok()?;
        (runs && hands_to_exe).then_some(worker)
    };
    worker().unwrap_or_else(|| exe.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detect_accepts_paths_login_dash_exe_and_case() {
        let cases = [
            ("bash", ShellKind::Bash),
            ("/bin/bash", ShellKind::Bash),
            ("-bash", ShellKind::Bash),
            ("/usr/local/bin/zsh", ShellKind::Zsh),
            ("-zsh", ShellKind::Zsh),
            ("/opt/homebrew/bin/fish", ShellKind::Fish),
            ("pwsh", ShellKind::Pwsh),
            ("/usr/bin/pwsh", ShellKind::Pwsh),
            (r"C:\Program Files\PowerShell\7\pwsh.exe", ShellKind::Pwsh),
            (
                r"C:\Windows\System32\WindowsPowerShell\v1.0\powershell.exe",
                ShellKind::Pwsh,
            ),
            ("PowerShell.EXE", ShellKind::Pwsh),
            ("BASH", ShellKind::Bash),
            ("/usr/local/bin/nu", ShellKind::Nu),
            ("nu.exe", ShellKind::Nu),
        ];
        for (value, want) in cases {
            assert_eq!(detect(value).unwrap(), want, "{value}");
        }
    }

    #[test]
    fn detect_rejects_others_listing_accepted_names() {
        for value in ["", "/bin/sh", "tcsh", "-", "bash5", "/bin/"] {
            let err = detect(value).unwrap_err().to_string();
            assert!(
                err.contains("bash, zsh, fish, pwsh, powershell, nu, nushell"),
                "{value}: {err}"
            );
        }
    }

    #[test]
    fn valid_key_is_upper_snake_case() {
        for key in ["AWS_PROFILE", "_X", "A1", "AWSDO_REFRESH_AT"] {
            assert!(valid_key(key), "{key}");
        }
        for key in ["", "1A", "aws", "A-B", "A B", "A=B", "A;B", "É", "A$"] {
            assert!(!valid_key(key), "{key}");
        }
    }

    #[test]
    fn nul_is_refused_without_showing_the_value() {
        let changes = Changes::from_iter([
            ("AWS_REGION".to_owned(), Some("us-east-1".to_owned())),
            (
                "AWS_SESSION_TOKEN".to_owned(),
                Some("tok\0secret-part".to_owned()),
            ),
        ]);
        for kind in [
            ShellKind::Bash,
            ShellKind::Zsh,
            ShellKind::Fish,
            ShellKind::Pwsh,
        ] {
            let err = check_carriable(kind.shell(), "dev", &changes)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("AWS_SESSION_TOKEN") && err.contains("\"dev\""),
                "{err}"
            );
            assert!(!err.contains("secret-part"), "{err}");
        }
        let fine = Changes::from_iter([("AWS_REGION", Some("a\r\x1bb".to_owned()))]);
        assert!(check_carriable(ShellKind::Bash.shell(), "dev", &fine).is_ok());
    }

    #[test]
    fn render_orders_by_name_and_drops_invalid_keys() {
        let mut map = BTreeMap::new();
        map.insert("B_KEY".to_owned(), Some("v".to_owned()));
        map.insert("A_KEY".to_owned(), None);
        map.insert("bad key;touch x".to_owned(), Some("v".to_owned()));
        let changes = Changes::from(map);
        assert_eq!(
            render(ShellKind::Bash.shell(), &changes),
            "unset -v A_KEY\nexport B_KEY='v'\n"
        );
        assert_eq!(
            render(ShellKind::Fish.shell(), &changes),
            "set -e -g A_KEY; or true\nset -gx B_KEY 'v'\n"
        );
        assert_eq!(render(ShellKind::Zsh.shell(), &Changes::default()), "");
    }

    #[test]
    fn every_snippet_has_the_token_once_and_hook_fills_it() {
        let exe = Path::new("/opt/my tools/it's/awsdo");
        let worker = Path::new("/opt/my tools/it's/awsdo-export");
        for kind in ShellKind::value_variants() {
            let shell = kind.shell();
            let raw = shell.hook(Path::new("@AWSDO_EXE@"), Path::new("@AWSDO_EXPORT_EXE@"));
            // The raw file holds each token once, so the filled hook holds each path once.
            assert_eq!(raw.matches("@AWSDO_EXE@").count(), 1, "{}", shell.name());
            assert_eq!(
                raw.matches("@AWSDO_EXPORT_EXE@").count(),
                1,
                "{}",
                shell.name()
            );
            let hook = shell.hook(exe, worker);
            assert!(!hook.contains("@AWSDO_"), "{}", shell.name());
            assert!(hook.contains(&*shell.quote(&exe.to_string_lossy())));
            assert!(hook.contains(&*shell.quote(&worker.to_string_lossy())));
        }
    }

    #[cfg(unix)]
    #[test]
    fn hook_survives_a_non_utf8_path() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let exe = Path::new(OsStr::from_bytes(b"/tmp/\xffawsdo"));
        for kind in ShellKind::value_variants() {
            assert!(kind.shell().hook(exe, exe).contains("/tmp/\u{fffd}awsdo"));
        }
    }
}
