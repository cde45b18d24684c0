//! No core dump while awsdo holds secrets (long-lived keys, session tokens, MFA codes).
//!
//! With core dumps enabled (`ulimit -c unlimited`), a SIGQUIT (Ctrl-\) at the MFA prompt would
//! leave a `core` file holding the secret key read from `~/.aws/credentials`. [`forbid`] runs
//! first in `main`, before anything is read: the soft `RLIMIT_CORE` goes to 0 (portable) and,
//! on Linux, the process is made undumpable (`prctl(PR_SET_DUMPABLE, 0)`), which also keeps
//! other processes of the same user (without CAP_SYS_PTRACE) from reading its memory through
//! `/proc/PID/mem` or attaching a debugger.
//!
//! Children get the user's limit back ([`restore_in_child`]): the command of `awsdo -- cmd`
//! dumps core as it would have without awsdo. The dumpable flag needs no restoring: `execve`
//! of an ordinary program resets it (prctl(2)).

use std::os::unix::process::CommandExt;
use std::process::Command;
use std::sync::OnceLock;

/// The soft and hard core-size limits awsdo started with.
static USER_LIMIT: OnceLock<(libc::rlim_t, libc::rlim_t)> = OnceLock::new();

/// Make this process undumpable and its core size limit 0. Failures are ignored: there is
/// nothing better to do than go on (and nothing to report that a user could act on).
pub fn forbid() {
    // SAFETY: getrlimit/setrlimit read and write a plain struct we own; prctl with
    // PR_SET_DUMPABLE takes integer arguments only.
    unsafe {
        let mut limit: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_CORE, &mut limit) == 0 {
            let _ = USER_LIMIT.set((limit.rlim_cur, limit.rlim_max));
            limit.rlim_cur = 0;
            libc::setrlimit(libc::RLIMIT_CORE, &limit);
        }
        #[cfg(target_os = "linux")]
        libc::prctl(libc::PR_SET_DUMPABLE, 0, 0, 0, 0);
    }
}

/// Give `cmd`'s process the core size limit the user had before [`forbid`].
pub fn restore_in_child(cmd: &mut Command) {
    let Some(&(cur, max)) = USER_LIMIT.get() else {
        return;
    };
    // SAFETY: runs between fork and exec and calls setrlimit only (async-signal-safe) on a
    // struct built from copied integers.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit {
                rlim_cur: cur,
                rlim_max: max,
            };
            libc::setrlimit(libc::RLIMIT_CORE, &limit);
            Ok(())
        });
    }
}
