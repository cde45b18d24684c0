//! Every call to AWS: STS, IAM (MFA discovery), IAM Identity Center, the instance/container
//! credential endpoints and the console's federation GET. The only module that builds SDK
//! clients or starts a runtime, and it does both lazily, so a run served from the cache never
//! pays for either.
//!
//! Here: [`Net`] (one per run: the runtime, the budget, the SDK settings every client shares,
//! `Net::sdk_config`) and [`Endpoints`]. `transport.rs`: trust, proxies, the HTTP client and
//! its body cap, the plain GET. `sts.rs`, `iam.rs`, `sso.rs`, `instance.rs`: the calls.
//! `check.rs`: the clock skew and the checks on answers. `errors.rs`: errors as one line.
//!
//! Calls fail fast: a few quick retries for throttling and 5xx, short connect timeouts, and an
//! optional overall budget (the prompt hook's `AWSDO_HOOK_TIMEOUT`) that time spent at an MFA
//! prompt does not count against.
//!
//! Every HTTPS call goes through one transport set up as the AWS CLI sets up its own
//! (`Transport`): the system roots plus the PEM certificates of `AWS_CA_BUNDLE` (else the
//! profile's `ca_bundle`, else `REQUESTS_CA_BUNDLE`), and the proxy of `HTTPS_PROXY` /
//! `HTTP_PROXY` unless `NO_PROXY` names the host. Every response body is read through a cap
//! (`MAX_BODY`), and every answer that carries credentials is checked before it is used
//! (`checked_credentials`): no empty key, an expiry that exists and is not absurd.

mod check;
mod errors;
mod iam;
mod instance;
mod roots;
mod sso;
mod sts;
mod transport;

pub use check::{checked_credentials, skew_from_date};
pub use roots::{MAX_CA_BUNDLE, SystemStore, read_ca_bundle};
pub use transport::{CaBundle, MAX_BODY, Transport};

use std::cell::{Cell, OnceCell};
use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_smithy_runtime_api::client::http::SharedHttpClient;
use time::OffsetDateTime;

use self::check::SkewProbe;
use self::transport::{CappedClient, https_client};
use crate::creds::Credentials;
use crate::env::Env;

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
    pub fn from_env(env: &Env) -> Endpoints {
        let get = |k: &str| env.var(k);
        let any = get("AWS_ENDPOINT_URL").filter(|v| !v.is_empty());
        let one = |k: &str| get(k).filter(|v| !v.is_empty()).or_else(|| any.clone());
        Endpoints {
            sts: one("AWS_ENDPOINT_URL_STS"),
            iam: one("AWS_ENDPOINT_URL_IAM"),
            sso: one("AWS_ENDPOINT_URL_SSO"),
        }
    }
}

/// The largest clock difference with STS awsdo believes, in seconds (one day). A `Date` header
/// further from the local clock than this is a broken or hostile answer, not a clock: it is
/// ignored (with a debug line) instead of moving every expiry judgement by years.
pub const MAX_CLOCK_SKEW: i64 = 24 * 3600;

/// The furthest expiry awsdo accepts in an answer, from the local clock (7 days). STS sessions
/// last at most 36 hours (GetSessionToken), SSO role credentials 12; an `Expiration` beyond
/// this is refused rather than cached as good for years.
pub const MAX_EXPIRY_AHEAD: Duration = Duration::from_secs(7 * 24 * 3600);

/// The network side of one run: a runtime and clients made on first use.
pub struct Net {
    endpoints: Endpoints,
    transport: Transport,
    /// The profile the run is for, named in errors about the answers.
    profile: Option<String>,
    runtime: OnceCell<tokio::runtime::Runtime>,
    /// The TLS roots: the CA bundle, read on the first network call, and the system store,
    /// read on the first HTTPS dial.
    tls: OnceCell<roots::Trust>,
    /// The one HTTP client (TLS roots, proxy, connection pool, body cap) every SDK client of
    /// the run shares.
    http: OnceCell<SharedHttpClient>,
    /// The SDK settings every client shares (`sdk_config`), made on first use.
    sdk: OnceCell<aws_config::SdkConfig>,
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
            transport: Transport::default(),
            profile: None,
            runtime: OnceCell::new(),
            tls: OnceCell::new(),
            http: OnceCell::new(),
            sdk: OnceCell::new(),
            skew: SkewProbe::default(),
            budget: Cell::new(budget),
        }
    }

    /// The same, with these trust and proxy settings. Nothing is read here: the CA bundle is
    /// read on the first network call, so a run served from the cache never touches it.
    pub fn with_transport(mut self, transport: Transport) -> Net {
        self.transport = transport;
        self
    }

    /// The same, sending every SDK call through `client` (wrapped in the body cap) instead of
    /// the transport's: for fuzzing the handling of answers without a network.
    pub fn with_http_client(self, client: SharedHttpClient) -> Net {
        let _ = self.http.set(SharedHttpClient::new(CappedClient(client)));
        self
    }

    /// The same, naming `profile` in errors about the answers.
    pub fn for_profile(mut self, profile: &str) -> Net {
        self.profile = Some(profile.to_owned());
        self
    }

    /// Seconds STS's (or SSO's) clock was ahead of ours (negative: behind) in the last answer
    /// with a `Date` header this run; `None` before any.
    pub fn clock_skew(&self) -> Option<i64> {
        *self.skew.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Run one network future within the remaining budget; `what` (`call sts:AssumeRole`)
    /// names it in the debug log and in the error when the budget runs out.
    pub(crate) fn call<T>(
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

    /// The run's TLS roots: the system's (read on the first HTTPS dial) plus the CA bundle's
    /// (read and checked now, once). Errors when the CA bundle cannot be used.
    fn tls(&self) -> anyhow::Result<roots::Trust> {
        if let Some(t) = self.tls.get() {
            return Ok(t.clone());
        }
        let mut bundle = None;
        if let Some(b) = &self.transport.ca_bundle {
            bundle = Some(read_ca_bundle(b)?);
            crate::log::debug(&format!(
                "trusting the CA bundle {} ({}) besides the system roots",
                b.path.display(),
                b.origin
            ));
        }
        let tls = roots::Trust::new(self.transport.system.clone(), bundle);
        Ok(self.tls.get_or_init(|| tls).clone())
    }

    /// The run's HTTP client, built on first use: a chain's calls then share one TLS setup
    /// and reuse one connection instead of each SDK client building its own. Errors when the
    /// CA bundle or a proxy variable cannot be used.
    fn http_client(&self) -> anyhow::Result<SharedHttpClient> {
        if let Some(c) = self.http.get() {
            return Ok(c.clone());
        }
        let client = https_client(self.tls()?, self.transport.proxy_config()?);
        Ok(self.http.get_or_init(|| client).clone())
    }

    /// The SDK settings every client of the run shares, made once, on first use: the behaviour
    /// version, retries and timeouts (`retry_config`, `timeout_config`: fail fast), and the
    /// run's one HTTP client (trust, proxy, body cap). Each client adds its region, endpoint
    /// override, credentials and, where answers carry credentials, the clock-skew probe
    /// ([`Net::skew_probe`]). A module that adds calls (SSO sign-in, the credential endpoint)
    /// builds its client from this (`aws_sdk_x::config::Builder::from(&config)`) and runs the
    /// call with [`Net::call`], so trust, proxies, body cap and the budget apply to it too.
    ///
    /// Errors when the CA bundle or a proxy variable cannot be used.
    pub(crate) fn sdk_config(&self) -> anyhow::Result<aws_config::SdkConfig> {
        if let Some(c) = self.sdk.get() {
            return Ok(c.clone());
        }
        let config = aws_config::SdkConfig::builder()
            .behavior_version(BehaviorVersion::latest())
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .http_client(self.http_client()?)
            .build();
        Ok(self.sdk.get_or_init(|| config).clone())
    }

    /// The interceptor that learns the service's clock from each answer's `Date` header
    /// ([`Net::clock_skew`]): for clients whose answers carry credentials.
    pub(crate) fn skew_probe(&self) -> SkewProbe {
        self.skew.clone()
    }

    fn sts_config(
        &self,
        creds: Option<&Credentials>,
        region: &str,
    ) -> anyhow::Result<aws_sdk_sts::config::Builder> {
        let mut b = aws_sdk_sts::config::Builder::from(&self.sdk_config()?)
            .region(Region::new(region.to_owned()))
            .interceptor(self.skew_probe());
        if let Some(c) = creds {
            b = b.credentials_provider(sdk_credentials(c));
        }
        if let Some(url) = &self.endpoints.sts {
            b = b.endpoint_url(url);
        }
        Ok(b)
    }

    fn sts(
        &self,
        creds: Option<&Credentials>,
        region: &str,
    ) -> anyhow::Result<aws_sdk_sts::Client> {
        Ok(aws_sdk_sts::Client::from_conf(
            self.sts_config(creds, region)?.build(),
        ))
    }

    /// `creds` from the answer to `what`, refused when a key is empty or the expiry is missing
    /// or absurd (see `checked_credentials`); the error names the run's profile.
    fn checked(&self, what: &str, creds: Credentials) -> anyhow::Result<Credentials> {
        checked_credentials(creds, OffsetDateTime::now_utc())
            .map_err(|why| anyhow::anyhow!("could not {what}{}: {why}", self.profile_label()))
    }

    /// ` for profile "NAME"` when the run's profile is known, else nothing.
    fn profile_label(&self) -> String {
        self.profile
            .as_ref()
            .map(|p| format!(" for profile {p:?}"))
            .unwrap_or_default()
    }
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

pub(super) fn secs_i32(d: Duration) -> i32 {
    i32::try_from(d.as_secs()).unwrap_or(i32::MAX)
}

pub(super) fn sdk_credentials(c: &Credentials) -> aws_credential_types::Credentials {
    aws_credential_types::Credentials::new(
        c.access_key_id.clone(),
        c.secret_access_key.clone(),
        c.session_token.clone(),
        None,
        "awsdo",
    )
}

#[cfg(test)]
/// For the unit tests of `transport.rs` and `roots.rs`: a self-signed CA made with `openssl req -x509` for these tests only (its key is gone).
pub(crate) const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\n\
MIIBoTCCAUegAwIBAgIUPnoqwoTNzqPMPhbqgOt5P19tp+AwCgYIKoZIzj0EAwIw\n\
HTEbMBkGA1UEAwwSYXdzZG8gdW5pdCB0ZXN0IENBMCAXDTI2MTEzMDAwMjMzMVoY\n\
DzIxMjYxMTA2MDAyMzMxWjAdMRswGQYDVQQDDBJhd3NkbyB1bml0IHRlc3QgQ0Ew\n\
WTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAATqJGxIQsm4j5EbjtLNXv3QSz9poczf\n\
63uKywwR6oHqA5Wfbjl+yCZod0gFBf+gD1ioqHhZxa3gQtH54KbchPMao2MwYTAd\n\
BgNVHQ4EFgQUH9ebJgXERiO7qooV+QhHQN/2HacwHwYDVR0jBBgwFoAUH9ebJgXE\n\
RiO7qooV+QhHQN/2HacwDwYDVR0TAQH/BAUwAwEB/zAOBgNVHQ8BAf8EBAMCAgQw\n\
CgYIKoZIzj0EAwIDSAAwRQIhAP5RnpAXm470/X6YReiH+J/H2Nn4K03p7z0NiDB+\n\
AfUwAiB7/Wg1kV1EIc6t+PT1iIe3uobPuODxwgUl5/K88xK1DA==\n\
-----END CERTIFICATE-----\n";

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
        let env = Env::from_pairs([
            ("AWS_ENDPOINT_URL", "http://all"),
            ("AWS_ENDPOINT_URL_STS", "http://sts"),
        ]);
        let e = Endpoints::from_env(&env);
        assert_eq!(e.sts.as_deref(), Some("http://sts"));
        assert_eq!(e.iam.as_deref(), Some("http://all"));
    }
}
