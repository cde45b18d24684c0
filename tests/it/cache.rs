//! The cache (DESIGN §4), proved on the built binary against moto: every STS call goes
//! through the counting proxy, so "served from the cache" means "no call reached STS".
//!
//! Covered: reuse within the window, private modes whatever the umask, corrupt entries as
//! misses, `--disable-cache`, invalidation on a profile edit, one call for many concurrent
//! cold runs, `AWSDO_MIN_TTL`, and `awsdo logout`.

use crate::util;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, SystemTime};

use crate::util::moto::Moto;
use crate::util::{TestEnv, eqnice, run_ok, stdout};

const ROLE: &str = "arn:aws:iam::123456789012:role/prod-admin";
const BASE_KEY: &str = "AKIAFAKECACHEBASE01";
const BASE_SECRET: &str = "fake-secret-cache-base";

/// A TestEnv aimed at moto with `base` (long-lived keys) and `prod` (a role assumed from base).
fn prod_env(moto: &Moto) -> TestEnv {
    let env = TestEnv::with_endpoint(&moto.url());
    env.write_config(&prod_config(ROLE));
    env.write_credentials(&format!(
        "[base]\naws_access_key_id = {BASE_KEY}\naws_secret_access_key = {BASE_SECRET}\n"
    ));
    env
}

fn prod_config(role: &str) -> String {
    format!(
        "[profile base]\nregion = us-east-1\n\
         [profile prod]\nrole_arn = {role}\nsource_profile = base\nregion = us-east-1\n"
    )
}

fn run_prod(env: &TestEnv) {
    run_ok(env.cmd().args(["-p", "prod", "--", "true"]));
}

fn entry_path(env: &TestEnv, profile: &str) -> PathBuf {
    env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        profile,
        "json",
    ))
}

/// The `*.json` entries in the cache directory (lock files left out), sorted.
fn entries(dir: &Path) -> Vec<String> {
    let Ok(rd) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut names: Vec<String> = rd
        .filter_map(Result::ok)
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json"))
        .collect();
    names.sort();
    names
}

fn read_json(path: &Path) -> serde_json::Value {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{} is not JSON ({e}):\n{text}", path.display()))
}

/// Rewrites the entry's credential expiry to `at`, in place (the file keeps its 0600 mode).
fn set_expiration(path: &Path, at: SystemTime) {
    let mut v = read_json(path);
    let exp = v
        .get_mut("credentials")
        .and_then(|c| c.get_mut("Expiration"))
        .expect("the entry has credentials.Expiration");
    *exp = serde_json::Value::String(util::iso8601(at));
    fs::write(path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

fn mode(path: &Path) -> u32 {
    fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn second_run_within_the_window_makes_no_sts_call() {
    let Some(moto) = Moto::start() else { return };
    let env = prod_env(&moto);
    run_prod(&env);
    eqnice!(1, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
    run_prod(&env);
    eqnice!(1, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
    eqnice!("AssumeRole", moto.calls().join(","));
}

#[test]
fn cache_dir_is_0700_and_files_0600_even_with_umask_0() {
    let Some(moto) = Moto::start() else { return };
    let mut env = prod_env(&moto);
    // awsdo creates the directory itself (two levels), under umask 000.
    let dir = env.root().join("state/awsdo");
    env.set_var("AWSDO_CACHE_DIR", dir.to_str().unwrap());
    let out = run_ok(env.command("sh").args([
        "-c",
        "umask 000; exec \"$0\" -p prod -- sh -c 'umask; touch \"$1\"' sh \"$1\"",
        util::awsdo_bin(),
        env.root().join("child-made").to_str().unwrap(),
    ]));
    // The umask really was 0 for awsdo (its child inherits it).
    eqnice!("0000\n", stdout(&out));
    eqnice!(
        0o666,
        mode(&env.root().join("child-made")),
        "a file made under umask 0"
    );
    eqnice!(
        format!("{:o}", 0o700),
        format!("{:o}", mode(&dir)),
        "cache dir mode"
    );
    let files: Vec<PathBuf> = fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(
        files.iter().any(|p| p.ends_with(awsdo::cache::file_name(
            awsdo::cache::Kind::Profile,
            "prod",
            "json"
        ))),
        "no entry written: {files:?}"
    );
    for f in &files {
        eqnice!(
            format!("{:o}", 0o600),
            format!("{:o}", mode(f)),
            "mode of {}",
            f.display()
        );
    }
}

#[test]
fn garbage_entry_is_a_miss_and_is_replaced() {
    let Some(moto) = Moto::start() else { return };
    let env = prod_env(&moto);
    run_prod(&env);
    let path = entry_path(&env, "prod");
    read_json(&path);
    let junk: [&[u8]; 2] = [b"{\"ver", b"\x8f\x00\xff\xfeZ\x13\x9c\x01garbage\xc3\x28"];
    for (i, bytes) in junk.iter().enumerate() {
        // Written in place: the entry keeps its private mode, only the content is bad.
        fs::write(&path, bytes).unwrap();
        eqnice!(0o600, mode(&path));
        run_prod(&env);
        eqnice!(
            i + 2,
            moto.count("AssumeRole"),
            "junk #{i} must cost exactly one new AssumeRole; calls: {:?}",
            moto.calls()
        );
        let v = read_json(&path);
        assert!(v["credentials"]["AccessKeyId"].is_string(), "{v}");
    }
}

#[test]
fn disable_cache_writes_nothing_and_calls_sts_every_time() {
    let Some(moto) = Moto::start() else { return };
    let env = prod_env(&moto);
    fs::remove_dir(env.cache_dir()).unwrap();
    for n in 1..=2 {
        run_ok(
            env.cmd()
                .args(["-p", "prod", "--disable-cache", "--", "true"]),
        );
        eqnice!(n, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
    }
    let left: Vec<String> = fs::read_dir(env.cache_dir())
        .map(|rd| {
            rd.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    assert!(left.is_empty(), "--disable-cache wrote {left:?}");
}

#[test]
fn editing_role_arn_invalidates_the_entry() {
    if !util::require("aws") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let env = prod_env(&moto);
    let caller_arn = |env: &TestEnv| {
        let out = run_ok(env.cmd().args(["-p", "prod", "--"]).args(util::CALLER_ARN));
        stdout(&out).trim().to_string()
    };
    let first = caller_arn(&env);
    assert!(
        first.starts_with("arn:aws:sts::123456789012:assumed-role/prod-admin/"),
        "{first}"
    );
    eqnice!(1, moto.count("AssumeRole"));
    // Served from the cache: the same role, no new call.
    assert!(caller_arn(&env).contains("/prod-admin/"));
    eqnice!(1, moto.count("AssumeRole"));

    env.write_config(&prod_config("arn:aws:iam::123456789012:role/prod-readonly"));
    let second = caller_arn(&env);
    assert!(
        second.starts_with("arn:aws:sts::123456789012:assumed-role/prod-readonly/"),
        "{second}"
    );
    eqnice!(2, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
}

/// Spawns 16 `awsdo -p PROFILE -- true` at once, then waits for all; all must exit 0.
fn sixteen_cold_runs(env: &TestEnv, profile: &str) {
    let children: Vec<_> = (0..16)
        .map(|_| {
            env.cmd()
                .args(["-p", profile, "--", "true"])
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn awsdo")
        })
        .collect();
    for (i, child) in children.into_iter().enumerate() {
        let out = child.wait_with_output().unwrap();
        assert!(out.status.success(), "run #{i}\n{}", util::describe(&out));
    }
}

#[test]
fn sixteen_concurrent_cold_runs_make_one_assume_role() {
    let Some(moto) = Moto::start() else { return };
    let env = prod_env(&moto);
    sixteen_cold_runs(&env, "prod");
    eqnice!(1, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
}

#[test]
fn sixteen_concurrent_cold_runs_make_one_get_session_token() {
    let Some(moto) = Moto::start() else { return };
    let env = prod_env(&moto);
    // `base` has long-lived keys and no role: one GetSessionToken (after MFA discovery).
    sixteen_cold_runs(&env, "base");
    eqnice!(
        1,
        moto.count("GetSessionToken"),
        "calls: {:?}",
        moto.calls()
    );
    assert!(
        moto.count("GetCallerIdentity") <= 1,
        "discovery ran more than once: {:?}",
        moto.calls()
    );
}

#[test]
fn min_ttl_decides_whether_a_nearly_expired_entry_is_reused() {
    let Some(moto) = Moto::start() else { return };
    let mut env = prod_env(&moto);
    run_prod(&env);
    eqnice!(1, moto.count("AssumeRole"));
    let path = entry_path(&env, "prod");
    let ten_minutes = || SystemTime::now() + Duration::from_secs(600);

    // Default (15 minutes): 10 minutes left is too little, so awsdo fetches anew.
    set_expiration(&path, ten_minutes());
    run_prod(&env);
    eqnice!(2, moto.count("AssumeRole"), "calls: {:?}", moto.calls());

    // AWSDO_MIN_TTL=5m: 10 minutes left is enough.
    set_expiration(&path, ten_minutes());
    env.set_var("AWSDO_MIN_TTL", "5m");
    run_prod(&env);
    eqnice!(2, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
}

#[test]
fn logout_removes_the_entry_and_logout_all_empties_the_cache() {
    let Some(moto) = Moto::start() else { return };
    let env = prod_env(&moto);
    run_prod(&env);
    run_ok(env.cmd().args(["-p", "base", "--", "true"]));
    eqnice!(1, moto.count("AssumeRole"));
    assert!(entry_path(&env, "prod").is_file());
    assert!(entry_path(&env, "base").is_file());

    run_ok(env.cmd().args(["logout", "prod"]));
    assert!(!entry_path(&env, "prod").exists());
    assert!(
        entry_path(&env, "base").is_file(),
        "logout prod removed base"
    );
    run_prod(&env);
    eqnice!(2, moto.count("AssumeRole"), "calls: {:?}", moto.calls());

    run_ok(env.cmd().args(["logout", "--all"]));
    eqnice!("", entries(&env.cache_dir()).join(","));
    run_prod(&env);
    eqnice!(3, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
}

/// The `Authorization` headers of the AssumeRole calls that reached moto, in order.
fn assume_role_signers(moto: &Moto) -> Vec<String> {
    moto.requests()
        .iter()
        .filter(|r| r.body_str().contains("Action=AssumeRole"))
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect()
}

#[test]
fn environment_keys_are_part_of_the_cache_key() {
    let Some(moto) = Moto::start() else { return };
    let mut env = TestEnv::with_endpoint(&moto.url());
    env.write_config(
        "[profile ci]\nrole_arn = arn:aws:iam::123456789012:role/deployer\ncredential_source = Environment\nregion = us-east-1\n",
    );
    let run = |env: &TestEnv| env.cmd().args(["-p", "ci", "--", "true"]).output().unwrap();
    env.set_var("AWS_ACCESS_KEY_ID", "AKIAFAKEENVIRONMENT1");
    env.set_var("AWS_SECRET_ACCESS_KEY", "fake-secret-environment-one");
    assert!(run(&env).status.success());
    // The same keys again: served from the cache.
    assert!(run(&env).status.success());
    eqnice!(1, moto.count("AssumeRole"));
    // Other keys: a new AssumeRole, signed with them.
    env.set_var("AWS_ACCESS_KEY_ID", "AKIAFAKEENVIRONMENT2");
    env.set_var("AWS_SECRET_ACCESS_KEY", "fake-secret-environment-two");
    assert!(run(&env).status.success());
    eqnice!(2, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
    let signers = assume_role_signers(&moto);
    assert!(
        signers[1].contains("Credential=AKIAFAKEENVIRONMENT2/"),
        "{signers:?}"
    );
    // The same key id with another secret is other credentials too.
    env.set_var("AWS_SECRET_ACCESS_KEY", "fake-secret-environment-bogus");
    assert!(run(&env).status.success());
    eqnice!(3, moto.count("AssumeRole"), "calls: {:?}", moto.calls());
    // No keys at all: nothing is served from the cache, the error says what is missing.
    env.set_var("AWS_ACCESS_KEY_ID", "");
    env.set_var("AWS_SECRET_ACCESS_KEY", "");
    let out = run(&env);
    assert!(!out.status.success(), "{}", util::describe(&out));
    assert!(
        util::stderr(&out).contains("AWS_ACCESS_KEY_ID"),
        "{}",
        util::describe(&out)
    );
    eqnice!(3, moto.count("AssumeRole"));
}

#[test]
fn a_shorter_session_is_not_served_from_a_longer_mfa_session() {
    let Some(moto) = Moto::start() else { return };
    let env = TestEnv::with_endpoint(&moto.url());
    env.write_config("[profile carol]\nmfa_serial = arn:aws:iam::123456789012:mfa/carol\n");
    env.write_credentials(&format!(
        "[carol]\naws_access_key_id = {BASE_KEY}\naws_secret_access_key = {BASE_SECRET}\n"
    ));
    let expiry = |args: &[&str]| {
        let out = run_ok(
            env.cmd()
                .args(["-p", "carol", "-c", "123456"])
                .args(args)
                .args(["--", "sh", "-c", "echo $AWS_CREDENTIAL_EXPIRATION"]),
        );
        let text = stdout(&out).trim().to_owned();
        time::OffsetDateTime::parse(&text, &time::format_description::well_known::Rfc3339)
            .unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    let long = expiry(&[]);
    let short = expiry(&["-d", "1h"]);
    eqnice!(
        2,
        moto.count("GetSessionToken"),
        "calls: {:?}",
        moto.calls()
    );
    let durations: Vec<String> = moto
        .requests()
        .iter()
        .map(|r| util::sts::decode(&r.body_str()))
        .filter(|p| p.get("Action").map(String::as_str) == Some("GetSessionToken"))
        .map(|p| p.get("DurationSeconds").cloned().unwrap_or_default())
        .collect();
    eqnice!("43200 3600", durations.join(" "));
    let left = short - time::OffsetDateTime::now_utc();
    assert!(
        left <= time::Duration::hours(1) && long - short > time::Duration::hours(10),
        "12 h session ends {long}, 1 h session ends {short}"
    );
    // Each has its own entry: both are served from the cache afterwards.
    expiry(&[]);
    expiry(&["-d", "1h"]);
    eqnice!(
        2,
        moto.count("GetSessionToken"),
        "calls: {:?}",
        moto.calls()
    );
}
