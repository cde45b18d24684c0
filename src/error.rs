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
    let line = format!("{err:#}").replace('\n', " ");
    eprintln!("awsdo: {line}");
    ExitCode::FAILURE
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
