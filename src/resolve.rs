//! Carry out a plan: serve it from the cache when the entry is fresh, else run its steps once
//! (under the entry's lock, so concurrent runs make one set of calls) and cache the result.
//!
//! Two kinds of intermediate result are cached too: MFA sessions (GetSessionToken with MFA,
//! per long-lived key and device), which is what lets one code serve every role that names the
//! device, and MFA device discoveries.

use std::time::Duration;

use anyhow::{Context, bail};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::cache::{Cache, Kind};
use crate::config::ProfileSet;
use crate::creds::Credentials;
use crate::deadline::Deadline;
use crate::error::{MfaRejected, SourceExpired};
use crate::log::debug;
use crate::mfa::{CodeSource, Origin, TRIES};
use crate::plan::{CredentialSource, MfaFields, MfaFrom, Plan, Step, hex};
use crate::sts::{AssumeRole, GLOBAL_REGION, Net};

/// The most a token file (`web_identity_token_file`, an SSO token) may hold: STS takes web
/// identity tokens of up to 20,000 characters, SSO cache files are a few KiB.
const MAX_TOKEN_FILE: u64 = 1024 * 1024;

/// Reuse credentials while more than this is left, unless `AWSDO_MIN_TTL` says otherwise.
pub const DEFAULT_MIN_TTL: Duration = Duration::from_secs(15 * 60);
const ENTRY_VERSION: u32 = 1;

/// A profile's cached final credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileEntry {
    pub version: u32,
    /// `Plan::cache_key` of the plan that made it; another key is a miss.
    pub key: String,
    pub profile: String,
    pub region: Option<String>,
    pub credentials: Credentials,
    /// Whether renewing needs an MFA code (no fresh MFA session to assume from).
    #[serde(default)]
    pub mfa: bool,
    /// Seconds STS's clock was ahead of ours when these arrived (negative: behind).
    #[serde(default)]
    pub clock_skew: i64,
}

impl ProfileEntry {
    /// Whether the entry may be reused: more than `min_ttl` left by STS's clock. An entry
    /// whose times cannot be judged (a skew that puts STS's clock out of range) is not fresh.
    pub fn fresh(&self, min_ttl: Duration) -> bool {
        sts_now(self.clock_skew).is_some_and(|now| self.credentials.fresh_for(now, min_ttl))
    }
}

/// STS's time as best known: the local clock, moved forward by `clock_skew` when STS was seen
/// ahead of it (a clock behind STS would otherwise reuse credentials that are dead at AWS).
/// A local clock seen ahead of STS is not moved back: if it is corrected later, the skew
/// recorded now would then make dead credentials look alive. `None` when the result is out of
/// range (a skew of centuries read from a damaged entry): the caller treats that as a miss.
fn sts_now(clock_skew: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::now_utc().checked_add(time::Duration::seconds(clock_skew.max(0)))
}

/// A GetSessionToken session made with MFA.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct MfaSessionEntry {
    version: u32,
    mfa_serial: String,
    /// The session length asked for: a session of another length is not served (absent in
    /// entries from before it was recorded, which then count as misses).
    #[serde(default)]
    duration_seconds: Option<u64>,
    credentials: Credentials,
    /// As `ProfileEntry::clock_skew`.
    #[serde(default)]
    clock_skew: i64,
    /// Who it was made for: the profile the user asked for and the profile whose long-lived
    /// keys made it. `logout PROFILE` finds the session from these, on disk, even after the
    /// key has rotated and the current config no longer leads to the entry's name.
    #[serde(default)]
    profiles: Vec<String>,
}

/// The owners recorded in an MFA session entry, read by `logout`.
#[derive(Debug, Deserialize)]
pub struct MfaSessionOwners {
    /// As `MfaSessionEntry::profiles`; empty for entries of earlier versions.
    #[serde(default)]
    pub profiles: Vec<String>,
}

/// What discovery found for one long-lived key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiscoveryEntry {
    pub version: u32,
    pub access_key_id: String,
    pub user_arn: Option<String>,
    /// Device serials; empty when the user has none.
    pub devices: Vec<String>,
    /// The device chosen when there are several.
    pub chosen: Option<String>,
}

impl DiscoveryEntry {
    /// The device to use without asking: the chosen one, or the only one.
    pub fn device(&self) -> Option<String> {
        match (&self.chosen, self.devices.as_slice()) {
            (Some(c), _) => Some(c.clone()),
            (None, [one]) => Some(one.clone()),
            _ => None,
        }
    }
}

/// Everything needed to turn plans into credentials during one run.
pub struct Resolver<'a> {
    pub profiles: &'a ProfileSet,
    /// `None` with `--disable-cache`: nothing read, nothing written.
    pub cache: Option<Cache>,
    pub net: Net,
    pub codes: CodeSource,
    pub min_ttl: Duration,
    /// Reads the process environment (for `credential_source = Environment`).
    pub env: &'a dyn Fn(&str) -> Option<String>,
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

impl Resolver<'_> {
    /// The profile's cached entry when it matches the plan, fresh or not. No network.
    pub fn cached(&self, plan: &Plan) -> anyhow::Result<Option<ProfileEntry>> {
        let Some(cache) = &self.cache else {
            return Ok(None);
        };
        let entry: Option<ProfileEntry> = cache.read(Kind::Profile, &plan.name())?;
        let key = plan.cache_key();
        Ok(entry
            .filter(|e| e.version == ENTRY_VERSION && e.key == key && e.profile == plan.profile))
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
        let Some(Step::Static { profile, .. }) = plan.steps.first() else {
            return Vec::new();
        };
        let Ok(source) = self.static_keys(profile) else {
            return Vec::new();
        };
        let mut names = Vec::new();
        for step in &plan.steps {
            if let Step::SessionToken {
                mfa: Some(m),
                duration_seconds,
                ..
            } = step
            {
                let serial = m
                    .mfa_serial
                    .clone()
                    .or_else(|| self.cached_discovery(&source.access_key_id)?.device());
                if let Some(serial) = serial {
                    names.push(mfa_session_name(
                        &source,
                        &serial,
                        Duration::from_secs(*duration_seconds),
                    ));
                }
            }
        }
        names
    }

    /// Credentials for `plan`, from the cache when fresh, else fetched and cached.
    pub fn resolve(&self, plan: &Plan) -> anyhow::Result<Resolved> {
        if !self.force
            && let Some(e) = self.cached(plan)?
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
            && let Some(e) = self.cached(plan)?
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
                    key: plan.cache_key(),
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
        // STS is called in the profile's region, else the environment's (as the AWS CLI
        // does), else at its global endpoint.
        let env_region = ["AWS_REGION", "AWS_DEFAULT_REGION"]
            .iter()
            .find_map(|k| (self.env)(k).filter(|v| !v.is_empty()));
        let region = plan
            .region
            .as_deref()
            .or(env_region.as_deref())
            .unwrap_or(GLOBAL_REGION);
        let mut current: Option<Credentials> = None;
        let mut used_mfa = false;
        let mut from_mfa_cache: Option<String> = None;
        for step in &plan.steps {
            let next = match step {
                Step::Static { profile, .. } => self.static_keys(profile)?,
                Step::CredentialProcess { profile, command } => {
                    crate::credential_process::run(profile, command, &self.codes.helpers)?
                }
                Step::CredentialSource {
                    profile, source, ..
                } => match source {
                    CredentialSource::Environment => self.environment(profile)?,
                    CredentialSource::Ec2InstanceMetadata => {
                        self.net.instance_credentials(false)?
                    }
                    CredentialSource::EcsContainer => self.net.instance_credentials(true)?,
                },
                Step::WebIdentity {
                    profile,
                    role_arn,
                    web_identity_token_file,
                    role_session_name,
                    duration_seconds,
                    ..
                } => {
                    let token = crate::files::read_regular_text(
                        std::path::Path::new(web_identity_token_file),
                        MAX_TOKEN_FILE,
                    )
                    .with_context(|| {
                        format!("could not read web_identity_token_file {web_identity_token_file} of profile {profile:?}")
                    })?;
                    self.net.assume_role_with_web_identity(
                        region,
                        role_arn,
                        &session_name(role_session_name.as_deref()),
                        token.trim(),
                        duration_seconds.map(Duration::from_secs),
                    )?
                }
                Step::Sso {
                    sso_region,
                    sso_account_id,
                    sso_role_name,
                    ..
                } => {
                    let session = crate::sso::session::Session::from_step(step, self.profiles)
                        .context("an SSO step without an SSO session")?;
                    let token = crate::sso::refresh::access_token(
                        &self.net,
                        &session,
                        self.env,
                        self.cache.as_ref(),
                        self.deadline,
                    )?;
                    self.net
                        .sso_role_credentials(sso_region, &token, sso_account_id, sso_role_name)
                        .map_err(|e| crate::sso::session::portal_error(e, &session))?
                }
                Step::SessionToken {
                    profile,
                    mfa,
                    duration_seconds,
                    ..
                } => {
                    let source = current
                        .take()
                        .context("session-token step without a source")?;
                    let duration = Duration::from_secs(*duration_seconds);
                    let device = match mfa {
                        Some(m) => self.mfa_device(profile, m, &source, region)?,
                        None => None,
                    };
                    match device {
                        Some((serial, process)) => {
                            used_mfa = true;
                            // Prompts and errors name the profile the user asked for
                            // (first), not the source whose keys make the shared MFA
                            // session; all are recorded in the entry, for `logout`.
                            let mut owners = vec![plan.profile.as_str(), profile.as_str()];
                            if let Some(Step::Static { profile: keys, .. }) = plan.steps.first() {
                                owners.push(keys);
                            }
                            let (creds, cache_name) = self.mfa_session(
                                &owners,
                                &source,
                                region,
                                &serial,
                                process.as_deref(),
                                duration,
                            )?;
                            from_mfa_cache = cache_name;
                            creds
                        }
                        None => self
                            .net
                            .get_session_token(&source, region, duration, None)?,
                    }
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
                    match mfa
                        .as_ref()
                        .and_then(|m| m.mfa_serial.as_deref().map(|s| (s, m)))
                    {
                        Some((serial, m)) => {
                            used_mfa = true;
                            self.with_code(profile, serial, m.mfa_process.as_deref(), |code| {
                                let with_mfa = AssumeRole {
                                    mfa: Some((serial, code)),
                                    ..req.clone()
                                };
                                self.net.assume_role(&source, region, &with_mfa)
                            })?
                        }
                        None => match self.net.assume_role(&source, region, &req) {
                            Err(e) if e.is::<SourceExpired>() && from_mfa_cache.is_some() => {
                                // The shared MFA session died early (revoked or clock skew):
                                // forget it; `resolve` runs the plan once more for a new code.
                                if let (Some(cache), Some(n)) = (&self.cache, &from_mfa_cache) {
                                    let _ = cache.remove(Kind::MfaSession, n);
                                }
                                return Err(StaleMfaSession {
                                    role_arn: role_arn.clone(),
                                    profile: profile.clone(),
                                    login: plan.profile.clone(),
                                }
                                .into());
                            }
                            other => other?,
                        },
                    }
                }
            };
            current = Some(next);
        }
        let creds = current.context("the plan has no steps")?;
        Ok((creds, used_mfa))
    }

    fn static_keys(&self, profile: &str) -> anyhow::Result<Credentials> {
        let p = self
            .profiles
            .profile(profile)
            .with_context(|| format!("could not find profile {profile:?}"))?;
        Ok(Credentials {
            access_key_id: p.get("aws_access_key_id").unwrap_or_default().to_owned(),
            secret_access_key: p
                .get("aws_secret_access_key")
                .unwrap_or_default()
                .to_owned(),
            session_token: p
                .get("aws_session_token")
                .filter(|t| !t.is_empty())
                .map(str::to_owned),
            expiration: None,
        })
    }

    fn environment(&self, profile: &str) -> anyhow::Result<Credentials> {
        let get = |k: &str| (self.env)(k).filter(|v| !v.is_empty());
        match (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
            (Some(id), Some(secret)) => Ok(Credentials {
                access_key_id: id,
                secret_access_key: secret,
                session_token: get("AWS_SESSION_TOKEN"),
                expiration: None,
            }),
            _ => bail!(
                "could not use profile {profile:?}: credential_source = Environment but AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set"
            ),
        }
    }

    /// The device for a session-token step: the plan's, or discovered for the long-lived key.
    fn mfa_device(
        &self,
        profile: &str,
        mfa: &MfaFields,
        source: &Credentials,
        region: &str,
    ) -> anyhow::Result<Option<(String, Option<String>)>> {
        if let Some(serial) = &mfa.mfa_serial {
            return Ok(Some((serial.clone(), mfa.mfa_process.clone())));
        }
        if mfa.mfa_serial_from != MfaFrom::Discovered || !source.is_long_lived() {
            return Ok(None);
        }
        let found = match self.cached_discovery(&source.access_key_id) {
            Some(d) => d,
            None => {
                let d = self.discover(source, region);
                if let (Some(cache), Some(d)) = (&self.cache, &d) {
                    warn_unsaved(cache.write(
                        Kind::Discovery,
                        &key_digest(&source.access_key_id, ""),
                        d,
                    ));
                }
                match d {
                    Some(d) => d,
                    None => return Ok(None),
                }
            }
        };
        let serial = match found.device() {
            Some(d) => Some(d),
            None if found.devices.is_empty() => None,
            None => {
                Some(self.choose_device(profile, &found.devices, &source.access_key_id, &found)?)
            }
        };
        if let Some(s) = &serial {
            debug(&format!("profile {profile}: MFA device {s} (discovered)"));
        }
        Ok(serial.map(|s| (s, mfa.mfa_process.clone())))
    }

    /// GetCallerIdentity + ListMFADevices. Denied or failing discovery is not an error: the
    /// user may simply lack iam:ListMFADevices, and then MFA is skipped.
    fn discover(&self, source: &Credentials, region: &str) -> Option<DiscoveryEntry> {
        let arn = match self.net.caller_arn(source, region) {
            Ok(a) => a,
            Err(e) => {
                debug(&format!("MFA discovery skipped: {e:#}"));
                return None;
            }
        };
        // arn:aws:iam::123456789012:user/some/path/alice: the user name is the last segment.
        let user = arn
            .split_once(":user/")
            .map(|(_, path)| path.rsplit('/').next().unwrap_or(path).to_owned());
        let devices = match &user {
            Some(u) => match self.net.list_mfa_devices(source, u) {
                Ok(d) => d,
                Err(e) => {
                    debug(&format!("MFA discovery skipped: {e:#}"));
                    return None;
                }
            },
            None => Vec::new(),
        };
        Some(DiscoveryEntry {
            version: ENTRY_VERSION,
            access_key_id: source.access_key_id.clone(),
            user_arn: Some(arn),
            devices,
            chosen: None,
        })
    }

    fn choose_device(
        &self,
        profile: &str,
        devices: &[String],
        access_key_id: &str,
        found: &DiscoveryEntry,
    ) -> anyhow::Result<String> {
        let chosen = crate::mfa::choose(profile, devices, self.codes.may_prompt)?;
        if let Some(cache) = &self.cache {
            let mut d = found.clone();
            d.chosen = Some(chosen.clone());
            warn_unsaved(cache.write(Kind::Discovery, &key_digest(access_key_id, ""), &d));
        }
        Ok(chosen)
    }

    /// A GetSessionToken session made with MFA: from the cache while fresh, else one code.
    /// Returns the session and the name of its cache entry. `owners`: the profile the user
    /// asked for (named in prompts and errors), then the profiles whose keys make the session;
    /// all are recorded in the entry.
    fn mfa_session(
        &self,
        owners: &[&str],
        source: &Credentials,
        region: &str,
        serial: &str,
        process: Option<&str>,
        duration: Duration,
    ) -> anyhow::Result<(Credentials, Option<String>)> {
        let profile = owners.first().copied().unwrap_or_default();
        let name = mfa_session_name(source, serial, duration);
        let fresh = |cache: &Cache| -> Option<Credentials> {
            cache
                .read::<MfaSessionEntry>(Kind::MfaSession, &name)
                .ok()
                .flatten()
                .filter(|e| e.version == ENTRY_VERSION && e.mfa_serial == serial)
                .filter(|e| e.duration_seconds == Some(duration.as_secs()))
                .filter(|e| {
                    sts_now(e.clock_skew)
                        .is_some_and(|now| e.credentials.fresh_for(now, self.min_ttl))
                })
                .map(|e| e.credentials)
        };
        let Some(cache) = &self.cache else {
            let creds = self.with_code(profile, serial, process, |code| {
                self.net
                    .get_session_token(source, region, duration, Some((serial, code)))
            })?;
            return Ok((creds, None));
        };
        if let Some(c) = fresh(cache) {
            debug(&format!(
                "profile {profile}: using the cached MFA session for {serial}"
            ));
            return Ok((c, Some(name)));
        }
        let _lock = cache.lock(
            Kind::MfaSession,
            &name,
            self.deadline,
            &format!("profile {profile:?}"),
        )?;
        if let Some(c) = fresh(cache) {
            return Ok((c, Some(name)));
        }
        let creds = self.with_code(profile, serial, process, |code| {
            self.net
                .get_session_token(source, region, duration, Some((serial, code)))
        })?;
        let mut profiles: Vec<String> = Vec::new();
        for o in owners {
            if !profiles.iter().any(|p| p == o) {
                profiles.push((*o).to_owned());
            }
        }
        warn_unsaved(cache.write(
            Kind::MfaSession,
            &name,
            &MfaSessionEntry {
                version: ENTRY_VERSION,
                mfa_serial: serial.to_owned(),
                duration_seconds: Some(duration.as_secs()),
                credentials: creds.clone(),
                clock_skew: self.net.clock_skew().unwrap_or(0),
                profiles,
            },
        ));
        Ok((creds, Some(name)))
    }

    /// Call `f` with a code, asking again (up to three codes) when STS rejects a typed one.
    fn with_code(
        &self,
        profile: &str,
        serial: &str,
        process: Option<&str>,
        mut f: impl FnMut(&str) -> anyhow::Result<Credentials>,
    ) -> anyhow::Result<Credentials> {
        for attempt in 0..TRIES {
            let (code, origin) = self.codes.code(profile, serial, process, attempt)?;
            match f(&code) {
                Err(e) if e.is::<MfaRejected>() => {
                    if origin != Origin::Terminal || attempt + 1 == TRIES {
                        let how = match origin {
                            Origin::Flag => "check the code passed with -c",
                            Origin::Process => "check mfa_process",
                            Origin::Terminal => "wait for a new code and run the command again",
                        };
                        bail!(
                            "could not get credentials for profile {profile:?}: the MFA code for {serial} was rejected; {how}"
                        );
                    }
                }
                other => return other,
            }
        }
        bail!(
            "could not get credentials for profile {profile:?}: the MFA code for {serial} was rejected {TRIES} times"
        )
    }
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

/// The cache name of the MFA session for a long-lived key, device and session length: a
/// `-d 1h` session neither is served for nor replaces the 12-hour one the roles share.
fn mfa_session_name(source: &Credentials, serial: &str, duration: Duration) -> String {
    key_digest(
        &source.access_key_id,
        &format!(
            "{}\0{serial}\0{}",
            digest(&source.secret_access_key),
            duration.as_secs()
        ),
    )
}

/// The cache name for something derived from a long-lived key (never the key itself).
fn key_digest(access_key_id: &str, extra: &str) -> String {
    digest(&format!("{access_key_id}\0{extra}"))
}

fn digest(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))[..32].to_owned()
}

fn session_name(configured: Option<&str>) -> String {
    configured
        .map(str::to_owned)
        .unwrap_or_else(|| format!("awsdo-{}", OffsetDateTime::now_utc().unix_timestamp()))
}
