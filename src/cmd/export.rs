//! `awsdo export SHELL`: the hook's worker (filled in by the shell-integration work).

use std::process::ExitCode;

use super::Ctx;
use crate::shell::ShellKind;

/// Print what brings the shell up to date, or nothing.
pub fn run(_ctx: &Ctx, _shell: ShellKind, _force: bool) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}
