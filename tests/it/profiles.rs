//! Every profile shape resolved end to end: the built binary against moto's STS and IAM (and a
//! fake SSO portal), with the real AWS CLI as the command that uses the credentials. Covers the
//! profile kinds of DESIGN §3, MFA (flag, terminal, discovery) and the shared MFA session.

use crate::util;

use std::collections::BTreeMap;
use std::time::Duration;

use crate::util::moto::Moto;
use crate::util::sso::FakeSso;
use crate::util::tmux::Tmux;
use crate::util::{TestEnv, eqnice, run_ok, sh_quote, stderr, stdout};

const FAKE_KEYS: &str =
    "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n";
const T: Duration = Duration::from_secs(20);

/// moto behind the counting proxy and a TestEnv aimed at it; `None` when skipping.
fn setup(config: &str) -> Option<(Moto, TestEnv)> {
    if !util::require("aws") {
        return None;
    }
    let moto = Moto::start()?;
    let mut env = TestEnv::with_endpoint(&moto.url());
    // The AWS CLI refuses to run without a region; awsdo only exports one the profile names.
    env.set_var("AWS_REGION", "us-east-1");
    env.set_var("AWS_DEFAULT_REGION", "us-east-1");
    env.write_config(config);
    env.write_credentials(FAKE_KEYS);
    Some((moto, env))
}

/// The ARN the AWS CLI sees when run through `awsdo ARGS -- aws sts get-caller-identity`.
fn caller_arn(env: &TestEnv, args: &[&str]) -> String {
    let out = run_ok(env.cmd().args(args).arg("--").args(util::CALLER_ARN));
    stdout(&out).trim().to_owned()
}

/// The parameters of every call of `action` that reached moto, in order.
fn params(moto: &Moto, action: &str) -> Vec<BTreeMap<String, String>> {
    moto.requests()
        .iter()
        .map(|r| util::sts::decode(&r.body_str()))
        .filter(|p| p.get("Action").map(String::as_str) == Some(action))
        .map(|p| p.into_iter().collect())
        .collect()
}

#[test]
fn role_with_source_profile_is_assumed() {
    let Some((moto, env)) = setup(
        "[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\nregion = us-east-1\n",
    ) else {
        return;
    };
    let arn = caller_arn(&env, &["-p", "prod"]);
    assert!(arn.contains(":assumed-role/admin/awsdo-"), "{arn}");
    eqnice!(1, moto.count("AssumeRole"));
    let sent = &params(&moto, "AssumeRole")[0];
    eqnice!("arn:aws:iam::123456789012:role/admin", sent["RoleArn"]);
}

#[test]
fn chain_of_two_roles_is_assumed_in_order() {
    let Some((moto, env)) = setup(
        "[profile first]\nrole_arn = arn:aws:iam::123456789012:role/first\nsource_profile = base\n\
         [profile second]\nrole_arn = arn:aws:iam::123456789012:role/second\nsource_profile = first\nregion = us-east-1\n",
    ) else {
        return;
    };
    let arn = caller_arn(&env, &["-p", "second"]);
    assert!(arn.contains(":assumed-role/second/"), "{arn}");
    let roles: Vec<String> = params(&moto, "AssumeRole")
        .into_iter()
        .map(|p| p["RoleArn"].clone())
        .collect();
    eqnice!(
        "arn:aws:iam::123456789012:role/first arn:aws:iam::123456789012:role/second",
        roles.join(" ")
    );
}

#[test]
fn external_id_session_name_and_duration_reach_sts() {
    let Some((moto, env)) = setup(
        "[profile prod]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n\
         external_id = fake-external-id\nrole_session_name = alice-session\nduration_seconds = 1800\n",
    ) else {
        return;
    };
    let arn = caller_arn(&env, &["-p", "prod"]);
    assert!(arn.ends_with(":assumed-role/admin/alice-session"), "{arn}");
    let sent = &params(&moto, "AssumeRole")[0];
    eqnice!("fake-external-id", sent["ExternalId"]);
    eqnice!("alice-session", sent["RoleSessionName"]);
    eqnice!("1800", sent["DurationSeconds"]);
}

#[test]
fn credential_source_environment_assumes_with_the_environment_keys() {
    let Some((moto, mut env)) = setup(
        "[profile ci]\nrole_arn = arn:aws:iam::123456789012:role/deployer\ncredential_source = Environment\n",
    ) else {
        return;
    };
    env.set_var("AWS_ACCESS_KEY_ID", "AKIAFAKEENVIRONMENT1");
    env.set_var("AWS_SECRET_ACCESS_KEY", "fake-secret-environment");
    let arn = caller_arn(&env, &["-p", "ci"]);
    assert!(arn.contains(":assumed-role/deployer/"), "{arn}");
    // The AssumeRole was signed with the environment's key.
    let signed = moto
        .requests()
        .iter()
        .filter(|r| r.body_str().contains("Action=AssumeRole"))
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect::<Vec<_>>();
    assert!(
        signed[0].contains("Credential=AKIAFAKEENVIRONMENT1/"),
        "{signed:?}"
    );
}

#[test]
fn credential_process_keys_are_used_and_can_assume_a_role() {
    let Some((moto, env)) = setup("") else { return };
    let script = env.write_script(
        "bin/creds",
        "#!/bin/sh\ncat <<'J'\n{\"Version\": 1, \"AccessKeyId\": \"AKIAFAKEPROCESS00001\", \"SecretAccessKey\": \"fake-secret-process\"}\nJ\n",
    );
    env.write_config(&format!(
        "[profile proc]\ncredential_process = {}\n\
         [profile procrole]\nrole_arn = arn:aws:iam::123456789012:role/fromproc\nsource_profile = proc\n",
        script.display()
    ));
    let arn = caller_arn(&env, &["-p", "procrole"]);
    assert!(arn.contains(":assumed-role/fromproc/"), "{arn}");
    let signed: Vec<String> = moto
        .requests()
        .iter()
        .filter(|r| r.body_str().contains("Action=AssumeRole"))
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert!(
        signed[0].contains("Credential=AKIAFAKEPROCESS00001/"),
        "{signed:?}"
    );
}

#[test]
fn web_identity_token_file_assumes_with_the_token() {
    let Some((moto, env)) = setup("") else { return };
    let token = env.write_file("token.jwt", "fake-web-identity-token\n");
    env.write_config(&format!(
        "[profile web]\nrole_arn = arn:aws:iam::123456789012:role/webrole\nweb_identity_token_file = {}\nrole_session_name = websess\n",
        token.display()
    ));
    let arn = caller_arn(&env, &["-p", "web"]);
    assert!(arn.contains(":assumed-role/webrole/websess"), "{arn}");
    let sent = &params(&moto, "AssumeRoleWithWebIdentity")[0];
    eqnice!("fake-web-identity-token", sent["WebIdentityToken"]);
}

#[test]
fn sso_session_token_from_the_cache_is_exchanged_for_role_credentials() {
    let Some((_moto, mut env)) = setup(
        "[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = ReadOnly\nregion = eu-west-1\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n",
    ) else {
        return;
    };
    let sso = FakeSso::start("fake-sso-access-token");
    sso.allow("111122223333", "ReadOnly");
    env.set_var("AWS_ENDPOINT_URL_SSO", &sso.url());
    env.write_sso_token(
        "corp",
        "https://corp.awsapps.com/start",
        "eu-west-1",
        "fake-sso-access-token",
        Duration::from_secs(3600),
    );
    let out = run_ok(env.cmd().args([
        "-p",
        "sso",
        "--",
        "sh",
        "-c",
        "echo $AWS_ACCESS_KEY_ID $AWS_REGION",
    ]));
    let line = stdout(&out);
    assert!(
        line.starts_with("ASIA") && line.trim_end().ends_with(" eu-west-1"),
        "{line}"
    );
    eqnice!(1, sso.count());
    // An expired token says how to log in again.
    env.write_sso_token(
        "corp",
        "https://corp.awsapps.com/start",
        "eu-west-1",
        "t",
        Duration::ZERO,
    );
    let out = util::run_fail(
        env.cmd()
            .args(["-p", "sso", "--disable-cache", "--", "true"]),
    );
    assert!(
        stderr(&out).contains("run: aws sso login --sso-session corp"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn long_lived_keys_get_a_session_token_even_with_no_region_anywhere() {
    let Some((moto, _)) = setup("") else { return };
    let env = TestEnv::with_endpoint(&moto.url());
    env.write_credentials(FAKE_KEYS);
    let out = run_ok(env.cmd().args([
        "-p",
        "base",
        "--",
        "sh",
        "-c",
        "echo ${AWS_SESSION_TOKEN:+token} ${AWS_REGION:-noregion}",
    ]));
    eqnice!("token noregion\n", stdout(&out));
    eqnice!(1, moto.count("GetSessionToken"));
}

#[test]
fn mfa_serial_takes_the_code_from_the_flag() {
    let Some((moto, env)) =
        setup("[profile base]\nmfa_serial = arn:aws:iam::123456789012:mfa/base\n")
    else {
        return;
    };
    run_ok(env.cmd().args(["-p", "base", "-c", "123456", "--", "true"]));
    let sent = &params(&moto, "GetSessionToken")[0];
    eqnice!("arn:aws:iam::123456789012:mfa/base", sent["SerialNumber"]);
    eqnice!("123456", sent["TokenCode"]);
}

#[test]
fn mfa_code_is_asked_on_the_terminal() {
    if !util::require("tmux") {
        return;
    }
    let Some((moto, env)) =
        setup("[profile base]\nmfa_serial = arn:aws:iam::123456789012:mfa/base\n")
    else {
        return;
    };
    let line = format!(
        "{} -p base -- sh -c 'echo got-$AWS_SESSION_TOKEN' | cut -c1-7",
        sh_quote(util::awsdo_bin())
    );
    let Some(t) = Tmux::start(&line, &env.env_vars()) else {
        return;
    };
    assert!(
        t.wait_for("MFA code for arn:aws:iam::123456789012:mfa/base", T),
        "{}",
        t.screen()
    );
    t.send_keys("654321");
    assert!(t.wait_for("got-", T), "{}", t.screen());
    // Echo was off: the code never appeared on the screen.
    assert!(!t.screen().contains("654321"), "{}", t.screen());
    assert_eq!(Some(0), t.wait_exit(T), "{}", t.screen());
    eqnice!("654321", params(&moto, "GetSessionToken")[0]["TokenCode"]);
}

#[test]
fn mfa_device_is_discovered_when_the_config_names_none() {
    let Some((moto, env)) = setup("") else { return };
    let (key, secret) = moto.create_user("alice");
    let serial = moto.create_virtual_mfa("alice");
    env.write_credentials(&format!(
        "[alice]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
    ));
    run_ok(
        env.cmd()
            .args(["-p", "alice", "-c", "123456", "--", "true"]),
    );
    eqnice!(1, moto.count("GetCallerIdentity"));
    eqnice!(1, moto.count("ListMFADevices"));
    let sent = &params(&moto, "GetSessionToken")[0];
    eqnice!(serial, sent["SerialNumber"]);
    eqnice!("alice", params(&moto, "ListMFADevices")[0]["UserName"]);
    // explain reads the discovery from the cache: no network, says where the device came from.
    moto.reset_calls();
    let out = run_ok(env.cmd().args(["explain", "alice"]));
    assert!(
        stdout(&out).contains(&serial) && stdout(&out).contains("discovered"),
        "{}",
        stdout(&out)
    );
    // The entry the run above made is found: showing the device does not change the cache key.
    assert!(stdout(&out).contains("cache: fresh"), "{}", stdout(&out));
    let json: serde_json::Value =
        serde_json::from_slice(&run_ok(env.cmd().args(["explain", "alice", "--json"])).stdout)
            .unwrap();
    eqnice!(
        "cached-discovery",
        json["steps"][1]["mfa_serial_from"].as_str().unwrap()
    );
    eqnice!(serial, json["steps"][1]["mfa_serial"].as_str().unwrap());
    eqnice!(0, moto.calls().len());
}

#[test]
fn a_user_without_mfa_device_gets_a_plain_session() {
    let Some((moto, env)) = setup("") else { return };
    let (key, secret) = moto.create_user("bob");
    env.write_credentials(&format!(
        "[bob]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
    ));
    run_ok(
        env.cmd()
            .args(["-p", "bob", "--", "true"])
            .stdin(std::process::Stdio::null()),
    );
    let sent = &params(&moto, "GetSessionToken")[0];
    assert!(!sent.contains_key("SerialNumber"), "{sent:?}");
}

#[test]
fn two_roles_sharing_a_device_need_one_code() {
    let Some((moto, env)) = setup(
        "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/base\n\
         [profile prod]\nrole_arn = arn:aws:iam::123456789012:role/prod\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/base\n",
    ) else {
        return;
    };
    run_ok(env.cmd().args(["-p", "prod", "-c", "123456", "--", "true"]));
    // No code and no terminal: this only works if the cached MFA session is reused.
    let out = run_ok(
        env.command("setsid")
            .args([util::awsdo_bin(), "-p", "dev", "--"])
            .args(util::CALLER_ARN)
            .stdin(std::process::Stdio::null()),
    );
    assert!(
        stdout(&out).contains(":assumed-role/dev/"),
        "{}",
        stdout(&out)
    );
    eqnice!(1, moto.count("GetSessionToken"));
    eqnice!(2, moto.count("AssumeRole"));
    // The roles were assumed with the session, not with MFA again.
    for p in params(&moto, "AssumeRole") {
        assert!(!p.contains_key("TokenCode"), "{p:?}");
    }
}

#[test]
fn role_sessions_over_an_hour_are_assumed_directly_with_mfa() {
    let Some((moto, env)) = setup(
        "[profile long]\nrole_arn = arn:aws:iam::123456789012:role/long\nsource_profile = base\n\
         mfa_serial = arn:aws:iam::123456789012:mfa/base\nduration_seconds = 7200\n",
    ) else {
        return;
    };
    run_ok(env.cmd().args(["-p", "long", "-c", "123456", "--", "true"]));
    eqnice!(0, moto.count("GetSessionToken"));
    let sent = &params(&moto, "AssumeRole")[0];
    eqnice!("7200", sent["DurationSeconds"]);
    eqnice!("arn:aws:iam::123456789012:mfa/base", sent["SerialNumber"]);
    eqnice!("123456", sent["TokenCode"]);
}

#[test]
fn several_discovered_devices_are_offered_as_a_choice_once() {
    if !util::require("tmux") {
        return;
    }
    let Some((moto, env)) = setup("") else { return };
    let (key, secret) = moto.create_user("carol");
    let first = moto.create_virtual_mfa_named("carol", "carol-phone");
    let second = moto.create_virtual_mfa_named("carol", "carol-yubikey");
    env.write_credentials(&format!(
        "[carol]\naws_access_key_id = {key}\naws_secret_access_key = {secret}\n"
    ));
    let line = format!(
        "{} -p carol -- sh -c 'echo done-$AWS_REGION'",
        sh_quote(util::awsdo_bin())
    );
    let Some(t) = Tmux::start(&line, &env.env_vars()) else {
        return;
    };
    assert!(t.wait_for("Use which device? [1-2]", T), "{}", t.screen());
    assert!(
        t.screen().contains(&first) && t.screen().contains(&second),
        "{}",
        t.screen()
    );
    t.send_keys("2");
    assert!(
        t.wait_for(&format!("MFA code for {second}"), T),
        "{}",
        t.screen()
    );
    t.send_keys("123456");
    assert!(t.wait_for("done-us-east-1", T), "{}", t.screen());
    eqnice!(second, params(&moto, "GetSessionToken")[0]["SerialNumber"]);
    // The choice is remembered: explain shows it, and a new session uses it without asking.
    let out = run_ok(env.cmd().args(["explain", "carol"]));
    assert!(stdout(&out).contains(&second), "{}", stdout(&out));
    moto.reset_calls();
    // Without the cache nothing remembers the choice, and with no terminal nobody can choose:
    // one line naming the flag that picks a device.
    let out = util::run_fail(
        env.command("setsid")
            .args([
                util::awsdo_bin(),
                "-p",
                "carol",
                "--disable-cache",
                "-c",
                "123456",
                "--",
                "true",
            ])
            .stdin(std::process::Stdio::null()),
    );
    assert!(
        stderr(&out).contains("pass one with -n ARN"),
        "{}",
        stderr(&out)
    );
    moto.reset_calls();
    run_ok(env.cmd().args(["logout", "carol"]));
    run_ok(
        env.command("setsid")
            .args([
                util::awsdo_bin(),
                "-p",
                "carol",
                "-c",
                "123456",
                "--",
                "true",
            ])
            .stdin(std::process::Stdio::null()),
    );
    let serials: Vec<String> = params(&moto, "GetSessionToken")
        .into_iter()
        .map(|p| p["SerialNumber"].clone())
        .collect();
    assert!(serials.iter().all(|s| *s == second), "{serials:?}");
    eqnice!(0, moto.count("ListMFADevices"));
}

/// carol has long-lived keys and `mfa_process`; ops assumes a role with carol's keys and names
/// the device.
const OPS_CAROL: &str = "[profile carol]\nmfa_process = echo 246810\nregion = us-east-1\n\
     [profile ops]\nrole_arn = arn:aws:iam::123456789012:role/ops\nsource_profile = carol\n\
     mfa_serial = arn:aws:iam::123456789012:mfa/carol\n";

#[test]
fn a_role_uses_the_mfa_process_of_its_source_without_a_terminal() {
    let Some((moto, env)) = setup(OPS_CAROL) else {
        return;
    };
    env.write_credentials(
        "[carol]\naws_access_key_id = AKIAFAKECAROL0000001\naws_secret_access_key = fake-secret-carol\n",
    );
    // No terminal and no -c: the code can only come from carol's mfa_process.
    let out = run_ok(
        env.command("setsid")
            .args([util::awsdo_bin(), "-p", "ops", "--"])
            .args(util::CALLER_ARN)
            .stdin(std::process::Stdio::null()),
    );
    assert!(
        stdout(&out).contains(":assumed-role/ops/"),
        "{}",
        stdout(&out)
    );
    let sent = &params(&moto, "GetSessionToken")[0];
    eqnice!("arn:aws:iam::123456789012:mfa/carol", sent["SerialNumber"]);
    eqnice!("246810", sent["TokenCode"]);
    // explain says where each value came from.
    let json: serde_json::Value =
        serde_json::from_slice(&run_ok(env.cmd().args(["explain", "ops", "--json"])).stdout)
            .unwrap();
    let mfa = &json["steps"][1];
    eqnice!("ops", mfa["mfa_serial_profile"].as_str().unwrap());
    eqnice!("carol", mfa["mfa_process_from"].as_str().unwrap());
    eqnice!("echo 246810", mfa["mfa_process"].as_str().unwrap());
    eqnice!("carol", json["region_from"].as_str().unwrap());
    eqnice!("ops", json["steps"][2]["role_arn_from"].as_str().unwrap());
    let text = stdout(&run_ok(env.cmd().args(["explain", "ops"])));
    assert!(
        text.contains("from mfa_serial of profile \"ops\"")
            && text.contains("mfa_process `echo 246810` of profile \"carol\"")
            && text.contains("region us-east-1 (from \"carol\")"),
        "{text}"
    );
}

/// admin has no region and assumes a role from base, which has one.
const ADMIN: &str = "[profile base]\nregion = eu-west-1\n\
     [profile admin]\nrole_arn = arn:aws:iam::123456789012:role/admin\nsource_profile = base\n\
     external_id = fake-admin-external-id\nrole_session_name = admin-session\n";
const OTHER_ROLE: &str = "arn:aws:iam::123456789012:role/other";

#[test]
fn dash_r_replaces_the_role_keeps_the_settings_and_has_its_own_cache_entry() {
    let Some((moto, env)) = setup(ADMIN) else {
        return;
    };
    let region = |args: &[&str]| {
        let out = run_ok(
            env.cmd()
                .args(args)
                .args(["--", "sh", "-c", "echo $AWS_REGION"]),
        );
        stdout(&out).trim().to_owned()
    };
    eqnice!("eu-west-1", region(&["-p", "admin"]));
    eqnice!("eu-west-1", region(&["-p", "admin", "-r", OTHER_ROLE]));
    // -r overrides admin's role_arn (no chain on top of it) and keeps admin's settings.
    let sent: Vec<_> = params(&moto, "AssumeRole");
    eqnice!(2, sent.len(), "{sent:?}");
    eqnice!(OTHER_ROLE, sent[1]["RoleArn"]);
    eqnice!("fake-admin-external-id", sent[1]["ExternalId"]);
    eqnice!("admin-session", sent[1]["RoleSessionName"]);
    // Both are cached, each under its own name: neither replaced the other.
    moto.reset_calls();
    eqnice!("eu-west-1", region(&["-p", "admin"]));
    eqnice!("eu-west-1", region(&["-p", "admin", "-r", OTHER_ROLE]));
    eqnice!(0, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
    // So does -d: one new call, the plain entry still serves the plain run.
    region(&["-p", "admin", "-d", "15m"]);
    region(&["-p", "admin"]);
    eqnice!(1, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
    let last = params(&moto, "AssumeRole").pop().unwrap();
    eqnice!("900", last["DurationSeconds"]);
    // explain shows the plan the flags produce, under a name that says so.
    let json: serde_json::Value = serde_json::from_slice(
        &run_ok(
            env.cmd()
                .args(["explain", "-p", "admin", "-r", OTHER_ROLE, "--json"]),
        )
        .stdout,
    )
    .unwrap();
    eqnice!(
        format!("admin -r {OTHER_ROLE}"),
        json["name"].as_str().unwrap()
    );
    eqnice!(OTHER_ROLE, json["steps"][1]["role_arn"].as_str().unwrap());
    eqnice!("-r", json["steps"][1]["role_arn_from"].as_str().unwrap());
    eqnice!("fresh", json["cache"]["state"].as_str().unwrap());
}

#[test]
fn dash_s_with_dash_r_is_explained_and_cached_under_its_own_name() {
    let Some((moto, env)) = setup("[profile base]\nregion = eu-west-1\n") else {
        return;
    };
    let args = ["-s", "base", "-r", OTHER_ROLE];
    let arn = caller_arn(&env, &args);
    assert!(arn.contains(":assumed-role/other/"), "{arn}");
    caller_arn(&env, &args);
    eqnice!(1, moto.count("AssumeRole"));
    let text = stdout(&run_ok(env.cmd().arg("explain").args(args)));
    assert!(
        text.starts_with(&format!(
            "profile default -r {OTHER_ROLE} -s base  region eu-west-1 (from \"base\")"
        )) && text.contains("cache: fresh"),
        "{text}"
    );
    // The plain profile was not touched: its first run still calls STS.
    run_ok(env.cmd().args(["-p", "base", "--", "true"]));
    eqnice!(1, moto.count("GetSessionToken"));
}

/// A config whose profile `p{depth}` sits on a chain of `depth` roles down to `base`.
fn deep_chain(depth: usize) -> String {
    let mut config = String::from(
        "[profile p0]\nrole_arn = arn:aws:iam::123456789012:role/r0\nsource_profile = base\n",
    );
    for i in 1..depth {
        config.push_str(&format!(
            "[profile p{i}]\nrole_arn = arn:aws:iam::123456789012:role/r{i}\nsource_profile = p{}\n",
            i - 1
        ));
    }
    config
}

#[test]
fn a_chain_deeper_than_the_cap_is_refused_before_any_call() {
    let Some((moto, env)) = setup(&deep_chain(2_000)) else {
        return;
    };
    let out = util::run_fail(env.cmd().args(["-p", "p1999", "--", "true"]));
    let err = stderr(&out);
    assert!(
        err.contains("\"p1999\"") && err.contains("more than 32 roles") && err.lines().count() == 1,
        "{}",
        util::describe(&out)
    );
    eqnice!(0, moto.calls().len(), "calls: {:?}", moto.calls());
    // 32 roles are fine.
    run_ok(env.cmd().args(["-p", "p31", "--", "true"]));
    eqnice!(32, moto.count("AssumeRole"));
}

#[test]
fn a_chain_ten_thousand_deep_is_one_line_not_a_crash() {
    let env = TestEnv::new();
    env.write_credentials(FAKE_KEYS);
    env.write_config(&deep_chain(10_000));
    for args in [
        &["-p", "p9999", "--", "true"][..],
        &["explain", "p9999"][..],
    ] {
        let out = util::run_code(env.cmd().args(args), 1);
        let err = stderr(&out);
        assert!(
            err.starts_with("awsdo: could not resolve profile \"p9999\"")
                && err.lines().count() == 1,
            "{}",
            util::describe(&out)
        );
    }
}
