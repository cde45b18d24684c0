//! Checks on every answer: the clock skew from its `Date` header, and credentials that cannot
//! be real refused.

use std::sync::{Arc, Mutex};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;
use aws_smithy_types::date_time::{DateTime, Format};
use time::OffsetDateTime;

use super::{MAX_CLOCK_SKEW, MAX_EXPIRY_AHEAD};
use crate::creds::Credentials;

/// Learns how far the service's clock is from ours from the `Date` header of each answer: an
/// `Expiration` is in the service's time, and the cache must judge it by that time.
#[derive(Debug, Clone, Default)]
pub(crate) struct SkewProbe(pub(super) Arc<Mutex<Option<i64>>>);

impl Intercept for SkewProbe {
    fn name(&self) -> &'static str {
        "awsdo clock skew"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _: &RuntimeComponents,
        _: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let date = context.response().headers().get("date");
        if let Some(skew) = date.and_then(|d| skew_from_date(d, OffsetDateTime::now_utc())) {
            *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(skew);
        }
        Ok(())
    }
}

/// How far (seconds, positive: ahead) the clock of an answer's `Date` header (an HTTP date)
/// is from `now`; `None` when the header does not parse, or when the difference is beyond
/// `MAX_CLOCK_SKEW` (logged: such a header is broken, not a clock to trust).
pub fn skew_from_date(date: &str, now: OffsetDateTime) -> Option<i64> {
    let server = DateTime::from_str(date, Format::HttpDate).ok()?;
    let skew = server.secs().checked_sub(now.unix_timestamp());
    match skew {
        Some(s) if s.checked_abs().is_some_and(|a| a <= MAX_CLOCK_SKEW) => Some(s),
        _ => {
            crate::log::debug(&format!(
                "ignoring the Date header {date:?}: more than {MAX_CLOCK_SKEW}s from the local clock"
            ));
            None
        }
    }
}

/// Refuse credentials from an answer that cannot be real: an empty access key id, secret key
/// or session token (every STS, SSO and instance/container answer carries all three), a
/// missing expiry, or one more than `MAX_EXPIRY_AHEAD` after `now`. The reason names the field
/// and never a secret.
pub fn checked_credentials(c: Credentials, now: OffsetDateTime) -> anyhow::Result<Credentials> {
    for (field, value) in [
        ("AccessKeyId", Some(c.access_key_id.as_str())),
        ("SecretAccessKey", Some(c.secret_access_key.as_str())),
        ("SessionToken", c.session_token.as_deref()),
    ] {
        anyhow::ensure!(
            value.is_some_and(|v| !v.trim().is_empty()),
            "the answer has an empty {field}"
        );
    }
    let Some(expiration) = c.expiration else {
        anyhow::bail!("the answer has no valid Expiration");
    };
    let latest =
        now.checked_add(time::Duration::try_from(MAX_EXPIRY_AHEAD).unwrap_or(time::Duration::MAX));
    anyhow::ensure!(
        latest.is_none_or(|l| expiration <= l),
        "the answer's Expiration ({}) is more than {} days away",
        crate::creds::format_utc(expiration).unwrap_or_else(|_| "out of range".to_owned()),
        MAX_EXPIRY_AHEAD.as_secs() / 86400
    );
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_skew_beyond_a_day_is_ignored() {
        let now = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        // 1_795_000_000 is Wed, 18 Nov 2026 11:06:40 GMT.
        assert_eq!(
            skew_from_date("Wed, 18 Nov 2026 11:06:40 GMT", now),
            Some(0)
        );
        assert_eq!(
            skew_from_date("Wed, 18 Nov 2026 12:06:40 GMT", now),
            Some(3600)
        );
        assert_eq!(skew_from_date("Fri, 31 Dec 9999 23:59:59 GMT", now), None);
        assert_eq!(skew_from_date("Mon, 01 Jan 0001 00:00:00 GMT", now), None);
        assert_eq!(skew_from_date("not a date", now), None);
        let edge = OffsetDateTime::from_unix_timestamp(1_795_000_000 + MAX_CLOCK_SKEW).unwrap();
        assert_eq!(
            skew_from_date("Wed, 18 Nov 2026 11:06:40 GMT", edge),
            Some(-MAX_CLOCK_SKEW)
        );
    }

    #[test]
    fn credentials_with_an_empty_key_or_an_absurd_expiry_are_refused() {
        let now = OffsetDateTime::from_unix_timestamp(1_795_000_000).unwrap();
        let good = Credentials {
            access_key_id: "ASIAFAKE".to_owned(),
            secret_access_key: "fake-secret".to_owned(),
            session_token: Some("fake-token".to_owned()),
            expiration: Some(now + time::Duration::hours(1)),
        };
        assert!(checked_credentials(good.clone(), now).is_ok());
        let why = |c: Credentials| checked_credentials(c, now).unwrap_err().to_string();
        let mut c = good.clone();
        c.access_key_id.clear();
        assert_eq!(why(c), "the answer has an empty AccessKeyId");
        let mut c = good.clone();
        c.secret_access_key = " ".to_owned();
        assert_eq!(why(c), "the answer has an empty SecretAccessKey");
        let mut c = good.clone();
        c.session_token = None;
        assert_eq!(why(c), "the answer has an empty SessionToken");
        let mut c = good.clone();
        c.expiration = None;
        assert_eq!(why(c), "the answer has no valid Expiration");
        let mut c = good.clone();
        c.expiration = Some(time::macros::datetime!(9999-12-31 23:59:59 UTC));
        assert!(why(c).contains("(9999-12-31T23:59:59Z) is more than 7 days away"));
        // Time arithmetic near the end of the representable range does not panic.
        let end = time::macros::datetime!(9999-12-31 23:59:59 UTC);
        assert!(checked_credentials(good, end).is_ok());
    }
}
