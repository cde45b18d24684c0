//! Answers awsdo must refuse or bound, against the in-process fakes: a `Date` header far from
//! any real clock is ignored (it never poisons the cache), credentials with an empty key or an
//! absurd expiry are refused with one line naming the call and the profile (STS, the SSO portal,
//! the container endpoint), and a body larger than awsdo's cap is refused while it is read
//! (STS through the SDK, the console federation endpoint through `http_get`).

use crate::util;

use std::time::{Duration, SystemTime};

use crate::util::http::{HttpServer, Response};
use crate::util::sso::role_credentials_json;
use crate::util::sts::{self, Creds, FakeSts};
use crate::util::{TestEnv, eqnice, run_fail, run_ok, stderr, stdout};

const KEYS: &str =
    "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n";
const ROLE: &str =
    "[profile role]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/admin\n";

fn env_for(url: &str, config: &str) -> TestEnv {
    let mut env = TestEnv::with_endpoint(url);
    env.set_var("AWS_REGION", "us-east-1");
    env.write_config(config);
    env.write_credentials(KEYS);
    env
}

/// Exactly one line on stderr, starting `awsdo: `, and nothing on stdout.
#[track_caller]
fn refused(out: &std::process::Output) -> String {
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "expected one line:\n{err}");
    assert!(err.starts_with("awsdo: "), "{err}");
    assert!(stdout(out).is_empty(), "{}", stdout(out));
    assert_ne!(Some(101), out.status.code(), "a panic: {err}");
    err
}

fn cached_entries(env: &TestEnv) -> Vec<String> {
    std::fs::read_dir(env.cache_dir())
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".json"))
                .collect()
        })
        .unwrap_or_default()
}

// Issue 10.3: a `Date` header of year 9999 was recorded as clock skew, cached, and every later
// run of the profile panicked (exit 101) until `awsdo logout`.
#[test]
fn an_sts_date_of_year_9999_is_ignored_and_does_not_poison_the_cache_issue_10() {
    let fake = FakeSts::start(|call| {
        sts::default_answer(call).with_header("Date", "Fri, 31 Dec 9999 23:59:59 GMT")
    });
    let mut env = env_for(&fake.url(), ROLE);
    let first = run_ok(env.cmd().args(["-p", "role", "--format", "env"]));
    assert!(stdout(&first).contains("AWS_SESSION_TOKEN=fake-token-role-"));
    let entry: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(env.cache_dir().join(awsdo::cache::file_name(
            awsdo::cache::Kind::Profile,
            "role",
            "json",
        )))
        .unwrap(),
    )
    .unwrap();
    eqnice!(0, entry["clock_skew"].as_i64().unwrap_or(0), "{entry}");
    // The next runs (a command, the prompt hook) are served from that entry, without a panic.
    let second = run_ok(env.cmd().args(["-p", "role", "--format", "env"]));
    eqnice!(stdout(&first), stdout(&second));
    env.set_var("AWS_PROFILE", "role");
    let hook = run_ok(env.cmd().args(["export", "bash"]));
    assert!(
        stdout(&hook).contains("AWS_SESSION_TOKEN"),
        "{}",
        stdout(&hook)
    );
    eqnice!(1, fake.count("AssumeRole"));
}

#[test]
fn a_date_header_from_the_distant_past_is_ignored_too() {
    let fake = FakeSts::start(|call| {
        sts::default_answer(call).with_header("Date", "Mon, 01 Jan 0001 00:00:00 GMT")
    });
    let env = env_for(&fake.url(), ROLE);
    let first = run_ok(env.cmd().args(["-p", "role", "--format", "env"]));
    let second = run_ok(env.cmd().args(["-p", "role", "--format", "env"]));
    eqnice!(stdout(&first), stdout(&second));
    eqnice!(1, fake.count("AssumeRole"), "the entry is reused");
}

/// STS answers every call with these credentials.
fn sts_answering(creds: Creds) -> FakeSts {
    FakeSts::start(move |call| match call.action.as_str() {
        "AssumeRole" => sts::assume_role_response(&creds, "arn:aws:iam::123456789012:role/x", "s"),
        "GetSessionToken" => sts::get_session_token_response(&creds),
        "AssumeRoleWithWebIdentity" => sts::assume_role_with_web_identity_response(
            &creds,
            "arn:aws:iam::123456789012:role/x",
            "s",
        ),
        _ => sts::default_answer(call),
    })
}

fn emptied(field: &str) -> Creds {
    let mut c = Creds::fake_hour("empty");
    match field {
        "AccessKeyId" => c.access_key_id.clear(),
        "SecretAccessKey" => c.secret_access_key.clear(),
        _ => c.session_token.clear(),
    }
    c
}

// Issue 10.10: STS answers with empty keys were handed out as credentials.
#[test]
fn sts_answers_with_an_empty_key_are_refused_issue_10() {
    let web = "[profile web]\nrole_arn = arn:aws:iam::123456789012:role/web\n\
               web_identity_token_file = TOKEN\n";
    let session = "[profile plain]\naws_access_key_id = AKIAFAKEPLAIN0000001\n\
                   aws_secret_access_key = fake-secret-plain\n";
    for field in ["AccessKeyId", "SecretAccessKey", "SessionToken"] {
        let fake = sts_answering(emptied(field));
        let env = env_for(&fake.url(), &format!("{ROLE}{session}"));
        let token = env.write_file("token", "fake-web-identity-token");
        env.write_config(&format!(
            "{ROLE}{session}{}",
            web.replace("TOKEN", token.to_str().unwrap())
        ));
        for (profile, call) in [
            ("role", "assume role arn:aws:iam::123456789012:role/admin"),
            ("plain", "call sts:GetSessionToken"),
            (
                "web",
                "assume role arn:aws:iam::123456789012:role/web with a web identity",
            ),
        ] {
            let out = run_fail(env.cmd().args(["-p", profile, "--format", "env"]));
            let err = refused(&out);
            let want = format!(
                "could not {call} for profile {profile:?}: the answer has an empty {field}"
            );
            assert!(err.contains(&want), "{err}\nwanted: {want}");
        }
        assert!(
            cached_entries(&env).is_empty(),
            "nothing cached: {:?}",
            cached_entries(&env)
        );
    }
}

#[test]
fn sso_and_container_answers_with_an_empty_key_are_refused() {
    let mut creds = Creds::fake_hour("sso");
    creds.secret_access_key.clear();
    let body = role_credentials_json(&creds, SystemTime::now() + Duration::from_secs(3600));
    let portal = HttpServer::start(move |_| Response::json(200, &body));
    let mut env = TestEnv::new();
    env.write_config(
        "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\n\
         region = eu-west-1\n[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\n\
         sso_region = eu-west-1\n\
         [profile ecs]\nrole_arn = arn:aws:iam::123456789012:role/ecs\ncredential_source = EcsContainer\n",
    );
    env.set_var("AWS_ENDPOINT_URL_SSO", &portal.url());
    env.write_sso_token(
        "corp",
        "https://corp.awsapps.com/start",
        "eu-west-1",
        "fake-sso-access-token",
        Duration::from_secs(3600),
    );
    let err = refused(&run_fail(env.cmd().args(["-p", "sso", "--format", "env"])));
    assert!(
        err.contains(
            "could not get SSO role credentials for 111122223333/ReadOnly for profile \"sso\": the answer has an empty SecretAccessKey"
        ),
        "{err}"
    );

    // The container endpoint (AWS_CONTAINER_CREDENTIALS_FULL_URI on loopback).
    let container = HttpServer::start(|_| {
        Response::json(
            200,
            &format!(
                "{{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"fake-secret\",\"Token\":\"fake-token\",\"Expiration\":\"{}\"}}",
                util::iso8601(SystemTime::now() + Duration::from_secs(3600))
            ),
        )
    });
    let fake = FakeSts::start_default();
    env.set_endpoint(&fake.url());
    env.set_var("AWS_REGION", "us-east-1");
    env.set_var(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        &format!("{}/creds", container.url()),
    );
    let err = refused(&run_fail(env.cmd().args(["-p", "ecs", "--format", "env"])));
    assert!(
        err.contains("for profile \"ecs\"") && err.contains("AccessKeyId"),
        "{err}"
    );
    eqnice!(
        0,
        fake.count("AssumeRole"),
        "empty keys are not used to sign"
    );
}

#[test]
fn an_sts_expiration_years_away_is_refused() {
    let mut creds = Creds::fake_hour("far");
    creds.expiration = "9999-12-31T23:59:59Z".to_owned();
    let fake = sts_answering(creds);
    let env = env_for(&fake.url(), ROLE);
    let err = refused(&run_fail(env.cmd().args(["-p", "role", "--format", "env"])));
    assert!(
        err.contains("for profile \"role\": the answer's Expiration (9999-12-31T23:59:59Z) is more than 7 days away"),
        "{err}"
    );
    assert!(
        cached_entries(&env).is_empty(),
        "{:?}",
        cached_entries(&env)
    );
}

/// 8 MiB of XML whitespace inside an otherwise good AssumeRole answer: twice awsdo's cap.
fn huge_answer(call: &sts::StsCall) -> Response {
    let good = sts::default_answer(call);
    let body = good.body_str();
    let at = body.find("<Credentials>").unwrap();
    let padding = " ".repeat(8 * 1024 * 1024);
    good.with_body(format!("{}{padding}{}", &body[..at], &body[at..]))
}

// Issue 10.5: a 1 GB STS body cost 1 GB of memory; bodies are capped while they are read.
#[test]
fn an_sts_body_over_the_cap_is_refused_with_one_line_issue_10() {
    let fake = FakeSts::start(huge_answer);
    let env = env_for(&fake.url(), ROLE);
    let err = refused(&run_fail(env.cmd().args(["-p", "role", "--format", "env"])));
    assert!(
        err.contains("assume role arn:aws:iam::123456789012:role/admin")
            && err.contains("larger than 4 MiB"),
        "{err}"
    );
}

#[test]
fn a_console_federation_body_over_the_cap_is_refused_with_one_line() {
    let fake = FakeSts::start_default();
    let mut env = env_for(&fake.url(), ROLE);
    let fed = HttpServer::start(|_| {
        let padding = " ".repeat(8 * 1024 * 1024);
        Response::json(
            200,
            &format!("{{\"SigninToken\":\"fake-signin\"{padding}}}"),
        )
    });
    env.set_var("AWSDO_FEDERATION_ENDPOINT", &fed.url());
    let err = refused(&run_fail(env.cmd().args(["console", "-p", "role"])));
    assert!(
        err.contains("console sign-in token") && err.contains("larger than 4 MiB"),
        "{err}"
    );
}

// An expiry past year 9999 from the container endpoint: refused (by the SDK's parser, or by
// awsdo's conversion, which no longer panics either way) in one line naming the profile.
#[test]
fn a_container_expiry_past_year_9999_is_one_line_naming_the_profile() {
    let container = HttpServer::start(|_| {
        Response::json(
            200,
            "{\"AccessKeyId\":\"ASIAFAKECONTAINER\",\"SecretAccessKey\":\"fake-secret\",\
             \"Token\":\"fake-token\",\"Expiration\":\"9999-12-31T23:59:59-00:01\"}",
        )
    });
    let fake = FakeSts::start_default();
    let mut env = env_for(
        &fake.url(),
        "[profile ecs]\nrole_arn = arn:aws:iam::123456789012:role/ecs\ncredential_source = EcsContainer\n",
    );
    env.set_var(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        &format!("{}/creds", container.url()),
    );
    let out = run_fail(env.cmd().args(["-p", "ecs", "--format", "env"]));
    let err = refused(&out);
    assert!(err.contains("for profile \"ecs\""), "{err}");
    eqnice!(0, fake.count("AssumeRole"));
}
