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
    let obtain = |profile: &str, may_prompt| Some(obtain(ctx, shell, profile, may_prompt));
    run_with(ctx, shell, force, atomic, obtain)
        .unwrap_or_else(|| Err(anyhow::anyhow!("could not export: no credentials obtained")))
}

/// [`run`] for the prompt hook's small binary (`src/bin/awsdo-export.rs`): the same decisions
/// and output, but credentials only from a fresh cache entry ([`obtain_cached`]). `None` when
/// that is not enough (no fresh entry for the plan, so a fetch, MFA or SSO; server mode; debug
/// logging; any error): nothing was printed, and the full `awsdo` must run the same command
/// line.
pub fn run_cached(
    ctx: &Ctx,
    shell: ShellKind,
    force: bool,
    atomic: Option<&str>,
) -> Option<anyhow::Result<ExitCode>> {
    let obtain = |profile: &str, _may_prompt| obtain_cached(ctx, shell, profile);
    run_with(ctx, shell, force, atomic, obtain)
}

/// The prompt hook's worker with `obtain` as the way to credentials: `None` from `obtain`
/// stops before anything is printed and is returned as `None`.
fn run_with(
    ctx: &Ctx,
    shell: ShellKind,
    force: bool,
    atomic: Option<&str>,
    obtain: impl FnOnce(&str, bool) -> Option<Result<Got, Failure>>,
) -> Option<anyhow::Result<ExitCode>> {
    let atomic = match atomic {
        None => None,
        Some("use") => Some(Atomic::Use),
        Some("login") => Some(Atomic::Login),
        Some(other) => {
            return Some(Err(anyhow::anyhow!(
                "could not export: unknown --atomic value {other:?}"
            )));
        }
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
    let got = match decision.needs() {
        Some((profile, may_prompt)) => Some(obtain(profile, may_prompt)?),
        None => None,
    };
    let expires = got.as_ref().and_then(|g| g.as_ref().ok()?.expires);
    let out = outcome(&state, &wanted, &decision, got, now);
    let text = out
        .changes
        .map(|changes| render_with_mark(shell, changes, out.mark, cache.as_ref()))
        .unwrap_or_default();
    if let Err(err) = super::print_stdout(text) {
        return Some(Err(err));
    }
    if out.announce
        && let Some(profile) = &wanted.profile
    {
        eprintln!("awsdo: {}", using_line(profile, expires, now));
    }
    Some(match out.error {
        Some(message) => Err(anyhow::Error::msg(message)),
        None => Ok(ExitCode::SUCCESS),
    })
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
        let Prepared {
            profiles,
            plan,
            resolver,
        } = ctx.prepare(Some(profile.to_owned()), mode)?;
        let creds = resolver.resolve(&plan)?.credentials;
        // Server mode (DESIGN §9): the shell gets an endpoint for this profile, served by a
        // helper that renews and lives as long as the shell (this process's parent), and
        // nothing to refresh at its prompts.
        let server = ctx.var("AWSDO_SERVER").as_deref() == Some("1");
        let expires = creds.expiration.map(OffsetDateTime::unix_timestamp);
        let (vars, expires) = if server {
            let shell_pid = std::os::unix::process::parent_id();
            let vars = crate::server::shell::start(ctx, &profiles, &plan, creds, shell_pid)?;
            (vars, None)
        } else {
            (creds.env_vars(plan.region.as_deref()), expires)
        };
        carried(shell, profile, vars, expires, resolver.min_ttl)
    };
    got().map_err(|err| Failure {
        message: format!("{err:#}"),
        mfa_needed: err.is::<MfaNeeded>(),
    })
}

/// Credentials for `profile` from a fresh cache entry (or, for a profile of long-lived keys
/// alone, from the plan), as [`obtain`] would serve them without fetching; `None` for
/// everything else, which the full `awsdo` then does (and reports): no cache, no fresh entry
/// for the plan, server mode, a variable or file it would refuse, or
/// credentials `shell` cannot carry. Checks in the same order as [`obtain`] and
/// [`Ctx::resolver`], so an input the full binary reports as an error is never served here.
fn obtain_cached(ctx: &Ctx, shell: ShellKind, profile: &str) -> Option<Result<Got, Failure>> {
    if ctx.var("AWSDO_SERVER").as_deref() == Some("1") || crate::log::enabled() {
        return None;
    }
    for var in ["AWSDO_HOOK_TIMEOUT", crate::helper::TIMEOUT_VAR] {
        if let Some(v) = ctx.var_nonempty(var) {
            parse_duration(&v).ok()?;
        }
    }
    let cache = ctx.cache().ok()??;
    // The files without `Ctx::profiles`' warning on the credentials file's mode: that is
    // shown only below, once this serves, so a hand-over never shows it twice (the cache
    // cannot always remember it was shown).
    let locations = ctx.locations().ok()?;
    let profiles = crate::config::ProfileSet::load(&locations).ok()?;
    let plan = ctx.plan(&profiles, profile).ok()?;
    let min_ttl = ctx.min_ttl().ok()?;
    let creds = match crate::resolve::cached_entry(&cache, &plan, &plan.cache_key()).ok()? {
        Some(entry) if entry.fresh(min_ttl) => entry.credentials,
        // A profile of long-lived keys alone: the plan carries them, nothing is fetched (and
        // nothing cached, so without this every switch to one would start both binaries).
        _ => match plan.steps.as_slice() {
            [step] => step.static_credentials()?,
            _ => return None,
        },
    };
    let expires = creds.expiration.map(OffsetDateTime::unix_timestamp);
    let vars = creds.env_vars(plan.region.as_deref());
    let got = carried(shell, profile, vars, expires, min_ttl).ok()?;
    crate::creds::warn_if_shared(&locations.credentials, Some(&cache));
    Some(Ok(got))
}

/// `vars` as what the hook gets, after refusing what no environment variable can carry (a
/// NUL character) as `awsdo` alone refuses it, rather than cut short by the shell's `eval`.
fn carried(
    shell: ShellKind,
    profile: &str,
    vars: Vec<(&'static str, String)>,
    expires: Option<i64>,
    min_ttl: Duration,
) -> anyhow::Result<Got> {
    let values: Changes = vars.iter().map(|(k, v)| (*k, Some(v.clone()))).collect();
    crate::shell::check_carriable(shell.shell(), profile, &values)?;
    Ok(Got {
        vars,
        expires,
        min_ttl: i64::try_from(min_ttl.as_secs()).unwrap_or(i64::MAX),
    })
}
