//! `awsdo hook SHELL`: print the snippet for the rc file, with this binary's path in it.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

use crate::shell::ShellKind;

/// Print the hook for `shell`.
pub fn print(shell: ShellKind) -> anyhow::Result<ExitCode> {
    let exe = std::env::current_exe().context("could not find the awsdo binary's path")?;
    let text = shell.shell().hook(&exe);
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())
        .and_then(|()| out.flush())
        .context("could not write to stdout")?;
    Ok(ExitCode::SUCCESS)
}
