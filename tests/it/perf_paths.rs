//! The cold path's own work (issue 15, item 3): a run that only dials plain HTTP (an endpoint
//! override on loopback, as in the bench and these tests) loads no TLS roots at all, and an
//! HTTPS run still trusts the system store (as rustls-native-certs finds it: `SSL_CERT_FILE`
//! and `SSL_CERT_DIR`, else the platform's bundle and certificate directory; awsdo reads it
//! itself when there is a directory, `net/roots.rs`) besides `AWS_CA_BUNDLE`, and skips a
//! system certificate that cannot be a trust anchor.

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

/// A run that must fail: a one-line `awsdo: could not` error refusing the endpoint's
/// certificate (`BadSignature`: the two test CAs share a name, so the wrong one is tried).
#[track_caller]
fn untrusted(env: &TestEnv, args: &[&str]) {
    let out = util::run_fail(env.cmd().args(args));
    let err = util::stderr(&out);
    assert!(err.starts_with("awsdo: could not "), "{err}");
    assert!(err.contains("invalid peer certificate"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Two unrelated private CAs: moto serves with `pki`'s leaf; `other.ca` trusts nothing moto has.
fn two_cas(dir: &std::path::Path) -> Option<(Pki, Pki, util::tls::Guarded)> {
    let (one, two) = (dir.join("one"), dir.join("two"));
    std::fs::create_dir_all(&one).unwrap();
    std::fs::create_dir_all(&two).unwrap();
    let pki = Pki::create(&one)?;
    let other = Pki::create(&two)?;
    let moto = moto_tls(&pki, &one)?;
    Some((pki, other, moto))
}

#[test]
fn a_ca_only_in_the_hashed_directory_is_trusted() {
    let dir = tempfile::tempdir().unwrap();
    let Some((pki, other, moto)) = two_cas(dir.path()) else {
        return;
    };
    // A CA added to the directory by hand: a file, and a hash-named link to it, as
    // `openssl rehash` makes them; the bundle file trusts only the unrelated CA.
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    std::fs::copy(&pki.ca, certs.join("corporate.pem")).unwrap();
    std::os::unix::fs::symlink("corporate.pem", certs.join("1a2b3c4d.0")).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    let mut env = env_for(&moto.url());
    env.set_var("SSL_CERT_FILE", other.ca.to_str().unwrap());
    let args = ["-p", "role", "--format", "env", "--disable-cache"];
    // Without the directory the endpoint is not trusted: the directory is what trusts it.
    env.set_var("SSL_CERT_DIR", empty.to_str().unwrap());
    untrusted(&env, &args);
    env.set_var("SSL_CERT_DIR", certs.to_str().unwrap());
    let out = run_ok(env.cmd().args(args));
    assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));
    // SSL_CERT_DIR is a list, as OpenSSL reads it: the CA's directory second still counts.
    env.set_var(
        "SSL_CERT_DIR",
        &format!("{}:{}", empty.display(), certs.display()),
    );
    let out = run_ok(env.cmd().args(args));
    assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));
}

#[test]
fn aws_ca_bundle_adds_to_the_system_store_and_neither_is_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let Some((pki, other, moto)) = two_cas(dir.path()) else {
        return;
    };
    let mut env = env_for(&moto.url());
    let args = ["-p", "role", "--format", "env", "--disable-cache"];
    let trust = |env: &mut TestEnv, system: &Pki, bundle: &Pki| {
        env.set_var("SSL_CERT_FILE", system.ca.to_str().unwrap());
        env.set_var("AWS_CA_BUNDLE", bundle.ca.to_str().unwrap());
    };
    // Neither trusts moto's CA: refused (so the two runs below prove something).
    trust(&mut env, &other, &other);
    untrusted(&env, &args);
    // Only the bundle trusts it, whether the SDK reads the system store (one file) or awsdo
    // does (a directory too).
    trust(&mut env, &other, &pki);
    let out = run_ok(env.cmd().args(args));
    assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));
    let empty = dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    env.set_var("SSL_CERT_DIR", empty.to_str().unwrap());
    let out = run_ok(env.cmd().args(args));
    assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));
    env.set_var("SSL_CERT_DIR", "");
    // Only the system store trusts it: the bundle adds, it does not replace.
    trust(&mut env, &pki, &other);
    let out = run_ok(env.cmd().args(args));
    assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));
}

#[test]
fn a_system_certificate_that_cannot_be_a_trust_anchor_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let Some((pki, other, moto)) = two_cas(dir.path()) else {
        return;
    };
    // A system bundle with, before the CA: a CERTIFICATE block whose DER is not a
    // certificate, one that is not even base64, a duplicate, and an unrelated CA.
    let ca = std::fs::read_to_string(&pki.ca).unwrap();
    let bundle = format!(
        "-----BEGIN CERTIFICATE-----\nMIIBAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n-----END CERTIFICATE-----\n\
         -----BEGIN CERTIFICATE-----\n!!not base64!!\n-----END CERTIFICATE-----\n\
         {}{ca}{ca}",
        std::fs::read_to_string(&other.ca).unwrap()
    );
    let certs = dir.path().join("certs");
    std::fs::create_dir_all(&certs).unwrap();
    let system = certs.join("system.pem");
    std::fs::write(&system, bundle).unwrap();
    let mut env = env_for(&moto.url());
    let args = ["-p", "role", "--format", "env", "--disable-cache"];
    // As the bundle file (the SDK reads it), then as a file of a certificate directory (awsdo
    // reads it, and hands the SDK only what it checked).
    env.set_var("SSL_CERT_FILE", system.to_str().unwrap());
    for dir in [None, Some(&certs)] {
        if let Some(dir) = dir {
            env.set_var("SSL_CERT_FILE", other.ca.to_str().unwrap());
            env.set_var("SSL_CERT_DIR", dir.to_str().unwrap());
        }
        let out = run_ok(env.cmd().args(args));
        assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));
        assert!(util::stderr(&out).is_empty(), "{}", util::stderr(&out));
    }
}

// aws-lc seeded its random generator from CPU jitter entropy unless built with
// AWS_LC_SYS_NO_JITTER_ENTROPY=1 (.cargo/config.toml): ~420 M instructions (~40 ms) at the
// first TLS handshake of every process. The test binary is not stripped, so jitterentropy's
// functions would be in its symbol table; without the setting they are.
#[test]
fn aws_lc_is_built_without_cpu_jitter_entropy() {
    let bin = std::fs::read(util::awsdo_bin()).unwrap();
    // The check is real: the binary has a symbol table with aws-lc's functions in it.
    assert!(memchr::memmem::find(&bin, b"RAND_bytes").is_some());
    assert!(
        memchr::memmem::find(&bin, b"jent_entropy_init").is_none(),
        "awsdo was built with aws-lc's CPU jitter entropy: is .cargo/config.toml's \
         AWS_LC_SYS_NO_JITTER_ENTROPY set for this build?"
    );
}
