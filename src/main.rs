//! awsdo: turn the profiles of ~/.aws/config into temporary credentials for a command or a shell.
//!
//! `main` only parses the command line, runs it and maps the outcome to an exit code; the work
//! lives in `cmd/`, one file per subcommand, over the library's modules.

use std::process::ExitCode;

use awsdo::{cli, cmd, error};
use clap::Parser;
use clap::error::ErrorKind;

fn main() -> ExitCode {
    // Before any secret is read: no core file, no /proc/PID/mem for others (coredump.rs).
    awsdo::coredump::forbid();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's several-line report becomes DESIGN §7's one line.
            let text = e.render().to_string();
            let first: Vec<&str> = text
                .lines()
                .take_while(|l| !l.trim().is_empty())
                .map(str::trim)
                .collect();
            let first = first.join(" ");
            let reason = first.strip_prefix("error: ").unwrap_or(&first);
            eprintln!("awsdo: could not parse the command line: {reason}; see: awsdo --help");
            return ExitCode::FAILURE;
        }
    };
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => error::report(&err),
    }
}
