//! An SSO session as a profile names it, how `awsdo login` signs in to it (PKCE or device
//! code), what it needs from the run, and its token's state for `explain` and `status`.

use time::OffsetDateTime;

use super::store::{self, Token};
use crate::cache::{Cache, EntryLock, Kind};
use crate::config::ProfileSet;
use crate::deadline::Deadline;
use crate::env::Env;
use crate::net::Net;
use crate::plan::{Plan, Step};

/// The scopes asked for when the session sets no `sso_registration_scopes`: the one that
/// makes IAM Identity Center issue refresh tokens.
pub const DEFAULT_SCOPE: &str = "sso:account:access";
/// How errors name a token file.
pub(crate) const TOKEN: &str = "the SSO token";

/// An SSO session as a profile names it: an `[sso-session NAME]`, or a legacy profile's own
/// `sso_start_url`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// The profile it is used for (named in messages and in the fix).
    pub profile: String,
    /// The sso-session name; `None` for a legacy profile.
    pub name: Option<String>,
    /// `sso_start_url` and `sso_region`.
    pub start_url: String,
    pub region: String,
    /// `sso_registration_scopes`, split at commas, as configured (`None` when not set).
    pub scopes: Option<Vec<String>>,
}

impl Session {
    /// The SSO session the plan's first step signs in with, if it is an SSO step.
    pub fn from_plan(plan: &Plan, profiles: &ProfileSet) -> Option<Session> {
        plan.steps
            .iter()
            .find_map(|s| Session::from_step(s, profiles))
    }

    /// The SSO session of `step`, if it is an SSO step; `sso_registration_scopes` comes from
    /// its `[sso-session]` section.
    pub fn from_step(step: &Step, profiles: &ProfileSet) -> Option<Session> {
        let Step::Sso {
            profile,
            sso_session,
            sso_start_url,
            sso_region,
            ..
        } = step
        else {
            return None;
        };
        let scopes = sso_session
            .as_deref()
            .and_then(|s| profiles.sso_session(s))
            .and_then(|s| s.get("sso_registration_scopes"))
            .map(parse_scopes);
        Some(Session {
            profile: profile.clone(),
            name: sso_session.clone(),
            start_url: sso_start_url.clone(),
            region: sso_region.clone(),
            scopes,
        })
    }

    /// The fix for a missing or dead token.
    pub fn hint(&self) -> String {
        format!(
            "run: {}",
            super::token::login_hint(&self.profile, self.name.as_deref())
        )
    }

    /// `sso-session "corp"`, or `start URL https://…` for a legacy profile.
    pub fn label(&self) -> String {
        match &self.name {
            Some(n) => format!("sso-session {n:?}"),
            None => format!("start URL {}", self.start_url),
        }
    }

    /// The token's file name in the AWS CLI's cache.
    pub fn token_file(&self) -> String {
        store::token_file(self.name.as_deref(), &self.start_url)
    }

    pub(crate) fn registration_file(&self) -> String {
        store::registration_file(
            &self.start_url,
            &self.region,
            self.scopes.as_deref(),
            self.name.as_deref(),
        )
    }

    /// The scopes to register with: the configured ones, else [`DEFAULT_SCOPE`].
    pub(crate) fn register_scopes(&self) -> Vec<String> {
        match &self.scopes {
            Some(s) if !s.is_empty() => s.clone(),
            _ => vec![DEFAULT_SCOPE.to_owned()],
        }
    }

    /// Hold the session's lock (in awsdo's cache directory) until `deadline`.
    pub(crate) fn lock(&self, cache: &Cache, deadline: Deadline) -> anyhow::Result<EntryLock> {
        // A NUL cannot be in a profile name, so this never names a profile's entry.
        let name = format!("sso-session\0{}", self.token_file());
        cache.lock(
            Kind::Profile,
            &name,
            deadline,
            &format!("the SSO session of profile {:?}", self.profile),
        )
    }
}

/// A failed GetRoleCredentials with its fix: a role the portal refuses (403) is not assigned
/// to the user; a token it refuses (401) needs a new sign-in.
pub fn portal_error(err: anyhow::Error, session: &Session) -> anyhow::Error {
    let text = format!("{err:#}");
    if text.contains("ForbiddenException") {
        anyhow::anyhow!(
            "{text}; the role is not assigned to you in IAM Identity Center: check sso_account_id and sso_role_name of profile {:?}, or ask an administrator to assign it",
            session.profile
        )
    } else if text.contains("UnauthorizedException") {
        anyhow::anyhow!(
            "{text}; the SSO session is no longer valid; {}",
            session.hint()
        )
    } else {
        err
    }
}

/// `sso_registration_scopes` as the AWS CLI reads it: comma-separated, blanks dropped.
pub fn parse_scopes(raw: &str) -> Vec<String> {
    raw.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// How `awsdo login` signs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flow {
    /// Authorization code with PKCE, opening this browser command.
    Browser(String),
    /// Device code; the verification page is opened with the browser when there is one.
    Device(Option<String>),
}

impl Flow {
    /// PKCE when a browser can be opened (`$BROWSER`, `open` on macOS, `xdg-open` with a
    /// display); the device code with `--device-code`, over SSH (`SSH_CONNECTION`,
    /// `SSH_TTY`: a browser there would not reach this host's loopback) or with no browser.
    pub fn choose(device_code: bool, env: &Env) -> Flow {
        let set = |k: &str| env.var(k).filter(|v| !v.is_empty());
        let ssh = set("SSH_CONNECTION").is_some() || set("SSH_TTY").is_some();
        let browser = if let Some(b) = set("BROWSER") {
            // $BROWSER may list several, separated by colons (the sensible-browser convention).
            b.split(':').find(|s| !s.is_empty()).map(str::to_owned)
        } else if ssh {
            None
        } else if cfg!(target_os = "macos") {
            Some("open".to_owned())
        } else if set("DISPLAY").is_some() || set("WAYLAND_DISPLAY").is_some() {
            Some("xdg-open".to_owned())
        } else {
            None
        };
        match browser {
            Some(b) if !device_code && !ssh => Flow::Browser(b),
            b => Flow::Device(b.filter(|_| !ssh)),
        }
    }
}

/// What a sign-in needs from the run.
pub struct Context<'a> {
    pub net: &'a Net,
    /// The user's environment (HOME, endpoint overrides); a browser starts from it, without
    /// credential variables.
    pub env: &'a Env,
    /// awsdo's cache, for the session's lock.
    pub cache: &'a Cache,
}

/// A session's token as `explain` and `status` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenState {
    /// No token file.
    Missing,
    /// A file that is not a token (or cannot be read).
    Unreadable,
    /// Valid until this time; whether it can be refreshed.
    Valid {
        expires: OffsetDateTime,
        refreshable: bool,
    },
    /// Expired at this time; whether a refresh can still renew it.
    Expired {
        expires: OffsetDateTime,
        refreshable: bool,
    },
}

/// The state of the session's token, from the file alone (no network).
pub fn token_state(session: &Session, env: &Env) -> TokenState {
    let Ok(dir) = store::dir(env) else {
        return TokenState::Missing;
    };
    match store::read_json::<Token>(&dir, &session.token_file(), TOKEN) {
        Ok(None) => match store::read(&dir, &session.token_file(), TOKEN) {
            Ok(None) => TokenState::Missing,
            _ => TokenState::Unreadable,
        },
        Err(_) => TokenState::Unreadable,
        Ok(Some(t)) => {
            let now = OffsetDateTime::now_utc();
            let refreshable = t.refreshable(now);
            match t.expires() {
                None => TokenState::Unreadable,
                Some(expires) if expires > now => TokenState::Valid {
                    expires,
                    refreshable,
                },
                Some(expires) => TokenState::Expired {
                    expires,
                    refreshable,
                },
            }
        }
    }
}

/// `explain`'s line for the session's token: `sso token: valid until T (in 3h), refreshable`,
/// `sso token: expired at T; run: awsdo login P`, `sso token: none; run: awsdo login P`.
pub fn token_line(session: &Session, env: &Env) -> String {
    let now = OffsetDateTime::now_utc();
    let refresh = |r: bool| if r { ", refreshable" } else { "" };
    let body = match token_state(session, env) {
        TokenState::Missing => format!("none; {}", session.hint()),
        TokenState::Unreadable => format!("unreadable; {}", session.hint()),
        TokenState::Valid {
            expires,
            refreshable,
        } => format!(
            "valid until {} (in {}){}",
            store::format_time(expires).unwrap_or_default(),
            human((expires - now).whole_seconds()),
            refresh(refreshable)
        ),
        TokenState::Expired {
            expires,
            refreshable: true,
        } => format!(
            "expired at {}, refreshed at the next use",
            store::format_time(expires).unwrap_or_default()
        ),
        TokenState::Expired { expires, .. } => format!(
            "expired at {}; {}",
            store::format_time(expires).unwrap_or_default(),
            session.hint()
        ),
    };
    format!("sso token: {body}")
}

/// `explain --json`'s `cache.sso_token` object: `session` (name or null), `start_url`, `region`,
/// `token_file`, `state` (`missing`, `unreadable`, `valid`, `expired`), `expiration` (RFC 3339
/// or null), `refreshable`.
pub fn token_json(session: &Session, env: &Env) -> serde_json::Value {
    let (state, expires, refreshable) = match token_state(session, env) {
        TokenState::Missing => ("missing", None, false),
        TokenState::Unreadable => ("unreadable", None, false),
        TokenState::Valid {
            expires,
            refreshable,
        } => ("valid", Some(expires), refreshable),
        TokenState::Expired {
            expires,
            refreshable,
        } => ("expired", Some(expires), refreshable),
    };
    serde_json::json!({
        "session": session.name,
        "start_url": session.start_url,
        "region": session.region,
        "token_file": store::dir(env).ok().map(|d| d.join(session.token_file()).display().to_string()),
        "state": state,
        "expiration": expires.and_then(store::format_time),
        "refreshable": refreshable,
    })
}

/// `1h5m`, `12m`, `40s` (as `explain` shows a duration).
fn human(secs: i64) -> String {
    let secs = secs.max(0);
    match (secs / 3600, (secs % 3600) / 60) {
        (0, 0) => format!("{secs}s"),
        (0, m) => format!("{m}m"),
        (h, 0) => format!("{h}h"),
        (h, m) => format!("{h}h{m}m"),
    }
}

/// Every SSO session the profiles use (`[sso-session]`s and legacy start URLs), once each,
/// named after the first profile that uses it.
pub fn sessions(profiles: &ProfileSet) -> Vec<Session> {
    let mut out: Vec<Session> = Vec::new();
    for name in profiles.profile_names() {
        let Some(p) = profiles.profile(name) else {
            continue;
        };
        let named = p.get("sso_session").map(str::to_owned);
        let section = named.as_deref().and_then(|n| profiles.sso_session(n));
        let get = |k: &str| section.and_then(|s| s.get(k)).or_else(|| p.get(k));
        let (Some(start_url), Some(region)) = (get("sso_start_url"), get("sso_region")) else {
            continue;
        };
        let s = Session {
            profile: name.to_owned(),
            name: named,
            start_url: start_url.to_owned(),
            region: region.to_owned(),
            scopes: None,
        };
        if !out.iter().any(|o| o.token_file() == s.token_file()) {
            out.push(s);
        }
    }
    out
}

/// `status`'s cell for an SSO profile's plan: `sso-session corp: 7h59m left` (or `expired`,
/// `expired, refreshed at next use`, `no token`; a legacy profile shows its start URL). `None`
/// for a plan without an SSO step.
pub fn status_cell(plan: &Plan, profiles: &ProfileSet, env: &Env) -> Option<String> {
    let session = Session::from_plan(plan, profiles)?;
    let label = match &session.name {
        Some(n) => format!("sso-session {n}"),
        None => format!("sso {}", session.start_url),
    };
    let now = OffsetDateTime::now_utc();
    let state = match token_state(&session, env) {
        TokenState::Missing => "no token".to_owned(),
        TokenState::Unreadable => "token unreadable".to_owned(),
        TokenState::Valid { expires, .. } => {
            format!("{} left", human((expires - now).whole_seconds()))
        }
        TokenState::Expired {
            refreshable: true, ..
        } => "expired, refreshed at next use".to_owned(),
        TokenState::Expired { .. } => "expired".to_owned(),
    };
    Some(format!("{label}: {state}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(vars: &[(&str, &str)]) -> Env {
        Env::from_pairs(vars.iter().copied())
    }

    #[test]
    fn the_flow_follows_the_browser_ssh_and_the_flag() {
        let b = |s: &str| Flow::Browser(s.to_owned());
        assert_eq!(
            Flow::choose(false, &env_of(&[("BROWSER", "firefox")])),
            b("firefox")
        );
        assert_eq!(
            Flow::choose(true, &env_of(&[("BROWSER", "firefox")])),
            Flow::Device(Some("firefox".into()))
        );
        assert_eq!(
            Flow::choose(
                false,
                &env_of(&[("BROWSER", "ff"), ("SSH_CONNECTION", "1 2 3 4")])
            ),
            Flow::Device(None)
        );
        assert_eq!(
            Flow::choose(
                false,
                &env_of(&[("DISPLAY", ":0"), ("SSH_TTY", "/dev/pts/1")])
            ),
            Flow::Device(None)
        );
        if !cfg!(target_os = "macos") {
            assert_eq!(
                Flow::choose(false, &env_of(&[("DISPLAY", ":0")])),
                b("xdg-open")
            );
            assert_eq!(Flow::choose(false, &env_of(&[])), Flow::Device(None));
        }
    }

    #[test]
    fn scopes_split_as_the_aws_cli_splits_them() {
        assert_eq!(
            parse_scopes(" sso:account:access, ,x "),
            ["sso:account:access", "x"]
        );
        assert!(parse_scopes(" , ").is_empty());
    }
}
