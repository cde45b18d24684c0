//! Refusing, before any network call, a profile the AWS CLI would refuse (DESIGN §3).
//!
//! [`validate`] walks the chain a profile uses (its `source_profile`s, one profile at a time,
//! each at most once) and returns the first problem as one line that names the profile, the file
//! the offending keys are in, the keys, and the fix. The rules are the AWS CLI v1's (botocore's)
//! checks on the keys awsdo supports: the assume-role provider's role configuration checks, the
//! web identity, SSO and static-key providers' checks, and the STS parameter limits botocore
//! enforces before sending a request. Each rule below names the botocore code path it mirrors.
//!
//! What it deliberately does not do: decide how credentials are obtained (that is `plan`), run
//! anything (`credential_process`, `mfa_process`), read token files, or look at the network. A
//! profile it passes may still fail to plan (an unknown top-level profile, a profile without any
//! credentials): `plan` reports those.

mod rules;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::{Result, anyhow};

use super::{Profile, ProfileSet};

/// `credential_source` values the AWS CLI accepts (botocore `CanonicalNameCredentialSourcer`).
const CREDENTIAL_SOURCES: [&str; 3] = ["Environment", "Ec2InstanceMetadata", "EcsContainer"];

/// The keys a profile must have, itself or through its `[sso-session]`, to use IAM Identity
/// Center (botocore `SSOProvider._ALL_REQUIRED_CONFIG_VARS`).
const SSO_REQUIRED: [&str; 4] = [
    "sso_start_url",
    "sso_region",
    "sso_account_id",
    "sso_role_name",
];

/// Shortest values STS accepts, which botocore checks before sending the request (the `min` of
/// the STS API model's `AssumeRole`/`GetSessionToken`/`AssumeRoleWithWebIdentity` input shapes):
/// `(key, minimum length in characters)`.
const MIN_LENGTHS: [(&str, usize); 4] = [
    ("role_arn", 20),
    ("role_session_name", 2),
    ("external_id", 2),
    ("mfa_serial", 9),
];

/// STS's shortest session, in seconds (`DurationSeconds` min in the STS API model).
const MIN_DURATION_SECONDS: u64 = 900;

/// Check the chain that profile `name` uses, and the one `source_flag` (`-s`) names, for
/// configurations the AWS CLI refuses.
///
/// Returns the first refusal as a one-line error: `could not use profile "P" (FILE): reason;
/// fix`, or for a profile in neither file (unless `-s` is given, which may stand in for it)
/// `could not find profile "P" in CONFIG or CREDENTIALS (known profiles: …)`, listing at most
/// a few names. It never includes a secret value, and its length does not grow with the
/// number of profiles. The walk visits each profile at most once, so it ends on any input,
/// loops included.
pub fn validate(profiles: &ProfileSet, name: &str, source_flag: Option<&str>) -> Result<()> {
    // With `-s` (and `-r`) the named profile need not exist: the flags say what to assume
    // with what; the planner decides whether it needed it.
    if profiles.profile(name).is_none() && source_flag.is_none() {
        return Err(anyhow!(
            "could not find profile {name:?} in {} ({}); run: awsdo status",
            both_files(profiles),
            known_profiles(profiles)
        ));
    }
    walk(profiles, name, false)?;
    if let Some(source) = source_flag {
        if profiles.profile(source).is_none() {
            return Err(anyhow!(
                "could not use -s/--source-profile {}: it is not a profile in {}; pass a profile name from `awsdo status`",
                shown(source),
                both_files(profiles)
            ));
        }
        walk(profiles, source, true)?;
    }
    Ok(())
}

/// Walk from `name` down its `source_profile` chain. `as_source`: `name` provides credentials
/// for a role rather than being the profile asked for.
fn walk(profiles: &ProfileSet, name: &str, mut as_source: bool) -> Result<()> {
    let mut visited: Vec<&str> = Vec::new();
    let mut seen: HashSet<&str> = HashSet::new();
    let mut current = name;
    // The profile whose source_profile led here, for messages about a source.
    let mut referrer: Option<&str> = None;
    let mut region_seen = false;
    while let Some(p) = profiles.profile(current) {
        visited.push(current);
        seen.insert(current);
        let check = Check {
            profiles,
            p,
            referrer,
        };
        // The region awsdo exports is the nearest one up the chain (DESIGN §3): that one is
        // checked, as botocore checks the client's; regions farther up are never used.
        if !region_seen && let Some(region) = p.get("region") {
            region_seen = true;
            check.region("region", region)?;
        }
        // botocore AssumeRoleProvider: a profile is assumed when it has role_arn and no
        // web_identity_token_file; a source with static keys is used for its keys instead
        // (`_resolve_credentials_from_profile`).
        let assumes = has(p, "role_arn")
            && !has(p, "web_identity_token_file")
            && !(as_source && has_static(p));
        if !assumes {
            return check.own_credentials(as_source);
        }
        check.role()?;
        let Some(source) = p.get("source_profile") else {
            // `role()` made sure a credential_source is there instead.
            return Ok(());
        };
        if source == current {
            return check.self_source();
        }
        if seen.contains(source) {
            // botocore `_validate_source_profile`: InfiniteLoopConfigError.
            let at = visited.iter().position(|v| *v == source).unwrap_or(0);
            let cycle = loop_text(&visited[at..]);
            return Err(check.refuse(
                &["source_profile"],
                &format!("source_profile makes a loop ({cycle}); point one of them at a profile with credentials"),
            ));
        }
        referrer = Some(current);
        current = source;
        as_source = true;
    }
    match referrer {
        None => Ok(()),
        // Unreachable: `role()` checks that a source_profile exists before the walk follows it.
        Some(_) => Err(anyhow!("could not find profile {current:?}")),
    }
}

/// One profile under inspection.
struct Check<'a> {
    profiles: &'a ProfileSet,
    p: &'a Profile,
    /// The profile that named this one as its source_profile.
    referrer: Option<&'a str>,
}

impl Check<'_> {
    /// The one-line refusal for this profile: `could not use profile "P" (FILE): reason`, the
    /// file being where `keys` are set (both files when they are split), and, for a source, the
    /// profile that uses it.
    pub(super) fn refuse(&self, keys: &[&str], reason: &str) -> anyhow::Error {
        let name = self.p.name();
        let mut files: Vec<&Path> = Vec::new();
        for key in keys {
            if let Some(file) = self.profiles.key_file(name, key)
                && !files.contains(&file)
            {
                files.push(file);
            }
        }
        if files.is_empty() {
            // None of the keys is set (a key that is missing): name where the profile is.
            files = self.profiles.profile_files(name);
        }
        let files: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
        let via = match self.referrer {
            Some(r) => format!(", the source_profile of {r:?}"),
            None => String::new(),
        };
        anyhow!(
            "could not use profile {name:?}{via} ({}): {reason}",
            files.join(" and ")
        )
    }
}

/// Whether the profile sets `key` at all (an empty value counts, as in botocore's `in` tests).
fn has(p: &Profile, key: &str) -> bool {
    p.get(key).is_some()
}

/// botocore `_has_static_credentials`: either half of a key pair.
fn has_static(p: &Profile) -> bool {
    has(p, "aws_access_key_id") || has(p, "aws_secret_access_key")
}

/// `a -> b -> a` for the loop `members` (first member repeated at the end); a long loop shows
/// its first and last few members and how many it has.
fn loop_text(members: &[&str]) -> String {
    const SHOWN: usize = 4;
    let first = members.first().copied().unwrap_or_default();
    if members.len() <= 2 * SHOWN {
        return format!("{} -> {first}", members.join(" -> "));
    }
    format!(
        "{} -> … -> {} -> {first}, {} profiles",
        members[..SHOWN].join(" -> "),
        members[members.len() - SHOWN..].join(" -> "),
        members.len()
    )
}

/// How many known profile names an error lists: enough to spot a typo, bounded whatever the
/// files hold.
const KNOWN_SHOWN: usize = 8;

/// "known profiles: a, b, … and N more", or "none are configured".
fn known_profiles(profiles: &ProfileSet) -> String {
    let names = profiles.profile_names();
    if names.is_empty() {
        return "none are configured".to_owned();
    }
    let shown = &names[..names.len().min(KNOWN_SHOWN)];
    let mut text = format!("known profiles: {}", shown.join(", "));
    if names.len() > KNOWN_SHOWN {
        let _ = write!(text, " and {} more", names.len() - KNOWN_SHOWN);
    }
    text
}

/// A (non-secret) value for a message: quoted and escaped as Rust's `Debug` does (so control
/// characters stay visible), cut to a bounded length.
fn shown(value: &str) -> String {
    const MAX: usize = 64;
    match value.char_indices().nth(MAX) {
        None => format!("{value:?}"),
        Some((cut, _)) => format!("{:?}…", &value[..cut]),
    }
}

/// `[KIND NAME]`, the header that would define `name`; `a [KIND] section` when the name is too
/// long or not printable to show as is.
fn section(kind: &str, name: &str) -> String {
    if name.chars().count() <= 64 && !name.chars().any(char::is_control) {
        format!("[{kind} {name}]")
    } else {
        format!("a [{kind} …] section")
    }
}

/// "CONFIG or CREDENTIALS", for a profile that is in neither.
fn both_files(profiles: &ProfileSet) -> String {
    format!(
        "{} or {}",
        profiles.config_path().display(),
        profiles.credentials_path().display()
    )
}
