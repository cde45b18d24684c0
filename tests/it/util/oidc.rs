//! A fake IAM Identity Center OIDC service (sso-oidc, restJson), with the portal it issues
//! tokens for (`FakeSso` sharing the accepted tokens), and a `$BROWSER` stand-in.
//!
//! Operations, as the AWS SDKs and botocore send them:
//! - `POST /client/register` (RegisterClient): `{clientId, clientSecret, clientIdIssuedAt,
//!   clientSecretExpiresAt}`; the registration's grant types, redirect URIs and scopes are kept.
//! - `POST /device_authorization` (StartDeviceAuthorization): a device code, a user code, the
//!   verification URIs, `expiresIn`, `interval`.
//! - `POST /token` (CreateToken) for the device code grant (answering `device_outcome`: so many
//!   `SlowDownException`, then so many `AuthorizationPendingException`, then a token, an
//!   `AccessDeniedException` or an `ExpiredTokenException`), the authorization code grant
//!   (the code must be one `/authorize` issued to that client and redirect URI, and the
//!   verifier's S256 must equal the challenge: RFC 7636), and the refresh grant (the refresh
//!   token must be current; a new one replaces it).
//! - `GET /authorize` (the un-modelled browser step): checks `response_type=code`, the client,
//!   `code_challenge_method=S256`, the redirect URI (loopback, path `/oauth/callback`, registered
//!   without its port), and redirects (302) to it with `code` and `state` (or
//!   `error=access_denied` when told to deny).
//!
//! Errors carry `x-amzn-ErrorType` and `{"error", "error_description"}` as the service sends.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use base64::Engine as _;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::http::{HttpServer, Request, Response};
use super::sso::FakeSso;

/// What the device code grant answers, in order: `slow_down` SlowDown answers, `pending`
/// AuthorizationPending answers, then `end`.
#[derive(Clone, Debug)]
pub struct DeviceOutcome {
    pub slow_down: usize,
    pub pending: usize,
    pub end: End,
}

/// How a sign-in ends.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    Approve,
    Deny,
    Expire,
}

#[derive(Debug)]
struct Client {
    secret: String,
    grant_types: Vec<String>,
    redirect_uris: Vec<String>,
    scopes: Vec<String>,
}

#[derive(Debug)]
struct Issued {
    client_id: String,
    redirect_uri: String,
    challenge: String,
}

#[derive(Debug)]
struct State {
    clients: BTreeMap<String, Client>,
    device_codes: BTreeMap<String, (String, usize)>,
    codes: BTreeMap<String, Issued>,
    refresh_tokens: BTreeMap<String, String>,
    device: DeviceOutcome,
    authorize: End,
    /// Seconds an access token lives.
    token_life: u64,
    /// Seconds a registration lives.
    registration_life: i64,
    serial: usize,
}

/// The fake OIDC service and its portal. Both stop on Drop.
pub struct FakeOidc {
    server: HttpServer,
    state: Arc<Mutex<State>>,
    pub portal: FakeSso,
}

fn oidc_error(status: u16, kind: &str, error: &str) -> Response {
    Response::json(
        status,
        &json!({"error": error, "error_description": format!("fake: {kind}")}).to_string(),
    )
    .with_header("x-amzn-ErrorType", kind)
}

impl FakeOidc {
    /// A service that approves every sign-in at once, issues access tokens valid for an hour
    /// and registrations valid for 90 days.
    pub fn start() -> FakeOidc {
        let tokens: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
        let state = Arc::new(Mutex::new(State {
            clients: BTreeMap::new(),
            device_codes: BTreeMap::new(),
            codes: BTreeMap::new(),
            refresh_tokens: BTreeMap::new(),
            device: DeviceOutcome {
                slow_down: 0,
                pending: 0,
                end: End::Approve,
            },
            authorize: End::Approve,
            token_life: 3600,
            registration_life: 90 * 86_400,
            serial: 0,
        }));
        let (st, toks) = (state.clone(), tokens.clone());
        let server = HttpServer::start(move |req: &Request| handle(req, &st, &toks));
        let portal = FakeSso::start_shared(tokens.clone());
        FakeOidc {
            server,
            state,
            portal,
        }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    /// How the device code grant answers from now on.
    pub fn device_outcome(&self, slow_down: usize, pending: usize, end: End) {
        self.state.lock().unwrap().device = DeviceOutcome {
            slow_down,
            pending,
            end,
        };
    }

    /// How `/authorize` answers from now on.
    pub fn authorize_outcome(&self, end: End) {
        self.state.lock().unwrap().authorize = end;
    }

    /// Forgets every client registration (as when one expires or is revoked at the service):
    /// their calls get `InvalidClientException` from now on.
    pub fn forget_clients(&self) {
        self.state.lock().unwrap().clients.clear();
    }

    /// Calls of an operation path (`/client/register`, `/device_authorization`, `/token`,
    /// `/authorize`).
    pub fn count(&self, path: &str) -> usize {
        self.requests(path).len()
    }

    /// Requests to an operation path.
    pub fn requests(&self, path: &str) -> Vec<Request> {
        self.server
            .requests()
            .into_iter()
            .filter(|r| r.path_only() == path)
            .collect()
    }

    /// The JSON bodies of the CreateToken calls with this grant type.
    pub fn token_calls(&self, grant: &str) -> Vec<Value> {
        self.requests("/token")
            .iter()
            .filter_map(|r| serde_json::from_slice::<Value>(&r.body).ok())
            .filter(|v| v["grantType"] == grant)
            .collect()
    }

    /// Sets the variables that point awsdo (and botocore) at this service and its portal.
    pub fn point(&self, env: &mut super::TestEnv) {
        env.set_var("AWS_ENDPOINT_URL_SSO_OIDC", &self.url());
        env.set_var("AWS_ENDPOINT_URL_SSO", &self.portal.url());
    }
}

fn handle(req: &Request, state: &Mutex<State>, tokens: &Mutex<Vec<String>>) -> Response {
    let body: Value = serde_json::from_slice(&req.body).unwrap_or(Value::Null);
    let s = |k: &str| body[k].as_str().unwrap_or("").to_string();
    let list = |k: &str| -> Vec<String> {
        body[k]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut st = state.lock().unwrap();
    st.serial += 1;
    let n = st.serial;
    match (req.method.as_str(), req.path_only()) {
        ("POST", "/client/register") => {
            if s("clientName").is_empty() || s("clientType") != "public" {
                return oidc_error(400, "InvalidRequestException", "invalid_request");
            }
            let id = format!("fake-client-{n}");
            let secret = format!("fake-client-secret-{n}");
            st.clients.insert(
                id.clone(),
                Client {
                    secret: secret.clone(),
                    grant_types: list("grantTypes"),
                    redirect_uris: list("redirectUris"),
                    scopes: list("scopes"),
                },
            );
            let now = now_secs();
            Response::json(
                200,
                &json!({
                    "clientId": id,
                    "clientSecret": secret,
                    "clientIdIssuedAt": now,
                    "clientSecretExpiresAt": now + st.registration_life,
                })
                .to_string(),
            )
        }
        ("POST", "/device_authorization") => {
            if !client_ok(&st, &s("clientId"), &s("clientSecret")) {
                return oidc_error(400, "InvalidClientException", "invalid_client");
            }
            if s("startUrl").is_empty() {
                return oidc_error(400, "InvalidRequestException", "invalid_request");
            }
            let device = format!("fake-device-code-{n}");
            st.device_codes.insert(device.clone(), (s("clientId"), 0));
            Response::json(
                200,
                &json!({
                    "deviceCode": device,
                    "userCode": format!("FAKE-{n:04}"),
                    "verificationUri": "https://device.sso.example/",
                    "verificationUriComplete": format!("https://device.sso.example/?user_code=FAKE-{n:04}"),
                    "expiresIn": 600,
                    "interval": 1,
                })
                .to_string(),
            )
        }
        ("POST", "/token") => {
            let client_id = s("clientId");
            if !client_ok(&st, &client_id, &s("clientSecret")) {
                return oidc_error(400, "InvalidClientException", "invalid_client");
            }
            match s("grantType").as_str() {
                "urn:ietf:params:oauth:grant-type:device_code" => {
                    let code = s("deviceCode");
                    let outcome = st.device.clone();
                    let Some((owner, polls)) = st.device_codes.get_mut(&code) else {
                        return oidc_error(400, "InvalidGrantException", "invalid_grant");
                    };
                    if *owner != client_id {
                        return oidc_error(400, "InvalidGrantException", "invalid_grant");
                    }
                    *polls += 1;
                    let polls = *polls;
                    if polls <= outcome.slow_down {
                        return oidc_error(400, "SlowDownException", "slow_down");
                    }
                    if polls <= outcome.slow_down + outcome.pending {
                        return oidc_error(
                            400,
                            "AuthorizationPendingException",
                            "authorization_pending",
                        );
                    }
                    st.device_codes.remove(&code);
                    match outcome.end {
                        End::Approve => issue(&mut st, tokens, &client_id, n),
                        End::Deny => oidc_error(400, "AccessDeniedException", "access_denied"),
                        End::Expire => oidc_error(400, "ExpiredTokenException", "expired_token"),
                    }
                }
                "authorization_code" => {
                    let Some(issued) = st.codes.remove(&s("code")) else {
                        return oidc_error(400, "InvalidGrantException", "invalid_grant");
                    };
                    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD
                        .encode(Sha256::digest(s("codeVerifier").as_bytes()));
                    if issued.client_id != client_id
                        || issued.redirect_uri != s("redirectUri")
                        || issued.challenge != challenge
                    {
                        return oidc_error(400, "InvalidGrantException", "invalid_grant");
                    }
                    issue(&mut st, tokens, &client_id, n)
                }
                "refresh_token" => {
                    let rt = s("refreshToken");
                    if st.refresh_tokens.get(&rt) != Some(&client_id) {
                        return oidc_error(400, "InvalidGrantException", "invalid_grant");
                    }
                    st.refresh_tokens.remove(&rt);
                    issue(&mut st, tokens, &client_id, n)
                }
                _ => oidc_error(
                    400,
                    "UnsupportedGrantTypeException",
                    "unsupported_grant_type",
                ),
            }
        }
        ("GET", "/authorize") => {
            let q = req.query();
            let get = |k: &str| q.get(k).cloned().unwrap_or_default();
            let Some(client) = st.clients.get(&get("client_id")) else {
                return Response::text(400, "unknown client");
            };
            let redirect = get("redirect_uri");
            let without_port = strip_port(&redirect);
            if get("response_type") != "code"
                || get("code_challenge_method") != "S256"
                || get("code_challenge").len() != 43
                || get("state").is_empty()
                || !client.grant_types.iter().any(|g| g == "authorization_code")
                || !client.redirect_uris.contains(&without_port)
                || !redirect.starts_with("http://127.0.0.1:")
                || get("scopes")
                    .split(' ')
                    .any(|sc| !client.scopes.iter().any(|c| c == sc))
            {
                return Response::text(400, "bad authorize request");
            }
            let location = if st.authorize == End::Deny {
                format!(
                    "{redirect}?error=access_denied&state={}",
                    enc(&get("state"))
                )
            } else {
                let code = format!("fake-auth-code-{n}");
                st.codes.insert(
                    code.clone(),
                    Issued {
                        client_id: get("client_id"),
                        redirect_uri: redirect.clone(),
                        challenge: get("code_challenge"),
                    },
                );
                format!("{redirect}?code={code}&state={}", enc(&get("state")))
            };
            Response::new(302).with_header("Location", &location)
        }
        _ => oidc_error(404, "NotFoundException", "not_found"),
    }
}

fn client_ok(st: &State, id: &str, secret: &str) -> bool {
    st.clients.get(id).is_some_and(|c| c.secret == secret)
}

fn issue(st: &mut State, tokens: &Mutex<Vec<String>>, client_id: &str, n: usize) -> Response {
    let access = format!("fake-access-token-{n}");
    let refresh = format!("fake-refresh-token-{n}");
    tokens.lock().unwrap().push(access.clone());
    st.refresh_tokens
        .insert(refresh.clone(), client_id.to_string());
    Response::json(
        200,
        &json!({
            "accessToken": access,
            "tokenType": "Bearer",
            "expiresIn": st.token_life,
            "refreshToken": refresh,
        })
        .to_string(),
    )
}

/// `http://127.0.0.1:PORT/path` without `:PORT`.
fn strip_port(uri: &str) -> String {
    match uri.strip_prefix("http://127.0.0.1:") {
        Some(rest) => {
            let path = rest.find('/').map(|i| &rest[i..]).unwrap_or("");
            format!("http://127.0.0.1{path}")
        }
        None => uri.to_string(),
    }
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Writes a `$BROWSER` stand-in under `root`: it logs each URL it is given to `browser.log`
/// and the names of its environment variables to `browser.env`, and follows the URL (with
/// redirects, as a browser would) with curl. Returns its path.
pub fn browser_stand_in(root: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    let path = root.join("browser.sh");
    let log = root.join("browser.log");
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{}'\nenv | cut -d= -f1 > '{}'\nexec curl -s -L --max-time 30 -o /dev/null \"$1\"\n",
            log.display(),
            root.join("browser.env").display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}

/// The URLs the stand-in was given (empty when it never ran).
pub fn browser_log(root: &Path) -> Vec<String> {
    std::fs::read_to_string(root.join("browser.log"))
        .map(|s| s.lines().map(str::to_string).collect())
        .unwrap_or_default()
}
