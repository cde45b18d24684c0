//! zsh: the same quoting as bash (`bash::quote_posix`), zsh's `export`/`unset`, and the
//! `shell/awsdo.zsh` hook.
//!
//! `'\''` and `$'…'` mean the same in zsh as in bash, also with `RC_QUOTES` set, because the
//! quoting never puts two quotes next to each other inside a quoted run.

use std::borrow::Cow;
use std::path::Path;

use super::bash::{Bash, quote_posix};
use super::{Shell, fill_hook};

/// The zsh dialect.
pub struct Zsh;

const HOOK: &str = include_str!("../../shell/awsdo.zsh");

impl Shell for Zsh {
    fn name(&self) -> &'static str {
        "zsh"
    }

    fn quote<'a>(&self, s: &'a str) -> Cow<'a, str> {
        quote_posix(s)
    }

    /// zsh's `export` is `typeset -gx`: global even when evaluated inside the hook function,
    /// so bash's statements serve as they are.
    fn set(&self, key: &str, value: &str) -> String {
        Bash.set(key, value)
    }

    fn unset(&self, key: &str) -> String {
        Bash.unset(key)
    }

    fn hook(&self, exe: &Path, export_exe: &Path) -> String {
        fill_hook(self, HOOK, exe, export_exe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::test_tools::TRICKY;

    #[test]
    fn quote_matches_bash() {
        for (value, want) in TRICKY.iter().zip(crate::shell::bash::tests::EXPECTED) {
            assert_eq!(Zsh.quote(value), *want, "value {value:?}");
            assert_eq!(Zsh.set("AWS_X", value), format!("export AWS_X={want}\n"));
        }
        assert_eq!(Zsh.unset("AWS_X"), "unset -v AWS_X\n");
    }
}
