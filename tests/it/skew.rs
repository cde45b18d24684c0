//! The network side of a run: one HTTP client shared by every SDK client (so the system root
//! certificates are read once per run, not once per call), and a local clock that disagrees
//! with STS, learnt from the `Date` header of its answers, never making awsdo reuse cached
//! credentials that are dead at AWS.

use crate::util;

use std::time::{Duration, SystemTime};

use crate::util::sts::{self, Creds, FakeSts};
use crate::util::{TestEnv, eqnice, run_ok, stdout};

const KEYS: &str =
    "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n";
/// base → first → second: two AssumeRole calls in one run.
const CHAIN: &str = "[profile first]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/first\n\
    [profile second]\nsource_profile = first\nrole_arn = arn:aws:iam::123456789012:role/second\n";

fn env_for(url: &str) -> TestEnv {
    let mut env = TestEnv::with_endpoint(url);
    env.set_var("AWS_REGION", "us-east-1");
    env.write_config(CHAIN);
    env.write_credentials(KEYS);
    env
}

/// What a run under `strace -e trace=openat,connect` did: files opened under `/etc/ssl/certs`
/// (with repeats) and TCP connections made to `port`.
fn traced(trace: &std::path::Path, port: u16) -> (Vec<String>, usize) {
    let text = std::fs::read_to_string(trace).unwrap();
    let certs = text
        .lines()
        .filter(|l| l.contains("openat("))
        .filter_map(|l| l.split('"').nth(1))
        .filter(|p| p.starts_with("/etc/ssl/certs"))
        .map(str::to_owned)
        .collect();
    let port = format!("htons({port})");
    let connects = text
        .lines()
        .filter(|l| l.contains("connect(") && l.contains(&port))
        .count();
    (certs, connects)
}

#[test]
fn a_two_role_chain_shares_one_http_client() {
    if !util::require("strace") {
        return;
    }
    let fake = FakeSts::start_default();
    let env = env_for(&fake.url());
    let trace = env.root().join("trace");
    let mut cmd = env.command("strace");
    cmd.args(["-f", "-e", "trace=openat,connect", "-o"])
        .arg(&trace)
        .args([util::awsdo_bin(), "-p", "second", "--format", "env"]);
    run_ok(&mut cmd);
    eqnice!(2, fake.count("AssumeRole"));
    let (certs, connects) = traced(&trace, fake.server().port());
    eprintln!(
        "cold chain: {} opens under /etc/ssl/certs, {connects} connection(s)",
        certs.len()
    );
    let mut once = certs.clone();
    once.sort();
    once.dedup();
    eqnice!(once.len(), certs.len(), "no certificate file is read twice");
    // Both AssumeRole calls go through one client, so the second reuses the first's connection.
    eqnice!(1, connects);
    // A run served from the cache builds no client at all.
    run_ok(&mut cmd);
    eqnice!(2, fake.count("AssumeRole"));
    let (certs, connects) = traced(&trace, fake.server().port());
    assert!(certs.is_empty() && connects == 0, "{certs:?} {connects}");
}

/// A FakeSts whose clock is `offset` seconds from ours: its `Date` header says so, and every
/// AssumeRole answer expires 40 minutes after its own "now".
fn sts_with_clock(offset: i64) -> (FakeSts, String) {
    let server_now = move || {
        let now = SystemTime::now();
        let d = Duration::from_secs(offset.unsigned_abs());
        if offset >= 0 { now + d } else { now - d }
    };
    let expiration = util::iso8601(server_now() + Duration::from_secs(40 * 60));
    let exp = expiration.clone();
    let fake = FakeSts::start(move |call| {
        let mut c = Creds::fake_hour("role");
        c.expiration = exp.clone();
        sts::assume_role_response(&c, call.param("RoleArn").unwrap_or("x"), "s")
            .with_header("Date", &http_date(server_now()))
    });
    (fake, expiration)
}

/// `Sat, 28 Nov 2026 19:00:00 GMT`.
fn http_date(t: SystemTime) -> String {
    let t = time::OffsetDateTime::from(t);
    let f = time::macros::format_description!(
        "[weekday repr:short], [day] [month repr:short] [year] [hour]:[minute]:[second] GMT"
    );
    t.format(&f).unwrap()
}

fn exported_expiration(out: &std::process::Output) -> String {
    let text = stdout(out);
    text.lines()
        .find_map(|l| l.strip_prefix("AWS_CREDENTIAL_EXPIRATION="))
        .unwrap_or_else(|| panic!("no expiration in {text}"))
        .trim_matches(['\'', '"'])
        .to_owned()
}

fn cached_skew(env: &TestEnv, profile: &str) -> i64 {
    let path = env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        profile,
        "json",
    ));
    let entry: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    entry["clock_skew"].as_i64().unwrap()
}

#[test]
fn a_clock_behind_sts_judges_cached_credentials_by_sts_time() {
    // STS is 30 minutes ahead: its 40 minutes look like 70 here.
    let (fake, expiration) = sts_with_clock(30 * 60);
    let mut env = env_for(&fake.url());
    // 45 minutes must be left: enough by the local clock (70), not at AWS (40).
    env.set_var("AWSDO_MIN_TTL", "45m");
    let first = run_ok(env.cmd().args(["-p", "first", "--format", "env"]));
    let skew = cached_skew(&env, "first");
    assert!((1798..=1802).contains(&skew), "{skew}");
    let second = run_ok(env.cmd().args(["-p", "first", "--format", "env"]));
    eqnice!(
        2,
        fake.count("AssumeRole"),
        "not reused: under 45 minutes left at AWS"
    );
    // What is exported stays STS's own expiry, not a local-clock translation.
    eqnice!(expiration, exported_expiration(&first));
    eqnice!(expiration, exported_expiration(&second));
    // 30 minutes must be left: 40 at AWS is enough, so the entry is reused.
    env.set_var("AWSDO_MIN_TTL", "30m");
    let third = run_ok(env.cmd().args(["-p", "first", "--format", "env"]));
    eqnice!(
        2,
        fake.count("AssumeRole"),
        "reused: over 30 minutes left at AWS"
    );
    eqnice!(expiration, exported_expiration(&third));
}

#[test]
fn a_clock_ahead_of_sts_hands_credentials_out_but_keeps_judging_by_the_local_clock() {
    // STS is 30 minutes behind: its 40 minutes look like 10 here.
    let (fake, expiration) = sts_with_clock(-30 * 60);
    let env = env_for(&fake.url());
    let first = run_ok(env.cmd().args(["-p", "first", "--format", "env"]));
    eqnice!(expiration, exported_expiration(&first));
    let skew = cached_skew(&env, "first");
    assert!((-1802..=-1798).contains(&skew), "{skew}");
    // Documented (SECURITY.md): a clock ahead is not moved back, so 10 local minutes are under
    // the 15-minute margin and the next run fetches again rather than trust a skew that a
    // later clock fix would make wrong.
    run_ok(env.cmd().args(["-p", "first", "--format", "env"]));
    eqnice!(2, fake.count("AssumeRole"));
}
