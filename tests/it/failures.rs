//! How awsdo fails (DESIGN §7): one line on stderr, `awsdo: could not …`, exit 1, never a
//! secret; and how `awsdo -- cmd` hands over the command's own exit status (127 when the
//! command is not found).
//!
//! Covered: unknown profile, missing keys, source_profile loops, malformed files, MFA codes
//! rejected (typed at a real terminal through tmux, and with `-c`), no terminal to ask, STS
//! unreachable or hanging up, AccessDenied, throttling and 5xx (against `FakeSts`).

use crate::util;

use std::net::TcpListener;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::util::http::Response;
use crate::util::sts::{self, FakeSts};
use crate::util::tmux::Tmux;
use crate::util::{TestEnv, eqnice, run_code, run_fail, stderr, stdout};

const ROLE: &str = "arn:aws:iam::123456789012:role/prod-admin";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const BASE_KEY: &str = "AKIAFAKEFAILBASE01";
const BASE_SECRET: &str = "fake-secret-failures-base";
/// What no failure may print: the long-lived secret, and anything a fake STS hands out.
const SECRETS: &[&str] = &[BASE_SECRET, "fake-secret-", "fake-token-"];
const T: Duration = Duration::from_secs(20);

/// `base` (long-lived keys), `dev` (a role from base, no MFA), `prod` (a role from base with
/// an MFA device).
fn env_at(endpoint: &str) -> TestEnv {
    let env = TestEnv::with_endpoint(endpoint);
    env.write_config(&format!(
        "[profile base]\nregion = us-east-1\n\
         [profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\n\
         region = us-east-1\n\
         [profile prod]\nrole_arn = {ROLE}\nsource_profile = base\nmfa_serial = {SERIAL}\n\
         region = us-east-1\n"
    ));
    env.write_credentials(&format!(
        "[base]\naws_access_key_id = {BASE_KEY}\naws_secret_access_key = {BASE_SECRET}\n"
    ));
    env
}

/// Checks the text of a failure: exactly one line, `awsdo: could not …`, no secret. Returns
/// the line without its newline.
#[track_caller]
fn one_line(err: &str) -> String {
    let line = err.strip_suffix('\n').unwrap_or(err);
    assert!(
        !line.is_empty() && !line.contains('\n'),
        "stderr must be exactly one line:\n{err}"
    );
    assert!(
        line.starts_with("awsdo: could not "),
        "stderr must start with `awsdo: could not`:\n{err}"
    );
    for s in SECRETS {
        assert!(!line.contains(s), "stderr shows a secret ({s}):\n{err}");
    }
    line.to_string()
}

/// Runs `cmd` (stdin null), expects exit 1, nothing on stdout and one error line; returns it.
#[track_caller]
fn fails_with_one_line(cmd: &mut Command) -> String {
    let out = run_code(cmd, 1);
    eqnice!("", stdout(&out), "stdout of a failure");
    one_line(&stderr(&out))
}

#[track_caller]
fn assert_contains(line: &str, parts: &[&str]) {
    for p in parts {
        assert!(line.contains(p), "expected {p:?} in:\n{line}");
    }
}

// --- profiles and files ---

#[test]
fn unknown_profile_names_it_and_lists_the_known_ones() {
    let env = env_at("http://127.0.0.1:9");
    let line = fails_with_one_line(env.cmd().args(["-p", "nope", "--", "true"]));
    assert_contains(&line, &["\"nope\"", "base, dev, prod"]);
}

#[test]
fn access_key_without_secret_says_the_secret_is_missing() {
    let env = env_at("http://127.0.0.1:9");
    env.write_credentials("[half]\naws_access_key_id = AKIAFAKEHALF01\n");
    let line = fails_with_one_line(env.cmd().args(["-p", "half", "--", "true"]));
    assert_contains(&line, &["\"half\"", "aws_secret_access_key is missing"]);
}

#[test]
fn profile_with_nothing_says_what_it_lacks() {
    let env = env_at("http://127.0.0.1:9");
    env.write_config("[profile empty]\nregion = us-east-1\n");
    let line = fails_with_one_line(env.cmd().args(["-p", "empty", "--", "true"]));
    assert_contains(
        &line,
        &[
            "could not find credentials for profile \"empty\"",
            "aws_access_key_id",
        ],
    );
}

#[test]
fn source_profile_loop_names_its_profiles() {
    let env = env_at("http://127.0.0.1:9");
    env.write_config(
        "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n\
         [profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n",
    );
    let line = fails_with_one_line(env.cmd().args(["-p", "a", "--", "true"]));
    assert_contains(&line, &["a -> b -> a"]);
}

#[test]
fn malformed_config_names_the_file_and_line() {
    let env = env_at("http://127.0.0.1:9");
    env.write_config("[profile a]\nregion = us-east-1\n[profile b\nregion = x\n");
    let line = fails_with_one_line(env.cmd().args(["-p", "a", "--", "true"]));
    assert_contains(&line, &[&format!("{} line 3", env.config_path().display())]);
}

#[test]
fn malformed_credentials_line_is_named_but_not_shown() {
    let env = env_at("http://127.0.0.1:9");
    // A pasted secret without `name =`: the error must point at it without printing it.
    env.write_credentials(&format!(
        "[base]\naws_access_key_id = {BASE_KEY}\n{BASE_SECRET}\n"
    ));
    let line = fails_with_one_line(env.cmd().args(["-p", "base", "--", "true"]));
    assert_contains(
        &line,
        &[&format!("{} line 3", env.credentials_path().display())],
    );
}

// --- MFA ---

/// A fake STS that rejects the first `rejections` calls carrying a TokenCode.
fn sts_rejecting(rejections: usize) -> FakeSts {
    let seen = Arc::new(AtomicUsize::new(0));
    FakeSts::start(move |call| {
        if call.param("TokenCode").is_some() && seen.fetch_add(1, Ordering::SeqCst) < rejections {
            sts::mfa_rejected()
        } else {
            sts::default_answer(call)
        }
    })
}

/// Starts `awsdo ARGS` in tmux with stderr to ROOT/stderr (prompts go to the terminal).
fn awsdo_in_tmux(env: &TestEnv, args: &str) -> Option<Tmux> {
    let line = format!(
        "{} {args} 2>{}",
        util::sh_quote(util::awsdo_bin()),
        util::sh_quote(env.root().join("stderr").to_str().unwrap())
    );
    Tmux::start(&line, &env.env_vars())
}

fn tmux_stderr(env: &TestEnv) -> String {
    std::fs::read_to_string(env.root().join("stderr")).unwrap_or_default()
}

/// Waits until `text` shows `n` times on the screen; panics with the screen on timeout.
#[track_caller]
fn wait_count(t: &Tmux, text: &str, n: usize) {
    let deadline = Instant::now() + T;
    while t.screen().matches(text).count() < n {
        assert!(
            Instant::now() < deadline,
            "waited for {n} x {text:?}:\n{}",
            t.screen()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

const PROMPT: &str = "MFA code for arn:aws:iam::123456789012:mfa/alice (profile prod):";

#[test]
fn rejected_mfa_code_is_asked_again_at_the_terminal() {
    let fake = sts_rejecting(2);
    let env = env_at(&fake.url());
    let Some(t) = awsdo_in_tmux(&env, "-p prod -- true") else {
        return;
    };
    for (n, code) in ["111111", "222222", "333333"].iter().enumerate() {
        wait_count(&t, PROMPT, n + 1);
        t.send_keys(code);
    }
    assert_eq!(Some(0), t.wait_exit(T), "screen:\n{}", t.screen());
    let screen = t.screen();
    eqnice!(3, screen.matches(PROMPT).count(), "prompts:\n{screen}");
    eqnice!(
        2,
        screen.matches("Code rejected. ").count(),
        "prompts:\n{screen}"
    );
    // Echo is off: no typed code shows.
    for code in ["111111", "222222", "333333"] {
        assert!(!screen.contains(code), "{code} echoed:\n{screen}");
    }
    eqnice!("", tmux_stderr(&env));
    eqnice!(
        "GetSessionToken,GetSessionToken,GetSessionToken,AssumeRole",
        fake.actions().join(",")
    );
    let codes: Vec<String> = fake
        .calls()
        .iter()
        .filter_map(|c| c.param("TokenCode").map(str::to_owned))
        .collect();
    eqnice!("111111,222222,333333", codes.join(","));
    eqnice!(SERIAL, fake.calls()[0].param("SerialNumber").unwrap_or("-"));
}

#[test]
fn three_rejected_codes_fail_with_one_line() {
    let fake = sts_rejecting(usize::MAX);
    let env = env_at(&fake.url());
    let Some(t) = awsdo_in_tmux(&env, "-p prod -- true") else {
        return;
    };
    for (n, code) in ["111111", "222222", "333333"].iter().enumerate() {
        wait_count(&t, PROMPT, n + 1);
        t.send_keys(code);
    }
    assert_eq!(Some(1), t.wait_exit(T), "screen:\n{}", t.screen());
    eqnice!(3, t.screen().matches(PROMPT).count(), "{}", t.screen());
    let line = one_line(&tmux_stderr(&env));
    assert_contains(&line, &["\"prod\"", SERIAL, "rejected"]);
    eqnice!(
        "GetSessionToken,GetSessionToken,GetSessionToken",
        fake.actions().join(",")
    );
}

#[test]
fn rejected_code_from_flag_fails_at_once_naming_the_flag() {
    let fake = sts_rejecting(usize::MAX);
    let env = env_at(&fake.url());
    let Some(t) = awsdo_in_tmux(&env, "-p prod -c 123456 -- true") else {
        return;
    };
    assert_eq!(Some(1), t.wait_exit(T), "screen:\n{}", t.screen());
    assert!(
        !t.screen().contains("MFA code for"),
        "asked despite -c:\n{}",
        t.screen()
    );
    let line = one_line(&tmux_stderr(&env));
    assert_contains(&line, &["\"prod\"", "rejected", "-c"]);
    eqnice!("GetSessionToken", fake.actions().join(","));
    eqnice!("123456", fake.calls()[0].param("TokenCode").unwrap_or("-"));
}

#[test]
fn no_terminal_for_the_mfa_prompt_names_the_flag() {
    let fake = FakeSts::start_default();
    let env = env_at(&fake.url());
    // setsid: a new session with no controlling terminal, so /dev/tty cannot be opened.
    let mut cmd = env.command("setsid");
    cmd.args(["-w", util::awsdo_bin(), "-p", "prod", "--", "true"]);
    let line = fails_with_one_line(&mut cmd);
    assert_contains(&line, &["\"prod\"", "-c"]);
    eqnice!("", fake.actions().join(","), "no STS call without a code");
}

// --- STS trouble ---

/// Runs `awsdo -p dev -- true` and expects one error line within 15 s.
#[track_caller]
fn dev_fails_quickly(env: &TestEnv) -> String {
    let started = Instant::now();
    let line = fails_with_one_line(env.cmd().args(["-p", "dev", "--", "true"]));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(15), "took {took:?}: {line}");
    line
}

#[test]
fn sts_on_a_closed_port_fails_quickly_with_one_line() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let env = env_at(&format!("http://127.0.0.1:{port}"));
    let line = dev_fails_quickly(&env);
    assert_contains(&line, &["arn:aws:iam::123456789012:role/dev"]);
}

#[test]
fn sts_hanging_up_fails_quickly_with_one_line() {
    let fake = FakeSts::start(|_| Response::hang_up());
    let env = env_at(&fake.url());
    let line = dev_fails_quickly(&env);
    assert_contains(&line, &["arn:aws:iam::123456789012:role/dev"]);
    assert!(fake.count("AssumeRole") >= 1);
}

#[test]
fn access_denied_names_the_code_and_the_role() {
    let fake = FakeSts::start(|call| {
        sts::access_denied(&format!(
            "User: arn:aws:iam::123456789012:user/fake is not authorized to perform: \
             sts:AssumeRole on resource: {}",
            call.param("RoleArn").unwrap_or("-")
        ))
    });
    let env = env_at(&fake.url());
    let line = fails_with_one_line(env.cmd().args(["-p", "dev", "--", "true"]));
    assert_contains(
        &line,
        &["AccessDenied", "arn:aws:iam::123456789012:role/dev"],
    );
    eqnice!(
        "AssumeRole",
        fake.actions().join(","),
        "AccessDenied is final"
    );
}

#[test]
fn throttling_twice_then_success_is_retried() {
    let seen = Arc::new(AtomicUsize::new(0));
    let fake = FakeSts::start(move |call| {
        if seen.fetch_add(1, Ordering::SeqCst) < 2 {
            sts::throttling()
        } else {
            sts::default_answer(call)
        }
    });
    let env = env_at(&fake.url());
    let out = run_code(env.cmd().args(["-p", "dev", "--", "true"]), 0);
    eqnice!("", stderr(&out));
    eqnice!("AssumeRole,AssumeRole,AssumeRole", fake.actions().join(","));
}

#[test]
fn internal_failure_every_time_fails_in_bounded_time() {
    let fake = FakeSts::start(|_| sts::internal_failure());
    let env = env_at(&fake.url());
    let line = dev_fails_quickly(&env);
    assert_contains(
        &line,
        &["InternalFailure", "arn:aws:iam::123456789012:role/dev"],
    );
    let n = fake.count("AssumeRole");
    assert!((2..=5).contains(&n), "{n} attempts");
}

// --- the command after `--` ---

/// A profile whose keys carry a session token: used as they are, no STS call.
fn session_keys_env() -> TestEnv {
    let env = TestEnv::new();
    env.write_config("[profile temp]\nregion = us-east-1\n");
    env.write_credentials(
        "[temp]\naws_access_key_id = ASIAFAKETEMP01\naws_secret_access_key = fake-secret-temp\n\
         aws_session_token = fake-token-temp\n",
    );
    env
}

#[test]
fn missing_command_exits_127_with_one_line() {
    let env = session_keys_env();
    let out = run_code(
        env.cmd()
            .args(["-p", "temp", "--", "awsdo-test-no-such-command", "x"]),
        127,
    );
    eqnice!("", stdout(&out));
    let line = one_line(&stderr(&out));
    assert_contains(&line, &["awsdo-test-no-such-command", "not found"]);
}

#[test]
fn command_exit_status_and_output_pass_through() {
    let env = session_keys_env();
    let out = run_code(
        env.cmd().args([
            "-p",
            "temp",
            "--",
            "sh",
            "-c",
            "echo to-stdout; echo to-stderr >&2; exit 7",
        ]),
        7,
    );
    eqnice!("to-stdout\n", stdout(&out));
    eqnice!("to-stderr\n", stderr(&out));
}

#[test]
fn failures_reach_no_child_and_print_no_secret_with_debug_log() {
    // The same AccessDenied with AWSDO_LOG=debug: more lines are allowed, secrets are not.
    let fake = FakeSts::start(|_| sts::access_denied("denied"));
    let mut env = env_at(&fake.url());
    env.set_var("AWSDO_LOG", "debug");
    let marker = env.root().join("child-ran");
    let out = run_code(
        env.cmd()
            .args(["-p", "dev", "--", "touch", marker.to_str().unwrap()]),
        1,
    );
    assert!(
        !Path::new(&marker).exists(),
        "the command ran after a failure"
    );
    let err = stderr(&out);
    for s in SECRETS {
        assert!(!err.contains(s), "debug log shows a secret ({s}):\n{err}");
    }
    let last = err.lines().last().unwrap_or("");
    assert!(last.starts_with("awsdo: could not "), "{err}");
}

#[test]
fn usage_errors_are_one_line_and_exit_1() {
    let env = TestEnv::new();
    for args in [&["--bogus"][..], &["hook"], &["hook", "tcsh"], &["-d"]] {
        let out = run_code(env.cmd().args(args), 1);
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(
            err.starts_with("awsdo: could not run awsdo"),
            "{args:?}: {err}"
        );
        // The fix: the accepted values when there are few, else the help to read.
        let fix = if args[0] == "hook" {
            "one of: bash, zsh, fish, pwsh, nu"
        } else {
            "see: awsdo --help"
        };
        assert!(err.trim_end().ends_with(fix), "{args:?}: {err}");
    }
}

#[test]
fn subcommands_taking_a_profile_also_accept_dash_p() {
    let env = TestEnv::new();
    env.write_config("[profile known]\nregion = us-east-1\n");
    for sub in ["login", "explain", "logout"] {
        let out = env.cmd().args([sub, "-p", "missing-one"]).output().unwrap();
        let err = stderr(&out);
        assert!(!err.contains("parse the command line"), "{sub}: {err}");
    }
    let out = run_fail(env.cmd().args(["explain", "-p", "missing-one"]));
    assert!(stderr(&out).contains("\"missing-one\""), "{}", stderr(&out));
}
