//! awsdo: turn the profiles of ~/.aws/config into temporary credentials for a command or a shell.
//!
//! `main` only parses the command line, runs it and maps the outcome to an exit code; the work
//! lives in `cmd/`, one file per subcommand, over the modules below.

mod cache;
mod cli;
mod cmd;
mod config;
mod creds;
mod error;
mod log;
mod mfa;
mod plan;
mod resolve;
mod shell;
mod sts;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => error::report(&err),
    }
}
