//! bash: POSIX single quoting, `$'…'` for control characters, and the `shell/awsdo.bash` hook.
//!
//! zsh reads the same quoting (see `zsh.rs`), so [`quote_posix`] lives here and is shared.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

use super::{Shell, fill_hook, for_valid_key};

/// The bash dialect.
pub struct Bash;

const HOOK: &str = include_str!("../../shell/awsdo.bash");

impl Shell for Bash {
    fn name(&self) -> &'static str {
        "bash"
    }

    fn quote<'a>(&self, s: &'a str) -> Cow<'a, str> {
        quote_posix(s)
    }

    fn set(&self, key: &str, value: &str) -> String {
        for_valid_key(key, || format!("export {key}={}\n", quote_posix(value)))
    }

    fn unset(&self, key: &str) -> String {
        // `-v`: plain `unset NAME` removes a *function* NAME when no such variable exists.
        // https://www.gnu.org/software/bash/manual/html_node/Bourne-Shell-Builtins.html#index-unset
        for_valid_key(key, || format!("unset -v {key}\n"))
    }

    fn hook(&self, exe: &Path, export_exe: &Path) -> String {
        fill_hook(self, HOOK, exe, export_exe)
    }
}

/// `s` as a bash/zsh word that evaluates to exactly `s`.
///
/// Plain single quotes (`'` written as `'\''`) when `s` has no ASCII control character: nothing
/// is special inside them. With a control character (newline, tab, ESC, …) the whole value
/// becomes an ANSI-C `$'…'` string with escapes instead, so that every statement stays on one
/// line and no raw terminal control byte reaches a log or a `set -x` trace. Inside `$'…'` only
/// `\` and `'` are special. `\xHH` takes at most two hex digits in both shells, so a following
/// literal hex digit is safe.
/// https://www.gnu.org/software/bash/manual/html_node/ANSI_002dC-Quoting.html
/// https://zsh.sourceforge.io/Doc/Release/Shell-Grammar.html#Quoting
pub(super) fn quote_posix(s: &str) -> Cow<'_, str> {
    let mut out = String::with_capacity(s.len() + 3);
    if s.chars().any(|c| c.is_ascii_control()) {
        out.push_str("$'");
        for c in s.chars() {
            match c {
                '\\' => out.push_str(r"\\"),
                '\'' => out.push_str(r"\'"),
                '\n' => out.push_str(r"\n"),
                '\t' => out.push_str(r"\t"),
                '\r' => out.push_str(r"\r"),
                '\x1b' => out.push_str(r"\e"),
                c if c.is_ascii_control() => {
                    let _ = write!(out, r"\x{:02X}", u32::from(c));
                }
                c => out.push(c),
            }
        }
    } else {
        out.push('\'');
        out.push_str(&s.replace('\'', r"'\''"));
    }
    out.push('\'');
    Cow::Owned(out)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::shell::test_tools::TRICKY;

    /// Expected `quote` output for each entry of `TRICKY`, in order.
    pub(in crate::shell) const EXPECTED: &[&str] = &[
        "''",
        "'a b'",
        r"''\'''",
        r#"'"'"#,
        "'$HOME'",
        "'$(touch /tmp/pwned)'",
        "'`touch /tmp/pwned`'",
        r"'\'",
        r"'a\'",
        r"'\\'",
        r"$'a\nb'",
        r"$'a\tb'",
        "'; touch /tmp/pwned'",
        "'naïve ☃ 日本'",
        "'!!'",
        r"''\''\'\'''\'''",
        "'it’s'",
        r"$'\e[31mred\x01\x7F\x1Fa'",
        r"$'it\'s \\ \n'",
        "'a\u{85}b'",
    ];

    #[test]
    fn quote_table() {
        assert_eq!(TRICKY.len(), EXPECTED.len());
        for (value, want) in TRICKY.iter().zip(EXPECTED) {
            assert_eq!(Bash.quote(value), *want, "value {value:?}");
        }
    }

    #[test]
    fn set_and_unset_statements() {
        for (value, want) in TRICKY.iter().zip(EXPECTED) {
            assert_eq!(Bash.set("AWS_X", value), format!("export AWS_X={want}\n"));
            // One statement, one line.
            assert_eq!(Bash.set("AWS_X", value).lines().count(), 1, "{value:?}");
        }
        assert_eq!(
            Bash.unset("AWS_SESSION_TOKEN"),
            "unset -v AWS_SESSION_TOKEN\n"
        );
    }

    #[test]
    #[should_panic(expected = "invalid variable name")]
    fn set_asserts_on_an_invalid_key() {
        let _ = Bash.set("A;touch x", "v");
    }
}
