//! Signing in to IAM Identity Center (`awsdo login` for an SSO profile, DESIGN §10).
//!
//! - Authorization code with PKCE through a loopback listener ([`super::loopback`]) when a
//!   browser can be opened, else the device code grant, polled with its interval, `slow_down`,
//!   expiry and denial. The verification URL (and the user code) are always printed on stderr.
//! - Registration: `RegisterClient` asks for `sso_registration_scopes` (default
//!   `sso:account:access`, so a refresh token comes back) and is reused from the AWS CLI's
//!   registration file until it expires.

use std::time::{Duration, Instant};

use time::OffsetDateTime;

use super::oidc::{CallError, Grant, Oidc};
use super::session::{Context, Flow, Session};
use super::store::{self, Registration, Token};
use super::token::{REFRESH_LOCK_WAIT, token_from};
use crate::deadline::Deadline;
use crate::env::Env;

/// The longest a device code sign-in waits for approval, whatever the code's own lifetime.
pub const DEVICE_WAIT: Duration = Duration::from_secs(15 * 60);
/// The longest the browser sign-in waits for the redirect (the AWS CLI's 10 minutes).
pub const BROWSER_SIGNIN_WAIT: Duration = Duration::from_secs(10 * 60);
/// A registration with less than this left is renewed before a sign-in (the AWS CLI's
/// window).
const REGISTRATION_WINDOW: Duration = Duration::from_secs(15 * 60);
/// RFC 8628 §3.5: `slow_down` adds 5 seconds to the polling interval.
const SLOW_DOWN_STEP: u64 = 5;

/// Sign in to the session with `flow` and store the token where the AWS CLI keeps it. Holds
/// the session's lock throughout, so a refresh elsewhere waits for the new token.
pub fn login(cx: &Context<'_>, session: &Session, flow: &Flow) -> anyhow::Result<Token> {
    let fail = |why: String| {
        anyhow::anyhow!(
            "could not sign in to IAM Identity Center for profile {:?} ({}): {why}",
            session.profile,
            session.label()
        )
    };
    let _lock = session.lock(cx.cache, Deadline::after(Some(REFRESH_LOCK_WAIT)))?;
    let dir = store::dir(cx.env)?;
    let endpoint = super::oidc::oidc_endpoint(cx.env);
    let oidc = Oidc::new(cx.net, &session.region, endpoint.as_deref())?;
    let pkce = matches!(flow, Flow::Browser(_));
    let mut fresh = false;
    let issued = loop {
        let reg = registration(&oidc, &dir, session, pkce, fresh)
            .map_err(|e| fail(network_hint(&e, &oidc_base(session, cx.env))))?;
        let got = match flow {
            Flow::Browser(browser) => browser_signin(cx, &oidc, session, &reg, browser),
            Flow::Device(browser) => device_signin(cx, &oidc, session, &reg, browser.as_deref()),
        };
        match got {
            // A registration the service no longer knows: register again, once.
            Err(SignInError::Call(e)) if !fresh && is_client_error(&e) => fresh = true,
            Err(e) => return Err(fail(e.reason(session, &oidc_base(session, cx.env)))),
            Ok(issued) => break (issued, reg),
        }
    };
    let (issued, reg) = issued;
    let token = token_from(session, &reg, issued, None)?;
    store::write_json(&dir, &session.token_file(), &token)?;
    Ok(token)
}

/// The cached registration when it fits the flow and has more than the window left (and
/// `fresh` is false); else a new one, stored for the next sign-in.
fn registration(
    oidc: &Oidc<'_>,
    dir: &std::path::Path,
    session: &Session,
    pkce: bool,
    fresh: bool,
) -> Result<Registration, CallError> {
    let file = session.registration_file();
    let cached = match fresh {
        true => None,
        false => store::read_json::<Registration>(dir, &file, "the SSO client registration")
            .ok()
            .flatten(),
    };
    if let Some(reg) = cached {
        let left = store::parse_time(&reg.expires_at).map(|t| t - OffsetDateTime::now_utc());
        if left.is_some_and(|l| l > REGISTRATION_WINDOW) && reg.for_auth_code() == pkce {
            crate::log::debug("reusing the cached SSO client registration");
            return Ok(reg);
        }
    }
    let name = match &session.name {
        Some(n) => format!("awsdo-client-{n}"),
        None => format!(
            "awsdo-client-{}",
            OffsetDateTime::now_utc().unix_timestamp()
        ),
    };
    let issuer = pkce.then_some(session.start_url.as_str());
    let reg = oidc.register(&name, &session.register_scopes(), issuer)?;
    // A registration that cannot be stored still serves this sign-in.
    if let Err(e) = store::write_json(dir, &file, &reg) {
        crate::log::debug(&format!("{e:#}"));
    }
    Ok(reg)
}

/// Why a sign-in failed.
enum SignInError {
    /// A call failed (the service's code, or no answer).
    Call(CallError),
    /// The user (or the portal) denied the request.
    Denied,
    /// The code or the wait expired before approval.
    Expired,
    /// Something else, already in words.
    Other(String),
}
impl From<CallError> for SignInError {
    fn from(e: CallError) -> SignInError {
        match e.code.as_deref() {
            Some("AccessDeniedException") => SignInError::Denied,
            Some("ExpiredTokenException") => SignInError::Expired,
            _ => SignInError::Call(e),
        }
    }
}

impl SignInError {
    fn reason(self, session: &Session, base: &str) -> String {
        let hint = session.hint();
        match self {
            SignInError::Denied => format!("the sign-in was denied; {hint} to try again"),
            SignInError::Expired => {
                format!("the sign-in expired before it was approved; {hint} and approve it sooner")
            }
            SignInError::Call(e) if is_client_error(&e) => format!(
                "the client registration expired or was revoked ({}); {hint}",
                e.reason
            ),
            SignInError::Call(e) => network_hint(&e, base),
            SignInError::Other(s) => s,
        }
    }
}

fn is_client_error(e: &CallError) -> bool {
    matches!(
        e.code.as_deref(),
        Some("InvalidClientException" | "UnauthorizedClientException")
    )
}

/// A failed call in words, with the fix when no answer came.
fn network_hint(e: &CallError, base: &str) -> String {
    match e.code {
        Some(_) => e.reason.clone(),
        None => format!(
            "{} from {base}; check the network connection (and HTTPS_PROXY)",
            e.reason
        ),
    }
}

fn oidc_base(session: &Session, env: &Env) -> String {
    super::oidc::base_url(&session.region, super::oidc::oidc_endpoint(env).as_deref())
}

/// The device code grant: show the page and code, open the page when there is a browser, poll.
fn device_signin(
    cx: &Context<'_>,
    oidc: &Oidc<'_>,
    session: &Session,
    reg: &Registration,
    browser: Option<&str>,
) -> Result<super::oidc::Issued, SignInError> {
    let auth = oidc.start_device(reg, &session.start_url)?;
    let page = auth
        .verification_uri_complete
        .clone()
        .unwrap_or_else(|| auth.verification_uri.clone());
    let esc = |s: &str| crate::escape::escape(s).into_owned();
    eprintln!(
        "awsdo: to sign in to IAM Identity Center for profile {:?}, open\n  {}\nand check that it shows the code\n  {}",
        session.profile,
        esc(&page),
        esc(&auth.user_code)
    );
    if let Some(b) = browser {
        open_in_background(b, &page, cx.env);
    }
    let wait = Duration::from_secs(auth.expires_in).min(DEVICE_WAIT);
    let until = Instant::now() + wait;
    let mut interval = auth.interval;
    loop {
        match oidc.create_token(reg, Grant::Device(&auth.device_code)) {
            Ok(issued) => return Ok(issued),
            Err(e) => match e.code.as_deref() {
                Some("AuthorizationPendingException") => {}
                Some("SlowDownException") => interval = interval.saturating_add(SLOW_DOWN_STEP),
                _ => return Err(e.into()),
            },
        }
        let pause = Duration::from_secs(interval).max(Duration::from_millis(100));
        if Instant::now() + pause >= until {
            return Err(SignInError::Expired);
        }
        std::thread::sleep(pause);
    }
}

/// The authorization code grant with PKCE: a loopback listener, the authorize URL in the
/// browser (and on stderr), the code from the redirect, CreateToken with the verifier.
fn browser_signin(
    cx: &Context<'_>,
    oidc: &Oidc<'_>,
    session: &Session,
    reg: &Registration,
    browser: &str,
) -> Result<super::oidc::Issued, SignInError> {
    let pkce = super::pkce::Pkce::new().map_err(|e| SignInError::Other(format!("{e:#}")))?;
    let listener =
        super::loopback::Listener::bind().map_err(|e| SignInError::Other(format!("{e:#}")))?;
    let redirect = listener.redirect_uri();
    let url = authorize_url(
        &oidc_base(session, cx.env),
        &reg.client_id,
        &redirect,
        &pkce,
        &session.register_scopes(),
    );
    let esc = |s: &str| crate::escape::escape(s).into_owned();
    eprintln!(
        "awsdo: signing in to IAM Identity Center for profile {:?} in the browser; if it does not open, open\n  {}\n(on another device: awsdo login --device-code {})",
        session.profile,
        esc(&url),
        session.profile
    );
    open_in_background(browser, &url, cx.env);
    let code = listener
        .wait_for_code(&pkce.state, BROWSER_SIGNIN_WAIT)
        .map_err(|e| match e {
            super::loopback::WaitError::Denied(_) => SignInError::Denied,
            super::loopback::WaitError::TimedOut => SignInError::Expired,
            super::loopback::WaitError::Io(why) => SignInError::Other(why),
        })?;
    Ok(oidc.create_token(
        reg,
        Grant::Code {
            code: &code,
            redirect_uri: &redirect,
            verifier: pkce.verifier(),
        },
    )?)
}

/// Start the browser on `url` without waiting for it here: the sign-in listens (or polls)
/// meanwhile, and a browser that follows the redirect at once must find the listener
/// answering. A browser that cannot be started is reported in one line; the URL is on stderr.
fn open_in_background(browser: &str, url: &str, user_env: &Env) {
    let (browser, url, env) = (browser.to_owned(), url.to_owned(), user_env.for_browser());
    std::thread::spawn(move || {
        if let Err(e) = crate::helper::open_browser(&browser, &url, &env) {
            eprintln!("awsdo: {}", crate::escape::escape(&format!("{e:#}")));
        }
    });
}

/// `BASE/authorize?…` as the AWS CLI builds it: response_type, client_id, redirect_uri (with
/// the port), state, code_challenge_method S256, scopes (space-separated), code_challenge.
pub fn authorize_url(
    base: &str,
    client_id: &str,
    redirect_uri: &str,
    pkce: &super::pkce::Pkce,
    scopes: &[String],
) -> String {
    let mut url = format!("{base}/authorize?");
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("response_type", "code")
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("state", &pkce.state)
        .append_pair("code_challenge_method", "S256")
        .append_pair("scopes", &scopes.join(" "))
        .append_pair("code_challenge", &pkce.challenge)
        .finish();
    url.push_str(&query);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_authorize_url_carries_the_challenge_and_state_not_the_verifier() {
        let pkce = super::super::pkce::Pkce::new().unwrap();
        let url = authorize_url(
            "https://oidc.eu-west-1.amazonaws.com",
            "cid",
            "http://127.0.0.1:4321/oauth/callback",
            &pkce,
            &["sso:account:access".to_owned()],
        );
        assert!(url.starts_with("https://oidc.eu-west-1.amazonaws.com/authorize?response_type=code&client_id=cid&redirect_uri=http%3A%2F%2F127.0.0.1%3A4321%2Foauth%2Fcallback&state="), "{url}");
        assert!(url.contains(&format!("code_challenge={}", pkce.challenge)));
        assert!(url.contains("code_challenge_method=S256"));
        assert!(url.contains("scopes=sso%3Aaccount%3Aaccess"));
        assert!(!url.contains(pkce.verifier()));
    }
}
