//! Where the shared config and credentials files live, and which profile the environment picks.
//!
//! Everything reads the environment from the snapshot it is given (`Env`) and takes the platform
//! as an argument, so the rules (HOME first, then the Windows fallbacks, `~` expansion) can be tested
//! for Windows on Linux and without touching the process environment.

use std::path::PathBuf;

use anyhow::{Result, bail};

use crate::env::Env;

/// The operating-system family, as far as file locations care: only Windows differs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Linux.
    Linux,
    /// macOS.
    MacOs,
    /// Windows: extra home-directory fallbacks and `\` as the path separator.
    Windows,
    /// Any other Unix-like system; treated like Linux.
    OtherUnix,
}

impl Platform {
    /// The platform this binary was compiled for.
    pub fn current() -> Platform {
        if cfg!(windows) {
            Platform::Windows
        } else if cfg!(target_os = "macos") {
            Platform::MacOs
        } else if cfg!(target_os = "linux") {
            Platform::Linux
        } else {
            Platform::OtherUnix
        }
    }

    fn separator(self) -> char {
        match self {
            Platform::Windows => '\\',
            _ => '/',
        }
    }
}

/// The paths of the shared config file and the shared credentials file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Locations {
    /// The config file: `AWS_CONFIG_FILE`, else `~/.aws/config`.
    pub config: PathBuf,
    /// The credentials file: `AWS_SHARED_CREDENTIALS_FILE`, else `~/.aws/credentials`.
    pub credentials: PathBuf,
}

impl Locations {
    /// Work out both paths from the environment (`env`) for `platform`.
    ///
    /// The home directory is only needed, and so only an error when missing, if a path falls
    /// back to the default or an override starts with `~`.
    pub fn from_env(env: &Env, platform: Platform) -> Result<Locations> {
        let config = locate(env, platform, "AWS_CONFIG_FILE", "config")?;
        let credentials = locate(env, platform, "AWS_SHARED_CREDENTIALS_FILE", "credentials")?;
        Ok(Locations {
            config,
            credentials,
        })
    }
}

/// The profile the environment selects: `AWS_PROFILE`, then `AWS_DEFAULT_PROFILE`, then `default`.
///
/// `AWS_DEFAULT_PROFILE` is the AWS CLI's older name; the SDKs only read `AWS_PROFILE`, which
/// therefore wins.
pub fn profile_from_env(env: &Env) -> String {
    non_empty(env, "AWS_PROFILE")
        .or_else(|| non_empty(env, "AWS_DEFAULT_PROFILE"))
        .unwrap_or_else(|| "default".to_string())
}

/// An environment variable's value, with an empty value counting as unset (as `VAR= cmd` means).
fn non_empty(env: &Env, name: &str) -> Option<String> {
    env.var(name).filter(|v| !v.is_empty())
}

fn locate(env: &Env, platform: Platform, override_var: &str, file_name: &str) -> Result<PathBuf> {
    let path = match non_empty(env, override_var) {
        Some(path) => expand_tilde(&path, env, platform)?,
        None => {
            let home = home_dir(env, platform)?;
            let sep = platform.separator();
            // Build the string by hand: PathBuf::join would use this host's separator, which is
            // wrong when resolving Windows paths on Linux (tests) and vice versa.
            let home =
                home.trim_end_matches(|c| c == sep || (platform == Platform::Windows && c == '/'));
            format!("{home}{sep}.aws{sep}{file_name}")
        }
    };
    Ok(PathBuf::from(path))
}

/// Replace a leading `~` (alone, or followed by a separator) with the home directory.
///
/// `~user` forms are left alone: the SDKs do not expand them either, and a shell already would
/// have.
fn expand_tilde(path: &str, env: &Env, platform: Platform) -> Result<String> {
    let Some(rest) = path.strip_prefix('~') else {
        return Ok(path.to_string());
    };
    let starts_with_separator =
        rest.starts_with('/') || (platform == Platform::Windows && rest.starts_with('\\'));
    if !rest.is_empty() && !starts_with_separator {
        return Ok(path.to_string());
    }
    let home = home_dir(env, platform)?;
    Ok(format!("{home}{rest}"))
}

/// The home directory: `HOME` everywhere first; on Windows then `USERPROFILE`, then
/// `HOMEDRIVE` + `HOMEPATH`.
fn home_dir(env: &Env, platform: Platform) -> Result<String> {
    if let Some(home) = non_empty(env, "HOME") {
        return Ok(home);
    }
    if platform != Platform::Windows {
        // Like Go's os.UserHomeDir (which awsdo mirrors): no passwd lookup behind the user's back.
        bail!("could not find the home directory: HOME is not set");
    }
    if let Some(profile) = non_empty(env, "USERPROFILE") {
        return Ok(profile);
    }
    if let (Some(drive), Some(path)) = (non_empty(env, "HOMEDRIVE"), non_empty(env, "HOMEPATH")) {
        return Ok(format!("{drive}{path}"));
    }
    bail!("could not find the home directory: none of HOME, USERPROFILE, HOMEDRIVE+HOMEPATH is set")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Env {
        Env::from_pairs(pairs.iter().copied())
    }

    #[test]
    fn tilde_in_override_expands_to_home() {
        let get = env(&[("HOME", "/home/u"), ("AWS_CONFIG_FILE", "~/cfg/config")]);
        let loc = Locations::from_env(&get, Platform::Linux).unwrap();
        assert_eq!(loc.config, PathBuf::from("/home/u/cfg/config"));
        assert_eq!(loc.credentials, PathBuf::from("/home/u/.aws/credentials"));
    }

    #[test]
    fn tilde_user_is_not_expanded() {
        let get = env(&[("HOME", "/home/u"), ("AWS_CONFIG_FILE", "~bob/config")]);
        let loc = Locations::from_env(&get, Platform::Linux).unwrap();
        assert_eq!(loc.config, PathBuf::from("~bob/config"));
    }

    #[test]
    fn windows_tilde_with_backslash_expands() {
        let get = env(&[
            ("USERPROFILE", "C:\\u"),
            ("AWS_CONFIG_FILE", "~\\x\\config"),
        ]);
        let loc = Locations::from_env(&get, Platform::Windows).unwrap();
        assert_eq!(loc.config, PathBuf::from("C:\\u\\x\\config"));
    }

    #[test]
    fn missing_home_is_an_error_only_when_needed() {
        let get = env(&[
            ("AWS_CONFIG_FILE", "/c"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/k"),
        ]);
        let loc = Locations::from_env(&get, Platform::Linux).unwrap();
        assert_eq!(loc.config, PathBuf::from("/c"));
        let err = Locations::from_env(&env(&[]), Platform::Linux).unwrap_err();
        assert_eq!(
            err.to_string(),
            "could not find the home directory: HOME is not set"
        );
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let get = env(&[("HOME", "/h"), ("AWS_CONFIG_FILE", ""), ("AWS_PROFILE", "")]);
        let loc = Locations::from_env(&get, Platform::Linux).unwrap();
        assert_eq!(loc.config, PathBuf::from("/h/.aws/config"));
        assert_eq!(profile_from_env(&get), "default");
        let get = env(&[("AWS_DEFAULT_PROFILE", "old"), ("AWS_PROFILE", "new")]);
        assert_eq!(profile_from_env(&get), "new");
    }
}
