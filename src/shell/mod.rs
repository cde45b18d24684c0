//! Shells: quoting, set/unset statements and the hook snippets, one file per shell.
//!
//! The `Shell` trait is pure (strings in, strings out) so every quoting rule is a unit test.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::path::Path;

use clap::ValueEnum;

/// The shells awsdo can print statements and hooks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, ValueEnum)]
pub enum ShellKind {
    Bash,
    Zsh,
    Fish,
    #[value(alias = "powershell")]
    Pwsh,
}

/// One shell's dialect. Implementations hold no state and do no I/O.
pub trait Shell {
    /// The name used in messages and in `awsdo export <name>`.
    fn name(&self) -> &'static str;
    /// `s` as a literal for this shell: evaluating the result yields exactly `s`, never more.
    fn quote<'a>(&self, s: &'a str) -> Cow<'a, str>;
    /// One complete, newline-terminated statement that exports `key` with `value`.
    fn set(&self, key: &str, value: &str) -> String;
    /// One complete, newline-terminated statement that removes `key`; harmless when absent.
    fn unset(&self, key: &str) -> String;
    /// The hook snippet with the binary path `exe` substituted (quoted).
    fn hook(&self, exe: &Path) -> String;
}

impl ShellKind {
    /// The dialect for this kind.
    pub fn shell(self) -> &'static dyn Shell {
        unimplemented!("shell helper")
    }
}

/// Environment changes, sorted by name; `None` removes the variable.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes(pub BTreeMap<String, Option<String>>);

/// The statements for `changes` in `shell`'s dialect, in name order.
pub fn render(shell: &dyn Shell, changes: &Changes) -> String {
    let _ = (shell, changes);
    unimplemented!("shell helper")
}

/// The shell named by a `$SHELL`-style value (path, login `-` prefix, `.exe`).
pub fn detect(value: &str) -> anyhow::Result<ShellKind> {
    let _ = value;
    unimplemented!("shell helper")
}
