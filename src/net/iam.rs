//! The IAM call of MFA discovery: ListMFADevices.

use super::errors::describe;
use super::{GLOBAL_REGION, Net, sdk_credentials};
use crate::creds::Credentials;

impl Net {
    /// The serial numbers of `user`'s MFA devices.
    pub fn list_mfa_devices(&self, creds: &Credentials, user: &str) -> anyhow::Result<Vec<String>> {
        let mut b = aws_sdk_iam::config::Builder::from(&self.sdk_config()?)
            .region(aws_sdk_iam::config::Region::new(GLOBAL_REGION))
            .credentials_provider(sdk_credentials(creds));
        if let Some(url) = &self.endpoints.iam {
            b = b.endpoint_url(url);
        }
        let client = aws_sdk_iam::Client::from_conf(b.build());
        self.call("call iam:ListMFADevices", async move {
            let out = client
                .list_mfa_devices()
                .user_name(user)
                .send()
                .await
                .map_err(|e| describe("call iam:ListMFADevices", e))?;
            Ok(out
                .mfa_devices()
                .iter()
                .map(|d| d.serial_number().to_owned())
                .collect())
        })
    }
}
