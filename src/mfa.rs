//! MFA codes: from `-c`, from `mfa_process`, or typed at the terminal.
//!
//! The terminal is `/dev/tty`, never stdin or stdout: `eval "$(awsdo)"` captures stdout and a
//! pipe may own stdin, yet the user at the keyboard can still be asked. Echo is off while the
//! code is typed. When a discovery finds several devices and none is chosen, [`choose`] asks
//! which (or says which flag to pass). Which device a step uses is decided elsewhere: by the
//! plan (flag, config) or by discovery in `resolve/mfa.rs` (its calls in `net/`).

use std::fs::OpenOptions;
use std::io::{BufRead, BufReader, Write};
use std::os::fd::AsRawFd;

use anyhow::{Context, bail};

use crate::error::MfaNeeded;
use crate::escape::escape;
use crate::helper::{Helpers, Kind};

/// How many codes a user may type before awsdo gives up.
pub const TRIES: usize = 3;

/// Where codes come from during one run.
#[derive(Debug, Clone, Default)]
pub struct CodeSource {
    /// `-c/--token-code`: used once; a rejected flag code is final (nobody can be asked again).
    pub flag: Option<String>,
    /// Whether the terminal may be asked (false for a renewal from the prompt hook).
    pub may_prompt: bool,
    /// How this run's helper processes are run (environment, deadline): `mfa_process` here,
    /// and `credential_process` (the resolver takes them from here too).
    pub helpers: Helpers,
}

/// Where one code came from, so a rejection knows whether asking again makes sense.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Flag,
    Process,
    Terminal,
}

impl CodeSource {
    /// A code for `serial`, needed by `profile`. `attempt` counts from 0; the flag is only
    /// offered on the first attempt.
    pub fn code(
        &self,
        profile: &str,
        serial: &str,
        process: Option<&str>,
        attempt: usize,
    ) -> anyhow::Result<(String, Origin)> {
        if attempt == 0
            && let Some(code) = &self.flag
        {
            return Ok((check_code(code)?, Origin::Flag));
        }
        if let Some(cmd) = process {
            return Ok((
                run_mfa_process(&self.helpers, profile, cmd)?,
                Origin::Process,
            ));
        }
        if !self.may_prompt {
            return Err(MfaNeeded {
                profile: profile.to_owned(),
            }
            .into());
        }
        let code = prompt_terminal(profile, serial, attempt)?;
        Ok((code, Origin::Terminal))
    }
}

/// A code must be six digits: catching a typo here saves an STS call and a lockout count.
pub fn check_code(code: &str) -> anyhow::Result<String> {
    let code = code.trim();
    if code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()) {
        Ok(code.to_owned())
    } else {
        bail!("could not use the MFA code: it must be six digits")
    }
}

/// Run `mfa_process` (through `helper.rs`: the user's environment, a deadline, a capped
/// output) and take the six-digit code it prints.
fn run_mfa_process(helpers: &Helpers, profile: &str, cmd: &str) -> anyhow::Result<String> {
    let out = helpers.run(Kind::MfaProcess, profile, cmd, &[])?;
    if !out.status.success() {
        bail!(
            "could not get an MFA code for profile {profile:?}: mfa_process exited with {}",
            crate::helper::describe(out.status)
        );
    }
    let text = String::from_utf8_lossy(&out.stdout);
    check_code(&text).map_err(|_| {
        anyhow::anyhow!(
            "could not get an MFA code for profile {profile:?}: mfa_process printed no six-digit code"
        )
    })
}

/// Ask on `/dev/tty` with echo off, up to `TRIES` times for a well-formed code.
fn prompt_terminal(profile: &str, serial: &str, attempt: usize) -> anyhow::Result<String> {
    let tty = OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/tty")
        .map_err(|_| {
            anyhow::anyhow!(
                "could not ask for an MFA code for profile {profile:?}: no terminal; pass it with -c CODE (or set mfa_process in the profile)"
            )
        })?;
    let mut out = tty.try_clone().context("could not use the terminal")?;
    let mut reader = BufReader::new(tty);
    for n in 0..TRIES {
        let again = if attempt > 0 && n == 0 {
            "Code rejected. "
        } else if n > 0 {
            "Six digits, please. "
        } else {
            ""
        };
        // Both come from the files: shown escaped, like every other line for a person.
        let (serial, profile) = (escape(serial), escape(profile));
        write!(out, "{again}MFA code for {serial} (profile {profile}): ")?;
        out.flush()?;
        let line = {
            let _quiet = EchoOff::new(out.as_raw_fd());
            let mut line = String::new();
            reader.read_line(&mut line)?;
            line
        };
        writeln!(out)?;
        if line.is_empty() {
            bail!("could not read an MFA code for profile {profile:?}: the terminal closed");
        }
        if let Ok(code) = check_code(&line) {
            return Ok(code);
        }
    }
    bail!(
        "could not read an MFA code for profile {profile:?}: no six-digit code after {TRIES} tries"
    )
}

/// Turns terminal echo off for its lifetime, and back on if a signal ends the process first.
///
/// A shell restores the terminal after a foreground job killed by a signal, but not after a
/// command substitution (`__awsdo_out=$(awsdo export bash --atomic use)` in the bash hook):
/// Ctrl-C at the code prompt there left the user's terminal with echo off. So while echo is
/// off, SIGINT, SIGTERM, SIGHUP and SIGQUIT restore the saved attributes (`tcsetattr` is
/// async-signal-safe, POSIX.1-2008 2.4.3) and then take their default action. A signal the
/// process ignores stays ignored.
struct EchoOff {
    fd: i32,
    saved: Option<libc::termios>,
    /// The dispositions replaced while echo is off, put back on drop.
    replaced: Vec<(libc::c_int, libc::sigaction)>,
}

/// The descriptor and attributes the signal handler restores; null when echo is on.
static RESTORE: std::sync::atomic::AtomicPtr<(i32, libc::termios)> =
    std::sync::atomic::AtomicPtr::new(std::ptr::null_mut());

/// The signals that would otherwise end awsdo with echo off.
const RESTORING_SIGNALS: [libc::c_int; 4] =
    [libc::SIGINT, libc::SIGTERM, libc::SIGHUP, libc::SIGQUIT];

extern "C" fn restore_then_default(sig: libc::c_int) {
    let p = RESTORE.load(std::sync::atomic::Ordering::SeqCst);
    // SAFETY: only async-signal-safe calls; `p` points at a box that lives until the handler
    // is uninstalled (Drop uninstalls before it frees).
    unsafe {
        if !p.is_null() {
            libc::tcsetattr((*p).0, libc::TCSANOW, &(*p).1);
        }
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

impl EchoOff {
    fn new(fd: i32) -> EchoOff {
        // SAFETY: termios is plain data; tcgetattr fills it or fails, and we only use it then.
        let saved = unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::tcgetattr(fd, &mut t) == 0 {
                Some(t)
            } else {
                None
            }
        };
        let mut replaced = Vec::new();
        if let Some(t) = saved {
            let boxed = Box::into_raw(Box::new((fd, t)));
            let old = RESTORE.swap(boxed, std::sync::atomic::Ordering::SeqCst);
            if !old.is_null() {
                // SAFETY: a box from an earlier EchoOff that was not dropped (none nest).
                drop(unsafe { Box::from_raw(old) });
            }
            for sig in RESTORING_SIGNALS {
                // SAFETY: sigaction with a zeroed struct reads the current disposition; the
                // handler is an `extern "C"` fn of the right signature.
                unsafe {
                    let mut current: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(sig, std::ptr::null(), &mut current) != 0
                        || current.sa_sigaction == libc::SIG_IGN
                    {
                        continue;
                    }
                    let mut action: libc::sigaction = std::mem::zeroed();
                    action.sa_sigaction = restore_then_default as *const () as usize;
                    libc::sigemptyset(&mut action.sa_mask);
                    let mut previous: libc::sigaction = std::mem::zeroed();
                    if libc::sigaction(sig, &action, &mut previous) == 0 {
                        replaced.push((sig, previous));
                    }
                }
            }
            let mut quiet = t;
            quiet.c_lflag &= !libc::ECHO;
            quiet.c_lflag |= libc::ECHONL;
            // SAFETY: attributes read from the same descriptor, with echo changed.
            unsafe {
                libc::tcsetattr(fd, libc::TCSANOW, &quiet);
            }
        }
        EchoOff {
            fd,
            saved,
            replaced,
        }
    }
}

impl Drop for EchoOff {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            // SAFETY: restores the attributes read from the same descriptor.
            unsafe {
                libc::tcsetattr(self.fd, libc::TCSANOW, t);
            }
        }
        for (sig, previous) in self.replaced.drain(..) {
            // SAFETY: puts back the disposition sigaction reported.
            unsafe {
                libc::sigaction(sig, &previous, std::ptr::null_mut());
            }
        }
        let p = RESTORE.swap(std::ptr::null_mut(), std::sync::atomic::Ordering::SeqCst);
        if !p.is_null() {
            // SAFETY: the box made in `new`; the handlers that read it are uninstalled.
            drop(unsafe { Box::from_raw(p) });
        }
    }
}

/// Pick one of several discovered devices: asked on the terminal, else an error that names
/// the flag to pass.
pub fn choose(profile: &str, devices: &[String], may_prompt: bool) -> anyhow::Result<String> {
    let list = devices.join(", ");
    let no_choice = || {
        anyhow::anyhow!(
            "could not choose an MFA device for profile {profile:?}: the user has several ({list}); pass one with -n ARN or set mfa_serial"
        )
    };
    if !may_prompt {
        return Err(no_choice());
    }
    let Ok(tty) = OpenOptions::new().read(true).write(true).open("/dev/tty") else {
        return Err(no_choice());
    };
    let mut out = tty.try_clone().context("could not use the terminal")?;
    let mut reader = BufReader::new(tty);
    writeln!(
        out,
        "Profile {}: several MFA devices found:",
        escape(profile)
    )?;
    for (i, d) in devices.iter().enumerate() {
        writeln!(out, "  {}) {}", i + 1, escape(d))?;
    }
    for _ in 0..TRIES {
        write!(out, "Use which device? [1-{}]: ", devices.len())?;
        out.flush()?;
        let mut line = String::new();
        reader.read_line(&mut line)?;
        if let Ok(n) = line.trim().parse::<usize>()
            && (1..=devices.len()).contains(&n)
        {
            return Ok(devices[n - 1].clone());
        }
    }
    Err(no_choice())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_six_digits() {
        assert_eq!(check_code(" 123456\n").unwrap(), "123456");
        for bad in ["12345", "1234567", "12345a", "", "12 456"] {
            assert!(check_code(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn no_prompt_allowed_is_mfa_needed() {
        let src = CodeSource {
            flag: None,
            may_prompt: false,
            ..CodeSource::default()
        };
        let err = src
            .code("prod", "arn:aws:iam::123456789012:mfa/u", None, 0)
            .unwrap_err();
        assert!(err.downcast_ref::<MfaNeeded>().is_some());
        assert!(err.to_string().contains("run: awsdo login prod"), "{err}");
    }

    #[test]
    fn the_flag_is_used_once() {
        let src = CodeSource {
            flag: Some("123456".into()),
            may_prompt: false,
            ..CodeSource::default()
        };
        assert_eq!(
            src.code("p", "s", None, 0).unwrap(),
            ("123456".into(), Origin::Flag)
        );
        assert!(src.code("p", "s", None, 1).is_err());
    }

    #[test]
    fn mfa_process_prints_the_code() {
        let src = CodeSource::default();
        let (code, origin) = src.code("p", "s", Some("echo 654321"), 0).unwrap();
        assert_eq!((code.as_str(), origin), ("654321", Origin::Process));
        assert!(src.code("p", "s", Some("echo nope"), 0).is_err());
    }
}
