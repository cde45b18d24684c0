//! PowerShell: verbatim single-quoted strings, `$Env:` assignments, `Remove-Item Env:`, and the
//! `shell/awsdo.ps1` hook.
//!
//! PowerShell cannot run on the build machines, so these rules are unit tests, plus a parse
//! check of the snippet and of every statement with the tree-sitter-pwsh grammar
//! (`real_shells::pwsh_statements_and_snippet_parse`, `tests/pwsh-parse`).

use std::borrow::Cow;
use std::path::Path;

use super::{Shell, fill_hook, for_valid_key};

/// The PowerShell (pwsh 7 and Windows PowerShell 5.1) dialect.
pub struct Pwsh;

const HOOK: &str = include_str!("../../shell/awsdo.ps1");

/// Characters PowerShell's tokenizer takes as a single quote, each escaped by doubling:
/// `'` and the typographic U+2018, U+2019, U+201A, U+201B.
/// https://learn.microsoft.com/en-us/powershell/module/microsoft.powershell.core/about/about_quoting_rules
/// (and `CharExtensions.IsSingleQuote` in the PowerShell tokenizer).
const SINGLE_QUOTES: [char; 5] = ['\'', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}'];

impl Shell for Pwsh {
    fn name(&self) -> &'static str {
        "pwsh"
    }

    /// A verbatim string: nothing but the quote characters is special inside, not even
    /// backtick, `$` or a newline (which simply continues the string on the next line).
    fn quote<'a>(&self, s: &'a str) -> Cow<'a, str> {
        let mut out = String::with_capacity(s.len() + 2);
        out.push('\'');
        for c in s.chars() {
            if SINGLE_QUOTES.contains(&c) {
                out.push(c);
            }
            out.push(c);
        }
        out.push('\'');
        Cow::Owned(out)
    }

    fn set(&self, key: &str, value: &str) -> String {
        for_valid_key(key, || format!("$Env:{key} = {}\n", self.quote(value)))
    }

    fn unset(&self, key: &str) -> String {
        for_valid_key(key, || {
            format!("Remove-Item -LiteralPath Env:{key} -ErrorAction SilentlyContinue\n")
        })
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
        "''''",
        r#"'"'"#,
        "'$HOME'",
        "'$(touch /tmp/pwned)'",
        "'`touch /tmp/pwned`'",
        r"'\'",
        r"'a\'",
        r"'\\'",
        "'a\nb'",
        "'a\tb'",
        "'; touch /tmp/pwned'",
        "'naïve ☃ 日本'",
        "'!!'",
        r"'''\'''''",
        "'it\u{2019}\u{2019}s'",
        "'\x1b[31mred\x01\x7f\x1fa'",
        "'it''s \\ \n'",
        "'a\u{85}b'",
    ];

    #[test]
    fn quote_table() {
        assert_eq!(TRICKY.len(), EXPECTED.len());
        for (value, want) in TRICKY.iter().zip(EXPECTED) {
            assert_eq!(Pwsh.quote(value), *want, "value {value:?}");
        }
    }

    #[test]
    fn every_typographic_single_quote_is_doubled() {
        assert_eq!(
            Pwsh.quote("\u{2018}\u{2019}\u{201A}\u{201B}\u{201C}"),
            "'\u{2018}\u{2018}\u{2019}\u{2019}\u{201A}\u{201A}\u{201B}\u{201B}\u{201C}'"
        );
    }

    #[test]
    fn set_and_unset_statements() {
        for (value, want) in TRICKY.iter().zip(EXPECTED) {
            assert_eq!(Pwsh.set("AWS_X", value), format!("$Env:AWS_X = {want}\n"));
        }
        assert_eq!(
            Pwsh.unset("AWS_X"),
            "Remove-Item -LiteralPath Env:AWS_X -ErrorAction SilentlyContinue\n"
        );
    }
}
