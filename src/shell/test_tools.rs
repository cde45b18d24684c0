//! The table of tricky values every shell dialect is checked against: by the unit tests of each
//! dialect here, and by the real shells in `tests/it/real_shells.rs`, which includes this file.

/// Values that break naive quoting; each dialect's tests hold the expected literal per entry.
pub const TRICKY: &[&str] = &[
    "",
    "a b",
    "'",
    "\"",
    "$HOME",
    "$(touch /tmp/pwned)",
    "`touch /tmp/pwned`",
    "\\",
    "a\\",
    "\\\\",
    "a\nb",
    "a\tb",
    "; touch /tmp/pwned",
    "naïve ☃ 日本",
    "!!",
    "'\\''",
    "it\u{2019}s",
    "\x1b[31mred\x01\x7f\x1fa",
    "it's \\ \n",
    "a\u{85}b",
];
