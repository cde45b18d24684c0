//! `AWSDO_LOG=debug`: what awsdo decides and which calls it makes, on stderr.
//!
//! Callers pass only names, ARNs, key ids and counts; secrets never reach a log line. As a
//! second guard, anything that looks like a secret access key or session token is cut out.

use std::sync::OnceLock;

/// Whether `AWSDO_LOG=debug` is set (read once per process).
pub fn enabled() -> bool {
    static ON: OnceLock<bool> = OnceLock::new();
    *ON.get_or_init(|| {
        std::env::var("AWSDO_LOG")
            .map(|v| v.eq_ignore_ascii_case("debug"))
            .unwrap_or(false)
    })
}

/// Print `msg` when debug logging is on: secret-shaped words cut out ([`redact`]), then shown
/// as one escaped line ([`crate::error::one_line`]), since names and ARNs in it come from the
/// files.
pub fn debug(msg: &str) {
    if enabled() {
        eprintln!("awsdo: debug: {}", line(msg));
    }
}

/// The text of a debug line for `msg`, without the `awsdo: debug: ` prefix.
pub fn line(msg: &str) -> String {
    crate::error::one_line(&redact(msg))
}

/// `msg` with any long base64-like run (the shape of a secret key or token) replaced.
pub fn redact(msg: &str) -> String {
    let mut out = String::with_capacity(msg.len());
    for word in msg.split_inclusive(|c: char| c.is_whitespace() || c == '"' || c == '\'') {
        let core = word.trim_end_matches(|c: char| c.is_whitespace() || c == '"' || c == '\'');
        let secretish = core.len() >= 40
            && core
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '/' | '='));
        if secretish {
            out.push_str("<redacted>");
            out.push_str(&word[core.len()..]);
        } else {
            out.push_str(word);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn long_base64_runs_are_redacted() {
        let secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY0000";
        let got = super::redact(&format!("key {secret} end"));
        assert_eq!(got, "key <redacted> end");
        assert_eq!(
            super::redact("arn:aws:iam::123456789012:role/x"),
            "arn:aws:iam::123456789012:role/x"
        );
    }

    #[test]
    fn lines_are_escaped_and_single() {
        assert_eq!(
            super::line("assume role arn:x\x1b[31m\nnext"),
            r"assume role arn:x\x1b[31m next"
        );
    }
}
