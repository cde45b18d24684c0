//! The security promises of DESIGN §4, §5 and §7 against the built binary:
//!
//! - the cache directory is 0700 and its files 0600 whatever the umask; a cache directory or
//!   entry owned by someone else, writable (or, for entries, readable) by others, or a symlink
//!   is refused with one line saying how to fix it;
//! - a credentials file others can read is warned about once per file state;
//! - no secret access key or session token reaches stderr (every command and failure path,
//!   with and without `AWSDO_LOG=debug`), `--help`, or any process's command line (`ps`);
//! - malformed files give one line naming the file and line, without the line's content.

use crate::util;

use std::collections::BTreeSet;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::util::sts::{self, Creds, FakeSts, StsCall};
use crate::util::{TestEnv, eqnice, run_fail, run_ok, stderr};

const ROLE: &str = "arn:aws:iam::123456789012:role/plain";

/// A FakeSts that records every secret and token it hands out.
fn recording_sts() -> (FakeSts, Arc<Mutex<BTreeSet<String>>>) {
    let secrets = Arc::new(Mutex::new(BTreeSet::new()));
    let log = secrets.clone();
    let fake = FakeSts::start(move |call: &StsCall| {
        let c = Creds::fake_hour("sec");
        {
            let mut s = log.lock().unwrap();
            s.insert(c.secret_access_key.clone());
            s.insert(c.session_token.clone());
        }
        match call.action.as_str() {
            "GetSessionToken" => sts::get_session_token_response(&c),
            "AssumeRole" => {
                sts::assume_role_response(&c, call.param("RoleArn").unwrap_or(ROLE), "s")
            }
            _ => sts::default_answer(call),
        }
    });
    (fake, secrets)
}

/// Long-lived secrets in the credentials file, unique to this test process.
fn static_secret(tag: &str) -> String {
    format!("fake-secret-static-{tag}-{}", std::process::id())
}

fn setup(url: &str) -> TestEnv {
    let mut env = TestEnv::with_endpoint(url);
    env.set_var("AWS_REGION", "us-east-1");
    let cp = env.write_file(
        "cp.sh",
        &format!(
            "#!/bin/sh\nsleep \"${{CP_SLEEP:-0}}\"\nprintf '%s' '{{\"Version\":1,\"AccessKeyId\":\"ASIAFAKECP\",\"SecretAccessKey\":\"{}\",\"SessionToken\":\"fake-token-cp-{}\",\"Expiration\":\"2099-01-01T00:00:00Z\"}}'\n",
            static_secret("cp"),
            std::process::id()
        ),
    );
    fs::set_permissions(&cp, fs::Permissions::from_mode(0o700)).unwrap();
    env.write_config(&format!(
        "[profile plain]\nrole_arn = {ROLE}\nsource_profile = base\n\
         [profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/fake\n\
         mfa_process = sleep \"${{MFA_SLEEP:-0}}\"; echo 123456\n\
         [profile chained]\nrole_arn = arn:aws:iam::123456789012:role/chained\nsource_profile = cp\n\
         [profile cp]\ncredential_process = {}\n",
        cp.display()
    ));
    env.write_credentials(&format!(
        "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = {}\n\
         [dev]\naws_access_key_id = AKIAFAKEDEV000000001\naws_secret_access_key = {}\n",
        static_secret("base"),
        static_secret("dev")
    ));
    env
}

/// Every secret this test's world holds: the long-lived ones and whatever STS handed out.
fn all_secrets(issued: &Mutex<BTreeSet<String>>) -> Vec<String> {
    let mut v: Vec<String> = issued.lock().unwrap().iter().cloned().collect();
    for tag in ["base", "dev", "cp"] {
        v.push(static_secret(tag));
    }
    v.push(format!("fake-token-cp-{}", std::process::id()));
    v
}

#[track_caller]
fn assert_no_secret(what: &str, text: &str, secrets: &[String]) {
    for s in secrets {
        assert!(
            !text.contains(s.as_str()),
            "{what} shows a secret ({s}):\n{text}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

#[test]
fn cache_dir_is_0700_and_files_0600_whatever_the_umask() {
    let (fake, _) = recording_sts();
    let mut env = setup(&fake.url());
    let dir = env.root().join("fresh/state/awsdo");
    env.set_var("AWSDO_CACHE_DIR", dir.to_str().unwrap());
    for umask in ["000", "022", "002"] {
        let _ = fs::remove_dir_all(env.root().join("fresh"));
        let mut cmd = env.command("sh");
        cmd.args([
            "-c",
            &format!("umask {umask}; exec \"$0\" \"$@\""),
            util::awsdo_bin(),
        ])
        .args(["-p", "dev", "--format", "env"]);
        run_ok(&mut cmd);
        run_ok(env.cmd().args(["-p", "plain", "--format", "env"]));
        for d in [
            env.root().join("fresh"),
            env.root().join("fresh/state"),
            dir.clone(),
        ] {
            let mode = fs::metadata(&d).unwrap().mode() & 0o777;
            eqnice!(
                "700",
                format!("{mode:o}"),
                "umask {umask}: mode of {}",
                d.display()
            );
        }
        let mut files = 0;
        for e in fs::read_dir(&dir).unwrap() {
            let e = e.unwrap();
            let mode = e.metadata().unwrap().mode() & 0o777;
            eqnice!(
                "600",
                format!("{mode:o}"),
                "umask {umask}: mode of {:?}",
                e.file_name()
            );
            files += 1;
        }
        // profile.dev, mfa session, profile.plain: entries and their locks.
        assert!(files >= 5, "umask {umask}: only {files} files");
    }
}

/// A warm cache with an entry for `plain`; returns the entry's path.
fn warm(env: &TestEnv) -> std::path::PathBuf {
    run_ok(env.cmd().args(["-p", "plain", "--format", "env"]));
    let entry = env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        "plain",
        "json",
    ));
    assert!(entry.exists());
    entry
}

/// The run fails with one `awsdo:` line that contains every one of `needles`.
#[track_caller]
fn refused(env: &TestEnv, needles: &[&str]) {
    let out = run_fail(env.cmd().args(["-p", "plain", "--format", "env"]));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "one line:\n{err}");
    assert!(err.starts_with("awsdo: could not use cache"), "{err}");
    for n in needles {
        assert!(err.contains(n), "{n:?} missing in:\n{err}");
    }
    assert!(out.stdout.is_empty());
}

fn running_as_root() -> bool {
    // The owner of a file we just created is our effective uid.
    let probe = tempfile::NamedTempFile::new().unwrap();
    fs::metadata(probe.path()).unwrap().uid() == 0
}

/// `chown nobody PATH` (only root may); false when not root.
fn chown_nobody(path: &std::path::Path) -> bool {
    if !running_as_root() {
        eprintln!("skipping: chown to another user needs root");
        return false;
    }
    let ok = Command::new("chown")
        .args(["-h", "nobody"])
        .arg(path)
        .status()
        .unwrap()
        .success();
    assert!(ok, "chown nobody {}", path.display());
    true
}

#[test]
fn refuses_a_cache_dir_owned_by_another_user() {
    let (fake, _) = recording_sts();
    let env = setup(&fake.url());
    warm(&env);
    if !chown_nobody(&env.cache_dir()) {
        return;
    }
    refused(&env, &["owned by uid", "not by you", "set AWSDO_CACHE_DIR"]);
    // Also when the entry is missing (the write path checks too).
    fs::remove_file(env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        "plain",
        "json",
    )))
    .unwrap();
    refused(&env, &["owned by uid", "not by you"]);
}

#[test]
fn refuses_a_cache_entry_owned_by_another_user() {
    let (fake, _) = recording_sts();
    let env = setup(&fake.url());
    let entry = warm(&env);
    if !chown_nobody(&entry) {
        return;
    }
    refused(&env, &["owned by uid", "delete it"]);
}

#[test]
fn refuses_a_group_or_world_writable_cache_dir() {
    let (fake, _) = recording_sts();
    let env = setup(&fake.url());
    warm(&env);
    for mode in [0o770, 0o707, 0o720, 0o702] {
        fs::set_permissions(env.cache_dir(), fs::Permissions::from_mode(mode)).unwrap();
        refused(&env, &["others can write", "chmod 700"]);
    }
}

#[test]
fn refuses_a_cache_entry_others_can_read_or_write() {
    let (fake, _) = recording_sts();
    let env = setup(&fake.url());
    let entry = warm(&env);
    for mode in [0o640, 0o604, 0o660, 0o606] {
        fs::set_permissions(&entry, fs::Permissions::from_mode(mode)).unwrap();
        refused(&env, &["others can read or write", "awsdo logout"]);
    }
}

#[test]
fn refuses_a_symlinked_cache_dir_or_entry() {
    let (fake, _) = recording_sts();
    let mut env = setup(&fake.url());
    let entry = warm(&env);
    // An entry that is a symlink to a file someone planted.
    let planted = env.root().join("planted.json");
    fs::copy(&entry, &planted).unwrap();
    fs::remove_file(&entry).unwrap();
    std::os::unix::fs::symlink(&planted, &entry).unwrap();
    refused(&env, &["symlink", "awsdo logout"]);
    // A directory that is a symlink.
    let link = env.root().join("linked-cache");
    std::os::unix::fs::symlink(env.cache_dir(), &link).unwrap();
    env.set_var("AWSDO_CACHE_DIR", link.to_str().unwrap());
    refused(&env, &["symlink", "AWSDO_CACHE_DIR"]);
}

#[test]
fn a_credentials_file_others_can_read_is_warned_about_once() {
    let (fake, _) = recording_sts();
    let env = setup(&fake.url());
    let warning = "is readable by other users; run: chmod 600";
    let run = |mode: u32| {
        fs::set_permissions(env.credentials_path(), fs::Permissions::from_mode(mode)).unwrap();
        stderr(&run_ok(env.cmd().args(["-p", "plain", "--format", "env"])))
    };
    let first = run(0o644);
    assert!(first.contains(warning), "{first}");
    assert!(
        first.contains(env.credentials_path().to_str().unwrap()),
        "{first}"
    );
    assert_eq!(first.lines().count(), 1, "{first}");
    eqnice!("", run(0o644), "the same file and mode: no second warning");
    eqnice!(
        "",
        stderr(&run_ok(env.cmd().args(["status"]))),
        "nor from another command"
    );
    assert!(run(0o640).contains(warning), "a new mode is a new state");
    eqnice!("", run(0o600));
    assert!(
        run(0o604).contains(warning),
        "readable again after it was fixed"
    );
}

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

#[test]
fn no_secret_reaches_stderr_in_any_command_or_failure_path_even_with_debug_logs() {
    let (fake, issued) = recording_sts();
    let env = setup(&fake.url());
    let mut runs: Vec<(String, String)> = Vec::new();
    let mut go = |env: &TestEnv, args: &[&str], extra: &[(&str, &str)]| {
        for debug in [false, true] {
            let mut cmd = env.cmd();
            cmd.args(args).stdin(Stdio::null());
            if debug {
                cmd.env("AWSDO_LOG", "debug");
            }
            for (k, v) in extra {
                cmd.env(k, v);
            }
            let out = cmd.output().unwrap();
            runs.push((
                format!("awsdo {} (debug: {debug})", args.join(" ")),
                stderr(&out),
            ));
        }
    };
    // Every command, cold and warm cache.
    for _ in 0..2 {
        go(&env, &["-p", "plain", "--format", "env"], &[]);
        go(&env, &["-p", "plain", "--format", "json"], &[]);
        go(&env, &["-p", "dev", "--format", "bash"], &[]);
        go(&env, &["-p", "chained", "--format", "fish"], &[]);
        go(&env, &["-p", "cp", "--format", "pwsh"], &[]);
        go(&env, &["-p", "plain", "--", "true"], &[]);
        go(&env, &["-p", "plain", "--", "no-such-command-awsdo"], &[]);
        go(&env, &["explain", "plain"], &[]);
        go(&env, &["explain", "dev", "--json"], &[]);
        go(&env, &["status"], &[]);
        go(&env, &["credential-process", "-p", "plain"], &[]);
        go(&env, &["export", "bash"], &[("AWS_PROFILE", "plain")]);
        go(&env, &["export", "zsh"], &[("AWS_PROFILE", "dev")]);
        go(&env, &["-p", "plain", "--login"], &[("BROWSER", "true")]);
        go(&env, &["login", "dev"], &[]);
    }
    // Failure paths with secrets in hand (cached MFA session, static keys, process output).
    go(
        &env,
        &[
            "-p",
            "plain",
            "--format",
            "env",
            "--disable-cache",
            "-c",
            "12",
        ],
        &[],
    );
    go(&env, &["-p", "nosuch", "--format", "env"], &[]);
    go(
        &env,
        &["-p", "plain", "--format", "env"],
        &[("AWSDO_MIN_TTL", "bogus")],
    );
    go(
        &env,
        &["-p", "dev", "--format", "env"],
        &[("MFA_SLEEP", "x")],
    );
    go(&env, &["-p", "cp", "--format", "env"], &[("CP_SLEEP", "x")]);
    for (name, answer) in [
        (
            "denied",
            sts::access_denied as fn(&str) -> util::http::Response,
        ),
        ("mfa", |_: &str| sts::mfa_rejected()),
        ("expired", |_: &str| sts::expired_token()),
        ("throttled", |_: &str| sts::throttling()),
        ("5xx", |_: &str| sts::internal_failure()),
        ("invalid", |_: &str| sts::invalid_client_token_id()),
    ] {
        let bad =
            FakeSts::start(move |_| answer("User is not authorized to perform: sts:AssumeRole"));
        let mut failing = setup(&bad.url());
        // The same cache: failures happen with cached sessions as sources.
        failing.set_var("AWSDO_CACHE_DIR", env.cache_dir().to_str().unwrap());
        failing.set_var("AWSDO_MIN_TTL", "2h");
        go(&failing, &["-p", "plain", "--format", "env"], &[]);
        go(&failing, &["-p", "chained", "--format", "env"], &[]);
        go(
            &failing,
            &["-p", "dev", "--format", "env", "-c", "123456"],
            &[],
        );
        go(&failing, &["login", "plain"], &[]);
        go(&failing, &["export", "bash"], &[("AWS_PROFILE", "plain")]);
        go(&failing, &["credential-process", "-p", "dev"], &[]);
        eprintln!("failure path {name}: {} STS calls", bad.calls().len());
    }
    // A malformed credentials file whose bad line holds a secret.
    let broken = setup(&fake.url());
    broken.write_credentials(&format!(
        "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key {}\n",
        static_secret("base")
    ));
    go(&broken, &["-p", "plain", "--format", "env"], &[]);
    go(&broken, &["status"], &[]);
    go(&env, &["logout", "plain"], &[]);
    go(&env, &["logout", "--all"], &[]);

    let secrets = all_secrets(&issued);
    assert!(secrets.len() >= 8, "too few secrets issued: {secrets:?}");
    let debug_lines: usize = runs
        .iter()
        .filter(|(what, _)| what.ends_with("(debug: true)"))
        .map(|(_, err)| err.matches("awsdo: debug:").count())
        .sum();
    assert!(
        debug_lines > 20,
        "debug logging seems off ({debug_lines} lines)"
    );
    for (what, err) in &runs {
        assert_no_secret(&format!("stderr of {what}"), err, &secrets);
    }
}

#[test]
fn help_never_shows_secrets_from_the_environment() {
    let env = TestEnv::new();
    let secret = "fake-secret-in-env-for-help-0001";
    let token = "fake-token-in-env-for-help-0001";
    let mut helps = vec![vec!["--help"], vec!["-h"], vec!["help"]];
    for sub in [
        "hook",
        "use",
        "export",
        "explain",
        "status",
        "login",
        "logout",
        "credential-process",
        "console",
        "completions",
    ] {
        helps.push(vec![sub, "--help"]);
        helps.push(vec!["help", sub]);
    }
    for args in helps {
        let out = env
            .cmd()
            .args(&args)
            .env("AWS_SECRET_ACCESS_KEY", secret)
            .env("AWS_SESSION_TOKEN", token)
            .env("AWS_SECURITY_TOKEN", token)
            .env("AWS_ACCESS_KEY_ID", "AKIAFAKEHELP")
            .env("AWS_PROFILE", "help")
            .output()
            .unwrap();
        let text = format!("{}{}", util::stdout(&out), stderr(&out));
        assert!(!text.is_empty(), "no help for {args:?}");
        let secrets = [secret.to_owned(), token.to_owned()];
        assert_no_secret(&format!("awsdo {}", args.join(" ")), &text, &secrets);
    }
}

/// `ps -eo args` lines, polled until one starts with `marker`; panics after 10 s.
fn ps_while(marker: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let out = Command::new("ps").args(["-eo", "args"]).output().unwrap();
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        if text.lines().any(|l| l.trim_start().starts_with(marker)) {
            return text;
        }
        assert!(
            Instant::now() < deadline,
            "{marker:?} never showed up in ps"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn secrets_never_appear_on_a_command_line() {
    if !util::require("ps") {
        return;
    }
    let (fake, issued) = recording_sts();
    let env = setup(&fake.url());
    let id = std::process::id();
    let mut snapshots = Vec::new();

    // The command awsdo execs: credentials go in its environment only.
    let marker = format!("3.{id}");
    let mut child = env
        .cmd()
        .args(["-p", "plain", "--", "sleep", &marker])
        .spawn()
        .unwrap();
    snapshots.push(("awsdo -- sleep", ps_while(&format!("sleep {marker}"))));
    // Its environment does hold them (that is how they are handed over).
    let environ = fs::read(format!("/proc/{}/environ", child.id())).unwrap();
    let environ = String::from_utf8_lossy(&environ);
    assert!(
        environ.contains("AWS_SECRET_ACCESS_KEY=fake-secret-sec-"),
        "{environ}"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    // mfa_process, while awsdo holds the long-lived keys of `dev`.
    let marker = format!("2.{id}1");
    let mut child = env
        .cmd()
        .args(["-p", "dev", "--format", "env"])
        .env("MFA_SLEEP", &marker)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    snapshots.push(("mfa_process", ps_while(&format!("sleep {marker}"))));
    let mut environs = String::new();
    for pid in descendants(child.id()) {
        environs.push_str(&String::from_utf8_lossy(
            &fs::read(format!("/proc/{pid}/environ")).unwrap_or_default(),
        ));
    }
    assert!(child.wait().unwrap().success());
    assert_no_secret(
        "environment of mfa_process",
        &environs,
        &all_secrets(&issued),
    );

    // credential_process of a role's source, with a cached MFA session around.
    let marker = format!("2.{id}2");
    let mut child = env
        .cmd()
        .args(["-p", "chained", "--format", "env"])
        .env("CP_SLEEP", &marker)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    snapshots.push(("credential_process", ps_while(&format!("sleep {marker}"))));
    assert!(child.wait().unwrap().success());

    let secrets = all_secrets(&issued);
    for (what, ps) in snapshots {
        assert_no_secret(&format!("ps -eo args during {what}"), &ps, &secrets);
    }
}

/// Every process below `pid` (children, grandchildren, …).
fn descendants(pid: u32) -> Vec<u32> {
    let mut found = Vec::new();
    let mut frontier = vec![pid];
    while let Some(p) = frontier.pop() {
        let children =
            fs::read_to_string(format!("/proc/{p}/task/{p}/children")).unwrap_or_default();
        for c in children.split_whitespace().filter_map(|c| c.parse().ok()) {
            found.push(c);
            frontier.push(c);
        }
    }
    found
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn malformed_files_give_one_line_with_file_and_line() {
    let env = TestEnv::new();
    env.write_config("[profile a]\nregion = us-east-1\n[profile b\n");
    let out = run_fail(env.cmd().args(["-p", "a", "--format", "env"]));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("{} line 3", env.config_path().display())),
        "{err}"
    );

    env.write_config("");
    let secret = "fake-secret-on-a-bad-line-0001";
    env.write_credentials(&format!("[a]\naws_access_key_id = AKIAFAKE\n= {secret}\n"));
    let out = run_fail(env.cmd().args(["-p", "a", "--format", "env"]));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains(&format!("{} line 3", env.credentials_path().display())),
        "{err}"
    );
    assert!(
        !err.contains(secret),
        "the bad line's content is left out: {err}"
    );
}

/// Every read has a cap, the shared files too: a 17 MiB config (or `/dev/zero` named by
/// `AWS_CONFIG_FILE`) is one line naming the file, not a process that grows until it is
/// killed. The big file was read whole before (and planned from).
#[test]
fn a_huge_or_endless_config_file_is_one_line_naming_it() {
    let env = TestEnv::new();
    env.write_credentials(
        "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret\n",
    );
    let mut big = String::from("[profile base]\nregion = us-east-1\n");
    let comment = "# a comment line of a generated file, repeated\n";
    while big.len() <= 17 * 1024 * 1024 {
        big.push_str(comment);
    }
    env.write_config(&big);
    let config = env.config_path();
    let zero = std::path::Path::new("/dev/zero");
    for (path, shown) in [
        (config.as_path(), config.display().to_string()),
        (zero, "/dev/zero".into()),
    ] {
        let out = util::run_fail(
            env.cmd()
                .env("AWS_CONFIG_FILE", path)
                .args(["explain", "base"]),
        );
        let err = stderr(&out);
        assert!(
            err.contains(&format!("could not read {shown}: larger than 16 MiB")),
            "{err}"
        );
        assert_eq!(1, err.lines().count(), "{err}");
    }
}
