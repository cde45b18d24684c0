//! `awsdo export SHELL`: the prompt hook's worker. It compares `AWS_PROFILE` with what the
//! shell holds (`AWSDO_PROFILE`, `AWSDO_REFRESH_AT`, `AWSDO_STATE`) and prints the statements
//! that bring the shell up to date: a complete set, or nothing.
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

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{Ctx, Mode};
use crate::creds::{Credentials, parse_duration};
use crate::error::{MfaNeeded, SilentExit};
use crate::shell::{Changes, ShellKind, render};

/// The profile whose credentials the shell holds.
pub const PROFILE_VAR: &str = "AWSDO_PROFILE";
/// Epoch seconds after which the next prompt runs `awsdo export` again; unset: never.
pub const REFRESH_VAR: &str = "AWSDO_REFRESH_AT";
/// For fish, which has no clock builtin: a file whose mtime is the refresh time.
pub const REFRESH_FILE_VAR: &str = "AWSDO_REFRESH_FILE";
/// JSON: which variables awsdo set and what they replaced.
pub const STATE_VAR: &str = "AWSDO_STATE";

const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(5);
/// How soon a failed renewal is tried again.
const RETRY_AFTER: i64 = 60;

/// What awsdo changed in this shell.
#[derive(Debug, Default, Serialize, Deserialize)]
struct State {
    /// Variables awsdo set.
    #[serde(default)]
    owned: Vec<String>,
    /// Their values before awsdo first set them (absent: they were unset).
    #[serde(default)]
    saved: BTreeMap<String, String>,
    /// A failed renewal ("MFA needed", STS unreachable…) was reported for the current
    /// credentials; later retries stay quiet until one succeeds or the credentials expire.
    #[serde(default)]
    hinted: bool,
}

impl State {
    /// The state with only the variables awsdo sets (credentials and region): `AWSDO_STATE` is
    /// an ordinary variable, and a forged or stale one must not make the hook unset or
    /// "restore" `PATH` or `HOME`. The same rule as `env::Env::user`.
    fn only_awsdos(mut self) -> State {
        let ours = |name: &str| {
            crate::creds::CREDENTIAL_VARS.contains(&name) || crate::env::REGION_VARS.contains(&name)
        };
        self.owned.retain(|name| ours(name));
        self.saved.retain(|name, _| ours(name));
        self
    }
}

/// Who asked for an atomic switch (`awsdo export --atomic use|login`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Atomic {
    /// `awsdo use PROFILE`: success is reported in one line naming the profile and its expiry.
    Use,
    /// `awsdo login` through the function: login already reported success.
    Login,
}

/// Print what brings the shell up to date, or nothing.
///
/// `atomic` (`"use"` or `"login"`, from the hidden `--atomic` flag) implies `force`, and a
/// failure then prints no statement at all and exits 1 after one line on stderr: the shell
/// function applies nothing, so the shell stays exactly as it was.
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
    let (out, result) = decide(ctx, shell, force || atomic.is_some(), atomic, now);
    let text = match out {
        Some(changes) => render(shell.shell(), &changes),
        None => String::new(),
    };
    super::print_stdout(text)?;
    result
}

/// The changes to print and the outcome to report (its message goes to stderr once).
fn decide(
    ctx: &Ctx,
    shell: ShellKind,
    force: bool,
    atomic: Option<Atomic>,
    now: i64,
) -> (Option<Changes>, anyhow::Result<ExitCode>) {
    let wanted = ctx.var_nonempty("AWS_PROFILE");
    let held = ctx.var_nonempty(PROFILE_VAR);
    let refresh_at = ctx
        .var_nonempty(REFRESH_VAR)
        .and_then(|v| v.parse::<i64>().ok());
    let state = ctx
        .var_nonempty(STATE_VAR)
        .and_then(|s| serde_json::from_str::<State>(&s).ok())
        .unwrap_or_default()
        .only_awsdos();

    let Some(wanted) = wanted else {
        // AWS_PROFILE is gone: revert what awsdo did, if anything.
        if held.is_none() && state.owned.is_empty() {
            return (None, Ok(ExitCode::SUCCESS));
        }
        let mut changes = Changes::default();
        revert(&state, &mut changes);
        clear_markers(&mut changes);
        return (Some(changes), Ok(ExitCode::SUCCESS));
    };

    let switching = force || held.as_deref() != Some(wanted.as_str());
    if !switching && refresh_at.is_none_or(|t| now < t) {
        // fish decides from the refresh file's mtime: one that went missing (or was changed)
        // makes every prompt call us, so put it back rather than print nothing.
        if shell == ShellKind::Fish
            && let Some(at) = refresh_at
            && !refresh_file_matches(ctx, at)
        {
            let mut changes = Changes::default();
            changes.0.insert(
                REFRESH_FILE_VAR.to_owned(),
                refresh_file(ctx, at)
                    .ok()
                    .map(|p| p.to_string_lossy().into_owned()),
            );
            return (Some(changes), Ok(ExitCode::SUCCESS));
        }
        return (None, Ok(ExitCode::SUCCESS));
    }

    match obtain(ctx, &wanted, switching) {
        Ok((creds, region)) => {
            let mut changes = Changes::default();
            let mut state = state;
            apply(ctx, &mut state, &creds, region.as_deref(), &mut changes);
            state.hinted = false;
            let min_ttl = ctx.min_ttl().unwrap_or(crate::resolve::DEFAULT_MIN_TTL);
            // Renew once less than AWSDO_MIN_TTL is left, but not sooner than RETRY_AFTER
            // (credentials that never last that long would call us at every prompt), and
            // never after they expire: at expiry the shell must not keep dead keys.
            let refresh = creds.expiration.map(|exp| {
                let exp = exp.unix_timestamp();
                let ttl = i64::try_from(min_ttl.as_secs()).unwrap_or(i64::MAX);
                let at = exp.saturating_sub(ttl).max(now.saturating_add(RETRY_AFTER));
                if exp > now { at.min(exp) } else { at }
            });
            mark(ctx, shell, &mut changes, &wanted, refresh, &state);
            if atomic == Some(Atomic::Use) {
                eprintln!("awsdo: {}", using_line(&wanted, &creds, now));
            }
            (Some(changes), Ok(ExitCode::SUCCESS))
        }
        Err(err) if atomic.is_some() => {
            // The shell function applies nothing after a failure: no statement, no record.
            eprintln!("awsdo: {}", format!("{err:#}").replace('\n', " "));
            (None, Err(SilentExit(1).into()))
        }
        Err(err) => {
            let mut changes = Changes::default();
            let mut state = state;
            let held_expiry = ctx
                .var_nonempty("AWS_CREDENTIAL_EXPIRATION")
                .and_then(|e| {
                    OffsetDateTime::parse(&e, &time::format_description::well_known::Rfc3339).ok()
                })
                .map(|t| t.unix_timestamp());
            let still_valid = !switching && held_expiry.is_some_and(|exp| now < exp);
            let message;
            let refresh;
            if still_valid {
                // A renewal failed while the shell's credentials still work: keep them, say
                // so once, and retry quietly later (or at expiry, when MFA is what is
                // missing: only `awsdo login` can help then).
                let exp = held_expiry.unwrap_or(now);
                if err.is::<MfaNeeded>() {
                    // Name the shell's profile: the code may be missing for a step of its
                    // chain (the source profile's MFA session), but logging in to the
                    // profile the shell uses is what brings it up to date.
                    message = (!state.hinted).then(|| {
                        format!(
                            "could not renew credentials for profile {wanted:?}: an MFA code is needed; run: awsdo login {wanted}"
                        )
                    });
                    refresh = Some(exp);
                } else {
                    message = (!state.hinted).then(|| format!("{err:#}"));
                    refresh = Some(now.saturating_add(RETRY_AFTER).min(exp));
                }
                state.hinted = true;
            } else {
                // A switch failed, or the held credentials have expired: remove them rather
                // than leave another profile's (or dead) keys in place.
                revert(&state, &mut changes);
                state.owned.clear();
                state.saved.clear();
                message = Some(if switching {
                    format!("{err:#}")
                } else if err.is::<MfaNeeded>() {
                    format!(
                        "removed the expired credentials of profile {wanted:?}; run: awsdo login {wanted}"
                    )
                } else {
                    format!("removed the expired credentials of profile {wanted:?}: {err:#}")
                });
                state.hinted = false;
                refresh = None;
            }
            mark(ctx, shell, &mut changes, &wanted, refresh, &state);
            let result = match message {
                Some(m) => {
                    eprintln!("awsdo: {}", crate::error::one_line(&m));
                    Err(SilentExit(1).into())
                }
                None => Ok(ExitCode::SUCCESS),
            };
            (Some(changes), result)
        }
    }
}

/// `using profile "prod", valid for 58m (until 13:03 UTC)`; without an expiry just the profile.
fn using_line(profile: &str, creds: &Credentials, now: i64) -> String {
    let left = OffsetDateTime::from_unix_timestamp(now)
        .ok()
        .and_then(|now| creds.remaining(now));
    let until = creds.expiration.and_then(|exp| {
        exp.to_offset(time::UtcOffset::UTC)
            .format(time::macros::format_description!("[hour]:[minute]"))
            .ok()
    });
    match (left, until) {
        (Some(left), Some(until)) => format!(
            "using profile {profile:?}, valid for {} (until {until} UTC)",
            super::explain::human(left)
        ),
        _ => format!("using profile {profile:?}"),
    }
}

/// Credentials for `profile`; a switch may ask for MFA, a renewal may not.
fn obtain(
    ctx: &Ctx,
    profile: &str,
    may_prompt: bool,
) -> anyhow::Result<(Credentials, Option<String>)> {
    let budget = match ctx.var_nonempty("AWSDO_HOOK_TIMEOUT") {
        Some(v) => parse_duration(&v).context("could not read AWSDO_HOOK_TIMEOUT")?,
        None => DEFAULT_HOOK_TIMEOUT,
    };
    let mode = Mode {
        may_prompt,
        budget: Some(budget),
        force: false,
    };
    let (credentials, plan) = ctx.credentials(Some(profile.to_owned()), mode)?;
    Ok((credentials, plan.region))
}

/// Set the credential variables, remembering what each replaced the first time awsdo set it.
fn apply(
    ctx: &Ctx,
    state: &mut State,
    creds: &Credentials,
    region: Option<&str>,
    changes: &mut Changes,
) {
    let vars = creds.env_vars(region);
    // Variables awsdo set for the previous profile but not for this one go back first.
    for name in state.owned.clone() {
        if !vars.iter().any(|(k, _)| *k == name) {
            changes
                .0
                .insert(name.clone(), state.saved.get(&name).cloned());
            state.saved.remove(&name);
            state.owned.retain(|o| *o != name);
        }
    }
    for (k, v) in vars {
        if !state.owned.iter().any(|o| o == k) {
            if let Some(old) = ctx.var(k) {
                state.saved.insert(k.to_owned(), old);
            }
            state.owned.push(k.to_owned());
        }
        changes.0.insert(k.to_owned(), Some(v));
    }
}

/// Put back what awsdo replaced and remove what it added.
fn revert(state: &State, changes: &mut Changes) {
    for name in &state.owned {
        changes
            .0
            .insert(name.clone(), state.saved.get(name).cloned());
    }
}

fn clear_markers(changes: &mut Changes) {
    for k in [PROFILE_VAR, REFRESH_VAR, REFRESH_FILE_VAR, STATE_VAR] {
        changes.0.insert(k.to_owned(), None);
    }
}

/// Record the outcome: which profile the shell holds, when to look again, what awsdo owns.
fn mark(
    ctx: &Ctx,
    shell: ShellKind,
    changes: &mut Changes,
    profile: &str,
    refresh: Option<i64>,
    state: &State,
) {
    changes
        .0
        .insert(PROFILE_VAR.to_owned(), Some(profile.to_owned()));
    changes
        .0
        .insert(REFRESH_VAR.to_owned(), refresh.map(|t| t.to_string()));
    let state_json = if state.owned.is_empty() && !state.hinted {
        None
    } else {
        serde_json::to_string(state).ok()
    };
    changes.0.insert(STATE_VAR.to_owned(), state_json);
    if shell == ShellKind::Fish {
        let file = refresh.and_then(|t| refresh_file(ctx, t).ok());
        changes.0.insert(
            REFRESH_FILE_VAR.to_owned(),
            file.map(|p| p.to_string_lossy().into_owned()),
        );
    }
}

/// Whether `AWSDO_REFRESH_FILE` names an existing file whose mtime is `at`.
fn refresh_file_matches(ctx: &Ctx, at: i64) -> bool {
    ctx.var_nonempty(REFRESH_FILE_VAR)
        .and_then(|f| std::fs::metadata(f).ok())
        .and_then(|m| m.modified().ok())
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .is_some_and(|d| i64::try_from(d.as_secs()).is_ok_and(|s| s == at))
}

/// A file whose mtime is `at`, for fish's builtin-only expiry check (`path mtime`), made by
/// the cache (same checks as its entries, whether or not `--disable-cache` is given).
fn refresh_file(ctx: &Ctx, at: i64) -> anyhow::Result<std::path::PathBuf> {
    crate::cache::Cache::from_env(ctx.user_env())?.refresh_mark(at)
}
