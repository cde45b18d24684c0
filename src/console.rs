//! The AWS console sign-in URL for a set of credentials (`awsdo console`, `awsdo --login`).
//!
//! The federation endpoint turns temporary credentials into a short-lived sign-in token:
//! `GET {endpoint}/federation?Action=getSigninToken&Session={json}` answers
//! `{"SigninToken": …}`, and `{endpoint}/federation?Action=login&…&SigninToken=…` signs the
//! browser in. It accepts role sessions (AssumeRole, web identity, SSO) and GetFederationToken
//! sessions, not GetSessionToken sessions or long-lived keys: for those the caller first gets a
//! federation token with the long-lived keys (`federation_source`).
//!
//! The secret key only travels in the getSigninToken request, over HTTPS, from this process;
//! the URL that is printed holds the sign-in token alone. A browser never gets the URL on its
//! command line (where `ps` shows it to every user): it gets the path of a private page
//! (0600, in `$XDG_RUNTIME_DIR` or the temporary directory) that redirects to the URL, and the
//! page is removed a few seconds later.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Deserialize;
use serde_json::json;

use crate::creds::Credentials;
use crate::env::Env;
use crate::plan::{Plan, Step};

/// The endpoint for the commercial partition; `AWSDO_FEDERATION_ENDPOINT` overrides it.
pub const DEFAULT_ENDPOINT: &str = "https://signin.aws.amazon.com";
/// Where the signed-in browser lands.
pub const DESTINATION: &str = "https://console.aws.amazon.com/";
/// Shown in the console as the sign-in's issuer.
pub const ISSUER: &str = "awsdo";
/// The longest console session the endpoint grants (12 hours).
pub const MAX_SESSION: Duration = Duration::from_secs(12 * 3600);

/// How to get credentials the federation endpoint accepts for a plan.
#[derive(Debug, PartialEq, Eq)]
pub enum Source {
    /// The plan's own credentials (a role session, or something awsdo cannot classify: the
    /// endpoint has the last word).
    Direct,
    /// GetFederationToken with these long-lived keys (the plan's static step): the plan ends
    /// in a GetSessionToken session, or in the keys themselves.
    FederationToken { keys: Credentials },
}

/// Which credentials to present to the federation endpoint for `plan`.
pub fn federation_source(plan: &Plan) -> Source {
    match plan.steps.as_slice() {
        [
            keys @ Step::Static {
                has_session_token: false,
                ..
            },
        ]
        | [
            keys @ Step::Static {
                has_session_token: false,
                ..
            },
            Step::SessionToken { .. },
        ] => match keys.static_credentials() {
            Some(keys) => Source::FederationToken { keys },
            None => Source::Direct,
        },
        _ => Source::Direct,
    }
}

/// The federation endpoint: `AWSDO_FEDERATION_ENDPOINT`, else the public one.
pub fn endpoint(env: &Env) -> String {
    env.var("AWSDO_FEDERATION_ENDPOINT")
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| DEFAULT_ENDPOINT.to_owned())
        .trim_end_matches('/')
        .to_owned()
}

/// The getSigninToken request URL. `session_duration` is only allowed for role sessions
/// (a federation token's own duration is the console session's).
pub fn signin_token_url(
    endpoint: &str,
    creds: &Credentials,
    session_duration: Option<Duration>,
) -> anyhow::Result<String> {
    let token = creds
        .session_token
        .as_deref()
        .context("could not sign in to the console: the credentials have no session token")?;
    let session = json!({
        "sessionId": creds.access_key_id,
        "sessionKey": creds.secret_access_key,
        "sessionToken": token,
    })
    .to_string();
    let mut url = format!("{endpoint}/federation?Action=getSigninToken");
    if let Some(d) = session_duration {
        let secs = d.clamp(Duration::from_secs(900), MAX_SESSION).as_secs();
        url.push_str(&format!("&SessionDuration={secs}"));
    }
    url.push_str("&Session=");
    url.push_str(&percent_encode(&session));
    Ok(url)
}

/// The sign-in token from the endpoint's answer.
pub fn parse_signin_token(status: u16, body: &[u8]) -> anyhow::Result<String> {
    #[derive(Deserialize)]
    struct Answer {
        #[serde(rename = "SigninToken")]
        signin_token: String,
    }
    anyhow::ensure!(
        status == 200,
        "could not get a console sign-in token: the federation endpoint answered HTTP {status} (it accepts role and federation-token sessions only)"
    );
    let answer: Answer = serde_json::from_slice(body).map_err(|_| {
        anyhow::anyhow!("could not get a console sign-in token: the federation endpoint's answer has no SigninToken")
    })?;
    Ok(answer.signin_token)
}

/// The URL that signs a browser in to the console.
pub fn login_url(endpoint: &str, signin_token: &str) -> String {
    format!(
        "{endpoint}/federation?Action=login&Issuer={}&Destination={}&SigninToken={}",
        percent_encode(ISSUER),
        percent_encode(DESTINATION),
        percent_encode(signin_token)
    )
}

/// The browser to open the URL with: `$BROWSER`, else `xdg-open` when there is a display;
/// `None` means print the URL instead.
pub fn browser(env: &Env) -> Option<String> {
    let set = |k: &str| env.var(k).filter(|v| !v.is_empty());
    if let Some(b) = set("BROWSER") {
        // $BROWSER may list several, separated by colons (the sensible-browser convention).
        return b.split(':').find(|s| !s.is_empty()).map(str::to_owned);
    }
    (set("DISPLAY").is_some() || set("WAYLAND_DISPLAY").is_some()).then(|| "xdg-open".to_owned())
}

/// How long the browser command may take to return before awsdo stops waiting for it (a
/// browser that was not running yet may only return when it is closed: it is left running).
pub const BROWSER_WAIT: Duration = Duration::from_secs(10);
/// How long the redirecting page stays, counted from the browser's start: time for a browser
/// that `xdg-open` hands the page to to read it.
pub const PAGE_LIFETIME: Duration = Duration::from_secs(5);

/// Open `url` with `browser` (a command name or path), which is started with `env` (the user's
/// own, without credential variables) and the path of a private page that redirects to `url`,
/// never the URL itself. Returns once the browser command has returned (or after
/// [`BROWSER_WAIT`]) and the page is gone. Errors: the page cannot be written, the browser
/// cannot be started or exits with a failure.
pub fn open(browser: &str, url: &str, env: &Env) -> anyhow::Result<()> {
    let page = Page::write(url, env)?;
    let started = Instant::now();
    let mut cmd = Command::new(browser);
    crate::coredump::restore_in_child(&mut cmd);
    let mut child = cmd
        .arg(&page.path)
        .env_clear()
        .envs(env.for_browser().iter())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .with_context(|| format!("could not run {browser}"))?;
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(status)) => {
                anyhow::bail!("could not open the console with {browser}: it exited with {status}")
            }
            Ok(None) if started.elapsed() < BROWSER_WAIT => {
                std::thread::sleep(Duration::from_millis(50));
            }
            // Still running (a browser that stays in the foreground): it has the page.
            Ok(None) => break,
            Err(e) => anyhow::bail!("could not wait for {browser}: {e}"),
        }
    }
    if let Some(left) = PAGE_LIFETIME.checked_sub(started.elapsed()) {
        std::thread::sleep(left);
    }
    drop(page);
    Ok(())
}

/// A private HTML page that sends the browser to a URL; removed when dropped.
struct Page {
    path: PathBuf,
}

impl Page {
    /// Create the page, 0600 and new (never through an existing file or link), in
    /// `$XDG_RUNTIME_DIR` (private to the user) when set, else the temporary directory.
    fn write(url: &str, env: &Env) -> anyhow::Result<Page> {
        let dir = env
            .var("XDG_RUNTIME_DIR")
            .filter(|d| !d.is_empty() && Path::new(d).is_dir())
            .map(PathBuf::from)
            .unwrap_or_else(std::env::temp_dir);
        let html = redirect_page(url);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let mut last = None;
        for attempt in 0..16u32 {
            let path = dir.join(format!(
                "awsdo-console-{}-{:x}.html",
                std::process::id(),
                nanos.wrapping_add(attempt.wrapping_mul(0x9E37_79B9))
            ));
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(&path)
            {
                Ok(mut file) => {
                    let page = Page { path };
                    file.write_all(html.as_bytes())
                        .with_context(|| format!("could not write {}", page.path.display()))?;
                    return Ok(page);
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
                Err(e) => {
                    return Err(e).with_context(|| {
                        format!("could not create a sign-in page in {}", dir.display())
                    });
                }
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("name taken")))
            .with_context(|| format!("could not create a sign-in page in {}", dir.display()))
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// An HTML page that sends the browser to `url` at once (meta refresh, and script for
/// browsers that ignore it), with a link as a last resort. No referrer is sent.
fn redirect_page(url: &str) -> String {
    let attr = url
        .replace('&', "&amp;")
        .replace('"', "&quot;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    // A JSON string is a JavaScript string; `<` is escaped so it cannot close the script.
    let js = serde_json::Value::String(url.to_owned())
        .to_string()
        .replace('<', "\\u003c");
    format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><meta name=\"referrer\" content=\"no-referrer\">\n\
         <meta http-equiv=\"refresh\" content=\"0;url={attr}\"><title>awsdo: AWS console sign-in</title></head>\n\
         <body><script>location.replace({js});</script>\n<a href=\"{attr}\">Sign in to the AWS console</a></body></html>\n"
    )
}

/// RFC 3986 percent-encoding of everything but the unreserved characters.
pub fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn creds() -> Credentials {
        Credentials {
            access_key_id: "ASIAFAKE".into(),
            secret_access_key: "fake/secret+key".into(),
            session_token: Some("fake-token".into()),
            expiration: None,
        }
    }

    #[test]
    fn the_session_goes_percent_encoded_in_the_query() {
        let url = signin_token_url("https://x", &creds(), Some(Duration::from_secs(60))).unwrap();
        assert!(url.starts_with(
            "https://x/federation?Action=getSigninToken&SessionDuration=900&Session=%7B"
        ));
        assert!(url.contains("fake%2Fsecret%2Bkey"), "{url}");
    }

    #[test]
    fn the_login_url_holds_the_token_and_no_secret() {
        let url = login_url("https://x", "tok/en");
        assert_eq!(
            url,
            "https://x/federation?Action=login&Issuer=awsdo&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=tok%2Fen"
        );
    }

    #[test]
    fn a_browser_is_used_only_with_browser_or_a_display() {
        assert_eq!(browser(&Env::default()), None);
        let display = Env::from_pairs([("DISPLAY", ":0")]);
        assert_eq!(browser(&display).as_deref(), Some("xdg-open"));
        let b = Env::from_pairs([("BROWSER", "firefox:chromium")]);
        assert_eq!(browser(&b).as_deref(), Some("firefox"));
    }

    #[test]
    fn the_page_redirects_to_the_url_escaped() {
        let page = redirect_page("https://x/f?a=1&b=%3C\"</script>");
        assert!(
            page.contains("content=\"0;url=https://x/f?a=1&amp;b=%3C&quot;&lt;/script&gt;\""),
            "{page}"
        );
        assert!(
            page.contains("location.replace(\"https://x/f?a=1&b=%3C\\\"\\u003c/script>\")"),
            "{page}"
        );
    }

    #[test]
    fn errors_from_the_endpoint_are_one_line() {
        let e = parse_signin_token(400, b"bad").unwrap_err();
        assert!(!format!("{e:#}").contains('\n'));
        assert_eq!(
            parse_signin_token(200, br#"{"SigninToken":"t"}"#).unwrap(),
            "t"
        );
    }
}
