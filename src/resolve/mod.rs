//! Carry out a plan: serve it from the cache when the entry is fresh, else run its steps once
//! (under the entry's lock, so concurrent runs make one set of calls) and cache the result.
//!
//! Two kinds of intermediate result are cached too: MFA sessions (GetSessionToken with MFA,
//! per long-lived key and device), which is what lets one code serve every role that names the
//! device, and MFA device discoveries.
//!
//! `entry.rs` holds the cache entries and their digest names, `steps.rs` one method per step
//! kind, `mfa.rs` the MFA devices, sessions and codes; this file the order of it all.

mod entry;
mod mfa;
mod steps;
#[cfg(test)]
mod tests;

pub use entry::{DEFAULT_MIN_TTL, DiscoveryEntry, MfaSessionOwners, ProfileEntry};
pub use mfa::Device;

use std::time::Duration;

use anyhow::Context;
use time::OffsetDateTime;

use self::entry::{ENTRY_VERSION, key_digest, mfa_session_name};
use self::steps::session_name;
use crate::cache::{Cache, Kind};
use crate::creds::Credentials;
use crate::deadline::Deadline;
use crate::env::Env;
use crate::log::debug;
use crate::mfa::CodeSource;
use crate::net::{AssumeRole, GLOBAL_REGION, Net};
use crate::plan::{Plan, Step};

/// Everything needed to turn plans into credentials during one run.
pub struct Resolver<'a> {
    /// `None` with `--disable-cache`: nothing read, nothing written.
    pub cache: Option<Cache>,
    pub net: Net,
    pub codes: CodeSource,
    pub min_ttl: Duration,
    /// Reads the process environment (for `credential_source = Environment`).
    pub env: &'a Env,
    /// Fetch anew even when the cached entry is fresh (`awsdo login`).
    pub force: bool,
    /// Bound on every wait that is not network time (locks, helper processes): the prompt
    /// hook's `AWSDO_HOOK_TIMEOUT`, else none.
    pub deadline: Deadline,
}

/// The outcome of a resolution.
pub struct Resolved {
    pub credentials: Credentials,
}

/// The cache entry for `plan` when it was made for this plan (same entry version, plan digest
/// `key` and profile), fresh or not; freshness is [`ProfileEntry::fresh`]. No network, no
/// lock: what [`Resolver::resolve`] serves without fetching, and all the prompt hook's small
/// binary (`src/bin/awsdo-export.rs`) reads.
///
/// # Errors
/// An entry the cache refuses to read (see [`Cache::read`]).
pub fn cached_entry(cache: &Cache, plan: &Plan, key: &str) -> anyhow::Result<Option<ProfileEntry>> {
    let entry: Option<ProfileEntry> = cache.read(Kind::Profile, &plan.name())?;
    Ok(entry.filter(|e| e.version == ENTRY_VERSION && e.key == key && e.profile == plan.profile))
}

impl Resolver<'_> {
    /// The profile's cached entry when it matches the plan, fresh or not. No network.
    pub fn cached(&self, plan: &Plan) -> anyhow::Result<Option<ProfileEntry>> {
        self.cached_under(plan, &plan.cache_key())
    }

    /// As [`Resolver::cached`], with the plan's key computed once by the caller.
    fn cached_under(&self, plan: &Plan, key: &str) -> anyhow::Result<Option<ProfileEntry>> {
        match &self.cache {
            Some(cache) => cached_entry(cache, plan, key),
            None => Ok(None),
        }
    }

    /// The region of the plan's STS calls: the profile's (or the nearest up its chain), else
    /// the environment's `AWS_REGION`, else `AWS_DEFAULT_REGION` (as the AWS CLI reads them),
    /// else STS's global endpoint. The one region rule of every call awsdo makes.
    pub fn region(&self, plan: &Plan) -> String {
        plan.region
            .clone()
            .or_else(|| {
                ["AWS_REGION", "AWS_DEFAULT_REGION"]
                    .iter()
                    .find_map(|k| self.env.var(k).filter(|v| !v.is_empty()))
            })
            .unwrap_or_else(|| GLOBAL_REGION.to_owned())
    }

    /// The cached MFA device discovery for a long-lived key, if any. No network.
    pub fn cached_discovery(&self, access_key_id: &str) -> Option<DiscoveryEntry> {
        let cache = self.cache.as_ref()?;
        cache
            .read::<DiscoveryEntry>(Kind::Discovery, &key_digest(access_key_id, ""))
            .ok()
            .flatten()
            .filter(|d| d.version == ENTRY_VERSION && d.access_key_id == access_key_id)
    }

    /// The cache names of the MFA sessions `plan` would use. No network.
    pub fn mfa_session_names(&self, plan: &Plan) -> Vec<String> {
        let Some(source) = plan.steps.first().and_then(Step::static_credentials) else {
            return Vec::new();
        };
        let mut names = Vec::new();
        for step in &plan.steps {
            if let Step::SessionToken {
                mfa: Some(m),
                duration_seconds,
                ..
            } = step
                && let Device::Use(serial) = self.known_device(m, &source.access_key_id)
            {
                names.push(mfa_session_name(
                    &source,
                    &serial,
                    Duration::from_secs(*duration_seconds),
                ));
            }
        }
        names
    }

    /// Credentials for `plan`, from the cache when fresh, else fetched and cached.
    pub fn resolve(&self, plan: &Plan) -> anyhow::Result<Resolved> {
        let key = plan.cache_key();
        if !self.force
            && let Some(e) = self.cached_under(plan, &key)?
            && e.fresh(self.min_ttl)
        {
            return Ok(Resolved {
                credentials: e.credentials,
            });
        }
        let _lock = match &self.cache {
            Some(cache) => Some(cache.lock(
                Kind::Profile,
                &plan.name(),
                self.deadline,
                &format!("profile {:?}", plan.profile),
            )?),
            None => None,
        };
        // Another process may have fetched while we waited for the lock.
        if !self.force
            && let Some(e) = self.cached_under(plan, &key)?
            && e.fresh(self.min_ttl)
        {
            debug(&format!(
                "profile {}: fetched by another awsdo meanwhile",
                plan.profile
            ));
            return Ok(Resolved {
                credentials: e.credentials,
            });
        }
        let (credentials, used_mfa) = match self.run(plan) {
            // The shared MFA session was dropped: run again, which asks for a new code (or
            // says which flag to use when no code can be had).
            Err(e) if e.is::<StaleMfaSession>() => {
                debug(&format!("{e}; asking for a new code"));
                self.run(plan)?
            }
            other => other?,
        };
        credentials.check_not_expired(OffsetDateTime::now_utc(), &plan.profile)?;
        if let Some(cache) = &self.cache
            && credentials.expiration.is_some()
        {
            // A failed write (disk full) must not waste the MFA code just typed: the
            // credentials serve this run, and the next run fetches anew.
            warn_unsaved(cache.write(
                Kind::Profile,
                &plan.name(),
                &ProfileEntry {
                    version: ENTRY_VERSION,
                    key,
                    profile: plan.profile.clone(),
                    region: plan.region.clone(),
                    credentials: credentials.clone(),
                    mfa: used_mfa,
                    clock_skew: self.net.clock_skew().unwrap_or(0),
                },
            ));
        }
        Ok(Resolved { credentials })
    }

    /// Run every step; also says whether an MFA code (typed or cached session) was involved.
    fn run(&self, plan: &Plan) -> anyhow::Result<(Credentials, bool)> {
        let region = self.region(plan);
        let mut walk = Walk {
            plan,
            region: &region,
            used_mfa: false,
            from_mfa_cache: None,
        };
        let mut current: Option<Credentials> = None;
        for step in &plan.steps {
            let next = match step {
                Step::Static { .. } => step
                    .static_credentials()
                    .context("static step without keys")?,
                Step::CredentialProcess { profile, command } => {
                    crate::credential_process::run(profile, command, &self.codes.helpers)?
                }
                Step::CredentialSource {
                    profile, source, ..
                } => self.credential_source(profile, source)?,
                Step::WebIdentity {
                    profile,
                    role_arn,
                    web_identity_token_file,
                    role_session_name,
                    duration_seconds,
                    ..
                } => self.web_identity(
                    profile,
                    role_arn,
                    web_identity_token_file,
                    role_session_name.as_deref(),
                    *duration_seconds,
                    &region,
                )?,
                Step::Sso {
                    profile,
                    sso_session,
                    sso_start_url,
                    sso_region,
                    sso_account_id,
                    sso_role_name,
                } => self.sso(
                    profile,
                    sso_session.as_deref(),
                    sso_start_url,
                    sso_region,
                    sso_account_id,
                    sso_role_name,
                )?,
                Step::SessionToken {
                    profile,
                    mfa,
                    duration_seconds,
                    ..
                } => {
                    let source = current
                        .take()
                        .context("session-token step without a source")?;
                    self.session_token(&mut walk, profile, source, mfa.as_ref(), *duration_seconds)?
                }
                Step::AssumeRole {
                    profile,
                    role_arn,
                    role_session_name,
                    external_id,
                    duration_seconds,
                    mfa,
                    ..
                } => {
                    let source = current
                        .take()
                        .context("assume-role step without a source")?;
                    let name = session_name(role_session_name.as_deref());
                    let req = AssumeRole {
                        role_arn,
                        session_name: &name,
                        external_id: external_id.as_deref(),
                        duration: duration_seconds.map(Duration::from_secs),
                        mfa: None,
                    };
                    self.assume_role(&mut walk, profile, source, &req, mfa.as_ref())?
                }
            };
            current = Some(next);
        }
        let creds = current.context("the plan has no steps")?;
        Ok((creds, walk.used_mfa))
    }
}

/// What the steps of one run share: the plan, the region of its STS calls, whether an MFA code
/// (typed or a cached session) was involved, and the cache name of the MFA session the next
/// role assumes from (dropped when STS says it has expired).
struct Walk<'a> {
    plan: &'a Plan,
    region: &'a str,
    used_mfa: bool,
    from_mfa_cache: Option<String>,
}

/// Report a cache write that failed (disk full, read-only file system) once per run on
/// stderr, and carry on: the credentials just fetched still serve this run.
fn warn_unsaved(result: anyhow::Result<()>) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if let Err(e) = result
        && !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed)
    {
        let line = format!("{e:#}").replace('\n', " ");
        eprintln!("awsdo: warning: {line}; the credentials are used for this run only");
    }
}

/// STS said the cached MFA session used as a role's source has expired; it has been dropped.
#[derive(Debug)]
struct StaleMfaSession {
    role_arn: String,
    profile: String,
    login: String,
}

impl std::fmt::Display for StaleMfaSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "could not assume role {} for profile {:?}: the cached MFA session has expired; run: awsdo login {}",
            self.role_arn, self.profile, self.login
        )
    }
}

impl std::error::Error for StaleMfaSession {}
