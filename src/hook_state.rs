//! The prompt hook's state in a shell, and what `awsdo export` does about it: no I/O here.
//!
//! direnv's shape: [`HookState::read`] parses what the shell holds once; [`decide`] picks a
//! [`Decision`] from it, the profile wanted and the clock; `cmd/export.rs` resolves the
//! credentials when the decision needs them; [`outcome`] turns decision and result into the
//! statements to print and the line to report. `cmd/export.rs`'s header says why each case
//! does what it does (DESIGN §6).
//!
//! The state is four variables: `AWSDO_PROFILE` (the profile whose credentials the shell
//! holds), `AWSDO_REFRESH_AT` (epoch seconds after which the next prompt calls `awsdo export`
//! again), for fish `AWSDO_REFRESH_FILE` (a file whose mtime is that time: fish has no clock
//! builtin) and `AWSDO_STATE` (JSON, a [`Record`]).

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::env::Env;
use crate::shell::Changes;

/// The profile whose credentials the shell holds.
pub const PROFILE_VAR: &str = "AWSDO_PROFILE";
/// Epoch seconds after which the next prompt runs `awsdo export` again; unset: never.
pub const REFRESH_VAR: &str = "AWSDO_REFRESH_AT";
/// For fish, which has no clock builtin: a file whose mtime is the refresh time.
pub const REFRESH_FILE_VAR: &str = "AWSDO_REFRESH_FILE";
/// JSON: which variables awsdo set and what they replaced ([`Record`]).
pub const STATE_VAR: &str = "AWSDO_STATE";
/// How soon a failed renewal is tried again, in seconds.
pub const RETRY_AFTER: i64 = 60;

/// What awsdo changed in this shell: the JSON of `AWSDO_STATE`. `Debug` shows names only:
/// the saved values are the user's own keys.
#[derive(Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
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

impl std::fmt::Debug for Record {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Record")
            .field("owned", &self.owned)
            .field("saved", &self.saved.keys().collect::<Vec<_>>())
            .field("hinted", &self.hinted)
            .finish()
    }
}

/// Whether awsdo ever sets `name`: the credential and region variables (DESIGN §5), and in
/// the hook's server mode the endpoint, its token and the shared-file paths (DESIGN §9).
fn is_awsdos(name: &str) -> bool {
    crate::creds::CREDENTIAL_VARS.contains(&name)
        || crate::env::REGION_VARS.contains(&name)
        || crate::server::shell::SHELL_VARS.contains(&name)
}

impl Record {
    /// `AWSDO_STATE`'s value read back; unset or unreadable: nothing recorded. `AWSDO_STATE`
    /// is an ordinary variable, so only the variables awsdo sets are kept: a forged or stale
    /// one must not make awsdo unset or "restore" `PATH` or `HOME`.
    pub fn parse(json: Option<&str>) -> Record {
        let mut record: Record = json
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default();
        record.owned.retain(|name| is_awsdos(name));
        record.saved.retain(|name, _| is_awsdos(name));
        record
    }

    /// What undoes awsdo's changes, per variable it set: the value it replaced, or `None`
    /// (it was unset).
    pub fn reverted(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.owned
            .iter()
            .map(|name| (name.as_str(), self.saved.get(name).map(String::as_str)))
    }

    /// `AWSDO_STATE`'s new value; `None` (unset it) when there is nothing to remember.
    fn to_var(&self) -> Option<String> {
        if self.owned.is_empty() && !self.hinted {
            return None;
        }
        serde_json::to_string(self).ok()
    }

    /// Put back what awsdo replaced and remove what it added.
    fn revert(&self) -> Changes {
        self.reverted()
            .map(|(k, v)| (k, v.map(str::to_owned)))
            .collect()
    }

    /// Revert what was saved, then set `vars`: one set of changes, and the record of it.
    /// Each variable's saved value is the user's own: what awsdo replaced the first time, or
    /// the shell's `current` value for a variable awsdo did not own yet.
    fn replace(
        &self,
        vars: &[(&str, String)],
        current: &BTreeMap<String, String>,
    ) -> (Changes, Record) {
        let mut changes = self.revert();
        let mut next = Record::default();
        for (name, value) in vars {
            let own = if self.owned.iter().any(|o| o == name) {
                self.saved.get(*name)
            } else {
                current.get(*name)
            };
            if let Some(own) = own {
                next.saved.insert((*name).to_owned(), own.clone());
            }
            next.owned.push((*name).to_owned());
            changes.put(*name, Some(value.clone()));
        }
        (changes, next)
    }
}

/// The hook's state as the shell holds it, read once.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct HookState {
    /// `AWSDO_PROFILE`.
    pub held: Option<String>,
    /// `AWSDO_REFRESH_AT`, epoch seconds (unreadable: unset).
    pub refresh_at: Option<i64>,
    /// fish only (`None` for other shells): whether `AWSDO_REFRESH_FILE` is the mark for
    /// `refresh_at`, still there.
    pub mark_current: Option<bool>,
    /// `AWSDO_STATE`.
    pub record: Record,
    /// The credential and region variables (and server mode's, `server::shell::SHELL_VARS`)
    /// as the shell holds them now. Never in `Debug`.
    pub current: Vars,
    /// `AWS_CREDENTIAL_EXPIRATION` (RFC 3339), epoch seconds: when the held credentials end.
    pub held_expiry: Option<i64>,
}

/// For fish: whether a path (`AWSDO_REFRESH_FILE`) is the refresh mark for a time (epoch
/// seconds, `AWSDO_REFRESH_AT`) and still there; `Cache::refresh_mark_is` answers.
pub type MarkCheck<'a> = &'a dyn Fn(&Path, i64) -> bool;

/// Variable values that may be secrets: `Debug` shows the names only.
#[derive(Default, Clone, PartialEq, Eq)]
pub struct Vars(pub BTreeMap<String, String>);

impl std::fmt::Debug for Vars {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.0.keys()).finish()
    }
}

impl HookState {
    /// Read the state from `env` (the environment as awsdo found it; empty counts as unset).
    /// `mark_is`: for fish, whether a path is the refresh mark for a time (the cache answers).
    pub fn read(env: &Env, mark_is: Option<MarkCheck<'_>>) -> HookState {
        let raw = |k: &str| env.var(k);
        let get = |k: &str| raw(k).filter(|v| !v.is_empty());
        let refresh_at = get(REFRESH_VAR).and_then(|v| v.parse::<i64>().ok());
        let mark_current = mark_is.map(|is| match (get(REFRESH_FILE_VAR), refresh_at) {
            (Some(file), Some(at)) => is(Path::new(&file), at),
            _ => false,
        });
        let current = crate::creds::CREDENTIAL_VARS
            .iter()
            .chain(crate::env::REGION_VARS)
            .chain(crate::server::shell::SHELL_VARS)
            .filter_map(|k| raw(k).map(|v| ((*k).to_owned(), v)))
            .collect();
        HookState {
            held: get(PROFILE_VAR),
            refresh_at,
            mark_current,
            record: Record::parse(get(STATE_VAR).as_deref()),
            current: Vars(current),
            held_expiry: get("AWS_CREDENTIAL_EXPIRATION")
                .and_then(|e| {
                    time::OffsetDateTime::parse(&e, &time::format_description::well_known::Rfc3339)
                        .ok()
                })
                .map(|t| t.unix_timestamp()),
        }
    }
}

/// Who asked for an atomic switch (`awsdo export --atomic use|login`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Atomic {
    /// `awsdo use PROFILE`: success is reported in one line naming the profile and its expiry.
    Use,
    /// `awsdo login` through the function: login already reported success.
    Login,
}

/// What the shell asks for.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Wanted {
    /// `AWS_PROFILE` (empty counts as unset).
    pub profile: Option<String>,
    /// `--force`: obtain credentials even when the shell holds this profile's.
    pub force: bool,
    /// `--atomic`: implies `force`; a failure then changes nothing.
    pub atomic: Option<Atomic>,
}

/// What the state calls for, before any credentials are obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// The shell is up to date: print nothing.
    UpToDate,
    /// Up to date, but fish's refresh mark for `at` is missing or changed: make it again.
    Remark {
        /// The refresh time, epoch seconds.
        at: i64,
    },
    /// `AWS_PROFILE` is gone: put back what awsdo replaced, clear the markers.
    Revert,
    /// Another profile (or `--force`): obtain its credentials; may ask for an MFA code.
    Switch(String),
    /// The refresh time of the held profile passed: renew; never asks.
    Renew(String),
}

impl Decision {
    /// The profile to obtain credentials for and whether the terminal may be asked for a
    /// code; `None`: this decision needs none.
    pub fn needs(&self) -> Option<(&str, bool)> {
        match self {
            Decision::Switch(p) => Some((p, true)),
            Decision::Renew(p) => Some((p, false)),
            _ => None,
        }
    }
}

/// What the shell's state and `wanted` call for at `now` (epoch seconds).
pub fn decide(state: &HookState, wanted: &Wanted, now: i64) -> Decision {
    let Some(profile) = &wanted.profile else {
        if state.held.is_none() && state.record.owned.is_empty() {
            return Decision::UpToDate;
        }
        return Decision::Revert;
    };
    if wanted.force || wanted.atomic.is_some() || state.held.as_ref() != Some(profile) {
        return Decision::Switch(profile.clone());
    }
    match state.refresh_at {
        Some(at) if now >= at => Decision::Renew(profile.clone()),
        Some(at) if state.mark_current == Some(false) => Decision::Remark { at },
        _ => Decision::UpToDate,
    }
}

/// Credentials obtained for the decision.
#[derive(Clone, PartialEq, Eq)]
pub struct Got {
    /// The variables to export (`Credentials::env_vars`).
    pub vars: Vec<(&'static str, String)>,
    /// When they expire, epoch seconds; `None`: never.
    pub expires: Option<i64>,
    /// Renew once less than this is left (`AWSDO_MIN_TTL` as the resolver read it), seconds.
    pub min_ttl: i64,
}

/// Why no credentials were obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The error as one line (no secret in it, as every error).
    pub message: String,
    /// The failure was a missing MFA code (`error::MfaNeeded`): only `awsdo login` helps.
    pub mfa_needed: bool,
}

/// Where fish's refresh mark goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Leave `AWSDO_REFRESH_FILE` as it is (other shells, or nothing printed).
    Keep,
    /// Unset it.
    Remove,
    /// Point it at the mark for this time (epoch seconds), made by the cache.
    At(i64),
}

/// What to print and report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The changes to print as statements; `None`: print nothing.
    pub changes: Option<Changes>,
    /// fish's refresh mark, to add to `changes` once the cache made it.
    pub mark: Mark,
    /// The error to report (one line, exit status 1); `None`: success.
    pub error: Option<String>,
    /// Say which profile is now in use (`awsdo use` succeeded).
    pub announce: bool,
}

impl Outcome {
    fn quiet(changes: Option<Changes>, mark: Mark) -> Outcome {
        Outcome {
            changes,
            mark,
            error: None,
            announce: false,
        }
    }
}

/// What `decision` comes to at `now` (epoch seconds), given the credentials `got` for the
/// profile [`Decision::needs`] names: `None` when it needs none (a decision that needs them
/// and got none counts as a failure to obtain them).
pub fn outcome(
    state: &HookState,
    wanted: &Wanted,
    decision: &Decision,
    got: Option<Result<Got, Failure>>,
    now: i64,
) -> Outcome {
    let fish = state.mark_current.is_some();
    let (profile, switching) = match decision {
        Decision::UpToDate => return Outcome::quiet(None, Mark::Keep),
        Decision::Remark { at } => return Outcome::quiet(Some(Changes::default()), Mark::At(*at)),
        Decision::Revert => {
            let mut changes = state.record.revert();
            for k in [PROFILE_VAR, REFRESH_VAR, REFRESH_FILE_VAR, STATE_VAR] {
                changes.put(k, None);
            }
            return Outcome::quiet(Some(changes), Mark::Keep);
        }
        Decision::Switch(p) => (p, true),
        Decision::Renew(p) => (p, false),
    };
    let (mut changes, record, refresh, error) = match got {
        Some(Ok(got)) => {
            let (changes, record) = state.record.replace(&got.vars, &state.current.0);
            // Renew once less than the min TTL is left, but not sooner than RETRY_AFTER
            // (credentials that never last that long would call us at every prompt), and
            // never after they expire: at expiry the shell must not keep dead keys.
            let refresh = got.expires.map(|exp| {
                let at = exp
                    .saturating_sub(got.min_ttl)
                    .max(now.saturating_add(RETRY_AFTER));
                if exp > now { at.min(exp) } else { at }
            });
            (changes, record, refresh, None)
        }
        // The shell function applies nothing after a failure: no statement, no record.
        Some(Err(failure)) if wanted.atomic.is_some() => {
            return Outcome {
                error: Some(failure.message),
                ..Outcome::quiet(None, Mark::Keep)
            };
        }
        Some(Err(failure)) => failed(state, profile, switching, &failure, now),
        None => {
            let none = Failure {
                message: format!("could not obtain credentials for profile {profile:?}"),
                mfa_needed: false,
            };
            failed(state, profile, switching, &none, now)
        }
    };
    changes.put(PROFILE_VAR, Some(profile.clone()));
    changes.put(REFRESH_VAR, refresh.map(|t| t.to_string()));
    changes.put(STATE_VAR, record.to_var());
    let mark = match (fish, refresh) {
        (false, _) => Mark::Keep,
        (true, Some(at)) => Mark::At(at),
        (true, None) => Mark::Remove,
    };
    Outcome {
        announce: error.is_none() && wanted.atomic == Some(Atomic::Use),
        changes: Some(changes),
        mark,
        error,
    }
}

/// After a failure: the changes, the new record, the refresh time and the error to report.
fn failed(
    state: &HookState,
    profile: &str,
    switching: bool,
    failure: &Failure,
    now: i64,
) -> (Changes, Record, Option<i64>, Option<String>) {
    let mut record = state.record.clone();
    match state.held_expiry {
        Some(exp) if !switching && now < exp => {
            // A renewal failed while the shell's credentials still work: keep them, say so
            // once, and retry quietly later (or at expiry, when MFA is what is missing: only
            // `awsdo login` can help then). Name the shell's profile: the code may be missing
            // for a step of its chain, but logging in to it is what brings it up to date.
            let (message, refresh) = if failure.mfa_needed {
                (
                    format!(
                        "could not renew credentials for profile {profile:?}: an MFA code is needed; run: awsdo login {profile}"
                    ),
                    exp,
                )
            } else {
                (
                    failure.message.clone(),
                    now.saturating_add(RETRY_AFTER).min(exp),
                )
            };
            let error = (!record.hinted).then_some(message);
            record.hinted = true;
            (Changes::default(), record, Some(refresh), error)
        }
        _ => {
            // A switch failed, or the held credentials have expired: remove them rather than
            // leave another profile's (or dead) keys in place.
            let changes = state.record.revert();
            let message = if switching {
                failure.message.clone()
            } else if failure.mfa_needed {
                format!(
                    "removed the expired credentials of profile {profile:?}; run: awsdo login {profile}"
                )
            } else {
                format!(
                    "removed the expired credentials of profile {profile:?}: {}",
                    failure.message
                )
            };
            (changes, Record::default(), None, Some(message))
        }
    }
}

#[cfg(test)]
mod tests;
