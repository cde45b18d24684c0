//! Drive an interactive program on a real terminal (tmux), e.g. to answer an MFA prompt.
//!
//! Each `Tmux` has its own server (`tmux -L <unique socket>`) with a private config (no user
//! config is read), a 200x50 window without status line, and `remain-on-exit on` so the
//! screen and exit status stay readable after the program ends. Killed on Drop.

use std::process::{Command, Output};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

static COUNTER: AtomicUsize = AtomicUsize::new(0);

pub struct Tmux {
    socket: String,
    status: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

impl Tmux {
    /// Runs `command_line` (a script for `sh`) in a new detached session, with exactly `env`
    /// (plus the caller's PATH unless `env` has one; tmux adds TERM and TMUX). None (after
    /// `skipping: tmux not found`) when tmux is missing and not required.
    pub fn start(command_line: &str, env: &[(String, String)]) -> Option<Tmux> {
        if !super::require("tmux") {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("awsdo-tmux-")
            .tempdir()
            .expect("temp dir");
        let conf = dir.path().join("tmux.conf");
        std::fs::write(
            &conf,
            "set -g remain-on-exit on\nset -g status off\nset -g history-limit 10000\n\
             set -g default-shell /bin/sh\n",
        )
        .unwrap();
        let socket = format!(
            "awsdo-test-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut cmd = Command::new("tmux");
        cmd.env_clear();
        if !env.iter().any(|(k, _)| k == "PATH") {
            cmd.env("PATH", std::env::var("PATH").unwrap_or_default());
        }
        cmd.envs(env.iter().map(|(k, v)| (k, v)));
        // tmux 3.3 sometimes loses a dead pane's exit status (pane_dead_status stays empty
        // when the pty's EOF beats SIGCHLD), so a wrapper script records it in a file.
        let status = dir.path().join("status");
        let script = dir.path().join("run.sh");
        std::fs::write(
            &script,
            format!(
                "{command_line}\nprintf '%s' \"$?\" > '{0}.tmp' && mv '{0}.tmp' '{0}'\n",
                status.display()
            ),
        )
        .unwrap();
        cmd.args(["-L", &socket, "-f"])
            .arg(&conf)
            .args(["new-session", "-d", "-x", "200", "-y", "50", "-s", "main"])
            .arg(format!("sh '{}'", script.display()));
        let out = cmd.output().expect("run tmux");
        assert!(
            out.status.success(),
            "tmux new-session failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        Some(Tmux {
            socket,
            status,
            _dir: dir,
        })
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("run tmux")
    }

    /// The whole pane: scrollback and screen, wrapped lines joined, trailing blank lines cut.
    pub fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-J", "-S", "-", "-t", "main"]);
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let trimmed = text.trim_end_matches(['\n', ' ']);
        format!("{trimmed}\n")
    }

    /// Polls the pane until it shows `text`; false on timeout.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            if self.screen().contains(text) {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// Types `text` literally, then Enter.
    pub fn send_keys(&self, text: &str) {
        self.type_text(text);
        self.send_raw(&["Enter"]);
    }

    /// Types `text` literally, without Enter.
    pub fn type_text(&self, text: &str) {
        if !text.is_empty() {
            let out = self.tmux(&["send-keys", "-t", "main", "-l", text]);
            assert!(out.status.success(), "tmux send-keys failed");
        }
    }

    /// Sends tmux key names: `["C-c"]`, `["Enter"]`, `["C-d"]`.
    pub fn send_raw(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "main"];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(out.status.success(), "tmux send-keys failed");
    }

    /// The program's exit status once it has ended (None while it runs).
    pub fn exit_status(&self) -> Option<i32> {
        std::fs::read_to_string(&self.status)
            .ok()?
            .trim()
            .parse()
            .ok()
    }

    /// Waits for the program to end and returns its exit status; None on timeout.
    pub fn wait_exit(&self, timeout: Duration) -> Option<i32> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(code) = self.exit_status() {
                return Some(code);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}
