//! Hook mode (`AWSDO_SERVER=1` with the prompt hook, DESIGN §9): the shell holds an endpoint
//! and its token, never keys.
//!
//! Each switch starts a helper for the profile switched to, with a port, path and token of its
//! own: processes started before the switch keep the endpoint they were given (and so the old
//! profile), new ones get the new one. A helper lives as long as the shell ([`start`]'s
//! `shell`: its pid and start time, checked every half second), in a session of its own, so no
//! signal of the shell's terminal reaches it.
//!
//! The shell keeps `AWS_PROFILE` (the hook follows it), so its SDKs would look that profile up in
//! the config file and resolve it themselves (a `role_arn` there comes before the endpoint). The
//! shell therefore gets a private config file, made by awsdo in a new 0700 directory and removed by
//! the helper when it exits: `[default]` and `[profile NAME]` with only the profile's plain
//! settings (region, `ca_bundle`, output, ...), and `/dev/null` as the credentials file.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::daemon::{Setup, Watched};
use super::{EMPTY_FILE, Endpoint, SETTINGS, account_of, random_hex, spawn_helper};
use crate::cmd::Ctx;
use crate::config::ProfileSet;
use crate::creds::Credentials;
use crate::plan::Plan;

/// The variables hook mode sets besides the region: the endpoint, its token and the two
/// shared files. The hook records and reverts them like the credential variables.
pub const SHELL_VARS: &[&str] = &[
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
];

/// Start a helper serving `credentials` (already resolved for `plan`) for as long as the
/// process `shell` runs, and return the variables the shell sets: the endpoint, the token,
/// the private config file, `/dev/null` as credentials file, and the region when the chain
/// names one.
///
/// # Errors
/// One line naming the profile when the credentials do not expire, or the files cannot be
/// read, or the listener, the private file or the helper cannot be made.
pub fn start(
    ctx: &Ctx,
    profiles: &ProfileSet,
    plan: &Plan,
    credentials: Credentials,
    shell: u32,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let name = plan.profile.clone();
    let Endpoint {
        listener,
        uri,
        path,
        token,
    } = Endpoint::open(&name, &credentials, "unset AWSDO_SERVER")?;
    let dir = std::env::temp_dir().join(format!("awsdo-server-{}", random_hex(8)?));
    let config =
        write_private_config(&dir, profiles, &name, plan.region.as_deref()).with_context(|| {
            format!(
                "could not start the credential endpoint: could not write {}",
                dir.display()
            )
        })?;
    let mut args = ctx.args.clone();
    args.token_code = None;
    args.profile = Some(name.clone());
    let setup = Setup {
        parent: std::process::id(),
        path,
        token: token.clone(),
        args,
        profile: name,
        account: account_of(plan),
        credentials,
        watch: Some(Watched::of(shell)),
        private_dir: Some(dir.clone()),
    };
    if let Err(e) = spawn_helper(ctx.user_env(), &listener, &setup, true) {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(e);
    }
    let mut vars = vec![
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri),
        ("AWS_CONTAINER_AUTHORIZATION_TOKEN", token),
        ("AWS_CONFIG_FILE", config.to_string_lossy().into_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", EMPTY_FILE.to_owned()),
    ];
    if let Some(r) = &plan.region {
        vars.push(("AWS_REGION", r.clone()));
        vars.push(("AWS_DEFAULT_REGION", r.clone()));
    }
    Ok(vars)
}

/// Make `dir` (0700, new: an existing path is an error) and in it `config` (0600) holding
/// `[default]` and `[profile NAME]`, each with the region and the profile's [`SETTINGS`] keys.
fn write_private_config(
    dir: &Path,
    profiles: &ProfileSet,
    name: &str,
    region: Option<&str>,
) -> std::io::Result<PathBuf> {
    std::fs::DirBuilder::new().mode(0o700).create(dir)?;
    let path = dir.join("config");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    file.write_all(config_text(profiles, name, region).as_bytes())?;
    Ok(path)
}

/// The private config's text (see [`write_private_config`]).
pub fn config_text(profiles: &ProfileSet, name: &str, region: Option<&str>) -> String {
    let mut body = String::new();
    if let Some(r) = region {
        body.push_str(&format!("region = {r}\n"));
    }
    if let Some(p) = profiles.profile(name) {
        for (key, _) in SETTINGS {
            if let Some(v) = p.get(key).map(str::trim).filter(|v| !v.is_empty())
                && !v.contains(['\n', '\r', '\0'])
            {
                body.push_str(&format!("{key} = {v}\n"));
            }
        }
    }
    let mut text = format!("[default]\n{body}");
    if name != "default" {
        text.push_str(&format!("\n[profile {name}]\n{body}"));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_private_config_has_the_profile_and_no_credential_settings() {
        let files = ProfileSet::parse(
            "[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/u\nca_bundle = /etc/ca.pem\n",
            Path::new("config"),
            "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            Path::new("credentials"),
        )
        .unwrap();
        let text = config_text(&files, "prod", Some("eu-west-1"));
        assert_eq!(
            text,
            "[default]\nregion = eu-west-1\nca_bundle = /etc/ca.pem\n\n[profile prod]\nregion = eu-west-1\nca_bundle = /etc/ca.pem\n"
        );
        let dir = std::env::temp_dir().join(format!("awsdo-unit-{}", random_hex(8).unwrap()));
        let path = write_private_config(&dir, &files, "prod", None).unwrap();
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!((mode(&dir), mode(&path)), (0o700, 0o600));
        // An existing directory is not reused.
        assert!(write_private_config(&dir, &files, "prod", None).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
