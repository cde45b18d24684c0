//! Credentials as awsdo hands them out, and how long they stay good.
//!
//! `Debug` never shows the secret key or the session token: a credential may end up in an error
//! chain or a debug log, and neither may carry a secret.

use std::fmt;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A set of AWS credentials: long-lived (no expiry) or temporary (token and expiry).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Credentials {
    /// The access key id; not a secret (it appears in CloudTrail and in `aws configure list`).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_token: Option<String>,
    /// When temporary credentials stop working; `None` for long-lived keys.
    #[serde(default, with = "rfc3339_opt", skip_serializing_if = "Option::is_none")]
    pub expiration: Option<OffsetDateTime>,
}

impl Credentials {
    /// Time left until expiry (zero once expired); `None` when the credentials do not expire.
    /// Never panics: any two representable times have a representable difference (at most
    /// about 20,000 years).
    pub fn remaining(&self, now: OffsetDateTime) -> Option<Duration> {
        self.expiration
            .map(|exp| Duration::try_from(exp - now).unwrap_or(Duration::ZERO))
    }

    /// Whether the credentials stay good for more than `min_ttl` from `now`.
    pub fn fresh_for(&self, now: OffsetDateTime, min_ttl: Duration) -> bool {
        self.remaining(now).is_none_or(|left| left > min_ttl)
    }

    /// Refuse credentials that are already expired by this machine's clock when they arrive.
    ///
    /// STS states the expiry in its own time (`Expiration`), and awsdo trusts that over any
    /// duration it asked for; but when the local clock runs ahead of STS by more than the
    /// session's life, the answer is already dead here, and handing it out would only move the
    /// failure into the user's command. Credentials that are merely short-lived (less than the
    /// reuse window) are handed out for this run and never reused from the cache.
    pub fn check_not_expired(&self, now: OffsetDateTime, profile: &str) -> anyhow::Result<()> {
        match self.expiration {
            Some(exp) if exp <= now => anyhow::bail!(
                "could not get credentials for profile {profile:?}: they expired at {} before they arrived (local time {}); check the system clock",
                format_utc(exp).unwrap_or_default(),
                format_utc(now).unwrap_or_default()
            ),
            _ => Ok(()),
        }
    }

    /// Whether these are long-lived IAM user keys (no session token).
    pub fn is_long_lived(&self) -> bool {
        self.session_token.is_none()
    }

    /// The expiry as RFC 3339 in UTC (`2026-11-28T19:00:00Z`).
    pub fn expiration_rfc3339(&self) -> Option<String> {
        self.expiration.and_then(|exp| format_utc(exp).ok())
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field(
                "session_token",
                &self.session_token.as_ref().map(|_| "<redacted>"),
            )
            .field("expiration", &self.expiration_rfc3339())
            .finish()
    }
}

/// Warn on stderr when the credentials file (long-lived secrets) can be read or written by other
/// users. The warning is shown once per (file, inode, mode): remembered in the cache directory,
/// so the prompt hook does not repeat it at every prompt; `chmod` or a new file shows it again
/// if still needed. Without a cache (`--disable-cache`) nothing is remembered and it is shown
/// every run. A missing file is fine.
pub fn warn_if_shared(path: &std::path::Path, cache: Option<&crate::cache::Cache>) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(path) else {
        return;
    };
    if meta.mode() & 0o077 == 0 {
        return;
    }
    let state = format!(
        "{}\n{}:{}:{:o}\n",
        path.display(),
        meta.dev(),
        meta.ino(),
        meta.mode() & 0o7777
    );
    if cache.is_none_or(|c| c.remember("credentials-file-mode", &state)) {
        eprintln!(
            "awsdo: warning: {} is readable by other users; run: chmod 600 {0}",
            crate::escape::escape(&path.display().to_string())
        );
    }
}

/// Every variable awsdo sets, plus the legacy and profile variables it clears so that nothing
/// inherited competes with the credentials it hands over.
pub const CREDENTIAL_VARS: &[&str] = &[
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_CREDENTIAL_EXPIRATION",
];

impl Credentials {
    /// The variables of DESIGN §5, in a fixed order: keys, token, expiry and, when a region is
    /// named, `AWS_REGION` and `AWS_DEFAULT_REGION`.
    pub fn env_vars(&self, region: Option<&str>) -> Vec<(&'static str, String)> {
        let mut vars = vec![
            ("AWS_ACCESS_KEY_ID", self.access_key_id.clone()),
            ("AWS_SECRET_ACCESS_KEY", self.secret_access_key.clone()),
        ];
        if let Some(token) = &self.session_token {
            vars.push(("AWS_SESSION_TOKEN", token.clone()));
        }
        if let Some(exp) = self.expiration_rfc3339() {
            vars.push(("AWS_CREDENTIAL_EXPIRATION", exp));
        }
        if let Some(region) = region {
            vars.push(("AWS_REGION", region.to_owned()));
            vars.push(("AWS_DEFAULT_REGION", region.to_owned()));
        }
        vars
    }
}

/// `t` as RFC 3339 in UTC with whole seconds, the form AWS SDKs read from
/// `AWS_CREDENTIAL_EXPIRATION` and `credential_process` output.
/// Errors (never panics) when `t` is not representable in UTC (year 9999 with a negative
/// offset) or outside the years RFC 3339 can write (0000 to 9999).
pub fn format_utc(t: OffsetDateTime) -> Result<String, time::error::Format> {
    let t = t
        .checked_to_offset(time::UtcOffset::UTC)
        .ok_or(time::error::Format::InvalidComponent("offset"))?;
    let t = t.replace_nanosecond(0).unwrap_or(t);
    t.format(&Rfc3339)
}

/// An RFC 3339 time (`2026-11-28T19:00:00Z`, any offset), converted to UTC; `None` when it
/// is malformed or not representable in UTC (`9999-12-31T23:59:59-00:01`). Times read from
/// the cache go through this, so every later computation starts from a UTC time in range.
pub fn parse_utc(text: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text, &Rfc3339)
        .ok()?
        .checked_to_offset(time::UtcOffset::UTC)
}

mod rfc3339_opt {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub fn serialize<S: Serializer>(v: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
        match v {
            Some(t) => s.serialize_str(&super::format_utc(*t).map_err(serde::ser::Error::custom)?),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<OffsetDateTime>, D::Error> {
        let v: Option<String> = Option::deserialize(d)?;
        v.map(|s| {
            super::parse_utc(&s)
                .ok_or_else(|| serde::de::Error::custom("not an RFC 3339 time in UTC range"))
        })
        .transpose()
    }
}

/// A session length from the command line: `1h`, `90m`, `1h30m`, `45s`, `3600` or `3600s`.
pub fn parse_duration(text: &str) -> anyhow::Result<Duration> {
    let bad = || {
        anyhow::anyhow!(
            "invalid duration {text:?}: use a number of seconds or a form like 1h, 90m, 1h30m"
        )
    };
    let text = text.trim();
    if text.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut digits = String::new();
    for ch in text.chars() {
        if ch.is_ascii_digit() {
            digits.push(ch);
            continue;
        }
        let unit = match ch {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(bad()),
        };
        let n: u64 = digits.parse().map_err(|_| bad())?;
        total = n
            .checked_mul(unit)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
        digits.clear();
    }
    if !digits.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake() -> Credentials {
        Credentials {
            access_key_id: "ASIAFAKEFAKEFAKE".into(),
            secret_access_key: "fake-secret-do-not-print".into(),
            session_token: Some("fake-token-do-not-print".into()),
            expiration: Some(time::macros::datetime!(2026-11-28 19:00:00 UTC)),
        }
    }

    #[test]
    fn debug_redacts_secret_and_token() {
        let text = format!("{:?}", fake());
        assert!(!text.contains("fake-secret"), "{text}");
        assert!(!text.contains("fake-token"), "{text}");
        assert!(text.contains("ASIAFAKEFAKEFAKE"));
        assert!(text.contains("2026-11-28T19:00:00Z"));
    }

    #[test]
    fn serde_round_trip_uses_rfc3339_utc() {
        let json = serde_json::to_string(&fake()).unwrap();
        assert!(
            json.contains(r#""Expiration":"2026-11-28T19:00:00Z""#),
            "{json}"
        );
        let back: Credentials = serde_json::from_str(&json).unwrap();
        assert_eq!(back, fake());
    }

    #[test]
    fn freshness_keeps_a_margin() {
        let c = fake();
        let now = time::macros::datetime!(2026-11-28 18:50:00 UTC);
        assert!(!c.fresh_for(now, Duration::from_secs(15 * 60)));
        assert!(c.fresh_for(now, Duration::from_secs(5 * 60)));
        let later = time::macros::datetime!(2026-11-28 20:00:00 UTC);
        assert_eq!(c.remaining(later), Some(Duration::ZERO));
    }

    #[test]
    fn credentials_expired_on_arrival_are_refused() {
        let c = fake();
        let before = time::macros::datetime!(2026-11-28 18:59:00 UTC);
        assert!(c.check_not_expired(before, "dev").is_ok());
        let after = time::macros::datetime!(2026-11-28 19:00:00 UTC);
        let err = c.check_not_expired(after, "dev").unwrap_err().to_string();
        assert!(err.contains("check the system clock"), "{err}");
        assert!(
            !err.contains("fake-secret") && !err.contains("fake-token"),
            "{err}"
        );
    }

    #[test]
    fn absurd_times_never_panic() {
        // Not representable in UTC: refused when read.
        assert_eq!(parse_utc("9999-12-31T23:59:59-00:01"), None);
        let json = |exp: &str| {
            format!(r#"{{"AccessKeyId":"A","SecretAccessKey":"s","Expiration":"{exp}"}}"#)
        };
        assert!(serde_json::from_str::<Credentials>(&json("9999-12-31T23:59:59-00:01")).is_err());
        // Extreme but representable: every computation answers.
        for exp in [
            "9999-12-31T23:59:59Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:60+23:59",
        ] {
            let Ok(c) = serde_json::from_str::<Credentials>(&json(exp)) else {
                continue;
            };
            for now in [
                OffsetDateTime::now_utc(),
                time::macros::datetime!(-9999-01-01 00:00:00 UTC),
                time::macros::datetime!(9999-12-31 23:59:59 UTC),
            ] {
                let _ = c.remaining(now);
                let _ = c.fresh_for(now, Duration::MAX);
                let _ = c.check_not_expired(now, "p");
            }
            let _ = c.env_vars(None);
            let _ = format!("{c:?}");
        }
        let far = time::macros::datetime!(9999-12-31 23:59:59 -00:01);
        assert!(format_utc(far).is_err());
        let early = time::macros::datetime!(-0001-01-01 00:00:00 UTC);
        assert!(format_utc(early).is_err());
    }

    #[test]
    fn durations_in_every_documented_form() {
        for (text, secs) in [
            ("1h", 3600),
            ("90m", 5400),
            ("1h30m", 5400),
            ("3600", 3600),
            ("3600s", 3600),
            ("45s", 45),
        ] {
            assert_eq!(
                parse_duration(text).unwrap(),
                Duration::from_secs(secs),
                "{text}"
            );
        }
        for bad in ["", "h", "1x", "1h30", "-5", "1.5h"] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
    }
}
