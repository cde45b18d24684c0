//! The steps built from a walked chain: the source at its end, then a role per link, MFA routed
//! through a shared MFA session where AWS allows it.

use anyhow::bail;

use crate::env::Env;

use super::chain::{Chain, Link, Via};
use super::step::ENDPOINT_VARS;
use super::{
    CredentialSource, Plan, ROLE_CHAIN_MAX, SESSION_TOKEN_DEFAULT, SecretDigest, StaticKeys, Step,
};

impl<'a> Chain<'a> {
    /// The whole plan.
    pub(super) fn plan(&self, env: &Env) -> anyhow::Result<Plan> {
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
            endpoints: SecretDigest::of(ENDPOINT_VARS.iter().map(|&k| (k, env.var(k)))),
        })
    }

    /// The credentials a profile holds itself: keys, SSO, credential_process, credential_source.
    fn own_credentials(&self, l: &Link<'a>, env: &Env) -> anyhow::Result<Step> {
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
            (Some(id), Some(secret)) if !id.is_empty() => Ok(Some(Step::Static {
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
                keys: StaticKeys::new(secret, p.get("aws_session_token")),
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

fn credential_source_step(profile: &str, source: CredentialSource, env: &Env) -> Step {
    Step::CredentialSource {
        profile: profile.to_owned(),
        source,
        inputs: SecretDigest::of(source.env_inputs().iter().map(|&k| (k, env.var(k)))),
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
