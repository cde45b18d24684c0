//! `awsdo login`, `awsdo logout`, `awsdo credential-process` and the console sign-in.

use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use serde_json::json;

use super::{Ctx, Mode, Prepared};
use crate::cache::{Busy, Kind};
use crate::cmd::explain::human;
use crate::console;
use crate::credential_process::CHAIN_VAR;
use crate::deadline::Deadline;
use crate::error::SilentExit;
use crate::resolve::{MfaSessionOwners, ProfileEntry};

/// Fetch fresh credentials for the profile now (asking for MFA if needed, signing in to IAM
/// Identity Center first for an SSO profile: with a device code when `device_code`) and cache
/// them.
pub fn login(ctx: &Ctx, profile: Option<String>, device_code: bool) -> anyhow::Result<ExitCode> {
    let Prepared {
        profiles,
        plan,
        resolver,
    } = ctx.prepare(profile, Mode::LOGIN)?;
    if let Some(sso) = crate::sso::session::Session::from_plan(&plan, &profiles) {
        sso_sign_in(ctx, &resolver, &sso, device_code)?;
    }
    let credentials = resolver.resolve(&plan)?.credentials;
    let name = plan.profile;
    let left = credentials
        .remaining(time::OffsetDateTime::now_utc())
        .map(|d| format!(", valid for {}", human(d)))
        .unwrap_or_default();
    eprintln!("awsdo: logged in to profile {name:?}{left}");
    Ok(ExitCode::SUCCESS)
}

/// Sign in to the profile's SSO session (DESIGN §10) and say until when.
fn sso_sign_in(
    ctx: &Ctx,
    resolver: &crate::resolve::Resolver<'_>,
    sso: &crate::sso::session::Session,
    device_code: bool,
) -> anyhow::Result<()> {
    use crate::sso::session::{Context, Flow};
    let cache = match ctx.cache()? {
        Some(c) => c,
        None => crate::cache::Cache::from_env(ctx.user_env())?,
    };
    let cx = Context {
        net: &resolver.net,
        env: ctx.user_env(),
        cache: &cache,
    };
    let token = crate::sso::login::login(&cx, sso, &Flow::choose(device_code, ctx.user_env()))?;
    eprintln!(
        "awsdo: signed in to IAM Identity Center ({}) until {}",
        crate::escape::escape(&sso.label()),
        crate::escape::escape(&token.expires_at)
    );
    Ok(())
}

/// How long `logout` waits for an awsdo that is getting credentials for the same entry (a
/// person typing an MFA code) before it gives up with one line.
const LOGOUT_WAIT: Duration = Duration::from_secs(120);

/// Delete the profile's cached session, or (`--all`) everything awsdo cached.
///
/// What to delete is found on disk, not worked out from the current config: every entry of the
/// kind (`--all`), or the profile's entry plus every MFA session that records the profile as
/// one it was made for (so a rotated source key does not hide its session), with their
/// temporary files. Each entry is deleted under its lock, so a login in flight finishes first.
pub fn logout(ctx: &Ctx, profile: Option<String>, all: bool) -> anyhow::Result<ExitCode> {
    let Some(cache) = ctx.cache()? else {
        return Ok(ExitCode::SUCCESS);
    };
    let deadline = Deadline::after(Some(LOGOUT_WAIT));
    let busy = |e: anyhow::Error, name: Option<&str>| {
        if !e.is::<Busy>() {
            return e;
        }
        match name {
            Some(name) => anyhow::anyhow!(
                "could not log out of profile {name:?}: another awsdo is getting credentials for it; try again"
            ),
            None => anyhow::anyhow!(
                "could not log out: another awsdo is getting credentials; try again"
            ),
        }
    };
    if all {
        let mut n = 0;
        for kind in Kind::ALL {
            for stored in cache.stored(kind)? {
                n += cache
                    .remove_stored(&stored, deadline)
                    .map_err(|e| busy(e, None))?;
            }
        }
        n += cache.remove_all_temps()?;
        eprintln!("awsdo: removed {n} cached files");
        // Every SSO session the profiles use is signed out too.
        if let Ok(profiles) = ctx.profiles()
            && let Ok(resolver) = ctx.resolver(None, Mode::LOOK)
        {
            for sso in crate::sso::session::sessions(&profiles) {
                if crate::sso::token::logout(&resolver.net, &sso, ctx.user_env(), &cache)? {
                    eprintln!(
                        "awsdo: signed out of IAM Identity Center ({})",
                        crate::escape::escape(&sso.label())
                    );
                }
            }
        }
        return Ok(ExitCode::SUCCESS);
    }
    let name = ctx.profile_name(profile);
    let mut removed = false;
    for stored in cache.stored(Kind::Profile)? {
        let entry: Option<ProfileEntry> = cache.read_stored(&stored).ok().flatten();
        if entry.is_some_and(|e| e.profile == name) {
            removed |= cache
                .remove_stored(&stored, deadline)
                .map_err(|e| busy(e, Some(&name)))?
                > 0;
        }
    }
    // Also by name: an entry that is damaged (so its profile cannot be read), or of an
    // earlier version.
    removed |= cache.remove(Kind::Profile, &name)?;
    // The profile's MFA sessions go too: logging out should mean the next use asks again.
    for stored in cache.stored(Kind::MfaSession)? {
        let owners: Option<MfaSessionOwners> = cache.read_stored(&stored).ok().flatten();
        if owners.is_some_and(|o| o.profiles.contains(&name)) {
            removed |= cache
                .remove_stored(&stored, deadline)
                .map_err(|e| busy(e, Some(&name)))?
                > 0;
        }
    }
    // And those the current config leads to (entries of earlier versions record no owners).
    if let Ok(Prepared { plan, resolver, .. }) = ctx.prepare(Some(name.clone()), Mode::LOOK) {
        for session in resolver.mfa_session_names(&plan) {
            removed |= cache.remove(Kind::MfaSession, &session)?;
        }
        // An SSO profile's session is signed out too: the next use needs a new sign-in.
        if let Ok(profiles) = ctx.profiles()
            && let Some(sso) = crate::sso::session::Session::from_plan(&plan, &profiles)
            && crate::sso::token::logout(&resolver.net, &sso, ctx.user_env(), &cache)?
        {
            eprintln!(
                "awsdo: signed out of IAM Identity Center ({})",
                crate::escape::escape(&sso.label())
            );
            removed = true;
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
    let Prepared { plan, resolver, .. } = ctx.prepare(None, Mode::COMMAND)?;
    let name = &plan.profile;
    let duration = ctx.overrides()?.duration;
    let (creds, session_duration) = match console::federation_source(&plan) {
        console::Source::Direct => (resolver.resolve(&plan)?.credentials, duration),
        console::Source::FederationToken { keys } => {
            let token = resolver
                .net
                .get_federation_token(&keys, &resolver.region(&plan), "awsdo", duration)
                .with_context(|| {
                    format!("could not sign in to the console for profile {name:?}")
                })?;
            (token, None)
        }
    };
    let env = ctx.user_env();
    let endpoint = console::endpoint(env);
    let request = console::signin_token_url(&endpoint, &creds, session_duration)?;
    let (status, body) = resolver
        .net
        .http_get("get a console sign-in token", &request)
        .with_context(|| format!("could not sign in to the console for profile {name:?}"))?;
    let token = console::parse_signin_token(status, &body)
        .with_context(|| format!("could not sign in to the console for profile {name:?}"))?;
    let url = console::login_url(&endpoint, &token);
    if let Some(browser) = console::browser(env) {
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
