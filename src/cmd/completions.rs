//! `awsdo completions SHELL`: the completion script, generated from the clap definitions.

use std::process::ExitCode;

use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::Cli;
use crate::shell::ShellKind;

/// Print the completion script for `shell`.
pub fn print(shell: ShellKind) -> anyhow::Result<ExitCode> {
    let target = match shell {
        ShellKind::Bash => Target::Bash,
        ShellKind::Zsh => Target::Zsh,
        ShellKind::Fish => Target::Fish,
        ShellKind::Pwsh => Target::PowerShell,
    };
    clap_complete::generate(target, &mut Cli::command(), "awsdo", &mut std::io::stdout());
    Ok(ExitCode::SUCCESS)
}
