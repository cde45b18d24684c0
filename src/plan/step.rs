//! The steps of a plan: each kind with everything it needs, and the digests of the secrets
//! they start from.

use std::fmt;
use std::hash::{Hash, Hasher};

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::creds::Credentials;

/// The keys of a static step, carried in the plan so that nothing after planning goes back to
/// the files for them. Never shown or written: `Debug` redacts them and serialization skips
/// them. `Hash` skips them too: the step's `secret` digest stands for them in the cache key.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct StaticKeys {
    secret_access_key: String,
    session_token: Option<String>,
}

impl StaticKeys {
    /// `aws_secret_access_key` and a non-empty `aws_session_token`, as the files hold them.
    pub fn new(secret_access_key: &str, session_token: Option<&str>) -> StaticKeys {
        StaticKeys {
            secret_access_key: secret_access_key.to_owned(),
            session_token: session_token.filter(|t| !t.is_empty()).map(str::to_owned),
        }
    }
}

impl Hash for StaticKeys {
    fn hash<H: Hasher>(&self, _: &mut H) {}
}

impl fmt::Debug for StaticKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StaticKeys(<redacted>)")
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
    pub(super) fn env_inputs(self) -> &'static [&'static str] {
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
pub(super) const ENDPOINT_VARS: [&str; 4] = [
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
        /// The keys themselves, for the resolver (and the console's GetFederationToken).
        #[serde(skip)]
        keys: StaticKeys,
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

    /// The credentials of a static step (its keys as the files hold them); `None` for others.
    pub fn static_credentials(&self) -> Option<Credentials> {
        match self {
            Step::Static {
                access_key_id,
                keys,
                ..
            } => Some(Credentials {
                access_key_id: access_key_id.clone(),
                secret_access_key: keys.secret_access_key.clone(),
                session_token: keys.session_token.clone(),
                expiration: None,
            }),
            _ => None,
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
