//! From a profile to an ordered plan of steps, long-lived source first, final credentials last.
//!
//! Pure: it reads the parsed files, the command-line overrides and (for the cache key only, as
//! digests) the few environment variables a step takes its credentials from and the endpoint
//! settings; never the network, a terminal or the cache. A plan is self-contained: a static
//! step carries its keys ([`StaticKeys`], never shown), so nothing after planning goes back to
//! the files. `awsdo explain` prints a plan; `resolve` carries one out. The rules
//! follow the AWS CLI's (role_arn + source_profile, credential_source, web identity, SSO,
//! credential_process), plus awsdo's own: long-lived keys become a GetSessionToken session, and
//! a role that names an MFA device is assumed from a shared MFA session, so one code serves
//! every such role.
//!
//! Planning happens in two stages. `Chain::walk` (`chain.rs`) follows `source_profile`
//! iteratively (bounded by [`MAX_CHAIN`]) into a list of links, from the selected profile to the
//! one holding the long-lived source; every per-key rule of DESIGN §3 ("Keys along a chain") is
//! one method of `Chain` there. Then `build.rs` makes the steps (`step.rs`) from the links. The
//! cache key is a digest of the whole plan ([`Plan::cache_key`], `key.rs`), so whatever shapes
//! a step shapes the key.

mod build;
mod chain;
mod key;
mod step;
#[cfg(test)]
mod tests;

pub use key::hex;
pub use step::{CredentialSource, MfaFields, MfaFrom, SecretDigest, StaticKeys, Step};

use std::fmt;
use std::time::Duration;

use serde::Serialize;

use self::chain::Chain;
use crate::config::ProfileSet;
use crate::env::Env;

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
pub(super) static NO_FLAGS: Overrides = Overrides {
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
}

/// The plan for `name` with the command line's `overrides`, reading credential-source inputs
/// from the process environment. See [`plan_with_env`].
pub fn plan(profiles: &ProfileSet, name: &str, overrides: &Overrides) -> anyhow::Result<Plan> {
    plan_with_env(profiles, name, overrides, &Env::from_process())
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
    env: &Env,
) -> anyhow::Result<Plan> {
    Chain::walk(profiles, name, overrides)?.plan(env)
}
