//! IAM Identity Center sign-in built in (DESIGN §10, issue 13): `awsdo login` with PKCE through
//! the loopback listener and with the device code, the AWS CLI's token and registration files,
//! the silent refresh (one per session across processes), logout, explain/status rows, the
//! hook that never opens a browser, the one-line errors — against the project's fake OIDC
//! service and portal (`util::oidc`), with botocore as the other reader and writer of the files.

use crate::util;

use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use crate::util::oidc::{End, FakeOidc, browser_log, browser_stand_in};
use crate::util::{TestEnv, run_fail, run_ok, stderr, stdout};
use serde_json::Value;

const CONFIG: &str = "[profile sso]\nsso_session = corp\nsso_account_id = 123456789012\n\
sso_role_name = Dev\nregion = eu-west-1\n\
[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n";

fn setup() -> (FakeOidc, TestEnv) {
    let fake = FakeOidc::start();
    let mut env = TestEnv::new();
    fake.point(&mut env);
    env.write_config(CONFIG);
    (fake, env)
}

/// `~/.aws/sso/cache/<sha1 of the session name>.json`, as botocore names it.
fn token_path(env: &TestEnv, key: &str) -> PathBuf {
    env.home()
        .join(".aws/sso/cache")
        .join(util::sso::token_file_name(key))
}

fn token(env: &TestEnv) -> Value {
    serde_json::from_slice(&std::fs::read(token_path(env, "corp")).unwrap()).unwrap()
}

/// Rewrites the stored token's `expiresAt` to `secs` from now (negative: in the past).
fn set_token_expiry(env: &TestEnv, secs: i64) {
    let mut t = token(env);
    let at = std::time::SystemTime::now()
        .checked_add(Duration::from_secs(secs.max(0) as u64))
        .unwrap()
        .checked_sub(Duration::from_secs((-secs).max(0) as u64))
        .unwrap();
    t["expiresAt"] = Value::String(util::iso8601(at));
    std::fs::write(token_path(env, "corp"), t.to_string()).unwrap();
}

fn login_with_browser(fake: &FakeOidc, env: &mut TestEnv) -> std::process::Output {
    let browser = browser_stand_in(env.root());
    env.set_var("BROWSER", browser.to_str().unwrap());
    let out = run_ok(env.cmd().args(["login", "sso"]));
    assert_eq!(fake.count("/authorize"), 1, "{}", stderr(&out));
    out
}

/// Output of a command that must end within a generous bound (a hang fails, not waits).
fn bounded(cmd: &mut Command) -> std::process::Output {
    let mut child = cmd
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let until = std::time::Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        if std::time::Instant::now() > until {
            let _ = child.kill();
            panic!("awsdo did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

#[test]
fn pkce_sign_in_through_the_browser_writes_the_aws_cli_token_and_serves_credentials() {
    let (fake, mut env) = setup();
    env.set_var("AWSDO_LOG", "debug");
    env.set_var("AWS_SECRET_ACCESS_KEY", "fake-secret-not-for-the-browser");
    env.set_var("AWS_SESSION_TOKEN", "fake-token-not-for-the-browser");
    let out = login_with_browser(&fake, &mut env);
    // The browser got no credential variable.
    let names = std::fs::read_to_string(env.root().join("browser.env")).unwrap();
    assert!(names.lines().any(|n| n == "HOME"), "{names}");
    assert!(!names.contains("AWS_SECRET_ACCESS_KEY") && !names.contains("AWS_SESSION_TOKEN"));
    let err = stderr(&out);
    // The authorize URL is on the terminal, and the browser got the same URL.
    let urls = browser_log(env.root());
    assert_eq!(urls.len(), 1, "{err}");
    assert!(
        urls[0].starts_with(&format!("{}/authorize?", fake.url())),
        "{urls:?}"
    );
    assert!(err.contains(&urls[0]), "{err}");
    assert!(err.contains("signed in to IAM Identity Center"), "{err}");
    // The code was exchanged with the PKCE verifier (the fake checks S256 against the
    // challenge) and the verifier never left in the URL.
    let calls = fake.token_calls("authorization_code");
    assert_eq!(calls.len(), 1);
    let verifier = calls[0]["codeVerifier"].as_str().unwrap();
    assert!(verifier.len() >= 43 && !urls[0].contains(verifier));
    // The registration asked for the default scope and the PKCE grants.
    let reg: Value = serde_json::from_slice(&fake.requests("/client/register")[0].body).unwrap();
    assert_eq!(reg["scopes"], serde_json::json!(["sso:account:access"]));
    assert_eq!(
        reg["grantTypes"],
        serde_json::json!(["authorization_code", "refresh_token"])
    );
    assert_eq!(
        reg["redirectUris"],
        serde_json::json!(["http://127.0.0.1/oauth/callback"])
    );
    // The token file: the AWS CLI's name and fields, private.
    let path = token_path(&env, "corp");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
    let t = token(&env);
    for field in [
        "startUrl",
        "region",
        "accessToken",
        "expiresAt",
        "clientId",
        "clientSecret",
        "registrationExpiresAt",
        "refreshToken",
    ] {
        assert!(t[field].is_string(), "{field} in {t}");
    }
    assert_eq!(t["startUrl"], "https://corp.awsapps.com/start");
    assert!(t["expiresAt"].as_str().unwrap().ends_with('Z'));
    // The login went on to role credentials with the new token; no secret on stderr.
    assert_eq!(fake.portal.bearers(), [t["accessToken"].as_str().unwrap()]);
    assert!(!err.contains(t["accessToken"].as_str().unwrap()), "{err}");
    assert!(!err.contains(t["refreshToken"].as_str().unwrap()), "{err}");
    // The listener is gone: the redirect URI's port no longer answers.
    let redirect = urls[0]
        .split("redirect_uri=http%3A%2F%2F127.0.0.1%3A")
        .nth(1)
        .unwrap()
        .split('%')
        .next()
        .unwrap()
        .to_owned();
    assert!(std::net::TcpStream::connect(("127.0.0.1", redirect.parse::<u16>().unwrap())).is_err());
}

#[test]
fn a_denied_browser_sign_in_is_one_line_with_the_fix() {
    let (fake, mut env) = setup();
    fake.authorize_outcome(End::Deny);
    let browser = browser_stand_in(env.root());
    env.set_var("BROWSER", browser.to_str().unwrap());
    let out = run_fail(env.cmd().args(["login", "sso"]));
    let err = stderr(&out);
    let last = err.lines().last().unwrap();
    assert!(
        last.starts_with("awsdo: could not sign in to IAM Identity Center for profile \"sso\""),
        "{err}"
    );
    assert!(
        last.contains("denied") && last.contains("run: awsdo login sso"),
        "{err}"
    );
    assert!(!token_path(&env, "corp").exists());
}

#[test]
fn device_code_polls_through_slow_down_and_pending_and_prints_the_code() {
    let (fake, env) = setup();
    fake.device_outcome(1, 2, End::Approve);
    let out = bounded(env.cmd().args(["login", "--device-code", "sso"]));
    let err = stderr(&out);
    assert!(out.status.success(), "{err}");
    // The URL and the user code are on the terminal.
    assert!(
        err.contains("https://device.sso.example/?user_code=FAKE-"),
        "{err}"
    );
    assert!(err.lines().any(|l| l.trim().starts_with("FAKE-")), "{err}");
    // slow_down, pending, pending, token: four polls, no more.
    assert_eq!(
        fake.token_calls("urn:ietf:params:oauth:grant-type:device_code")
            .len(),
        4
    );
    assert_eq!(fake.count("/authorize"), 0);
    // A device registration (no PKCE grants), asking for the refresh scope.
    let reg: Value = serde_json::from_slice(&fake.requests("/client/register")[0].body).unwrap();
    assert_eq!(reg["scopes"], serde_json::json!(["sso:account:access"]));
    assert!(reg.get("grantTypes").is_none(), "{reg}");
    assert!(token(&env)["refreshToken"].is_string());
}

#[test]
fn device_code_without_a_display_is_the_default_and_ssh_never_opens_a_browser() {
    let (fake, mut env) = setup();
    // No BROWSER and no DISPLAY: the device code.
    run_ok(env.cmd().args(["login", "sso"]));
    assert_eq!(fake.count("/device_authorization"), 1);
    // Over SSH, even with a BROWSER: the device code, and the browser is not started.
    let browser = browser_stand_in(env.root());
    env.set_var("BROWSER", browser.to_str().unwrap());
    env.set_var("SSH_CONNECTION", "192.0.2.1 50000 192.0.2.2 22");
    run_ok(env.cmd().args(["login", "sso"]));
    assert_eq!(fake.count("/device_authorization"), 2);
    assert!(browser_log(env.root()).is_empty());
}

#[test]
fn device_code_denied_and_expired_are_one_line_errors_with_the_fix() {
    for (end, words) in [(End::Deny, "denied"), (End::Expire, "expired")] {
        let (fake, env) = setup();
        fake.device_outcome(0, 1, end);
        let out = bounded(env.cmd().args(["login", "--device-code", "sso"]));
        assert!(!out.status.success());
        let err = stderr(&out);
        let last = err.lines().last().unwrap();
        assert!(
            last.starts_with("awsdo: could not sign in to IAM Identity Center for profile \"sso\""),
            "{err}"
        );
        assert!(
            last.contains(words) && last.contains("run: awsdo login sso"),
            "{err}"
        );
        assert!(!token_path(&env, "corp").exists());
    }
}

#[test]
fn the_registration_is_reused_until_it_expires() {
    let (fake, env) = setup();
    run_ok(env.cmd().args(["login", "sso"]));
    run_ok(env.cmd().args(["login", "sso"]));
    assert_eq!(
        fake.count("/client/register"),
        1,
        "the second sign-in reuses it"
    );
    // The registration file is the AWS CLI's: sha1 of its json.dumps key.
    let dir = env.home().join(".aws/sso/cache");
    let regs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| *p != token_path(&env, "corp"))
        .collect();
    assert_eq!(regs.len(), 1, "{regs:?}");
    // Expired (within the AWS CLI's 15-minute window): registered anew.
    let mut reg: Value = serde_json::from_slice(&std::fs::read(&regs[0]).unwrap()).unwrap();
    reg["expiresAt"] = Value::String(util::iso8601(
        std::time::SystemTime::now() + Duration::from_secs(60),
    ));
    std::fs::write(&regs[0], reg.to_string()).unwrap();
    run_ok(env.cmd().args(["login", "sso"]));
    assert_eq!(fake.count("/client/register"), 2);
}

#[test]
fn a_registration_the_service_no_longer_knows_is_replaced_once() {
    let (fake, env) = setup();
    run_ok(env.cmd().args(["login", "sso"]));
    // The cached registration has not expired by its date, but the service revoked it.
    fake.forget_clients();
    let out = run_ok(env.cmd().args(["login", "sso"]));
    assert_eq!(fake.count("/client/register"), 2, "{}", stderr(&out));
    assert_eq!(fake.count("/device_authorization"), 3);
}

#[test]
fn a_token_with_under_15_minutes_left_is_refreshed_silently() {
    let (fake, env) = setup();
    run_ok(env.cmd().args(["login", "sso"]));
    let old = token(&env);
    // 10 minutes left: the next command refreshes with the refresh token, quietly.
    set_token_expiry(&env, 600);
    let out = run_ok(
        env.cmd()
            .args(["-p", "sso", "--disable-cache", "--", "true"]),
    );
    assert_eq!(stderr(&out), "");
    assert_eq!(fake.token_calls("refresh_token").len(), 1);
    let new = token(&env);
    assert_ne!(new["accessToken"], old["accessToken"]);
    assert_ne!(new["refreshToken"], old["refreshToken"]);
    assert_eq!(new["clientId"], old["clientId"]);
    assert_eq!(
        fake.portal.bearers().last().unwrap(),
        new["accessToken"].as_str().unwrap()
    );
    // An hour left: no refresh.
    run_ok(
        env.cmd()
            .args(["-p", "sso", "--disable-cache", "--", "true"]),
    );
    assert_eq!(fake.token_calls("refresh_token").len(), 1);
}

#[test]
fn eight_processes_needing_a_refresh_make_one() {
    let (fake, env) = setup();
    let mut config = String::from(CONFIG);
    for i in 0..8 {
        config.push_str(&format!(
            "[profile r{i}]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Role{i}\n"
        ));
    }
    env.write_config(&config);
    run_ok(env.cmd().args(["login", "sso"]));
    set_token_expiry(&env, 300);
    let children: Vec<_> = (0..8)
        .map(|i| {
            env.cmd()
                .args(["-p", &format!("r{i}"), "--", "true"])
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
    }
    assert_eq!(fake.token_calls("refresh_token").len(), 1);
}

#[test]
fn an_expired_token_that_cannot_be_refreshed_says_run_awsdo_login() {
    let (fake, env) = setup();
    run_ok(env.cmd().args(["login", "sso"]));
    // Expired, and the registration too: no refresh can help.
    let mut t = token(&env);
    t["expiresAt"] = Value::String("2020-01-01T00:00:00Z".into());
    t["registrationExpiresAt"] = Value::String("2020-01-01T00:00:00Z".into());
    std::fs::write(token_path(&env, "corp"), t.to_string()).unwrap();
    let out = run_fail(
        env.cmd()
            .args(["-p", "sso", "--disable-cache", "--", "true"]),
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("expired at 2020-01-01T00:00:00Z (its client registration expired")
            && err.trim_end().ends_with("run: awsdo login sso"),
        "{err}"
    );
    assert_eq!(fake.token_calls("refresh_token").len(), 0);
    // Expired with a good registration, but the service cannot be reached: one line that says
    // so, and the fix.
    run_ok(env.cmd().args(["login", "sso"]));
    set_token_expiry(&env, -60);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    let out = run_fail(env.cmd().env("AWS_ENDPOINT_URL_SSO_OIDC", &url).args([
        "-p",
        "sso",
        "--disable-cache",
        "--",
        "true",
    ]));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("check the network") && err.trim_end().ends_with("run: awsdo login sso"),
        "{err}"
    );
}

#[test]
fn the_hook_never_opens_a_browser_and_says_run_awsdo_login_once() {
    let (fake, mut env) = setup();
    let browser = browser_stand_in(env.root());
    env.set_var("BROWSER", browser.to_str().unwrap());
    env.set_var("AWS_PROFILE", "sso");
    // No token at all.
    let out = bounded(env.cmd().args(["export", "bash"]));
    let err = stderr(&out);
    assert!(err.contains("run: awsdo login sso"), "{err}");
    assert!(browser_log(env.root()).is_empty());
    assert_eq!(
        fake.count("/authorize") + fake.count("/device_authorization"),
        0
    );
}

#[test]
fn the_bash_hook_says_run_awsdo_login_once_and_starts_no_browser() {
    if !util::require("bash") {
        return;
    }
    let (fake, mut env) = setup();
    let browser = browser_stand_in(env.root());
    env.set_var("BROWSER", browser.to_str().unwrap());
    let script = format!(
        "eval \"$({} hook bash)\"\nexport AWS_PROFILE=sso\n\
         for i in 1 2 3; do __awsdo_hook; echo \"##$i##\" >&2; done\n",
        util::sh_quote(util::awsdo_bin())
    );
    let out = bounded(
        env.command("bash")
            .args(["--noprofile", "--norc", "-c", &script]),
    );
    let err = stderr(&out);
    assert_eq!(err.matches("run: awsdo login sso").count(), 1, "{err}");
    assert!(
        err.starts_with("awsdo: could not find an SSO token for profile \"sso\""),
        "{err}"
    );
    assert!(browser_log(env.root()).is_empty());
    assert_eq!(
        fake.count("/authorize") + fake.count("/device_authorization"),
        0
    );
}

#[test]
fn a_legacy_profile_signs_in_under_the_sha1_of_its_start_url() {
    let (fake, env) = setup();
    env.write_config(
        "[profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = eu-west-1\n\
         sso_account_id = 123456789012\nsso_role_name = Dev\n",
    );
    run_ok(env.cmd().args(["login", "old"]));
    let path = token_path(&env, "https://old.awsapps.com/start");
    let t: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    assert_eq!(t["startUrl"], "https://old.awsapps.com/start");
    run_ok(
        env.cmd()
            .args(["-p", "old", "--disable-cache", "--", "true"]),
    );
    assert_eq!(fake.portal.count(), 2);
}

#[test]
fn botocore_uses_the_token_awsdo_wrote_and_awsdo_the_one_botocore_refreshed() {
    if !util::require("aws") {
        return;
    }
    let (fake, env) = setup();
    run_ok(env.cmd().args(["login", "sso"]));
    set_token_expiry(&env, 600);
    let before = token(&env);
    // botocore's SSOTokenProvider refreshes through the fake's CreateToken (refresh grant)
    // and writes the file back; its SSO credential provider then gets role credentials.
    let script = "import botocore.session\n\
from botocore.tokens import SSOTokenProvider\n\
s = botocore.session.Session(profile='sso')\n\
t = SSOTokenProvider(s).load_token().get_frozen_token()\n\
c = s.get_credentials().get_frozen_credentials()\n\
print(t.token == open(__import__('sys').argv[1]).read() and 'x' or t.token[:18], c.access_key[:11])\n";
    let out = run_ok(env.command("python3").args([
        "-c",
        script,
        token_path(&env, "corp").to_str().unwrap(),
    ]));
    let printed = stdout(&out);
    assert!(
        printed.contains("fake-access-token") && printed.contains("ASIAFAKESSO"),
        "{printed}"
    );
    assert_eq!(
        fake.token_calls("refresh_token").len(),
        1,
        "{}",
        stderr(&out)
    );
    let after = token(&env);
    assert_ne!(after["accessToken"], before["accessToken"]);
    // awsdo uses the file botocore wrote (its `expiresAt` format included).
    run_ok(
        env.cmd()
            .args(["-p", "sso", "--disable-cache", "--", "true"]),
    );
    assert_eq!(
        fake.portal.bearers().last().unwrap(),
        after["accessToken"].as_str().unwrap()
    );
    assert_eq!(fake.token_calls("refresh_token").len(), 1);
}

#[test]
fn logout_signs_out_of_the_portal_and_removes_the_token() {
    let (fake, env) = setup();
    run_ok(env.cmd().args(["login", "sso"]));
    let access = token(&env)["accessToken"].as_str().unwrap().to_owned();
    let out = run_ok(env.cmd().args(["logout", "sso"]));
    assert!(
        stderr(&out).contains("signed out of IAM Identity Center"),
        "{}",
        stderr(&out)
    );
    assert_eq!(fake.portal.logouts(), [access]);
    assert!(!token_path(&env, "corp").exists());
    let out = run_fail(env.cmd().args(["-p", "sso", "--", "true"]));
    assert!(
        stderr(&out).contains("run: awsdo login sso"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn logout_all_signs_out_every_sso_session() {
    let (fake, env) = setup();
    let mut config = String::from(CONFIG);
    config.push_str(
        "[profile old]\nsso_start_url = https://old.awsapps.com/start\nsso_region = eu-west-1\n\
         sso_account_id = 123456789012\nsso_role_name = Dev\n",
    );
    env.write_config(&config);
    run_ok(env.cmd().args(["login", "sso"]));
    run_ok(env.cmd().args(["login", "old"]));
    let out = run_ok(env.cmd().args(["logout", "--all"]));
    assert_eq!(fake.portal.logouts().len(), 2, "{}", stderr(&out));
    assert!(!token_path(&env, "corp").exists());
    assert!(!token_path(&env, "https://old.awsapps.com/start").exists());
}

#[test]
fn explain_and_status_show_the_sso_session_and_its_token() {
    let (_fake, env) = setup();
    let out = run_ok(env.cmd().args(["explain", "sso"]));
    assert!(
        stdout(&out).contains("sso token: none; run: awsdo login sso"),
        "{}",
        stdout(&out)
    );
    run_ok(env.cmd().args(["login", "sso"]));
    let out = run_ok(env.cmd().args(["explain", "sso"]));
    let text = stdout(&out);
    assert!(text.contains("sso token: valid until "), "{text}");
    assert!(text.contains("refreshable"), "{text}");
    let out = run_ok(env.cmd().args(["explain", "sso", "--json"]));
    let v: Value = serde_json::from_str(&stdout(&out)).unwrap();
    assert_eq!(v["cache"]["sso_token"]["state"], "valid", "{v}");
    assert_eq!(v["cache"]["sso_token"]["session"], "corp", "{v}");
    assert_eq!(v["cache"]["sso_token"]["refreshable"], true, "{v}");
    let out = run_ok(env.cmd().arg("status"));
    let text = stdout(&out);
    assert!(
        text.lines().any(|l| l.trim_start().starts_with("sso ")
            && (l.ends_with("sso-session corp: 59m left")
                || l.ends_with("sso-session corp: 1h left"))),
        "{text}"
    );
}

#[test]
fn a_role_the_portal_refuses_and_an_unreachable_service_are_one_line_with_the_fix() {
    let (fake, mut env) = setup();
    run_ok(env.cmd().args(["login", "sso"]));
    fake.portal.allow("123456789012", "SomeOtherRole");
    let out = run_fail(
        env.cmd()
            .args(["-p", "sso", "--disable-cache", "--", "true"]),
    );
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not assigned") && err.contains("sso_role_name"),
        "{err}"
    );
    // No network: a closed port.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);
    env.set_var("AWS_ENDPOINT_URL_SSO_OIDC", &url);
    let out = bounded(env.cmd().args(["login", "--device-code", "sso"]));
    assert!(!out.status.success());
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("check the network"), "{err}");
}
