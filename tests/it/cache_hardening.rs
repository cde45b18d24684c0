//! The cache against hostile or broken states (issue 10, items 3, 4, 6, 7 and 9), on the built
//! binary with a fake STS:
//!
//! - an entry whose times are absurd (year 9999 off UTC, skews of `i64::MAX`/`MIN`) is a miss
//!   and is replaced, never a panic (exit 101);
//! - the prompt hook waits for another awsdo's entry lock no longer than `AWSDO_HOOK_TIMEOUT`,
//!   then says so in one line; a FIFO in place of an entry never blocks a read;
//! - `logout` finds what to delete on disk: temp files of killed writers, the MFA session of a
//!   source key that has since rotated; a cache write that fails still runs the command;
//! - every path into the cache directory is checked: no 0775 directory under umask 002, no
//!   write through a planted symlink, no delete through a symlinked cache directory;
//! - entry file names do not depend on the profile name's length.

use crate::util;

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::sts::FakeSts;
use crate::util::{TestEnv, eqnice, run_fail, run_ok, stderr, stdout};
use awsdo::cache::{Kind, file_name};

const KEYS: &str = "[base]\naws_access_key_id = AKIAFAKEBASE00000001\n\
                    aws_secret_access_key = fake-secret-base\n";
/// A role from `base`'s keys; and `ops`, a role through the shared MFA session of `base`.
const CONFIG: &str = "[profile base]\n\
    [profile plain]\nrole_arn = arn:aws:iam::123456789012:role/plain\nsource_profile = base\n\
    [profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = base\n\
    mfa_serial = arn:aws:iam::123456789012:mfa/fake\nmfa_process = echo 123456\n";

/// Generous upper bound for "does not hang" (the machine may be slow; a hang is forever).
const HANG: Duration = Duration::from_secs(30);

fn setup(fake: &FakeSts) -> TestEnv {
    let mut env = TestEnv::with_endpoint(&fake.url());
    env.set_var("AWS_REGION", "us-east-1");
    env.write_config(CONFIG);
    env.write_credentials(KEYS);
    env
}

fn entry(env: &TestEnv, profile: &str) -> PathBuf {
    env.cache_dir()
        .join(file_name(Kind::Profile, profile, "json"))
}

/// The files in `dir` whose names end with `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// Runs `cmd` (stdin closed), killing it and failing the test if it runs longer than `HANG`.
#[track_caller]
fn run_bounded(cmd: &mut Command) -> Output {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn awsdo");
    let start = Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > HANG {
            let _ = child.kill();
            let out = child.wait_with_output().unwrap();
            panic!(
                "still running after {HANG:?}: it hangs\n{}",
                util::describe(&out)
            );
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// Exactly one line on stderr, starting `awsdo: `.
#[track_caller]
fn one_line(err: &str) {
    assert_eq!(err.lines().count(), 1, "expected one line:\n{err}");
    assert!(err.starts_with("awsdo: "), "{err}");
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

// ---------------------------------------------------------------------------------------------
// Item 3: absurd times are a miss
// ---------------------------------------------------------------------------------------------

#[test]
fn an_entry_with_absurd_times_is_a_miss_and_is_replaced() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    run_ok(env.cmd().args(["-p", "plain", "--", "true"]));
    let path = entry(&env, "plain");
    let good: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    // (what, expiration, clock_skew, whether the entry must be replaced: the far-future ones
    // that can be judged are simply fresh).
    let cases: Vec<(&str, serde_json::Value, serde_json::Value, bool)> = vec![
        (
            "expiration 9999 off UTC",
            "9999-12-31T23:59:59-00:01".into(),
            0.into(),
            true,
        ),
        (
            "expiration 9999, leap second",
            "9999-12-31T23:59:60+23:59".into(),
            0.into(),
            false,
        ),
        (
            "expiration year 0",
            "0000-01-01T00:00:00-23:59".into(),
            0.into(),
            true,
        ),
        (
            "expiration -9999",
            "-9999-01-01T00:00:00Z".into(),
            0.into(),
            true,
        ),
        ("expiration a number", 1e300.into(), 0.into(), true),
        (
            "skew i64::MAX",
            good["credentials"]["Expiration"].clone(),
            i64::MAX.into(),
            true,
        ),
        (
            "skew i64::MIN",
            good["credentials"]["Expiration"].clone(),
            i64::MIN.into(),
            false,
        ),
        (
            "skew u64::MAX",
            good["credentials"]["Expiration"].clone(),
            u64::MAX.into(),
            true,
        ),
        (
            "skew huge float",
            good["credentials"]["Expiration"].clone(),
            1e300.into(),
            true,
        ),
        (
            "year 9999 and skew i64::MAX",
            "9999-12-31T23:59:59Z".into(),
            i64::MAX.into(),
            true,
        ),
    ];
    for (what, exp, skew, replaced) in cases {
        let mut v = good.clone();
        v["credentials"]["Expiration"] = exp;
        v["clock_skew"] = skew;
        fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        for args in [
            &["-p", "plain", "--", "true"][..],
            &["status"],
            &["explain", "-p", "plain"],
            &["-p", "plain", "--format", "env"],
        ] {
            let out = run_bounded(env.cmd().args(args));
            assert!(
                out.status.success(),
                "{what}: awsdo {args:?}\n{}",
                util::describe(&out)
            );
        }
        if replaced {
            let now: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
            let exp = now["credentials"]["Expiration"].as_str().unwrap_or("");
            assert!(exp.starts_with("20"), "{what}: not replaced: {now}");
        }
    }
}

#[test]
fn the_hook_survives_an_absurd_entry() {
    let fake = FakeSts::start_default();
    let mut env = setup(&fake);
    run_ok(env.cmd().args(["-p", "plain", "--", "true"]));
    let path = entry(&env, "plain");
    let mut v: serde_json::Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
    v["credentials"]["Expiration"] = "9999-12-31T23:59:59-00:01".into();
    fs::write(&path, serde_json::to_vec(&v).unwrap()).unwrap();
    env.set_var("AWS_PROFILE", "plain");
    for shell in ["bash", "fish"] {
        let out = run_bounded(env.cmd().args(["export", shell]));
        assert!(out.status.success(), "{shell}\n{}", util::describe(&out));
        assert!(stdout(&out).contains("AWS_SECRET_ACCESS_KEY"), "{shell}");
    }
}

// ---------------------------------------------------------------------------------------------
// Item 4: bounded waits
// ---------------------------------------------------------------------------------------------

#[test]
fn the_hook_waits_for_a_held_entry_lock_no_longer_than_its_timeout() {
    let fake = FakeSts::start_default();
    let mut env = setup(&fake);
    // Another awsdo holds the entry's lock (waiting for an MFA code, say).
    fs::create_dir_all(env.cache_dir()).unwrap();
    let lock = fs::File::create(
        env.cache_dir()
            .join(file_name(Kind::Profile, "plain", "lock")),
    )
    .unwrap();
    lock.lock().unwrap();
    env.set_var("AWS_PROFILE", "plain");
    env.set_var("AWSDO_HOOK_TIMEOUT", "1");
    let out = run_bounded(env.cmd().args(["export", "bash"]));
    assert!(!out.status.success(), "{}", util::describe(&out));
    let err = stderr(&out);
    one_line(&err);
    assert!(
        err.contains("profile \"plain\"")
            && err.contains("another awsdo")
            && err.contains("try again"),
        "{err}"
    );
    eqnice!(0, fake.count("AssumeRole"), "no STS call behind the lock");
    // Once the other awsdo is done, the next prompt gets the credentials.
    drop(lock);
    let out = run_bounded(env.cmd().args(["export", "bash"]));
    assert!(out.status.success(), "{}", util::describe(&out));
}

#[test]
fn a_fifo_in_place_of_an_entry_does_not_block() {
    let fake = FakeSts::start_default();
    let mut env = setup(&fake);
    run_ok(env.cmd().args(["-p", "plain", "--", "true"]));
    let path = entry(&env, "plain");
    fs::remove_file(&path).unwrap();
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &path,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    let out = run_bounded(env.cmd().args(["-p", "plain", "--", "true"]));
    let err = stderr(&out);
    one_line(&err);
    assert!(
        err.contains("not a regular file") && err.contains("awsdo logout"),
        "{err}"
    );
    env.set_var("AWS_PROFILE", "plain");
    env.set_var("AWSDO_HOOK_TIMEOUT", "1");
    let out = run_bounded(env.cmd().args(["export", "bash"]));
    one_line(&stderr(&out));
    // logout removes it, and the next run works.
    run_ok(env.cmd().args(["logout", "plain"]));
    assert!(
        fs::symlink_metadata(&path).is_err(),
        "the FIFO is still there"
    );
    run_ok(env.cmd().args(["-p", "plain", "--", "true"]));
}

// ---------------------------------------------------------------------------------------------
// Item 6: logout removes what is on disk; a failed write still runs the command
// ---------------------------------------------------------------------------------------------

/// A process id that no longer exists.
fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().unwrap();
    let pid = child.id();
    child.wait().unwrap();
    pid
}

#[test]
fn logout_all_removes_temp_files_left_by_killed_writers() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    run_ok(env.cmd().args(["-p", "plain", "--", "true"]));
    let name = file_name(Kind::Profile, "plain", "json");
    let temps = [
        format!(".{name}.{}.0.tmp", dead_pid()),
        format!(
            ".{}.{}.3.tmp",
            file_name(Kind::MfaSession, "x", "json"),
            dead_pid()
        ),
        // An earlier version's name.
        format!(".profile.old.json.{}.0.tmp", dead_pid()),
    ];
    for t in &temps {
        fs::write(env.cache_dir().join(t), "{\"secret\":\"fake-secret-left\"}").unwrap();
    }
    let out = run_ok(env.cmd().args(["logout", "--all"]));
    eqnice!("awsdo: removed 4 cached files\n", stderr(&out));
    let left: Vec<String> = fs::read_dir(env.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "left after logout --all: {left:?}");
}

#[test]
fn logout_removes_the_mfa_session_of_a_rotated_source_key() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    run_ok(env.cmd().args(["-p", "ops", "--", "true"]));
    eqnice!(
        1,
        files(&env.cache_dir(), ".json")
            .iter()
            .filter(|f| f.starts_with("mfa."))
            .count()
    );
    // The source key rotates: the current config no longer leads to the session's name.
    env.write_credentials(
        "[base]\naws_access_key_id = AKIAFAKEBASE00000002\naws_secret_access_key = fake-secret-new\n",
    );
    let out = run_ok(env.cmd().args(["logout", "ops"]));
    eqnice!("awsdo: logged out of profile \"ops\"\n", stderr(&out));
    let left = files(&env.cache_dir(), ".json");
    assert!(left.is_empty(), "left after logout ops: {left:?}");
}

#[test]
fn logout_of_the_source_profile_removes_its_mfa_session() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    run_ok(env.cmd().args(["-p", "ops", "--", "true"]));
    run_ok(env.cmd().args(["logout", "base"]));
    let left = files(&env.cache_dir(), ".json");
    assert!(
        left.iter().all(|f| !f.starts_with("mfa.")),
        "left after logout base: {left:?}"
    );
}

#[test]
fn logout_waits_for_a_login_in_flight() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    run_ok(env.cmd().args(["-p", "plain", "--", "true"]));
    let lock = fs::File::create(
        env.cache_dir()
            .join(file_name(Kind::Profile, "plain", "lock")),
    )
    .unwrap();
    lock.lock().unwrap();
    let mut child = env
        .cmd()
        .args(["logout", "plain"])
        .stdin(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // While the lock is held, logout waits and the entry stays (checked, not timed: a
    // generous pause, then the state).
    std::thread::sleep(Duration::from_millis(500));
    assert!(child.try_wait().unwrap().is_none(), "logout did not wait");
    assert!(entry(&env, "plain").exists());
    drop(lock);
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(
            start.elapsed() < HANG,
            "logout hangs after the lock is released"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    eqnice!("awsdo: logged out of profile \"plain\"\n", stderr(&out));
    assert!(!entry(&env, "plain").exists());
}

#[test]
fn a_failed_cache_write_still_runs_the_command_with_the_credentials() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    let mut cmd = env.cmd();
    cmd.args([
        "-p",
        "ops",
        "--",
        "sh",
        "-c",
        "echo \"ran as $AWS_ACCESS_KEY_ID\"",
    ]);
    // The disk is full, as far as awsdo can tell: any write to a file fails with EFBIG.
    // SAFETY: setrlimit and signal are async-signal-safe; nothing else runs in the child.
    unsafe {
        cmd.pre_exec(|| {
            libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
            let lim = libc::rlimit {
                rlim_cur: 0,
                rlim_max: libc::RLIM_INFINITY,
            };
            if libc::setrlimit(libc::RLIMIT_FSIZE, &lim) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let out = run_ok(&mut cmd);
    assert!(
        stdout(&out).starts_with("ran as ASIAFAKEROLE"),
        "{}",
        util::describe(&out)
    );
    let err = stderr(&out);
    one_line(&err);
    assert!(
        err.starts_with("awsdo: warning: could not write cache entry")
            && err.contains("this run only"),
        "{err}"
    );
    assert!(
        !err.contains("fake-secret") && !err.contains("fake-token"),
        "{err}"
    );
    eqnice!(1, fake.count("GetSessionToken"), "one MFA code used");
    let left = files(&env.cache_dir(), "");
    assert!(
        left.iter().all(|f| f.ends_with(".lock")),
        "nothing but locks left: {left:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Item 7: one door into the cache directory
// ---------------------------------------------------------------------------------------------

#[test]
fn export_fish_without_cache_under_umask_002_makes_a_private_directory() {
    let fake = FakeSts::start_default();
    let mut env = setup(&fake);
    let dir = env.root().join("state/awsdo");
    env.set_var("AWSDO_CACHE_DIR", dir.to_str().unwrap());
    env.set_var("AWS_PROFILE", "plain");
    let out = run_ok(env.command("sh").args([
        "-c",
        "umask 002; exec \"$0\" export fish --disable-cache",
        util::awsdo_bin(),
    ]));
    assert!(
        stdout(&out).contains("AWSDO_REFRESH_FILE"),
        "{}",
        util::describe(&out)
    );
    eqnice!(
        format!("{:o}", 0o700),
        format!("{:o}", mode(&dir)),
        "cache dir"
    );
    eqnice!(
        format!("{:o}", 0o700),
        format!("{:o}", mode(&dir.join("refresh"))),
        "refresh dir"
    );
    // Every later run can use it.
    run_ok(env.cmd().args(["-p", "plain", "--", "true"]));
}

#[test]
fn the_fish_refresh_file_does_not_follow_a_symlink_in_a_refused_directory() {
    let fake = FakeSts::start_default();
    let mut env = setup(&fake);
    let elsewhere = env.root().join("elsewhere");
    fs::create_dir(&elsewhere).unwrap();
    // A cache directory others can write to (refused), where someone planted `refresh`.
    fs::set_permissions(env.cache_dir(), fs::Permissions::from_mode(0o777)).unwrap();
    std::os::unix::fs::symlink(&elsewhere, env.cache_dir().join("refresh")).unwrap();
    env.set_var("AWS_PROFILE", "plain");
    let out = run_bounded(env.cmd().args(["export", "fish", "--disable-cache"]));
    assert!(
        fs::read_dir(&elsewhere).unwrap().next().is_none(),
        "wrote through the planted symlink\n{}",
        util::describe(&out)
    );
    // Also in a good directory: a planted `refresh` symlink is not followed.
    fs::set_permissions(env.cache_dir(), fs::Permissions::from_mode(0o700)).unwrap();
    let _ = run_bounded(env.cmd().args(["export", "fish"]));
    assert!(fs::read_dir(&elsewhere).unwrap().next().is_none());
}

#[test]
fn logout_all_refuses_a_symlinked_cache_directory() {
    let fake = FakeSts::start_default();
    let mut env = setup(&fake);
    run_ok(env.cmd().args(["-p", "plain", "--", "true"]));
    let link = env.root().join("link");
    std::os::unix::fs::symlink(env.cache_dir(), &link).unwrap();
    env.set_var("AWSDO_CACHE_DIR", link.to_str().unwrap());
    for args in [&["logout", "--all"][..], &["logout", "plain"]] {
        let out = run_fail(env.cmd().args(args));
        let err = stderr(&out);
        one_line(&err);
        assert!(err.contains("symlink"), "{err}");
    }
    assert!(entry(&env, "plain").exists(), "deleted through the symlink");
}

// ---------------------------------------------------------------------------------------------
// Item 9: long names
// ---------------------------------------------------------------------------------------------

#[test]
fn long_profile_names_work_end_to_end() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    let long = "p".repeat(250);
    let dotted = "a.".repeat(61);
    env.write_config(&format!(
        "{CONFIG}[profile {long}]\nrole_arn = arn:aws:iam::123456789012:role/long\nsource_profile = base\n\
         [profile {dotted}]\nrole_arn = arn:aws:iam::123456789012:role/dots\nsource_profile = base\n"
    ));
    for name in [&long, &dotted] {
        run_ok(env.cmd().args(["-p", name, "--", "true"]));
        run_ok(env.cmd().args(["-p", name, "--", "true"]));
        let status = stdout(&run_ok(env.cmd().args(["status"])));
        let row = status
            .lines()
            .find(|l| l.contains(name.as_str()))
            .unwrap_or_else(|| panic!("no row:\n{status}"));
        assert!(row.contains("left"), "not cached: {row}");
        let out = run_ok(env.cmd().args(["logout", name]));
        eqnice!(
            format!("awsdo: logged out of profile {name:?}\n"),
            stderr(&out)
        );
        assert!(!entry(&env, name).exists());
    }
    eqnice!(
        2,
        fake.count("AssumeRole"),
        "one call per name until logout"
    );
}

/// The same kind outside the cache: the token files a profile names (`web_identity_token_file`,
/// the SSO token of `aws sso login`) are read without blocking and with a size cap, so a FIFO
/// there fails at once with one line instead of holding the command or the prompt.
#[test]
fn a_fifo_as_a_token_file_does_not_block() {
    let fake = FakeSts::start_default();
    let mut env = setup(&fake);
    let fifo = env.root().join("token.fifo");
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &fifo,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    env.write_config(&format!(
        "{CONFIG}[profile web]\nrole_arn = arn:aws:iam::123456789012:role/web\n\
         web_identity_token_file = {}\n\
         [profile sso]\nsso_session = s\nsso_account_id = 123456789012\nsso_role_name = R\n\
         [sso-session s]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
        fifo.display()
    ));
    let out = run_bounded(env.cmd().args(["-p", "web", "--", "true"]));
    let err = stderr(&out);
    one_line(&err);
    assert!(
        err.contains("web_identity_token_file") && err.contains("not a regular file"),
        "{err}"
    );
    // The SSO token's place in the cache of `aws sso login`, as a FIFO.
    let token = env.write_sso_token(
        "s",
        "https://example.awsapps.com/start",
        "us-east-1",
        "fake-access-token",
        Duration::from_secs(3600),
    );
    fs::remove_file(&token).unwrap();
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        &token,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .unwrap();
    env.set_var("AWS_PROFILE", "sso");
    env.set_var("AWSDO_HOOK_TIMEOUT", "1");
    let out = run_bounded(env.cmd().args(["export", "bash"]));
    let err = stderr(&out);
    one_line(&err);
    assert!(err.contains("SSO token"), "{err}");
}
