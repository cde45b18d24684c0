//! STS / IAM query protocol: decode requests, build XML responses, and `FakeSts`, an in-process
//! fake STS endpoint that a test scripts call by call.
//!
//! Requests are `POST /` with an `application/x-www-form-urlencoded` body such as
//! `Action=AssumeRole&Version=2011-06-15&RoleArn=…&RoleSessionName=…&SerialNumber=…&TokenCode=…`.
//! All keys built here are obviously fake: `ASIAFAKE…` / `AKIAFAKE…`, `fake-secret-…`.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use super::http::{HttpServer, Request, Response, parse_form};
use super::iso8601;

pub const ACCOUNT: &str = "123456789012";
const STS_NS: &str = "https://sts.amazonaws.com/doc/2011-06-15/";
const IAM_NS: &str = "https://iam.amazonaws.com/doc/2010-05-08/";

/// Decodes a query-protocol body (or query string) into a map of its parameters.
pub fn decode(body: &str) -> BTreeMap<String, String> {
    parse_form(body)
}

/// The parameters of a query-protocol request: the form body of a POST, else the query string.
pub fn request_params(req: &Request) -> BTreeMap<String, String> {
    let mut params = req.query();
    params.extend(parse_form(&req.body_str()));
    params
}

/// The access key id a request was signed with (from the SigV4 `Authorization` header).
pub fn signing_key_id(req: &Request) -> Option<String> {
    let auth = req.header("authorization")?;
    let cred = auth.split("Credential=").nth(1)?;
    Some(cred.split('/').next()?.to_string())
}

/// Escapes text for an XML element.
pub fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

/// The text of the first `<tag>…</tag>` in `xml` (entities for & < > " ' decoded).
pub fn xml_text(xml: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = xml.find(&open)? + open.len();
    let end = start + xml[start..].find(&close)?;
    Some(
        xml[start..end]
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}

/// The texts of every `<tag>…</tag>` in `xml`.
pub fn xml_texts(xml: &str, tag: &str) -> Vec<String> {
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(v) = xml_text(rest, tag) {
        out.push(v);
        let at = rest.find(&close).unwrap() + close.len();
        rest = &rest[at..];
    }
    out
}

/// Temporary credentials, as STS returns them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Creds {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: String,
    /// ISO 8601 UTC, `2026-11-28T19:00:00Z`.
    pub expiration: String,
}

static SERIAL: AtomicUsize = AtomicUsize::new(1);

impl Creds {
    /// Obviously fake session credentials tagged `tag` (letters and digits), valid for `valid`.
    /// `ASIAFAKE<TAG><N>`, `fake-secret-<tag>-<n>`, `fake-token-<tag>-<n>`; N is unique in the
    /// test process.
    pub fn fake(tag: &str, valid: Duration) -> Creds {
        let n = SERIAL.fetch_add(1, Ordering::SeqCst);
        Creds {
            access_key_id: format!("ASIAFAKE{}{n}", tag.to_ascii_uppercase()),
            secret_access_key: format!("fake-secret-{tag}-{n}"),
            session_token: format!("fake-token-{tag}-{n}"),
            expiration: iso8601(SystemTime::now() + valid),
        }
    }

    /// Fake credentials valid for one hour.
    pub fn fake_hour(tag: &str) -> Creds {
        Creds::fake(tag, Duration::from_secs(3600))
    }

    fn xml(&self) -> String {
        format!(
            "<Credentials><AccessKeyId>{}</AccessKeyId><SecretAccessKey>{}</SecretAccessKey>\
             <SessionToken>{}</SessionToken><Expiration>{}</Expiration></Credentials>",
            xml_escape(&self.access_key_id),
            xml_escape(&self.secret_access_key),
            xml_escape(&self.session_token),
            xml_escape(&self.expiration)
        )
    }

    /// Parses the `<Credentials>` of an STS response.
    pub fn from_xml(xml: &str) -> Option<Creds> {
        Some(Creds {
            access_key_id: xml_text(xml, "AccessKeyId")?,
            secret_access_key: xml_text(xml, "SecretAccessKey")?,
            session_token: xml_text(xml, "SessionToken")?,
            expiration: xml_text(xml, "Expiration")?,
        })
    }
}

fn request_id() -> String {
    format!("fake-request-{:04}", SERIAL.fetch_add(1, Ordering::SeqCst))
}

fn wrap(ns: &str, action: &str, result: &str) -> Response {
    Response::xml(
        200,
        &format!(
            "<{action}Response xmlns=\"{ns}\"><{action}Result>{result}</{action}Result>\
             <ResponseMetadata><RequestId>{}</RequestId></ResponseMetadata></{action}Response>",
            request_id()
        ),
    )
}

/// The name of a role from its ARN (`arn:aws:iam::1:role/path/Name` → `Name`).
fn role_name(role_arn: &str) -> &str {
    role_arn.rsplit('/').next().unwrap_or(role_arn)
}

fn account_of(arn: &str) -> &str {
    arn.split(':')
        .nth(4)
        .filter(|a| !a.is_empty())
        .unwrap_or(ACCOUNT)
}

pub fn assume_role_response(creds: &Creds, role_arn: &str, session_name: &str) -> Response {
    let account = account_of(role_arn);
    let role = role_name(role_arn);
    wrap(
        STS_NS,
        "AssumeRole",
        &format!(
            "{}<AssumedRoleUser><AssumedRoleId>AROAFAKE{}:{}</AssumedRoleId>\
             <Arn>arn:aws:sts::{account}:assumed-role/{}/{}</Arn></AssumedRoleUser>\
             <PackedPolicySize>6</PackedPolicySize>",
            creds.xml(),
            xml_escape(&role.to_ascii_uppercase()),
            xml_escape(session_name),
            xml_escape(role),
            xml_escape(session_name)
        ),
    )
}

pub fn assume_role_with_web_identity_response(
    creds: &Creds,
    role_arn: &str,
    session_name: &str,
) -> Response {
    let account = account_of(role_arn);
    let role = role_name(role_arn);
    wrap(
        STS_NS,
        "AssumeRoleWithWebIdentity",
        &format!(
            "{}<SubjectFromWebIdentityToken>fake-subject</SubjectFromWebIdentityToken>\
             <AssumedRoleUser><AssumedRoleId>AROAFAKE{}:{}</AssumedRoleId>\
             <Arn>arn:aws:sts::{account}:assumed-role/{}/{}</Arn></AssumedRoleUser>\
             <Provider>fake-idp</Provider><Audience>fake-audience</Audience>",
            creds.xml(),
            xml_escape(&role.to_ascii_uppercase()),
            xml_escape(session_name),
            xml_escape(role),
            xml_escape(session_name)
        ),
    )
}

pub fn get_session_token_response(creds: &Creds) -> Response {
    wrap(STS_NS, "GetSessionToken", &creds.xml())
}

pub fn get_federation_token_response(creds: &Creds, name: &str) -> Response {
    wrap(
        STS_NS,
        "GetFederationToken",
        &format!(
            "{}<FederatedUser><FederatedUserId>{ACCOUNT}:{}</FederatedUserId>\
             <Arn>arn:aws:sts::{ACCOUNT}:federated-user/{}</Arn></FederatedUser>\
             <PackedPolicySize>6</PackedPolicySize>",
            creds.xml(),
            xml_escape(name),
            xml_escape(name)
        ),
    )
}

pub fn get_caller_identity_response(account: &str, arn: &str, user_id: &str) -> Response {
    wrap(
        STS_NS,
        "GetCallerIdentity",
        &format!(
            "<UserId>{}</UserId><Account>{}</Account><Arn>{}</Arn>",
            xml_escape(user_id),
            xml_escape(account),
            xml_escape(arn)
        ),
    )
}

/// IAM `ListMFADevices` for `user` with these device serial numbers.
pub fn list_mfa_devices_response(user: &str, serials: &[&str]) -> Response {
    let members: String = serials
        .iter()
        .map(|s| {
            format!(
                "<member><UserName>{}</UserName><SerialNumber>{}</SerialNumber>\
                 <EnableDate>2026-01-01T00:00:00Z</EnableDate></member>",
                xml_escape(user),
                xml_escape(s)
            )
        })
        .collect();
    wrap(
        IAM_NS,
        "ListMFADevices",
        &format!("<MFADevices>{members}</MFADevices><IsTruncated>false</IsTruncated>"),
    )
}

/// A query-protocol error: `<ErrorResponse><Error><Type>…` with this HTTP status.
pub fn error_response(status: u16, kind: &str, code: &str, message: &str) -> Response {
    Response::xml(
        status,
        &format!(
            "<ErrorResponse xmlns=\"{STS_NS}\"><Error><Type>{}</Type><Code>{}</Code>\
             <Message>{}</Message></Error><RequestId>{}</RequestId></ErrorResponse>",
            xml_escape(kind),
            xml_escape(code),
            xml_escape(message),
            request_id()
        ),
    )
}

/// 403 AccessDenied.
pub fn access_denied(message: &str) -> Response {
    error_response(403, "Sender", "AccessDenied", message)
}

pub const MFA_FAILED_MESSAGE: &str =
    "MultiFactorAuthentication failed with invalid MFA one time pass code.";

/// What STS answers to a wrong MFA code: 403 AccessDenied.
pub fn mfa_rejected() -> Response {
    access_denied(MFA_FAILED_MESSAGE)
}

/// 400 Throttling.
pub fn throttling() -> Response {
    error_response(400, "Sender", "Throttling", "Rate exceeded")
}

/// 500 InternalFailure.
pub fn internal_failure() -> Response {
    error_response(
        500,
        "Receiver",
        "InternalFailure",
        "The request processing has failed because of an unknown error, exception or failure.",
    )
}

/// 400 ExpiredToken: the credentials that signed the request have expired.
pub fn expired_token() -> Response {
    error_response(
        400,
        "Sender",
        "ExpiredToken",
        "The security token included in the request is expired",
    )
}

/// 403 InvalidClientTokenId: the signing access key is unknown.
pub fn invalid_client_token_id() -> Response {
    error_response(
        403,
        "Sender",
        "InvalidClientTokenId",
        "The security token included in the request is invalid.",
    )
}

/// One call received by a `FakeSts`.
#[derive(Clone, Debug)]
pub struct StsCall {
    /// `AssumeRole`, `GetSessionToken`, … (empty when the request had none).
    pub action: String,
    /// Every decoded parameter, `Action` and `Version` included.
    pub params: BTreeMap<String, String>,
    pub request: Request,
}

impl StsCall {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params.get(name).map(String::as_str)
    }

    /// The access key id that signed the call.
    pub fn signing_key_id(&self) -> Option<String> {
        signing_key_id(&self.request)
    }
}

/// A good answer to any STS call: fresh fake credentials valid for an hour (or for
/// `DurationSeconds`), a caller identity of `arn:aws:iam::123456789012:user/fake`; an
/// `InvalidAction` error (400) for anything else.
pub fn default_answer(call: &StsCall) -> Response {
    let valid = call
        .param("DurationSeconds")
        .and_then(|d| d.parse().ok())
        .map(Duration::from_secs)
        .unwrap_or(Duration::from_secs(3600));
    let session = call.param("RoleSessionName").unwrap_or("fake-session");
    let role = call
        .param("RoleArn")
        .unwrap_or("arn:aws:iam::123456789012:role/fake");
    match call.action.as_str() {
        "AssumeRole" => assume_role_response(&Creds::fake("role", valid), role, session),
        "AssumeRoleWithWebIdentity" => {
            assume_role_with_web_identity_response(&Creds::fake("web", valid), role, session)
        }
        "GetSessionToken" => get_session_token_response(&Creds::fake("session", valid)),
        "GetFederationToken" => get_federation_token_response(
            &Creds::fake("fed", valid),
            call.param("Name").unwrap_or("fake"),
        ),
        "GetCallerIdentity" => get_caller_identity_response(
            ACCOUNT,
            "arn:aws:iam::123456789012:user/fake",
            &signing_key_id(&call.request).unwrap_or_else(|| "AIDAFAKE".into()),
        ),
        other => error_response(
            400,
            "Sender",
            "InvalidAction",
            &format!("Could not find operation {other}"),
        ),
    }
}

/// An in-process fake STS (or IAM) endpoint: the script gets each decoded call and returns the
/// response; every call is recorded. Stops on Drop.
pub struct FakeSts {
    server: HttpServer,
    calls: Arc<Mutex<Vec<StsCall>>>,
}

impl FakeSts {
    pub fn start(script: impl Fn(&StsCall) -> Response + Send + Sync + 'static) -> FakeSts {
        let calls = Arc::new(Mutex::new(Vec::new()));
        let log = calls.clone();
        let server = HttpServer::start(move |req| {
            let params = request_params(req);
            let call = StsCall {
                action: params.get("Action").cloned().unwrap_or_default(),
                params,
                request: req.clone(),
            };
            log.lock().unwrap().push(call.clone());
            script(&call)
        });
        FakeSts { server, calls }
    }

    /// A fake that answers every call with `default_answer`.
    pub fn start_default() -> FakeSts {
        FakeSts::start(default_answer)
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn calls(&self) -> Vec<StsCall> {
        self.calls.lock().unwrap().clone()
    }

    /// The actions called, in order: `["GetSessionToken", "AssumeRole"]`.
    pub fn actions(&self) -> Vec<String> {
        self.calls().into_iter().map(|c| c.action).collect()
    }

    pub fn count(&self, action: &str) -> usize {
        self.calls().iter().filter(|c| c.action == action).count()
    }

    pub fn reset_calls(&self) {
        self.calls.lock().unwrap().clear();
    }

    pub fn server(&self) -> &HttpServer {
        &self.server
    }
}
