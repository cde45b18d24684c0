//! From a profile to an ordered plan of steps, long-lived source first, final credentials last.
//!
//! Pure: it reads the parsed files, the command-line overrides and (for the cache key only, as
//! digests) the few environment variables a step takes its credentials from; never the network,
//! a terminal or the cache. `awsdo explain` prints a plan; `resolve` carries one out. The rules
//! follow the AWS CLI's (role_arn + source_profile, credential_source, web identity, SSO,
//! credential_process), plus awsdo's own: long-lived keys become a GetSessionToken session, and
//! a role that names an MFA device is assumed from a shared MFA session, so one code serves
//! every such role.
//!
//! Planning happens in two stages. [`Chain::walk`] follows `source_profile` iteratively (bounded
//! by [`MAX_CHAIN`]) into a list of links, from the selected profile to the one holding the
//! long-lived source. Then every per-key rule of DESIGN §3 ("Keys along a chain") is one method
//! of [`Chain`], and the steps are built from the links. The cache key is a digest of the whole
//! plan ([`Plan::cache_key`]), so whatever shapes a step shapes the key.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::time::Duration;

use anyhow::bail;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{Profile, ProfileSet};

/// AWS caps a role session assumed with session credentials at one hour.
pub const ROLE_CHAIN_MAX: Duration = Duration::from_secs(3600);
/// GetSessionToken sessions last a working day unless told otherwise.
pub const SESSION_TOKEN_DEFAULT: Duration = Duration::from_secs(12 * 3600);
/// The most roles a `source_profile` chain may assume.
///
/// Neither the AWS CLI nor the SDKs name a number (botocore follows the chain recursively until
/// Python's recursion limit, about a thousand); real chains are two to four roles deep, and
/// every extra link is one more AssumeRole on each renewal. 32 is far above any real setup and
/// keeps a hostile or mistaken config from making thousands of calls.
pub const MAX_CHAIN: usize = 32;

/// What the command line adds to or overrides in the profile (DESIGN §2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Overrides {
    /// `-r`: assume this role instead of the profile's `role_arn` (on top of the profile's own
    /// credentials when it has no `role_arn`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role_arn: Option<String>,
    /// `-s`: the profile whose credentials assume the role (instead of `source_profile`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_profile: Option<String>,
    /// `-d`: session length of the final step.
    #[serde(
        rename = "duration_seconds",
        serialize_with = "secs",
        skip_serializing_if = "Option::is_none"
    )]
    pub duration: Option<Duration>,
    /// `-n`: MFA device for the step that needs one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serial_number: Option<String>,
}

/// No flags, for every profile but the selected one.
static NO_FLAGS: Overrides = Overrides {
    role_arn: None,
    source_profile: None,
    duration: None,
    serial_number: None,
};

fn secs<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
    d.map(|d| d.as_secs()).serialize(s)
}

impl Overrides {
    /// No flag that changes the plan was given.
    pub fn is_empty(&self) -> bool {
        *self == Overrides::default()
    }
}

/// The flags as typed: `-r ARN -s NAME -d 3600s -n ARN` (only those given).
impl fmt::Display for Overrides {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = Vec::new();
        if let Some(r) = &self.role_arn {
            parts.push(format!("-r {r}"));
        }
        if let Some(s) = &self.source_profile {
            parts.push(format!("-s {s}"));
        }
        if let Some(d) = &self.duration {
            parts.push(format!("-d {}s", d.as_secs()));
        }
        if let Some(n) = &self.serial_number {
            parts.push(format!("-n {n}"));
        }
        f.write_str(&parts.join(" "))
    }
}

/// A SHA-256 digest of secret inputs (keys, tokens) that a plan starts from. It goes into the
/// cache key, never into output: `Debug` hides it and serialization skips it.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct SecretDigest([u8; 32]);

impl SecretDigest {
    /// The digest of `(name, value)` pairs; an absent value differs from an empty one.
    pub fn of<'a, V: AsRef<str>>(
        parts: impl IntoIterator<Item = (&'a str, Option<V>)>,
    ) -> SecretDigest {
        let mut h = Sha256::new();
        h.update(b"awsdo-secret-v1");
        for (name, value) in parts {
            h.update((name.len() as u64).to_be_bytes());
            h.update(name.as_bytes());
            match value.as_ref().map(AsRef::as_ref) {
                Some(v) => {
                    h.update([1]);
                    h.update((v.len() as u64).to_be_bytes());
                    h.update(v.as_bytes());
                }
                None => h.update([0]),
            }
        }
        SecretDigest(h.finalize().into())
    }
}

impl fmt::Debug for SecretDigest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretDigest(<redacted>)")
    }
}

/// How credentials for one profile are obtained.
#[derive(Debug, Clone, Serialize, Hash)]
pub struct Plan {
    /// The profile asked for.
    pub profile: String,
    /// The flags that changed the plan (`-r`, `-s`, `-d`, `-n`); empty without them.
    #[serde(skip_serializing_if = "Overrides::is_empty")]
    pub flags: Overrides,
    /// The region named by the profile or, failing that, the nearest profile up its chain.
    pub region: Option<String>,
    /// The profile that named `region`.
    pub region_from: Option<String>,
    /// The selected profile's `ca_bundle` (the AWS CLI reads it from that profile only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ca_bundle: Option<String>,
    /// The steps, in the order they run.
    pub steps: Vec<Step>,
    /// The STS/IAM/SSO endpoint settings of the environment, digested: other endpoints, other
    /// credentials.
    #[serde(skip)]
    pub endpoints: SecretDigest,
}

/// Where an MFA device's serial came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[serde(rename_all = "kebab-case")]
pub enum MfaFrom {
    /// `-n/--serial-number`.
    Flag,
    /// `mfa_serial` in the config.
    Config,
    /// Found (or to be found) with GetCallerIdentity + ListMFADevices.
    Discovered,
    /// Found by an earlier discovery, read from the cache.
    CachedDiscovery,
}

/// `credential_source` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub enum CredentialSource {
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
}

impl CredentialSource {
    /// The environment variables this source takes its credentials (or their endpoint) from;
    /// their values are digested into the cache key.
    fn env_inputs(self) -> &'static [&'static str] {
        match self {
            CredentialSource::Environment => &[
                "AWS_ACCESS_KEY_ID",
                "AWS_SECRET_ACCESS_KEY",
                "AWS_SESSION_TOKEN",
            ],
            CredentialSource::EcsContainer => &[
                "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN",
                "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
            ],
            CredentialSource::Ec2InstanceMetadata => &[
                "AWS_EC2_METADATA_SERVICE_ENDPOINT",
                "AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
            ],
        }
    }
}

/// The environment variables that choose the endpoints STS, IAM and SSO are reached at.
const ENDPOINT_VARS: [&str; 4] = [
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_STS",
    "AWS_ENDPOINT_URL_IAM",
    "AWS_ENDPOINT_URL_SSO",
];

/// One step of a plan. Secrets stay in the config; a step only names where they are and carries
/// a digest of them for the cache key.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Step {
    /// Keys from the files.
    Static {
        profile: String,
        /// Not a secret; also tells which key a cache entry was made from.
        access_key_id: String,
        /// The keys carry a session token already (they are used as they are).
        has_session_token: bool,
        /// Digest of the secret key and session token: rotating them changes the cache key.
        #[serde(skip)]
        secret: SecretDigest,
    },
    /// GetSessionToken on long-lived keys, with MFA when a device applies.
    SessionToken {
        profile: String,
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        mfa: Option<MfaFields>,
        duration_seconds: u64,
        /// `-d`, or the profile whose `duration_seconds` set it; absent: awsdo's 12 hours.
        #[serde(skip_serializing_if = "Option::is_none")]
        duration_seconds_from: Option<String>,
        /// Made to be the source of an AssumeRole: shared by every role naming this device.
        shared: bool,
    },
    /// AssumeRole with the previous step's credentials.
    AssumeRole {
        profile: String,
        role_arn: String,
        /// `-r`, or the profile whose `role_arn` it is.
        role_arn_from: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        role_session_name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        external_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        duration_seconds: Option<u64>,
        /// `-d`, or the profile whose `duration_seconds` set it.
        #[serde(skip_serializing_if = "Option::is_none")]
        duration_seconds_from: Option<String>,
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        mfa: Option<MfaFields>,
    },
    /// AssumeRoleWithWebIdentity with a token file.
    WebIdentity {
        profile: String,
        role_arn: String,
        /// `-r`, or the profile whose `role_arn` it is.
        role_arn_from: String,
        web_identity_token_file: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        role_session_name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        duration_seconds: Option<u64>,
        /// `-d`, or the profile whose `duration_seconds` set it.
        #[serde(skip_serializing_if = "Option::is_none")]
        duration_seconds_from: Option<String>,
    },
    /// An external command printing Version 1 JSON.
    CredentialProcess { profile: String, command: String },
    /// Credentials from the environment, EC2 instance metadata or the ECS container endpoint.
    CredentialSource {
        profile: String,
        source: CredentialSource,
        /// Digest of the environment variables the source reads (`env_inputs`).
        #[serde(skip)]
        inputs: SecretDigest,
    },
    /// IAM Identity Center: a token left by `aws sso login`, exchanged for role credentials.
    Sso {
        profile: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        sso_session: Option<String>,
        sso_start_url: String,
        sso_region: String,
        sso_account_id: String,
        sso_role_name: String,
    },
}

/// The MFA fields of a step, flattened into it in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[cfg_attr(test, derive(serde::Deserialize))]
pub struct MfaFields {
    /// The device ARN; `None` while it is still to be discovered.
    pub mfa_serial: Option<String>,
    /// Where the serial came from.
    pub mfa_serial_from: MfaFrom,
    /// The profile that names the device (its `mfa_serial`, or the one `-n` applies to).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_serial_profile: Option<String>,
    /// A command that prints a code (`mfa_process`, as in aws-vault).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_process: Option<String>,
    /// The profile whose `mfa_process` it is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mfa_process_from: Option<String>,
}

impl Step {
    /// The profile this step comes from.
    pub fn profile(&self) -> &str {
        match self {
            Step::Static { profile, .. }
            | Step::SessionToken { profile, .. }
            | Step::AssumeRole { profile, .. }
            | Step::WebIdentity { profile, .. }
            | Step::CredentialProcess { profile, .. }
            | Step::CredentialSource { profile, .. }
            | Step::Sso { profile, .. } => profile,
        }
    }

    /// The step's kind as DESIGN §2 names it.
    pub fn kind(&self) -> &'static str {
        match self {
            Step::Static { .. } => "static",
            Step::SessionToken { .. } => "session-token",
            Step::AssumeRole { .. } => "assume-role",
            Step::WebIdentity { .. } => "web-identity",
            Step::CredentialProcess { .. } => "credential-process",
            Step::CredentialSource { .. } => "credential-source",
            Step::Sso { .. } => "sso",
        }
    }

    /// The MFA fields, for the steps that can use a device.
    pub fn mfa(&self) -> Option<&MfaFields> {
        match self {
            Step::SessionToken { mfa, .. } | Step::AssumeRole { mfa, .. } => mfa.as_ref(),
            _ => None,
        }
    }
}

impl Plan {
    /// The kind of the whole plan in a word, for `awsdo status`.
    pub fn summary(&self) -> String {
        let kinds: Vec<&str> = self.steps.iter().map(Step::kind).collect();
        kinds.join(" > ")
    }

    /// The plan's name: the profile, followed by the flags that changed it
    /// (`ops -r arn:aws:iam::1:role/x`). Names the cache entry, so a run with flags never
    /// replaces the plain profile's entry, and titles `awsdo explain`.
    pub fn name(&self) -> String {
        if self.flags.is_empty() {
            self.profile.clone()
        } else {
            format!("{} {}", self.profile, self.flags)
        }
    }

    /// The cache key: a SHA-256 (hex) of the whole plan — profile, flags, region, every step
    /// with all its parameters, the digests of the secrets it starts from and of the endpoint
    /// settings. It is derived (`#[derive(Hash)]` fed into SHA-256), so a field added to a step
    /// is part of the key without anyone remembering to add it. The derived encoding may change
    /// with the compiler: then old entries are misses, never wrong hits.
    pub fn cache_key(&self) -> String {
        let mut h = Sha256Hasher(Sha256::new());
        "awsdo-plan-v2".hash(&mut h);
        self.hash(&mut h);
        hex(&h.0.finalize())
    }
}

/// A `Hasher` that feeds SHA-256, so a derived `Hash` gives a digest that is stable between runs.
struct Sha256Hasher(Sha256);

impl Hasher for Sha256Hasher {
    fn write(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    fn finish(&self) -> u64 {
        // Unused: the digest is read from the SHA-256 state.
        0
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The plan for `name` with the command line's `overrides`, reading credential-source inputs
/// from the process environment. See [`plan_with_env`].
pub fn plan(profiles: &ProfileSet, name: &str, overrides: &Overrides) -> anyhow::Result<Plan> {
    plan_with_env(profiles, name, overrides, &|k| std::env::var(k).ok())
}

/// The plan for `name` with the command line's `overrides`; `env` supplies the environment
/// variables a `credential_source` reads (digested into the cache key, never kept).
///
/// Errors (one line, naming the profile): a missing profile, a `source_profile` loop, a chain
/// deeper than [`MAX_CHAIN`], a profile with no way to get credentials, `-s` without a role.
pub fn plan_with_env(
    profiles: &ProfileSet,
    name: &str,
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> anyhow::Result<Plan> {
    Chain::walk(profiles, name, overrides)?.plan(env)
}

/// Where a value came from: a flag or a profile (by name).
#[derive(Debug, Clone, PartialEq, Eq)]
enum ValueFrom {
    Flag(&'static str),
    Profile(String),
}

impl ValueFrom {
    fn label(&self) -> String {
        match self {
            ValueFrom::Flag(f) => (*f).to_owned(),
            ValueFrom::Profile(p) => p.clone(),
        }
    }
}

/// How a link's credentials are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Via<'a> {
    /// From the next link (its `source_profile`, or `-s`).
    Next,
    /// The profile's own credentials, whatever they are (static keys, SSO, credential_process,
    /// a credential_source without a role): the end of the chain.
    Own,
    /// The profile's own static keys: a role profile that names itself as `source_profile`.
    OwnKeys,
    /// `credential_source`, with the role on top.
    CredentialSource(&'a str),
    /// `web_identity_token_file`: the role is assumed with the token.
    WebIdentity(&'a str),
}

/// One profile of a chain.
#[derive(Debug)]
struct Link<'a> {
    name: &'a str,
    /// `None` only for a selected profile that does not exist, used with `-r` and `-s`.
    profile: Option<&'a Profile>,
    /// The role this profile assumes and where its ARN came from; `None` at a plain source.
    role: Option<(&'a str, ValueFrom)>,
    source: Via<'a>,
}

impl<'a> Link<'a> {
    fn get(&self, key: &str) -> Option<&'a str> {
        self.profile
            .and_then(|p| p.get(key))
            .filter(|v| !v.is_empty())
    }
}

/// A profile's `source_profile` chain with the flags applied: the links from the selected
/// profile (first) to the one whose own credentials start it (last). Every per-key rule of
/// DESIGN §3 is a method here.
struct Chain<'a> {
    profiles: &'a ProfileSet,
    overrides: &'a Overrides,
    selected: &'a str,
    links: Vec<Link<'a>>,
}

impl<'a> Chain<'a> {
    /// Follow `source_profile` from `selected`, iteratively: at most [`MAX_CHAIN`] links, and a
    /// profile met twice is a loop.
    fn walk(
        profiles: &'a ProfileSet,
        selected: &'a str,
        overrides: &'a Overrides,
    ) -> anyhow::Result<Chain<'a>> {
        let mut links: Vec<Link<'a>> = Vec::new();
        let mut name = selected;
        loop {
            if let Some(at) = links.iter().position(|l| l.name == name) {
                let mut cycle: Vec<&str> = links[at..].iter().map(|l| l.name).collect();
                cycle.push(name);
                bail!(
                    "could not resolve profile {selected:?}: source_profile loop {}",
                    cycle.join(" -> ")
                );
            }
            let first = links.is_empty();
            // Flags apply to the selected profile only.
            let flags = if first { overrides } else { &NO_FLAGS };
            let profile = match profiles.profile(name) {
                Some(p) => Some(p),
                // `-s NAME -r ARN` stands on its own: the selected profile only adds settings.
                None if first && flags.role_arn.is_some() && flags.source_profile.is_some() => None,
                None => return Err(not_found(profiles, name)),
            };
            let get = |key: &str| profile.and_then(|p| p.get(key)).filter(|v| !v.is_empty());
            let config_role = get("role_arn");
            let role = match (&flags.role_arn, config_role) {
                (Some(r), _) => Some((r.as_str(), ValueFrom::Flag("-r"))),
                (None, Some(r)) => Some((r, ValueFrom::Profile(name.to_owned()))),
                (None, None) => None,
            };
            // Every link before this one assumes a role; the walk stays bounded.
            if role.is_some() && links.len() == MAX_CHAIN {
                bail!(
                    "could not resolve profile {selected:?}: its source_profile chain has more than {MAX_CHAIN} roles (stopped at {name:?}); awsdo refuses deeper chains, as no real setup needs them and each role is an AssumeRole at every renewal: shorten the chain"
                );
            }
            if role.is_none() {
                if let Some(s) = &flags.source_profile {
                    bail!(
                        "could not use -s {s} with profile {name:?}: it has no role_arn to assume; add -r ARN"
                    );
                }
                links.push(Link {
                    name,
                    profile,
                    role: None,
                    source: Via::Own,
                });
                break;
            }
            let (source, next) = match (flags.source_profile.as_deref(), config_role) {
                (Some(s), None) if s == name => (Via::Own, None),
                (Some(s), Some(_)) if s == name => (Via::OwnKeys, None),
                (Some(s), _) => (Via::Next, Some(s)),
                // `-r` on a profile without a role: its own credentials assume the role.
                (None, None) => (Via::Own, None),
                (None, Some(_)) => match (
                    get("web_identity_token_file"),
                    get("source_profile"),
                    get("credential_source"),
                ) {
                    (Some(file), _, _) => (Via::WebIdentity(file), None),
                    (None, Some(s), _) if s == name => (Via::OwnKeys, None),
                    (None, Some(s), _) => (Via::Next, Some(s)),
                    (None, None, Some(cs)) => (Via::CredentialSource(cs), None),
                    (None, None, None) => bail!(
                        "could not resolve profile {name:?}: it has role_arn but no source_profile, credential_source or web_identity_token_file"
                    ),
                },
            };
            links.push(Link {
                name,
                profile,
                role,
                source,
            });
            match next {
                Some(n) => name = n,
                None => break,
            }
        }
        Ok(Chain {
            profiles,
            overrides,
            selected,
            links,
        })
    }

    /// Rule: `region` comes from the selected profile, else the nearest profile up its chain
    /// that names one. Returns the region and the profile that named it.
    fn region(&self) -> Option<(String, String)> {
        self.links
            .iter()
            .find_map(|l| Some((l.get("region")?.to_owned(), l.name.to_owned())))
    }

    /// Rule: `ca_bundle` (like every setting the AWS CLI reads per profile) comes from the
    /// selected profile alone.
    fn ca_bundle(&self) -> Option<String> {
        self.links[0].get("ca_bundle").map(str::to_owned)
    }

    /// Rule: `duration_seconds` belongs to the profile that assumes the role; `-d` replaces it
    /// for the final step (link 0).
    fn duration(&self, link: usize) -> anyhow::Result<Option<(Duration, ValueFrom)>> {
        if link == 0
            && let Some(d) = self.overrides.duration
        {
            return Ok(Some((d, ValueFrom::Flag("-d"))));
        }
        let l = &self.links[link];
        let Some(v) = l.get("duration_seconds") else {
            return Ok(None);
        };
        let secs = v.trim().parse::<u64>().map_err(|_| {
            anyhow::anyhow!(
                "could not use profile {:?}: duration_seconds {v:?} is not a number of seconds",
                l.name
            )
        })?;
        Ok(Some((
            Duration::from_secs(secs),
            ValueFrom::Profile(l.name.to_owned()),
        )))
    }

    /// Rule: the MFA device of the step link `link` makes (its AssumeRole, or the final
    /// GetSessionToken of a plain profile): `-n` for the final step, else the profile's
    /// `mfa_serial`; for a role given with `-r`, else the `mfa_serial` of the profile whose own
    /// keys assume it (the Go awsdo's rule); for a plain profile's own keys, else discovery.
    /// `mfa_process` belongs to the profile that names the device, else the nearest profile up
    /// the chain from it that sets one.
    fn mfa(&self, link: usize) -> Option<MfaFields> {
        let l = &self.links[link];
        let plain = l.role.is_none();
        let (serial, from, named_by) = if link == 0
            && let Some(n) = &self.overrides.serial_number
        {
            (Some(n.clone()), MfaFrom::Flag, link)
        } else if let Some(s) = l.get("mfa_serial") {
            (Some(s.to_owned()), MfaFrom::Config, link)
        } else if matches!(l.role, Some((_, ValueFrom::Flag(_))))
            && let Some(next) = self.links.get(link + 1)
            && next.role.is_none()
            && let Some(s) = next.get("mfa_serial")
        {
            (Some(s.to_owned()), MfaFrom::Config, link + 1)
        } else if plain {
            (None, MfaFrom::Discovered, link)
        } else {
            return None;
        };
        let process = self.links[named_by..]
            .iter()
            .find_map(|l| Some((l.get("mfa_process")?.to_owned(), l.name.to_owned())));
        Some(MfaFields {
            mfa_serial: serial,
            mfa_serial_from: from,
            mfa_serial_profile: (from != MfaFrom::Discovered)
                .then(|| self.links[named_by].name.to_owned()),
            mfa_process_from: process.as_ref().map(|(_, p)| p.clone()),
            mfa_process: process.map(|(c, _)| c),
        })
    }

    /// The whole plan.
    fn plan(&self, env: &dyn Fn(&str) -> Option<String>) -> anyhow::Result<Plan> {
        let last = self.links.len() - 1;
        let end = &self.links[last];
        let mut steps = match end.source {
            Via::Own => vec![self.own_credentials(end, env)?],
            Via::OwnKeys => vec![self.static_step(end)?.ok_or_else(|| {
                anyhow::anyhow!(
                    "could not resolve profile {:?}: it is its own source_profile but has no aws_access_key_id",
                    end.name
                )
            })?],
            Via::CredentialSource(value) => {
                let source = parse_credential_source(end.name, value)?;
                vec![credential_source_step(end.name, source, env)]
            }
            Via::WebIdentity(_) | Via::Next => Vec::new(),
        };
        for i in (0..self.links.len()).rev() {
            let l = &self.links[i];
            let Some((role_arn, role_from)) = &l.role else {
                continue;
            };
            let duration = self.duration(i)?;
            let duration_seconds_from = duration.as_ref().map(|(_, f)| f.label());
            let duration = duration.map(|(d, _)| d);
            if let Via::WebIdentity(file) = l.source {
                steps.push(Step::WebIdentity {
                    profile: l.name.to_owned(),
                    role_arn: (*role_arn).to_owned(),
                    role_arn_from: role_from.label(),
                    web_identity_token_file: file.to_owned(),
                    role_session_name: l.get("role_session_name").map(str::to_owned),
                    duration_seconds: duration.map(|d| d.as_secs()),
                    duration_seconds_from,
                });
                continue;
            }
            push_role(
                &mut steps,
                Step::AssumeRole {
                    profile: l.name.to_owned(),
                    role_arn: (*role_arn).to_owned(),
                    role_arn_from: role_from.label(),
                    role_session_name: l.get("role_session_name").map(str::to_owned),
                    external_id: l.get("external_id").map(str::to_owned),
                    duration_seconds: duration.map(|d| d.as_secs()),
                    duration_seconds_from,
                    mfa: self.mfa(i),
                },
            );
        }
        // A plain profile with long-lived keys: exchange them for a session (with MFA).
        if let [
            Step::Static {
                has_session_token: false,
                ..
            },
        ] = steps.as_slice()
        {
            let (duration, from) = match self.duration(0)? {
                Some((d, f)) => (d, Some(f.label())),
                None => (SESSION_TOKEN_DEFAULT, None),
            };
            steps.push(Step::SessionToken {
                profile: self.selected.to_owned(),
                mfa: self.mfa(0),
                duration_seconds: duration.as_secs(),
                duration_seconds_from: from,
                shared: false,
            });
        }
        let region = self.region();
        Ok(Plan {
            profile: self.selected.to_owned(),
            flags: self.overrides.clone(),
            region_from: region.as_ref().map(|(_, p)| p.clone()),
            region: region.map(|(r, _)| r),
            ca_bundle: self.ca_bundle(),
            steps,
            endpoints: SecretDigest::of(ENDPOINT_VARS.iter().map(|&k| (k, env(k)))),
        })
    }

    /// The credentials a profile holds itself: keys, SSO, credential_process, credential_source.
    fn own_credentials(
        &self,
        l: &Link<'a>,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> anyhow::Result<Step> {
        let name = l.name;
        if let Some(step) = self.static_step(l)? {
            return Ok(step);
        }
        if l.get("sso_session").is_some() || l.get("sso_start_url").is_some() {
            return self.sso_step(l);
        }
        if let Some(command) = l.get("credential_process") {
            return Ok(Step::CredentialProcess {
                profile: name.to_owned(),
                command: command.to_owned(),
            });
        }
        if let Some(value) = l.get("credential_source") {
            let source = parse_credential_source(name, value)?;
            return Ok(credential_source_step(name, source, env));
        }
        bail!(
            "could not find credentials for profile {name:?}: add aws_access_key_id and aws_secret_access_key to the credentials file, or role_arn with source_profile, sso_session or credential_process to the config"
        )
    }

    fn static_step(&self, l: &Link<'a>) -> anyhow::Result<Option<Step>> {
        let name = l.name;
        let Some(p) = l.profile else {
            return Ok(None);
        };
        match (p.get("aws_access_key_id"), p.get("aws_secret_access_key")) {
            (Some(id), Some(_)) if !id.is_empty() => Ok(Some(Step::Static {
                profile: name.to_owned(),
                access_key_id: id.to_owned(),
                has_session_token: p.get("aws_session_token").is_some_and(|t| !t.is_empty()),
                secret: SecretDigest::of(
                    [
                        "aws_secret_access_key",
                        "aws_session_token",
                        "aws_security_token",
                    ]
                    .map(|k| (k, p.get(k))),
                ),
            })),
            (Some(_), _) => bail!(
                "could not use profile {name:?}: aws_access_key_id is set but aws_secret_access_key is missing"
            ),
            (None, Some(_)) => bail!(
                "could not use profile {name:?}: aws_secret_access_key is set but aws_access_key_id is missing"
            ),
            (None, None) => Ok(None),
        }
    }

    fn sso_step(&self, l: &Link<'a>) -> anyhow::Result<Step> {
        let name = l.name;
        let session_name = l.get("sso_session").map(str::to_owned);
        let session = match &session_name {
            Some(s) => Some(self.profiles.sso_session(s).ok_or_else(|| {
                anyhow::anyhow!(
                    "could not use profile {name:?}: no [sso-session {s}] section in the config"
                )
            })?),
            None => None,
        };
        let get = |key: &str| -> anyhow::Result<String> {
            l.get(key)
                .or_else(|| session.and_then(|s| s.get(key)))
                .map(str::to_owned)
                .ok_or_else(|| {
                    anyhow::anyhow!("could not use SSO profile {name:?}: {key} is missing")
                })
        };
        Ok(Step::Sso {
            profile: name.to_owned(),
            sso_session: session_name.clone(),
            sso_start_url: get("sso_start_url")?,
            sso_region: get("sso_region")?,
            sso_account_id: get("sso_account_id")?,
            sso_role_name: get("sso_role_name")?,
        })
    }
}

fn credential_source_step(
    profile: &str,
    source: CredentialSource,
    env: &dyn Fn(&str) -> Option<String>,
) -> Step {
    Step::CredentialSource {
        profile: profile.to_owned(),
        source,
        inputs: SecretDigest::of(source.env_inputs().iter().map(|&k| (k, env(k)))),
    }
}

/// Append an AssumeRole, routing MFA through a shared MFA session when that is allowed: the
/// source is long-lived keys and the role session is no longer than AWS allows for a role
/// assumed with session credentials.
fn push_role(steps: &mut Vec<Step>, mut role: Step) {
    let Step::AssumeRole {
        duration_seconds,
        mfa,
        ..
    } = &mut role
    else {
        steps.push(role);
        return;
    };
    let from_long_lived = matches!(
        steps.last(),
        Some(Step::Static {
            has_session_token: false,
            ..
        })
    );
    let short_enough = duration_seconds.is_none_or(|d| d <= ROLE_CHAIN_MAX.as_secs());
    if from_long_lived && short_enough && mfa.is_some() {
        let source_profile = steps
            .last()
            .map(|s| s.profile().to_owned())
            .unwrap_or_default();
        steps.push(Step::SessionToken {
            profile: source_profile,
            mfa: mfa.take(),
            duration_seconds: SESSION_TOKEN_DEFAULT.as_secs(),
            duration_seconds_from: None,
            shared: true,
        });
    }
    steps.push(role);
}

/// "could not find profile", with the known ones.
fn not_found(profiles: &ProfileSet, name: &str) -> anyhow::Error {
    let known = profiles.profile_names();
    let known = if known.is_empty() {
        "none are configured".to_owned()
    } else {
        format!("known profiles: {}", known.join(", "))
    };
    anyhow::anyhow!("could not find profile {name:?} ({known})")
}

fn parse_credential_source(profile: &str, value: &str) -> anyhow::Result<CredentialSource> {
    match value {
        "Environment" => Ok(CredentialSource::Environment),
        "Ec2InstanceMetadata" => Ok(CredentialSource::Ec2InstanceMetadata),
        "EcsContainer" => Ok(CredentialSource::EcsContainer),
        other => bail!(
            "could not use profile {profile:?}: credential_source {other:?} is not one of Environment, Ec2InstanceMetadata, EcsContainer"
        ),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    const CREDS: &str = "[base]\naws_access_key_id = AKIAFAKE0001\naws_secret_access_key = fake-secret\n\
                         [temp]\naws_access_key_id = ASIAFAKE0002\naws_secret_access_key = fake-secret\naws_session_token = fake-token\n";

    fn profiles(config: &str) -> ProfileSet {
        ProfileSet::parse(config, Path::new("config"), CREDS, Path::new("credentials")).unwrap()
    }

    fn kinds(p: &Plan) -> Vec<&'static str> {
        p.steps.iter().map(Step::kind).collect()
    }

    #[test]
    fn long_lived_keys_get_a_session_token_with_discovery() {
        let set = profiles("");
        let p = plan(&set, "base", &Overrides::default()).unwrap();
        assert_eq!(kinds(&p), ["static", "session-token"]);
        let mfa = p.steps[1].mfa().unwrap();
        assert_eq!(
            (mfa.mfa_serial.as_deref(), mfa.mfa_serial_from),
            (None, MfaFrom::Discovered)
        );
    }

    #[test]
    fn keys_with_a_token_are_used_as_they_are() {
        let p = plan(&profiles(""), "temp", &Overrides::default()).unwrap();
        assert_eq!(kinds(&p), ["static"]);
    }

    #[test]
    fn role_with_mfa_goes_through_a_shared_mfa_session() {
        let set = profiles(
            "[profile prod]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/u\nregion = eu-west-1\n",
        );
        let p = plan(&set, "prod", &Overrides::default()).unwrap();
        assert_eq!(kinds(&p), ["static", "session-token", "assume-role"]);
        assert!(matches!(
            p.steps[1],
            Step::SessionToken { shared: true, .. }
        ));
        assert!(p.steps[2].mfa().is_none());
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
    }

    #[test]
    fn long_role_sessions_take_mfa_directly() {
        let set = profiles(
            "[profile prod]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = base\nmfa_serial = arn:aws:iam::1:mfa/u\nduration_seconds = 7200\n",
        );
        let p = plan(&set, "prod", &Overrides::default()).unwrap();
        assert_eq!(kinds(&p), ["static", "assume-role"]);
        let mfa = p.steps[1].mfa().unwrap();
        assert_eq!(mfa.mfa_serial_from, MfaFrom::Config);
    }

    #[test]
    fn chains_run_from_source_to_final_role() {
        let set = profiles(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = base\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\nexternal_id = x\nrole_session_name = me\n",
        );
        let p = plan(&set, "b", &Overrides::default()).unwrap();
        assert_eq!(kinds(&p), ["static", "assume-role", "assume-role"]);
        assert!(
            matches!(&p.steps[2], Step::AssumeRole { external_id: Some(x), role_session_name: Some(n), .. } if x == "x" && n == "me")
        );
    }

    #[test]
    fn a_loop_names_its_profiles() {
        let set = profiles(
            "[profile a]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = b\n[profile b]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = a\n",
        );
        let err = plan(&set, "a", &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("a -> b -> a"), "{err}");
    }

    #[test]
    fn unknown_profile_lists_the_known_ones() {
        let err = plan(&profiles(""), "nope", &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"nope\"") && err.contains("base, temp"),
            "{err}"
        );
    }

    #[test]
    fn flags_override_role_source_duration_and_device() {
        let set = profiles("");
        let o = Overrides {
            role_arn: Some("arn:aws:iam::1:role/x".into()),
            source_profile: Some("base".into()),
            duration: Some(Duration::from_secs(900)),
            serial_number: Some("arn:aws:iam::1:mfa/flag".into()),
        };
        let p = plan(&set, "base", &o).unwrap();
        assert_eq!(kinds(&p), ["static", "session-token", "assume-role"]);
        assert_eq!(p.steps[1].mfa().unwrap().mfa_serial_from, MfaFrom::Flag);
        assert!(matches!(
            p.steps[2],
            Step::AssumeRole {
                duration_seconds: Some(900),
                ..
            }
        ));
    }

    #[test]
    fn role_flag_takes_the_source_profiles_mfa_serial() {
        let set = profiles("[profile base]\nmfa_serial = arn:aws:iam::1:mfa/base\n");
        let o = Overrides {
            role_arn: Some("arn:aws:iam::1:role/x".into()),
            ..Overrides::default()
        };
        let p = plan(&set, "base", &o).unwrap();
        assert_eq!(kinds(&p), ["static", "session-token", "assume-role"]);
        let mfa = p.steps[1].mfa().unwrap();
        assert_eq!(mfa.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/base"));
        assert_eq!(mfa.mfa_serial_from, MfaFrom::Config);
    }

    #[test]
    fn other_sources() {
        let set = profiles(
            "[profile env]\nrole_arn = arn:aws:iam::1:role/e\ncredential_source = Environment\n\
             [profile web]\nrole_arn = arn:aws:iam::1:role/w\nweb_identity_token_file = /tmp/t\n\
             [profile proc]\ncredential_process = echo {}\n\
             [profile sso]\nsso_session = s\nsso_account_id = 1\nsso_role_name = R\n\
             [sso-session s]\nsso_start_url = https://x\nsso_region = us-east-1\n",
        );
        let k = |n: &str| kinds(&plan(&set, n, &Overrides::default()).unwrap());
        assert_eq!(k("env"), ["credential-source", "assume-role"]);
        assert_eq!(k("web"), ["web-identity"]);
        assert_eq!(k("proc"), ["credential-process"]);
        assert_eq!(k("sso"), ["sso"]);
    }

    #[test]
    fn missing_secret_is_one_clear_line() {
        let set = ProfileSet::parse(
            "",
            Path::new("c"),
            "[x]\naws_access_key_id = AKIA\n",
            Path::new("k"),
        )
        .unwrap();
        let err = plan(&set, "x", &Overrides::default())
            .unwrap_err()
            .to_string();
        assert!(err.contains("aws_secret_access_key is missing"), "{err}");
    }

    #[test]
    fn editing_the_profile_changes_the_cache_key() {
        let a = profiles("[profile p]\nrole_arn = arn:aws:iam::1:role/a\nsource_profile = base\n");
        let b = profiles("[profile p]\nrole_arn = arn:aws:iam::1:role/b\nsource_profile = base\n");
        let key = |s: &ProfileSet| plan(s, "p", &Overrides::default()).unwrap().cache_key();
        assert_ne!(key(&a), key(&b));
        assert_eq!(key(&a), key(&a));
    }

    const NO_ENV: &dyn Fn(&str) -> Option<String> = &|_| None;

    fn plan_of(config: &str, name: &str, o: &Overrides) -> Plan {
        plan_with_env(&profiles(config), name, o, NO_ENV).unwrap()
    }

    fn role(step: &Step) -> (&str, &str, Option<&str>, Option<&str>, Option<u64>) {
        match step {
            Step::AssumeRole {
                profile,
                role_arn,
                external_id,
                role_session_name,
                duration_seconds,
                ..
            } => (
                profile,
                role_arn,
                external_id.as_deref(),
                role_session_name.as_deref(),
                *duration_seconds,
            ),
            other => panic!("not an assume-role step: {other:?}"),
        }
    }

    /// ops assumes a role with carol's keys; ops names the device, carol has the mfa_process.
    const OPS_CAROL: &str = "[profile carol]\naws_access_key_id = AKIAFAKECAROL0000001\naws_secret_access_key = fake-secret-carol\n\
         mfa_process = echo 123456\nregion = eu-west-1\nmfa_serial = arn:aws:iam::1:mfa/carol-own\n\
         role_session_name = carol-name\nexternal_id = carol-ext\nduration_seconds = 900\nca_bundle = /carol.pem\n\
         [profile ops]\nrole_arn = arn:aws:iam::1:role/ops\nsource_profile = carol\nmfa_serial = arn:aws:iam::1:mfa/carol\n";

    #[test]
    fn chain_key_mfa_process_comes_from_the_nearest_profile_up_the_chain() {
        let p = plan_of(OPS_CAROL, "ops", &Overrides::default());
        assert_eq!(kinds(&p), ["static", "session-token", "assume-role"]);
        let m = p.steps[1].mfa().unwrap();
        assert_eq!(m.mfa_serial.as_deref(), Some("arn:aws:iam::1:mfa/carol"));
        assert_eq!(m.mfa_serial_profile.as_deref(), Some("ops"));
        assert_eq!(m.mfa_process.as_deref(), Some("echo 123456"));
        assert_eq!(m.mfa_process_from.as_deref(), Some("carol"));
        // The profile that names the device wins over its source.
        let own = format!("{OPS_CAROL}mfa_process = echo 654321\n");
        let m = plan_of(&own, "ops", &Overrides::default()).steps[1]
            .mfa()
            .unwrap()
            .clone();
        assert_eq!(
            (m.mfa_process.as_deref(), m.mfa_process_from.as_deref()),
            (Some("echo 654321"), Some("ops"))
        );
    }

    #[test]
    fn chain_keys_of_the_role_belong_to_the_profile_that_assumes_it() {
        // carol's own mfa_serial, role_session_name, external_id and duration_seconds are not
        // ops's: ops's role gets none of them, and its device is ops's own.
        let p = plan_of(OPS_CAROL, "ops", &Overrides::default());
        assert_eq!(
            role(&p.steps[2]),
            ("ops", "arn:aws:iam::1:role/ops", None, None, None)
        );
        let with_own = format!(
            "{OPS_CAROL}role_session_name = ops-name\nexternal_id = ops-ext\nduration_seconds = 1800\n"
        );
        let p = plan_of(&with_own, "ops", &Overrides::default());
        assert_eq!(
            role(&p.steps[2]),
            (
                "ops",
                "arn:aws:iam::1:role/ops",
                Some("ops-ext"),
                Some("ops-name"),
                Some(1800)
            )
        );
        // A source's role_arn is its own role, assumed before the selected one.
        let chained = "[profile mid]\nrole_arn = arn:aws:iam::1:role/mid\nsource_profile = base\nexternal_id = mid-ext\n\
             [profile top]\nrole_arn = arn:aws:iam::1:role/top\nsource_profile = mid\n";
        let p = plan_of(chained, "top", &Overrides::default());
        assert_eq!(
            role(&p.steps[1]),
            (
                "mid",
                "arn:aws:iam::1:role/mid",
                Some("mid-ext"),
                None,
                None
            )
        );
        assert_eq!(
            role(&p.steps[2]),
            ("top", "arn:aws:iam::1:role/top", None, None, None)
        );
    }

    #[test]
    fn chain_key_region_comes_from_the_selected_profile_else_up_the_chain() {
        let p = plan_of(OPS_CAROL, "ops", &Overrides::default());
        assert_eq!(p.region.as_deref(), Some("eu-west-1"));
        assert_eq!(p.region_from.as_deref(), Some("carol"));
        let own = format!("{OPS_CAROL}region = us-west-2\n");
        let p = plan_of(&own, "ops", &Overrides::default());
        assert_eq!(
            (p.region.as_deref(), p.region_from.as_deref()),
            (Some("us-west-2"), Some("ops"))
        );
    }

    #[test]
    fn chain_key_ca_bundle_comes_from_the_selected_profile_only() {
        assert_eq!(
            plan_of(OPS_CAROL, "ops", &Overrides::default()).ca_bundle,
            None
        );
        assert_eq!(
            plan_of(OPS_CAROL, "carol", &Overrides::default())
                .ca_bundle
                .as_deref(),
            Some("/carol.pem")
        );
    }

    #[test]
    fn chain_key_duration_of_a_plain_profile_and_dash_d() {
        let p = plan_of(OPS_CAROL, "carol", &Overrides::default());
        assert!(matches!(
            &p.steps[1],
            Step::SessionToken { duration_seconds: 900, duration_seconds_from: Some(f), .. } if f == "carol"
        ));
        let d = Overrides {
            duration: Some(Duration::from_secs(3600)),
            ..Overrides::default()
        };
        let p = plan_of(OPS_CAROL, "carol", &d);
        assert!(matches!(
            &p.steps[1],
            Step::SessionToken { duration_seconds: 3600, duration_seconds_from: Some(f), .. } if f == "-d"
        ));
        // -d applies to the final role only, never to the shared MFA session.
        let p = plan_of(OPS_CAROL, "ops", &d);
        assert!(matches!(
            &p.steps[1],
            Step::SessionToken {
                duration_seconds: 43200,
                shared: true,
                ..
            }
        ));
        assert_eq!(role(&p.steps[2]).4, Some(3600));
    }

    /// admin assumes a role from base; base has the region.
    const ADMIN: &str = "[profile base]\nregion = eu-central-1\n\
         [profile admin]\nrole_arn = arn:aws:iam::1:role/admin\nsource_profile = base\nexternal_id = admin-ext\n\
         role_session_name = admin-name\nmfa_serial = arn:aws:iam::1:mfa/base\nmfa_process = echo 111111\n";

    #[test]
    fn dash_r_replaces_the_role_and_keeps_the_profiles_settings() {
        let o = Overrides {
            role_arn: Some("arn:aws:iam::1:role/other".into()),
            ..Overrides::default()
        };
        let plain = plan_of(ADMIN, "admin", &Overrides::default());
        let p = plan_of(ADMIN, "admin", &o);
        assert_eq!(kinds(&p), ["static", "session-token", "assume-role"]);
        assert_eq!(
            role(&p.steps[2]),
            (
                "admin",
                "arn:aws:iam::1:role/other",
                Some("admin-ext"),
                Some("admin-name"),
                None
            )
        );
        assert!(
            matches!(&p.steps[2], Step::AssumeRole { role_arn_from, .. } if role_arn_from == "-r")
        );
        let m = p.steps[1].mfa().unwrap();
        assert_eq!(m.mfa_process.as_deref(), Some("echo 111111"));
        assert_eq!(p.region.as_deref(), Some("eu-central-1"));
        assert_eq!(p.name(), "admin -r arn:aws:iam::1:role/other");
        assert_eq!(plain.name(), "admin");
        assert_ne!(p.cache_key(), plain.cache_key());
    }

    #[test]
    fn dash_s_replaces_the_source_and_names_the_plan() {
        let o = Overrides {
            role_arn: Some("arn:aws:iam::1:role/x".into()),
            source_profile: Some("base".into()),
            ..Overrides::default()
        };
        // No [default] at all: -s and -r stand on their own.
        let p = plan_of("[profile base]\nregion = eu-central-1\n", "default", &o);
        assert_eq!(kinds(&p), ["static", "assume-role"]);
        assert_eq!(p.steps[0].profile(), "base");
        assert_eq!(p.region_from.as_deref(), Some("base"));
        assert_eq!(p.name(), "default -r arn:aws:iam::1:role/x -s base");
        // -s on a role profile: its role, assumed with the other profile's credentials.
        let s = Overrides {
            source_profile: Some("temp".into()),
            ..Overrides::default()
        };
        let p = plan_of(ADMIN, "admin", &s);
        assert_eq!(kinds(&p), ["static", "assume-role"]);
        assert_eq!(p.steps[0].profile(), "temp");
        assert_eq!(role(&p.steps[1]).1, "arn:aws:iam::1:role/admin");
        // -s without any role to assume is refused.
        let err = plan_with_env(&profiles(""), "base", &s, NO_ENV)
            .unwrap_err()
            .to_string();
        assert!(err.contains("-s temp") && err.contains("-r ARN"), "{err}");
    }

    #[test]
    fn each_flag_names_its_own_cache_entry() {
        let all = [
            Overrides {
                role_arn: Some("arn:aws:iam::1:role/x".into()),
                ..Overrides::default()
            },
            Overrides {
                source_profile: Some("temp".into()),
                ..Overrides::default()
            },
            Overrides {
                duration: Some(Duration::from_secs(900)),
                ..Overrides::default()
            },
            Overrides {
                serial_number: Some("arn:aws:iam::1:mfa/flag".into()),
                ..Overrides::default()
            },
            Overrides::default(),
        ];
        let names: std::collections::BTreeSet<String> = all
            .iter()
            .map(|o| plan_of(ADMIN, "admin", o).name())
            .collect();
        assert_eq!(names.len(), all.len(), "{names:?}");
    }

    #[test]
    fn a_chain_deeper_than_the_cap_is_one_line_without_overflow() {
        // 10,000 profiles, each the source of the next: no recursion, one line.
        let mut config = String::new();
        for i in 1..10_000 {
            config.push_str(&format!(
                "[profile p{i}]\nrole_arn = arn:aws:iam::1:role/r{i}\nsource_profile = p{}\n",
                i - 1
            ));
        }
        config.push_str("[profile p0]\nrole_arn = arn:aws:iam::1:role/r0\nsource_profile = base\n");
        let set = profiles(&config);
        let err = plan_with_env(&set, "p9999", &Overrides::default(), NO_ENV)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("\"p9999\"") && err.contains("more than 32 roles") && !err.contains('\n'),
            "{err}"
        );
        // 32 roles deep is still fine; 33 is not.
        let p = plan_with_env(&set, "p31", &Overrides::default(), NO_ENV).unwrap();
        assert_eq!(p.steps.len(), 33);
        assert!(plan_with_env(&set, "p32", &Overrides::default(), NO_ENV).is_err());
    }

    #[test]
    fn secrets_change_the_key_but_never_show() {
        let with = |secret: &str| {
            let creds = format!(
                "[k]\naws_access_key_id = AKIAFAKE0003\naws_secret_access_key = {secret}\n"
            );
            let set = ProfileSet::parse("", Path::new("c"), &creds, Path::new("k")).unwrap();
            plan_with_env(&set, "k", &Overrides::default(), NO_ENV).unwrap()
        };
        let a = with("fake-secret-one");
        assert_ne!(a.cache_key(), with("fake-secret-two").cache_key());
        let shown = format!("{a:?}{}", serde_json::to_string(&a).unwrap());
        assert!(!shown.contains("fake-secret-one"), "{shown}");
        // The environment keys a credential_source = Environment role starts from, too.
        let set = profiles(
            "[profile ci]\nrole_arn = arn:aws:iam::1:role/ci\ncredential_source = Environment\n",
        );
        let key = |secret: Option<&str>| {
            let env = |k: &str| match k {
                "AWS_ACCESS_KEY_ID" => Some("AKIAFAKEENV".to_owned()),
                "AWS_SECRET_ACCESS_KEY" => secret.map(str::to_owned),
                _ => None,
            };
            plan_with_env(&set, "ci", &Overrides::default(), &env)
                .unwrap()
                .cache_key()
        };
        assert_ne!(key(Some("fake-env-one")), key(Some("fake-env-two")));
        assert_ne!(key(Some("fake-env-one")), key(None));
        assert_eq!(key(Some("fake-env-one")), key(Some("fake-env-one")));
    }

    /// One plan with every step kind, every optional field set.
    fn every_kind() -> Vec<Step> {
        let mfa = || {
            Some(MfaFields {
                mfa_serial: Some("arn:aws:iam::1:mfa/u".into()),
                mfa_serial_from: MfaFrom::Config,
                mfa_serial_profile: Some("p".into()),
                mfa_process: Some("echo 1".into()),
                mfa_process_from: Some("p".into()),
            })
        };
        vec![
            Step::Static {
                profile: "p".into(),
                access_key_id: "AKIA".into(),
                has_session_token: false,
                secret: SecretDigest::of([("s", Some("x"))]),
            },
            Step::SessionToken {
                profile: "p".into(),
                mfa: mfa(),
                duration_seconds: 10,
                duration_seconds_from: Some("p".into()),
                shared: true,
            },
            Step::AssumeRole {
                profile: "p".into(),
                role_arn: "arn".into(),
                role_arn_from: "p".into(),
                role_session_name: Some("n".into()),
                external_id: Some("e".into()),
                duration_seconds: Some(10),
                duration_seconds_from: Some("p".into()),
                mfa: mfa(),
            },
            Step::WebIdentity {
                profile: "p".into(),
                role_arn: "arn".into(),
                role_arn_from: "p".into(),
                web_identity_token_file: "/t".into(),
                role_session_name: Some("n".into()),
                duration_seconds: Some(10),
                duration_seconds_from: Some("p".into()),
            },
            Step::CredentialProcess {
                profile: "p".into(),
                command: "c".into(),
            },
            Step::CredentialSource {
                profile: "p".into(),
                source: CredentialSource::Environment,
                inputs: SecretDigest::of([("i", Some("x"))]),
            },
            Step::Sso {
                profile: "p".into(),
                sso_session: Some("s".into()),
                sso_start_url: "u".into(),
                sso_region: "r".into(),
                sso_account_id: "a".into(),
                sso_role_name: "n".into(),
            },
        ]
    }

    fn plan_with_steps(steps: Vec<Step>) -> Plan {
        Plan {
            profile: "p".into(),
            flags: Overrides::default(),
            region: Some("r".into()),
            region_from: Some("p".into()),
            ca_bundle: None,
            steps,
            endpoints: SecretDigest::default(),
        }
    }

    /// A different value of the same JSON type.
    fn changed(v: &serde_json::Value) -> serde_json::Value {
        use serde_json::Value;
        match v {
            Value::String(s) if s == "config" => Value::String("flag".into()),
            Value::String(s) if s == "Environment" => Value::String("EcsContainer".into()),
            Value::String(s) => Value::String(format!("{s}-changed")),
            Value::Number(n) => Value::from(n.as_u64().unwrap() + 1),
            Value::Bool(b) => Value::Bool(!b),
            Value::Null => Value::String("now-set".into()),
            other => panic!("no change for {other}"),
        }
    }

    #[test]
    fn every_field_of_every_step_kind_changes_the_cache_key() {
        let mut seen = 0;
        for step in every_kind() {
            let base = plan_with_steps(vec![step.clone()]).cache_key();
            let json = serde_json::to_value(&step).unwrap();
            for (field, value) in json.as_object().unwrap() {
                if field == "kind" {
                    continue;
                }
                let mut edited = json.clone();
                edited[field] = changed(value);
                let mut other: Step = serde_json::from_value(edited).unwrap();
                // Fields serde does not show (digests) are carried over, then changed below.
                match (&mut other, &step) {
                    (Step::Static { secret, .. }, Step::Static { secret: s, .. }) => {
                        *secret = s.clone();
                    }
                    (
                        Step::CredentialSource { inputs, .. },
                        Step::CredentialSource { inputs: i, .. },
                    ) => {
                        *inputs = i.clone();
                    }
                    _ => {}
                }
                assert_ne!(other, step, "{field} of {}", step.kind());
                assert_ne!(
                    plan_with_steps(vec![other]).cache_key(),
                    base,
                    "{field} of {}",
                    step.kind()
                );
                seen += 1;
            }
        }
        assert!(seen >= 30, "{seen}");
        // The digests that are never shown.
        for mut step in every_kind() {
            let base = plan_with_steps(vec![step.clone()]).cache_key();
            match &mut step {
                Step::Static { secret: d, .. } | Step::CredentialSource { inputs: d, .. } => {
                    *d = SecretDigest::of([("other", Some("y"))]);
                }
                _ => continue,
            }
            assert_ne!(plan_with_steps(vec![step]).cache_key(), base);
        }
        // And the plan's own fields.
        let base = plan_with_steps(Vec::new());
        let key = base.cache_key();
        let mut p = base.clone();
        p.flags.duration = Some(Duration::from_secs(1));
        assert_ne!(p.cache_key(), key);
        let mut p = base.clone();
        p.region = None;
        assert_ne!(p.cache_key(), key);
        let mut p = base.clone();
        p.endpoints = SecretDigest::of([("AWS_ENDPOINT_URL", Some("http://x"))]);
        assert_ne!(p.cache_key(), key);
        let mut p = base;
        p.profile = "q".into();
        assert_ne!(p.cache_key(), key);
    }
}
