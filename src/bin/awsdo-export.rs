//! awsdo-export: the prompt hook's small worker. The hook runs it for `awsdo export SHELL`
//! when it sits beside `awsdo` (`awsdo hook` looks); it serves a switch or a renewal whose
//! credentials are fresh in the cache (or are keys from the files alone), and hands every
//! other case, unchanged, to the `awsdo` beside it (`exec`, same arguments, environment and
//! descriptors).
//!
//! Why a second binary: a warm switch costs about as much as starting a process, and most of
//! awsdo's start-up is the dynamic loader relocating the whole binary, network stack and AWS
//! SDK included. This one links only the files, the plan, the cache and the shells, so it
//! starts like a small C program (BENCHMARKS.md, issue 15). Its output is `awsdo export`'s,
//! byte for byte: the same library code decides and renders (`cmd::hook_export`).

use std::ffi::OsString;
use std::os::unix::process::CommandExt;
use std::process::ExitCode;

use awsdo::error;

fn main() -> ExitCode {
    // Before any secret is read: no core file, no /proc/PID/mem for others (coredump.rs).
    awsdo::coredump::forbid();
    let argv: Vec<OsString> = std::env::args_os().collect();
    match awsdo::cmd::hook_export(&argv) {
        Some(Ok(code)) => code,
        Some(Err(err)) => error::report(&err),
        None => hand_over(&argv),
    }
}

/// The `argv[0]` a hand-over gives the full `awsdo`.
const HANDED_OVER: &str = "awsdo";

/// Replace this process with the `awsdo` beside it, given the same arguments and the user's
/// core limit. Returns only when that cannot be done, after one line naming the path.
fn hand_over(argv: &[OsString]) -> ExitCode {
    let full = match std::env::current_exe() {
        Ok(exe) => exe.with_file_name("awsdo"),
        Err(err) => {
            eprintln!("awsdo: could not find the awsdo binary beside awsdo-export: {err}");
            return ExitCode::FAILURE;
        }
    };
    let path = full.display().to_string();
    let shown = awsdo::escape::escape(&path);
    // The hand-over names the new program `awsdo` (below): started under that name, this is
    // its own hand-over (`awsdo` beside it is this worker, linked or copied), and another
    // exec would start it again without end.
    if argv.first().is_some_and(|a| a == HANDED_OVER) {
        eprintln!(
            "awsdo: could not run {shown}: it is awsdo-export, not awsdo; install the awsdo it came with beside it"
        );
        return ExitCode::FAILURE;
    }
    let mut cmd = std::process::Command::new(&full);
    cmd.arg0(HANDED_OVER).args(argv.iter().skip(1));
    // The core limit survives exec: awsdo must find the user's, not the 0 set in `main`, as
    // the one it gives its own children back (the dumpable flag is reset by exec itself).
    awsdo::coredump::restore_in_child(&mut cmd);
    let err = cmd.exec();
    eprintln!(
        "awsdo: could not run {shown}: {err}; awsdo-export needs the awsdo it was installed with beside it"
    );
    ExitCode::FAILURE
}
