//! `awsdo login`, `awsdo logout`, `awsdo credential-process` and the console sign-in.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use super::Ctx;
use crate::cache::Kind;
use crate::cmd::explain::human;

/// Fetch fresh credentials for the profile now (asking for MFA if needed) and cache them.
pub fn login(ctx: &Ctx, profile: Option<String>) -> anyhow::Result<ExitCode> {
    let profiles = ctx.profiles()?;
    let name = ctx.profile_name(profile);
    let plan = ctx.plan(&profiles, &name)?;
    let env = ctx.getter();
    let mut resolver = ctx.resolver(&profiles, true, None, &env)?;
    resolver.force = true;
    let got = resolver.resolve(&plan)?;
    let left = got
        .credentials
        .remaining(time::OffsetDateTime::now_utc())
        .map(|d| format!(", valid for {}", human(d)))
        .unwrap_or_default();
    eprintln!("awsdo: logged in to profile {name:?}{left}");
    Ok(ExitCode::SUCCESS)
}

/// Delete the profile's cached session, or (`--all`) everything awsdo cached.
pub fn logout(ctx: &Ctx, profile: Option<String>, all: bool) -> anyhow::Result<ExitCode> {
    let Some(cache) = ctx.cache()? else {
        return Ok(ExitCode::SUCCESS);
    };
    if all {
        let mut n = 0;
        for kind in [Kind::Profile, Kind::MfaSession, Kind::Discovery] {
            for name in cache.names(kind) {
                n += usize::from(cache.remove(kind, &name)?);
            }
        }
        eprintln!("awsdo: removed {n} cached entries");
        return Ok(ExitCode::SUCCESS);
    }
    let name = ctx.profile_name(profile);
    let profiles = ctx.profiles()?;
    let mut removed = cache.remove(Kind::Profile, &name)?;
    // The profile's MFA session goes too: logging out should mean the next use asks again.
    if let Ok(plan) = ctx.plan(&profiles, &name) {
        let env = ctx.getter();
        let resolver = ctx.resolver(&profiles, false, None, &env)?;
        for session in resolver.mfa_session_names(&plan) {
            removed |= cache.remove(Kind::MfaSession, &session)?;
        }
    }
    if removed {
        eprintln!("awsdo: logged out of profile {name:?}");
    } else {
        eprintln!("awsdo: nothing cached for profile {name:?}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Version 1 JSON for `credential_process = awsdo credential-process -p NAME`.
pub fn credential_process(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let (creds, _) = crate::cmd::run::obtain(ctx)?;
    let mut value = json!({
        "Version": 1,
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
    });
    if let Some(t) = &creds.session_token {
        value["SessionToken"] = json!(t);
    }
    if let Some(e) = creds.expiration_rfc3339() {
        value["Expiration"] = json!(e);
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "{value}")
        .and_then(|()| out.flush())
        .context("could not write to stdout")?;
    Ok(ExitCode::SUCCESS)
}

/// The AWS console sign-in for the profile's credentials.
pub fn console(ctx: &Ctx, _profile: Option<String>) -> anyhow::Result<ExitCode> {
    let name = ctx.profile_name(None);
    anyhow::bail!(
        "could not open the console for profile {name:?}: console sign-in is not available in this version yet"
    )
}
