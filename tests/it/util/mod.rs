//! Test helpers shared by every integration test module (`use crate::util;`), compiled once.
//!
//! - `require(tool)`, `tool(tool)`: skip a test when an external tool is missing (unless
//!   `AWSDO_TEST_REQUIRE` says it must be there).
//! - `TestEnv`: a private HOME with `~/.aws/config`, `~/.aws/credentials` and a cache dir, and
//!   `cmd()`, the awsdo binary in a clean environment aimed at them.
//! - `eqnice!`, `run_ok`, `run_fail`: assertions that show what went wrong.
//! - `http` (an HTTP/1.1 server and client on hyper), `sts` (STS/IAM XML and `FakeSts`), `moto`
//!   (moto_server behind a call-counting proxy), `sso` (a fake SSO portal and token cache),
//!   `tls` (a private CA, HTTPS stand-ins, a CONNECT proxy), `tmux` (drive a program on a real
//!   terminal).
pub mod driver;
pub mod http;
pub mod moto;
pub mod oidc;
pub mod sso;
pub mod sts;
pub mod tls;
pub mod tmux;

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// Whether `AWSDO_TEST_REQUIRE` (comma-separated tool names, or `all`) lists `tool`.
pub fn required_by_env(tool: &str) -> bool {
    required_by(
        &std::env::var("AWSDO_TEST_REQUIRE").unwrap_or_default(),
        tool,
    )
}

/// Whether a list in the form of `AWSDO_TEST_REQUIRE` names `tool`.
pub fn required_by(list: &str, tool: &str) -> bool {
    list.split(',')
        .map(str::trim)
        .any(|t| t == "all" || t == tool)
}

/// Where `tool` is on PATH, if it is there and executable. A pyenv shim only counts when the
/// current Python version really has the tool.
///
/// `nu` is looked for first where `scripts/install-test-deps` puts it: the npm package in
/// `tests/nu` (its platform binary, not npm's node launcher, so strace sees nu itself).
pub fn find_tool(tool: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    if tool == "nu"
        && let Some(nu) = npm_nu()
    {
        return Some(nu);
    }
    let path = std::env::var_os("PATH")?;
    let found = std::env::split_paths(&path)
        .map(|d| d.join(tool))
        .find(|p| {
            fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })?;
    if found.to_string_lossy().contains("/.pyenv/shims/") {
        let ok = Command::new("pyenv")
            .args(["which", tool])
            .output()
            .is_ok_and(|o| o.status.success());
        if !ok {
            return None;
        }
    }
    Some(found)
}

/// The nu binary of the npm package in `tests/nu` (`@nushell/<os>-<arch>/bin/nu`), if installed.
fn npm_nu() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/nu/node_modules/@nushell");
    fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin/nu"))
        .find(|p| p.is_file())
}

/// True when `tool` is on PATH. Otherwise prints `skipping: <tool> not found` to stderr and
/// returns false, or panics when `AWSDO_TEST_REQUIRE` lists the tool (or is `all`).
///
/// ```ignore
/// if !util::require("aws") { return; }
/// ```
#[track_caller]
pub fn require(tool: &str) -> bool {
    require_with(
        tool,
        &std::env::var("AWSDO_TEST_REQUIRE").unwrap_or_default(),
    )
}

/// `require` with the list given instead of read from `AWSDO_TEST_REQUIRE`.
#[track_caller]
pub fn require_with(tool: &str, require_list: &str) -> bool {
    if find_tool(tool).is_some() {
        return true;
    }
    skip_with(tool, require_list);
    false
}

/// `require` and `find_tool` in one: where `tool` is, or `None` after the skip notice.
#[track_caller]
pub fn tool(tool: &str) -> Option<PathBuf> {
    require(tool).then(|| find_tool(tool)).flatten()
}

/// Reports `tool` as missing when it is not a program on PATH (`tree-sitter-pwsh`, an npm
/// package): the skip notice, or a panic when `AWSDO_TEST_REQUIRE` lists it.
#[track_caller]
pub fn skip(tool: &str) {
    skip_with(
        tool,
        &std::env::var("AWSDO_TEST_REQUIRE").unwrap_or_default(),
    );
}

#[track_caller]
fn skip_with(tool: &str, require_list: &str) {
    if required_by(require_list, tool) {
        panic!(
            "{tool} not found, and AWSDO_TEST_REQUIRE={require_list:?} requires it \
             (scripts/install-test-deps installs it)"
        );
    }
    eprintln!("skipping: {tool} not found");
}

/// A private world for one test: `ROOT/home` (HOME), `ROOT/home/.aws/{config,credentials}`
/// (both created empty) and `ROOT/cache` (AWSDO_CACHE_DIR). Removed on Drop.
pub struct TestEnv {
    dir: tempfile::TempDir,
    endpoint: Option<String>,
    vars: Vec<(String, String)>,
}

impl Default for TestEnv {
    fn default() -> Self {
        TestEnv::new()
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("awsdo-test-")
            .tempdir()
            .expect("temp dir");
        let env = TestEnv {
            dir,
            endpoint: None,
            vars: Vec::new(),
        };
        fs::create_dir_all(env.home().join(".aws")).unwrap();
        fs::create_dir_all(env.cache_dir()).unwrap();
        fs::write(env.config_path(), "").unwrap();
        env.write_credentials("");
        env
    }

    /// A TestEnv whose commands get `AWS_ENDPOINT_URL=url`.
    pub fn with_endpoint(url: &str) -> TestEnv {
        let mut env = TestEnv::new();
        env.set_endpoint(url);
        env
    }

    pub fn set_endpoint(&mut self, url: &str) {
        self.endpoint = Some(url.to_string());
    }

    /// Adds a variable to the environment of every `cmd()` (e.g. `AWS_REGION`,
    /// `AWS_ENDPOINT_URL_SSO`); a later call for the same name wins.
    pub fn set_var(&mut self, name: &str, value: &str) {
        self.vars.retain(|(k, _)| k != name);
        self.vars.push((name.to_string(), value.to_string()));
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }

    pub fn home(&self) -> PathBuf {
        self.root().join("home")
    }

    pub fn config_path(&self) -> PathBuf {
        self.home().join(".aws/config")
    }

    pub fn credentials_path(&self) -> PathBuf {
        self.home().join(".aws/credentials")
    }

    pub fn cache_dir(&self) -> PathBuf {
        self.root().join("cache")
    }

    pub fn write_config(&self, text: &str) {
        fs::write(self.config_path(), text).unwrap();
    }

    /// Writes the credentials file 0600, as `aws configure` leaves it (awsdo warns about a
    /// credentials file that others can read).
    pub fn write_credentials(&self, text: &str) {
        use std::os::unix::fs::PermissionsExt;
        fs::write(self.credentials_path(), text).unwrap();
        fs::set_permissions(self.credentials_path(), fs::Permissions::from_mode(0o600)).unwrap();
    }

    /// Writes `ROOT/rel` (parents created) and returns its path.
    pub fn write_file(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.root().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(&p, text).unwrap();
        p
    }

    /// Writes `ROOT/rel` as an executable (0755) and returns its path. A child process writes
    /// it, so this process never holds a write descriptor to it (see `copy_executable`).
    pub fn write_script(&self, rel: &str, text: &str) -> PathBuf {
        let p = self.root().join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        write_executable(&p, text);
        p
    }

    /// Writes the token that `aws sso login` leaves for `key` (an sso_session name, or the
    /// start URL of a legacy profile) in `HOME/.aws/sso/cache/`, valid for `valid`.
    pub fn write_sso_token(
        &self,
        key: &str,
        start_url: &str,
        region: &str,
        access_token: &str,
        valid: Duration,
    ) -> PathBuf {
        sso::write_token(
            &self.home(),
            key,
            start_url,
            region,
            access_token,
            SystemTime::now() + valid,
        )
    }

    /// The environment `cmd()` sets, in order (PATH first).
    pub fn env_vars(&self) -> Vec<(String, String)> {
        let mut v = vec![
            (
                "PATH".to_string(),
                std::env::var("PATH").unwrap_or_default(),
            ),
            ("HOME".to_string(), path_str(&self.home())),
            ("AWS_CONFIG_FILE".to_string(), path_str(&self.config_path())),
            (
                "AWS_SHARED_CREDENTIALS_FILE".to_string(),
                path_str(&self.credentials_path()),
            ),
            ("AWSDO_CACHE_DIR".to_string(), path_str(&self.cache_dir())),
            ("LANG".to_string(), "C.UTF-8".to_string()),
            // Keeps the SDK from probing the instance metadata service (169.254.169.254)
            // for credentials or a region: tests talk to loopback only.
            ("AWS_EC2_METADATA_DISABLED".to_string(), "true".to_string()),
        ];
        if let Some(url) = &self.endpoint {
            v.push(("AWS_ENDPOINT_URL".to_string(), url.clone()));
        }
        for (k, val) in &self.vars {
            v.retain(|(name, _)| name != k);
            v.push((k.clone(), val.clone()));
        }
        v
    }

    /// The awsdo binary with a clean environment: only `env_vars()`, current dir `ROOT`.
    pub fn cmd(&self) -> Command {
        let mut c = Command::new(awsdo_bin());
        c.env_clear().envs(self.env_vars()).current_dir(self.root());
        c
    }

    /// Any program with the same clean environment (e.g. `aws`, or a shell).
    pub fn command(&self, program: impl AsRef<OsStr>) -> Command {
        let mut c = Command::new(program);
        c.env_clear().envs(self.env_vars()).current_dir(self.root());
        c
    }
}

fn path_str(p: &Path) -> String {
    p.to_str().expect("utf-8 temp path").to_string()
}

/// `aws sts get-caller-identity` printing only the caller's ARN: what a command run through
/// awsdo sees as its identity.
pub const CALLER_ARN: &[&str] = &[
    "aws",
    "sts",
    "get-caller-identity",
    "--query",
    "Arn",
    "--output",
    "text",
];

/// The awsdo binary under test.
pub fn awsdo_bin() -> &'static str {
    env!("CARGO_BIN_EXE_awsdo")
}

/// The hook's `export` worker built with it (`src/bin/awsdo-export.rs`), beside
/// [`awsdo_bin`]: `awsdo hook` names it in every snippet.
pub fn export_worker_bin() -> &'static str {
    env!("CARGO_BIN_EXE_awsdo-export")
}

/// `hook` (as `awsdo hook` printed it) with both binaries, awsdo and its `export` worker,
/// replaced by wrappers named `awsdo-logged` (in `ROOT/bin` and `ROOT/bin/export`) that append
/// each call's arguments to `ROOT/calls` and exec the real binary. `quote` quotes a path as the
/// snippet's shell does; each quoted path must occur once.
pub fn log_hook_calls(env: &TestEnv, hook: &str, quote: impl Fn(&str) -> String) -> String {
    let log = env.root().join("calls");
    let mut hook = hook.to_owned();
    for (real, wrapper) in [
        (awsdo_bin(), "bin/awsdo-logged"),
        (export_worker_bin(), "bin/export/awsdo-logged"),
    ] {
        let wrapper = env.write_script(
            wrapper,
            &format!(
                "#!/bin/sh\nprintf '%s\\n' \"$*\" >> {}\nexec {} \"$@\"\n",
                sh_quote(log.to_str().unwrap()),
                sh_quote(real)
            ),
        );
        let quoted = quote(real);
        assert_eq!(hook.matches(&quoted).count(), 1, "{real} in {hook}");
        hook = hook.replace(&quoted, &quote(wrapper.to_str().unwrap()));
    }
    hook
}

/// Formats an `Output` for a failure message.
pub fn describe(out: &Output) -> String {
    format!(
        "status: {}\n--- stdout ---\n{}\n--- stderr ---\n{}\n--------------",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn describe_cmd(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

/// Writes `text` to `path` as an executable (0755) through a child process (see
/// `copy_executable`).
pub fn write_executable(path: &Path, text: &str) {
    let mut cmd = Command::new("sh");
    cmd.args(["-c", "cat > \"$1\" && chmod 755 \"$1\"", "sh"])
        .arg(path);
    let out = run_with_input(&mut cmd, text);
    assert!(
        out.status.success(),
        "write {}: {}",
        path.display(),
        describe(&out)
    );
}

/// Copies the executable `from` to `to` (mode kept) through `cp`, so this process never holds
/// a write descriptor to it: one held while another test forks would stay open in that child
/// until its exec, and running `to` would fail with ETXTBSY ("Text file busy").
pub fn copy_executable(from: &Path, to: &Path) {
    run_ok(Command::new("cp").arg(from).arg(to));
}

/// Runs `cmd` (stdin closed unless set) and returns its output; panics, showing stdout and
/// stderr, unless it exits 0.
#[track_caller]
pub fn run_ok(cmd: &mut Command) -> Output {
    let out = run(cmd);
    if !out.status.success() {
        panic!(
            "expected success from `{}`\n{}",
            describe_cmd(cmd),
            describe(&out)
        );
    }
    out
}

/// Runs `cmd` and returns its output; panics, showing stdout and stderr, if it exits 0 (or is
/// killed by a signal).
#[track_caller]
pub fn run_fail(cmd: &mut Command) -> Output {
    let out = run(cmd);
    if out.status.success() || out.status.code().is_none() {
        panic!(
            "expected failure from `{}`\n{}",
            describe_cmd(cmd),
            describe(&out)
        );
    }
    out
}

/// Runs `cmd` and panics, showing stdout and stderr, unless it exits with `code`.
#[track_caller]
pub fn run_code(cmd: &mut Command, code: i32) -> Output {
    let out = run(cmd);
    if out.status.code() != Some(code) {
        panic!(
            "expected exit code {code} from `{}`\n{}",
            describe_cmd(cmd),
            describe(&out)
        );
    }
    out
}

/// Runs `cmd` with `input` on its stdin and returns its output, whatever the status.
pub fn run_with_input(cmd: &mut Command, input: &str) -> Output {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", describe_cmd(cmd)));
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    // Write from a thread so a child that does not read cannot block us.
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("wait for child");
    let _ = writer.join();
    out
}

/// Quotes `s` for a POSIX shell command line (e.g. for `Tmux::start`).
pub fn sh_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"-_./=:,@%+".contains(&c))
    {
        return s.to_string();
    }
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn run(cmd: &mut Command) -> Output {
    cmd.stdin(std::process::Stdio::null());
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run `{}`: {e}", describe_cmd(cmd)))
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `assert_eq!` for text: on failure prints labelled `expected:` / `got:` blocks, one per
/// line, so multi-line output is readable. Works on anything `Display`-able; an optional
/// format string and arguments say what was compared.
///
/// ```ignore
/// util::eqnice!("ok\n", util::stdout(&out));
/// util::eqnice!(expected, got, "exports for profile {}", name);
/// ```
macro_rules! eqnice {
    ($expected:expr, $got:expr $(,)?) => {
        $crate::util::eqnice!($expected, $got, "values differ")
    };
    ($expected:expr, $got:expr, $($msg:tt)+) => {{
        let expected = ::std::string::ToString::to_string(&$expected);
        let got = ::std::string::ToString::to_string(&$got);
        if expected != got {
            panic!(
                "{}\n\nexpected:\n---\n{}\n---\n\ngot:\n---\n{}\n---\n",
                format!($($msg)+),
                expected,
                got
            );
        }
    }};
}
pub(crate) use eqnice;

/// `2026-11-28T18:30:00Z` for a time (UTC, whole seconds).
pub fn iso8601(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    t.format(time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second]Z"
    ))
    .expect("a time within years 0..=9999")
}

/// Milliseconds since the epoch.
pub fn epoch_millis(t: SystemTime) -> u128 {
    t.duration_since(UNIX_EPOCH)
        .expect("after 1970")
        .as_millis()
}
