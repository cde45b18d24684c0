//! Test support for the shell module: the table of tricky values every dialect is checked
//! against, and the skip policy for external tools (bash, zsh, fish, shellcheck, shfmt, strace).
//!
//! Skip policy: a missing tool prints `skipping: <tool> not found` to stderr and the test
//! passes, unless `AWSDO_TEST_REQUIRE` (comma-separated tool names, or `all`) names it, in
//! which case the test fails. CI sets `AWSDO_TEST_REQUIRE=all` so nothing is skipped silently.

use std::path::{Path, PathBuf};

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

/// Whether `AWSDO_TEST_REQUIRE` names `tool` (or is `all`).
fn required(tool: &str) -> bool {
    std::env::var("AWSDO_TEST_REQUIRE").is_ok_and(|list| listed(&list, tool))
}

/// Whether the comma-separated `list` names `tool` or is `all`.
fn listed(list: &str, tool: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|t| t == "all" || t == tool)
}

/// The path of `tool` on `PATH`, or `None` after printing the skip notice; panics instead when
/// the tool is required.
pub fn tool(tool: &str) -> Option<PathBuf> {
    let found = std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join(tool))
            .find(|p| is_executable(p))
    });
    if found.is_none() {
        skip(tool);
    }
    found
}

/// Reports `tool` as missing: the skip notice, or a panic when `AWSDO_TEST_REQUIRE` names it.
/// For things that are not programs on `PATH` too (`tree-sitter-pwsh`: an npm install).
pub fn skip(tool: &str) {
    assert!(
        !required(tool),
        "{tool} not found but AWSDO_TEST_REQUIRE requires it"
    );
    eprintln!("skipping: {tool} not found");
}

#[cfg(unix)]
fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    p.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

#[cfg(not(unix))]
fn is_executable(p: &Path) -> bool {
    p.is_file()
}

#[test]
fn a_missing_tool_is_none() {
    let name = "awsdo-no-such-tool";
    if !required(name) {
        assert_eq!(tool(name), None);
    }
}

#[test]
fn require_list_parsing() {
    // Only the parsing; the env var itself is left alone (tests run in parallel).
    let parse = listed;
    assert!(parse("all", "fish"));
    assert!(parse("bash, fish", "fish"));
    assert!(!parse("bash,zsh", "fish"));
    assert!(!parse("", "fish"));
}
