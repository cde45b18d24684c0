//! A profile's `credential_process`: run it (through `helper.rs`: the user's environment, a
//! deadline, a capped output) and read its Version 1 JSON.
//!
//! The output format is the AWS SDKs' "process credentials provider": `Version` (1),
//! `AccessKeyId`, `SecretAccessKey`, optional `SessionToken` and `Expiration`
//! (<https://docs.aws.amazon.com/sdkref/latest/guide/feature-process-credentials.html>).
//! `Expiration` is read as the AWS CLI reads it (see [`parse_expiration`]).

use anyhow::bail;
use serde::Deserialize;
use time::macros::format_description;
use time::{OffsetDateTime, PrimitiveDateTime, UtcOffset};

use crate::creds::Credentials;
use crate::helper::{Helpers, Kind};

/// The profiles whose `credential_process` is running above us, outermost first,
/// comma-separated: an `awsdo credential-process` below stops when asked for one of them (a
/// loop). Read by `cmd/session.rs`.
pub const CHAIN_VAR: &str = "AWSDO_CREDENTIAL_PROCESS_CHAIN";

/// Run `command`, the `credential_process` of `profile`, and return the credentials it printed.
///
/// Errors (one line, naming the profile, never the output): the helper's own (not started,
/// too slow, too much output); a non-zero exit (a nested awsdo's one `awsdo: …` line on stdout
/// becomes the error); output that is not Version 1 JSON; an `Expiration` that cannot be read
/// (the value is shown: it is not secret).
pub fn run(profile: &str, command: &str, helpers: &Helpers) -> anyhow::Result<Credentials> {
    #[derive(Deserialize)]
    #[serde(rename_all = "PascalCase")]
    struct Output {
        version: u32,
        access_key_id: String,
        secret_access_key: String,
        session_token: Option<String>,
        expiration: Option<String>,
    }
    let chain = match helpers.env.var(CHAIN_VAR) {
        Some(up) if !up.is_empty() => format!("{up},{profile}"),
        _ => profile.to_owned(),
    };
    let out = helpers.run(
        Kind::CredentialProcess,
        profile,
        command,
        &[(CHAIN_VAR, &chain)],
    )?;
    if !out.status.success() {
        let text = String::from_utf8_lossy(&out.stdout);
        if let Some(reason) = text.trim_end().strip_prefix("awsdo: ")
            && !reason.contains('\n')
        {
            bail!("{reason}");
        }
        bail!(
            "could not get credentials for profile {profile:?}: credential_process exited with {}",
            crate::helper::describe(out.status)
        );
    }
    let parsed: Output = serde_json::from_slice(&out.stdout).map_err(|_| {
        anyhow::anyhow!(
            "could not get credentials for profile {profile:?}: credential_process did not print Version 1 JSON"
        )
    })?;
    if parsed.version != 1 {
        bail!(
            "could not get credentials for profile {profile:?}: credential_process printed Version {}, expected 1",
            parsed.version
        );
    }
    let expiration = parsed
        .expiration
        .map(|e| {
            parse_expiration(&e).map_err(|why| {
                anyhow::anyhow!(
                    "could not get credentials for profile {profile:?}: credential_process printed Expiration {e:?}, {why}"
                )
            })
        })
        .transpose()?;
    Ok(Credentials {
        access_key_id: parsed.access_key_id,
        secret_access_key: parsed.secret_access_key,
        session_token: parsed.session_token,
        expiration,
    })
}

/// An `Expiration` as the AWS CLI reads it (botocore hands it to `dateutil.parser.parse`),
/// in UTC: RFC 2822 (`Tue, 01 Dec 2026 10:00:00 GMT`), or a date `YYYY-MM-DD`, `T`, `t` or a
/// space, `HH:MM[:SS[.fraction]]`, then a zone: `Z`/`z`, `UTC` or `GMT` (with or without a
/// space before), or an offset `+HH:MM`, `+HHMM` or `+HH` (or `-`) below 24 hours. A time
/// without a zone is refused: the AWS CLI cannot compare it with its clock either. `Err` is
/// the reason (not a sentence); an instant outside years 1-9999 in UTC is an error too, never
/// a panic.
pub fn parse_expiration(value: &str) -> Result<OffsetDateTime, &'static str> {
    const INVALID: &str = "expected a date and time with a zone, like 2026-12-01T10:00:00Z";
    let s = value.trim();
    // RFC 2822 (`Tue, 01 Dec 2026 10:00:00 GMT`), which dateutil reads too.
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc2822) {
        return to_utc(t);
    }
    let (local, offset) = split_zone(s).ok_or(INVALID)?;
    let format = format_description!(
        version = 2,
        "[year]-[month]-[day][first [T] [t] [ ]][hour]:[minute][optional [:[second][optional [.[subsecond]]]]]"
    );
    let local = PrimitiveDateTime::parse(local.trim_end(), format).map_err(|_| INVALID)?;
    to_utc(local.assume_offset(offset))
}

/// `t` in UTC, if that is within years 1–9999.
fn to_utc(t: OffsetDateTime) -> Result<OffsetDateTime, &'static str> {
    match t.checked_to_offset(UtcOffset::UTC) {
        Some(utc) if utc.year() >= 1 => Ok(utc),
        _ => Err("out of range"),
    }
}

/// Split `s` into its local date and time and its zone's offset; `None` when there is no
/// zone or it is not one of [`parse_expiration`]'s.
fn split_zone(s: &str) -> Option<(&str, UtcOffset)> {
    for name in ["Z", "z", "UTC", "GMT"] {
        if let Some(local) = s.strip_suffix(name) {
            return Some((local, UtcOffset::UTC));
        }
    }
    // The offset's sign comes after the time: past the date's own dashes ("YYYY-MM-DD").
    let at = s.rfind(['+', '-']).filter(|&i| i > 10)?;
    let (local, zone) = s.split_at(at);
    let sign: i8 = if zone.starts_with('-') { -1 } else { 1 };
    let digits = &zone[1..];
    let (h, m) = match digits.len() {
        2 => (digits, "00"),
        4 => digits.split_at(2),
        5 if digits.as_bytes()[2] == b':' => (&digits[..2], &digits[3..]),
        _ => return None,
    };
    let number = |t: &str| -> Option<i8> {
        t.bytes()
            .all(|b| b.is_ascii_digit())
            .then(|| t.parse().ok())
            .flatten()
    };
    let (h, m) = (number(h)?, number(m)?);
    if h >= 24 || m >= 60 {
        return None;
    }
    UtcOffset::from_hms(sign * h, sign * m, 0)
        .ok()
        .map(|o| (local, o))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<i64> {
        parse_expiration(s).ok().map(|t| t.unix_timestamp())
    }

    #[test]
    fn the_forms_the_aws_cli_accepts() {
        let t = 1_796_119_200; // 2026-12-01T10:00:00Z
        for s in [
            "2026-12-01T10:00:00Z",
            "2026-12-01T10:00:00z",
            "2026-12-01t10:00:00Z",
            "2026-12-01T10:00:00+0000",
            "2026-12-01T10:00:00+00:00",
            "2026-12-01T10:00:00-00",
            "2026-12-01 10:00:00 UTC",
            "2026-12-01 10:00:00UTC",
            "2026-12-01 10:00:00 GMT",
            "2026-12-01T10:00Z",
            "2026-12-01T10:00:00.123456789Z",
            "2026-12-01T11:30:00+01:30",
            "2026-12-01T08:00:00-0200",
            " 2026-12-01T10:00:00Z\n",
            "Tue, 01 Dec 2026 10:00:00 GMT",
            "Tue, 01 Dec 2026 11:00:00 +0100",
        ] {
            assert_eq!(utc(s), Some(t), "{s}");
        }
    }

    #[test]
    fn what_it_refuses_and_why() {
        for s in [
            "",
            "garbage",
            "2026-12-01T10:00:00",
            "2026-12-01",
            "1796119200",
            "2026-12-01T10:00:00+24:00",
            "2026-12-01T10:00:00+0060",
            "2026-12-01T10:00:00+1",
            "2026-13-01T10:00:00Z",
            "2026-12-01T10:00:00 PST",
        ] {
            assert_eq!(
                parse_expiration(s).err(),
                Some("expected a date and time with a zone, like 2026-12-01T10:00:00Z"),
                "{s:?}"
            );
        }
        assert_eq!(
            parse_expiration("9999-12-31T23:59:59-00:01").err(),
            Some("out of range")
        );
        assert_eq!(
            parse_expiration("0001-01-01T00:00:00+00:01").err(),
            Some("out of range")
        );
        assert!(utc("9999-12-31T23:59:59Z").is_some());
    }
}
