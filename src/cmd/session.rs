//! `awsdo login`, `awsdo logout`, `awsdo credential-process` and the console sign-in.

use std::process::ExitCode;

use anyhow::Context;
use serde_json::json;

use super::Ctx;
use crate::cache::Kind;
use crate::cmd::explain::human;
use crate::console;
use crate::credential_process::CHAIN_VAR;
use crate::creds::Credentials;
use crate::error::SilentExit;
use crate::sts::GLOBAL_REGION;

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
///
/// Under an awsdo that runs this as a profile's `credential_process` (`AWSDO_CREDENTIAL_PROCESS_CHAIN`
/// set), an error goes to stdout as one `awsdo: …` line for that awsdo to report as its own, so
/// the user sees one line, not one per level.
pub fn credential_process(ctx: &Ctx) -> anyhow::Result<ExitCode> {
    let nested = ctx.var_nonempty(CHAIN_VAR).is_some();
    match credential_process_json(ctx) {
        Ok(value) => {
            super::print_stdout(format!("{value}\n"))?;
            Ok(ExitCode::SUCCESS)
        }
        Err(err) if nested => {
            let line = format!("{err:#}").replace('\n', " ");
            let _ = super::print_stdout(format!("awsdo: {line}\n"));
            Err(SilentExit(1).into())
        }
        Err(err) => Err(err),
    }
}

fn credential_process_json(ctx: &Ctx) -> anyhow::Result<serde_json::Value> {
    let name = ctx.profile_name(None);
    if let Some(chain) = ctx.var_nonempty(CHAIN_VAR) {
        let chain: Vec<&str> = chain.split(',').collect();
        if chain.contains(&name.as_str()) {
            anyhow::bail!(
                "could not get credentials for profile {name:?}: its credential_process calls awsdo for a profile already being resolved ({} -> {name})",
                chain.join(" -> ")
            );
        }
    }
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
    Ok(value)
}

/// The AWS console sign-in for the profile's credentials: a browser when there is one, else
/// the URL on stdout.
pub fn console(ctx: &Ctx, _profile: Option<String>) -> anyhow::Result<ExitCode> {
    let profiles = ctx.profiles()?;
    let name = ctx.profile_name(None);
    let plan = ctx.plan(&profiles, &name)?;
    let env = ctx.getter();
    let resolver = ctx.resolver(&profiles, true, None, &env)?;
    let duration = ctx.overrides()?.duration;
    let (creds, session_duration) = match console::federation_source(&plan) {
        console::Source::Direct => (resolver.resolve(&plan)?.credentials, duration),
        console::Source::FederationToken { profile } => {
            let p = profiles
                .profile(&profile)
                .with_context(|| format!("could not find profile {profile:?}"))?;
            let keys = Credentials {
                access_key_id: p.get("aws_access_key_id").unwrap_or_default().to_owned(),
                secret_access_key: p
                    .get("aws_secret_access_key")
                    .unwrap_or_default()
                    .to_owned(),
                session_token: None,
                expiration: None,
            };
            let region = plan
                .region
                .clone()
                .or_else(|| ctx.var_nonempty("AWS_REGION"))
                .or_else(|| ctx.var_nonempty("AWS_DEFAULT_REGION"))
                .unwrap_or_else(|| GLOBAL_REGION.to_owned());
            let token = resolver
                .net
                .get_federation_token(&keys, &region, "awsdo", duration)
                .with_context(|| {
                    format!("could not sign in to the console for profile {name:?}")
                })?;
            (token, None)
        }
    };
    let endpoint = console::endpoint(&env);
    let request = console::signin_token_url(&endpoint, &creds, session_duration)?;
    let (status, body) = resolver
        .net
        .http_get("get a console sign-in token", &request)
        .with_context(|| format!("could not sign in to the console for profile {name:?}"))?;
    let token = console::parse_signin_token(status, &body)
        .with_context(|| format!("could not sign in to the console for profile {name:?}"))?;
    let url = console::login_url(&endpoint, &token);
    if let Some(browser) = console::browser(&env) {
        match console::open(&browser, &url, ctx.user_env()) {
            Ok(()) => {
                eprintln!(
                    "awsdo: opened the AWS console for profile {name:?} with {}",
                    crate::escape::escape(&browser.to_string())
                );
                return Ok(ExitCode::SUCCESS);
            }
            Err(e) => eprintln!(
                "awsdo: {}; open this URL to sign in:",
                crate::escape::escape(&format!("{e:#}"))
            ),
        }
    }
    super::print_stdout(format!("{url}\n"))?;
    Ok(ExitCode::SUCCESS)
}
