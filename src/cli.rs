//! The command line, as clap types only: no I/O happens here.
//!
//! The flags of the original Go awsdo keep their meaning (DESIGN §2); everything new is a
//! subcommand, so `awsdo -- NAME` always runs a program even when NAME collides with one.

use std::ffi::OsString;

use clap::builder::PossibleValue;
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::shell::ShellKind;

const EXAMPLES: &str = "\
Examples:
  awsdo -p prod -- terraform plan   run one command with prod's credentials
  eval \"$(awsdo -p prod)\"           export them into this shell once
  eval \"$(awsdo hook zsh)\"          (in ~/.zshrc) follow AWS_PROFILE
  awsdo use prod                    switch this shell to prod (needs the hook)
  awsdo explain prod                how prod's credentials are obtained

Exit status: the command's own with `--`; 1 when awsdo fails;
127 when the command is not found.";

/// awsdo: temporary AWS credentials for commands and shells.
#[derive(Debug, Parser)]
#[command(
    name = "awsdo",
    version,
    about = "Temporary AWS credentials for a command or a shell, worked out from ~/.aws/config",
    after_help = EXAMPLES,
    subcommand_negates_reqs = true
)]
pub struct Cli {
    #[command(flatten)]
    pub creds: CredsArgs,

    /// With no command: the format of the printed credentials (default: from $SHELL).
    #[arg(long, value_enum, value_name = "FMT")]
    pub format: Option<Format>,

    /// Open (or print, with no display) an AWS console sign-in URL for the credentials.
    #[arg(long)]
    pub login: bool,

    /// With a command: serve refreshing credentials from a local endpoint instead of putting
    /// keys in its environment, so it outlives its first session (also AWSDO_SERVER=1).
    #[arg(long)]
    pub server: bool,

    /// The command to run with the credentials in its environment (after `--`).
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<OsString>,

    #[command(subcommand)]
    pub subcommand: Option<Command>,
}

impl Cli {
    /// Refuse what the parser lets through because the credential flags are global: `--format`,
    /// `--login` and `-- COMMAND` belong to `awsdo` with no subcommand (DESIGN §2), while
    /// `-p`, `-r`, `-s`, `-d`, `-n`, `-c` and `--disable-cache` work before or after one
    /// (`awsdo -p ops explain` = `awsdo explain -p ops`).
    ///
    /// # Errors
    /// An `ArgumentConflict` naming the flag.
    pub fn check(&self) -> Result<(), clap::Error> {
        // The command tree is built only for an error: building it costs as much as the parse.
        let error =
            |kind, message: String| <Cli as clap::CommandFactory>::command().error(kind, message);
        if self.subcommand.is_none() {
            if self.server && self.command.is_empty() {
                return Err(error(
                    clap::error::ErrorKind::MissingRequiredArgument,
                    "--server goes with a command: awsdo --server -- COMMAND".to_owned(),
                ));
            }
            return Ok(());
        }
        let stray = if self.format.is_some() {
            "--format"
        } else if self.login {
            "--login"
        } else if self.server {
            "--server"
        } else if !self.command.is_empty() {
            "-- COMMAND"
        } else {
            return Ok(());
        };
        Err(error(
            clap::error::ErrorKind::ArgumentConflict,
            format!("{stray} only goes with awsdo alone"),
        ))
    }

    /// The command lines the prompt hook runs, recognised without clap: `awsdo export SHELL`
    /// and `awsdo export SHELL --atomic use|login` (`shell/awsdo.*`), exactly as the hook
    /// writes them. Anything else is `None` and goes through [`Parser::try_parse_from`].
    ///
    /// Building clap's command tree and parsing is about a third of a warm switch's own
    /// instructions (BENCHMARKS.md, issue 15); for these argument vectors the result is the
    /// same value clap gives (`tests::the_hooks_command_lines_parse_as_clap_parses_them`).
    pub fn hook_command_line(argv: &[OsString]) -> Option<Cli> {
        let words: Vec<&str> = argv
            .iter()
            .skip(1)
            .map(|a| a.to_str())
            .collect::<Option<_>>()?;
        let (shell, atomic) = match words.as_slice() {
            ["export", shell] => (shell, None),
            ["export", shell, "--atomic", why @ ("use" | "login")] => (shell, Some(*why)),
            _ => return None,
        };
        let shell = ShellKind::from_str(shell, false).ok()?;
        Some(Cli {
            creds: CredsArgs::default(),
            format: None,
            login: false,
            server: false,
            command: Vec::new(),
            subcommand: Some(Command::Export {
                shell,
                force: false,
                atomic: atomic.map(str::to_owned),
            }),
        })
    }

    /// `awsdo -- COMMAND [ARGS...]` and `awsdo -p NAME -- COMMAND [ARGS...]` recognised
    /// without clap, for the same reason as [`Cli::hook_command_line`]: running one command
    /// is the other start-up that is all overhead. `NAME` must be UTF-8 and not start with
    /// `-`; any other form (`--profile`, `-pNAME`, more flags, no command) goes through clap.
    /// The result is clap's value (`tests::wrapped_commands_parse_as_clap_parses_them`).
    pub fn wrapped_command_line(argv: &[OsString]) -> Option<Cli> {
        let (profile, command) = match argv.get(1..)? {
            [dashes, command @ ..] if dashes == "--" => (None, command),
            [flag, name, dashes, command @ ..] if flag == "-p" && dashes == "--" => {
                let name = name
                    .to_str()
                    .filter(|n| !n.is_empty() && !n.starts_with('-'))?;
                (Some(name.to_owned()), command)
            }
            _ => return None,
        };
        if command.is_empty() {
            return None;
        }
        Some(Cli {
            creds: CredsArgs {
                profile,
                ..CredsArgs::default()
            },
            format: None,
            login: false,
            server: false,
            command: command.to_vec(),
            subcommand: None,
        })
    }
}

/// The flags that choose and shape the credentials; every subcommand that obtains credentials
/// takes them too.
#[derive(Debug, Clone, Default, Args, serde::Serialize, serde::Deserialize)]
pub struct CredsArgs {
    /// Profile [default: $AWS_PROFILE, then $AWS_DEFAULT_PROFILE, then "default"].
    #[arg(short = 'p', long, value_name = "NAME", global = true)]
    pub profile: Option<String>,

    /// Assume this role (overrides the profile's role_arn).
    #[arg(short = 'r', long, value_name = "ARN", global = true)]
    pub role_arn: Option<String>,

    /// Profile whose credentials are used to assume the role (overrides source_profile).
    #[arg(short = 's', long, value_name = "NAME", global = true)]
    pub source_profile: Option<String>,

    /// Session length: 1h, 90m, 1h30m, 3600 or 3600s.
    #[arg(short = 'd', long, value_name = "DUR", global = true)]
    pub duration: Option<String>,

    /// MFA device ARN (overrides mfa_serial and discovery).
    #[arg(short = 'n', long, value_name = "ARN", global = true)]
    pub serial_number: Option<String>,

    /// MFA code, for scripts and pipes where no terminal can be asked.
    #[arg(short = 'c', long, value_name = "CODE", global = true)]
    pub token_code: Option<String>,

    /// Neither read nor write the cache.
    #[arg(long, global = true)]
    pub disable_cache: bool,
}

/// Output formats for `awsdo` with no command: statements for a shell, `KEY=value` lines, or
/// one JSON object. On the command line: `bash`, `zsh`, `fish`, `pwsh` (`powershell`), `nu`
/// (`nushell`), `env`, `json`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Statements (for nu: one record) in that shell's dialect (`shell/`).
    Shell(ShellKind),
    /// KEY=value lines.
    Env,
    /// one JSON object.
    Json,
}

/// Every format, in the order `--help` lists them: the shells in `ShellKind`'s order, then
/// `env` and `json`.
static FORMATS: std::sync::LazyLock<Vec<Format>> = std::sync::LazyLock::new(|| {
    ShellKind::value_variants()
        .iter()
        .map(|kind| Format::Shell(*kind))
        .chain([Format::Env, Format::Json])
        .collect()
});

impl ValueEnum for Format {
    fn value_variants<'a>() -> &'a [Self] {
        &FORMATS
    }

    /// The shells' names and aliases are `ShellKind`'s, so `--format` takes what `awsdo hook`
    /// takes; only the help differs.
    fn to_possible_value(&self) -> Option<PossibleValue> {
        let kind = match self {
            Format::Env => return Some(PossibleValue::new("env").help("KEY=value lines")),
            Format::Json => return Some(PossibleValue::new("json").help("one JSON object")),
            Format::Shell(kind) => kind,
        };
        let help = match kind {
            ShellKind::Bash => "export statements for bash (POSIX quoting)",
            ShellKind::Zsh => "export statements for zsh (POSIX quoting)",
            ShellKind::Fish => "set -gx statements for fish (fish quoting)",
            ShellKind::Pwsh => "$env: assignments for PowerShell",
            ShellKind::Nu => {
                "nushell: one JSON record {\"set\": {...}, \"hide\": []}, for `load-env $in.set`"
            }
        };
        kind.to_possible_value().map(|v| v.help(help))
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the shell hook for the rc file: credentials then follow AWS_PROFILE.
    #[command(
        after_help = "Examples:\n  eval \"$(awsdo hook bash)\"       # ~/.bashrc\n  eval \"$(awsdo hook zsh)\"        # ~/.zshrc\n  awsdo hook fish | source        # ~/.config/fish/config.fish\n  Invoke-Expression (& awsdo hook pwsh | Out-String)   # $PROFILE\n  awsdo hook nu | save -f ($nu.default-config-dir | path join awsdo.nu)\n    # then in config.nu: source ($nu.default-config-dir | path join awsdo.nu)"
    )]
    Hook {
        /// The shell whose rc file loads the hook.
        #[arg(value_enum)]
        shell: ShellKind,
    },
    /// The hook's worker: print what brings this shell up to date, or nothing.
    #[command(after_help = "Example:\n  eval \"$(awsdo export bash)\"")]
    Export {
        /// The shell that evaluates the output.
        #[arg(value_enum)]
        shell: ShellKind,
        /// Refresh even when the shell is up to date (used by `awsdo use`).
        #[arg(long)]
        force: bool,
        /// Set by the hook's `awsdo use` / `awsdo login`: a switch that cannot complete prints
        /// nothing and exits 1, so the shell stays as it was; `use` reports success in a line.
        #[arg(long, hide = true, value_parser = ["use", "login"])]
        atomic: Option<String>,
    },
    /// Switch this shell's profile now (a shell function installed by the hook).
    #[command(after_help = "Example:\n  awsdo use prod && terraform plan")]
    Use {
        /// The profile to switch to.
        #[arg(id = "profile_name", value_name = "PROFILE")]
        profile: Option<String>,
        /// Remove AWS_PROFILE and the credentials awsdo exported.
        #[arg(long)]
        unset: bool,
    },
    /// How credentials for a profile are obtained; no network, no prompt.
    #[command(after_help = "Examples:\n  awsdo explain prod\n  awsdo explain prod --json")]
    Explain {
        /// The profile to explain [default: as for -p].
        #[arg(id = "profile_name", value_name = "PROFILE")]
        profile: Option<String>,
        /// Print one JSON object (profile, region, steps, cache) instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Every profile with its kind and the remaining life of its cached session.
    #[command(after_help = "Example:\n  awsdo status")]
    Status {
        /// Print only the profile names, one per line (for shell completion).
        #[arg(long, hide = true)]
        names: bool,
    },
    /// Get fresh credentials now (asking for MFA if needed, signing in to IAM Identity Center
    /// for an SSO profile) and cache them.
    #[command(
        after_help = "Examples:\n  awsdo login prod\n  awsdo login --device-code sso-dev   # sign in on another device"
    )]
    Login {
        /// The profile to log in to [default: as for -p].
        #[arg(id = "profile_name", value_name = "PROFILE")]
        profile: Option<String>,
        /// SSO: sign in with a device code (a URL and a code to open anywhere) instead of
        /// this machine's browser; the default over SSH and without a display.
        #[arg(long)]
        device_code: bool,
    },
    /// Delete cached sessions (and sign out of IAM Identity Center for an SSO profile).
    #[command(after_help = "Examples:\n  awsdo logout prod\n  awsdo logout --all")]
    Logout {
        /// The profile whose cached sessions to delete [default: as for -p].
        #[arg(id = "profile_name", value_name = "PROFILE")]
        profile: Option<String>,
        /// Delete every cached session of every profile.
        #[arg(long, conflicts_with = "profile_name")]
        all: bool,
    },
    /// Print Version 1 JSON for `credential_process = awsdo credential-process -p NAME`.
    #[command(
        after_help = "Example (in ~/.aws/config):\n  credential_process = awsdo credential-process -p base"
    )]
    CredentialProcess,
    /// Open (or print) an AWS console sign-in URL for the profile's credentials.
    #[command(after_help = "Example:\n  awsdo console -p prod")]
    Console,
    /// Print a completion script (profile names are completed from your config).
    #[command(
        after_help = "Examples:\n  awsdo completions bash > ~/.local/share/bash-completion/completions/awsdo\n  awsdo completions zsh > ~/.zfunc/_awsdo   # fpath+=(~/.zfunc) before compinit\n  awsdo completions fish > ~/.config/fish/completions/awsdo.fish\n  awsdo completions pwsh >> $PROFILE"
    )]
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: ShellKind,
    },
    /// Print a man page (roff), generated from this help: awsdo's, or a subcommand's.
    #[command(
        hide = true,
        after_help = "Examples:\n  awsdo man > ~/.local/share/man/man1/awsdo.1\n  awsdo man hook > ~/.local/share/man/man1/awsdo-hook.1"
    )]
    Man {
        /// The subcommand whose page to print (default: the page for awsdo itself).
        subcommand: Option<String>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn argv(words: &[&str]) -> Vec<OsString> {
        std::iter::once("awsdo")
            .chain(words.iter().copied())
            .map(OsString::from)
            .collect()
    }

    #[test]
    fn the_hooks_command_lines_parse_as_clap_parses_them() {
        let mut names = Vec::new();
        for kind in ShellKind::value_variants() {
            let value = kind.to_possible_value().unwrap();
            names.extend(value.get_name_and_aliases().map(str::to_owned));
        }
        assert!(names.len() >= 7, "{names:?}");
        for name in &names {
            for tail in [&[][..], &["--atomic", "use"], &["--atomic", "login"]] {
                let words: Vec<&str> = ["export", name.as_str()]
                    .iter()
                    .chain(tail)
                    .copied()
                    .collect();
                let fast = Cli::hook_command_line(&argv(&words))
                    .unwrap_or_else(|| panic!("{words:?} is a hook command line"));
                let clap = Cli::try_parse_from(argv(&words)).unwrap();
                assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{words:?}");
            }
        }
    }

    #[test]
    fn wrapped_commands_parse_as_clap_parses_them() {
        use std::os::unix::ffi::OsStringExt;
        let odd = OsString::from_vec(vec![b'a', 0xff, b'b']);
        let cases: Vec<Vec<OsString>> = vec![
            argv(&["--", "terraform", "apply"]),
            argv(&["-p", "prod", "--", "true"]),
            argv(&["-p", "prod", "--", "aws", "-p", "x", "--", "--help"]),
            argv(&["-p", "it's a name", "--", "env"]),
            argv(&["--", "--version"]),
            argv(&["--", "-p", "prod"]),
            [argv(&["-p", "prod", "--"]), vec![odd.clone(), odd]].concat(),
        ];
        for words in cases {
            let fast = Cli::wrapped_command_line(&words)
                .unwrap_or_else(|| panic!("{words:?} is a wrapped command"));
            let clap = Cli::try_parse_from(&words).unwrap();
            assert_eq!(format!("{fast:?}"), format!("{clap:?}"), "{words:?}");
        }
        for words in [
            &["--"][..],
            &["-p", "prod", "--"],
            &["-p", "-x", "--", "true"],
            &["-p", "", "--", "true"],
            &["--profile", "prod", "--", "true"],
            &["-pprod", "--", "true"],
            &["-p", "prod", "-d", "1h", "--", "true"],
            &["--server", "--", "true"],
            &["-p", "prod", "true"],
            &["export", "bash"],
        ] {
            assert!(
                Cli::wrapped_command_line(&argv(words)).is_none(),
                "{words:?}"
            );
        }
    }

    #[test]
    fn every_other_command_line_goes_through_clap() {
        for words in [
            &["export"][..],
            &["export", "bogus"],
            &["export", "BASH"],
            &["export", "bash", "--force"],
            &["export", "bash", "--atomic"],
            &["export", "bash", "--atomic", "other"],
            &["export", "bash", "-p", "prod"],
            &["-p", "prod", "export", "bash"],
            &["export", "bash", "extra"],
            &["export", "--help"],
            &["use", "prod"],
            &[],
        ] {
            assert!(Cli::hook_command_line(&argv(words)).is_none(), "{words:?}");
        }
    }
}
