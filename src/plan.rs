//! From a profile to an ordered plan of steps, long-lived source first, final credentials last.
//!
//! Pure: it reads the parsed files and the command-line overrides, never the network, a terminal
//! or the cache. `awsdo explain` prints a plan; `sts` carries one out. The rules follow the AWS
//! CLI's (role_arn + source_profile, credential_source, web identity, SSO, credential_process),
//! plus awsdo's own: long-lived keys become a GetSessionToken session, and a role that names an
//! MFA device is assumed from a shared MFA session, so one code serves every such role.

use std::time::Duration;

use anyhow::{Context, bail};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::config::{Profile, ProfileSet};

/// AWS caps a role session assumed with session credentials at one hour.
pub const ROLE_CHAIN_MAX: Duration = Duration::from_secs(3600);
/// GetSessionToken sessions last a working day unless told otherwise.
pub const SESSION_TOKEN_DEFAULT: Duration = Duration::from_secs(12 * 3600);

/// What the command line adds to or overrides in the profile (DESIGN §2).
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `-r`: assume this role on top of the profile (or of `-s`).
    pub role_arn: Option<String>,
    /// `-s`: the profile whose credentials assume the role.
    pub source_profile: Option<String>,
    /// `-d`: session length of the final step.
    pub duration: Option<Duration>,
    /// `-n`: MFA device for the step that needs one.
    pub serial_number: Option<String>,
}

/// How credentials for one profile are obtained.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// The profile asked for.
    pub profile: String,
    /// The region named by the profile or, failing that, the nearest profile down its chain.
    pub region: Option<String>,
    /// The steps, in the order they run.
    pub steps: Vec<Step>,
}

/// Where an MFA device's serial came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
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

/// The MFA device a step uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Mfa {
    /// The device ARN; `None` while it is still to be discovered.
    pub serial: Option<String>,
    /// Where the serial came from.
    pub from: MfaFrom,
    /// A command that prints a code (`mfa_process`, as in aws-vault).
    pub process: Option<String>,
}

/// `credential_source` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CredentialSource {
    Environment,
    Ec2InstanceMetadata,
    EcsContainer,
}

/// One step of a plan. Secrets stay in the config; a step only names where they are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Step {
    /// Keys from the files.
    Static {
        profile: String,
        /// Not a secret; also tells which key a cache entry was made from.
        access_key_id: String,
        /// The keys carry a session token already (they are used as they are).
        has_session_token: bool,
    },
    /// GetSessionToken on long-lived keys, with MFA when a device applies.
    SessionToken {
        profile: String,
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        mfa: Option<MfaFields>,
        duration_seconds: u64,
        /// Made to be the source of an AssumeRole: shared by every role naming this device.
        shared: bool,
    },
    /// AssumeRole with the previous step's credentials.
    AssumeRole {
        profile: String,
        role_arn: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        role_session_name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        external_id: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        duration_seconds: Option<u64>,
        #[serde(flatten, skip_serializing_if = "Option::is_none")]
        mfa: Option<MfaFields>,
    },
    /// AssumeRoleWithWebIdentity with a token file.
    WebIdentity {
        profile: String,
        role_arn: String,
        web_identity_token_file: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        role_session_name: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        duration_seconds: Option<u64>,
    },
    /// An external command printing Version 1 JSON.
    CredentialProcess { profile: String, command: String },
    /// Credentials from the environment, EC2 instance metadata or the ECS container endpoint.
    CredentialSource {
        profile: String,
        source: CredentialSource,
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

/// The MFA fields of a step, flattened into it in JSON (`mfa_serial`, `mfa_serial_from`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MfaFields {
    pub mfa_serial: Option<String>,
    pub mfa_serial_from: MfaFrom,
    #[serde(skip)]
    pub mfa_process: Option<String>,
}

impl From<Mfa> for MfaFields {
    fn from(m: Mfa) -> Self {
        MfaFields {
            mfa_serial: m.serial,
            mfa_serial_from: m.from,
            mfa_process: m.process,
        }
    }
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

    /// A digest of everything that shapes the final credentials: profile, every step with its
    /// parameters, and a digest of the long-lived secret, so that editing the profile or
    /// rotating its keys makes an old cache entry a miss.
    pub fn cache_key(&self, profiles: &ProfileSet) -> String {
        let mut h = Sha256::new();
        h.update(b"awsdo-plan-v1\0");
        h.update(self.profile.as_bytes());
        h.update(b"\0");
        if let Ok(json) = serde_json::to_vec(&self.steps) {
            h.update(&json);
        }
        for step in &self.steps {
            if let Step::Static { profile, .. } = step
                && let Some(p) = profiles.profile(profile)
            {
                h.update(b"\0secret\0");
                h.update(p.get("aws_secret_access_key").unwrap_or("").as_bytes());
                h.update(b"\0token\0");
                h.update(p.get("aws_session_token").unwrap_or("").as_bytes());
            }
        }
        hex(&h.finalize())
    }
}

/// Lowercase hex of `bytes`.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The plan for `name` with the command line's `overrides`.
pub fn plan(profiles: &ProfileSet, name: &str, overrides: &Overrides) -> anyhow::Result<Plan> {
    let mut planner = Planner {
        profiles,
        visited: Vec::new(),
    };
    let mut steps;
    let region;
    if let Some(role_arn) = &overrides.role_arn {
        // `-r` assumes a role on top of the source's credentials, which are resolved exactly
        // as if the source profile were used on its own but without its own session token step.
        let source = overrides.source_profile.as_deref().unwrap_or(name);
        steps = planner.source_steps(source)?;
        region = planner.region_of_chain(&[name, source]);
        // The device: `-n`, else the source profile's own mfa_serial (the Go awsdo's rule).
        let p = profiles.profile(source);
        let process = p.and_then(|p| p.get("mfa_process")).map(str::to_owned);
        let mfa = match (
            &overrides.serial_number,
            p.and_then(|p| p.get("mfa_serial")),
        ) {
            (Some(serial), _) => Some((serial.clone(), MfaFrom::Flag)),
            (None, Some(serial)) => Some((serial.to_owned(), MfaFrom::Config)),
            (None, None) => None,
        }
        .map(|(serial, from)| Mfa {
            serial: Some(serial),
            from,
            process,
        });
        push_role(
            &mut steps,
            RoleStep {
                profile: name.to_owned(),
                role_arn: role_arn.clone(),
                role_session_name: None,
                external_id: None,
                duration: overrides.duration,
                mfa,
            },
        );
    } else {
        steps = planner.final_steps(name, overrides)?;
        let names: Vec<&str> = planner.visited.iter().map(String::as_str).collect();
        region = planner.region_of_chain(&names);
    }
    Ok(Plan {
        profile: name.to_owned(),
        region,
        steps,
    })
}

/// Everything an AssumeRole step needs before it is placed in a plan.
struct RoleStep {
    profile: String,
    role_arn: String,
    role_session_name: Option<String>,
    external_id: Option<String>,
    duration: Option<Duration>,
    mfa: Option<Mfa>,
}

/// Append an AssumeRole, routing MFA through a shared MFA session when that is allowed: the
/// source is long-lived keys and the role session is no longer than AWS allows for a role
/// assumed with session credentials.
fn push_role(steps: &mut Vec<Step>, role: RoleStep) {
    let from_long_lived = matches!(
        steps.last(),
        Some(Step::Static {
            has_session_token: false,
            ..
        })
    );
    let short_enough = role.duration.is_none_or(|d| d <= ROLE_CHAIN_MAX);
    let mut mfa = role.mfa.map(MfaFields::from);
    if let (Some(m), true, true) = (&mfa, from_long_lived, short_enough) {
        let source_profile = steps
            .last()
            .map(|s| s.profile().to_owned())
            .unwrap_or_default();
        steps.push(Step::SessionToken {
            profile: source_profile,
            mfa: Some(m.clone()),
            duration_seconds: SESSION_TOKEN_DEFAULT.as_secs(),
            shared: true,
        });
        mfa = None;
    }
    steps.push(Step::AssumeRole {
        profile: role.profile,
        role_arn: role.role_arn,
        role_session_name: role.role_session_name,
        external_id: role.external_id,
        duration_seconds: role.duration.map(|d| d.as_secs()),
        mfa,
    });
}

struct Planner<'a> {
    profiles: &'a ProfileSet,
    /// Profiles entered so far, to report a source_profile loop with its members.
    visited: Vec<String>,
}

impl Planner<'_> {
    fn lookup(&self, name: &str) -> anyhow::Result<&Profile> {
        self.profiles.profile(name).ok_or_else(|| {
            let known = self.profiles.profile_names();
            let known = if known.is_empty() {
                "none are configured".to_owned()
            } else {
                format!("known profiles: {}", known.join(", "))
            };
            anyhow::anyhow!("could not find profile {name:?} ({known})")
        })
    }

    fn enter(&mut self, name: &str) -> anyhow::Result<()> {
        if let Some(at) = self.visited.iter().position(|v| v == name) {
            let mut cycle: Vec<&str> = self.visited[at..].iter().map(String::as_str).collect();
            cycle.push(name);
            bail!(
                "could not resolve profile {:?}: source_profile loop {}",
                self.visited[0],
                cycle.join(" -> ")
            );
        }
        self.visited.push(name.to_owned());
        Ok(())
    }

    /// The steps for the profile that was asked for: like a source, but long-lived keys are
    /// exchanged for a GetSessionToken session (with MFA when a device applies).
    fn final_steps(&mut self, name: &str, overrides: &Overrides) -> anyhow::Result<Vec<Step>> {
        let p = self.lookup(name)?;
        if p.get("role_arn").is_some() {
            return self.role_steps(name, overrides);
        }
        let mut steps = self.source_steps(name)?;
        if let [
            Step::Static {
                has_session_token: false,
                ..
            },
        ] = steps.as_slice()
        {
            let p = self.lookup(name)?;
            let process = p.get("mfa_process").map(str::to_owned);
            let mfa = match (&overrides.serial_number, p.get("mfa_serial")) {
                (Some(serial), _) => Mfa {
                    serial: Some(serial.clone()),
                    from: MfaFrom::Flag,
                    process,
                },
                (None, Some(serial)) => Mfa {
                    serial: Some(serial.to_owned()),
                    from: MfaFrom::Config,
                    process,
                },
                (None, None) => Mfa {
                    serial: None,
                    from: MfaFrom::Discovered,
                    process,
                },
            };
            let duration = overrides
                .duration
                .or(duration_seconds(p)?)
                .unwrap_or(SESSION_TOKEN_DEFAULT);
            steps.push(Step::SessionToken {
                profile: name.to_owned(),
                mfa: Some(mfa.into()),
                duration_seconds: duration.as_secs(),
                shared: false,
            });
        }
        Ok(steps)
    }

    /// The steps for a profile with `role_arn`, with overrides applied to the final role.
    fn role_steps(&mut self, name: &str, overrides: &Overrides) -> anyhow::Result<Vec<Step>> {
        self.enter(name)?;
        let p = self.lookup(name)?.clone();
        let role_arn = p.get("role_arn").context("role_arn missing")?.to_owned();
        let duration = overrides.duration.or(duration_seconds(&p)?);
        let session_name = p.get("role_session_name").map(str::to_owned);

        if let Some(token_file) = p.get("web_identity_token_file") {
            return Ok(vec![Step::WebIdentity {
                profile: name.to_owned(),
                role_arn,
                web_identity_token_file: token_file.to_owned(),
                role_session_name: session_name,
                duration_seconds: duration.map(|d| d.as_secs()),
            }]);
        }

        // Flags apply to the profile asked for only; decided before the source's steps
        // push their profiles onto `visited`.
        let is_final = self.visited.len() == 1;
        let source = overrides
            .source_profile
            .as_deref()
            .filter(|_| is_final)
            .or(p.get("source_profile"));
        let mut steps = match (source, p.get("credential_source")) {
            (Some(source), _) if source == name => {
                // A profile may name itself as source: its own static keys assume its role.
                self.static_step(&p)?
                    .map(|s| vec![s])
                    .with_context(|| {
                        format!("could not resolve profile {name:?}: it is its own source_profile but has no aws_access_key_id")
                    })?
            }
            (Some(source), _) => self.source_steps(source)?,
            (None, Some(source)) => vec![Step::CredentialSource {
                profile: name.to_owned(),
                source: parse_credential_source(name, source)?,
            }],
            (None, None) => bail!(
                "could not resolve profile {name:?}: it has role_arn but no source_profile, credential_source or web_identity_token_file"
            ),
        };

        let mfa = match (&overrides.serial_number, p.get("mfa_serial")) {
            (Some(serial), _) if is_final => Some((serial.clone(), MfaFrom::Flag)),
            (_, Some(serial)) => Some((serial.to_owned(), MfaFrom::Config)),
            _ => None,
        }
        .map(|(serial, from)| Mfa {
            serial: Some(serial),
            from,
            process: p.get("mfa_process").map(str::to_owned),
        });
        push_role(
            &mut steps,
            RoleStep {
                profile: name.to_owned(),
                role_arn,
                role_session_name: session_name,
                external_id: p.get("external_id").map(str::to_owned),
                duration,
                mfa,
            },
        );
        Ok(steps)
    }

    /// The steps that produce a profile's credentials when it is used as a source.
    fn source_steps(&mut self, name: &str) -> anyhow::Result<Vec<Step>> {
        let p = self.lookup(name)?.clone();
        if p.get("role_arn").is_some() {
            return self.role_steps(name, &Overrides::default());
        }
        self.enter(name)?;
        if let Some(step) = self.static_step(&p)? {
            return Ok(vec![step]);
        }
        if p.get("sso_session").is_some() || p.get("sso_start_url").is_some() {
            return Ok(vec![self.sso_step(&p)?]);
        }
        if let Some(command) = p.get("credential_process") {
            return Ok(vec![Step::CredentialProcess {
                profile: name.to_owned(),
                command: command.to_owned(),
            }]);
        }
        if let Some(source) = p.get("credential_source") {
            return Ok(vec![Step::CredentialSource {
                profile: name.to_owned(),
                source: parse_credential_source(name, source)?,
            }]);
        }
        bail!(
            "could not find credentials for profile {name:?}: add aws_access_key_id and aws_secret_access_key to the credentials file, or role_arn with source_profile, sso_session or credential_process to the config"
        )
    }

    fn static_step(&self, p: &Profile) -> anyhow::Result<Option<Step>> {
        let name = p.name();
        match (p.get("aws_access_key_id"), p.get("aws_secret_access_key")) {
            (Some(id), Some(_)) if !id.is_empty() => Ok(Some(Step::Static {
                profile: name.to_owned(),
                access_key_id: id.to_owned(),
                has_session_token: p.get("aws_session_token").is_some_and(|t| !t.is_empty()),
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

    fn sso_step(&self, p: &Profile) -> anyhow::Result<Step> {
        let name = p.name();
        let session_name = p.get("sso_session").map(str::to_owned);
        let session = match &session_name {
            Some(s) => Some(self.profiles.sso_session(s).with_context(|| {
                format!(
                    "could not use profile {name:?}: no [sso-session {s}] section in the config"
                )
            })?),
            None => None,
        };
        let get = |key: &str| -> anyhow::Result<String> {
            p.get(key)
                .or_else(|| session.and_then(|s| s.get(key)))
                .map(str::to_owned)
                .with_context(|| format!("could not use SSO profile {name:?}: {key} is missing"))
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

    /// The first region named along the chain, from the asked-for profile down.
    fn region_of_chain(&self, names: &[&str]) -> Option<String> {
        names
            .iter()
            .filter_map(|n| self.profiles.profile(n))
            .find_map(|p| p.get("region").filter(|r| !r.is_empty()))
            .map(str::to_owned)
    }
}

fn duration_seconds(p: &Profile) -> anyhow::Result<Option<Duration>> {
    p.get("duration_seconds")
        .map(|v| {
            v.trim().parse::<u64>().map(Duration::from_secs).map_err(|_| {
                anyhow::anyhow!(
                    "could not use profile {:?}: duration_seconds {v:?} is not a number of seconds",
                    p.name()
                )
            })
        })
        .transpose()
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
        let key = |s: &ProfileSet| plan(s, "p", &Overrides::default()).unwrap().cache_key(s);
        assert_ne!(key(&a), key(&b));
        assert_eq!(key(&a), key(&a));
    }
}
