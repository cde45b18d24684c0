//! `awsdo explain` and `awsdo status`: what awsdo would do and what it has cached, read from
//! the files and the cache alone (no network, no prompt).

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::Ctx;
use crate::config::ProfileSet;
use crate::plan::{MfaFrom, Plan, Step};
use crate::resolve::Resolver;

/// Print how `profile`'s credentials are obtained.
pub fn explain(ctx: &Ctx, profile: Option<String>, as_json: bool) -> anyhow::Result<ExitCode> {
    let profiles = ctx.profiles()?;
    let name = ctx.profile_name(profile);
    let mut plan = ctx.plan(&profiles, &name)?;
    let env = ctx.getter();
    let resolver = ctx.resolver(&profiles, false, None, &env)?;
    // The cache key is the plan's as the resolver sees it, before discovered devices are shown.
    let cache = cache_state(ctx, &resolver, &plan)?;
    fill_discovered_devices(&resolver, &mut plan);
    let text = if as_json {
        let value = json!({
            "profile": plan.profile,
            "region": plan.region,
            "steps": plan.steps,
            "cache": cache,
        });
        format!("{}\n", serde_json::to_string_pretty(&value)?)
    } else {
        explain_text(&plan, &cache)
    };
    write_out(&text)
}

/// A step whose device is to be discovered shows the device an earlier discovery found.
fn fill_discovered_devices(resolver: &Resolver<'_>, plan: &mut Plan) {
    let key_id = plan.steps.iter().find_map(|s| match s {
        Step::Static { access_key_id, .. } => Some(access_key_id.clone()),
        _ => None,
    });
    let Some(found) = key_id.as_deref().and_then(|k| resolver.cached_discovery(k)) else {
        return;
    };
    for step in &mut plan.steps {
        let Step::SessionToken { mfa, .. } = step else {
            continue;
        };
        let pending = mfa
            .as_ref()
            .is_some_and(|m| m.mfa_serial.is_none() && m.mfa_serial_from == MfaFrom::Discovered);
        if !pending {
            continue;
        }
        if found.devices.is_empty() {
            // Discovery found no device: no MFA for this key.
            *mfa = None;
        } else if let Some(m) = mfa.as_mut() {
            m.mfa_serial = found.device();
            m.mfa_serial_from = MfaFrom::CachedDiscovery;
        }
    }
}

fn cache_state(ctx: &Ctx, resolver: &Resolver<'_>, plan: &Plan) -> anyhow::Result<Value> {
    if ctx.args.disable_cache {
        return Ok(json!({ "state": "disabled" }));
    }
    let entry = resolver.cached(plan)?;
    let now = OffsetDateTime::now_utc();
    Ok(match entry {
        None => json!({ "state": "missing" }),
        Some(e) => {
            let left = e.credentials.remaining(now);
            let state = match left {
                Some(l) if l.is_zero() => "expired",
                _ if e.fresh(resolver.min_ttl) => "fresh",
                _ => "renew",
            };
            json!({
                "state": state,
                "expiration": e.credentials.expiration_rfc3339(),
                "remaining_seconds": left.map(|l| l.as_secs()),
            })
        }
    })
}

fn explain_text(plan: &Plan, cache: &Value) -> String {
    let mut s = String::new();
    let region = plan
        .region
        .as_deref()
        .unwrap_or("none (STS global endpoint)");
    let _ = writeln!(s, "profile {}  region {region}", plan.profile);
    for (i, step) in plan.steps.iter().enumerate() {
        let _ = writeln!(s, "  {}. {}", i + 1, describe_step(step));
    }
    let state = cache["state"].as_str().unwrap_or("missing");
    let _ = match (state, cache["remaining_seconds"].as_u64()) {
        ("fresh" | "renew", Some(left)) => writeln!(
            s,
            "cache: {state}, expires {} (in {})",
            cache["expiration"].as_str().unwrap_or("?"),
            human(Duration::from_secs(left))
        ),
        (state, _) => writeln!(s, "cache: {state}"),
    };
    s
}

fn describe_step(step: &Step) -> String {
    let mut s = match step {
        Step::Static {
            profile,
            access_key_id,
            has_session_token,
        } => {
            let what = if *has_session_token {
                "session keys"
            } else {
                "long-lived keys"
            };
            format!("static: {what} {access_key_id} of profile {profile:?}")
        }
        Step::SessionToken {
            profile,
            duration_seconds,
            shared,
            ..
        } => {
            let shared = if *shared {
                ", shared by every role using this device"
            } else {
                ""
            };
            format!(
                "session-token: sts:GetSessionToken for profile {profile:?}, {}{shared}",
                human(Duration::from_secs(*duration_seconds))
            )
        }
        Step::AssumeRole {
            profile,
            role_arn,
            role_session_name,
            external_id,
            duration_seconds,
            ..
        } => {
            let mut s = format!("assume-role: {role_arn} for profile {profile:?}");
            if let Some(d) = duration_seconds {
                let _ = write!(s, ", {}", human(Duration::from_secs(*d)));
            }
            if let Some(n) = role_session_name {
                let _ = write!(s, ", session name {n}");
            }
            if external_id.is_some() {
                s.push_str(", with external id");
            }
            s
        }
        Step::WebIdentity {
            profile,
            role_arn,
            web_identity_token_file,
            ..
        } => {
            format!(
                "web-identity: {role_arn} for profile {profile:?} with token file {web_identity_token_file}"
            )
        }
        Step::CredentialProcess { profile, command } => {
            format!("credential-process: `{command}` of profile {profile:?}")
        }
        Step::CredentialSource { profile, source } => {
            format!("credential-source: {source:?} for profile {profile:?}")
        }
        Step::Sso {
            profile,
            sso_account_id,
            sso_role_name,
            sso_start_url,
            ..
        } => {
            format!(
                "sso: role {sso_role_name} in account {sso_account_id} via {sso_start_url} for profile {profile:?}"
            )
        }
    };
    if let Some(m) = step.mfa() {
        let from = match m.mfa_serial_from {
            MfaFrom::Flag => "from -n",
            MfaFrom::Config => "from mfa_serial",
            MfaFrom::Discovered => "discovered with sts:GetCallerIdentity + iam:ListMFADevices",
            MfaFrom::CachedDiscovery => "discovered earlier, cached",
        };
        let _ = match &m.mfa_serial {
            Some(serial) => write!(s, "; MFA {serial} ({from})"),
            None => write!(s, "; MFA device to be {from} at first use"),
        };
    }
    s
}

/// `1h 5m`, `12m`, `40s`.
pub fn human(d: Duration) -> String {
    let secs = d.as_secs();
    match (secs / 3600, (secs % 3600) / 60) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// Every profile with its kind and the life left in its cached session.
pub fn status(ctx: &Ctx, names_only: bool) -> anyhow::Result<ExitCode> {
    let profiles = ctx.profiles()?;
    if names_only {
        let mut s = String::new();
        for n in profiles.profile_names() {
            s.push_str(n);
            s.push('\n');
        }
        return write_out(&s);
    }
    let env = ctx.getter();
    let resolver = ctx.resolver(&profiles, false, None, &env)?;
    let current = ctx.var_nonempty("AWS_PROFILE");
    write_out(&status_text(&profiles, &resolver, ctx, current.as_deref()))
}

fn status_text(
    profiles: &ProfileSet,
    resolver: &Resolver<'_>,
    ctx: &Ctx,
    current: Option<&str>,
) -> String {
    let now = OffsetDateTime::now_utc();
    let names = profiles.profile_names();
    let rows: Vec<(&str, String, String)> = names
        .into_iter()
        .map(|name| {
            let planned = crate::config::validate(profiles, name, None)
                .and_then(|()| crate::plan::plan(profiles, name, &Default::default()));
            let (kind, cached) = match planned {
                Err(e) => (
                    format!("error: {}", first_clause(&format!("{e:#}"))),
                    String::new(),
                ),
                Ok(plan) => {
                    let cached = match resolver.cached(&plan) {
                        Ok(Some(e)) => match e.credentials.remaining(now) {
                            Some(left) if !left.is_zero() => format!("{} left", human(left)),
                            Some(_) => "expired".to_owned(),
                            None => "-".to_owned(),
                        },
                        Ok(None) => "-".to_owned(),
                        Err(e) => format!("unusable: {e:#}"),
                    };
                    (plan.summary(), cached)
                }
            };
            (name, kind, cached)
        })
        .collect();
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0).max(7);
    let kind_width = rows.iter().map(|r| r.1.len()).max().unwrap_or(0).max(4);
    let mut s = format!("  {:width$}  {:kind_width$}  CACHED\n", "PROFILE", "KIND");
    for (name, kind, cached) in rows {
        let mark = if Some(name) == current { '*' } else { ' ' };
        let _ = writeln!(s, "{mark} {name:width$}  {kind:kind_width$}  {cached}");
    }
    if ctx.args.disable_cache {
        s.push_str("(cache disabled)\n");
    }
    s
}

fn first_clause(s: &str) -> &str {
    s.rsplit(": ").next().unwrap_or(s)
}

fn write_out(text: &str) -> anyhow::Result<ExitCode> {
    super::print_stdout(text)?;
    Ok(ExitCode::SUCCESS)
}
