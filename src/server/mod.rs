//! `awsdo --server -- COMMAND` (also `AWSDO_SERVER=1`): serve the credentials from a local
//! endpoint that the AWS SDKs and CLIs poll (their container credentials provider), so a
//! command that runs for hours keeps working after its first session expires (DESIGN §9).
//!
//! [`start`] runs in awsdo before it execs the command: it resolves the first credentials
//! (asking for an MFA code on the terminal if needed), binds `127.0.0.1:0`, starts the helper
//! (`daemon.rs`: `awsdo __serve`, the socket on fd 3, the setup through a pipe) and returns the
//! command's environment. The command then replaces awsdo, so it is the helper's parent: the
//! helper dies with it.
//!
//! What the command sees ([`command_env`]): `AWS_CONTAINER_CREDENTIALS_FULL_URI` (a random path)
//! and `AWS_CONTAINER_AUTHORIZATION_TOKEN` (256 random bits from the OS), the region, no keys,
//! no profile. The SDKs look at the shared files *before* the container endpoint (botocore's
//! chain: environment, assume-role/web-identity/SSO/process from the profile, the credentials
//! file, the config file, then the container; the Rust SDK's and the others' are alike), so a
//! `[default]` with keys would silently win: the command gets `/dev/null` as its config and
//! credentials files, and the few per-profile settings that have environment variables
//! ([`SETTINGS`]) as variables. Nothing is written to disk, so nothing can be left behind.

mod daemon;
pub mod http;
pub mod shell;

use std::io::Write;
use std::net::{Ipv4Addr, TcpListener};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

use anyhow::Context;

pub use daemon::serve;
use daemon::{LISTENER_FD, Setup};

use crate::cmd::{Ctx, Mode, Prepared};
use crate::config::ProfileSet;
use crate::creds::{CREDENTIAL_VARS, Credentials};
use crate::env::Env;
use crate::plan::{Plan, Step};

/// The helper's argument: `awsdo __serve` (main.rs dispatches it before parsing the command
/// line, so it is in no help or completion).
pub const HELPER_ARG: &str = "__serve";

/// Random bytes in the token: 32 (256 bits; DESIGN §9 asks for at least 128).
pub const TOKEN_BYTES: usize = 32;
/// Random bytes in the path: 16 (128 bits).
pub const PATH_BYTES: usize = 16;

/// Variables that would make the command's SDK take credentials from somewhere other than the
/// endpoint, or from another endpoint: removed besides [`CREDENTIAL_VARS`] and the profile.
/// (botocore reads `AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE` before the token variable, and
/// `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` before the full URI; a web identity from the
/// environment comes before the container.)
pub const HIDDEN_VARS: &[&str] = &[
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_ROLE_ARN",
    "AWS_ROLE_SESSION_NAME",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
];

/// Settings of the selected profile that the command keeps, as the environment variables the
/// AWS CLI and SDKs read for them ("Settings reference" of the AWS SDKs and Tools reference
/// guide), set only when the user has not set the variable. `region` is §5's pair.
pub const SETTINGS: &[(&str, &str)] = &[
    ("ca_bundle", "AWS_CA_BUNDLE"),
    ("output", "AWS_DEFAULT_OUTPUT"),
    ("cli_pager", "AWS_PAGER"),
    ("retry_mode", "AWS_RETRY_MODE"),
    ("max_attempts", "AWS_MAX_ATTEMPTS"),
    ("endpoint_url", "AWS_ENDPOINT_URL"),
    (
        "ignore_configured_endpoint_urls",
        "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS",
    ),
    ("use_fips_endpoint", "AWS_USE_FIPS_ENDPOINT"),
    ("use_dualstack_endpoint", "AWS_USE_DUALSTACK_ENDPOINT"),
    ("sts_regional_endpoints", "AWS_STS_REGIONAL_ENDPOINTS"),
    ("defaults_mode", "AWS_DEFAULTS_MODE"),
];

/// Where the command's SDK finds its (empty) shared files.
pub(crate) const EMPTY_FILE: &str = "/dev/null";

/// Resolve the first credentials, start the helper, and return the command's environment.
///
/// # Errors
/// One line naming the profile when the credentials cannot be had or do not expire (long-lived
/// keys, or a `credential_process` without `Expiration`: nothing to renew, so nothing to serve),
/// or when the listener or the helper cannot be started.
pub fn start(ctx: &Ctx) -> anyhow::Result<Env> {
    let Prepared {
        profiles,
        plan,
        resolver,
    } = ctx.prepare(None, Mode::COMMAND)?;
    let name = plan.profile.clone();
    let credentials = resolver.resolve(&plan)?.credentials;
    let Endpoint {
        listener,
        uri,
        path,
        token,
    } = Endpoint::open(&name, &credentials, "run without --server")?;
    let mut args = ctx.args.clone();
    args.token_code = None;
    let setup = Setup {
        parent: std::process::id(),
        path,
        token: token.clone(),
        args,
        profile: name.clone(),
        account: account_of(&plan),
        credentials,
        watch: None,
        private_dir: None,
    };
    spawn_helper(ctx.user_env(), &listener, &setup, false)?;
    Ok(command_env(
        ctx.user_env(),
        &profiles,
        &name,
        plan.region.as_deref(),
        &uri,
        &token,
    ))
}

/// The command's environment: the user's, without [`CREDENTIAL_VARS`] and [`HIDDEN_VARS`],
/// with the endpoint and its token, empty shared files, the region of the chain and the
/// profile's [`SETTINGS`]. No `AWS_CREDENTIAL_EXPIRATION`: the endpoint states it.
pub fn command_env(
    user: &Env,
    profiles: &ProfileSet,
    profile: &str,
    region: Option<&str>,
    uri: &str,
    token: &str,
) -> Env {
    let mut env = user.clone();
    for name in CREDENTIAL_VARS.iter().chain(HIDDEN_VARS) {
        env.remove(name);
    }
    env.set("AWS_CONFIG_FILE", EMPTY_FILE);
    env.set("AWS_SHARED_CREDENTIALS_FILE", EMPTY_FILE);
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri);
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", token);
    if let Some(r) = region {
        for name in crate::env::REGION_VARS {
            env.set(*name, r);
        }
    }
    if let Some(p) = profiles.profile(profile) {
        for (key, var) in SETTINGS {
            if let Some(v) = p.get(key).map(str::trim).filter(|v| !v.is_empty())
                && user.var(var).is_none()
                && !v.contains('\0')
            {
                env.set(*var, v);
            }
        }
    }
    env
}

/// The account of the final credentials when the plan names it: the role's ARN or the SSO
/// account (`None` for a session token of one's own keys, which STS does not say).
pub fn account_of(plan: &Plan) -> Option<String> {
    let account = match plan.steps.last()? {
        Step::AssumeRole { role_arn, .. } | Step::WebIdentity { role_arn, .. } => {
            role_arn.split(':').nth(4)?.to_owned()
        }
        Step::Sso { sso_account_id, .. } => sso_account_id.clone(),
        _ => return None,
    };
    (account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit())).then_some(account)
}

/// A listener on 127.0.0.1 at a random port, with the random path and token it will answer.
pub(crate) struct Endpoint {
    pub listener: TcpListener,
    /// `http://127.0.0.1:PORT/PATH`: `AWS_CONTAINER_CREDENTIALS_FULL_URI`.
    pub uri: String,
    /// `/` and [`PATH_BYTES`] random bytes in hex.
    pub path: String,
    /// [`TOKEN_BYTES`] random bytes in hex: `AWS_CONTAINER_AUTHORIZATION_TOKEN`.
    pub token: String,
}

impl Endpoint {
    /// Open the endpoint for `profile`'s `credentials`.
    ///
    /// # Errors
    /// One line naming the profile, ending with `fix`, when the credentials do not expire
    /// (long-lived keys, or a `credential_process` without `Expiration`: nothing to renew, so
    /// nothing to serve); one line when no port or no random bytes can be had.
    pub(crate) fn open(
        profile: &str,
        credentials: &Credentials,
        fix: &str,
    ) -> anyhow::Result<Self> {
        if credentials.session_token.is_none() || credentials.expiration.is_none() {
            anyhow::bail!(
                "could not serve credentials for profile {:?}: they do not expire (long-lived keys, or a credential_process without Expiration), so there is nothing to renew; {fix}",
                crate::escape::escape(profile)
            );
        }
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .context("could not start the credential endpoint: could not listen on 127.0.0.1")?;
        let port = listener.local_addr()?.port();
        let token = random_hex(TOKEN_BYTES)?;
        let path = format!("/{}", random_hex(PATH_BYTES)?);
        let uri = format!("http://127.0.0.1:{port}{path}");
        Ok(Endpoint {
            listener,
            uri,
            path,
            token,
        })
    }
}

/// `n` random bytes from the OS (`getrandom`) as lowercase hex.
pub(crate) fn random_hex(n: usize) -> anyhow::Result<String> {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).map_err(|e| {
        anyhow::anyhow!("could not start the credential endpoint: no random bytes from the OS: {e}")
    })?;
    Ok(crate::plan::hex(&bytes))
}

/// Start `awsdo __serve` with the user's environment, `listener` on fd 3 and the setup on a
/// pipe.
///
/// For a command (`detached` false): its own process group (the terminal's Ctrl-C is for the
/// command, which may still need credentials while it cleans up), stderr shared with awsdo,
/// and on Linux SIGKILL when its parent exits. For the hook (`detached` true): its own
/// session, so no signal of the shell's terminal reaches it, and stderr on the terminal
/// (`/dev/tty`) when there is one, else nowhere: never a pipe of the hook's, which would hold
/// the hook's command substitution open.
pub(crate) fn spawn_helper(
    user: &Env,
    listener: &TcpListener,
    setup: &Setup,
    detached: bool,
) -> anyhow::Result<()> {
    let exe = std::env::current_exe()
        .context("could not start the credential endpoint: could not find the awsdo binary")?;
    let fd = listener.as_raw_fd();
    let stderr = if detached {
        std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/tty")
            .map_or_else(|_| Stdio::null(), Stdio::from)
    } else {
        Stdio::inherit()
    };
    let mut cmd = Command::new(exe);
    cmd.arg(HELPER_ARG)
        .env_clear()
        .envs(user.iter())
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(stderr);
    // SAFETY: between fork and exec only async-signal-safe calls (prctl, setpgid, setsid,
    // signal, dup2, fcntl) on integers copied into the closure.
    unsafe {
        cmd.pre_exec(move || {
            if detached {
                libc::setsid();
            } else {
                #[cfg(target_os = "linux")]
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
                libc::setpgid(0, 0);
            }
            // Its one line about MFA must reach the terminal even from a background group
            // of a terminal with `stty tostop`.
            libc::signal(libc::SIGTTOU, libc::SIG_IGN);
            if fd == LISTENER_FD {
                let flags = libc::fcntl(fd, libc::F_GETFD);
                libc::fcntl(fd, libc::F_SETFD, flags & !libc::FD_CLOEXEC);
            } else if libc::dup2(fd, LISTENER_FD) < 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = cmd
        .spawn()
        .context("could not start the credential endpoint's helper")?;
    let text = serde_json::to_vec(setup)?;
    let sent = child
        .stdin
        .take()
        .context("no pipe to the helper")
        .and_then(|mut pipe| Ok(pipe.write_all(&text)?));
    if let Err(e) = sent {
        let _ = child.kill();
        let _ = child.wait();
        return Err(e.context(
            "could not start the credential endpoint: could not hand the helper its setup",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_command_sees_the_endpoint_and_no_keys_profile_or_files() {
        let user = Env::from_pairs([
            ("PATH", "/bin"),
            ("AWS_PROFILE", "prod"),
            ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE"),
            (
                "AWS_SECRET_ACCESS_KEY",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            ),
            ("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "/tmp/other"),
            ("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/creds"),
            ("AWS_WEB_IDENTITY_TOKEN_FILE", "/tmp/jwt"),
            ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/x"),
            ("AWS_DEFAULT_OUTPUT", "text"),
            ("AWS_CONFIG_FILE", "/home/u/.aws/config"),
        ]);
        let files = ProfileSet::parse(
            "[profile prod]\nregion = eu-west-1\nca_bundle = /etc/ca.pem\noutput = json\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
            std::path::Path::new("config"),
            "",
            std::path::Path::new("credentials"),
        )
        .unwrap();
        let env = command_env(
            &user,
            &files,
            "prod",
            Some("eu-west-1"),
            "http://127.0.0.1:1/x",
            "t0k",
        );
        for gone in CREDENTIAL_VARS.iter().chain(HIDDEN_VARS.iter().filter(|v| {
            !v.starts_with("AWS_CONTAINER_C") && **v != "AWS_CONTAINER_AUTHORIZATION_TOKEN"
        })) {
            assert_eq!(env.var(gone), None, "{gone}");
        }
        assert_eq!(
            env.var("AWS_CONTAINER_CREDENTIALS_FULL_URI").as_deref(),
            Some("http://127.0.0.1:1/x")
        );
        assert_eq!(
            env.var("AWS_CONTAINER_AUTHORIZATION_TOKEN").as_deref(),
            Some("t0k")
        );
        assert_eq!(env.var("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"), None);
        assert_eq!(env.var("AWS_CONFIG_FILE").as_deref(), Some(EMPTY_FILE));
        assert_eq!(
            env.var("AWS_SHARED_CREDENTIALS_FILE").as_deref(),
            Some(EMPTY_FILE)
        );
        assert_eq!(env.var("AWS_REGION").as_deref(), Some("eu-west-1"));
        assert_eq!(env.var("AWS_DEFAULT_REGION").as_deref(), Some("eu-west-1"));
        assert_eq!(env.var("AWS_CA_BUNDLE").as_deref(), Some("/etc/ca.pem"));
        // The user's own variable wins over the profile's setting, as it does in the SDKs.
        assert_eq!(env.var("AWS_DEFAULT_OUTPUT").as_deref(), Some("text"));
        assert_eq!(env.var("PATH").as_deref(), Some("/bin"));
    }
}
