//! awsdo as a citizen of the AWS tool ecosystem: the real AWS CLI consuming
//! `credential-process` (with the cache and the loop guard), the console sign-in URL against a
//! fake federation endpoint, and help, version and error style.

use crate::util;

use std::collections::BTreeMap;
use std::process::Command;
use std::sync::{Arc, Mutex};

use crate::util::http::{HttpServer, Request, Response};
use crate::util::moto::Moto;
use crate::util::{TestEnv, eqnice, run_fail, run_ok, stderr, stdout};
use clap::CommandFactory;

const BASE_SECRET: &str = "fake-secret-base";
const FAKE_KEYS: &str =
    "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n";
const ROLE: &str =
    "[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n";
const SIGNIN_TOKEN: &str = "fake-signin-token/with+chars";

/// moto behind the counting proxy and a TestEnv aimed at it; `None` when skipping.
fn setup(config: &str) -> Option<(Moto, TestEnv)> {
    let moto = Moto::start()?;
    let mut env = TestEnv::with_endpoint(&moto.url());
    env.set_var("AWS_DEFAULT_REGION", "us-east-1");
    env.write_config(config);
    env.write_credentials(FAKE_KEYS);
    Some((moto, env))
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text:?}"))
}

// --- credential-process ------------------------------------------------------------------

#[test]
fn credential_process_prints_version_1_json_and_reuses_the_cache() {
    let Some((moto, env)) = setup("") else {
        return;
    };
    let first = json(&stdout(&run_ok(env.cmd().args([
        "credential-process",
        "-p",
        "base",
    ]))));
    eqnice!(1, first["Version"]);
    for key in [
        "AccessKeyId",
        "SecretAccessKey",
        "SessionToken",
        "Expiration",
    ] {
        assert!(first[key].is_string(), "{key} missing: {first}");
    }
    assert!(first["AccessKeyId"] != "AKIAFAKEBASE00000001", "{first}");
    let second = json(&stdout(&run_ok(env.cmd().args([
        "credential-process",
        "-p",
        "base",
    ]))));
    eqnice!(first, second, "the second call is served from the cache");
    eqnice!(1, moto.count("GetSessionToken"));
}

#[test]
fn credential_process_refreshes_when_under_15_minutes_remain() {
    let Some((moto, env)) = setup("") else {
        return;
    };
    // A 15-minute session has under 15 minutes left as soon as it is made.
    for _ in 0..2 {
        run_ok(
            env.cmd()
                .args(["credential-process", "-p", "base", "-d", "15m"]),
        );
    }
    eqnice!(2, moto.count("GetSessionToken"));
    // With a smaller reuse window the last session is kept.
    moto.reset_calls();
    for _ in 0..2 {
        run_ok(env.cmd().env("AWSDO_MIN_TTL", "5m").args([
            "credential-process",
            "-p",
            "base",
            "-d",
            "15m",
        ]));
    }
    eqnice!(0, moto.count("GetSessionToken"));
}

#[test]
fn aws_cli_gets_credentials_from_awsdo_and_its_second_call_makes_no_sts_call() {
    if !util::require("aws") {
        return;
    }
    let config = format!(
        "[profile viaawsdo]\ncredential_process = {} credential-process -p base\n\
         [profile roleviaawsdo]\ncredential_process = {} credential-process -p prod\n{ROLE}",
        util::awsdo_bin(),
        util::awsdo_bin()
    );
    let Some((moto, env)) = setup(&config) else {
        return;
    };
    let arn = |profile: &str| {
        let out = run_ok(env.command("aws").args([
            "--profile",
            profile,
            "sts",
            "get-caller-identity",
            "--query",
            "Arn",
            "--output",
            "text",
        ]));
        assert!(!stderr(&out).contains(BASE_SECRET));
        stdout(&out).trim().to_owned()
    };
    // The first call fetches a session (awsdo's MFA discovery adds a GetCallerIdentity of
    // its own); the second is served from awsdo's cache: the CLI's own call reaches STS alone.
    let first = arn("viaawsdo");
    eqnice!(
        1,
        moto.count("GetSessionToken"),
        "calls: {:?}",
        moto.calls()
    );
    moto.reset_calls();
    let second = arn("viaawsdo");
    eqnice!(first, second);
    assert_eq!(vec!["GetCallerIdentity"], moto.calls());
    let role = arn("roleviaawsdo");
    assert!(role.contains(":assumed-role/admin/"), "{role}");
    eqnice!(1, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
    moto.reset_calls();
    eqnice!(role, arn("roleviaawsdo"));
    assert_eq!(vec!["GetCallerIdentity"], moto.calls());
}

/// Runs `awsdo ARGS` under `timeout`, so a missing loop guard fails instead of hanging.
fn run_bounded(env: &TestEnv, args: &[&str]) -> std::process::Output {
    run_fail(
        env.command("timeout")
            .args(["20", util::awsdo_bin()])
            .args(args),
    )
}

#[test]
fn a_credential_process_that_calls_awsdo_on_itself_fails_with_one_line() {
    let bin = util::awsdo_bin();
    let env = TestEnv::new();
    env.write_config(&format!(
        "[profile loop]\ncredential_process = {bin} credential-process -p loop\n\
         [profile a]\ncredential_process = {bin} credential-process -p b\n\
         [profile b]\ncredential_process = {bin} credential-process -p a\n"
    ));
    for (args, chain) in [
        (&["credential-process", "-p", "loop"][..], "(loop -> loop)"),
        (&["-p", "loop", "--", "true"][..], "(loop -> loop)"),
        (&["credential-process", "-p", "a"][..], "(a -> b -> a)"),
    ] {
        let out = run_bounded(&env, args);
        eqnice!(1, out.status.code().unwrap_or(-1), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: not one line:\n{err}");
        assert!(
            err.starts_with("awsdo: could not get credentials for profile") && err.contains(chain),
            "{args:?}: {err}"
        );
        eqnice!("", stdout(&out), "{args:?}: nothing on stdout");
    }
}

// --- console ---------------------------------------------------------------------------

/// A fake federation endpoint: answers getSigninToken with `SIGNIN_TOKEN`, and records the
/// query of each request.
/// The query of every request the fake federation endpoint received.
type Seen = Arc<Mutex<Vec<BTreeMap<String, String>>>>;

fn fake_federation() -> (HttpServer, Seen) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let server = HttpServer::start(move |req: &Request| {
        let q = req.query();
        log.lock().unwrap().push(q.clone());
        if req.path_only() == "/federation"
            && q.get("Action").map(String::as_str) == Some("getSigninToken")
        {
            Response::json(200, &format!("{{\"SigninToken\":\"{SIGNIN_TOKEN}\"}}"))
        } else {
            Response::text(400, "bad request")
        }
    });
    (server, seen)
}

fn expected_url(endpoint: &str) -> String {
    format!(
        "{endpoint}/federation?Action=login&Issuer=awsdo&Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&SigninToken=fake-signin-token%2Fwith%2Bchars"
    )
}

/// The `Session` JSON of the one getSigninToken request.
fn session(
    seen: &Mutex<Vec<BTreeMap<String, String>>>,
) -> (serde_json::Value, BTreeMap<String, String>) {
    let seen = seen.lock().unwrap();
    eqnice!(
        1,
        seen.len(),
        "requests to the federation endpoint: {seen:?}"
    );
    (json(&seen[0]["Session"]), seen[0].clone())
}

#[test]
fn console_prints_a_signin_url_for_a_role_session() {
    let Some((moto, mut env)) = setup(ROLE) else {
        return;
    };
    let (fed, seen) = fake_federation();
    env.set_var("AWSDO_FEDERATION_ENDPOINT", &fed.url());
    let out = run_ok(env.cmd().args(["console", "-p", "prod", "-d", "2h"]));
    eqnice!(format!("{}\n", expected_url(&fed.url())), stdout(&out));
    let (session, query) = session(&seen);
    // The role session itself is presented, and the console session gets the asked duration.
    let creds = json(&stdout(&run_ok(env.cmd().args([
        "credential-process",
        "-p",
        "prod",
        "-d",
        "2h",
    ]))));
    eqnice!(creds["AccessKeyId"], session["sessionId"]);
    eqnice!(creds["SessionToken"], session["sessionToken"]);
    eqnice!("7200", query["SessionDuration"]);
    eqnice!(1, moto.count("AssumeRole"));
    eqnice!(0, moto.count("GetFederationToken"));
    let secret = creds["SecretAccessKey"].as_str().unwrap();
    for text in [stdout(&out), stderr(&out)] {
        assert!(
            !text.contains(secret) && !text.contains(BASE_SECRET),
            "{text}"
        );
    }
}

#[test]
fn console_gets_a_federation_token_for_a_session_token_profile() {
    let Some((moto, mut env)) = setup("") else {
        return;
    };
    let (fed, seen) = fake_federation();
    env.set_var("AWSDO_FEDERATION_ENDPOINT", &fed.url());
    let out = run_ok(env.cmd().args(["-p", "base", "--login"]));
    eqnice!(format!("{}\n", expected_url(&fed.url())), stdout(&out));
    // A GetSessionToken session would be rejected by the endpoint: GetFederationToken with the
    // long-lived keys instead, and no SessionDuration (not allowed for federation tokens).
    eqnice!(
        1,
        moto.count("GetFederationToken"),
        "calls: {:?}",
        moto.calls()
    );
    eqnice!(0, moto.count("GetSessionToken"));
    let (session, query) = session(&seen);
    assert!(!query.contains_key("SessionDuration"), "{query:?}");
    assert!(session["sessionId"] != "AKIAFAKEBASE00000001", "{session}");
    assert!(session["sessionKey"] != BASE_SECRET, "{session}");
    assert!(session["sessionToken"].is_string(), "{session}");
    let fed_call = moto
        .requests()
        .iter()
        .map(|r| util::sts::decode(&r.body_str()))
        .find(|p| p.get("Action").map(String::as_str) == Some("GetFederationToken"))
        .unwrap();
    eqnice!("awsdo", fed_call["Name"]);
    for text in [stdout(&out), stderr(&out)] {
        assert!(!text.contains(BASE_SECRET), "{text}");
        assert!(
            !text.contains(session["sessionKey"].as_str().unwrap()),
            "{text}"
        );
    }
}

#[test]
fn console_opens_the_browser_when_there_is_one() {
    let Some((_moto, mut env)) = setup(ROLE) else {
        return;
    };
    let (fed, _seen) = fake_federation();
    env.set_var("AWSDO_FEDERATION_ENDPOINT", &fed.url());
    let opened = env.root().join("opened");
    let browser = env.write_file(
        "browser.sh",
        &format!("#!/bin/sh\ncat \"$1\" > '{}'\n", opened.display()),
    );
    run_ok(Command::new("chmod").arg("+x").arg(&browser));
    env.set_var("BROWSER", browser.to_str().unwrap());
    let out = run_ok(env.cmd().args(["console", "-p", "prod"]));
    eqnice!("", stdout(&out), "the URL goes to the browser, not stdout");
    // The browser gets a page that redirects to the URL (tests/children.rs has the rest).
    let page = std::fs::read_to_string(&opened).unwrap_or_default();
    let url = expected_url(&fed.url()).replace('&', "&amp;");
    assert!(page.contains(&format!("content=\"0;url={url}\"")), "{page}");
    assert!(!stderr(&out).contains(BASE_SECRET));
}

#[test]
fn console_reports_a_refusing_endpoint_in_one_line() {
    let Some((_moto, mut env)) = setup(ROLE) else {
        return;
    };
    let fed = HttpServer::start(|_: &Request| Response::text(400, "no\nway"));
    env.set_var("AWSDO_FEDERATION_ENDPOINT", &fed.url());
    let out = run_fail(env.cmd().args(["console", "-p", "prod"]));
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.starts_with("awsdo: could not sign in to the console for profile \"prod\"")
            && err.contains("HTTP 400"),
        "{err}"
    );
}

// --- help, version, errors -------------------------------------------------------------

#[test]
fn every_subcommand_help_shows_an_example() {
    let env = TestEnv::new();
    let root = stdout(&run_ok(env.cmd().arg("--help")));
    assert!(root.contains("Examples:"), "awsdo --help:\n{root}");
    let cli = awsdo::cli::Cli::command();
    let names: Vec<String> = cli
        .get_subcommands()
        .map(|s| s.get_name().to_owned())
        .collect();
    assert!(names.len() >= 11, "{names:?}");
    for name in names {
        let out = run_ok(env.cmd().args([name.as_str(), "--help"]));
        let help = stdout(&out);
        assert!(
            help.lines().any(|l| l.starts_with("Example")),
            "`awsdo {name} --help` has no Example section:\n{help}"
        );
    }
}

#[test]
fn version_prints_the_package_version() {
    let env = TestEnv::new();
    let out = run_ok(env.cmd().arg("--version"));
    eqnice!(
        format!("awsdo {}\n", env!("CARGO_PKG_VERSION")),
        stdout(&out)
    );
}

#[test]
fn errors_are_one_awsdo_could_not_line() {
    let env = TestEnv::new();
    env.write_config(
        "[profile broken]\nsource_profile = nowhere\nrole_arn = arn:aws:iam::123456789012:role/x\n",
    );
    for args in [
        &["credential-process", "-p", "nosuch"][..],
        &["console", "-p", "nosuch"][..],
        &["--login", "-p", "broken"][..],
        &["use", "prod"][..],
        &["login", "nosuch"][..],
    ] {
        let out = run_fail(env.cmd().args(args));
        eqnice!(1, out.status.code().unwrap_or(-1), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("awsdo: could not "), "{args:?}: {err}");
    }
}
