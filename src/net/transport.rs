//! Trust and proxies for every HTTPS call, as the AWS CLI sets them up, and the body cap.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use aws_sdk_sts::config::SharedAsyncSleep;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::{
    RuntimeComponents, RuntimeComponentsBuilder,
};
use aws_smithy_types::body::SdkBody;
use aws_smithy_types::config_bag::ConfigBag;

use super::Net;
use super::errors::io_reason;
use super::roots::{SystemStore, Trust};
use crate::env::Env;

/// The largest response body awsdo reads, in bytes (4 MiB). STS, IAM, SSO and the console
/// federation endpoint answer in a few kilobytes; a larger body is refused while it is being
/// read (whatever its `Content-Length` says), with one line, so a hostile or broken endpoint
/// cannot make awsdo hold it in memory.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

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
    /// Where the system roots are (`SSL_CERT_FILE`, `SSL_CERT_DIR`, else the platform's).
    pub system: SystemStore,
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
    pub fn from_env(env: &Env, profile_ca_bundle: Option<CaBundle>) -> Transport {
        let get = |k: &str| env.var(k);
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
            system: SystemStore::from_env(env),
            https_proxy: pick("https_proxy", "HTTPS_PROXY"),
            http_proxy,
            no_proxy: pick("no_proxy", "NO_PROXY").map(|(_, v)| v),
        }
    }

    /// The proxy configuration for the connector. One proxy serves both schemes when both
    /// variables agree; otherwise `https://` URLs (every AWS endpoint) get theirs and `http://`
    /// URLs get theirs only when no HTTPS proxy is set.
    pub(super) fn proxy_config(&self) -> anyhow::Result<ProxyConfig> {
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

impl Net {
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
}

/// The connector every call goes through: rustls with aws-lc (the SDK's default), the run's
/// TLS roots and proxy, and the SDK's connector settings (timeouts) and sleep when given.
/// Its TLS half is built on the first `https://` request (`ByScheme`), so a run that only
/// dials plain HTTP (an endpoint override on loopback) never loads the system roots.
pub(super) fn connector(
    tls: Trust,
    proxy: ProxyConfig,
    settings: Option<&HttpConnectorSettings>,
    components: Option<&RuntimeComponents>,
) -> ByScheme {
    ByScheme {
        tls,
        proxy,
        settings: settings.cloned(),
        sleep: components.and_then(|c| c.sleep_impl()),
        plain: OnceLock::new(),
        secure: OnceLock::new(),
    }
}

/// A connector in two halves, each built on first use: plain HTTP for `http://` URLs when no
/// proxy is set, and rustls for everything else. Building the rustls half reads the system
/// roots (`roots.rs`: ~146 certificates on Debian), which a plain-HTTP run does not need. A
/// proxy sends every URL through the rustls half, as before (an `https://` proxy needs TLS
/// whatever the URL).
#[derive(Debug)]
pub(super) struct ByScheme {
    tls: Trust,
    proxy: ProxyConfig,
    settings: Option<HttpConnectorSettings>,
    sleep: Option<SharedAsyncSleep>,
    plain: OnceLock<aws_smithy_http_client::Connector>,
    secure: OnceLock<aws_smithy_http_client::Connector>,
}

impl ByScheme {
    /// The half that dials `uri`, built now if this is its first request. Errors only if the
    /// SDK refuses the TLS context.
    fn half(&self, uri: &str) -> Result<&aws_smithy_http_client::Connector, String> {
        let plain = uri
            .get(..7)
            .is_some_and(|s| s.eq_ignore_ascii_case("http://"))
            && self.proxy.is_disabled();
        if plain {
            return Ok(self.plain.get_or_init(|| {
                let mut b = aws_smithy_http_client::Connector::builder();
                b.set_connector_settings(self.settings.clone());
                b.set_sleep_impl(self.sleep.clone());
                b.build_http()
            }));
        }
        if let Some(c) = self.secure.get() {
            return Ok(c);
        }
        let mut b = aws_smithy_http_client::Connector::builder()
            .tls_provider(Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(self.tls.context()?);
        b.set_connector_settings(self.settings.clone());
        b.set_sleep_impl(self.sleep.clone());
        b.set_proxy_config(Some(self.proxy.clone()));
        Ok(self.secure.get_or_init(|| b.build()))
    }
}

impl HttpConnector for ByScheme {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        match self.half(request.uri()) {
            Ok(half) => half.call(request),
            Err(why) => HttpConnectorFuture::ready(Err(ConnectorError::other(
                format!("could not set up TLS: {why}").into(),
                None,
            ))),
        }
    }
}

/// The run's HTTP client, built once so that every SDK client of the run shares it (one TLS
/// setup, one connection pool), with every response body capped at `MAX_BODY`.
pub(super) fn https_client(tls: Trust, proxy: ProxyConfig) -> SharedHttpClient {
    SharedHttpClient::new(RunClient {
        tls,
        proxy,
        connectors: Mutex::new(Vec::new()),
    })
}

/// An HTTP client whose connectors cap response bodies (`Capped`) and build TLS only for an
/// `https://` URL (`ByScheme`). One connector (one connection pool) per pair of connect and
/// read timeouts, as the SDK's own hyper client keeps them, so the calls of a chain reuse a
/// kept-alive connection. Unlike the SDK's client it does not build its connector (and load
/// the system roots) when an SDK client is configured, only when a call is made.
#[derive(Debug)]
pub(super) struct RunClient {
    tls: Trust,
    proxy: ProxyConfig,
    /// (connect timeout, read timeout) and the connector made for them; a run has one or two.
    connectors: Mutex<Vec<(TimeoutKey, SharedHttpConnector)>>,
}

/// The connector settings a connector depends on: connect and read timeouts.
type TimeoutKey = (Option<Duration>, Option<Duration>);

impl HttpClient for RunClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        let key = (settings.connect_timeout(), settings.read_timeout());
        let mut made = self.connectors.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, c)) = made.iter().find(|(k, _)| *k == key) {
            return c.clone();
        }
        let c = SharedHttpConnector::new(Capped(connector(
            self.tls.clone(),
            self.proxy.clone(),
            Some(settings),
            Some(components),
        )));
        made.push((key, c.clone()));
        c
    }

    fn connector_metadata(
        &self,
    ) -> Option<aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata> {
        Some(
            aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata::new(
                "hyper",
                Some(std::borrow::Cow::Borrowed("1.x")),
            ),
        )
    }
}

/// An HTTP client whose connectors cap response bodies (`Capped`): wraps a client given from
/// outside (`Net::with_http_client`).
#[derive(Debug)]
pub(super) struct CappedClient(pub(super) SharedHttpClient);

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
pub(super) struct Capped<C>(C);

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::net::{Endpoints, Net, TEST_CA, read_ca_bundle};

    fn env_of(vars: &[(&str, &str)]) -> Env {
        Env::from_pairs(vars.iter().copied())
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
        // The system store: a directory with the same CA (so the test reads no system file,
        // and awsdo reads the store, not the SDK).
        let system = SystemStore {
            file: None,
            dirs: vec![dir.clone()],
        };
        let net = Net::new(Endpoints::default(), None).with_transport(Transport {
            ca_bundle: Some(bundle),
            system,
            ..Transport::default()
        });
        // The trust store holds the system's roots (read by awsdo, not the SDK) and the
        // bundle's certificate.
        let shown = format!("{:?}", net.tls().unwrap().context().unwrap());
        assert!(shown.contains("enable_native_roots: false"), "{shown}");
        assert_eq!(shown.matches("CertificatePEM(").count(), 2, "{shown}");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
