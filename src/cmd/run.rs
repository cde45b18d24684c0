//! `awsdo [-- COMMAND…]`: run one command with the credentials, or print them for `eval`.

use std::ffi::OsString;
use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitCode};

use super::Ctx;
use crate::cli::Format;
use crate::creds::{CREDENTIAL_VARS, Credentials};
use crate::shell::{Changes, ShellKind, render};

/// Credentials and region for the profile this run is about, prompting for MFA if needed.
pub fn obtain(ctx: &Ctx) -> anyhow::Result<(Credentials, Option<String>)> {
    let profiles = ctx.profiles()?;
    let name = ctx.profile_name(None);
    let plan = ctx.plan(&profiles, &name)?;
    let env = ctx.getter();
    let resolver = ctx.resolver(&profiles, true, None, &env)?;
    let got = resolver.resolve(&plan)?;
    Ok((got.credentials, plan.region))
}

/// Replace this process with `command`, its environment carrying the credentials. Inherited
/// credential and profile variables are removed first, so the command cannot mix them up.
pub fn exec(ctx: &Ctx, command: &[OsString]) -> anyhow::Result<ExitCode> {
    let (creds, region) = obtain(ctx)?;
    let program = &command[0];
    let mut cmd = Command::new(program);
    cmd.args(&command[1..]);
    for var in CREDENTIAL_VARS
        .iter()
        .chain(&["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
    {
        cmd.env_remove(var);
    }
    for (k, v) in creds.env_vars(region.as_deref()) {
        cmd.env(k, v);
    }
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
    let format = match format {
        Some(f) => f,
        None => default_format(ctx),
    };
    let (creds, region) = obtain(ctx)?;
    let vars = creds.env_vars(region.as_deref());
    let text = format_vars(format, &vars)?;
    super::print_stdout(text)?;
    Ok(ExitCode::SUCCESS)
}

/// The format named by `$SHELL`, else bash (POSIX statements suit most shells).
fn default_format(ctx: &Ctx) -> Format {
    match ctx
        .var_nonempty("SHELL")
        .and_then(|s| crate::shell::detect(&s).ok())
    {
        Some(ShellKind::Zsh) => Format::Zsh,
        Some(ShellKind::Fish) => Format::Fish,
        Some(ShellKind::Pwsh) => Format::Pwsh,
        Some(ShellKind::Nu) => Format::Nu,
        Some(ShellKind::Bash) | None => Format::Bash,
    }
}

/// `vars` in `format`.
pub fn format_vars(format: Format, vars: &[(&'static str, String)]) -> anyhow::Result<String> {
    let shell = match format {
        Format::Bash => ShellKind::Bash,
        Format::Zsh => ShellKind::Zsh,
        Format::Fish => ShellKind::Fish,
        Format::Pwsh => ShellKind::Pwsh,
        Format::Nu => ShellKind::Nu,
        Format::Env => {
            let mut s = String::new();
            for (k, v) in vars {
                anyhow::ensure!(
                    !v.contains('\n'),
                    "could not print {k} as an env line: the value spans lines; use --format json"
                );
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
    let changes = Changes(
        vars.iter()
            .map(|(k, v)| ((*k).to_owned(), Some(v.clone())))
            .collect(),
    );
    Ok(render(shell.shell(), &changes))
}
