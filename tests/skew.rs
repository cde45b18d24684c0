//! The network side of a run: one HTTP client shared by every SDK client (so the system root
//! certificates are read once per run, not once per call), and a local clock that disagrees
//! with STS, learnt from the `Date` header of its answers, never making awsdo reuse cached
//! credentials that are dead at AWS.

mod util;

use util::sts::FakeSts;
use util::{TestEnv, eqnice, run_ok};

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
