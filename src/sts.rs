//! Every call to AWS: STS, IAM (MFA discovery), IAM Identity Center and the instance/container
//! credential endpoints. The only module that builds SDK clients or starts a runtime, and it
//! does both lazily, so a run served from the cache never pays for either.
//!
//! Calls fail fast: a few quick retries for throttling and 5xx, short connect timeouts, and an
//! optional overall budget (the prompt hook's `AWSDO_HOOK_TIMEOUT`) that time spent at an MFA
//! prompt does not count against.

use std::cell::{Cell, OnceCell};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};
use time::OffsetDateTime;

use crate::creds::Credentials;
use crate::error::{MfaRejected, SourceExpired};

/// STS without a region uses its global endpoint (sts.amazonaws.com), as the AWS CLI does.
pub const GLOBAL_REGION: &str = "aws-global";

/// Where the services are and how long calls may take.
#[derive(Debug, Clone, Default)]
pub struct Endpoints {
    /// `AWS_ENDPOINT_URL_STS`, else `AWS_ENDPOINT_URL`.
    pub sts: Option<String>,
    /// `AWS_ENDPOINT_URL_IAM`, else `AWS_ENDPOINT_URL`.
    pub iam: Option<String>,
    /// `AWS_ENDPOINT_URL_SSO`, else `AWS_ENDPOINT_URL`.
    pub sso: Option<String>,
}

impl Endpoints {
    /// The endpoint overrides the AWS SDKs honour.
    pub fn from_env(get: &dyn Fn(&str) -> Option<String>) -> Endpoints {
        let any = get("AWS_ENDPOINT_URL").filter(|v| !v.is_empty());
        let one = |k: &str| get(k).filter(|v| !v.is_empty()).or_else(|| any.clone());
        Endpoints {
            sts: one("AWS_ENDPOINT_URL_STS"),
            iam: one("AWS_ENDPOINT_URL_IAM"),
            sso: one("AWS_ENDPOINT_URL_SSO"),
        }
    }
}

/// The network side of one run: a runtime and clients made on first use.
pub struct Net {
    endpoints: Endpoints,
    runtime: OnceCell<tokio::runtime::Runtime>,
    /// The one HTTP client (TLS roots, connection pool) every SDK client of the run shares.
    http: OnceCell<SharedHttpClient>,
    skew: SkewProbe,
    /// Time left for network calls, when bounded.
    budget: Cell<Option<Duration>>,
}

/// Parameters of an AssumeRole call.
#[derive(Debug, Clone)]
pub struct AssumeRole<'a> {
    pub role_arn: &'a str,
    pub session_name: &'a str,
    pub external_id: Option<&'a str>,
    pub duration: Option<Duration>,
    /// MFA device and code, when the role is assumed with MFA directly.
    pub mfa: Option<(&'a str, &'a str)>,
}

impl Net {
    /// A network side using `endpoints`, bounded by `budget` when given.
    pub fn new(endpoints: Endpoints, budget: Option<Duration>) -> Net {
        Net {
            endpoints,
            runtime: OnceCell::new(),
            http: OnceCell::new(),
            skew: SkewProbe::default(),
            budget: Cell::new(budget),
        }
    }

    /// Seconds STS's (or SSO's) clock was ahead of ours (negative: behind) in the last answer
    /// with a `Date` header this run; `None` before any.
    pub fn clock_skew(&self) -> Option<i64> {
        *self.skew.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run one network future within the remaining budget.
    fn call<T>(
        &self,
        what: &str,
        fut: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        let rt = match self.runtime.get() {
            Some(rt) => rt,
            None => {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .context("could not start the async runtime")?;
                self.runtime.get_or_init(|| rt)
            }
        };
        crate::log::debug(&format!("about to {what}"));
        let started = Instant::now();
        let result = match self.budget.get() {
            Some(left) => match rt.block_on(async { tokio::time::timeout(left, fut).await }) {
                Ok(r) => r,
                Err(_) => Err(anyhow::anyhow!(
                    "could not {what}: no answer within {}s (AWSDO_HOOK_TIMEOUT)",
                    left.as_secs_f32()
                )),
            },
            None => rt.block_on(fut),
        };
        if let Some(left) = self.budget.get() {
            self.budget
                .set(Some(left.saturating_sub(started.elapsed())));
        }
        result
    }

    /// The run's HTTP client, built on first use: a chain's calls then share one TLS setup
    /// and reuse one connection instead of each SDK client building its own.
    fn http_client(&self) -> SharedHttpClient {
        self.http.get_or_init(https_client).clone()
    }

    fn sdk_config(
        &self,
        creds: Option<&Credentials>,
        region: &str,
    ) -> aws_sdk_sts::config::Builder {
        let mut b = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .http_client(self.http_client())
            .interceptor(self.skew.clone());
        if let Some(c) = creds {
            b = b.credentials_provider(sdk_credentials(c));
        }
        if let Some(url) = &self.endpoints.sts {
            b = b.endpoint_url(url);
        }
        b
    }

    fn sts(&self, creds: Option<&Credentials>, region: &str) -> aws_sdk_sts::Client {
        aws_sdk_sts::Client::from_conf(self.sdk_config(creds, region).build())
    }

    /// GetSessionToken for long-lived keys, with an MFA device and code when given.
    pub fn get_session_token(
        &self,
        creds: &Credentials,
        region: &str,
        duration: Duration,
        mfa: Option<(&str, &str)>,
    ) -> anyhow::Result<Credentials> {
        let client = self.sts(Some(creds), region);
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
    }

    /// AssumeRole with `creds`.
    pub fn assume_role(
        &self,
        creds: &Credentials,
        region: &str,
        req: &AssumeRole<'_>,
    ) -> anyhow::Result<Credentials> {
        let client = self.sts(Some(creds), region);
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
        let client = self.sts(None, region);
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
        let client = self.sts(Some(creds), region);
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
    }

    /// A plain HTTPS (or, for tests, HTTP) GET through the SDK's own connector and TLS
    /// roots: status and body. For the console federation endpoint, which is not an SDK
    /// service. The URL may hold a short-lived token, so errors do not repeat it.
    pub fn http_get(&self, what: &str, url: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
        use aws_smithy_runtime_api::client::http::HttpConnector;
        let req = aws_smithy_runtime_api::http::Request::get(url)
            .map_err(|_| anyhow::anyhow!("could not {what}: invalid URL"))?;
        self.call(what, async move {
            let conn = aws_smithy_http_client::Connector::builder()
                .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
                .build();
            let fetch = async {
                let resp = conn
                    .call(req)
                    .await
                    .map_err(|e| anyhow::anyhow!("could not {what}: {}", io_reason(&e)))?;
                let status = resp.status().as_u16();
                let body = aws_smithy_types::byte_stream::ByteStream::new(resp.into_body())
                    .collect()
                    .await
                    .map_err(|e| anyhow::anyhow!("could not {what}: {}", io_reason(&e)))?;
                Ok((status, body.to_vec()))
            };
            match tokio::time::timeout(Duration::from_secs(20), fetch).await {
                Ok(r) => r,
                Err(_) => Err(anyhow::anyhow!("could not {what}: timed out")),
            }
        })
    }

    /// The ARN of the identity behind `creds`.
    pub fn caller_arn(&self, creds: &Credentials, region: &str) -> anyhow::Result<String> {
        let client = self.sts(Some(creds), region);
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

    /// The serial numbers of `user`'s MFA devices.
    pub fn list_mfa_devices(&self, creds: &Credentials, user: &str) -> anyhow::Result<Vec<String>> {
        let mut b = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new(GLOBAL_REGION))
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .http_client(self.http_client())
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

    /// Role credentials from IAM Identity Center for an access token left by `aws sso login`.
    pub fn sso_role_credentials(
        &self,
        sso_region: &str,
        access_token: &str,
        account_id: &str,
        role_name: &str,
    ) -> anyhow::Result<Credentials> {
        let mut b = aws_sdk_sso::Config::builder()
            .behavior_version(aws_sdk_sso::config::BehaviorVersion::latest())
            .region(aws_sdk_sso::config::Region::new(sso_region.to_owned()))
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .http_client(self.http_client())
            .interceptor(self.skew.clone());
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
                expiration: OffsetDateTime::from_unix_timestamp(rc.expiration() / 1000).ok(),
            })
        })
    }

    /// Credentials from EC2 instance metadata or the ECS container endpoint.
    pub fn instance_credentials(&self, ecs: bool) -> anyhow::Result<Credentials> {
        let what = if ecs {
            "get credentials from the ECS container endpoint"
        } else {
            "get credentials from EC2 instance metadata"
        };
        self.call(what, async move {
            let got = if ecs {
                aws_config::ecs::EcsCredentialsProvider::builder()
                    .build()
                    .provide_credentials()
                    .await
            } else {
                aws_config::imds::credentials::ImdsCredentialsProvider::builder()
                    .build()
                    .provide_credentials()
                    .await
            };
            let c = got.map_err(|e| anyhow::anyhow!("could not {what}: {e}"))?;
            Ok(Credentials {
                access_key_id: c.access_key_id().to_owned(),
                secret_access_key: c.secret_access_key().to_owned(),
                session_token: c.session_token().map(str::to_owned),
                expiration: c.expiry().map(OffsetDateTime::from),
            })
        })
    }
}

/// Learns how far the service's clock is from ours from the `Date` header of each answer: an
/// `Expiration` is in the service's time, and the cache must judge it by that time.
#[derive(Debug, Clone, Default)]
struct SkewProbe(Arc<Mutex<Option<i64>>>);

impl Intercept for SkewProbe {
    fn name(&self) -> &'static str {
        "awsdo clock skew"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let date = context.response().headers().get("date");
        if let Some(server) = date.and_then(|d| DateTime::from_str(d, Format::HttpDate).ok()) {
            let skew = server.secs() - OffsetDateTime::now_utc().unix_timestamp();
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(skew);
        }
        Ok(())
    }
}

/// What the SDK builds for each client by default (rustls with aws-lc, the proxy from the
/// environment), built here once so that every client of the run shares it.
fn https_client() -> SharedHttpClient {
    use aws_smithy_http_client::proxy::ProxyConfig;
    use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
    aws_smithy_http_client::Builder::new().build_with_connector_fn(|settings, components| {
        let mut b = aws_smithy_http_client::Connector::builder()
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc));
        b.set_connector_settings(settings.cloned());
        if let Some(c) = components {
            b.set_sleep_impl(c.sleep_impl());
        }
        b.set_proxy_config(Some(ProxyConfig::from_env()));
        b.build()
    })
}

fn retry_config() -> RetryConfig {
    // Throttling and 5xx get two more tries with a short backoff; minutes of retries against an
    // unreachable STS are worse than one clear error.
    RetryConfig::standard()
        .with_max_attempts(3)
        .with_initial_backoff(Duration::from_millis(200))
        .with_max_backoff(Duration::from_secs(2))
}

fn timeout_config() -> TimeoutConfig {
    // STS answers in well under a second. An attempt that has not answered in 5 s is hung, so
    // it gets one more try at most, and the whole call gives up after 10 s with one line
    // ("timed out") instead of holding a command or a terminal for long.
    TimeoutConfig::builder()
        .connect_timeout(Duration::from_secs(3))
        .operation_attempt_timeout(Duration::from_secs(5))
        .operation_timeout(Duration::from_secs(10))
        .build()
}

fn secs_i32(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
}

fn sdk_credentials(c: &Credentials) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.clone(),
        c.session_token.clone(),
        None,
        "awsdo",
    )
}

fn from_sts(c: &aws_sdk_sts::types::Credentials) -> Credentials {
    Credentials {
        access_key_id: c.access_key_id().to_owned(),
        secret_access_key: c.secret_access_key().to_owned(),
        session_token: Some(c.session_token().to_owned()),
        expiration: OffsetDateTime::from_unix_timestamp(c.expiration().secs()).ok(),
    }
}

/// One line for an SDK error: what failed and why, with the typed errors callers branch on.
fn describe<E, R>(what: &str, err: SdkError<E, R>) -> anyhow::Error
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    R: std::fmt::Debug,
{
    match &err {
        SdkError::ServiceError(service) => {
            let e = service.err();
            let code = e.code().unwrap_or("Unknown");
            let message = e.message().unwrap_or("").trim();
            if code == "AccessDenied" && message.contains("MultiFactorAuthentication") {
                return MfaRejected.into();
            }
            if code == "ExpiredToken" || code == "ExpiredTokenException" {
                return SourceExpired.into();
            }
            let msg = if message.is_empty() {
                code.to_owned()
            } else {
                format!("{code}: {message}")
            };
            anyhow::anyhow!("could not {what}: {}", one_line(&msg))
        }
        SdkError::TimeoutError(_) => anyhow::anyhow!("could not {what}: timed out"),
        SdkError::DispatchFailure(d) => {
            let why = if d.is_timeout() {
                "timed out connecting".to_owned()
            } else if d.is_io() {
                format!("could not connect ({})", io_reason(&err))
            } else {
                io_reason(&err)
            };
            anyhow::anyhow!("could not {what}: {why}")
        }
        _ => anyhow::anyhow!("could not {what}: {}", io_reason(&err)),
    }
}

/// The innermost cause of an error, on one line.
fn io_reason(err: &dyn std::error::Error) -> String {
    let mut cur: &dyn std::error::Error = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    one_line(&cur.to_string())
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use aws_sdk_sts::config::endpoint::{Params, ResolveEndpoint};

    use super::*;

    #[test]
    fn no_region_means_the_global_sts_endpoint() {
        let params = Params::builder()
            .region(GLOBAL_REGION.to_owned())
            .use_global_endpoint(false)
            .use_fips(false)
            .use_dual_stack(false)
            .build()
            .unwrap();
        let resolver = aws_sdk_sts::config::endpoint::DefaultResolver::new();
        let endpoint = futures_lite_block(resolver.resolve_endpoint(&params)).unwrap();
        assert_eq!(endpoint.url(), "https://sts.amazonaws.com");
    }

    fn futures_lite_block<F: Future>(f: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(f)
    }

    #[test]
    fn endpoints_prefer_the_service_specific_variable() {
        let env = |k: &str| match k {
            "AWS_ENDPOINT_URL" => Some("http://all".to_owned()),
            "AWS_ENDPOINT_URL_STS" => Some("http://sts".to_owned()),
            _ => None,
        };
        let e = Endpoints::from_env(&env);
        assert_eq!(e.sts.as_deref(), Some("http://sts"));
        assert_eq!(e.iam.as_deref(), Some("http://all"));
    }
}
