//! The EC2 instance metadata and ECS container credential endpoints.

use aws_credential_types::provider::ProvideCredentials;
use aws_smithy_http_client::proxy::ProxyConfig;
use time::OffsetDateTime;

use super::Net;
use super::errors::io_reason;
use super::transport::https_client;
use crate::creds::Credentials;

impl Net {
    /// Credentials from EC2 instance metadata or the ECS container endpoint.
    pub fn instance_credentials(&self, ecs: bool) -> anyhow::Result<Credentials> {
        let what = if ecs {
            "get credentials from the ECS container endpoint"
        } else {
            "get credentials from EC2 instance metadata"
        };
        // The providers get the run's TLS roots and body cap. Proxies as botocore has them:
        // instance metadata calls go through the environment's proxy (NO_PROXY exempts them),
        // container endpoint calls never do (botocore's ContainerMetadataFetcher).
        let client = if ecs {
            https_client(self.tls()?, ProxyConfig::disabled())
        } else {
            self.http_client()?
        };
        let config =
            aws_config::provider_config::ProviderConfig::without_region().with_http_client(client);
        self.call(what, async move {
            let got = if ecs {
                aws_config::ecs::EcsCredentialsProvider::builder()
                    .configure(&config)
                    .build()
                    .provide_credentials()
                    .await
            } else {
                aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                    .configure(&config)
                    .build()
                    .provide_credentials()
                    .await
            };
            let c = got.map_err(|e| {
                let why = match io_reason(&e) {
                    inner if inner == e.to_string() => inner,
                    inner => format!("{e}: {inner}"),
                };
                anyhow::anyhow!("could not {what}{}: {why}", self.profile_label())
            })?;
            Ok(Credentials {
                access_key_id: c.access_key_id().to_owned(),
                secret_access_key: c.secret_access_key().to_owned(),
                session_token: c.session_token().map(str::to_owned),
                // Out of range is no expiry, refused below (`From` would panic).
                expiration: c.expiry().and_then(offset_from_system),
            })
        })
        .and_then(|c| self.checked(what, c))
    }
}

/// `t` as an `OffsetDateTime` (UTC), `None` when out of its range (beyond year 9999).
fn offset_from_system(t: std::time::SystemTime) -> Option<OffsetDateTime> {
    let secs = match t.duration_since(std::time::SystemTime::UNIX_EPOCH) {
        Ok(after) => i64::try_from(after.as_secs()).ok()?,
        Err(before) => i64::try_from(before.duration().as_secs())
            .ok()?
            .checked_neg()?,
    };
    OffsetDateTime::from_unix_timestamp(secs).ok()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn system_times_beyond_year_9999_are_no_expiry_not_a_panic() {
        let far = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(253_402_300_800 + 59);
        assert_eq!(offset_from_system(far), None);
        let t = std::time::SystemTime::UNIX_EPOCH + Duration::from_secs(1_795_000_000);
        assert_eq!(
            offset_from_system(t).map(|t| t.unix_timestamp()),
            Some(1_795_000_000)
        );
    }
}
