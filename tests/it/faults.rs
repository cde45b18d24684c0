//! What awsdo does when STS misbehaves, against the in-process `FakeSts`: 5xx and throttling
//! are retried with backoff within a bounded time; a hanging or unreachable endpoint fails fast
//! with one line; an `ExpiredToken` on the cached MFA session drops it and asks for a new code
//! in the same run; and a clock that disagrees with STS never makes awsdo hand out or reuse
//! credentials that are (nearly) dead.

use crate::util;

use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime};

use crate::util::http::Response;
use crate::util::sts::{
    self, Creds, FakeSts, StsCall, expired_token, get_session_token_response, internal_failure,
    throttling,
};
use crate::util::{TestEnv, eqnice, run_fail, run_ok, stderr, stdout};

const KEYS: &str =
    "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n";
/// A role assumed from `base` through the shared MFA session; the code comes from mfa_process.
const MFA_ROLE: &str = "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/admin\n\
    source_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/fake\n\
    mfa_process = echo x >> MFA_LOG; echo 123456\n";
/// GetSessionToken without MFA for `base`'s keys.
const PLAIN: &str =
    "[profile plain]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/plain\n";

fn env_for(url: &str, config: &str) -> TestEnv {
    let mut env = TestEnv::with_endpoint(url);
    env.set_var("AWS_REGION", "us-east-1");
    let log = env.root().join("mfa.log");
    env.write_config(&config.replace("MFA_LOG", log.to_str().unwrap()));
    env.write_credentials(KEYS);
    env
}

fn mfa_prompts(env: &TestEnv) -> usize {
    std::fs::read_to_string(env.root().join("mfa.log"))
        .map(|s| s.lines().count())
        .unwrap_or(0)
}

/// Exactly one line on stderr, starting `awsdo: `.
#[track_caller]
fn one_line(err: &str) {
    assert_eq!(err.lines().count(), 1, "expected one line:\n{err}");
    assert!(err.starts_with("awsdo: "), "{err}");
}

/// A FakeSts that fails the first `failures` calls with `fail`, then answers normally.
fn failing_first(failures: usize, fail: fn() -> Response) -> FakeSts {
    let n = AtomicUsize::new(0);
    FakeSts::start(move |call| {
        if n.fetch_add(1, Ordering::SeqCst) < failures {
            fail()
        } else {
            sts::default_answer(call)
        }
    })
}

#[test]
fn server_errors_are_retried_with_backoff_then_succeed() {
    let fake = failing_first(2, internal_failure);
    let env = env_for(&fake.url(), PLAIN);
    let started = Instant::now();
    let out = run_ok(env.cmd().args(["-p", "plain", "--format", "env"]));
    assert!(stdout(&out).contains("AWS_SESSION_TOKEN=fake-token-role-"));
    eqnice!(3, fake.count("AssumeRole"), "two 500s, then the answer");
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn throttling_is_retried_a_bounded_number_of_times_then_one_line() {
    let fake = FakeSts::start(|_| throttling());
    let env = env_for(&fake.url(), PLAIN);
    let started = Instant::now();
    let out = run_fail(env.cmd().args(["-p", "plain", "--format", "env"]));
    let took = started.elapsed();
    eqnice!(3, fake.count("AssumeRole"), "three attempts in all");
    assert!(took < Duration::from_secs(8), "{took:?}");
    let err = stderr(&out);
    one_line(&err);
    assert!(err.contains("Throttling"), "{err}");
    assert!(stdout(&out).is_empty());
}

#[test]
fn a_hanging_sts_fails_within_the_timeout_with_one_line() {
    let fake = FakeSts::start(|_| Response::new(200).with_delay(Duration::from_secs(60)));
    let env = env_for(&fake.url(), PLAIN);
    let started = Instant::now();
    let out = run_fail(env.cmd().args(["-p", "plain", "--format", "env"]));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(12), "took {took:?}");
    let err = stderr(&out);
    one_line(&err);
    assert!(err.contains("timed out"), "{err}");
}

#[test]
fn connection_refused_fails_fast_with_one_line() {
    // A port that was free a moment ago: nothing listens there.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = env_for(&format!("http://127.0.0.1:{port}"), PLAIN);
    let started = Instant::now();
    let out = run_fail(env.cmd().args(["-p", "plain", "--format", "env"]));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let err = stderr(&out);
    one_line(&err);
    assert!(err.contains("could not connect"), "{err}");
}

#[test]
fn a_server_that_hangs_up_fails_fast_with_one_line() {
    let fake = FakeSts::start(|_| Response::hang_up());
    let env = env_for(&fake.url(), PLAIN);
    let started = Instant::now();
    let out = run_fail(env.cmd().args(["-p", "plain", "--format", "env"]));
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "{:?}",
        started.elapsed()
    );
    one_line(&stderr(&out));
}

/// Serves GetSessionToken and AssumeRole, but answers ExpiredToken to AssumeRole calls signed
/// with the first MFA session's key (as STS does for a revoked session).
fn revoking_sts() -> (FakeSts, Arc<std::sync::Mutex<Vec<String>>>) {
    let sessions = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = sessions.clone();
    let fake = FakeSts::start(move |call: &StsCall| match call.action.as_str() {
        "GetSessionToken" => {
            let c = Creds::fake_hour("mfa");
            seen.lock().unwrap().push(c.access_key_id.clone());
            get_session_token_response(&c)
        }
        "AssumeRole" => {
            let first = seen.lock().unwrap().first().cloned();
            if call.signing_key_id() == first && seen.lock().unwrap().len() == 1 {
                expired_token()
            } else {
                sts::default_answer(call)
            }
        }
        _ => sts::default_answer(call),
    });
    (fake, sessions)
}

#[test]
fn an_expired_cached_mfa_session_is_dropped_and_a_new_code_asked_in_the_same_run() {
    let (fake, sessions) = revoking_sts();
    let env = env_for(&fake.url(), MFA_ROLE);
    // First run: a new MFA session (one code), and AssumeRole with it is refused as expired;
    // awsdo drops the session, asks again, and succeeds.
    let out = run_ok(env.cmd().args(["-p", "role", "--format", "env"]));
    assert!(
        stdout(&out).contains("AWS_SESSION_TOKEN=fake-token-role-"),
        "{}",
        stdout(&out)
    );
    eqnice!(
        "GetSessionToken AssumeRole GetSessionToken AssumeRole",
        fake.actions().join(" ")
    );
    eqnice!(2, mfa_prompts(&env), "mfa_process runs once per session");
    eqnice!(2, sessions.lock().unwrap().len());
    // The session kept in the cache is the new one: the next role needs no code.
    std::fs::remove_file(env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        "role",
        "json",
    )))
    .unwrap();
    fake.reset_calls();
    run_ok(env.cmd().args(["-p", "role", "--format", "env"]));
    eqnice!("AssumeRole", fake.actions().join(" "));
    eqnice!(2, mfa_prompts(&env));
}

#[test]
fn an_expired_cached_mfa_session_without_a_code_source_says_how_to_log_in() {
    let ok = FakeSts::start_default();
    let mut env = env_for(
        &ok.url(),
        "[profile role]\nrole_arn = arn:aws:iam::123456789012:role/admin\n\
         source_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/fake\n",
    );
    // A working day's MFA session, made with -c; then the role's own entry runs out.
    run_ok(
        env.cmd()
            .args(["-p", "role", "-c", "123456", "--format", "env"]),
    );
    std::fs::remove_file(env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        "role",
        "json",
    )))
    .unwrap();
    // Now STS says the session has expired (revoked), and no terminal, -c or mfa_process is
    // there to ask for a new code (setsid: no controlling terminal, whoever runs the tests).
    let revoked = FakeSts::start(|call: &StsCall| {
        if call.action == "AssumeRole" {
            expired_token()
        } else {
            sts::default_answer(call)
        }
    });
    env.set_endpoint(&revoked.url());
    let mut cmd = env.command("setsid");
    cmd.args(["-w", util::awsdo_bin(), "-p", "role", "--format", "env"]);
    let out = run_fail(&mut cmd);
    let err = stderr(&out);
    one_line(&err);
    assert!(err.contains("pass it with -c CODE"), "{err}");
    assert!(
        !err.contains("fake-secret") && !err.contains("fake-token"),
        "{err}"
    );
    eqnice!(
        "AssumeRole",
        revoked.actions().join(" "),
        "no GetSessionToken without a code"
    );
    let left: Vec<_> = std::fs::read_dir(env.cache_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("mfa.") && n.ends_with(".json"))
        .collect();
    assert!(left.is_empty(), "the dead session was dropped: {left:?}");
}

/// A FakeSts whose every answer expires `valid` from now (negative: already expired).
fn expiring_in(valid: i64) -> FakeSts {
    FakeSts::start(move |call| {
        let mut c = Creds::fake_hour("role");
        let at = if valid >= 0 {
            SystemTime::now() + Duration::from_secs(valid as u64)
        } else {
            SystemTime::now() - Duration::from_secs((-valid) as u64)
        };
        c.expiration = util::iso8601(at);
        sts::assume_role_response(&c, call.param("RoleArn").unwrap_or("x"), "s")
    })
}

#[test]
fn credentials_the_server_says_end_in_five_minutes_are_used_once_but_never_reused() {
    let fake = expiring_in(5 * 60);
    let env = env_for(&fake.url(), PLAIN);
    let first = stdout(&run_ok(env.cmd().args(["-p", "plain", "--format", "env"])));
    let second = stdout(&run_ok(env.cmd().args(["-p", "plain", "--format", "env"])));
    eqnice!(
        2,
        fake.count("AssumeRole"),
        "a 5-minute session is inside the 15-minute margin"
    );
    assert_ne!(first, second);
}

#[test]
fn credentials_already_expired_per_the_server_are_refused_and_not_cached() {
    // The local clock runs ahead of STS by more than the session's life.
    let fake = expiring_in(-120);
    let env = env_for(&fake.url(), PLAIN);
    let out = run_fail(env.cmd().args(["-p", "plain", "--format", "env"]));
    let err = stderr(&out);
    one_line(&err);
    assert!(err.contains("check the system clock"), "{err}");
    assert!(stdout(&out).is_empty(), "{}", stdout(&out));
    assert!(
        !env.cache_dir()
            .join(awsdo::cache::file_name(
                awsdo::cache::Kind::Profile,
                "plain",
                "json"
            ))
            .exists()
    );
    // Running a command with them is refused the same way: the command never starts.
    let marker = env.root().join("ran");
    run_fail(env.cmd().args(["-p", "plain", "--", "touch"]).arg(&marker));
    assert!(!marker.exists());
}
