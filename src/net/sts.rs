//! The STS calls: GetSessionToken, AssumeRole (with keys or a web identity),
//! GetFederationToken (the console) and GetCallerIdentity (MFA discovery).

use std::time::Duration;

use anyhow::Context;
use time::OffsetDateTime;

use super::errors::describe;
use super::{AssumeRole, Net, secs_i32};
use crate::creds::Credentials;

impl Net {
    /// GetSessionToken for long-lived keys, with an MFA device and code when given.
    pub fn get_session_token(
        &self,
        creds: &Credentials,
        region: &str,
        duration: Duration,
        mfa: Option<(&str, &str)>,
    ) -> anyhow::Result<Credentials> {
        let client = self.sts(Some(creds), region)?;
        self.call("call sts:GetSessionToken", async move {
            let mut req = client
                .get_session_token()
                .duration_seconds(secs_i32(duration));
            if let Some((serial, code)) = mfa {
                req = req.serial_number(serial).token_code(code);
            }
            let out = req
                .send()
                .await
                .map_err(|e| describe("call sts:GetSessionToken", e))?;
            out.credentials()
                .map(from_sts)
                .context("sts:GetSessionToken returned no credentials")
        })
        .and_then(|c| self.checked("call sts:GetSessionToken", c))
    }

    /// AssumeRole with `creds`.
    pub fn assume_role(
        &self,
        creds: &Credentials,
        region: &str,
        req: &AssumeRole<'_>,
    ) -> anyhow::Result<Credentials> {
        let client = self.sts(Some(creds), region)?;
        let what = format!("assume role {}", req.role_arn);
        self.call(&what.clone(), async move {
            let mut call = client
                .assume_role()
                .role_arn(req.role_arn)
                .role_session_name(req.session_name);
            if let Some(id) = req.external_id {
                call = call.external_id(id);
            }
            if let Some(d) = req.duration {
                call = call.duration_seconds(secs_i32(d));
            }
            if let Some((serial, code)) = req.mfa {
                call = call.serial_number(serial).token_code(code);
            }
            let out = call.send().await.map_err(|e| describe(&what, e))?;
            out.credentials()
                .map(from_sts)
                .context("sts:AssumeRole returned no credentials")
        })
        .and_then(|c| self.checked(&format!("assume role {}", req.role_arn), c))
    }

    /// AssumeRoleWithWebIdentity (unsigned: the token is the proof).
    pub fn assume_role_with_web_identity(
        &self,
        region: &str,
        role_arn: &str,
        session_name: &str,
        token: &str,
        duration: Option<Duration>,
    ) -> anyhow::Result<Credentials> {
        let client = self.sts(None, region)?;
        let what = format!("assume role {role_arn} with a web identity");
        self.call(&what.clone(), async move {
            let mut call = client
                .assume_role_with_web_identity()
                .role_arn(role_arn)
                .role_session_name(session_name)
                .web_identity_token(token);
            if let Some(d) = duration {
                call = call.duration_seconds(secs_i32(d));
            }
            let out = call.send().await.map_err(|e| describe(&what, e))?;
            out.credentials()
                .map(from_sts)
                .context("sts:AssumeRoleWithWebIdentity returned no credentials")
        })
        .and_then(|c| self.checked(&format!("assume role {role_arn} with a web identity"), c))
    }

    /// GetFederationToken with long-lived keys: the only session the console federation
    /// endpoint accepts besides a role session. The federated session gets the user's own
    /// permissions (the intersection of the user's policies with `AdministratorAccess`).
    pub fn get_federation_token(
        &self,
        creds: &Credentials,
        region: &str,
        name: &str,
        duration: Option<Duration>,
    ) -> anyhow::Result<Credentials> {
        let client = self.sts(Some(creds), region)?;
        self.call("call sts:GetFederationToken", async move {
            let policy = aws_sdk_sts::types::PolicyDescriptorType::builder()
                .arn("arn:aws:iam::aws:policy/AdministratorAccess")
                .build();
            let mut req = client.get_federation_token().name(name).policy_arns(policy);
            if let Some(d) = duration {
                req = req.duration_seconds(secs_i32(d));
            }
            let out = req
                .send()
                .await
                .map_err(|e| describe("call sts:GetFederationToken", e))?;
            out.credentials()
                .map(from_sts)
                .context("sts:GetFederationToken returned no credentials")
        })
        .and_then(|c| self.checked("call sts:GetFederationToken", c))
    }

    /// The ARN of the identity behind `creds`.
    pub fn caller_arn(&self, creds: &Credentials, region: &str) -> anyhow::Result<String> {
        let client = self.sts(Some(creds), region)?;
        self.call("call sts:GetCallerIdentity", async move {
            let out = client
                .get_caller_identity()
                .send()
                .await
                .map_err(|e| describe("call sts:GetCallerIdentity", e))?;
            out.arn()
                .map(str::to_owned)
                .context("sts:GetCallerIdentity returned no ARN")
        })
    }
}

fn from_sts(c: &aws_sdk_sts::types::Credentials) -> Credentials {
    Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: c.secret_access_key().to_owned(),
        session_token: Some(c.session_token().to_owned()),
        expiration: OffsetDateTime::from_unix_timestamp(c.expiration().secs()).ok(),
    }
}
