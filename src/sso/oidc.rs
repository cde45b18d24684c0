//! The IAM Identity Center OIDC service (RegisterClient, StartDeviceAuthorization, CreateToken)
//! and the portal's Logout, through the AWS SDK for Rust and the run's shared HTTP client (so
//! the CA bundle, proxies, body cap and the run's budget apply as to every other call).
//!
//! Clients start from the run's SDK settings (`Net::sdk_config`: retries, timeouts, the one HTTP
//! client) and run through `Net::call` (the hook's budget).
//! Endpoints as the SDKs resolve them: `AWS_ENDPOINT_URL_SSO_OIDC` (portal:
//! `AWS_ENDPOINT_URL_SSO`), else `AWS_ENDPOINT_URL`, else `https://oidc.REGION.amazonaws.com`.
//! The three OIDC calls and Logout are unsigned: the client secret, device code, refresh token
//! or access token in the request is the proof.

use aws_sdk_ssooidc::config::Region;
use aws_sdk_ssooidc::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use time::OffsetDateTime;

use super::store::{Registration, format_time};
use crate::env::Env;
use crate::net::Net;

/// The grant types of a PKCE registration (botocore `SSOTokenFetcherAuth._AUTH_GRANT_TYPES`).
pub const AUTH_CODE_GRANTS: [&str; 2] = ["authorization_code", "refresh_token"];
/// The device code grant type (RFC 8628).
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// The redirect URI registered for PKCE: the loopback without a port (RFC 8252 §7.3: the
/// port of the request may differ); the authorize and CreateToken calls carry the port.
pub const REDIRECT_WITHOUT_PORT: &str = "http://127.0.0.1/oauth/callback";

/// A failed OIDC call: the service's error code when it answered, for the caller to branch on
/// (`AuthorizationPendingException`, `SlowDownException`, `ExpiredTokenException`,
/// `AccessDeniedException`, `InvalidGrantException`, `InvalidClientException`…), and a
/// one-line reason without secrets.
#[derive(Debug)]
pub struct CallError {
    /// The error code, `None` when there was no answer (network, timeout).
    pub code: Option<String>,
    /// One line: the service's message, or why no answer came.
    pub reason: String,
}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

impl std::error::Error for CallError {}

/// What StartDeviceAuthorization answered.
pub struct DeviceAuth {
    /// The device code CreateToken is polled with.
    pub device_code: String,
    /// The code the user checks on the page (not a secret: it is shown).
    pub user_code: String,
    /// The page where the user enters the code.
    pub verification_uri: String,
    /// The same page with the code filled in.
    pub verification_uri_complete: Option<String>,
    /// Seconds the device code stays valid.
    pub expires_in: u64,
    /// Seconds between polls (RFC 8628 §3.2: 5 when absent).
    pub interval: u64,
}

/// The grant CreateToken is asked for.
pub enum Grant<'a> {
    /// Device code (RFC 8628).
    Device(&'a str),
    /// Authorization code with its PKCE verifier and the redirect URI it was sent to.
    Code {
        code: &'a str,
        redirect_uri: &'a str,
        verifier: &'a str,
    },
    /// Refresh token.
    Refresh(&'a str),
}

/// What CreateToken answered. `Debug` shows no secret.
pub struct Issued {
    /// The bearer token for the portal.
    pub access_token: String,
    /// Seconds the access token is valid.
    pub expires_in: u64,
    /// The refresh token, when the registration's scopes call for one.
    pub refresh_token: Option<String>,
}

impl std::fmt::Debug for Issued {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Issued")
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

/// The OIDC endpoint override: `AWS_ENDPOINT_URL_SSO_OIDC`, else `AWS_ENDPOINT_URL`.
pub fn oidc_endpoint(env: &Env) -> Option<String> {
    let set = |k: &str| env.var(k).filter(|v| !v.trim().is_empty());
    set("AWS_ENDPOINT_URL_SSO_OIDC").or_else(|| set("AWS_ENDPOINT_URL"))
}

/// The portal endpoint override: `AWS_ENDPOINT_URL_SSO`, else `AWS_ENDPOINT_URL`.
pub fn portal_endpoint(env: &Env) -> Option<String> {
    let set = |k: &str| env.var(k).filter(|v| !v.trim().is_empty());
    set("AWS_ENDPOINT_URL_SSO").or_else(|| set("AWS_ENDPOINT_URL"))
}

/// The OIDC service's base URL, where the (un-modelled) `/authorize` step lives: the override,
/// else the regional endpoint (`amazonaws.com.cn` in the China regions).
pub fn base_url(region: &str, endpoint: Option<&str>) -> String {
    match endpoint {
        Some(e) => e.trim_end_matches('/').to_owned(),
        None if region.starts_with("cn-") => format!("https://oidc.{region}.amazonaws.com.cn"),
        None => format!("https://oidc.{region}.amazonaws.com"),
    }
}

/// An OIDC client for one SSO region.
pub struct Oidc<'a> {
    net: &'a Net,
    client: aws_sdk_ssooidc::Client,
}

impl<'a> Oidc<'a> {
    /// A client for `region` through the run's shared HTTP client, at `endpoint` when set.
    pub fn new(net: &'a Net, region: &str, endpoint: Option<&str>) -> anyhow::Result<Oidc<'a>> {
        let mut b = aws_sdk_ssooidc::config::Builder::from(&net.sdk_config()?)
            .region(Region::new(region.to_owned()));
        if let Some(url) = endpoint {
            b = b.endpoint_url(url);
        }
        Ok(Oidc {
            net,
            client: aws_sdk_ssooidc::Client::from_conf(b.build()),
        })
    }

    /// RegisterClient as a public client named `name`, asking for `scopes`; for PKCE
    /// (`issuer_url` set) with the authorization code and refresh grants and the loopback
    /// redirect. The registration's expiry is written as the AWS CLI writes it.
    pub fn register(
        &self,
        name: &str,
        scopes: &[String],
        issuer_url: Option<&str>,
    ) -> Result<Registration, CallError> {
        let what = "register with IAM Identity Center (sso-oidc:RegisterClient)";
        let mut req = self
            .client
            .register_client()
            .client_name(name)
            .client_type("public")
            .set_scopes(Some(scopes.to_vec()));
        if let Some(issuer) = issuer_url {
            req = req
                .set_grant_types(Some(AUTH_CODE_GRANTS.map(str::to_owned).to_vec()))
                .redirect_uris(REDIRECT_WITHOUT_PORT)
                .issuer_url(issuer);
        }
        let out = self.run(what, async move { req.send().await.map_err(call_error) })?;
        let expires = OffsetDateTime::from_unix_timestamp(out.client_secret_expires_at())
            .ok()
            .and_then(format_time);
        match (out.client_id(), out.client_secret(), expires) {
            (Some(id), Some(secret), Some(expires_at)) if !id.is_empty() && !secret.is_empty() => {
                Ok(Registration {
                    client_id: id.to_owned(),
                    client_secret: secret.to_owned(),
                    expires_at,
                    scopes: Some(scopes.to_vec()),
                    grant_types: issuer_url.map(|_| AUTH_CODE_GRANTS.map(str::to_owned).to_vec()),
                })
            }
            _ => Err(CallError {
                code: None,
                reason: "sso-oidc:RegisterClient answered without a client id, secret or expiry"
                    .to_owned(),
            }),
        }
    }

    /// StartDeviceAuthorization for `start_url`.
    pub fn start_device(
        &self,
        reg: &Registration,
        start_url: &str,
    ) -> Result<DeviceAuth, CallError> {
        let what = "start the device sign-in (sso-oidc:StartDeviceAuthorization)";
        let req = self
            .client
            .start_device_authorization()
            .client_id(&reg.client_id)
            .client_secret(&reg.client_secret)
            .start_url(start_url);
        let out = self.run(what, async move { req.send().await.map_err(call_error) })?;
        match (out.device_code(), out.user_code(), out.verification_uri()) {
            (Some(d), Some(u), Some(v)) => Ok(DeviceAuth {
                device_code: d.to_owned(),
                user_code: u.to_owned(),
                verification_uri: v.to_owned(),
                verification_uri_complete: out.verification_uri_complete().map(str::to_owned),
                expires_in: u64::try_from(out.expires_in()).unwrap_or(0),
                interval: match out.interval() {
                    i if i > 0 => i as u64,
                    _ => 5,
                },
            }),
            _ => Err(CallError {
                code: None,
                reason: "sso-oidc:StartDeviceAuthorization answered without a device code, user code or URL".to_owned(),
            }),
        }
    }

    /// CreateToken with `grant`. Errors carry the service's code so that the device poll can
    /// tell `AuthorizationPendingException` and `SlowDownException` from a refusal.
    pub fn create_token(&self, reg: &Registration, grant: Grant<'_>) -> Result<Issued, CallError> {
        let what = "get an SSO token (sso-oidc:CreateToken)";
        let mut req = self
            .client
            .create_token()
            .client_id(&reg.client_id)
            .client_secret(&reg.client_secret);
        req = match grant {
            Grant::Device(code) => req.grant_type(DEVICE_GRANT).device_code(code),
            Grant::Code {
                code,
                redirect_uri,
                verifier,
            } => req
                .grant_type("authorization_code")
                .code(code)
                .redirect_uri(redirect_uri)
                .code_verifier(verifier),
            Grant::Refresh(token) => req.grant_type("refresh_token").refresh_token(token),
        };
        let out = self.run(what, async move { req.send().await.map_err(call_error) })?;
        match out.access_token() {
            Some(t) if !t.is_empty() && out.expires_in() > 0 => Ok(Issued {
                access_token: t.to_owned(),
                expires_in: out.expires_in() as u64,
                refresh_token: out.refresh_token().map(str::to_owned),
            }),
            _ => Err(CallError {
                code: None,
                reason: "sso-oidc:CreateToken answered without an access token or its lifetime"
                    .to_owned(),
            }),
        }
    }

    fn run<T>(
        &self,
        what: &str,
        fut: impl std::future::Future<Output = Result<T, CallError>>,
    ) -> Result<T, CallError> {
        let mut failed = None;
        let got = self.net.call(what, async {
            match fut.await {
                Ok(v) => Ok(Some(v)),
                Err(e) => {
                    failed = Some(e);
                    Ok(None)
                }
            }
        });
        match (got, failed) {
            (Ok(Some(v)), _) => Ok(v),
            (_, Some(e)) => Err(e),
            (Err(e), None) => Err(CallError {
                code: None,
                reason: format!("{e:#}"),
            }),
            (Ok(None), None) => Err(CallError {
                code: None,
                reason: format!("could not {what}"),
            }),
        }
    }
}

/// The portal's Logout for `access_token` (sso:Logout), through the run's shared client.
pub fn portal_logout(
    net: &Net,
    region: &str,
    endpoint: Option<&str>,
    access_token: &str,
) -> Result<(), CallError> {
    let config = net.sdk_config().map_err(|e| CallError {
        code: None,
        reason: format!("{e:#}"),
    })?;
    let mut b = aws_sdk_sso::config::Builder::from(&config)
        .region(aws_sdk_sso::config::Region::new(region.to_owned()));
    if let Some(url) = endpoint {
        b = b.endpoint_url(url);
    }
    let client = aws_sdk_sso::Client::from_conf(b.build());
    let req = client.logout().access_token(access_token);
    let mut failed = None;
    let got = net.call("sign out of IAM Identity Center (sso:Logout)", async {
        if let Err(e) = req.send().await {
            failed = Some(call_error(e));
        }
        Ok(())
    });
    match (got, failed) {
        (_, Some(e)) => Err(e),
        (Err(e), None) => Err(CallError {
            code: None,
            reason: format!("{e:#}"),
        }),
        (Ok(()), None) => Ok(()),
    }
}

/// The service's code and message, or why there was no answer; one line, escaped for a
/// terminal (a message comes from the network).
fn call_error<E>(err: SdkError<E, HttpResponse>) -> CallError
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
{
    let line = |s: &str| crate::escape::escape_short(&s.replace(['\r', '\n'], " "), 300);
    match &err {
        SdkError::ServiceError(se) => {
            let e = se.err();
            let code = e.code().map(str::to_owned);
            let message = e.message().map(line).unwrap_or_default();
            let reason = match (&code, message.is_empty()) {
                (Some(c), false) => format!("{c}: {message}"),
                (Some(c), true) => c.clone(),
                (None, _) => format!("HTTP {}", se.raw().status().as_u16()),
            };
            CallError { code, reason }
        }
        _ => {
            // The innermost cause says what happened (connection refused, timed out, DNS).
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
            let mut last = err.to_string();
            while let Some(s) = source {
                last = s.to_string();
                source = s.source();
            }
            CallError {
                code: None,
                reason: format!("no answer ({})", line(&last)),
            }
        }
    }
}
