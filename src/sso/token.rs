//! The access token an SSO step needs, from the AWS CLI's token cache
//! (`~/.aws/sso/cache`, written by `awsdo login`, `aws sso login` or an SDK), refreshed
//! silently by every command that needs it (`-- cmd`, export, the hook, the credential
//! endpoint): a token with under [`REFRESH_WINDOW`] left is refreshed with its refresh token,
//! once per SSO session across processes (a lock taken with a deadline, then the file is read
//! again). Also signing out. Nothing here opens a browser or asks anything.

use std::time::Duration;

use anyhow::Context as _;
use time::OffsetDateTime;

use super::oidc::{Grant, Oidc};
use super::session::{Session, TOKEN};
use super::store::{self, Registration, Token, format_time};
use crate::cache::Cache;
use crate::deadline::Deadline;
use crate::env::Env;
use crate::net::Net;

/// A token with less than this left is refreshed (botocore `SSOTokenProvider._REFRESH_WINDOW`).
pub const REFRESH_WINDOW: Duration = Duration::from_secs(15 * 60);
/// The longest a refresh (or a sign-in, or a sign-out) waits for another awsdo holding the
/// same session.
pub const REFRESH_LOCK_WAIT: Duration = Duration::from_secs(60);

/// The one sign-in hint for an SSO profile, for errors: `awsdo login PROFILE` (awsdo signs in
/// itself; the AWS CLI v2 is not needed). The session does not change the command.
pub fn login_hint(profile: &str, _session: Option<&str>) -> String {
    format!("awsdo login {profile}")
}

/// The access token for the session: the cached one while more than [`REFRESH_WINDOW`] is
/// left; else refreshed with its refresh token (under the session's lock, waiting at most
/// `deadline` or [`REFRESH_LOCK_WAIT`], then looking again); else the old one while it lasts.
/// Never opens a browser or asks anything.
///
/// Errors (one line, ending in `run: awsdo login PROFILE`): no token, an unreadable token, a
/// token that expired and could not be refreshed.
pub fn access_token(
    net: &Net,
    session: &Session,
    env: &Env,
    cache: Option<&Cache>,
    deadline: Deadline,
) -> anyhow::Result<String> {
    let dir = store::dir(env)?;
    let file = session.token_file();
    let shown = dir.join(&file).display().to_string();
    let load = || -> anyhow::Result<Token> {
        let bytes = store::read(&dir, &file, TOKEN)
            .map_err(|e| anyhow::anyhow!("{e:#}; {}", session.hint()))?
            .with_context(|| {
                format!(
                    "could not find an SSO token for profile {:?} ({shown}); {}",
                    session.profile,
                    session.hint()
                )
            })?;
        serde_json::from_slice(&bytes).map_err(|_| {
            anyhow::anyhow!(
                "could not read the SSO token {shown}: it is not a token file; {}",
                session.hint()
            )
        })
    };
    let now = OffsetDateTime::now_utc();
    let token = load()?;
    let expires = token.expires().with_context(|| {
        format!(
            "could not read the SSO token {shown} (expiresAt); {}",
            session.hint()
        )
    })?;
    if expires - now > REFRESH_WINDOW || !token.refreshable(now) {
        return usable(session, token, expires, now, None);
    }
    let owned;
    let cache = match cache {
        Some(c) => c,
        None => {
            owned = Cache::from_env(env)?;
            &owned
        }
    };
    let wait = Deadline::after(Some(deadline.capped(REFRESH_LOCK_WAIT)));
    let _lock = match session.lock(cache, wait) {
        Ok(l) => l,
        // Someone else is refreshing (or signing in): the old token serves while it lasts.
        Err(e) => return usable(session, token, expires, now, Some(format!("{e:#}"))),
    };
    let token = load()?;
    let now = OffsetDateTime::now_utc();
    let expires = token.expires().unwrap_or(now);
    if expires - now > REFRESH_WINDOW || !token.refreshable(now) {
        return usable(session, token, expires, now, None);
    }
    match refresh(net, session, env, &token) {
        Ok(new) => {
            store::write_json(&dir, &file, &new)?;
            crate::log::debug(&format!(
                "refreshed the SSO token of {} (expires {})",
                session.label(),
                new.expires_at
            ));
            Ok(new.access_token)
        }
        Err(why) => usable(session, token, expires, now, Some(why)),
    }
}

/// The token while it has not expired; else the one-line error with why it was not renewed.
fn usable(
    session: &Session,
    token: Token,
    expires: OffsetDateTime,
    now: OffsetDateTime,
    why_not_refreshed: Option<String>,
) -> anyhow::Result<String> {
    if expires > now {
        if let Some(why) = why_not_refreshed {
            crate::log::debug(&format!("SSO token not refreshed: {why}"));
        }
        return Ok(token.access_token);
    }
    let at = format_time(expires).unwrap_or_default();
    let why = why_not_refreshed
        .or_else(|| {
            (token.refresh_token.is_some()
                && !token.refreshable(now)
                && token.registration_expires_at.is_some())
            .then(|| {
                format!(
                    "its client registration expired at {}",
                    token.registration_expires_at.as_deref().unwrap_or_default()
                )
            })
        })
        .map(|w| format!(" ({w})"))
        .unwrap_or_default();
    anyhow::bail!(
        "could not use the SSO session of profile {:?}: it expired at {at}{why}; {}",
        session.profile,
        session.hint()
    )
}

/// CreateToken with the refresh grant; the new token keeps the registration. Errors: why, in
/// a few words.
fn refresh(net: &Net, session: &Session, env: &Env, token: &Token) -> Result<Token, String> {
    let (Some(id), Some(secret), Some(reg_exp), Some(refresh_token)) = (
        &token.client_id,
        &token.client_secret,
        &token.registration_expires_at,
        &token.refresh_token,
    ) else {
        return Err("no refresh token".to_owned());
    };
    let reg = Registration {
        client_id: id.clone(),
        client_secret: secret.clone(),
        expires_at: reg_exp.clone(),
        scopes: None,
        grant_types: None,
    };
    let endpoint = super::oidc::oidc_endpoint(env);
    let oidc =
        Oidc::new(net, &session.region, endpoint.as_deref()).map_err(|e| format!("{e:#}"))?;
    let issued = oidc
        .create_token(&reg, Grant::Refresh(refresh_token))
        .map_err(|e| match e.code {
            Some(_) => format!("the refresh was refused: {}", e.reason),
            None => format!(
                "the refresh got {} from {}; check the network connection (and HTTPS_PROXY)",
                e.reason,
                super::oidc::base_url(&session.region, endpoint.as_deref())
            ),
        })?;
    token_from(session, &reg, issued, Some(refresh_token)).map_err(|e| format!("{e:#}"))
}

/// The token file for what CreateToken issued (`refreshToken` kept from `old_refresh` when a
/// refresh answer carries none, as botocore does not; here it is kept so the session lives on).
pub(crate) fn token_from(
    session: &Session,
    reg: &Registration,
    issued: super::oidc::Issued,
    old_refresh: Option<&String>,
) -> anyhow::Result<Token> {
    let expires = OffsetDateTime::now_utc()
        .checked_add(time::Duration::seconds(
            i64::try_from(issued.expires_in).unwrap_or(i64::MAX),
        ))
        .and_then(format_time)
        .context("could not store the SSO token: its lifetime is out of range")?;
    Ok(Token {
        start_url: Some(session.start_url.clone()),
        region: Some(session.region.clone()),
        access_token: issued.access_token,
        expires_at: expires,
        client_id: Some(reg.client_id.clone()),
        client_secret: Some(reg.client_secret.clone()),
        registration_expires_at: Some(reg.expires_at.clone()),
        refresh_token: issued.refresh_token.or_else(|| old_refresh.cloned()),
    })
}

/// Sign the session out: the portal's Logout with the token (when there is one and it has
/// not expired), then the token file is removed. Returns whether a token was there. A Logout
/// that fails is reported on stderr; the token is removed anyway.
pub fn logout(net: &Net, session: &Session, env: &Env, cache: &Cache) -> anyhow::Result<bool> {
    let dir = store::dir(env)?;
    let file = session.token_file();
    let _lock = session.lock(cache, Deadline::after(Some(REFRESH_LOCK_WAIT)))?;
    let token = store::read_json::<Token>(&dir, &file, TOKEN).ok().flatten();
    if let Some(t) = &token {
        let live = t.expires().is_some_and(|e| e > OffsetDateTime::now_utc());
        if live {
            let endpoint = super::oidc::portal_endpoint(env);
            if let Err(e) = super::oidc::portal_logout(
                net,
                &session.region,
                endpoint.as_deref(),
                &t.access_token,
            ) {
                eprintln!(
                    "awsdo: could not sign out of IAM Identity Center for profile {:?}: {}; the token is removed anyway",
                    session.profile,
                    crate::escape::escape(&e.reason)
                );
            }
        }
    }
    let removed = store::remove(&dir, &file)?;
    Ok(removed || token.is_some())
}
