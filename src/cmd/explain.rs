//! `awsdo explain` and `awsdo status`: what awsdo would do and what it has cached, read from
//! the files and the cache alone (no network, no prompt).

use std::fmt::Write as _;
use std::process::ExitCode;
use std::time::Duration;

use serde_json::{Value, json};
use time::OffsetDateTime;

use super::{Ctx, Mode, Prepared};
use crate::config::ProfileSet;
use crate::escape::{escape, escape_lines, escape_short};
use crate::plan::{MfaFrom, Plan, Step};
use crate::resolve::{Device, Resolver};

/// Print how `profile`'s credentials are obtained.
pub fn explain(ctx: &Ctx, profile: Option<String>, as_json: bool) -> anyhow::Result<ExitCode> {
    let Prepared {
        profiles,
        mut plan,
        resolver,
    } = ctx.prepare(profile, Mode::LOOK)?;
    // The cache key is the plan's as the resolver sees it, before discovered devices are shown.
    let cache = cache_state(ctx, &resolver, &plan)?;
    fill_discovered_devices(&resolver, &mut plan);
    let sso = crate::sso::session::Session::from_plan(&plan, &profiles);
    let text = if as_json {
        let mut value = json!({
            "profile": plan.profile,
            "name": plan.name(),
            "region": plan.region,
            "region_from": plan.region_from,
            "steps": plan.steps,
            "cache": cache,
        });
        if !plan.flags.is_empty() {
            value["flags"] = json!(plan.flags);
        }
        if let Some(ca) = &plan.ca_bundle {
            value["ca_bundle"] = json!(ca);
        }
        if let Some(sso) = &sso {
            value["cache"]["sso_token"] = crate::sso::session::token_json(sso, ctx.user_env());
        }
        format!("{}\n", serde_json::to_string_pretty(&value)?)
    } else {
        // Names, ARNs, regions and paths come from the files: shown escaped (JSON escapes its own).
        let mut text = explain_text(&plan, &cache);
        if let Some(sso) = &sso {
            text.push_str(&format!(
                "{}\n",
                crate::sso::session::token_line(sso, ctx.user_env())
            ));
        }
        escape_lines(&text)
    };
    write_out(&text)
}

/// A step whose device is to be discovered shows the device an earlier discovery found.
fn fill_discovered_devices(resolver: &Resolver<'_>, plan: &mut Plan) {
    let key_id = plan.steps.iter().find_map(|s| match s {
        Step::Static { access_key_id, .. } => Some(access_key_id.clone()),
        _ => None,
    });
    let Some(key_id) = key_id else {
        return;
    };
    for step in &mut plan.steps {
        let Step::SessionToken { mfa, .. } = step else {
            continue;
        };
        let Some(m) = mfa.as_mut() else {
            continue;
        };
        if m.mfa_serial.is_some() || m.mfa_serial_from != MfaFrom::Discovered {
            continue;
        }
        match resolver.known_device(m, &key_id) {
            Device::Use(serial) => {
                m.mfa_serial = Some(serial);
                m.mfa_serial_from = MfaFrom::CachedDiscovery;
            }
            // Discovery found several devices and none is chosen yet.
            Device::Undecided(Some(_)) => m.mfa_serial_from = MfaFrom::CachedDiscovery,
            // Discovery found no device: no MFA for this key.
            Device::NoMfa => *mfa = None,
            Device::Undecided(None) => {}
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
    let region = match (&plan.region, &plan.region_from) {
        (Some(r), Some(from)) if *from != plan.profile => format!("{r} (from {from:?})"),
        (Some(r), _) => r.clone(),
        (None, _) => "none (STS global endpoint)".to_owned(),
    };
    let _ = writeln!(s, "profile {}  region {region}", plan.name());
    if let Some(ca) = &plan.ca_bundle {
        let _ = writeln!(s, "  ca_bundle {ca}");
    }
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
            ..
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
            duration_seconds_from,
            shared,
            ..
        } => {
            let shared = if *shared {
                ", shared by every role using this device"
            } else {
                ""
            };
            format!(
                "session-token: sts:GetSessionToken for profile {profile:?}, {}{}{shared}",
                human(Duration::from_secs(*duration_seconds)),
                from_suffix(duration_seconds_from.as_deref(), profile)
            )
        }
        Step::AssumeRole {
            profile,
            role_arn,
            role_arn_from,
            role_session_name,
            external_id,
            duration_seconds,
            duration_seconds_from,
            ..
        } => {
            let mut s = format!(
                "assume-role: {role_arn}{} for profile {profile:?}",
                from_suffix(Some(role_arn_from), profile)
            );
            if let Some(d) = duration_seconds {
                let _ = write!(
                    s,
                    ", {}{}",
                    human(Duration::from_secs(*d)),
                    from_suffix(duration_seconds_from.as_deref(), profile)
                );
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
            role_arn_from,
            web_identity_token_file,
            ..
        } => {
            format!(
                "web-identity: {role_arn}{} for profile {profile:?} with token file {web_identity_token_file}",
                from_suffix(Some(role_arn_from), profile)
            )
        }
        Step::CredentialProcess { profile, command } => {
            format!("credential-process: `{command}` of profile {profile:?}")
        }
        Step::CredentialSource {
            profile, source, ..
        } => {
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
        let from = match (m.mfa_serial_from, &m.mfa_serial_profile) {
            (MfaFrom::Flag, _) => "from -n".to_owned(),
            (MfaFrom::Config, Some(p)) if p != step.profile() => {
                format!("from mfa_serial of profile {p:?}")
            }
            (MfaFrom::Config, _) => "from mfa_serial".to_owned(),
            (MfaFrom::Discovered, _) => {
                "discovered with sts:GetCallerIdentity + iam:ListMFADevices".to_owned()
            }
            (MfaFrom::CachedDiscovery, _) => "discovered earlier, cached".to_owned(),
        };
        let _ = match &m.mfa_serial {
            Some(serial) => write!(s, "; MFA {serial} ({from})"),
            None => write!(s, "; MFA device to be {from} at first use"),
        };
        if let (Some(cmd), Some(p)) = (&m.mfa_process, &m.mfa_process_from) {
            let _ = write!(s, ", code from mfa_process `{cmd}` of profile {p:?}");
        }
    }
    s
}

/// ` (from -d)` or ` (from "base")` when a value did not come from the step's own profile.
fn from_suffix(from: Option<&str>, step_profile: &str) -> String {
    match from {
        Some(f) if f.starts_with('-') => format!(" (from {f})"),
        Some(f) if f != step_profile => format!(" (from {f:?})"),
        _ => String::new(),
    }
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
            s.push_str(&escape(n));
            s.push('\n');
        }
        return write_out(&s);
    }
    if profiles.profile_names().is_empty() {
        let locations = ctx.locations()?;
        return write_out(&no_profiles_text(&locations.config, &locations.credentials));
    }
    let resolver = ctx.resolver(None, Mode::LOOK)?;
    let current = ctx.var_nonempty("AWS_PROFILE");
    write_out(&status_text(&profiles, &resolver, ctx, current.as_deref()))
}

/// What `status` says when neither file defines a profile: which files it read and how to add one.
fn no_profiles_text(config: &std::path::Path, credentials: &std::path::Path) -> String {
    let show = |p: &std::path::Path| {
        let missing = if p.exists() { "" } else { " (missing)" };
        format!("{}{missing}", escape(&p.display().to_string()))
    };
    format!(
        "no profiles in {} or {}\nadd one: aws configure --profile NAME (or edit the files; see: awsdo --help)\n",
        show(config),
        show(credentials)
    )
}

/// Widest a status row's KIND column gets; a longer kind or error is cut with `…` (the whole
/// error is `awsdo explain PROFILE`'s), so a row stays within a terminal whatever the error.
const KIND_WIDTH: usize = 40;
/// Widest the PROFILE column gets for alignment; a longer name is printed whole and pushes its
/// own row only.
const NAME_WIDTH: usize = 24;

/// Keys that say a profile is meant to produce credentials. A profile with none of them (the
/// usual `[default]` holding only `region`) is settings for the SDKs, not a broken profile.
const CREDENTIAL_KEYS: &[&str] = &[
    "aws_access_key_id",
    "aws_secret_access_key",
    "aws_session_token",
    "aws_security_token",
    "role_arn",
    "source_profile",
    "credential_source",
    "credential_process",
    "web_identity_token_file",
    "sso_session",
    "sso_start_url",
    "sso_account_id",
    "sso_role_name",
    "mfa_serial",
    "mfa_process",
];

/// The status table: one line per profile, each bounded by the column widths (plus the
/// profile's own name), then a line pointing at `awsdo explain` when some profiles fail.
/// Every string from the files is escaped; the time spent and the text printed grow linearly
/// with the number of profiles, whatever their errors say.
fn status_text(
    profiles: &ProfileSet,
    resolver: &Resolver<'_>,
    ctx: &Ctx,
    current: Option<&str>,
) -> String {
    let now = OffsetDateTime::now_utc();
    let names = profiles.profile_names();
    let mut failing = 0usize;
    let rows: Vec<(String, String, String, bool)> = names
        .into_iter()
        .map(|name| {
            let planned = crate::config::validate(profiles, name, None).and_then(|()| {
                crate::plan::plan_with_env(profiles, name, &Default::default(), ctx.user_env())
            });
            let (kind, cached) = match planned {
                Err(_) if is_settings_only(profiles, name) => {
                    ("settings only".to_owned(), "-".to_owned())
                }
                Err(e) => {
                    failing += 1;
                    let message = format!("{e:#}");
                    (
                        escape_short(&format!("error: {}", short_reason(&message)), KIND_WIDTH),
                        String::new(),
                    )
                }
                Ok(plan) => {
                    let cached = match resolver.cached(&plan) {
                        Ok(Some(e)) => match e.credentials.remaining(now) {
                            Some(left) if !left.is_zero() => format!("{} left", human(left)),
                            Some(_) => "expired".to_owned(),
                            None => "-".to_owned(),
                        },
                        Ok(None) => "-".to_owned(),
                        Err(_) => {
                            failing += 1;
                            "unusable".to_owned()
                        }
                    };
                    // An SSO profile's row also says how long its session's token lasts.
                    let sso = crate::sso::session::status_cell(&plan, profiles, ctx.user_env());
                    let cached = sso.map_or(cached.clone(), |c| {
                        escape_short(&format!("{cached}  {c}"), 120)
                    });
                    (escape_short(&compact_summary(&plan), KIND_WIDTH), cached)
                }
            };
            let is_current = Some(name) == current;
            (escape(name).into_owned(), kind, cached, is_current)
        })
        .collect();
    let width = rows
        .iter()
        .map(|r| r.0.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(7, NAME_WIDTH);
    let kind_width = rows
        .iter()
        .map(|r| r.1.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(4, KIND_WIDTH);
    let mut s = format!("  {:width$}  {:kind_width$}  CACHED\n", "PROFILE", "KIND");
    for (name, kind, cached, is_current) in rows {
        let mark = if is_current { '*' } else { ' ' };
        let line = format!("{mark} {name:width$}  {kind:kind_width$}  {cached}");
        s.push_str(line.trim_end());
        s.push('\n');
    }
    if failing > 0 {
        let _ = writeln!(
            s,
            "{failing} cannot be used as configured; for the whole reason: awsdo explain PROFILE"
        );
    }
    if ctx.args.disable_cache {
        s.push_str("(cache disabled)\n");
    }
    s
}

/// Whether `name` holds none of [`CREDENTIAL_KEYS`].
fn is_settings_only(profiles: &ProfileSet, name: &str) -> bool {
    profiles
        .profile(name)
        .is_some_and(|p| !p.keys().any(|k| CREDENTIAL_KEYS.contains(&k)))
}

/// The reason of a plan error without the `could not … profile "NAME": ` lead, which the row
/// already shows; not yet escaped or cut.
fn short_reason(message: &str) -> &str {
    let first = message.lines().next().unwrap_or(message);
    if !first.starts_with("could not ") {
        return first;
    }
    // `could not use profile "P": reason` or, from the config checks, `could not use profile
    // "P" (FILE): reason`: the reason starts after the first of the two.
    let start = ["\": ", "): "]
        .iter()
        .filter_map(|sep| first.find(sep).map(|at| at + sep.len()))
        .min();
    match start {
        Some(at) if at < first.len() => &first[at..],
        _ => first,
    }
}

/// The plan's kinds with repeats counted: `static > session-token`, `static > assume-role ×12`.
fn compact_summary(plan: &Plan) -> String {
    let mut parts: Vec<(&str, usize)> = Vec::new();
    for step in &plan.steps {
        match parts.last_mut() {
            Some((kind, n)) if *kind == step.kind() => *n += 1,
            _ => parts.push((step.kind(), 1)),
        }
    }
    let parts: Vec<String> = parts
        .into_iter()
        .map(|(kind, n)| {
            if n == 1 {
                kind.to_owned()
            } else {
                format!("{kind} ×{n}")
            }
        })
        .collect();
    parts.join(" > ")
}

fn write_out(text: &str) -> anyhow::Result<ExitCode> {
    super::print_stdout(text)?;
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::short_reason;

    #[test]
    fn a_status_row_shows_the_reason_not_the_lead() {
        assert_eq!(
            "source_profile \"x\" is not a profile",
            short_reason(
                "could not use profile \"p\" (/home/u/.aws/config): source_profile \"x\" is not a profile"
            )
        );
        assert_eq!(
            "no credentials",
            short_reason("could not resolve profile \"p\": no credentials")
        );
        assert_eq!("something else", short_reason("something else"));
    }
}
