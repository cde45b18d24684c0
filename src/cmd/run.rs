//! `awsdo [-- COMMAND…]`: run one command with the credentials, or print them for `eval`.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use super::{Ctx, Mode};
use crate::cli::Format;
use crate::creds::Credentials;
use crate::shell::{Changes, ShellKind, render};

/// Credentials and region for the profile this run is about, prompting for MFA if needed.
pub fn obtain(ctx: &Ctx) -> anyhow::Result<(Credentials, Option<String>)> {
    let (credentials, plan) = ctx.credentials(None, Mode::COMMAND)?;
    Ok((credentials, plan.region))
}

/// Replace this process with `command`, its environment carrying the credentials.
///
/// The command starts from the user's own environment (`Env::user`: no prompt-hook state, no
/// keys or region the hook exported for the shell's profile), without credential and profile
/// variables, with the profile's credentials, and its region when the chain names one (else
/// the user's own region stays). A shell started this way holds the profile's credentials and
/// its hook starts clean.
///
/// `server` (`--server`, `AWSDO_SERVER=1`): the command gets a credential endpoint instead of
/// keys (`crate::server`), served by a helper that dies with it.
pub fn exec(ctx: &Ctx, command: &[OsString], server: bool) -> anyhow::Result<ExitCode> {
    let env = if server {
        crate::server::start(ctx)?
    } else {
        let (creds, region) = obtain(ctx)?;
        ctx.user_env()
            .for_command(creds.env_vars(region.as_deref()))
    };
    let program = &command[0];
    let mut cmd = Command::new(program);
    cmd.args(&command[1..]);
    cmd.env_clear().envs(env.iter());
    crate::coredump::restore_in_child(&mut cmd);
    // exec only returns on failure.
    let err = cmd.exec();
    let shown = program.to_string_lossy();
    let code = match err.kind() {
        io::ErrorKind::NotFound => {
            eprintln!("awsdo: could not run {shown:?}: command not found");
            127
        }
        io::ErrorKind::PermissionDenied => {
            eprintln!("awsdo: could not run {shown:?}: permission denied");
            126
        }
        _ => {
            eprintln!("awsdo: could not run {shown:?}: {err}");
            126
        }
    };
    Err(crate::error::SilentExit(code).into())
}

/// Print the credentials as statements for `eval` (or as env lines / JSON).
pub fn print(ctx: &Ctx, format: Option<Format>) -> anyhow::Result<ExitCode> {
    let format = format.unwrap_or_else(|| default_format(ctx));
    let (creds, region) = obtain(ctx)?;
    let vars = creds.env_vars(region.as_deref());
    let text = format_vars(format, &ctx.profile_name(None), &vars)?;
    super::print_stdout(text)?;
    Ok(ExitCode::SUCCESS)
}

/// The format named by `$SHELL`, else bash (POSIX statements suit most shells).
fn default_format(ctx: &Ctx) -> Format {
    let kind = ctx
        .var_nonempty("SHELL")
        .and_then(|s| crate::shell::detect(&s).ok())
        .unwrap_or(ShellKind::Bash);
    Format::Shell(kind)
}

/// `vars` (the credentials of `profile`) in `format`.
///
/// # Errors
/// One line naming the variable and the profile, never the value, when a value cannot be
/// carried: `env` lines (`KEY=value`, no quoting, one per line: the format of `docker
/// --env-file` and systemd's `EnvironmentFile`) take no control character (CR, LF, NUL, ESC,
/// …); no shell takes NUL ([`crate::shell::check_carriable`]). JSON carries any value.
pub fn format_vars(
    format: Format,
    profile: &str,
    vars: &[(&'static str, String)],
) -> anyhow::Result<String> {
    let shell = match format {
        Format::Shell(kind) => kind,
        Format::Env => {
            let mut s = String::new();
            for (k, v) in vars {
                if let Some(c) = v.chars().find(|c| c.is_control()) {
                    anyhow::bail!(
                        "could not print the credentials of profile {:?} as env lines: {k} holds a control character ({}); use --format json",
                        crate::escape::escape(profile),
                        crate::escape::escape(&c.to_string())
                    );
                }
                s.push_str(&format!("{k}={v}\n"));
            }
            return Ok(s);
        }
        Format::Json => {
            let map: serde_json::Map<String, serde_json::Value> = vars
                .iter()
                .map(|(k, v)| ((*k).to_owned(), serde_json::Value::String(v.clone())))
                .collect();
            return Ok(format!("{}\n", serde_json::Value::Object(map)));
        }
    };
    // A complete set: what these credentials lack (a session token, an expiry) is unset, so
    // `eval "$(awsdo -p A)"; eval "$(awsdo -p B)"` never leaves A's token beside B's keys.
    // The region is left alone when the profile names none, as for `awsdo -- cmd`. nushell's
    // record stays `set` only: `load-env $in.set` is how it is applied by hand.
    let mut changes: Changes = vars.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
    if shell != ShellKind::Nu {
        for name in crate::creds::CREDENTIAL_VARS {
            changes.unset_unless_changed(name);
        }
    }
    crate::shell::check_carriable(shell.shell(), profile, &changes)?;
    Ok(render(shell.shell(), &changes))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";

    #[test]
    fn shell_formats_are_a_complete_set_that_unsets_what_the_credentials_lack() {
        let vars = [
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE".to_owned()),
            ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
        ];
        let bash = format_vars(Format::Shell(ShellKind::Bash), "static", &vars).unwrap();
        for name in [
            "AWS_SESSION_TOKEN",
            "AWS_SECURITY_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
        ] {
            assert!(bash.contains(&format!("unset -v {name}")), "{bash}");
        }
        assert!(!bash.contains("AWS_REGION"), "{bash}");
        let fish = format_vars(Format::Shell(ShellKind::Fish), "static", &vars).unwrap();
        assert!(fish.contains("AWS_SESSION_TOKEN"), "{fish}");
        let nu = format_vars(Format::Shell(ShellKind::Nu), "static", &vars).unwrap();
        assert!(!nu.contains("AWS_SESSION_TOKEN"), "{nu}");
    }

    #[test]
    fn env_refuses_control_characters_naming_variable_and_profile() {
        for bad in [
            "us-east-1\r",
            "a\nb",
            "a\0b",
            "a\x1b[2Jb",
            "a\tb",
            "a\u{85}b",
        ] {
            let vars = [
                ("AWS_SECRET_ACCESS_KEY", SECRET.to_owned()),
                ("AWS_REGION", bad.to_owned()),
            ];
            let err = format_vars(Format::Env, "dev", &vars)
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("AWS_REGION") && err.contains("\"dev\""),
                "{err}"
            );
            assert!(
                !err.contains(SECRET) && !err.chars().any(char::is_control),
                "{err}"
            );
        }
        let vars = [("AWS_SESSION_TOKEN", format!("{SECRET}\r"))];
        let err = format_vars(Format::Env, "dev", &vars)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("AWS_SESSION_TOKEN") && !err.contains(SECRET),
            "{err}"
        );
        let ok = [("AWS_REGION", "eu-west-1".to_owned())];
        assert_eq!(
            format_vars(Format::Env, "dev", &ok).unwrap(),
            "AWS_REGION=eu-west-1\n"
        );
    }

    #[test]
    fn shells_refuse_nul_and_json_carries_everything() {
        let vars = [("AWS_SESSION_TOKEN", format!("{SECRET}\0x"))];
        for f in [
            Format::Shell(ShellKind::Bash),
            Format::Shell(ShellKind::Zsh),
            Format::Shell(ShellKind::Fish),
            Format::Shell(ShellKind::Pwsh),
        ] {
            let err = format_vars(f, "dev", &vars).unwrap_err().to_string();
            assert!(
                err.contains("AWS_SESSION_TOKEN") && !err.contains(SECRET),
                "{err}"
            );
        }
        let json = format_vars(Format::Json, "dev", &vars).unwrap();
        assert!(json.contains("\\u0000"), "{json}");
    }
}
