//! `awsdo export SHELL`: the prompt hook's worker. It compares `AWS_PROFILE` with what the
//! shell holds (`AWSDO_PROFILE`, `AWSDO_REFRESH_AT`, `AWSDO_STATE`) and prints the statements
//! that bring the shell up to date: a complete set, or nothing. One straight line: read the
//! state, decide, resolve, render, print (the pure part, state and decisions, is
//! `hook_state.rs`).
//!
//! Like direnv it records what it changed, so that unsetting `AWS_PROFILE` removes exactly
//! what awsdo exported and brings back what that replaced. It also records every outcome,
//! failures included, so a failure is reported once rather than at every prompt:
//!
//! - a profile change may ask for an MFA code on the terminal;
//! - a renewal never asks: when it would need a code it prints one `run: awsdo login` line,
//!   keeps the credentials until they expire, then removes them;
//! - network time is bounded by `AWSDO_HOOK_TIMEOUT` (default 5 s).
//!
//! `awsdo use` and `awsdo login` (the hook's shell function) call it with `--atomic`: the
//! function hands over the target profile in this process's `AWS_PROFILE` alone, and applies
//! it to the shell only when this succeeded. A switch that cannot complete then prints nothing
//! and records nothing, so the shell keeps its profile, credentials and markers (DESIGN §6,
//! "A switch is atomic").

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use time::OffsetDateTime;

use super::{Ctx, Mode, Prepared};
use crate::cache::Cache;
use crate::creds::parse_duration;
use crate::error::MfaNeeded;
use crate::hook_state::{
    Atomic, Failure, Got, HookState, Mark, MarkCheck, REFRESH_FILE_VAR, Wanted, decide, outcome,
};
use crate::shell::{Changes, ShellKind, render};

const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// Print what brings the shell up to date, or nothing.
///
/// `atomic` (`"use"` or `"login"`, from the hidden `--atomic` flag) implies `force`, and a
/// failure then prints no statement at all and exits 1 after one line on stderr: the shell
/// function applies nothing, so the shell stays exactly as it was.
///
/// # Errors
/// The line to report (through `error::report`, exit status 1) after the statements are
/// printed: a switch that failed, a renewal that failed for the first time, credentials
/// removed at expiry.
pub fn run(
    ctx: &Ctx,
    shell: ShellKind,
    force: bool,
    atomic: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let atomic = match atomic {
        None => None,
        Some("use") => Some(Atomic::Use),
        Some("login") => Some(Atomic::Login),
        Some(other) => anyhow::bail!("could not export: unknown --atomic value {other:?}"),
    };
    let now = OffsetDateTime::now_utc().unix_timestamp();
    // fish's refresh mark is a file the cache makes and checks (same checks as its entries,
    // whether or not `--disable-cache` is given).
    let cache = Cache::from_env(ctx.user_env()).ok();
    let state = read(ctx, shell, cache.as_ref());
    let wanted = Wanted {
        profile: ctx.var_nonempty("AWS_PROFILE"),
        force,
        atomic,
    };
    let decision = decide(&state, &wanted, now);
    let got = decision
        .needs()
        .map(|(profile, may_prompt)| obtain(ctx, shell, profile, may_prompt));
    let expires = got.as_ref().and_then(|g| g.as_ref().ok()?.expires);
    let out = outcome(&state, &wanted, &decision, got, now);
    let text = out
        .changes
        .map(|changes| render_with_mark(shell, changes, out.mark, cache.as_ref()))
        .unwrap_or_default();
    super::print_stdout(text)?;
    if out.announce
        && let Some(profile) = &wanted.profile
    {
        eprintln!("awsdo: {}", using_line(profile, expires, now));
    }
    match out.error {
        Some(message) => Err(anyhow::Error::msg(message)),
        None => Ok(ExitCode::SUCCESS),
    }
}

/// The hook's state in this shell; for fish, the cache tells whether the refresh mark is
/// still there.
fn read(ctx: &Ctx, shell: ShellKind, cache: Option<&Cache>) -> HookState {
    let mark_is = |path: &Path, at| cache.is_some_and(|c| c.refresh_mark_is(path, at));
    let fish = shell == ShellKind::Fish;
    HookState::read(ctx.env(), fish.then_some(&mark_is as MarkCheck<'_>))
}

/// `changes` as statements for `shell`, with fish's refresh mark made for `mark`.
fn render_with_mark(
    shell: ShellKind,
    mut changes: Changes,
    mark: Mark,
    cache: Option<&Cache>,
) -> String {
    match mark {
        Mark::Keep => {}
        Mark::Remove => changes.put(REFRESH_FILE_VAR, None),
        Mark::At(at) => changes.put(
            REFRESH_FILE_VAR,
            cache
                .and_then(|c| c.refresh_mark(at).ok())
                .map(|p| p.to_string_lossy().into_owned()),
        ),
    }
    render(shell.shell(), &changes)
}

/// `using profile "prod", valid for 58m (until 13:03 UTC)`; without an expiry just the profile.
fn using_line(profile: &str, expires: Option<i64>, now: i64) -> String {
    let until = expires
        .and_then(|exp| OffsetDateTime::from_unix_timestamp(exp).ok())
        .and_then(|exp| {
            exp.format(time::macros::format_description!("[hour]:[minute]"))
                .ok()
        });
    let left =
        expires.map(|exp| Duration::from_secs(u64::try_from(exp.saturating_sub(now)).unwrap_or(0)));
    match (left, until) {
        (Some(left), Some(until)) => format!(
            "using profile {profile:?}, valid for {} (until {until} UTC)",
            super::explain::human(left)
        ),
        _ => format!("using profile {profile:?}"),
    }
}

/// Credentials for `profile` under the hook's deadline; a switch may ask for MFA, a renewal
/// may not. Credentials `shell` cannot carry (a NUL character) are a failure to obtain them.
fn obtain(ctx: &Ctx, shell: ShellKind, profile: &str, may_prompt: bool) -> Result<Got, Failure> {
    let got = || -> anyhow::Result<Got> {
        let budget = match ctx.var_nonempty("AWSDO_HOOK_TIMEOUT") {
            Some(v) => parse_duration(&v).context("could not read AWSDO_HOOK_TIMEOUT")?,
            None => DEFAULT_HOOK_TIMEOUT,
        };
        let mode = Mode {
            may_prompt,
            budget: Some(budget),
            force: false,
        };
        let Prepared { plan, resolver, .. } = ctx.prepare(Some(profile.to_owned()), mode)?;
        let creds = resolver.resolve(&plan)?.credentials;
        // Server mode (DESIGN §9): the shell gets an endpoint for this profile, served by a
        // helper that renews and lives as long as the shell (this process's parent), and
        // nothing to refresh at its prompts.
        let server = ctx.var("AWSDO_SERVER").as_deref() == Some("1");
        let expires = creds.expiration.map(OffsetDateTime::unix_timestamp);
        let (vars, expires) = if server {
            let shell_pid = std::os::unix::process::parent_id();
            let vars = crate::server::shell::start(ctx, &plan, creds, shell_pid)?;
            (vars, None)
        } else {
            (creds.env_vars(plan.region.as_deref()), expires)
        };
        // What no environment variable can carry is refused here as `awsdo` alone refuses it,
        // rather than cut short by the shell's `eval`.
        let values: Changes = vars.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
        crate::shell::check_carriable(shell.shell(), profile, &values)?;
        Ok(Got {
            vars,
            expires,
            min_ttl: i64::try_from(resolver.min_ttl.as_secs()).unwrap_or(i64::MAX),
        })
    };
    got().map_err(|err| Failure {
        message: format!("{err:#}"),
        mfa_needed: err.is::<MfaNeeded>(),
    })
}
