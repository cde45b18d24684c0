//! The SSO token `aws sso login` leaves in `~/.aws/sso/cache`, read for a profile's
//! `sso_start_url` or `sso_session`.

use anyhow::{Context, bail};
use serde::Deserialize;
use time::OffsetDateTime;

use crate::creds::format_utc;
use crate::env::Env;
use crate::files::MAX_TOKEN_FILE;
use crate::plan::hex;

/// The command that signs in again, for errors: `aws sso login --sso-session S` for a profile
/// that names an `sso_session`, else `aws sso login --profile P`.
pub fn login_hint(profile: &str, session: Option<&str>) -> String {
    match session {
        Some(s) => format!("aws sso login --sso-session {s}"),
        None => format!("aws sso login --profile {profile}"),
    }
}

/// The access token `aws sso login` left in `~/.aws/sso/cache`, if it is still good.
pub fn sso_token(
    profile: &str,
    session: Option<&str>,
    start_url: &str,
    env: &Env,
) -> anyhow::Result<String> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Token {
        access_token: String,
        expires_at: String,
    }
    let login = login_hint(profile, session);
    let home = env
        .var("HOME")
        .context("could not find the SSO token cache: HOME is not set")?;
    let file_key = session.unwrap_or(start_url);
    let path = std::path::Path::new(&home)
        .join(".aws/sso/cache")
        .join(format!("{}.json", sha1_hex(file_key.as_bytes())));
    let text = crate::files::read_regular_text(&path, MAX_TOKEN_FILE).map_err(|_| {
        anyhow::anyhow!("could not find an SSO token for profile {profile:?}; run: {login}")
    })?;
    let token: Token = serde_json::from_str(&text).map_err(|_| {
        anyhow::anyhow!(
            "could not read the SSO token {}; run: {login}",
            path.display()
        )
    })?;
    let expires = OffsetDateTime::parse(
        &token.expires_at,
        &time::format_description::well_known::Rfc3339,
    )
    .map_err(|_| {
        anyhow::anyhow!(
            "could not read the SSO token {}; run: {login}",
            path.display()
        )
    })?;
    if expires <= OffsetDateTime::now_utc() {
        bail!(
            "could not use the SSO session of profile {profile:?}: it expired at {}; run: {login}",
            format_utc(expires).unwrap_or_default()
        );
    }
    Ok(token.access_token)
}

/// SHA-1 in hex: the AWS CLI names SSO token files by the SHA-1 of the session name.
pub fn sha1_hex(data: &[u8]) -> String {
    use sha1::{Digest as _, Sha1};
    hex(&Sha1::digest(data))
}
