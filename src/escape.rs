//! Untrusted text made safe to show on a terminal or in one log line.
//!
//! Profile names, `role_arn`, `region`, file paths, helper output and anything quoted from the
//! files or from AWS may hold terminal control sequences (ESC `[`…, OSC 52 clipboard writes,
//! a carriage return that overprints the line). Every message awsdo writes for a person
//! (errors, `explain`, `status`, log lines, the hook's messages at the prompt) passes through
//! [`escape`] (or [`escape_lines`] for several lines) last, so none of those bytes reaches the
//! terminal raw. Machine formats are not escaped here: `--json` output is escaped by JSON's
//! own rules, and shell or `env` output refuses what it cannot carry (`cmd::run::format_vars`).

use std::borrow::Cow;
use std::fmt::Write as _;

/// Whether `c` is shown escaped: the C0 controls (U+0000–U+001F, newline and tab included),
/// DEL (U+007F) and the C1 controls (U+0080–U+009F, which some terminals obey like ESC `[`,
/// ECMA-48 §5.3), and the Unicode bidirectional and line/paragraph separators (U+200E, U+200F,
/// U+2028–U+202E, U+2066–U+2069) that reorder or break what the reader sees (Unicode UAX #9).
pub fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{2028}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// `s` with every [`is_unsafe`] character written as an escape, on one line: `\x1b` for C0
/// controls and DEL (two lowercase hex digits), `\u{9b}` for the others. Everything else is
/// kept as is, so ordinary text (and non-ASCII names) reads unchanged; borrowed when nothing
/// needed escaping.
pub fn escape(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if !is_unsafe(c) {
            out.push(c);
        } else if u32::from(c) < 0x80 {
            let _ = write!(out, "\\x{:02x}", u32::from(c));
        } else {
            let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
        }
    }
    Cow::Owned(out)
}

/// Several lines of text for a person: each line escaped as [`escape`] does, the newlines
/// between them kept (a trailing newline too).
pub fn escape_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.split_inclusive('\n') {
        match line.strip_suffix('\n') {
            Some(body) => {
                out.push_str(&escape(body));
                out.push('\n');
            }
            None => out.push_str(&escape(line)),
        }
    }
    out
}

/// `s` escaped and cut to at most `max` characters (counted after escaping), ending in `…`
/// when cut; never splits an escape such as `\x1b`.
pub fn escape_short(s: &str, max: usize) -> String {
    let escaped = escape(s);
    if escaped.chars().count() <= max {
        return escaped.into_owned();
    }
    let mut out = String::new();
    let mut len = 0;
    for piece in pieces(s) {
        let n = piece.chars().count();
        if len + n + 1 > max {
            break;
        }
        out.push_str(&piece);
        len += n;
    }
    out.push('…');
    out
}

/// The escaped form of each character of `s`, one item per input character.
fn pieces(s: &str) -> impl Iterator<Item = Cow<'_, str>> {
    s.char_indices()
        .map(|(i, c)| escape(&s[i..i + c.len_utf8()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_escaped_and_text_is_kept() {
        assert_eq!(escape("dev"), "dev");
        assert!(matches!(escape("prod-é"), Cow::Borrowed(_)));
        assert_eq!(escape("a\x1b[31mred"), r"a\x1b[31mred");
        assert_eq!(
            escape("cr\rnl\nnul\0del\x7f"),
            r"cr\x0dnl\x0anul\x00del\x7f"
        );
        assert_eq!(escape("c1\u{9b}31m"), r"c1\u{9b}31m");
        assert_eq!(escape("bidi\u{202e}x"), r"bidi\u{202e}x");
        assert_eq!(escape("osc\x1b]52;c;eA==\x07"), r"osc\x1b]52;c;eA==\x07");
    }

    #[test]
    fn lines_keep_their_newlines() {
        assert_eq!(escape_lines("a\x1b\nb\r\n"), "a\\x1b\nb\\x0d\n");
        assert_eq!(escape_lines("no newline"), "no newline");
    }

    #[test]
    fn short_cuts_between_escapes() {
        assert_eq!(escape_short("abc", 3), "abc");
        assert_eq!(escape_short("abcdef", 4), "abc…");
        // `\x1b` is four characters: it is kept whole or dropped whole.
        assert_eq!(escape_short("ab\x1bcdef", 6), "ab…");
        assert_eq!(escape_short("ab\x1bcdef", 7), "ab\\x1b…");
        assert_eq!(escape_short("ééééé", 3), "éé…");
    }
}
