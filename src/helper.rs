//! One runner for the helper processes a profile names (`credential_process`, `mfa_process`).
//!
//! A helper is run by `/bin/sh -c COMMAND` (as the AWS CLI's `credential_process` is a
//! command line) with:
//!
//! - the environment it is given (the user's own: see `env.rs`), nothing inherited;
//! - stdin and stderr passed through, as the AWS CLI does (a helper may ask the user
//!   something, `aws-vault` for an MFA code for example);
//! - stdout read into memory up to [`OUTPUT_CAP`]; more than that kills it;
//! - its own process group, so that at the deadline (or at the cap) the helper **and every
//!   process it started** are killed with one `kill(-pgid, SIGKILL)`, then reaped. When awsdo
//!   runs in the terminal's foreground, that group is made the terminal's foreground group
//!   while it runs (as a shell does for a job), so a helper reading or setting up the
//!   terminal is not stopped by SIGTTIN/SIGTTOU; the terminal is handed back afterwards.
//!
//! Errors are one line naming the profile and the helper kind, never its output (it may hold
//! secrets).

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use anyhow::bail;

use crate::deadline::Deadline;
use crate::env::Env;

/// The most a helper may print on stdout: 1 MiB. Version 1 JSON or an MFA code is well under
/// a kilobyte; a helper printing more is broken and is killed.
pub const OUTPUT_CAP: usize = 1 << 20;

/// How long a hand-run `credential_process` may take: 5 minutes, so that a helper which signs
/// in through a browser (SSO, SAML) leaves the user time. The AWS CLI waits forever.
pub const CREDENTIAL_PROCESS_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a hand-run `mfa_process` may take: 60 seconds, time enough to touch a key.
pub const MFA_PROCESS_TIMEOUT: Duration = Duration::from_secs(60);
/// Overrides both defaults (`30s`, `5m`, `120`…).
pub const TIMEOUT_VAR: &str = "AWSDO_HELPER_TIMEOUT";

/// How often the runner looks at the helper while it waits.
const POLL: Duration = Duration::from_millis(10);

/// What the helpers of one run share: the environment they get and their bounds.
#[derive(Debug, Clone)]
pub struct Helpers {
    /// The environment every helper starts with (the user's own, `Env::user`).
    pub env: Env,
    /// The run's deadline (the prompt hook's budget), else none.
    pub deadline: Deadline,
    /// `AWSDO_HELPER_TIMEOUT`, replacing the per-kind defaults when set.
    pub timeout: Option<Duration>,
}

impl Default for Helpers {
    /// An empty environment, no deadline, the default limits.
    fn default() -> Helpers {
        Helpers {
            env: Env::default(),
            deadline: Deadline::NONE,
            timeout: None,
        }
    }
}

/// Which helper, for the bound and the error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    CredentialProcess,
    MfaProcess,
}

impl Kind {
    /// The profile key that names this helper.
    pub fn key(self) -> &'static str {
        match self {
            Kind::CredentialProcess => "credential_process",
            Kind::MfaProcess => "mfa_process",
        }
    }

    fn default_timeout(self) -> Duration {
        match self {
            Kind::CredentialProcess => CREDENTIAL_PROCESS_TIMEOUT,
            Kind::MfaProcess => MFA_PROCESS_TIMEOUT,
        }
    }
}

/// What a helper left: its exit status and its stdout (at most [`OUTPUT_CAP`] bytes).
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
}

impl Helpers {
    /// How long a helper of `kind` may run now: the run's deadline capped by the kind's limit.
    pub fn bound(&self, kind: Kind) -> Duration {
        self.deadline
            .capped(self.timeout.unwrap_or_else(|| kind.default_timeout()))
    }

    /// Run `command` for `profile`, with `extra` variables on top of the helpers' environment.
    /// Errors: the shell cannot be started; the helper prints more than [`OUTPUT_CAP`]; it
    /// does not finish within [`Helpers::bound`]. A non-zero exit is not an error here: the
    /// caller decides what it means.
    pub fn run(
        &self,
        kind: Kind,
        profile: &str,
        command: &str,
        extra: &[(&str, &str)],
    ) -> anyhow::Result<Output> {
        let what = kind.key();
        let bound = self.bound(kind);
        let mut cmd = Command::new("/bin/sh");
        cmd.arg("-c")
            .arg(command)
            .env_clear()
            .envs(self.env.iter())
            .stdin(Stdio::inherit())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .process_group(0);
        for (k, v) in extra {
            cmd.env(k, v);
        }
        crate::coredump::restore_in_child(&mut cmd);
        let terminal = Terminal::foreground();
        if let Some(fd) = terminal.as_ref().map(|t| t.fd()) {
            // SAFETY: runs in the child between fork and exec and calls only async-signal-safe
            // functions (sigprocmask, getpid, tcsetpgrp); `fd` stays open in the parent
            // for the whole spawn.
            unsafe {
                cmd.pre_exec(move || {
                    libc::setpgid(0, 0);
                    take_terminal(fd, libc::getpid());
                    Ok(())
                });
            }
        }
        let mut child = cmd.spawn().map_err(|e| {
            anyhow::anyhow!("could not run {what} of profile {profile:?}: /bin/sh: {e}")
        })?;
        // Both sides hand the terminal over (whichever runs first), as shells do; the guard
        // takes it back when this function returns, however it returns.
        let _terminal = terminal.map(|t| t.lend(child.id()));
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        // The reader stops at EOF or one byte past the cap. It is not joined after a kill:
        // a process that left the group could keep the pipe open.
        std::thread::spawn(move || {
            let mut buf = Vec::new();
            let read = (&mut stdout)
                .take(OUTPUT_CAP as u64 + 1)
                .read_to_end(&mut buf)
                .map(|_| buf);
            let _ = tx.send(read);
        });
        let started = Instant::now();
        let mut out: Option<Vec<u8>> = None;
        let mut status: Option<ExitStatus> = None;
        loop {
            if out.is_none() {
                match rx.recv_timeout(POLL) {
                    Ok(Ok(buf)) if buf.len() > OUTPUT_CAP => {
                        kill_group(&mut child);
                        bail!(
                            "could not run {what} of profile {profile:?}: it printed more than {} MiB; it was stopped",
                            OUTPUT_CAP >> 20
                        );
                    }
                    Ok(Ok(buf)) => out = Some(buf),
                    Ok(Err(e)) => {
                        kill_group(&mut child);
                        bail!("could not read the output of {what} of profile {profile:?}: {e}");
                    }
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => out = Some(Vec::new()),
                }
            } else {
                std::thread::sleep(POLL);
            }
            if status.is_none() {
                status = child.try_wait().ok().flatten();
            }
            if let (Some(stdout), Some(status)) = (&out, status) {
                return Ok(Output {
                    status,
                    stdout: stdout.clone(),
                });
            }
            if started.elapsed() >= bound {
                kill_group(&mut child);
                bail!(
                    "could not run {what} of profile {profile:?}: it did not finish within {}; it was stopped",
                    human(bound)
                );
            }
        }
    }
}

/// The controlling terminal, when this process's group is its foreground group.
struct Terminal {
    tty: std::fs::File,
}

impl Terminal {
    fn foreground() -> Option<Terminal> {
        use std::os::fd::AsRawFd;
        use std::os::unix::fs::OpenOptionsExt;
        let tty = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .custom_flags(libc::O_NOCTTY | libc::O_CLOEXEC)
            .open("/dev/tty")
            .ok()?;
        // SAFETY: plain system calls on a descriptor we own.
        let ours = unsafe { libc::tcgetpgrp(tty.as_raw_fd()) == libc::getpgrp() };
        ours.then_some(Terminal { tty })
    }

    fn fd(&self) -> i32 {
        use std::os::fd::AsRawFd;
        self.tty.as_raw_fd()
    }

    /// Make `pid`'s group (the helper's) the foreground group until the guard is dropped.
    fn lend(self, pid: u32) -> Lent {
        if let Ok(pid) = i32::try_from(pid) {
            take_terminal(self.fd(), pid);
            // A helper that touched the terminal before it was its own was stopped: go on.
            // SAFETY: signals the helper's group only.
            unsafe {
                libc::kill(-pid, libc::SIGCONT);
            }
        }
        Lent { terminal: self }
    }
}

/// Gives the terminal back to this process's group when dropped.
struct Lent {
    terminal: Terminal,
}

impl Drop for Lent {
    fn drop(&mut self) {
        // SAFETY: getpgrp cannot fail.
        take_terminal(self.terminal.fd(), unsafe { libc::getpgrp() });
    }
}

/// `tcsetpgrp(fd, pgrp)` with SIGTTOU blocked in the calling thread, so that a process not
/// in the foreground may do it without being stopped (POSIX tcsetpgrp). Async-signal-safe.
fn take_terminal(fd: i32, pgrp: i32) {
    // SAFETY: sigset_t is plain data initialised by sigemptyset; the calls only read and
    // write it and the thread's signal mask, which is restored.
    unsafe {
        let mut block: libc::sigset_t = std::mem::zeroed();
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut block);
        libc::sigaddset(&mut block, libc::SIGTTOU);
        libc::pthread_sigmask(libc::SIG_BLOCK, &block, &mut old);
        libc::tcsetpgrp(fd, pgrp);
        libc::pthread_sigmask(libc::SIG_SETMASK, &old, std::ptr::null_mut());
    }
}

/// Kill the helper's process group (the helper and everything it started) and reap the helper.
fn kill_group(child: &mut Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill(2) with a negative pid signals the group the child leads (it was
        // spawned with process_group(0), so its pgid is its pid); it touches no memory.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// A bound for an error message, to a tenth of a second: `1.5s`, `60s`.
fn human(d: Duration) -> String {
    let tenths = format!("{:.1}", d.as_secs_f64());
    format!("{}s", tenths.strip_suffix(".0").unwrap_or(&tenths))
}

/// How a helper ended, for an error message: `exit status 3`, `signal 9`.
pub fn describe(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exit status {code}"),
        (None, Some(sig)) => format!("signal {sig}"),
        _ => status.to_string(),
    }
}

/// How long a browser command may take to return before awsdo stops waiting for it (a browser
/// that was not running yet may return only when it is closed: it is then left running).
pub const BROWSER_WAIT: Duration = Duration::from_secs(10);

/// Start `browser` (a command name or path, as `$BROWSER` names it) with `url` as its one
/// argument and `env` as its whole environment (`Env::for_browser`: no credential variable),
/// stdin/stdout/stderr on `/dev/null`, in its own process group (a Ctrl-C at awsdo's prompt
/// is not the browser's). Waits until the command returns or [`BROWSER_WAIT`] has passed.
///
/// The URL is on the browser's command line, where `ps` shows it: callers pass only URLs that
/// hold no secret beyond what their protocol puts in a URL (an OAuth authorize URL: client id,
/// state, PKCE challenge). Errors: the command cannot be started or exits with a failure.
pub fn open_browser(browser: &str, url: &str, env: &Env) -> anyhow::Result<()> {
    let mut cmd = Command::new(browser);
    cmd.arg(url)
        .env_clear()
        .envs(env.iter())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .process_group(0);
    crate::coredump::restore_in_child(&mut cmd);
    let mut child = cmd
        .spawn()
        .map_err(|e| anyhow::anyhow!("could not run the browser {browser}: {e}"))?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => return Ok(()),
            Ok(Some(status)) => {
                bail!(
                    "could not open the browser {browser}: it ended with {}",
                    describe(status)
                )
            }
            Ok(None) if started.elapsed() < BROWSER_WAIT => std::thread::sleep(POLL * 5),
            // Still running (a browser that stays in the foreground): it has the URL.
            Ok(None) => return Ok(()),
            Err(e) => bail!("could not wait for the browser {browser}: {e}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn helpers(limit: Duration) -> Helpers {
        Helpers {
            env: Env::from_pairs([("PATH", "/usr/bin:/bin"), ("HELPER_TEST", "yes")]),
            deadline: Deadline::NONE,
            timeout: Some(limit),
        }
    }

    #[test]
    fn output_status_and_environment() {
        let h = helpers(Duration::from_secs(30));
        let out = h
            .run(
                Kind::MfaProcess,
                "p",
                "echo \"$HELPER_TEST $EXTRA\"; exit 3",
                &[("EXTRA", "x")],
            )
            .unwrap();
        assert_eq!(out.stdout, b"yes x\n");
        assert_eq!(out.status.code(), Some(3));
    }

    #[test]
    fn a_helper_that_does_not_finish_is_stopped_with_its_children() {
        let dir = tempfile::tempdir().unwrap();
        let pidfile = dir.path().join("pid");
        let h = helpers(Duration::from_millis(300));
        let err = h
            .run(
                Kind::CredentialProcess,
                "slow",
                &format!("sleep 1000 & echo $! > '{}'; wait", pidfile.display()),
                &[],
            )
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("credential_process of profile \"slow\""),
            "{err}"
        );
        assert!(err.contains("did not finish within 0.3s"), "{err}");
        let pid: i32 = std::fs::read_to_string(&pidfile)
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        // The grandchild is gone (killed with the group; reaped by init).
        let mut gone = false;
        for _ in 0..500 {
            // SAFETY: signal 0 only checks that the process exists.
            if unsafe { libc::kill(pid, 0) } != 0 {
                gone = true;
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        assert!(gone, "grandchild {pid} still runs");
    }

    #[test]
    fn endless_output_is_capped() {
        let h = helpers(Duration::from_secs(60));
        let err = h
            .run(Kind::CredentialProcess, "loud", "yes", &[])
            .unwrap_err()
            .to_string();
        assert!(err.contains("printed more than 1 MiB"), "{err}");
    }
}
