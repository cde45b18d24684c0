//! The IAM Identity Center portal call: GetRoleCredentials for an access token.

use anyhow::Context;
use time::OffsetDateTime;

use super::Net;
use super::errors::describe;
use crate::creds::Credentials;

impl Net {
    /// Role credentials from IAM Identity Center for an access token left by `aws sso login`.
    pub fn sso_role_credentials(
        &self,
        sso_region: &str,
        access_token: &str,
        account_id: &str,
        role_name: &str,
    ) -> anyhow::Result<Credentials> {
        let mut b = aws_sdk_sso::config::Builder::from(&self.sdk_config()?)
            .region(aws_sdk_sso::config::Region::new(sso_region.to_owned()))
            .interceptor(self.skew_probe());
        if let Some(url) = &self.endpoints.sso {
            b = b.endpoint_url(url);
        }
        let client = aws_sdk_sso::Client::from_conf(b.build());
        let what = format!("get SSO role credentials for {account_id}/{role_name}");
        self.call(&what.clone(), async move {
            let out = client
                .get_role_credentials()
                .access_token(access_token)
                .account_id(account_id)
                .role_name(role_name)
                .send()
                .await
                .map_err(|e| describe(&what, e))?;
            let rc = out
                .role_credentials()
                .context("sso:GetRoleCredentials returned no credentials")?;
            Ok(Credentials {
                access_key_id: rc.access_key_id().unwrap_or_default().to_owned(),
                secret_access_key: rc.secret_access_key().unwrap_or_default().to_owned(),
                session_token: rc.session_token().map(str::to_owned),
                // Milliseconds since the epoch; out of range is no expiry, refused below.
                expiration: OffsetDateTime::from_unix_timestamp(rc.expiration() / 1000).ok(),
            })
        })
        .and_then(|c| {
            self.checked(
                &format!("get SSO role credentials for {account_id}/{role_name}"),
                c,
            )
        })
    }
}
