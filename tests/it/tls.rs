//! TLS trust and proxies, as the AWS CLI has them (issue 9, item 4): endpoints whose certificate
//! a private CA signed (a corporate TLS-inspecting proxy) are trusted through `AWS_CA_BUNDLE`
//! or the selected profile's `ca_bundle`, which add to the system roots, for every HTTPS call
//! (STS, the SSO portal, the console federation endpoint); a bundle that cannot be used is a
//! one-line error naming it; `HTTPS_PROXY` sends the calls through a CONNECT proxy, `NO_PROXY`
//! exempts hosts. The AWS CLI runs in the same setups and must agree.

use crate::util::sts::FakeSts;
use crate::util::tls::{ConnectProxy, Guarded, Pki, https_stub, moto_tls};
use crate::util::{CALLER_ARN, TestEnv, eqnice, run_fail, run_ok, stderr, stdout};

const KEYS: &str =
    "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n";
const ROLE: &str =
    "[profile role]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/admin\n";

/// A TestEnv aimed at `url`, with `base` keys, the `role` profile, and `bundled` (the same
/// role, with `ca_bundle` naming the private CA). Commands get `--disable-cache` from callers
/// that need every run to reach the network.
fn env_for(url: &str, pki: Option<&Pki>) -> TestEnv {
    let mut env = TestEnv::with_endpoint(url);
    env.set_var("AWS_REGION", "us-east-1");
    // The AWS CLI v1 reads this one.
    env.set_var("AWS_DEFAULT_REGION", "us-east-1");
    let bundled = pki.map_or(String::new(), |p| {
        format!(
            "[profile bundled]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/admin\nca_bundle = {}\n",
            p.ca.display()
        )
    });
    env.write_config(&format!("{ROLE}{bundled}"));
    env.write_credentials(KEYS);
    env
}

/// Exactly one line on stderr, starting `awsdo: could not `, and nothing on stdout.
#[track_caller]
fn one_line_error(out: &std::process::Output) -> String {
    let err = stderr(out);
    assert_eq!(err.lines().count(), 1, "expected one line:\n{err}");
    assert!(err.starts_with("awsdo: could not "), "{err}");
    assert!(stdout(out).is_empty());
    err
}

fn exported_key(out: &std::process::Output) -> String {
    stdout(out)
        .lines()
        .find_map(|l| l.strip_prefix("AWS_ACCESS_KEY_ID="))
        .unwrap_or_else(|| panic!("no key in {}", stdout(out)))
        .trim_matches(['\'', '"'])
        .to_owned()
}

/// The PKI, and moto serving HTTPS with it; None when a tool is missing (and not required).
fn tls_moto(dir: &std::path::Path) -> Option<(Pki, Guarded)> {
    let pki = Pki::create(dir)?;
    let moto = moto_tls(&pki, dir)?;
    Some((pki, moto))
}

// Issue 9.4: `AWS_CA_BUNDLE=/path/ca.pem awsdo -p dev` failed with `invalid peer certificate:
// UnknownIssuer` while the AWS CLI succeeded in the same setup.
#[test]
fn a_private_ca_is_trusted_through_aws_ca_bundle_or_the_profiles_ca_bundle_issue_9() {
    let dir = tempfile::tempdir().unwrap();
    let Some((pki, moto)) = tls_moto(dir.path()) else {
        return;
    };
    let mut env = env_for(&moto.url(), Some(&pki));
    let ca = pki.ca.to_str().unwrap();

    // Without the bundle: the certificate problem and the fix, in one line.
    let err = one_line_error(&run_fail(env.cmd().args(["-p", "role", "--format", "env"])));
    assert!(
        err.contains("invalid peer certificate")
            && err.contains("AWS_CA_BUNDLE")
            && err.contains("ca_bundle"),
        "{err}"
    );
    // The AWS CLI fails too without it: the CA really is private.
    let cli = env
        .command(CALLER_ARN[0])
        .args(&CALLER_ARN[1..])
        .args(["--profile", "base"])
        .output()
        .unwrap();
    assert!(
        !cli.status.success() && stderr(&cli).contains("CERTIFICATE_VERIFY_FAILED"),
        "{}",
        stderr(&cli)
    );

    // The selected profile's ca_bundle.
    let out = run_ok(
        env.cmd()
            .args(["-p", "bundled", "--format", "env", "--disable-cache"]),
    );
    assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));

    // AWS_CA_BUNDLE, for a profile without ca_bundle; the system roots stay trusted as well
    // (`sts::tests::the_bundle_adds_to_the_system_roots`).
    env.set_var("AWS_CA_BUNDLE", ca);
    let out = run_ok(
        env.cmd()
            .args(["-p", "role", "--format", "env", "--disable-cache"]),
    );
    assert!(exported_key(&out).starts_with("ASIA"), "{}", stdout(&out));

    // The AWS CLI succeeds in the same setup, with either setting.
    let cli = run_ok(
        env.command(CALLER_ARN[0])
            .args(&CALLER_ARN[1..])
            .args(["--profile", "base"]),
    );
    assert!(stdout(&cli).starts_with("arn:aws:"), "{}", stdout(&cli));
    let cli = run_ok(
        env.command(CALLER_ARN[0])
            .args(&CALLER_ARN[1..])
            .args(["--profile", "bundled"])
            .env_remove("AWS_CA_BUNDLE"),
    );
    assert!(
        stdout(&cli).contains(":assumed-role/admin/"),
        "{}",
        stdout(&cli)
    );
}

#[test]
fn the_sso_portal_and_the_console_endpoint_trust_the_bundle_too() {
    let dir = tempfile::tempdir().unwrap();
    let Some(pki) = Pki::create(dir.path()) else {
        return;
    };
    let Some(stub) = https_stub(&pki, dir.path()) else {
        return;
    };
    // STS over plain HTTP (the fake); the SSO portal and the federation endpoint over HTTPS.
    let fake = FakeSts::start_default();
    let mut env = env_for(&fake.url(), None);
    env.write_config(&format!(
        "{ROLE}[profile sso]\nsso_session = corp\nsso_account_id = 111122223333\n\
         sso_role_name = ReadOnly\nregion = eu-west-1\n\
         [sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
    ));
    env.write_sso_token(
        "corp",
        "https://corp.awsapps.com/start",
        "eu-west-1",
        "fake-sso-access-token",
        std::time::Duration::from_secs(3600),
    );
    env.set_var("AWS_ENDPOINT_URL_SSO", &stub.url());
    env.set_var("AWSDO_FEDERATION_ENDPOINT", &stub.url());

    let sso = ["-p", "sso", "--format", "env", "--disable-cache"];
    let console = ["console", "-p", "role", "--disable-cache"];
    for args in [&sso[..], &console[..]] {
        let out = run_fail(env.cmd().args(args));
        let err = stderr(&out);
        assert!(
            err.contains("invalid peer certificate") && err.contains("AWS_CA_BUNDLE"),
            "{args:?}: {err}"
        );
    }
    env.set_var("AWS_CA_BUNDLE", pki.ca.to_str().unwrap());
    let out = run_ok(env.cmd().args(sso));
    eqnice!("ASIAFAKEPYSSO", exported_key(&out));
    let out = run_ok(env.cmd().args(console));
    assert!(
        stdout(&out).contains("SigninToken=fake-signin-token"),
        "{}",
        stdout(&out)
    );
    let log = stub.log();
    assert!(
        log.contains("GET /federation/credentials") && log.contains("GET /federation\n"),
        "{log}"
    );
}

#[test]
fn a_bundle_that_cannot_be_used_is_one_line_naming_it_and_a_warm_cache_never_reads_it() {
    let fake = FakeSts::start_default();
    let mut env = env_for(&fake.url(), None);
    // A run that reaches the network fills the cache; the next ones are served from it.
    run_ok(env.cmd().args(["-p", "role", "--format", "env"]));
    let missing = env.root().join("missing.pem");
    let not_pem = env.write_file("not.pem", "just some text\n");
    let fifo = env.root().join("fifo.pem");
    assert!(
        std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let bad_pem = env.write_file(
        "bad.pem",
        "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n",
    );
    for (path, why) in [
        (&missing, "No such file or directory"),
        (&not_pem, "no PEM certificate"),
        (&bad_pem, "certificate 1 is not usable"),
        (&env.root().to_path_buf(), "it is a directory"),
        (&fifo, "not a regular file"),
    ] {
        env.set_var("AWS_CA_BUNDLE", path.to_str().unwrap());
        // Served from the cache: the bundle is not read, nothing fails.
        run_ok(env.cmd().args(["-p", "role", "--format", "env"]));
        let err = one_line_error(&run_fail(env.cmd().args([
            "-p",
            "role",
            "--format",
            "env",
            "--disable-cache",
        ])));
        let want = format!(
            "could not read the CA bundle {} (AWS_CA_BUNDLE): ",
            path.display()
        );
        assert!(
            err.contains(&want) && err.contains(why),
            "{err}\nwanted: {want}…{why}"
        );
    }
    // The profile's ca_bundle is named with its profile and file.
    env.set_var("AWS_CA_BUNDLE", "");
    env.write_config(&format!(
        "{ROLE}[profile bundled]\nsource_profile = base\nrole_arn = arn:aws:iam::123456789012:role/b\nca_bundle = {}\n",
        missing.display()
    ));
    let err = one_line_error(&run_fail(
        env.cmd().args(["-p", "bundled", "--format", "env"]),
    ));
    let want = format!(
        "could not read the CA bundle {} (ca_bundle of profile \"bundled\" in {}): ",
        missing.display(),
        env.config_path().display()
    );
    assert!(err.contains(&want), "{err}\nwanted: {want}");
}

#[test]
fn https_proxy_carries_every_call_and_no_proxy_bypasses_it() {
    let dir = tempfile::tempdir().unwrap();
    let Some((pki, moto)) = tls_moto(dir.path()) else {
        return;
    };
    let proxy = ConnectProxy::start();
    let mut env = env_for(&moto.url(), Some(&pki));
    env.set_var("AWS_CA_BUNDLE", pki.ca.to_str().unwrap());
    env.set_var("HTTPS_PROXY", &proxy.url());
    let run = ["-p", "role", "--format", "env", "--disable-cache"];
    let target = format!("127.0.0.1:{}", moto.port);

    run_ok(env.cmd().args(run));
    let tunnels = proxy.tunnels();
    assert!(
        !tunnels.is_empty() && tunnels.iter().all(|t| *t == target),
        "{tunnels:?}"
    );
    // The AWS CLI goes through the same proxy.
    let before = proxy.tunnels().len();
    run_ok(
        env.command(CALLER_ARN[0])
            .args(&CALLER_ARN[1..])
            .args(["--profile", "base"]),
    );
    assert!(proxy.tunnels().len() > before, "{:?}", proxy.tunnels());

    // NO_PROXY names the host: straight there, for awsdo as for the CLI.
    env.set_var("NO_PROXY", "localhost,127.0.0.1");
    let before = proxy.tunnels().len();
    run_ok(env.cmd().args(run));
    run_ok(
        env.command(CALLER_ARN[0])
            .args(&CALLER_ARN[1..])
            .args(["--profile", "base"]),
    );
    eqnice!(before, proxy.tunnels().len());

    // The lowercase variable wins, as in Python's urllib (which botocore uses).
    env.set_var("NO_PROXY", "");
    env.set_var("HTTPS_PROXY", "http://127.0.0.1:9");
    env.set_var("https_proxy", &proxy.url());
    let before = proxy.tunnels().len();
    run_ok(env.cmd().args(run));
    assert!(proxy.tunnels().len() > before, "{:?}", proxy.tunnels());
}
