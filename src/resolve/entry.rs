//! What the resolver keeps in the cache: a profile's final credentials, MFA sessions shared
//! per long-lived key, device and length, MFA device discoveries; and the digest names of the
//! entries derived from a long-lived key (never the key itself).

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::OffsetDateTime;

use crate::creds::Credentials;
use crate::plan::hex;

/// Reuse credentials while more than this is left, unless `AWSDO_MIN_TTL` says otherwise.
pub const DEFAULT_MIN_TTL: Duration = Duration::from_secs(15 * 60);
pub(super) const ENTRY_VERSION: u32 = 1;

/// A profile's cached final credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ProfileEntry {
    pub version: u32,
    /// `Plan::cache_key` of the plan that made it; another key is a miss.
    pub key: String,
    pub profile: String,
    pub region: Option<String>,
    pub credentials: Credentials,
    /// Whether renewing needs an MFA code (no fresh MFA session to assume from).
    #[serde(default)]
    pub mfa: bool,
    /// Seconds STS's clock was ahead of ours when these arrived (negative: behind).
    #[serde(default)]
    pub clock_skew: i64,
}

impl ProfileEntry {
    /// Whether the entry may be reused: more than `min_ttl` left by STS's clock. An entry
    /// whose times cannot be judged (a skew that puts STS's clock out of range) is not fresh.
    pub fn fresh(&self, min_ttl: Duration) -> bool {
        sts_now(self.clock_skew).is_some_and(|now| self.credentials.fresh_for(now, min_ttl))
    }
}

/// STS's time as best known: the local clock, moved forward by `clock_skew` when STS was seen
/// ahead of it (a clock behind STS would otherwise reuse credentials that are dead at AWS).
/// A local clock seen ahead of STS is not moved back: if it is corrected later, the skew
/// recorded now would then make dead credentials look alive. `None` when the result is out of
/// range (a skew of centuries read from a damaged entry): the caller treats that as a miss.
pub(super) fn sts_now(clock_skew: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::now_utc().checked_add(time::Duration::seconds(clock_skew.max(0)))
}

/// A GetSessionToken session made with MFA.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct MfaSessionEntry {
    pub(super) version: u32,
    pub(super) mfa_serial: String,
    /// The session length asked for: a session of another length is not served (absent in
    /// entries from before it was recorded, which then count as misses).
    #[serde(default)]
    pub(super) duration_seconds: Option<u64>,
    pub(super) credentials: Credentials,
    /// As `ProfileEntry::clock_skew`.
    #[serde(default)]
    pub(super) clock_skew: i64,
    /// Who it was made for: the profile the user asked for and the profile whose long-lived
    /// keys made it. `logout PROFILE` finds the session from these, on disk, even after the
    /// key has rotated and the current config no longer leads to the entry's name.
    #[serde(default)]
    pub(super) profiles: Vec<String>,
}

/// The owners recorded in an MFA session entry, read by `logout`.
#[derive(Debug, Deserialize)]
pub struct MfaSessionOwners {
    /// As `MfaSessionEntry::profiles`; empty for entries of earlier versions.
    #[serde(default)]
    pub profiles: Vec<String>,
}

/// What discovery found for one long-lived key.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DiscoveryEntry {
    pub version: u32,
    pub access_key_id: String,
    pub user_arn: Option<String>,
    /// Device serials; empty when the user has none.
    pub devices: Vec<String>,
    /// The device chosen when there are several.
    pub chosen: Option<String>,
}

impl DiscoveryEntry {
    /// The device to use without asking: the chosen one, or the only one.
    pub fn device(&self) -> Option<String> {
        match (&self.chosen, self.devices.as_slice()) {
            (Some(c), _) => Some(c.clone()),
            (None, [one]) => Some(one.clone()),
            _ => None,
        }
    }
}

/// The cache name of the MFA session for a long-lived key, device and session length: a
/// `-d 1h` session neither is served for nor replaces the 12-hour one the roles share.
pub(super) fn mfa_session_name(source: &Credentials, serial: &str, duration: Duration) -> String {
    key_digest(
        &source.access_key_id,
        &format!(
            "{}\0{serial}\0{}",
            digest(&source.secret_access_key),
            duration.as_secs()
        ),
    )
}

/// The cache name for something derived from a long-lived key (never the key itself).
pub(super) fn key_digest(access_key_id: &str, extra: &str) -> String {
    digest(&format!("{access_key_id}\0{extra}"))
}

fn digest(s: &str) -> String {
    hex(&Sha256::digest(s.as_bytes()))[..32].to_owned()
}
