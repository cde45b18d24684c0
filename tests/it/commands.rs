//! The commands and flags of DESIGN §2 on the built binary, against `FakeSts` (which records
//! every call and its parameters): `explain --json` for every profile shape (and that it makes
//! no call and asks nothing), `status`, `login`, `--format env|json` (the variables of §5), the
//! environment the child of `awsdo --` gets, `--help`/`--version`, `-d` forms and `-r`/`-s`.

use crate::util;

use std::collections::BTreeMap;

use crate::util::sts::{self, Creds, FakeSts};
use crate::util::{TestEnv, eqnice, run_ok, stderr, stdout};
use serde_json::Value;

const BASE_KEY: &str = "AKIAFAKECMDBASE01";
const SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";

const CONFIG: &str = "\
[profile base]
region = us-east-1
[profile user]
mfa_serial = arn:aws:iam::123456789012:mfa/alice
[profile dev]
role_arn = arn:aws:iam::123456789012:role/dev
source_profile = base
region = us-east-1
[profile noregion]
role_arn = arn:aws:iam::123456789012:role/noregion
source_profile = user
[profile prod]
role_arn = arn:aws:iam::123456789012:role/prod
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
external_id = ext-1
[profile long]
role_arn = arn:aws:iam::123456789012:role/long
source_profile = base
mfa_serial = arn:aws:iam::123456789012:mfa/alice
duration_seconds = 7200
[profile top]
role_arn = arn:aws:iam::123456789012:role/top
source_profile = dev
region = eu-west-1
[profile envrole]
role_arn = arn:aws:iam::123456789012:role/env
credential_source = Environment
[profile proc]
credential_process = echo not-run-by-explain
[profile web]
role_arn = arn:aws:iam::123456789012:role/web
web_identity_token_file = /nonexistent/token
[profile sso]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Admin
[sso-session corp]
sso_start_url = https://example.awsapps.com/start
sso_region = us-east-1
";

const ALL_PROFILES: &str = "base\ndev\nenvrole\nlong\nnoregion\nproc\nprod\nsso\ntop\nuser\nweb\n";

fn env_at(endpoint: &str) -> TestEnv {
    let env = TestEnv::with_endpoint(endpoint);
    env.write_config(CONFIG);
    env.write_credentials(&format!(
        "[base]\naws_access_key_id = {BASE_KEY}\naws_secret_access_key = fake-secret-cmd-base\n\
         [user]\naws_access_key_id = AKIAFAKECMDUSER01\naws_secret_access_key = fake-secret-cmd-user\n"
    ));
    env
}

// --- explain ---

fn explain_json(env: &TestEnv, args: &[&str]) -> Value {
    let out = run_ok(env.cmd().arg("explain").args(args).arg("--json"));
    let text = stdout(&out);
    let v: Value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("explain --json printed no single JSON value ({e}):\n{text}"));
    let keys: Vec<&str> = v
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {v}"))
        .keys()
        .map(String::as_str)
        .collect();
    // DESIGN §2's fields, plus awsdo's own: where the region came from, the plan's name, the
    // flags that changed it and the selected profile's ca_bundle.
    let documented = ["cache", "profile", "region", "steps"];
    let extra = ["ca_bundle", "flags", "name", "region_from"];
    for k in documented {
        assert!(keys.contains(&k), "{k} missing: {v}");
    }
    for k in &keys {
        assert!(
            documented.contains(k) || extra.contains(k),
            "unexpected field {k}: {v}"
        );
    }
    assert!(v["cache"].is_object(), "{v}");
    v
}

/// The steps projected onto the fields DESIGN §2 names, one line per step, in order:
/// `kind profile=… role_arn=… …` (absent fields left out).
fn steps(v: &Value) -> String {
    const FIELDS: &[&str] = &[
        "profile",
        "role_arn",
        "mfa_serial",
        "mfa_serial_from",
        "external_id",
        "duration_seconds",
        "source",
    ];
    let mut s = String::new();
    for step in v["steps"].as_array().expect("steps array") {
        s.push_str(step["kind"].as_str().expect("kind"));
        for f in FIELDS {
            match &step[*f] {
                Value::Null => {}
                Value::String(x) => s.push_str(&format!(" {f}={x}")),
                other => s.push_str(&format!(" {f}={other}")),
            }
        }
        s.push('\n');
    }
    s
}

#[test]
fn explain_json_long_lived_keys_get_a_session_token() {
    let env = env_at("http://127.0.0.1:9");
    let v = explain_json(&env, &["user"]);
    eqnice!("user", v["profile"].as_str().unwrap());
    assert!(v["region"].is_null(), "{v}");
    eqnice!(
        format!(
            "static profile=user\n\
             session-token profile=user mfa_serial={SERIAL} mfa_serial_from=config duration_seconds=43200\n"
        ),
        steps(&v)
    );
    eqnice!("missing", v["cache"]["state"].as_str().unwrap_or("-"));
}

#[test]
fn explain_json_role_with_mfa_uses_a_shared_session() {
    let env = env_at("http://127.0.0.1:9");
    let v = explain_json(&env, &["prod"]);
    eqnice!(
        format!(
            "static profile=base\n\
             session-token profile=base mfa_serial={SERIAL} mfa_serial_from=config duration_seconds=43200\n\
             assume-role profile=prod role_arn=arn:aws:iam::123456789012:role/prod external_id=ext-1\n"
        ),
        steps(&v)
    );
    assert_eq!(v["steps"][1]["shared"], Value::Bool(true), "{v}");
}

#[test]
fn explain_json_long_role_session_takes_mfa_directly() {
    let env = env_at("http://127.0.0.1:9");
    let v = explain_json(&env, &["long"]);
    eqnice!(
        format!(
            "static profile=base\n\
             assume-role profile=long role_arn=arn:aws:iam::123456789012:role/long mfa_serial={SERIAL} mfa_serial_from=config duration_seconds=7200\n"
        ),
        steps(&v)
    );
}

#[test]
fn explain_json_chain_of_two_roles_runs_source_first() {
    let env = env_at("http://127.0.0.1:9");
    let v = explain_json(&env, &["top"]);
    eqnice!("eu-west-1", v["region"].as_str().unwrap_or("-"));
    eqnice!(
        "static profile=base\n\
         assume-role profile=dev role_arn=arn:aws:iam::123456789012:role/dev\n\
         assume-role profile=top role_arn=arn:aws:iam::123456789012:role/top\n",
        steps(&v)
    );
}

#[test]
fn explain_json_other_sources() {
    let env = env_at("http://127.0.0.1:9");
    let cases = [
        (
            "envrole",
            "credential-source profile=envrole source=Environment\n\
             assume-role profile=envrole role_arn=arn:aws:iam::123456789012:role/env\n",
        ),
        ("proc", "credential-process profile=proc\n"),
        (
            "web",
            "web-identity profile=web role_arn=arn:aws:iam::123456789012:role/web\n",
        ),
        ("sso", "sso profile=sso\n"),
    ];
    for (profile, want) in cases {
        let v = explain_json(&env, &[profile]);
        eqnice!(want, steps(&v), "explain {profile}");
    }
    let v = explain_json(&env, &["sso"]);
    eqnice!("corp", v["steps"][0]["sso_session"].as_str().unwrap_or("-"));
    eqnice!(
        "echo not-run-by-explain",
        explain_json(&env, &["proc"])["steps"][0]["command"]
            .as_str()
            .unwrap_or("-")
    );
}

#[test]
fn explain_json_serial_number_flag_is_from_flag() {
    let env = env_at("http://127.0.0.1:9");
    let flag = "arn:aws:iam::123456789012:mfa/from-flag";
    let v = explain_json(&env, &["user", "-n", flag]);
    eqnice!(
        format!(
            "static profile=user\n\
             session-token profile=user mfa_serial={flag} mfa_serial_from=flag duration_seconds=43200\n"
        ),
        steps(&v)
    );
    let v = explain_json(&env, &["prod", "-n", flag]);
    eqnice!(
        "flag",
        v["steps"][1]["mfa_serial_from"].as_str().unwrap_or("-")
    );
    eqnice!(flag, v["steps"][1]["mfa_serial"].as_str().unwrap_or("-"));
}

#[test]
fn explain_json_long_lived_keys_without_device_are_to_be_discovered() {
    let env = env_at("http://127.0.0.1:9");
    let v = explain_json(&env, &["base"]);
    eqnice!(
        "static profile=base\n\
         session-token profile=base mfa_serial_from=discovered duration_seconds=43200\n",
        steps(&v)
    );
}

#[test]
fn explain_makes_no_call_and_asks_nothing() {
    let fake = FakeSts::start_default();
    let env = env_at(&fake.url());
    // MFA to ask for, a device to discover, a process to run, a token file to read: explain
    // must do none of it. setsid: no controlling terminal; stdin is null (run_ok).
    for profile in [
        "prod", "long", "base", "user", "top", "envrole", "proc", "web", "sso",
    ] {
        for json in [true, false] {
            let mut cmd = env.command("setsid");
            cmd.args(["-w", util::awsdo_bin(), "explain", profile]);
            if json {
                cmd.arg("--json");
            }
            let out = run_ok(&mut cmd);
            eqnice!("", stderr(&out), "stderr of explain {profile}");
            assert!(stdout(&out).contains(profile), "{}", stdout(&out));
        }
    }
    eqnice!("", fake.actions().join(","), "explain called STS");
}

// --- status, login ---

#[test]
fn status_lists_every_profile_with_kind_and_cached_life() {
    let fake = FakeSts::start_default();
    let env = env_at(&fake.url());
    run_ok(env.cmd().args(["-p", "dev", "--", "true"]));
    let out = run_ok(env.cmd().arg("status"));
    let text = stdout(&out);
    let rows: BTreeMap<String, String> = text
        .lines()
        .skip(1)
        .map(|l| {
            let l = l.trim_start_matches(['*', ' ']);
            let (name, rest) = l.split_once(' ').unwrap_or((l, ""));
            (name.to_string(), rest.trim().to_string())
        })
        .collect();
    let names: Vec<&str> = rows.keys().map(String::as_str).collect();
    eqnice!(ALL_PROFILES, format!("{}\n", names.join("\n")), "{text}");
    let kind = |p: &str| rows[p].split("  ").next().unwrap_or("").to_string();
    eqnice!("static > assume-role", kind("dev"), "{text}");
    eqnice!("static > session-token > assume-role", kind("prod"));
    eqnice!("credential-source > assume-role", kind("envrole"));
    eqnice!("sso", kind("sso"));
    assert!(rows["dev"].ends_with("59m left"), "{text}");
    assert!(rows["prod"].ends_with(" -"), "{text}");
}

#[test]
fn status_names_prints_one_name_per_line() {
    let env = env_at("http://127.0.0.1:9");
    let out = run_ok(env.cmd().args(["status", "--names"]));
    eqnice!(ALL_PROFILES, stdout(&out));
}

#[test]
fn login_fetches_even_when_fresh_and_says_so() {
    let fake = FakeSts::start_default();
    let env = env_at(&fake.url());
    run_ok(env.cmd().args(["-p", "dev", "--", "true"]));
    eqnice!(1, fake.count("AssumeRole"));
    let out = run_ok(env.cmd().args(["login", "dev"]));
    eqnice!(2, fake.count("AssumeRole"), "login must fetch anew");
    eqnice!("", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("awsdo: logged in to profile \"dev\"") && err.lines().count() == 1,
        "{err}"
    );
    run_ok(env.cmd().args(["-p", "dev", "--", "true"]));
    eqnice!(2, fake.count("AssumeRole"), "the login's session is reused");
}

// --- what reaches the environment ---

/// A fake STS that always hands out `creds`.
fn fixed_sts(creds: &Creds) -> FakeSts {
    let creds = creds.clone();
    FakeSts::start(move |call| match call.action.as_str() {
        "AssumeRole" => sts::assume_role_response(
            &creds,
            call.param("RoleArn").unwrap_or("-"),
            call.param("RoleSessionName").unwrap_or("-"),
        ),
        "GetSessionToken" => sts::get_session_token_response(&creds),
        _ => sts::default_answer(call),
    })
}

fn expected_vars(c: &Creds, region: Option<&str>) -> String {
    let mut v = vec![
        format!("AWS_ACCESS_KEY_ID={}", c.access_key_id),
        format!("AWS_CREDENTIAL_EXPIRATION={}", c.expiration),
        format!("AWS_SECRET_ACCESS_KEY={}", c.secret_access_key),
        format!("AWS_SESSION_TOKEN={}", c.session_token),
    ];
    if let Some(r) = region {
        v.push(format!("AWS_DEFAULT_REGION={r}"));
        v.push(format!("AWS_REGION={r}"));
    }
    v.sort();
    v.join("\n") + "\n"
}

fn sorted_lines(text: &str) -> String {
    let mut v: Vec<&str> = text.lines().collect();
    v.sort();
    v.join("\n") + "\n"
}

#[test]
fn format_env_and_json_print_exactly_the_variables() {
    let creds = Creds::fake_hour("fmt");
    // RFC 3339 in UTC, whole seconds (what the fake hands out and awsdo must pass on).
    assert!(creds.expiration.ends_with('Z') && creds.expiration.len() == 20);
    let fake = fixed_sts(&creds);
    let env = env_at(&fake.url());
    for (profile, region) in [("dev", Some("us-east-1")), ("noregion", None)] {
        let out = run_ok(env.cmd().args(["-p", profile, "--format", "env"]));
        eqnice!(
            expected_vars(&creds, region),
            sorted_lines(&stdout(&out)),
            "--format env for {profile}"
        );
        eqnice!("", stderr(&out));

        let out = run_ok(env.cmd().args(["-p", profile, "--format", "json"]));
        let text = stdout(&out);
        let v: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("--format json: {e}\n{text}"));
        let lines: String = v
            .as_object()
            .unwrap_or_else(|| panic!("not an object: {text}"))
            .iter()
            .map(|(k, v)| format!("{k}={}\n", v.as_str().expect("string values")))
            .collect();
        eqnice!(
            expected_vars(&creds, region),
            sorted_lines(&lines),
            "--format json for {profile}"
        );
    }
}

#[test]
fn child_gets_fresh_credentials_and_no_inherited_ones() {
    let creds = Creds::fake_hour("child");
    let fake = fixed_sts(&creds);
    let mut env = env_at(&fake.url());
    for (k, v) in [
        ("AWS_ACCESS_KEY_ID", "AKIAFAKEINHERITED"),
        ("AWS_SECRET_ACCESS_KEY", "fake-secret-inherited"),
        ("AWS_SESSION_TOKEN", "fake-token-inherited"),
        ("AWS_SECURITY_TOKEN", "fake-token-inherited-legacy"),
        ("AWS_CREDENTIAL_EXPIRATION", "2000-01-01T00:00:00Z"),
        ("AWS_PROFILE", "inherited-profile"),
        ("AWS_DEFAULT_PROFILE", "inherited-default"),
        ("AWS_REGION", "ap-south-1"),
    ] {
        env.set_var(k, v);
    }
    let out = run_ok(env.cmd().args(["-p", "dev", "--", "env"]));
    let got: String = stdout(&out)
        .lines()
        .filter(|l| l.starts_with("AWS_") && !l.starts_with("AWS_ENDPOINT_URL="))
        .filter(|l| !l.starts_with("AWS_CONFIG_FILE=") && !l.starts_with("AWS_SHARED_"))
        .filter(|l| !l.starts_with("AWS_EC2_METADATA_DISABLED="))
        .map(|l| format!("{l}\n"))
        .collect();
    eqnice!(
        expected_vars(&creds, Some("us-east-1")),
        sorted_lines(&got),
        "the child's AWS_ variables"
    );
}

// --- help, version, flags ---

#[test]
fn help_shows_an_example_and_the_exit_status() {
    let env = TestEnv::new();
    let out = run_ok(env.cmd().arg("--help"));
    let text = stdout(&out);
    assert!(text.contains("awsdo -p prod -- terraform plan"), "{text}");
    assert!(
        text.contains("Exit status:") && text.contains("127"),
        "{text}"
    );
    let out = run_ok(env.cmd().arg("--version"));
    eqnice!(
        format!("awsdo {}\n", env!("CARGO_PKG_VERSION")),
        stdout(&out)
    );
}

#[test]
fn duration_forms_reach_sts_as_seconds() {
    let mut seen = Vec::new();
    let fake = FakeSts::start_default();
    for form in ["90m", "1h30m", "5400", "5400s"] {
        // A fresh cache each time: the same duration would be served from the cache.
        let env = env_at(&fake.url());
        fake.reset_calls();
        run_ok(env.cmd().args(["-p", "dev", "-d", form, "--", "true"]));
        let calls = fake.calls();
        eqnice!("AssumeRole", fake.actions().join(","), "-d {form}");
        seen.push(format!(
            "{form}={}",
            calls[0].param("DurationSeconds").unwrap_or("none")
        ));
    }
    eqnice!("90m=5400,1h30m=5400,5400=5400,5400s=5400", seen.join(","));
}

#[test]
fn role_arn_and_source_profile_flags_assume_that_role_from_that_source() {
    let fake = FakeSts::start_default();
    let env = env_at(&fake.url());
    let role = "arn:aws:iam::123456789012:role/from-flag";
    let out = run_ok(env.cmd().args(["-r", role, "-s", "base", "--", "env"]));
    eqnice!("AssumeRole", fake.actions().join(","));
    let call = &fake.calls()[0];
    eqnice!(role, call.param("RoleArn").unwrap_or("-"));
    eqnice!(BASE_KEY, call.signing_key_id().unwrap_or_default());
    assert!(
        stdout(&out).contains("AWS_ACCESS_KEY_ID=ASIAFAKEROLE"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn serial_number_flag_reaches_sts_for_a_role_profile() {
    let fake = FakeSts::start_default();
    let env = env_at(&fake.url());
    let flag = "arn:aws:iam::123456789012:mfa/from-flag";
    // dev names no device: -n makes it go through an MFA session for the flag's device.
    run_ok(
        env.cmd()
            .args(["-p", "dev", "-n", flag, "-c", "123456", "--", "true"]),
    );
    eqnice!("GetSessionToken,AssumeRole", fake.actions().join(","));
    let calls = fake.calls();
    eqnice!(flag, calls[0].param("SerialNumber").unwrap_or("-"));
    eqnice!("123456", calls[0].param("TokenCode").unwrap_or("-"));
    let session_key = calls[1].signing_key_id().unwrap_or_default();
    assert!(session_key.starts_with("ASIAFAKESESSION"), "{session_key}");

    // prod names another device in its config: -n wins, so the MFA session just made for
    // the flag's device serves it (no new code, no GetSessionToken).
    fake.reset_calls();
    run_ok(env.cmd().args(["-p", "prod", "-n", flag, "--", "true"]));
    eqnice!("AssumeRole", fake.actions().join(","));
    eqnice!(
        session_key,
        fake.calls()[0].signing_key_id().unwrap_or_default()
    );
}

/// Every command reads the shared files once per run: `explain` and `login` used to parse the
/// config a second time after planning (for the SSO session), twice the work with 1,000
/// profiles (BENCHMARKS row 9) and a plan and a session from two different reads of a file
/// that may change in between. Counted by the kernel (`strace`).
#[test]
fn explain_and_login_read_the_config_once() {
    if !util::require("strace") {
        return;
    }
    let fake = FakeSts::start_default();
    let mut env = TestEnv::with_endpoint(&fake.url());
    env.set_var("AWS_REGION", "us-east-1");
    env.write_config(
        "[profile role]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/admin\n\
         [profile sso]\nsso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Dev\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = us-east-1\n",
    );
    env.write_credentials(
        "[base]\naws_access_key_id = AKIAFAKECMDBASE01\naws_secret_access_key = fake-secret\n",
    );
    let config = env.config_path();
    let strace = util::find_tool("strace").unwrap();
    for args in [
        &["explain", "sso"][..],
        &["explain", "role", "--json"],
        &["login", "role"],
    ] {
        let trace = env.root().join("trace");
        run_ok(
            env.command(&strace)
                .args(["-f", "-qq", "-e", "trace=openat", "-o"])
                .arg(&trace)
                .arg(util::awsdo_bin())
                .args(args),
        );
        let trace = std::fs::read_to_string(&trace).unwrap();
        let opens = trace
            .lines()
            .filter(|l| l.contains(&format!("\"{}\"", config.display())))
            .count();
        assert_eq!(
            1,
            opens,
            "{args:?} opened {} {opens} times:\n{trace}",
            config.display()
        );
    }
}
