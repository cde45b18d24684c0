//! One method per step kind: what each kind of `Step` calls to turn its source (or nothing)
//! into credentials. The order, the cache and the lock are `Resolver::run`'s.

use std::time::Duration;

use anyhow::{Context, bail};
use time::OffsetDateTime;

use super::{Resolver, StaleMfaSession, Walk};
use crate::cache::Kind;
use crate::creds::Credentials;
use crate::error::SourceExpired;
use crate::files::MAX_TOKEN_FILE;
use crate::net::AssumeRole;
use crate::plan::{CredentialSource, MfaFields, Step};

impl Resolver<'_> {
    /// `credential_source` (`Step::CredentialSource`).
    pub(super) fn credential_source(
        &self,
        profile: &str,
        source: &CredentialSource,
    ) -> anyhow::Result<Credentials> {
        match source {
            CredentialSource::Environment => self.environment(profile),
            CredentialSource::Ec2InstanceMetadata => self.net.instance_credentials(false),
            CredentialSource::EcsContainer => self.net.instance_credentials(true),
        }
    }

    fn environment(&self, profile: &str) -> anyhow::Result<Credentials> {
        let get = |k: &str| self.env.var(k).filter(|v| !v.is_empty());
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

    /// AssumeRoleWithWebIdentity with the token in `web_identity_token_file`
    /// (`Step::WebIdentity`).
    pub(super) fn web_identity(
        &self,
        profile: &str,
        role_arn: &str,
        web_identity_token_file: &str,
        role_session_name: Option<&str>,
        duration_seconds: Option<u64>,
        region: &str,
    ) -> anyhow::Result<Credentials> {
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
            &session_name(role_session_name),
            token.trim(),
            duration_seconds.map(Duration::from_secs),
        )
    }

    /// Role credentials for the token `aws sso login` left (`Step::Sso`).
    pub(super) fn sso(
        &self,
        profile: &str,
        sso_session: Option<&str>,
        sso_start_url: &str,
        sso_region: &str,
        sso_account_id: &str,
        sso_role_name: &str,
    ) -> anyhow::Result<Credentials> {
        let token = crate::sso::token::sso_token(profile, sso_session, sso_start_url, self.env)?;
        self.net
            .sso_role_credentials(sso_region, &token, sso_account_id, sso_role_name)
            .map_err(|e| {
                let login = crate::sso::token::login_hint(profile, sso_session);
                e.context(format!("run: {login}"))
            })
    }

    /// GetSessionToken on `source`, with MFA when a device applies (`Step::SessionToken`).
    pub(super) fn session_token(
        &self,
        walk: &mut Walk<'_>,
        profile: &str,
        source: Credentials,
        mfa: Option<&MfaFields>,
        duration_seconds: u64,
    ) -> anyhow::Result<Credentials> {
        let plan = walk.plan;
        let region = walk.region;
        let duration = Duration::from_secs(duration_seconds);
        let device = match mfa {
            Some(m) => self.mfa_device(profile, m, &source, region)?,
            None => None,
        };
        Ok(match device {
            Some((serial, process)) => {
                walk.used_mfa = true;
                // Prompts and errors name the profile the user asked for
                // (first), not the source whose keys make the shared MFA
                // session; all are recorded in the entry, for `logout`.
                let mut owners = vec![plan.profile.as_str(), profile];
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
                walk.from_mfa_cache = cache_name;
                creds
            }
            None => self
                .net
                .get_session_token(&source, region, duration, None)?,
        })
    }

    /// AssumeRole with `source`, with MFA when the role names a device (`Step::AssumeRole`).
    pub(super) fn assume_role(
        &self,
        walk: &mut Walk<'_>,
        profile: &str,
        source: Credentials,
        req: &AssumeRole<'_>,
        mfa: Option<&MfaFields>,
    ) -> anyhow::Result<Credentials> {
        let region = walk.region;
        match mfa.and_then(|m| m.mfa_serial.as_deref().map(|s| (s, m))) {
            Some((serial, m)) => {
                walk.used_mfa = true;
                self.with_code(profile, serial, m.mfa_process.as_deref(), |code| {
                    let with_mfa = AssumeRole {
                        mfa: Some((serial, code)),
                        ..req.clone()
                    };
                    self.net.assume_role(&source, region, &with_mfa)
                })
            }
            None => match self.net.assume_role(&source, region, req) {
                Err(e) if e.is::<SourceExpired>() && walk.from_mfa_cache.is_some() => {
                    // The shared MFA session died early (revoked or clock skew):
                    // forget it; `resolve` runs the plan once more for a new code.
                    if let (Some(cache), Some(n)) = (&self.cache, &walk.from_mfa_cache) {
                        let _ = cache.remove(Kind::MfaSession, n);
                    }
                    Err(StaleMfaSession {
                        role_arn: req.role_arn.to_owned(),
                        profile: profile.to_owned(),
                        login: walk.plan.profile.clone(),
                    }
                    .into())
                }
                other => other,
            },
        }
    }
}

/// The session name of a role: the configured one, else `awsdo-` and the Unix time.
pub(super) fn session_name(configured: Option<&str>) -> String {
    configured
        .map(str::to_owned)
        .unwrap_or_else(|| format!("awsdo-{}", OffsetDateTime::now_utc().unix_timestamp()))
}
