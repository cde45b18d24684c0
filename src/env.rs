//! The environment awsdo was started with, and the environment of each kind of child process.
//!
//! A shell with the prompt hook holds two kinds of variables that are *awsdo's*, not the
//! user's: the hook's state (`AWSDO_PROFILE`, `AWSDO_REFRESH_AT`, `AWSDO_REFRESH_FILE`,
//! `AWSDO_STATE`) and the credentials and region it exported for the shell's profile.
//! `AWSDO_STATE` (a `hook_state::Record`, written by `cmd/export.rs`) records which variables
//! awsdo set (`owned`) and what each replaced (`saved`). [`Env::user`] undoes both: it is the
//! environment as the user had it before awsdo exported anything.
//!
//! Which environment each kind of child gets (also in SECURITY.md):
//!
//! | child                                   | environment                                                                                   |
//! |-----------------------------------------|-----------------------------------------------------------------------------------------------|
//! | the command of `awsdo -- cmd` (a shell too) | the user's, without `AWS_PROFILE`, `AWS_DEFAULT_PROFILE` and credential variables, with the profile's credentials, and its region when the chain names one (else the user's own region, if any) |
//! | `credential_process`                    | the user's, plus `AWSDO_CREDENTIAL_PROCESS_CHAIN` (the recursion guard)                          |
//! | `mfa_process`                           | the user's                                                                                    |
//! | the browser (`awsdo console`, `--login`) | the user's, without any credential variable                                                   |
//!
//! "The user's" is [`Env::user`]: no hook state, no keys or region that awsdo exported, the
//! user's own values (saved by the hook) back in their place. `credential_source =
//! Environment` reads the user's keys too.

use std::collections::BTreeMap;
use std::ffi::{OsStr, OsString};

use crate::creds::CREDENTIAL_VARS;

/// The prompt hook's own variables (see `hook_state.rs`): never passed to a child.
pub const HOOK_VARS: &[&str] = &[
    crate::hook_state::PROFILE_VAR,
    crate::hook_state::REFRESH_VAR,
    crate::hook_state::REFRESH_FILE_VAR,
    crate::hook_state::STATE_VAR,
];

/// The region variables awsdo exports with credentials (DESIGN §5).
pub const REGION_VARS: &[&str] = &["AWS_REGION", "AWS_DEFAULT_REGION"];

/// A snapshot of an environment. `Debug` shows the names only: values may be secrets.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Env {
    vars: BTreeMap<OsString, OsString>,
}

impl std::fmt::Debug for Env {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set()
            .entries(self.vars.keys().map(|k| k.to_string_lossy()))
            .finish()
    }
}

impl Env {
    /// This process's environment, every variable (also those that are not UTF-8).
    pub fn from_process() -> Env {
        Env {
            vars: std::env::vars_os().collect(),
        }
    }

    /// An environment made of `pairs` (for tests).
    pub fn from_pairs<K: Into<OsString>, V: Into<OsString>>(
        pairs: impl IntoIterator<Item = (K, V)>,
    ) -> Env {
        Env {
            vars: pairs
                .into_iter()
                .map(|(k, v)| (k.into(), v.into()))
                .collect(),
        }
    }

    /// A variable, `None` when unset or not UTF-8 (none that awsdo reads can meaningfully be).
    pub fn var(&self, key: &str) -> Option<String> {
        self.vars
            .get(OsStr::new(key))
            .and_then(|v| v.to_str())
            .map(str::to_owned)
    }

    /// Every variable, in name order.
    pub fn iter(&self) -> impl Iterator<Item = (&OsStr, &OsStr)> {
        self.vars
            .iter()
            .map(|(k, v)| (k.as_os_str(), v.as_os_str()))
    }

    /// Set `key` to `value`.
    pub fn set(&mut self, key: impl Into<OsString>, value: impl Into<OsString>) {
        self.vars.insert(key.into(), value.into());
    }

    /// Unset `key`.
    pub fn remove(&mut self, key: &str) {
        self.vars.remove(OsStr::new(key));
    }

    /// The user's own environment: this one with the hook's state removed and every variable
    /// awsdo exported (per `AWSDO_STATE`) put back as it was before, or unset. Only credential
    /// and region variables, and those of the hook's server mode (the endpoint, its token and
    /// the shared-file paths, `server::shell::SHELL_VARS`), are ever reverted, whatever
    /// `AWSDO_STATE` says (`hook_state::Record::parse`). An unreadable `AWSDO_STATE` reverts
    /// nothing (as the hook itself treats it).
    pub fn user(&self) -> Env {
        let mut env = self.clone();
        let state = self.var(crate::hook_state::STATE_VAR);
        for (name, saved) in crate::hook_state::Record::parse(state.as_deref()).reverted() {
            match saved {
                Some(old) => env.set(name, old),
                None => env.remove(name),
            }
        }
        for name in HOOK_VARS {
            env.remove(name);
        }
        env
    }

    /// The environment of the command of `awsdo -- cmd`: this one (normally [`Env::user`])
    /// without profile and credential variables, with `vars` (credentials, and the region when
    /// the profile names one) set.
    pub fn for_command<'a>(&self, vars: impl IntoIterator<Item = (&'a str, String)>) -> Env {
        let mut env = self.clone();
        for name in CREDENTIAL_VARS
            .iter()
            .chain(&["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
        {
            env.remove(name);
        }
        for (k, v) in vars {
            env.set(k, v);
        }
        env
    }

    /// The environment of a browser: this one without any credential variable (a browser has
    /// no use for AWS keys).
    pub fn for_browser(&self) -> Env {
        let mut env = self.clone();
        for name in CREDENTIAL_VARS {
            env.remove(name);
        }
        env
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hook_shell() -> Env {
        Env::from_pairs([
            ("PATH", "/bin"),
            ("AWS_PROFILE", "dev"),
            ("AWS_ACCESS_KEY_ID", "ASIAFAKEDEV"),
            ("AWS_SECRET_ACCESS_KEY", "dev-secret"),
            ("AWS_SESSION_TOKEN", "dev-token"),
            ("AWS_REGION", "eu-west-1"),
            ("AWS_DEFAULT_REGION", "eu-west-1"),
            ("AWSDO_PROFILE", "dev"),
            ("AWSDO_REFRESH_AT", "1"),
            (
                "AWSDO_STATE",
                r#"{"owned":["AWS_ACCESS_KEY_ID","AWS_SECRET_ACCESS_KEY","AWS_SESSION_TOKEN","AWS_REGION","AWS_DEFAULT_REGION"],"saved":{"AWS_ACCESS_KEY_ID":"AKIAFAKEUSER","AWS_SECRET_ACCESS_KEY":"user-secret","AWS_REGION":"us-east-2"},"hinted":false}"#,
            ),
        ])
    }

    #[test]
    fn the_user_environment_reverts_what_the_hook_exported() {
        let user = hook_shell().user();
        assert_eq!(
            user.var("AWS_ACCESS_KEY_ID").as_deref(),
            Some("AKIAFAKEUSER")
        );
        assert_eq!(
            user.var("AWS_SECRET_ACCESS_KEY").as_deref(),
            Some("user-secret")
        );
        assert_eq!(user.var("AWS_SESSION_TOKEN"), None);
        assert_eq!(user.var("AWS_REGION").as_deref(), Some("us-east-2"));
        assert_eq!(user.var("AWS_DEFAULT_REGION"), None);
        assert_eq!(user.var("AWS_PROFILE").as_deref(), Some("dev"));
        assert_eq!(user.var("PATH").as_deref(), Some("/bin"));
        for v in HOOK_VARS {
            assert_eq!(user.var(v), None, "{v}");
        }
    }

    #[test]
    fn a_forged_state_reverts_only_credential_and_region_variables() {
        let env = Env::from_pairs([
            ("PATH", "/bin"),
            (
                "AWSDO_STATE",
                r#"{"owned":["PATH"],"saved":{"PATH":"/evil"}}"#,
            ),
        ]);
        assert_eq!(env.user().var("PATH").as_deref(), Some("/bin"));
        let broken = Env::from_pairs([("AWS_REGION", "x"), ("AWSDO_STATE", "{not json")]);
        assert_eq!(broken.user().var("AWS_REGION").as_deref(), Some("x"));
    }

    #[test]
    fn the_command_gets_its_credentials_and_no_profile() {
        let env = hook_shell()
            .user()
            .for_command([("AWS_ACCESS_KEY_ID", "ASIAPARTNER".to_owned())]);
        assert_eq!(env.var("AWS_ACCESS_KEY_ID").as_deref(), Some("ASIAPARTNER"));
        assert_eq!(env.var("AWS_SECRET_ACCESS_KEY"), None);
        assert_eq!(env.var("AWS_PROFILE"), None);
        assert_eq!(env.var("AWS_REGION").as_deref(), Some("us-east-2"));
    }

    #[test]
    fn the_user_environment_reverts_the_server_mode_files_and_endpoint() {
        let env = Env::from_pairs([
            ("AWS_CONFIG_FILE", "/tmp/awsdo-server-x/config"),
            ("AWS_SHARED_CREDENTIALS_FILE", "/dev/null"),
            ("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/x"),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN", "t"),
            (
                "AWSDO_STATE",
                r#"{"owned":["AWS_CONFIG_FILE","AWS_SHARED_CREDENTIALS_FILE","AWS_CONTAINER_CREDENTIALS_FULL_URI","AWS_CONTAINER_AUTHORIZATION_TOKEN"],"saved":{"AWS_CONFIG_FILE":"/home/u/.aws/config"}}"#,
            ),
        ]);
        let user = env.user();
        assert_eq!(
            user.var("AWS_CONFIG_FILE").as_deref(),
            Some("/home/u/.aws/config")
        );
        for gone in [
            "AWS_SHARED_CREDENTIALS_FILE",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
        ] {
            assert_eq!(user.var(gone), None, "{gone}");
        }
    }

    #[test]
    fn debug_shows_names_not_values() {
        let shown = format!("{:?}", hook_shell());
        assert!(shown.contains("AWS_SECRET_ACCESS_KEY"), "{shown}");
        assert!(!shown.contains("dev-secret"), "{shown}");
    }
}
