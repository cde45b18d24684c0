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
    let argv: Vec<std::ffi::OsString> = std::env::args_os().collect();
    // The credential endpoint's helper (`awsdo __serve`, started by `awsdo --server` with its
    // setup on stdin and the socket on fd 3) is not a command for users: it is kept out of
    // clap, so help, completions and man pages never offer it.
    if argv.get(1).is_some_and(|a| a == awsdo::server::HELPER_ARG) && argv.len() == 2 {
        return match awsdo::server::serve() {
            Ok(code) => code,
            Err(err) => error::report(&err),
        };
    }
    // The prompt hook's own command lines and `[-p NAME] -- COMMAND` skip clap (a third of a
    // warm switch's instructions).
    let fast = cli::Cli::hook_command_line(&argv).or_else(|| cli::Cli::wrapped_command_line(&argv));
    let parsed = match fast {
        Some(cli) => Ok(cli),
        None => cli::Cli::try_parse_from(&argv),
    };
    let cli = match parsed {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            // clap's several-line report becomes DESIGN §7's one line.
            eprintln!("awsdo: {}", error::usage_error_line(&e, &argv));
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = cli.check() {
        eprintln!("awsdo: {}", error::usage_error_line(&e, &argv));
        return ExitCode::FAILURE;
    }
    match cmd::run(cli) {
        Ok(code) => code,
        Err(err) => error::report(&err),
    }
}
