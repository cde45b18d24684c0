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
