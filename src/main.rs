//! awsdo: turn the profiles of ~/.aws/config into temporary credentials for a command or a shell.
//!
//! `main` only parses the command line, runs it and maps the outcome to an exit code; the work
//! lives in `cmd/`, one file per subcommand, over the library's modules.

use std::process::ExitCode;

use awsdo::{cli, cmd, error};
use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => error::report(&err),
    }
}
