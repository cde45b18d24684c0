//! fish: single quoting with fish's two escapes, control characters as escapes outside the
//! quotes, `set -gx`/`set -e`, and the `shell/awsdo.fish` hook.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;

use super::{Shell, fill_hook, for_valid_key};

/// The fish dialect.
pub struct Fish;

const HOOK: &str = include_str!("../../shell/awsdo.fish");

impl Shell for Fish {
    fn name(&self) -> &'static str {
        "fish"
    }

    /// Inside fish single quotes `\\` and `\'` are escapes (every other backslash is literal),
    /// so every backslash is doubled and every `'` escaped. Fish single-quoted strings may span
    /// lines, but control characters are written as escapes *outside* the quotes instead
    /// (`'a'\n'b'`; adjacent pieces concatenate) so each statement stays on one line.
    /// https://fishshell.com/docs/3.6/language.html#quotes
    /// https://fishshell.com/docs/3.6/language.html#escaping-characters
    fn quote<'a>(&self, s: &'a str) -> Cow<'a, str> {
        if s.is_empty() {
            return Cow::Borrowed("''");
        }
        let mut out = String::with_capacity(s.len() + 2);
        let mut quoted = false;
        for c in s.chars() {
            if c.is_ascii_control() {
                if quoted {
                    out.push('\'');
                    quoted = false;
                }
                match c {
                    '\n' => out.push_str(r"\n"),
                    '\t' => out.push_str(r"\t"),
                    '\r' => out.push_str(r"\r"),
                    '\x1b' => out.push_str(r"\e"),
                    // `\xHH` reads at most two hex digits.
                    c => {
                        let _ = write!(out, r"\x{:02x}", u32::from(c));
                    }
                }
                continue;
            }
            if !quoted {
                out.push('\'');
                quoted = true;
            }
            match c {
                '\\' => out.push_str(r"\\"),
                '\'' => out.push_str(r"\'"),
                c => out.push(c),
            }
        }
        if quoted {
            out.push('\'');
        }
        Cow::Owned(out)
    }

    fn set(&self, key: &str, value: &str) -> String {
        for_valid_key(key, || format!("set -gx {key} {}\n", self.quote(value)))
    }

    /// `set -e -g`: only the global the hook set (or the environment gave), never a universal
    /// variable of the same name, which would be erased for every fish session. Erasing an
    /// absent variable is silent but returns 4 in fish 3.6, hence `; or true`.
    fn unset(&self, key: &str) -> String {
        for_valid_key(key, || format!("set -e -g {key}; or true\n"))
    }

    fn hook(&self, exe: &Path, export_exe: &Path) -> String {
        fill_hook(self, HOOK, exe, export_exe)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shell::test_tools::TRICKY;

    const EXPECTED: &[&str] = &[
        "''",
        "'a b'",
        r"'\''",
        r#"'"'"#,
        "'$HOME'",
        "'$(touch /tmp/pwned)'",
        "'`touch /tmp/pwned`'",
        r"'\\'",
        r"'a\\'",
        r"'\\\\'",
        r"'a'\n'b'",
        r"'a'\t'b'",
        "'; touch /tmp/pwned'",
        "'naïve ☃ 日本'",
        "'!!'",
        r"'\'\\\'\''",
        "'it’s'",
        r"\e'[31mred'\x01\x7f\x1f'a'",
        r"'it\'s \\ '\n",
        "'a\u{85}b'",
    ];

    #[test]
    fn quote_table() {
        assert_eq!(TRICKY.len(), EXPECTED.len());
        for (value, want) in TRICKY.iter().zip(EXPECTED) {
            assert_eq!(Fish.quote(value), *want, "value {value:?}");
        }
    }

    #[test]
    fn set_and_unset_statements() {
        for (value, want) in TRICKY.iter().zip(EXPECTED) {
            assert_eq!(Fish.set("AWS_X", value), format!("set -gx AWS_X {want}\n"));
            assert_eq!(Fish.set("AWS_X", value).lines().count(), 1, "{value:?}");
        }
        assert_eq!(Fish.unset("AWS_X"), "set -e -g AWS_X; or true\n");
    }
}
