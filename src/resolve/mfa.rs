//! MFA for the resolver: the device of a session-token step (the plan's, or discovered for the
//! long-lived key; [`Resolver::known_device`] is the one rule, also for `logout` and `explain`),
//! MFA sessions shared through the cache, and codes asked again when STS rejects a typed one.

use std::time::Duration;

use anyhow::bail;

use super::entry::{
    DiscoveryEntry, ENTRY_VERSION, MfaSessionEntry, key_digest, mfa_session_name, sts_now,
};
use super::{Resolver, warn_unsaved};
use crate::cache::{Cache, Kind};
use crate::creds::Credentials;
use crate::error::MfaRejected;
use crate::log::debug;
use crate::mfa::{Origin, TRIES};
use crate::plan::{MfaFields, MfaFrom};

/// A session-token step's MFA device as far as it is known without a call.
#[derive(Debug, Clone)]
pub enum Device {
    /// This device: the plan's, or the one a cached discovery found (or chose) for the key.
    Use(String),
    /// No MFA: the plan names no device and none is to be discovered, or a discovery found none.
    NoMfa,
    /// Still to be discovered (`None`), or to be chosen among the several a discovery found.
    Undecided(Option<DiscoveryEntry>),
}

impl Device {
    /// What a discovery's findings decide: the chosen or only device, none, or a choice.
    fn from_discovery(found: DiscoveryEntry) -> Device {
        match found.device() {
            Some(d) => Device::Use(d),
            None if found.devices.is_empty() => Device::NoMfa,
            None => Device::Undecided(Some(found)),
        }
    }
}

impl Resolver<'_> {
    /// The device of a session-token step with `mfa`, from the plan and the cache alone (no
    /// network, no prompt): the one rule `resolve`, `logout` and `explain` share.
    pub fn known_device(&self, mfa: &MfaFields, access_key_id: &str) -> Device {
        if let Some(serial) = &mfa.mfa_serial {
            return Device::Use(serial.clone());
        }
        if mfa.mfa_serial_from != MfaFrom::Discovered {
            return Device::NoMfa;
        }
        match self.cached_discovery(access_key_id) {
            Some(found) => Device::from_discovery(found),
            None => Device::Undecided(None),
        }
    }

    /// The device for a session-token step: the plan's, or discovered for the long-lived key
    /// (and chosen, when it has several).
    pub(super) fn mfa_device(
        &self,
        profile: &str,
        mfa: &MfaFields,
        source: &Credentials,
        region: &str,
    ) -> anyhow::Result<Option<(String, Option<String>)>> {
        if mfa.mfa_serial.is_none() && !source.is_long_lived() {
            return Ok(None);
        }
        let mut device = self.known_device(mfa, &source.access_key_id);
        if matches!(device, Device::Undecided(None)) {
            let d = self.discover(source, region);
            if let (Some(cache), Some(d)) = (&self.cache, &d) {
                warn_unsaved(cache.write(
                    Kind::Discovery,
                    &key_digest(&source.access_key_id, ""),
                    d,
                ));
            }
            device = d.map_or(Device::NoMfa, Device::from_discovery);
        }
        let serial = match device {
            Device::Use(s) => s,
            Device::NoMfa | Device::Undecided(None) => return Ok(None),
            Device::Undecided(Some(found)) => {
                self.choose_device(profile, &found.devices, &source.access_key_id, &found)?
            }
        };
        if mfa.mfa_serial.is_none() {
            debug(&format!(
                "profile {profile}: MFA device {serial} (discovered)"
            ));
        }
        Ok(Some((serial, mfa.mfa_process.clone())))
    }

    /// GetCallerIdentity + ListMFADevices. Denied or failing discovery is not an error: the
    /// user may simply lack iam:ListMFADevices, and then MFA is skipped.
    pub(super) fn discover(&self, source: &Credentials, region: &str) -> Option<DiscoveryEntry> {
        let arn = match self.net.caller_arn(source, region) {
            Ok(a) => a,
            Err(e) => {
                debug(&format!("MFA discovery skipped: {e:#}"));
                return None;
            }
        };
        // arn:aws:iam::123456789012:user/some/path/alice: the user name is the last segment.
        let user = arn
            .split_once(":user/")
            .map(|(_, path)| path.rsplit('/').next().unwrap_or(path).to_owned());
        let devices = match &user {
            Some(u) => match self.net.list_mfa_devices(source, u) {
                Ok(d) => d,
                Err(e) => {
                    debug(&format!("MFA discovery skipped: {e:#}"));
                    return None;
                }
            },
            None => Vec::new(),
        };
        Some(DiscoveryEntry {
            version: ENTRY_VERSION,
            access_key_id: source.access_key_id.clone(),
            user_arn: Some(arn),
            devices,
            chosen: None,
        })
    }

    pub(super) fn choose_device(
        &self,
        profile: &str,
        devices: &[String],
        access_key_id: &str,
        found: &DiscoveryEntry,
    ) -> anyhow::Result<String> {
        let chosen = crate::mfa::choose(profile, devices, self.codes.may_prompt)?;
        if let Some(cache) = &self.cache {
            let mut d = found.clone();
            d.chosen = Some(chosen.clone());
            warn_unsaved(cache.write(Kind::Discovery, &key_digest(access_key_id, ""), &d));
        }
        Ok(chosen)
    }

    /// A GetSessionToken session made with MFA: from the cache while fresh, else one code.
    /// Returns the session and the name of its cache entry. `owners`: the profile the user
    /// asked for (named in prompts and errors), then the profiles whose keys make the session;
    /// all are recorded in the entry.
    pub(super) fn mfa_session(
        &self,
        owners: &[&str],
        source: &Credentials,
        region: &str,
        serial: &str,
        process: Option<&str>,
        duration: Duration,
    ) -> anyhow::Result<(Credentials, Option<String>)> {
        let profile = owners.first().copied().unwrap_or_default();
        let name = mfa_session_name(source, serial, duration);
        let fresh = |cache: &Cache| -> Option<Credentials> {
            cache
                .read::<MfaSessionEntry>(Kind::MfaSession, &name)
                .ok()
                .flatten()
                .filter(|e| e.version == ENTRY_VERSION && e.mfa_serial == serial)
                .filter(|e| e.duration_seconds == Some(duration.as_secs()))
                .filter(|e| {
                    sts_now(e.clock_skew)
                        .is_some_and(|now| e.credentials.fresh_for(now, self.min_ttl))
                })
                .map(|e| e.credentials)
        };
        let Some(cache) = &self.cache else {
            let creds = self.with_code(profile, serial, process, |code| {
                self.net
                    .get_session_token(source, region, duration, Some((serial, code)))
            })?;
            return Ok((creds, None));
        };
        if let Some(c) = fresh(cache) {
            debug(&format!(
                "profile {profile}: using the cached MFA session for {serial}"
            ));
            return Ok((c, Some(name)));
        }
        let _lock = cache.lock(
            Kind::MfaSession,
            &name,
            self.deadline,
            &format!("profile {profile:?}"),
        )?;
        if let Some(c) = fresh(cache) {
            return Ok((c, Some(name)));
        }
        let creds = self.with_code(profile, serial, process, |code| {
            self.net
                .get_session_token(source, region, duration, Some((serial, code)))
        })?;
        let mut profiles: Vec<String> = Vec::new();
        for o in owners {
            if !profiles.iter().any(|p| p == o) {
                profiles.push((*o).to_owned());
            }
        }
        warn_unsaved(cache.write(
            Kind::MfaSession,
            &name,
            &MfaSessionEntry {
                version: ENTRY_VERSION,
                mfa_serial: serial.to_owned(),
                duration_seconds: Some(duration.as_secs()),
                credentials: creds.clone(),
                clock_skew: self.net.clock_skew().unwrap_or(0),
                profiles,
            },
        ));
        Ok((creds, Some(name)))
    }

    /// Call `f` with a code, asking again (up to three codes) when STS rejects a typed one.
    pub(super) fn with_code(
        &self,
        profile: &str,
        serial: &str,
        process: Option<&str>,
        mut f: impl FnMut(&str) -> anyhow::Result<Credentials>,
    ) -> anyhow::Result<Credentials> {
        for attempt in 0..TRIES {
            let (code, origin) = self.codes.code(profile, serial, process, attempt)?;
            match f(&code) {
                Err(e) if e.is::<MfaRejected>() => {
                    if origin != Origin::Terminal || attempt + 1 == TRIES {
                        let how = match origin {
                            Origin::Flag => "check the code passed with -c",
                            Origin::Process => "check mfa_process",
                            Origin::Terminal => "wait for a new code and run the command again",
                        };
                        bail!(
                            "could not get credentials for profile {profile:?}: the MFA code for {serial} was rejected; {how}"
                        );
                    }
                }
                other => return other,
            }
        }
        bail!(
            "could not get credentials for profile {profile:?}: the MFA code for {serial} was rejected {TRIES} times"
        )
    }
}
