//! Every call to AWS: STS, IAM (MFA discovery), IAM Identity Center and the instance/container
//! credential endpoints. The only module that builds SDK clients or starts a runtime, and it
//! does both lazily, so a run served from the cache never pays for either.
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

use std::cell::{Cell, OnceCell};
use std::future::Future;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use aws_credential_types::provider::ProvideCredentials;
use aws_sdk_sts::config::retry::RetryConfig;
use aws_sdk_sts::config::timeout::TimeoutConfig;
use aws_sdk_sts::config::{BehaviorVersion, Region};
use aws_sdk_sts::error::{ProvideErrorMetadata, SdkError};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, TlsContext, TrustStore, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::body::SdkBody;
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

/// The largest response body awsdo reads, in bytes (4 MiB). STS, IAM, SSO and the console
/// federation endpoint answer in a few kilobytes; a larger body is refused while it is being
/// read (whatever its `Content-Length` says), with one line, so a hostile or broken endpoint
/// cannot make awsdo hold it in memory.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// The largest CA bundle awsdo reads, in bytes (16 MiB; the whole Mozilla store is ~200 KiB).
pub const MAX_CA_BUNDLE: u64 = 16 * 1024 * 1024;

/// The largest clock difference with STS awsdo believes, in seconds (one day). A `Date` header
/// further from the local clock than this is a broken or hostile answer, not a clock: it is
/// ignored (with a debug line) instead of moving every expiry judgement by years.
pub const MAX_CLOCK_SKEW: i64 = 24 * 3600;

/// The furthest expiry awsdo accepts in an answer, from the local clock (7 days). STS sessions
/// last at most 36 hours (GetSessionToken), SSO role credentials 12; an `Expiration` beyond
/// this is refused rather than cached as good for years.
pub const MAX_EXPIRY_AHEAD: Duration = Duration::from_secs(7 * 24 * 3600);

/// A CA bundle to trust besides the system roots, and where its path came from (for errors).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaBundle {
    /// The PEM file.
    pub path: PathBuf,
    /// Where the path was set: `AWS_CA_BUNDLE`, `ca_bundle of profile "dev" in ~/.aws/config`.
    pub origin: String,
}

/// Trust and proxy settings for every HTTPS call of a run, read as the AWS CLI (botocore with
/// urllib3) reads them; see `Transport::from_env`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Transport {
    /// PEM certificates added to the system roots.
    pub ca_bundle: Option<CaBundle>,
    /// The proxy for `https://` URLs and the variable that set it.
    pub https_proxy: Option<(String, String)>,
    /// The proxy for `http://` URLs (endpoint overrides, test stand-ins) and its variable.
    pub http_proxy: Option<(String, String)>,
    /// Hosts reached directly: comma-separated names (a name also covers its subdomains), IP
    /// addresses or networks, or `*` for all.
    pub no_proxy: Option<String>,
}

impl Transport {
    /// The settings from the environment and the selected profile's `ca_bundle`, with the AWS
    /// CLI's precedence: `AWS_CA_BUNDLE`, else the profile's `ca_bundle`, else
    /// `REQUESTS_CA_BUNDLE` (botocore `session.create_client` and `endpoint._get_verify_value`).
    /// Proxies follow Python's `urllib.request.getproxies`, which botocore uses: for each of
    /// `https_proxy`, `http_proxy`, `no_proxy` the lowercase variable wins over the uppercase
    /// one, an empty value counts as unset, `HTTP_PROXY` is ignored when `REQUEST_METHOD` is
    /// set (a CGI environment), and `ALL_PROXY` is not used (botocore picks the proxy by the
    /// URL's scheme). A proxy without a scheme (`proxy:3128`) means `http://proxy:3128`.
    pub fn from_env(
        get: &dyn Fn(&str) -> Option<String>,
        profile_ca_bundle: Option<CaBundle>,
    ) -> Transport {
        let nonempty = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        let ca_bundle = nonempty("AWS_CA_BUNDLE")
            .map(|p| CaBundle {
                path: p.into(),
                origin: "AWS_CA_BUNDLE".to_owned(),
            })
            .or(profile_ca_bundle)
            .or_else(|| {
                nonempty("REQUESTS_CA_BUNDLE").map(|p| CaBundle {
                    path: p.into(),
                    origin: "REQUESTS_CA_BUNDLE".to_owned(),
                })
            });
        let pick = |lower: &str, upper: &str| -> Option<(String, String)> {
            match get(lower) {
                Some(v) if v.trim().is_empty() => None,
                Some(v) => Some((lower.to_owned(), v.trim().to_owned())),
                None => nonempty(upper).map(|v| (upper.to_owned(), v.trim().to_owned())),
            }
        };
        let http_proxy = if get("REQUEST_METHOD").is_some() {
            None
        } else {
            pick("http_proxy", "HTTP_PROXY")
        };
        Transport {
            ca_bundle,
            https_proxy: pick("https_proxy", "HTTPS_PROXY"),
            http_proxy,
            no_proxy: pick("no_proxy", "NO_PROXY").map(|(_, v)| v),
        }
    }

    /// The proxy configuration for the connector. One proxy serves both schemes when both
    /// variables agree; otherwise `https://` URLs (every AWS endpoint) get theirs and `http://`
    /// URLs get theirs only when no HTTPS proxy is set.
    fn proxy_config(&self) -> anyhow::Result<ProxyConfig> {
        type Make = fn(String) -> Result<ProxyConfig, aws_smithy_http_client::proxy::ProxyError>;
        let parse = |(var, url): &(String, String), make: Make| -> anyhow::Result<ProxyConfig> {
            let url = if url.contains("://") {
                url.clone()
            } else {
                format!("http://{url}")
            };
            // The parse error never repeats the URL, which may hold a password.
            let config =
                make(url).map_err(|e| anyhow::anyhow!("could not use the proxy in {var}: {e}"))?;
            Ok(match &self.no_proxy {
                Some(rules) => config.no_proxy(rules),
                None => config,
            })
        };
        match (&self.https_proxy, &self.http_proxy) {
            (Some(s), Some(h)) if s.1 == h.1 => parse(s, ProxyConfig::all::<String>),
            (Some(s), _) => parse(s, ProxyConfig::https::<String>),
            (None, Some(h)) => parse(h, ProxyConfig::http::<String>),
            (None, None) => Ok(ProxyConfig::disabled()),
        }
    }
}

/// The bundle's PEM certificates, checked: a missing, unreadable, oversized or non-PEM file, or
/// one with a certificate that cannot be a trust anchor, is a one-line error naming it.
pub fn read_ca_bundle(bundle: &CaBundle) -> anyhow::Result<Vec<u8>> {
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;
    let name = format!("{} ({})", bundle.path.display(), bundle.origin);
    let fail = |why: String| anyhow::anyhow!("could not read the CA bundle {name}: {why}");
    // Only a regular file, opened without blocking: a FIFO would wait for a writer.
    let pem = crate::files::read_regular(&bundle.path, MAX_CA_BUNDLE).map_err(|e| {
        fail(match e.kind() {
            std::io::ErrorKind::InvalidInput if e.to_string() == "a directory" => {
                "it is a directory, not a PEM file".to_owned()
            }
            std::io::ErrorKind::InvalidInput | std::io::ErrorKind::InvalidData => e.to_string(),
            _ => io_reason(&e),
        })
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail(format!("not a PEM file ({})", one_line(&e.to_string()))))?;
    if certs.is_empty() {
        return Err(fail(
            "no PEM certificate in it (expected -----BEGIN CERTIFICATE-----)".to_owned(),
        ));
    }
    let mut roots = rustls::RootCertStore::empty();
    for (i, cert) in certs.into_iter().enumerate() {
        roots
            .add(cert)
            .map_err(|e| fail(format!("certificate {} is not usable: {e}", i + 1)))?;
    }
    Ok(pem)
}

/// The network side of one run: a runtime and clients made on first use.
pub struct Net {
    endpoints: Endpoints,
    transport: Transport,
    /// The profile the run is for, named in errors about the answers.
    profile: Option<String>,
    runtime: OnceCell<tokio::runtime::Runtime>,
    /// The TLS roots (system plus CA bundle), read on the first network call.
    tls: OnceCell<TlsContext>,
    /// The one HTTP client (TLS roots, proxy, connection pool, body cap) every SDK client of
    /// the run shares.
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
            transport: Transport::default(),
            profile: None,
            runtime: OnceCell::new(),
            tls: OnceCell::new(),
            http: OnceCell::new(),
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

    /// The run's shared HTTP client (TLS roots, proxy, body cap), for SDK clients built
    /// outside this module (the SSO OIDC client of `sso::oidc`).
    pub(crate) fn shared_http_client(&self) -> anyhow::Result<SharedHttpClient> {
        self.http_client()
    }

    /// Run one network future of another module within the run's budget (see `call`).
    pub(crate) fn run_call<T>(
        &self,
        what: &str,
        fut: impl Future<Output = anyhow::Result<T>>,
    ) -> anyhow::Result<T> {
        self.call(what, fut)
    }

    /// The run's TLS roots: the system's plus the CA bundle's, read once, on first use.
    fn tls(&self) -> anyhow::Result<TlsContext> {
        if let Some(t) = self.tls.get() {
            return Ok(t.clone());
        }
        let mut store = TrustStore::default();
        if let Some(bundle) = &self.transport.ca_bundle {
            store.add_pem_certificate(read_ca_bundle(bundle)?);
            crate::log::debug(&format!(
                "trusting the CA bundle {} ({}) besides the system roots",
                bundle.path.display(),
                bundle.origin
            ));
        }
        let tls = TlsContext::builder()
            .with_trust_store(store)
            .build()
            .map_err(|e| anyhow::anyhow!("could not set up TLS: {}", io_reason(&e)))?;
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

    fn sdk_config(
        &self,
        creds: Option<&Credentials>,
        region: &str,
    ) -> anyhow::Result<aws_sdk_sts::config::Builder> {
        let mut b = aws_sdk_sts::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region.to_owned()))
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .http_client(self.http_client()?)
            .interceptor(self.skew.clone());
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
            self.sdk_config(creds, region)?.build(),
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

    /// A plain HTTPS (or, for tests, HTTP) GET through the run's transport (the same TLS
    /// roots, proxy and body cap as the SDK clients): status and body. For the console
    /// federation endpoint, which is not an SDK service. The URL may hold a short-lived token,
    /// so errors do not repeat it.
    pub fn http_get(&self, what: &str, url: &str) -> anyhow::Result<(u16, Vec<u8>)> {
        let req = aws_smithy_runtime_api::http::Request::get(url)
            .map_err(|_| anyhow::anyhow!("could not {what}: invalid URL"))?;
        let conn = Capped(connector(
            self.tls()?,
            self.transport.proxy_config()?,
            None,
            None,
        ));
        self.call(what, async move {
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

    /// The serial numbers of `user`'s MFA devices.
    pub fn list_mfa_devices(&self, creds: &Credentials, user: &str) -> anyhow::Result<Vec<String>> {
        let mut b = aws_sdk_iam::Config::builder()
            .behavior_version(aws_sdk_iam::config::BehaviorVersion::latest())
            .region(aws_sdk_iam::config::Region::new(GLOBAL_REGION))
            .retry_config(retry_config())
            .timeout_config(timeout_config())
            .http_client(self.http_client()?)
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
            .http_client(self.http_client()?)
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
        if let Some(skew) = date.and_then(|d| skew_from_date(d, OffsetDateTime::now_utc())) {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(skew);
        }
        Ok(())
    }
}

/// How far (seconds, positive: ahead) the clock of an answer's `Date` header (an HTTP date)
/// is from `now`; `None` when the header does not parse, or when the difference is beyond
/// `MAX_CLOCK_SKEW` (logged: such a header is broken, not a clock to trust).
pub fn skew_from_date(date: &str, now: OffsetDateTime) -> Option<i64> {
    let server = DateTime::from_str(date, Format::HttpDate).ok()?;
    let skew = server.secs().checked_sub(now.unix_timestamp());
    match skew {
        Some(s) if s.checked_abs().is_some_and(|a| a <= MAX_CLOCK_SKEW) => Some(s),
        _ => {
            crate::log::debug(&format!(
                "ignoring the Date header {date:?}: more than {MAX_CLOCK_SKEW}s from the local clock"
            ));
            None
        }
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

/// Refuse credentials from an answer that cannot be real: an empty access key id, secret key
/// or session token (every STS, SSO and instance/container answer carries all three), a
/// missing expiry, or one more than `MAX_EXPIRY_AHEAD` after `now`. The reason names the field
/// and never a secret.
pub fn checked_credentials(c: Credentials, now: OffsetDateTime) -> anyhow::Result<Credentials> {
    for (field, value) in [
        ("AccessKeyId", Some(c.access_key_id.as_str())),
        ("SecretAccessKey", Some(c.secret_access_key.as_str())),
        ("SessionToken", c.session_token.as_deref()),
    ] {
        anyhow::ensure!(
            value.is_some_and(|v| !v.trim().is_empty()),
            "the answer has an empty {field}"
        );
    }
    let Some(expiration) = c.expiration else {
        anyhow::bail!("the answer has no valid Expiration");
    };
    let latest =
        now.checked_add(time::Duration::try_from(MAX_EXPIRY_AHEAD).unwrap_or(time::Duration::MAX));
    anyhow::ensure!(
        latest.is_none_or(|l| expiration <= l),
        "the answer's Expiration ({}) is more than {} days away",
        crate::creds::format_utc(expiration).unwrap_or_else(|_| "out of range".to_owned()),
        MAX_EXPIRY_AHEAD.as_secs() / 86400
    );
    Ok(c)
}

/// The connector every call goes through: rustls with aws-lc (the SDK's default), the run's
/// TLS roots and proxy, and the SDK's connector settings (timeouts) and sleep when given.
fn connector(
    tls: TlsContext,
    proxy: ProxyConfig,
    settings: Option<&HttpConnectorSettings>,
    components: Option<&RuntimeComponents>,
) -> aws_smithy_http_client::Connector {
    let mut b = aws_smithy_http_client::Connector::builder()
        .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
        .tls_context(tls);
    b.set_connector_settings(settings.cloned());
    if let Some(c) = components {
        b.set_sleep_impl(c.sleep_impl());
    }
    b.set_proxy_config(Some(proxy));
    b.build()
}

/// The run's HTTP client, built once so that every SDK client of the run shares it (one TLS
/// setup, one connection pool), with every response body capped at `MAX_BODY`.
fn https_client(tls: TlsContext, proxy: ProxyConfig) -> SharedHttpClient {
    let inner = aws_smithy_http_client::Builder::new().build_with_connector_fn(
        move |settings, components| connector(tls.clone(), proxy.clone(), settings, components),
    );
    SharedHttpClient::new(CappedClient(inner))
}

/// An HTTP client whose connectors cap response bodies (`Capped`).
#[derive(Debug)]
struct CappedClient(SharedHttpClient);

impl HttpClient for CappedClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(Capped(self.0.http_connector(settings, components)))
    }

    fn validate_base_client_config(
        &self,
        components: &RuntimeComponentsBuilder,
        cfg: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_base_client_config(components, cfg)
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// A connector whose responses' bodies fail once more than `MAX_BODY` bytes have arrived
/// (`http_body_util::Limited`), whatever the `Content-Length` header claims.
#[derive(Debug)]
struct Capped<C>(C);

impl<C: HttpConnector> HttpConnector for Capped<C> {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let fut = self.0.call(request);
        HttpConnectorFuture::new(async move {
            let resp = fut.await?;
            Ok(resp
                .map(|body| SdkBody::from_body_1_x(http_body_util::Limited::new(body, MAX_BODY))))
        })
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
    R: std::fmt::Debug + 'static,
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

/// The innermost cause of an error, on one line; a body over the cap and a certificate the
/// roots do not trust are said in words that name the limit and the fix.
fn io_reason(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur: &(dyn std::error::Error + 'static) = err;
    loop {
        if cur.is::<http_body_util::LengthLimitError>() {
            return format!(
                "the answer is larger than {} MiB, awsdo's limit for a response",
                MAX_BODY / 1024 / 1024
            );
        }
        match cur.source() {
            Some(next) => cur = next,
            None => break,
        }
    }
    let reason = one_line(&cur.to_string());
    if reason.contains("invalid peer certificate") {
        return format!(
            "{reason}; if a TLS-inspecting proxy or a private CA signs the endpoint's certificate, set AWS_CA_BUNDLE (or ca_bundle in the profile) to its CA's PEM file"
        );
    }
    reason
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

    /// A self-signed CA made with `openssl req -x509` for these tests only (its key is gone).
    const TEST_CA: &str = "-----BEGIN CERTIFICATE-----\n\
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

    fn env_of<'a>(vars: &'a [(&'a str, &'a str)]) -> impl Fn(&str) -> Option<String> + 'a {
        move |k| {
            vars.iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| (*v).to_owned())
        }
    }

    #[test]
    fn the_ca_bundle_follows_the_aws_cli_precedence() {
        let profile = CaBundle {
            path: "/p.pem".into(),
            origin: "ca_bundle of profile \"dev\"".to_owned(),
        };
        let t = Transport::from_env(
            &env_of(&[
                ("AWS_CA_BUNDLE", "/env.pem"),
                ("REQUESTS_CA_BUNDLE", "/r.pem"),
            ]),
            Some(profile.clone()),
        );
        assert_eq!(t.ca_bundle.unwrap().origin, "AWS_CA_BUNDLE");
        let t = Transport::from_env(
            &env_of(&[("AWS_CA_BUNDLE", ""), ("REQUESTS_CA_BUNDLE", "/r.pem")]),
            Some(profile.clone()),
        );
        assert_eq!(t.ca_bundle, Some(profile));
        let t = Transport::from_env(&env_of(&[("REQUESTS_CA_BUNDLE", "/r.pem")]), None);
        assert_eq!(t.ca_bundle.unwrap().origin, "REQUESTS_CA_BUNDLE");
        assert_eq!(
            Transport::from_env(&env_of(&[]), None),
            Transport::default()
        );
    }

    #[test]
    fn proxies_follow_python_urllib() {
        let t = Transport::from_env(
            &env_of(&[
                ("HTTPS_PROXY", "http://upper:1"),
                ("https_proxy", "http://lower:2"),
                ("HTTP_PROXY", "plain:3"),
                ("NO_PROXY", "a.example"),
                ("no_proxy", "b.example"),
                ("ALL_PROXY", "http://all:4"),
            ]),
            None,
        );
        assert_eq!(
            t.https_proxy,
            Some(("https_proxy".to_owned(), "http://lower:2".to_owned()))
        );
        assert_eq!(
            t.http_proxy,
            Some(("HTTP_PROXY".to_owned(), "plain:3".to_owned()))
        );
        assert_eq!(t.no_proxy.as_deref(), Some("b.example"));
        assert!(t.proxy_config().is_ok());
        // An empty lowercase variable unsets the proxy; CGI ignores HTTP_PROXY.
        let t = Transport::from_env(
            &env_of(&[
                ("HTTPS_PROXY", "http://upper:1"),
                ("https_proxy", ""),
                ("HTTP_PROXY", "http://p:3"),
                ("REQUEST_METHOD", "GET"),
            ]),
            None,
        );
        assert_eq!((t.https_proxy, t.http_proxy), (None, None));
        // A proxy URL that cannot be used names its variable.
        let t = Transport::from_env(&env_of(&[("HTTPS_PROXY", "ftp://user:pw@p:1")]), None);
        let err = t.proxy_config().unwrap_err().to_string();
        assert!(
            err.starts_with("could not use the proxy in HTTPS_PROXY: "),
            "{err}"
        );
        assert!(!err.contains("pw"), "{err}");
    }

    #[test]
    fn the_bundle_adds_to_the_system_roots() {
        let dir = std::env::temp_dir().join(format!("awsdo-unit-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("ca.pem");
        std::fs::write(&path, TEST_CA).unwrap();
        let bundle = CaBundle {
            path: path.clone(),
            origin: "AWS_CA_BUNDLE".to_owned(),
        };
        assert_eq!(read_ca_bundle(&bundle).unwrap(), TEST_CA.as_bytes());
        let net = Net::new(Endpoints::default(), None).with_transport(Transport {
            ca_bundle: Some(bundle),
            ..Transport::default()
        });
        // The trust store keeps the platform's roots and adds the bundle's certificate.
        let shown = format!("{:?}", net.tls().unwrap());
        assert!(shown.contains("enable_native_roots: true"), "{shown}");
        assert!(shown.contains("custom_certs: [CertificatePEM("), "{shown}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_skew_beyond_a_day_is_ignored() {
        let now = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        // 1_795_000_000 is Wed, 18 Nov 2026 11:06:40 GMT.
        assert_eq!(
            skew_from_date("Wed, 18 Nov 2026 11:06:40 GMT", now),
            Some(0)
        );
        assert_eq!(
            skew_from_date("Wed, 18 Nov 2026 12:06:40 GMT", now),
            Some(3600)
        );
        assert_eq!(skew_from_date("Fri, 31 Dec 9999 23:59:59 GMT", now), None);
        assert_eq!(skew_from_date("Mon, 01 Jan 0001 00:00:00 GMT", now), None);
        assert_eq!(skew_from_date("not a date", now), None);
        let edge = OffsetDateTime::from_unix_timestamp(1_795_000_000 + MAX_CLOCK_SKEW).unwrap();
        assert_eq!(
            skew_from_date("Wed, 18 Nov 2026 11:06:40 GMT", edge),
            Some(-MAX_CLOCK_SKEW)
        );
    }

    #[test]
    fn credentials_with_an_empty_key_or_an_absurd_expiry_are_refused() {
        let now = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        let good = Credentials {
            access_key_id: "ASIAFAKE".to_owned(),
            secret_access_key: "fake-secret".to_owned(),
            session_token: Some("fake-token".to_owned()),
            expiration: Some(now + time::Duration::hours(1)),
        };
        assert!(checked_credentials(good.clone(), now).is_ok());
        let why = |c: Credentials| checked_credentials(c, now).unwrap_err().to_string();
        let mut c = good.clone();
        c.access_key_id.clear();
        assert_eq!(why(c), "the answer has an empty AccessKeyId");
        let mut c = good.clone();
        c.secret_access_key = " ".to_owned();
        assert_eq!(why(c), "the answer has an empty SecretAccessKey");
        let mut c = good.clone();
        c.session_token = None;
        assert_eq!(why(c), "the answer has an empty SessionToken");
        let mut c = good.clone();
        c.expiration = None;
        assert_eq!(why(c), "the answer has no valid Expiration");
        let mut c = good.clone();
        c.expiration = Some(time::macros::datetime!(9999-12-31 23:59:59 UTC));
        assert!(why(c).contains("(9999-12-31T23:59:59Z) is more than 7 days away"));
        // Time arithmetic near the end of the representable range does not panic.
        let end = time::macros::datetime!(9999-12-31 23:59:59 UTC);
        assert!(checked_credentials(good, end).is_ok());
    }

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
