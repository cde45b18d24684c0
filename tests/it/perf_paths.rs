//! The cold path's own work (issue 15, item 3): a run that only dials plain HTTP (an endpoint
//! override on loopback, as in the bench and these tests) loads no TLS roots at all, and an
//! HTTPS run still trusts the system store (as rustls-native-certs finds it: `SSL_CERT_FILE`,
//! else the platform's bundle and certificate directory) besides `AWS_CA_BUNDLE`.

use std::process::Output;

use crate::util::sts::FakeSts;
use crate::util::tls::{Pki, moto_tls};
use crate::util::{self, TestEnv, run_ok, stdout};

const KEYS: &str =
    "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n";
const ROLE: &str =
    "[profile role]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/admin\n";

/// Where a Linux system keeps its TLS roots (openssl-probe's candidates on Debian, Fedora,
/// Alpine, SUSE).
const SYSTEM_STORES: [&str; 5] = [
    "/etc/ssl",
    "/usr/lib/ssl",
    "/usr/share/ca-certificates",
    "/etc/pki",
    "/usr/local/share/certs",
];

fn env_for(url: &str) -> TestEnv {
    let mut env = TestEnv::with_endpoint(url);
    env.set_var("AWS_REGION", "us-east-1");
    env.write_config(ROLE);
    env.write_credentials(KEYS);
    env
}

/// `awsdo args` under `strace -f -e trace=%file`: its output and the trace; None when strace
/// is missing (and not required).
fn traced(env: &TestEnv, args: &[&str]) -> Option<(Output, String)> {
    if !util::require("strace") {
        return None;
    }
    let strace = util::find_tool("strace").unwrap();
    let trace = env.root().join("trace");
    let out = run_ok(
        env.command(strace)
            .args(["-f", "-qq", "-e", "trace=%file", "-o"])
            .arg(&trace)
            .arg(util::awsdo_bin())
            .args(args),
    );
    Some((out, std::fs::read_to_string(&trace).unwrap()))
}

fn exported_key(out: &Output) -> String {
    stdout(out)
        .lines()
        .find_map(|l| l.strip_prefix("AWS_ACCESS_KEY_ID="))
        .unwrap_or_else(|| panic!("no key in {}", stdout(out)))
        .trim_matches(['\'', '"'])
        .to_owned()
}

#[test]
fn a_plain_http_run_reads_no_system_root_certificates() {
    let sts = FakeSts::start_default();
    let env = env_for(&sts.url());
    let args = ["-p", "role", "--format", "env", "--disable-cache"];
    let Some((out, trace)) = traced(&env, &args) else {
        return;
    };
    assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));
    assert_eq!(sts.count("AssumeRole"), 1);
    // The trace is real: it saw awsdo read its config.
    assert!(trace.contains("/.aws/config\""), "{trace}");
    for store in SYSTEM_STORES {
        let hits: Vec<&str> = trace.lines().filter(|l| l.contains(store)).collect();
        assert!(
            hits.is_empty(),
            "a plain-HTTP run touched {store}:\n{hits:#?}"
        );
    }
}

#[test]
fn an_https_run_still_trusts_the_system_store() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pki) = Pki::create(dir.path()) else {
        return;
    };
    let Some(moto) = moto_tls(&pki, dir.path()) else {
        return;
    };
    let mut env = env_for(&moto.url());
    // The private CA as the system store (rustls-native-certs reads SSL_CERT_FILE instead of
    // the platform's bundle), with no AWS_CA_BUNDLE: only the system store can trust it.
    env.set_var("SSL_CERT_FILE", pki.ca.to_str().unwrap());
    let args = ["-p", "role", "--format", "env", "--disable-cache"];
    let out = run_ok(env.cmd().args(args));
    assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));
    // And the trace shows the roots being read for the HTTPS call.
    if let Some((out, trace)) = traced(&env, &args) {
        assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));
        let ca = format!("{}\"", pki.ca.display());
        assert!(trace.contains(&ca), "{trace}");
    }
}
