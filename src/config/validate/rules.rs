//! The rules per kind of profile, each one method of [`Check`], each naming the botocore code
//! path it mirrors.

use anyhow::Result;

use super::{
    CREDENTIAL_SOURCES, Check, MIN_DURATION_SECONDS, MIN_LENGTHS, SSO_REQUIRED, both_files, has,
    has_static, section, shown,
};

impl Check<'_> {
    /// A profile that assumes a role: botocore `AssumeRoleProvider._get_role_config`,
    /// `_validate_credential_source`, `_validate_source_profile`, and the STS parameter limits
    /// of `AssumeRole` (botocore `validate.py`, checked before the request is sent).
    pub(super) fn role(&self) -> Result<()> {
        self.lengths(&["role_arn", "role_session_name", "external_id", "mfa_serial"])?;
        self.duration()?;
        let p = self.p;
        match (p.get("source_profile"), p.get("credential_source")) {
            (Some(_), Some(_)) => Err(self.refuse(
                &["source_profile", "credential_source"],
                "it sets both source_profile and credential_source; keep one of them",
            )),
            (None, None) => Err(self.refuse(
                &["role_arn"],
                "it has role_arn but neither source_profile nor credential_source; add source_profile = PROFILE (a profile with keys) or credential_source = Environment",
            )),
            (None, Some(source)) => self.credential_source(source),
            (Some(source), None) if self.profiles.profile(source).is_none() => Err(self.refuse(
                &["source_profile"],
                &format!(
                    "source_profile {} is not a profile in {}; fix the name or add {}",
                    shown(source),
                    both_files(self.profiles),
                    section("profile", source)
                ),
            )),
            (Some(_), None) => Ok(()),
        }
    }

    /// botocore `_validate_credential_source`: only the canonical source names.
    pub(super) fn credential_source(&self, source: &str) -> Result<()> {
        if CREDENTIAL_SOURCES.contains(&source) {
            return Ok(());
        }
        Err(self.refuse(
            &["credential_source"],
            &format!(
                "credential_source {} is not one of {}; use one of those",
                shown(source),
                CREDENTIAL_SOURCES.join(", ")
            ),
        ))
    }

    /// botocore `utils.validate_region_name` (run when a client is made, before any request): a
    /// region is a DNS label of letters, digits and `-`, at most 63 long, not all digits, not
    /// starting or ending with `-`. Checked for `sso_region`, which names the SSO endpoint's
    /// host, and for `region` (the region awsdo exports into the shell).
    pub(super) fn region(&self, key: &str, value: &str) -> Result<()> {
        let valid = value.len() <= 63
            && value
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !value.bytes().all(|b| b.is_ascii_digit())
            && !value.starts_with('-')
            && !value.ends_with('-');
        if valid {
            return Ok(());
        }
        Err(self.refuse(
            &[key],
            &format!(
                "{key} {} is not a region name; write e.g. {key} = us-east-1",
                shown(value)
            ),
        ))
    }

    /// A role that names itself as its source: allowed when the profile also has keys
    /// (botocore `_validate_source_profile`), whose keys are then checked as a source's.
    pub(super) fn self_source(&self) -> Result<()> {
        if !has_static(self.p) {
            return Err(self.refuse(
                &["source_profile"],
                "it is its own source_profile but has no aws_access_key_id and aws_secret_access_key; add them or point source_profile at a profile with keys",
            ));
        }
        self.static_keys()
    }

    /// A profile that provides credentials itself, in botocore's provider order: web identity,
    /// SSO, static keys, credential_process (`ProfileProviderBuilder.providers`).
    pub(super) fn own_credentials(&self, as_source: bool) -> Result<()> {
        let p = self.p;
        if has(p, "web_identity_token_file") {
            return self.web_identity();
        }
        // botocore `SSOProvider._load_sso_config` applies when either of these is set; awsdo
        // also takes a profile with only sso_session/sso_start_url for an SSO profile, which
        // the AWS CLI refuses too (it finds no credentials).
        let other_credentials = has_static(p) || has(p, "credential_process");
        if has(p, "sso_account_id")
            || has(p, "sso_role_name")
            || (!other_credentials && (has(p, "sso_session") || has(p, "sso_start_url")))
        {
            return self.sso();
        }
        if has_static(p) {
            if !as_source {
                // awsdo exchanges a profile's own long-lived keys with GetSessionToken.
                self.lengths(&["mfa_serial"])?;
                self.duration()?;
            }
            return self.static_keys();
        }
        if has(p, "credential_process") {
            return Ok(());
        }
        if !as_source {
            // awsdo reads credential_source on its own too (the AWS CLI ignores it there).
            return match p.get("credential_source") {
                Some(source) => self.credential_source(source),
                None => Ok(()),
            };
        }
        // botocore `_resolve_credentials_from_profile`: "The source profile ... must have
        // credentials." credential_source only counts next to role_arn.
        let hint = if has(p, "credential_source") {
            " (credential_source is only read next to role_arn)"
        } else {
            ""
        };
        Err(self.refuse(
            &["credential_source"],
            &format!(
                "it has no credentials{hint}; add aws_access_key_id and aws_secret_access_key, credential_process, sso_session, or role_arn with a source"
            ),
        ))
    }

    /// botocore `AssumeRoleWithWebIdentityProvider._assume_role_with_web_identity`: a token file
    /// needs a role, and `AssumeRoleWithWebIdentity`'s parameter limits.
    pub(super) fn web_identity(&self) -> Result<()> {
        if !has(self.p, "role_arn") {
            return Err(self.refuse(
                &["web_identity_token_file"],
                "it has web_identity_token_file but no role_arn; add the role_arn to assume with the token",
            ));
        }
        self.lengths(&["role_arn", "role_session_name"])?;
        self.duration()
    }

    /// botocore `SSOProvider._load_sso_config` and `_resolve_sso_session_reference`.
    pub(super) fn sso(&self) -> Result<()> {
        let p = self.p;
        let session = match p.get("sso_session") {
            None => None,
            Some(s) => Some(self.profiles.sso_session(s).ok_or_else(|| {
                self.refuse(
                    &["sso_session"],
                    &format!(
                        "sso_session {} names no {} section in {}; add it or fix the name",
                        shown(s),
                        section("sso-session", s),
                        self.profiles.config_path().display()
                    ),
                )
            })?),
        };
        if let Some(session) = session {
            for (key, value) in session.iter() {
                if let Some(own) = p.get(key)
                    && own != value
                {
                    return Err(self.refuse(
                        &[key],
                        &format!(
                            "{key} is {} here but {} in [sso-session {}]; keep one of them",
                            shown(own),
                            shown(value),
                            session.name()
                        ),
                    ));
                }
            }
        }
        if let Some(region) = p
            .get("sso_region")
            .or_else(|| session.and_then(|s| s.get("sso_region")))
        {
            self.region("sso_region", region)?;
        }
        let missing: Vec<&str> = SSO_REQUIRED
            .into_iter()
            .filter(|key| !has(p, key) && session.is_none_or(|s| s.get(key).is_none()))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(self.refuse(
            &[
                "sso_session",
                "sso_start_url",
                "sso_account_id",
                "sso_role_name",
            ],
            &format!(
                "it is set up for IAM Identity Center but lacks {}; add {}",
                missing.join(", "),
                if missing.len() == 1 { "it" } else { "them" }
            ),
        ))
    }

    /// botocore `SharedCredentialProvider`/`ConfigProvider` (`_extract_creds_from_mapping`):
    /// an access key id without its secret is "partial credentials"; a secret alone is no
    /// credentials at all.
    pub(super) fn static_keys(&self) -> Result<()> {
        let p = self.p;
        match (has(p, "aws_access_key_id"), has(p, "aws_secret_access_key")) {
            (true, false) => Err(self.refuse(
                &["aws_access_key_id"],
                "aws_access_key_id is set but aws_secret_access_key is missing; add the secret next to it",
            )),
            (false, true) => Err(self.refuse(
                &["aws_secret_access_key"],
                "aws_secret_access_key is set but aws_access_key_id is missing; add the key id next to it",
            )),
            _ => Ok(()),
        }
    }

    /// The STS model's minimum lengths of `keys` that the profile sets (botocore
    /// `ParamValidator._validate_string`). Values here are not secret.
    pub(super) fn lengths(&self, keys: &[&str]) -> Result<()> {
        for (key, min) in MIN_LENGTHS {
            if !keys.contains(&key) {
                continue;
            }
            if let Some(value) = self.p.get(key)
                && value.chars().count() < min
            {
                return Err(self.refuse(
                    &[key],
                    &format!("{key} {value:?} is shorter than the {min} characters STS accepts; fix the value"),
                ));
            }
        }
        Ok(())
    }

    /// `duration_seconds` must be a whole number of seconds (DESIGN §3; botocore silently
    /// drops such a value) and at least STS's minimum (botocore `_validate_integer`).
    pub(super) fn duration(&self) -> Result<()> {
        let Some(value) = self.p.get("duration_seconds") else {
            return Ok(());
        };
        match value.trim().parse::<u64>() {
            Err(_) => Err(self.refuse(
                &["duration_seconds"],
                &format!("duration_seconds {} is not a number of seconds; write e.g. duration_seconds = 3600", shown(value)),
            )),
            Ok(n) if n < MIN_DURATION_SECONDS => Err(self.refuse(
                &["duration_seconds"],
                &format!("duration_seconds {n} is below the {MIN_DURATION_SECONDS} seconds STS accepts; use {MIN_DURATION_SECONDS} or more"),
            )),
            Ok(_) => Ok(()),
        }
    }
}
