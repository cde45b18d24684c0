//! The helper process of `--server` (`awsdo __serve`, started by [`super::start`]).
//!
//! It reads its [`Setup`] from stdin (a pipe from awsdo: the token, the path and the first
//! credentials never travel in argv or in its environment), takes the listening socket from
//! fd 3, and then:
//!
//! - answers on [`MAX_CONNECTIONS`] threads that each accept and answer (more clients wait in
//!   the kernel's backlog) from memory: the answer bytes are built once per session;
//! - renews on one background thread when less than `AWSDO_MIN_TTL` is left, through the
//!   same resolver, cache and locks as every other awsdo run, never asking for an MFA code
//!   (a renewal that needs one says so once on stderr and retries the cache every second, so
//!   `awsdo login P` in another terminal is picked up);
//! - exits when its parent (the command) is gone: at once on Linux (`PR_SET_PDEATHSIG`, set
//!   by awsdo before exec), within [`TICK`] elsewhere (the parent check). It owns no file, so
//!   dying by any signal leaves nothing behind.

use std::io::Read;
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::http::{self, FORBIDDEN, Gate, Verdict};
use crate::cli::CredsArgs;
use crate::cmd::{Ctx, Mode};
use crate::creds::Credentials;
use crate::env::Env;
use crate::error::MfaNeeded;

/// The threads that accept and answer connections: at most this many are served at once.
pub const MAX_CONNECTIONS: usize = 64;
/// How often the helper checks its parent, and whether renewal is due.
pub const TICK: Duration = Duration::from_millis(500);
/// The bound on one renewal's network time and lock waits.
const RENEW_BUDGET: Duration = Duration::from_secs(60);
/// The longest pause between renewal attempts after failures (doubling from one second).
const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// The most the setup may hold: a few KiB in practice.
const MAX_SETUP: u64 = 64 * 1024;
/// The fd awsdo puts the listening socket on.
pub const LISTENER_FD: i32 = 3;
/// Stack of a connection thread: the handler is small, and RSS matters (BENCHMARKS.md).
const CONNECTION_STACK: usize = 128 * 1024;

/// What awsdo hands its helper through the stdin pipe. `Debug` hides the secrets.
#[derive(Serialize, Deserialize)]
pub struct Setup {
    /// awsdo's pid, which becomes the command's: the helper exits when its parent changes.
    pub parent: u32,
    pub path: String,
    pub token: String,
    /// The credential flags of the run (`-c` removed: a code is used once).
    pub args: CredsArgs,
    pub profile: String,
    /// The account the credentials belong to, when the plan names it.
    pub account: Option<String>,
    pub credentials: Credentials,
    /// Hook mode: the shell to live as long as (instead of the parent).
    #[serde(default)]
    pub watch: Option<Watched>,
    /// Hook mode: the private directory of the command's config file, removed at exit.
    #[serde(default)]
    pub private_dir: Option<std::path::PathBuf>,
}

/// A process the helper lives as long as: its pid and, where known, its start time (so a
/// reused pid is not mistaken for it).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Watched {
    pub pid: u32,
    /// Field 22 of `/proc/PID/stat` (clock ticks after boot) on Linux; `None` elsewhere.
    pub start: Option<u64>,
}

impl Watched {
    /// `pid` as it is now.
    pub fn of(pid: u32) -> Watched {
        Watched {
            pid,
            start: start_time(pid),
        }
    }

    /// Whether the process still runs (and is the same one).
    fn alive(&self) -> bool {
        let Ok(pid) = libc::pid_t::try_from(self.pid) else {
            return false;
        };
        // SAFETY: kill with signal 0 only checks that the process exists.
        let exists = unsafe { libc::kill(pid, 0) } == 0
            || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM);
        exists && (self.start.is_none() || start_time(self.pid) == self.start)
    }
}

/// The start time of `pid` from `/proc/PID/stat` (Linux), `None` when unknown.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // pid (comm) state …: comm may hold spaces and parentheses, so count after the last ')'.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

impl std::fmt::Debug for Setup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Setup")
            .field("parent", &self.parent)
            .field("profile", &self.profile)
            .field("credentials", &self.credentials)
            .finish_non_exhaustive()
    }
}

/// What a request gets now.
struct Served {
    /// The whole 200 answer for the current credentials.
    ok: Arc<[u8]>,
    /// When the current credentials stop working; after that, `problem` (or a bare 503).
    expires: OffsetDateTime,
    /// The whole 503 answer saying why renewal failed, once it has.
    problem: Option<Arc<[u8]>>,
}

/// The helper's main: returns when the command is gone (exit 0); an error on a broken setup.
pub fn serve() -> anyhow::Result<std::process::ExitCode> {
    // glibc gives each thread that allocates its own malloc arena (up to 8 per core), and
    // keeps their pages: after a burst of 50 clients the helper held ~10 MB for the rest of
    // its life (BENCHMARKS.md, row 7). Answers are small and come from memory, so one arena
    // shared by every connection thread is enough.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets a parameter of the allocator; no thread has been started yet.
    unsafe {
        libc::mallopt(libc::M_ARENA_MAX, 1);
    }
    let mut text = Vec::new();
    std::io::stdin()
        .take(MAX_SETUP)
        .read_to_end(&mut text)
        .context("could not start the credential endpoint: could not read its setup")?;
    let setup: Setup = serde_json::from_slice(&text)
        .context("could not start the credential endpoint: its setup is not valid (awsdo __serve is started by awsdo --server only)")?;
    drop(text);
    // SAFETY: fd 3 is the listening socket awsdo placed there before exec; it is owned here
    // and by nothing else. A stray fd 3 (someone running `awsdo __serve` by hand) fails the
    // checks below.
    let listener = unsafe { <TcpListener as std::os::fd::FromRawFd>::from_raw_fd(LISTENER_FD) };
    let port = match listener.local_addr() {
        Ok(a) if a.ip().is_loopback() => a.port(),
        _ => anyhow::bail!(
            "could not start the credential endpoint: fd {LISTENER_FD} is not its loopback socket"
        ),
    };
    let (parent, watch, private_dir) =
        (setup.parent, setup.watch.clone(), setup.private_dir.clone());
    let alive = move || match &watch {
        Some(w) => w.alive(),
        None => parent_alive(parent),
    };
    if !alive() {
        remove_private(private_dir.as_deref());
        return Ok(std::process::ExitCode::SUCCESS);
    }
    let gate = Arc::new(Gate {
        path: setup.path.clone(),
        token: setup.token.clone(),
        port,
    });
    let served = Arc::new(RwLock::new(answer_for(
        &setup.credentials,
        setup.account.as_deref(),
    )?));
    {
        let served = served.clone();
        std::thread::Builder::new()
            .name("renew".into())
            .spawn(move || renew_loop(setup, served))
            .context("could not start the credential endpoint's renewal thread")?;
    }
    std::thread::Builder::new()
        .name("accept".into())
        .spawn(move || accept_loop(&listener, &gate, &served))
        .context("could not start the credential endpoint's listener thread")?;
    // The portable parent check (Linux also has PR_SET_PDEATHSIG): returning ends the process
    // and its threads.
    while alive() {
        std::thread::sleep(TICK);
    }
    remove_private(private_dir.as_deref());
    Ok(std::process::ExitCode::SUCCESS)
}

/// Remove the hook mode's private directory (its one config file), if any.
fn remove_private(dir: Option<&std::path::Path>) {
    if let Some(dir) = dir {
        let _ = std::fs::remove_dir_all(dir);
    }
}

/// Whether the process that started us is still our parent (a dead parent's children are
/// handed to init or a subreaper, which changes `getppid`).
fn parent_alive(parent: u32) -> bool {
    // SAFETY: getppid has no preconditions and cannot fail.
    let ppid = unsafe { libc::getppid() };
    u32::try_from(ppid).is_ok_and(|p| p == parent)
}

/// [`MAX_CONNECTIONS`] threads, each accepting and answering on its own (no hand-over, no
/// thread start per request); when all are busy, connections wait in the kernel's backlog.
fn accept_loop(listener: &TcpListener, gate: &Arc<Gate>, served: &Arc<RwLock<Served>>) {
    let mut threads = Vec::new();
    for _ in 0..MAX_CONNECTIONS {
        let Ok(listener) = listener.try_clone() else {
            break;
        };
        let (gate, served) = (gate.clone(), served.clone());
        let started = std::thread::Builder::new()
            .stack_size(CONNECTION_STACK)
            .spawn(move || {
                for stream in listener.incoming().flatten() {
                    handle(stream, &gate, &served);
                }
            });
        match started {
            Ok(t) => threads.push(t),
            Err(_) => break,
        }
    }
    for t in threads {
        let _ = t.join();
    }
}

/// Answer one connection: 403 unless allowed; else the credentials while they are good, else
/// 503 with why.
fn handle(mut stream: TcpStream, gate: &Gate, served: &RwLock<Served>) {
    let _ = stream.set_nodelay(true);
    if http::read_and_check(gate, &mut stream) != Verdict::Allowed {
        http::send(&mut stream, FORBIDDEN);
        return;
    }
    let answer = {
        let s = served
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if OffsetDateTime::now_utc() < s.expires {
            s.ok.clone()
        } else {
            s.problem.clone().unwrap_or_else(|| {
                problem(
                    "Expired",
                    "the credentials expired and awsdo could not renew them yet",
                )
            })
        }
    };
    http::send(&mut stream, &answer);
}

/// The container provider's answer for `creds` (the JSON botocore's and the Rust SDK's
/// container providers read: `AccessKeyId`, `SecretAccessKey`, `Token`, `Expiration` in UTC
/// with `Z`, and `AccountId` when known).
fn answer_for(creds: &Credentials, account: Option<&str>) -> anyhow::Result<Served> {
    let (Some(token), Some(expires), Some(expiration)) = (
        creds.session_token.as_deref(),
        creds.expiration,
        creds.expiration_rfc3339(),
    ) else {
        anyhow::bail!("could not serve the credentials: they have no session token or expiry");
    };
    let mut body = serde_json::json!({
        "AccessKeyId": creds.access_key_id,
        "SecretAccessKey": creds.secret_access_key,
        "Token": token,
        "Expiration": expiration,
    });
    if let Some(a) = account {
        body["AccountId"] = a.into();
    }
    let body = serde_json::to_vec(&body)?;
    Ok(Served {
        ok: http::json_answer(200, "OK", &body).into(),
        expires,
        problem: None,
    })
}

/// A 503 answer with `{"Code": code, "Message": message}`.
fn problem(code: &str, message: &str) -> Arc<[u8]> {
    let body = serde_json::json!({ "Code": code, "Message": message }).to_string();
    http::json_answer(503, "Service Unavailable", body.as_bytes()).into()
}

/// Renew before expiry, for as long as the process lives.
fn renew_loop(setup: Setup, served: Arc<RwLock<Served>>) {
    let ctx = Ctx::with_env(Env::from_process(), setup.args);
    let min_ttl = ctx.min_ttl().unwrap_or(crate::resolve::DEFAULT_MIN_TTL);
    let mut current = setup.credentials;
    let mut next_try = Instant::now();
    let mut backoff = Duration::from_secs(1);
    let mut told: Option<String> = None;
    loop {
        std::thread::sleep(TICK);
        if current.fresh_for(OffsetDateTime::now_utc(), min_ttl) || Instant::now() < next_try {
            continue;
        }
        let outcome = fetch(&ctx).and_then(|(creds, account)| {
            let next = answer_for(&creds, account.as_deref())?;
            Ok((creds, next))
        });
        match outcome {
            Ok((creds, next)) => {
                let mut s = served
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                if creds == current {
                    s.problem = None;
                } else {
                    crate::log::debug(&format!(
                        "server: profile {}: serving {}",
                        setup.profile, creds.access_key_id
                    ));
                    *s = next;
                    current = creds;
                }
                drop(s);
                backoff = Duration::from_secs(1);
                told = None;
                // Credentials shorter than the window would be renewed at every tick.
                next_try = Instant::now() + Duration::from_secs(1);
            }
            Err(err) => {
                let mfa = err.chain().any(|e| e.is::<MfaNeeded>());
                let line = crate::error::one_line(&format!("{err:#}"));
                let code = if mfa { "MfaNeeded" } else { "RenewalFailed" };
                served
                    .write()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .problem = Some(problem(code, &line));
                if told.as_deref() != Some(line.as_str()) {
                    eprintln!("awsdo: {line}");
                    told = Some(line);
                }
                // An MFA renewal waits for `awsdo login` to fill the cache: look each second
                // (a cache read, no network). Other failures back off.
                if mfa {
                    next_try = Instant::now() + Duration::from_secs(1);
                } else {
                    next_try = Instant::now() + backoff;
                    backoff = (backoff * 2).min(MAX_BACKOFF);
                }
            }
        }
    }
}

/// Credentials for the run's profile without prompting, through the cache and its locks
/// (`Ctx::credentials`, the road every awsdo run takes), and the account
/// they belong to.
fn fetch(ctx: &Ctx) -> anyhow::Result<(Credentials, Option<String>)> {
    let mode = Mode {
        may_prompt: false,
        budget: Some(RENEW_BUDGET),
        force: false,
    };
    let (credentials, plan) = ctx.credentials(None, mode)?;
    Ok((credentials, super::account_of(&plan)))
}
