//! The chain walk: `source_profile` followed from the selected profile to the one holding the
//! long-lived source, and every per-key rule of DESIGN §3 ("Keys along a chain"), each one
//! method of [`Chain`].

use std::time::Duration;

use anyhow::bail;

use super::{MAX_CHAIN, MfaFields, MfaFrom, NO_FLAGS, Overrides};
use crate::config::{Profile, ProfileSet};

/// Where a value came from: a flag or a profile (by name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum ValueFrom {
    Flag(&'static str),
    Profile(String),
}

impl ValueFrom {
    pub(super) fn label(&self) -> String {
        match self {
            ValueFrom::Flag(f) => (*f).to_owned(),
            ValueFrom::Profile(p) => p.clone(),
        }
    }
}

/// How a link's credentials are obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Via<'a> {
    /// From the next link (its `source_profile`, or `-s`).
    Next,
    /// The profile's own credentials, whatever they are (static keys, SSO, credential_process,
    /// a credential_source without a role): the end of the chain.
    Own,
    /// The profile's own static keys: a role profile that names itself as `source_profile`.
    OwnKeys,
    /// `credential_source`, with the role on top.
    CredentialSource(&'a str),
    /// `web_identity_token_file`: the role is assumed with the token.
    WebIdentity(&'a str),
}

/// One profile of a chain.
#[derive(Debug)]
pub(super) struct Link<'a> {
    pub(super) name: &'a str,
    /// `None` only for a selected profile that does not exist, used with `-r` and `-s`.
    pub(super) profile: Option<&'a Profile>,
    /// The role this profile assumes and where its ARN came from; `None` at a plain source.
    pub(super) role: Option<(&'a str, ValueFrom)>,
    pub(super) source: Via<'a>,
}

impl<'a> Link<'a> {
    pub(super) fn get(&self, key: &str) -> Option<&'a str> {
        self.profile
            .and_then(|p| p.get(key))
            .filter(|v| !v.is_empty())
    }
}

/// A profile's `source_profile` chain with the flags applied: the links from the selected
/// profile (first) to the one whose own credentials start it (last). Every per-key rule of
/// DESIGN §3 is a method here.
pub(super) struct Chain<'a> {
    pub(super) profiles: &'a ProfileSet,
    pub(super) overrides: &'a Overrides,
    pub(super) selected: &'a str,
    pub(super) links: Vec<Link<'a>>,
}

impl<'a> Chain<'a> {
    /// Follow `source_profile` from `selected`, iteratively: at most [`MAX_CHAIN`] links, and a
    /// profile met twice is a loop.
    pub(super) fn walk(
        profiles: &'a ProfileSet,
        selected: &'a str,
        overrides: &'a Overrides,
    ) -> anyhow::Result<Chain<'a>> {
        let mut links: Vec<Link<'a>> = Vec::new();
        let mut name = selected;
        loop {
            if let Some(at) = links.iter().position(|l| l.name == name) {
                let mut cycle: Vec<&str> = links[at..].iter().map(|l| l.name).collect();
                cycle.push(name);
                bail!(
                    "could not resolve profile {selected:?}: source_profile loop {}",
                    cycle.join(" -> ")
                );
            }
            let first = links.is_empty();
            // Flags apply to the selected profile only.
            let flags = if first { overrides } else { &NO_FLAGS };
            let profile = match profiles.profile(name) {
                Some(p) => Some(p),
                // `-s NAME -r ARN` stands on its own: the selected profile only adds settings.
                None if first && flags.role_arn.is_some() && flags.source_profile.is_some() => None,
                None => return Err(not_found(profiles, name)),
            };
            let get = |key: &str| profile.and_then(|p| p.get(key)).filter(|v| !v.is_empty());
            let config_role = get("role_arn");
            let role = match (&flags.role_arn, config_role) {
                (Some(r), _) => Some((r.as_str(), ValueFrom::Flag("-r"))),
                (None, Some(r)) => Some((r, ValueFrom::Profile(name.to_owned()))),
                (None, None) => None,
            };
            // Every link before this one assumes a role; the walk stays bounded.
            if role.is_some() && links.len() == MAX_CHAIN {
                bail!(
                    "could not resolve profile {selected:?}: its source_profile chain has more than {MAX_CHAIN} roles (stopped at {name:?}); awsdo refuses deeper chains, as no real setup needs them and each role is an AssumeRole at every renewal: shorten the chain"
                );
            }
            if role.is_none() {
                if let Some(s) = &flags.source_profile {
                    bail!(
                        "could not use -s {s} with profile {name:?}: it has no role_arn to assume; add -r ARN"
                    );
                }
                links.push(Link {
                    name,
                    profile,
                    role: None,
                    source: Via::Own,
                });
                break;
            }
            let (source, next) = match (flags.source_profile.as_deref(), config_role) {
                (Some(s), None) if s == name => (Via::Own, None),
                (Some(s), Some(_)) if s == name => (Via::OwnKeys, None),
                (Some(s), _) => (Via::Next, Some(s)),
                // `-r` on a profile without a role: its own credentials assume the role.
                (None, None) => (Via::Own, None),
                (None, Some(_)) => match (
                    get("web_identity_token_file"),
                    get("source_profile"),
                    get("credential_source"),
                ) {
                    (Some(file), _, _) => (Via::WebIdentity(file), None),
                    (None, Some(s), _) if s == name => (Via::OwnKeys, None),
                    (None, Some(s), _) => (Via::Next, Some(s)),
                    (None, None, Some(cs)) => (Via::CredentialSource(cs), None),
                    (None, None, None) => bail!(
                        "could not resolve profile {name:?}: it has role_arn but no source_profile, credential_source or web_identity_token_file"
                    ),
                },
            };
            links.push(Link {
                name,
                profile,
                role,
                source,
            });
            match next {
                Some(n) => name = n,
                None => break,
            }
        }
        Ok(Chain {
            profiles,
            overrides,
            selected,
            links,
        })
    }

    /// Rule: `region` comes from the selected profile, else the nearest profile up its chain
    /// that names one. Returns the region and the profile that named it.
    pub(super) fn region(&self) -> Option<(String, String)> {
        self.links
            .iter()
            .find_map(|l| Some((l.get("region")?.to_owned(), l.name.to_owned())))
    }

    /// Rule: `ca_bundle` (like every setting the AWS CLI reads per profile) comes from the
    /// selected profile alone.
    pub(super) fn ca_bundle(&self) -> Option<String> {
        self.links[0].get("ca_bundle").map(str::to_owned)
    }

    /// Rule: `duration_seconds` belongs to the profile that assumes the role; `-d` replaces it
    /// for the final step (link 0).
    pub(super) fn duration(&self, link: usize) -> anyhow::Result<Option<(Duration, ValueFrom)>> {
        if link == 0
            && let Some(d) = self.overrides.duration
        {
            return Ok(Some((d, ValueFrom::Flag("-d"))));
        }
        let l = &self.links[link];
        let Some(v) = l.get("duration_seconds") else {
            return Ok(None);
        };
        let secs = v.trim().parse::<u64>().map_err(|_| {
            anyhow::anyhow!(
                "could not use profile {:?}: duration_seconds {v:?} is not a number of seconds",
                l.name
            )
        })?;
        Ok(Some((
            Duration::from_secs(secs),
            ValueFrom::Profile(l.name.to_owned()),
        )))
    }

    /// Rule: the MFA device of the step link `link` makes (its AssumeRole, or the final
    /// GetSessionToken of a plain profile): `-n` for the final step, else the profile's
    /// `mfa_serial`; for a role given with `-r`, else the `mfa_serial` of the profile whose own
    /// keys assume it (the Go awsdo's rule); for a plain profile's own keys, else discovery.
    /// `mfa_process` belongs to the profile that names the device, else the nearest profile up
    /// the chain from it that sets one.
    pub(super) fn mfa(&self, link: usize) -> Option<MfaFields> {
        let l = &self.links[link];
        let plain = l.role.is_none();
        let (serial, from, named_by) = if link == 0
            && let Some(n) = &self.overrides.serial_number
        {
            (Some(n.clone()), MfaFrom::Flag, link)
        } else if let Some(s) = l.get("mfa_serial") {
            (Some(s.to_owned()), MfaFrom::Config, link)
        } else if matches!(l.role, Some((_, ValueFrom::Flag(_))))
            && let Some(next) = self.links.get(link + 1)
            && next.role.is_none()
            && let Some(s) = next.get("mfa_serial")
        {
            (Some(s.to_owned()), MfaFrom::Config, link + 1)
        } else if plain {
            (None, MfaFrom::Discovered, link)
        } else {
            return None;
        };
        let process = self.links[named_by..]
            .iter()
            .find_map(|l| Some((l.get("mfa_process")?.to_owned(), l.name.to_owned())));
        Some(MfaFields {
            mfa_serial: serial,
            mfa_serial_from: from,
            mfa_serial_profile: (from != MfaFrom::Discovered)
                .then(|| self.links[named_by].name.to_owned()),
            mfa_process_from: process.as_ref().map(|(_, p)| p.clone()),
            mfa_process: process.map(|(c, _)| c),
        })
    }
}

/// "could not find profile", with the known ones.
pub(super) fn not_found(profiles: &ProfileSet, name: &str) -> anyhow::Error {
    let known = profiles.profile_names();
    let known = if known.is_empty() {
        "none are configured".to_owned()
    } else {
        format!("known profiles: {}", known.join(", "))
    };
    anyhow::anyhow!("could not find profile {name:?} ({known})")
}
