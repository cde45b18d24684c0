//! The few errors callers branch on, and how any error becomes one line and an exit code.

use std::io;
use std::process::ExitCode;

/// Leave quietly with this exit code: the message, if any, was already printed.
#[derive(Debug)]
pub struct SilentExit(pub u8);

impl std::fmt::Display for SilentExit {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "exit {}", self.0)
    }
}

impl std::error::Error for SilentExit {}

/// Print `err` as one `awsdo: …` line (unless it is quiet) and pick the exit code.
pub fn report(err: &anyhow::Error) -> ExitCode {
    if let Some(SilentExit(code)) = err.downcast_ref::<SilentExit>() {
        return ExitCode::from(*code);
    }
    // A closed stdout (`awsdo | head`) is the reader's choice, not a failure.
    if err
        .chain()
        .filter_map(|e| e.downcast_ref::<io::Error>())
        .any(|e| e.kind() == io::ErrorKind::BrokenPipe)
    {
        return ExitCode::SUCCESS;
    }
    eprintln!("awsdo: {}", one_line(&format!("{err:#}")));
    ExitCode::FAILURE
}

/// A message as one line for the terminal: line breaks become spaces, then every other control
/// character (and bidi override) is shown escaped (see [`crate::escape`]), whatever file, helper
/// or AWS answer the text was quoted from.
pub fn one_line(message: &str) -> String {
    let joined = message.replace("\r\n", " ").replace('\n', " ");
    crate::escape::escape(&joined).into_owned()
}

/// clap's several-line report as DESIGN §7's one line (without the `awsdo: ` prefix), pointing
/// at the help of the subcommand that was being parsed. A missing argument that takes one of a
/// fixed set of values (`awsdo hook` without a shell) lists them instead of only naming it.
///
/// `argv` is the command line as given (program name first): it tells which subcommand was
/// being parsed when clap's report does not.
pub fn usage_error_line(e: &clap::Error, argv: &[std::ffi::OsString]) -> String {
    use clap::error::{ContextKind, ContextValue, ErrorKind};

    let text = e.render().to_string();
    let path = match subcommand_of(argv) {
        Some(sub) => format!("awsdo {sub}"),
        None => "awsdo".to_owned(),
    };
    if e.kind() == ErrorKind::MissingRequiredArgument
        && let Some(ContextValue::Strings(missing)) = e.get(ContextKind::InvalidArg)
        && let Some(line) = missing_choice(&path, missing)
    {
        return one_line(&line);
    }
    let reason: Vec<&str> = text
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .map(str::trim)
        .collect();
    let reason = reason.join(" ");
    let reason = shorter(reason.strip_prefix("error: ").unwrap_or(&reason));
    // A list of the accepted values is the fix itself; otherwise the help is.
    match reason.split_once(" [possible values: ") {
        Some((what, values)) => {
            let values = values.trim_end_matches(']');
            // "invalid value 'xml' for --format" → "--format takes one of …, not 'xml'".
            let line = match what
                .strip_prefix("invalid value ")
                .and_then(|w| w.rsplit_once(" for "))
            {
                Some((value, arg)) => {
                    match arg.strip_prefix("'<").and_then(|a| a.strip_suffix(">'")) {
                        Some(name) => format!(
                            "could not run {path}: unknown {} {value}; one of: {values}",
                            name.to_lowercase()
                        ),
                        None => format!(
                            "could not run {path}: {arg} takes one of {values}; not {value}"
                        ),
                    }
                }
                None => format!("could not run {path}: {what}; one of: {values}"),
            };
            one_line(&line)
        }
        None => one_line(&format!(
            "could not run {path}: {reason}; see: {path} --help"
        )),
    }
}

/// `'--format <FMT>'` → `--format`: the flag is enough to find it in the help.
fn without_value_names(reason: &str) -> String {
    let mut out = String::with_capacity(reason.len());
    let mut rest = reason;
    while let Some(at) = rest.find("'--") {
        out.push_str(&rest[..at]);
        let tail = &rest[at + 1..];
        match tail.find('\'') {
            Some(end) => {
                let inner = &tail[..end];
                out.push_str(inner.split(' ').next().unwrap_or(inner));
                rest = &tail[end + 1..];
            }
            None => {
                out.push_str(&rest[at..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// clap's wording of the commonest reasons, shortened so that the line fits a terminal:
/// `unexpected argument 'x' found` → `unexpected argument 'x'`, `a value is required for
/// '--profile <NAME>' but none was supplied` → `--profile needs a value`, `the argument
/// '--all' cannot be used with …` → `--all cannot be used with …`.
fn shorter(reason: &str) -> String {
    let reason = reason.replace("' found", "'");
    let reason = reason.strip_prefix("the argument ").unwrap_or(&reason);
    let reason = &without_value_names(reason);
    if let Some(rest) = reason.strip_prefix("a value is required for ")
        && let Some(arg) = rest.strip_suffix(" but none was supplied")
    {
        return format!("{arg} needs a value");
    }
    reason.to_owned()
}

/// The subcommand named in `argv` (program name first): the first word that is not an option,
/// an option's value or after `--`, when it names a subcommand.
fn subcommand_of(argv: &[std::ffi::OsString]) -> Option<String> {
    let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    // Building fills in how many values each flag takes (none for `--disable-cache`).
    cmd.build();
    let takes_value = |arg: &clap::Arg| arg.get_num_args().is_some_and(|n| n.takes_values());
    let mut words = argv.iter().skip(1).map(|w| w.to_string_lossy());
    while let Some(word) = words.next() {
        if word == "--" {
            return None;
        }
        if let Some(long) = word.strip_prefix("--") {
            let flag = cmd.get_arguments().find(|a| a.get_long() == Some(long));
            if !long.contains('=') && flag.is_some_and(takes_value) {
                words.next();
            }
        } else if let Some(short) = word.strip_prefix('-').filter(|s| !s.is_empty()) {
            let mut chars = short.chars();
            let flag = chars
                .next()
                .and_then(|c| cmd.get_arguments().find(|a| a.get_short() == Some(c)));
            if chars.next().is_none() && flag.is_some_and(takes_value) {
                words.next();
            }
        } else {
            return cmd
                .find_subcommand(word.as_ref())
                .map(|s| s.get_name().to_owned());
        }
    }
    None
}

/// `could not run awsdo hook: no shell given; one of: bash, zsh, fish, pwsh` when the first of
/// `missing` (clap's `<SHELL>` form) is a positional with possible values in `path`'s command.
fn missing_choice(path: &str, missing: &[String]) -> Option<String> {
    let mut cmd = <crate::cli::Cli as clap::CommandFactory>::command();
    for name in path.split_whitespace().skip(1) {
        cmd = cmd.find_subcommand(name)?.clone();
    }
    let wanted = missing.first()?.trim_matches(['<', '>', '[', ']', '.']);
    let arg = cmd.get_positionals().find(|a| {
        a.get_value_names()
            .is_some_and(|names| names.iter().any(|n| n.as_str() == wanted))
            || a.get_id().as_str().eq_ignore_ascii_case(wanted)
    })?;
    let values: Vec<String> = arg
        .get_possible_values()
        .iter()
        .filter(|v| !v.is_hide_set())
        .map(|v| v.get_name().to_owned())
        .collect();
    values.first()?;
    Some(format!(
        "could not run {path}: no {} given; one of: {}",
        wanted.to_lowercase(),
        values.join(", ")
    ))
}

/// A code was needed but asking was not allowed (a renewal from the prompt hook).
#[derive(Debug)]
pub struct MfaNeeded {
    /// The profile whose credentials need the code.
    pub profile: String,
}

impl std::fmt::Display for MfaNeeded {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "could not renew credentials for profile {:?}: an MFA code is needed; run: awsdo login {}",
            self.profile, self.profile
        )
    }
}

impl std::error::Error for MfaNeeded {}

/// STS turned the MFA code down; the caller may ask again.
#[derive(Debug)]
pub struct MfaRejected;

impl std::fmt::Display for MfaRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the MFA code was rejected")
    }
}

impl std::error::Error for MfaRejected {}

/// STS said the credentials used for a call have expired (a cached source session went stale
/// early, e.g. revoked); the caller drops that session and tries once more.
#[derive(Debug)]
pub struct SourceExpired;

impl std::fmt::Display for SourceExpired {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the session used to call STS has expired")
    }
}

impl std::error::Error for SourceExpired {}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<std::ffi::OsString> {
        words.iter().map(Into::into).collect()
    }

    #[test]
    fn the_subcommand_is_found_past_global_flags_and_their_values() {
        let of = |w: &[&str]| subcommand_of(&argv(w));
        assert_eq!(of(&["awsdo", "hook", "tcsh"]).as_deref(), Some("hook"));
        assert_eq!(
            of(&["awsdo", "-p", "hook", "explain"]).as_deref(),
            Some("explain")
        );
        assert_eq!(
            of(&["awsdo", "--profile", "x", "-d", "1h", "status"]).as_deref(),
            Some("status")
        );
        assert_eq!(
            of(&["awsdo", "--profile=x", "--disable-cache", "login"]).as_deref(),
            Some("login")
        );
        assert_eq!(
            of(&["awsdo", "-pexplain", "logout"]).as_deref(),
            Some("logout")
        );
        assert_eq!(of(&["awsdo", "--", "explain"]), None);
        assert_eq!(of(&["awsdo", "-p", "x"]), None);
    }

    #[test]
    fn usage_errors_are_one_escaped_line_with_the_choices() {
        use clap::Parser;
        let words = ["awsdo", "hook", "ba\x1b[2Jsh"];
        let e = crate::cli::Cli::try_parse_from(words).unwrap_err();
        let line = usage_error_line(&e, &argv(&words));
        assert!(!line.chars().any(char::is_control), "{line}");
        assert!(
            line.starts_with("could not run awsdo hook: unknown shell")
                && line.ends_with("one of: bash, zsh, fish, pwsh, nu"),
            "{line}"
        );
        let words = ["awsdo", "completions"];
        let e = crate::cli::Cli::try_parse_from(words).unwrap_err();
        assert_eq!(
            usage_error_line(&e, &argv(&words)),
            "could not run awsdo completions: no shell given; one of: bash, zsh, fish, pwsh, nu"
        );
    }
}
