//! `awsdo hook SHELL`: print the snippet for the rc file, with this binary's path in it (and
//! its `export` worker's, `awsdo-export` when installed beside it).

use std::process::ExitCode;

use anyhow::Context;

use crate::shell::ShellKind;

/// Print the hook for `shell`.
pub fn print(shell: ShellKind) -> anyhow::Result<ExitCode> {
    let exe = std::env::current_exe().context("could not find the awsdo binary's path")?;
    let text = shell.shell().hook(&exe, &crate::shell::export_worker(&exe));
    super::print_stdout(text)?;
    Ok(ExitCode::SUCCESS)
}
