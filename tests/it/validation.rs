//! Config parity with the AWS CLI (DESIGN §3, issue 9 item 7): every profile below is refused
//! by the real AWS CLI with a configuration error, and by awsdo before any network call, in one
//! line naming the profile, the file and the keys, the same from `awsdo -- cmd`, the hook's
//! `awsdo export`, `awsdo explain` and (per row) `awsdo status`. A few valid profiles guard
//! against refusing too much: the AWS CLI gets as far as the network, and awsdo plans them.
//!
//! The AWS CLI is aimed at a closed loopback port, so reaching the network shows up as
//! "Could not connect"; awsdo is aimed at a listener the test owns, which must see no
//! connection. Each row names the botocore code path it mirrors.

use crate::util;

use std::io::ErrorKind;
use std::net::TcpListener;
use std::process::Output;

use crate::util::{TestEnv, describe, stderr, stdout};

/// Long-lived keys for `[base]`, in the credentials file of every row.
const KEYS: &str = "[base]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n";

/// Which file the refusal must name.
#[derive(Clone, Copy, Debug)]
enum File {
    Config,
    Credentials,
    /// Both paths (a missing profile is in neither).
    Both,
}

/// One invalid configuration.
struct Row {
    /// The profile selected (`-p`, `explain P`, `AWS_PROFILE`).
    profile: &'static str,
    config: &'static str,
    /// Appended to `KEYS` in the credentials file.
    credentials: &'static str,
    /// The profile awsdo's line must name (the selected one, or the source at fault).
    names: &'static str,
    file: File,
    /// Keys (or values) awsdo's line must name.
    keys: &'static [&'static str],
    /// What the AWS CLI's own refusal says (a configuration error, not a connection error).
    aws_says: &'static str,
    /// Whether awsdo refused this at all before this change (only with a worse message); the
    /// others it did not refuse, or only after trying the network.
    refused_before: bool,
}

const ROLE: &str = "role_arn = arn:aws:iam::123456789012:role/ops\n";

macro_rules! role {
    () => {
        "role_arn = arn:aws:iam::123456789012:role/ops\n"
    };
}

const fn row(profile: &'static str, config: &'static str, aws_says: &'static str) -> Row {
    Row {
        profile,
        config,
        credentials: "",
        names: profile,
        file: File::Config,
        keys: &[],
        aws_says,
        refused_before: true,
    }
}

fn refusals() -> Vec<Row> {
    vec![
        // botocore AssumeRoleProvider._get_role_config: InvalidConfigError "contains both
        // source_profile and credential_source". awsdo used source_profile and went on to STS.
        Row {
            keys: &["source_profile", "credential_source"],
            refused_before: false,
            ..row(
                "ops",
                concat!(
                    "[profile ops]\n",
                    role!(),
                    "source_profile = base\ncredential_source = Environment\n"
                ),
                "contains both source_profile and credential_source",
            )
        },
        // botocore AssumeRoleProvider._get_role_config: PartialCredentialsError "missing:
        // source_profile or credential_source".
        Row {
            keys: &["role_arn", "source_profile", "credential_source"],
            ..row(
                "ops",
                concat!("[profile ops]\n", role!()),
                "source_profile or credential_source",
            )
        },
        // botocore AssumeRoleProvider._validate_credential_source: "is not valid".
        Row {
            keys: &["credential_source", "\"Foo\""],
            ..row(
                "ops",
                concat!("[profile ops]\n", role!(), "credential_source = Foo\n"),
                "The credential source \"Foo\" referenced in profile \"ops\" is not valid",
            )
        },
        // botocore AssumeRoleProvider._validate_source_profile: "does not exist". awsdo said
        // `could not find profile "nobody"`, naming neither ops nor a file.
        Row {
            file: File::Both,
            keys: &["source_profile", "\"nobody\""],
            ..row(
                "ops",
                concat!("[profile ops]\n", role!(), "source_profile = nobody\n"),
                "The source_profile \"nobody\" referenced in the profile \"ops\" does not exist",
            )
        },
        // botocore AssumeRoleProvider._resolve_credentials_from_profile: "The source profile
        // ... must have credentials."
        Row {
            names: "b2",
            keys: &["\"ops\"", "no credentials"],
            ..row(
                "ops",
                concat!(
                    "[profile ops]\n",
                    role!(),
                    "source_profile = b2\n[profile b2]\nregion = eu-west-1\n"
                ),
                "The source profile \"b2\" must have credentials",
            )
        },
        // The same path for a source that has only credential_source (read next to role_arn
        // only). awsdo took the environment's keys.
        Row {
            names: "cs",
            keys: &["\"ops\"", "credential_source"],
            refused_before: false,
            ..row(
                "ops",
                concat!(
                    "[profile ops]\n",
                    role!(),
                    "source_profile = cs\n[profile cs]\ncredential_source = Environment\n"
                ),
                "The source profile \"cs\" must have credentials",
            )
        },
        // botocore AssumeRoleProvider._validate_source_profile: a profile may be its own source
        // only with static keys, else InfiniteLoopConfigError.
        Row {
            keys: &["source_profile", "aws_access_key_id"],
            ..row(
                "ops",
                concat!("[profile ops]\n", role!(), "source_profile = ops\n"),
                "Infinite loop in credential configuration detected",
            )
        },
        // botocore AssumeRoleProvider._validate_source_profile: InfiniteLoopConfigError.
        Row {
            names: "b",
            keys: &["source_profile", "a -> b -> a"],
            ..row(
                "a",
                "[profile a]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = b\n\
                 [profile b]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = a\n",
                "Infinite loop in credential configuration detected",
            )
        },
        // botocore ConfigProvider / _extract_creds_from_mapping: PartialCredentialsError.
        Row {
            keys: &["aws_access_key_id", "aws_secret_access_key"],
            ..row(
                "p",
                "[profile p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
                "Partial credentials found in config-file, missing: aws_secret_access_key",
            )
        },
        // botocore SharedCredentialProvider / _extract_creds_from_mapping, for a source.
        Row {
            names: "p",
            file: File::Credentials,
            credentials: "[p]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n",
            keys: &["\"ops\"", "aws_access_key_id", "aws_secret_access_key"],
            ..row(
                "ops",
                concat!("[profile ops]\n", role!(), "source_profile = p\n"),
                "Partial credentials found in shared-credentials-file",
            )
        },
        // A secret without its key id is no credentials (botocore's providers look for the key
        // id): "must have credentials" for a source, NoCredentialsError for the profile itself.
        Row {
            names: "p",
            file: File::Credentials,
            credentials: "[p]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            keys: &["\"ops\"", "aws_access_key_id", "aws_secret_access_key"],
            ..row(
                "ops",
                concat!("[profile ops]\n", role!(), "source_profile = p\n"),
                "The source profile \"p\" must have credentials",
            )
        },
        Row {
            file: File::Credentials,
            credentials: "[p]\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n",
            keys: &["aws_access_key_id", "aws_secret_access_key"],
            ..row("p", "", "Unable to locate credentials")
        },
        // botocore AssumeRoleWithWebIdentityProvider._assume_role_with_web_identity:
        // InvalidConfigError "no role ARN configured". awsdo said it found no credentials.
        Row {
            keys: &["web_identity_token_file", "role_arn"],
            ..row(
                "w",
                "[profile w]\nweb_identity_token_file = /nonexistent/token\n",
                "has no role ARN configured",
            )
        },
        // botocore SSOProvider._resolve_sso_session_reference: "sso-session does not exist".
        Row {
            keys: &["sso_session", "[sso-session nope]"],
            ..row(
                "x",
                "[profile x]\nsso_session = nope\nsso_account_id = 111122223333\nsso_role_name = R\n",
                "The specified sso-session does not exist: \"nope\"",
            )
        },
        // botocore SSOProvider._resolve_sso_session_reference: a key set in both the profile
        // and its sso-session must agree. awsdo used the profile's value.
        Row {
            keys: &["sso_region", "\"eu-west-1\"", "\"us-east-1\""],
            refused_before: false,
            ..row(
                "x",
                "[profile x]\nsso_session = s\nsso_account_id = 111122223333\nsso_role_name = R\nsso_region = eu-west-1\n\
                 [sso-session s]\nsso_start_url = https://example.awsapps.com/start\nsso_region = us-east-1\n",
                "The value for sso_region is inconsistent between profile (eu-west-1) and sso-session (us-east-1)",
            )
        },
        // botocore SSOProvider._load_sso_config: "missing required configuration". awsdo said
        // it found no credentials.
        Row {
            keys: &["sso_start_url", "sso_region"],
            ..row(
                "x",
                "[profile x]\nsso_account_id = 111122223333\nsso_role_name = R\n",
                "missing required configuration: sso_start_url, sso_region",
            )
        },
        // botocore ParamValidator (validate.py) on AssumeRole's input shape, before sending:
        // RoleArn min length 20. awsdo sent the request.
        Row {
            keys: &["role_arn", "\"arn:aws:iam::1\""],
            refused_before: false,
            ..row(
                "ops",
                "[profile ops]\nrole_arn = arn:aws:iam::1\nsource_profile = base\n",
                "Invalid length for parameter RoleArn",
            )
        },
        // The same, DurationSeconds min 900.
        Row {
            keys: &["duration_seconds", "900"],
            refused_before: false,
            ..row(
                "ops",
                concat!(
                    "[profile ops]\n",
                    role!(),
                    "source_profile = base\nduration_seconds = 60\n"
                ),
                "Invalid value for parameter DurationSeconds, value: 60, valid min value: 900",
            )
        },
        // The same, RoleSessionName min length 2.
        Row {
            keys: &["role_session_name", "\"x\""],
            refused_before: false,
            ..row(
                "ops",
                concat!(
                    "[profile ops]\n",
                    role!(),
                    "source_profile = base\nrole_session_name = x\n"
                ),
                "Invalid length for parameter RoleSessionName",
            )
        },
        // The same, ExternalId min length 2.
        Row {
            keys: &["external_id", "\"x\""],
            refused_before: false,
            ..row(
                "ops",
                concat!(
                    "[profile ops]\n",
                    role!(),
                    "source_profile = base\nexternal_id = x\n"
                ),
                "Invalid length for parameter ExternalId",
            )
        },
    ]
}

/// Profiles both accept: the AWS CLI reaches the network, awsdo plans them.
fn accepted() -> Vec<(&'static str, String)> {
    vec![
        ("base", String::new()),
        (
            "ops",
            format!(
                "[profile ops]\n{ROLE}source_profile = base\nduration_seconds = 3600\nexternal_id = ext-1\nrole_session_name = me\nregion = eu-west-1\n"
            ),
        ),
        (
            "ops",
            format!(
                "[profile ops]\n{ROLE}source_profile = ops\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
            ),
        ),
        (
            "top",
            format!(
                "[profile mid]\n{ROLE}source_profile = base\n[profile top]\nrole_arn = arn:aws:iam::123456789012:role/top\nsource_profile = mid\n"
            ),
        ),
    ]
}

/// A loopback port with nothing listening: bind, note the port, close.
fn closed_port_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}")
}

/// The AWS CLI's `sts get-caller-identity` for `profile` in `env`, aimed at a closed port.
fn aws_cli(env: &TestEnv, profile: &str) -> Output {
    env.command("aws")
        .args(["sts", "get-caller-identity", "--profile", profile])
        .env("AWS_ENDPOINT_URL", closed_port_url())
        .env("AWS_MAX_ATTEMPTS", "1")
        // The AWS CLI needs a region before it gets to credentials.
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .stdin(std::process::Stdio::null())
        .output()
        .expect("run aws")
}

fn file_path(env: &TestEnv, file: File) -> Vec<String> {
    let config = env.config_path().display().to_string();
    let credentials = env.credentials_path().display().to_string();
    match file {
        File::Config => vec![config],
        File::Credentials => vec![credentials],
        File::Both => vec![config, credentials],
    }
}

/// awsdo's one-line refusal from `out`, checked to name profile, file and keys.
#[track_caller]
fn one_line(out: &Output, env: &TestEnv, row: &Row, what: &str) -> String {
    let err = stderr(out);
    assert!(
        !out.status.success(),
        "{what}: expected a refusal\n{}",
        describe(out)
    );
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{what}: one line\n{}", describe(out));
    let line = lines[0];
    assert!(
        line.starts_with(&format!("awsdo: could not use profile {:?}", row.names)),
        "{what}: names profile {}\n{line}",
        row.names
    );
    for file in file_path(env, row.file) {
        assert!(line.contains(&file), "{what}: names file {file}\n{line}");
    }
    for key in row.keys {
        assert!(line.contains(key), "{what}: names {key}\n{line}");
    }
    assert!(
        !line.contains("wJalrXUtnFEMI"),
        "{what}: no secret in the error\n{line}"
    );
    line.to_owned()
}

/// Rows run this many at a time (each starts the AWS CLI, a Python program).
const PARALLEL: usize = 4;

#[test]
fn awsdo_refuses_what_the_aws_cli_refuses_before_any_network_call() {
    if !util::require("aws") {
        return;
    }
    let rows = refusals();
    // Every row is checked, and the failures are listed together (each panic message is
    // printed above, with its row).
    let mut failed = Vec::new();
    for batch in rows.chunks(PARALLEL) {
        std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .iter()
                .map(|row| (row, s.spawn(|| check_refusal(row))))
                .collect();
            for (row, handle) in handles {
                if handle.join().is_err() {
                    failed.push(format!("{} ({})", row.profile, row.aws_says));
                }
            }
        });
    }
    assert!(failed.is_empty(), "rows that failed: {failed:#?}");
}

/// One row: both refuse; awsdo in one line, the same everywhere, with no connection.
fn check_refusal(row: &Row) {
    let label = format!(
        "profile {} (refused before this change: {}) with config:\n{}",
        row.profile, row.refused_before, row.config
    );
    // awsdo's endpoint: a listener that records whether anything connected.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let env = TestEnv::with_endpoint(&url);
    env.write_config(row.config);
    env.write_credentials(&format!("{KEYS}{}", row.credentials));

    let aws = aws_cli(&env, row.profile);
    let aws_err = stderr(&aws);
    assert!(
        !aws.status.success(),
        "{label}\nthe AWS CLI accepted it\n{}",
        describe(&aws)
    );
    assert!(
        !aws_err.contains("Could not connect"),
        "{label}\nthe AWS CLI got as far as the network\n{}",
        describe(&aws)
    );
    assert!(
        aws_err.contains(row.aws_says),
        "{label}\nthe AWS CLI's refusal is not the expected config error {:?}\n{}",
        row.aws_says,
        describe(&aws)
    );

    let run = env
        .cmd()
        .args(["-p", row.profile, "--", "true"])
        .output()
        .unwrap();
    let line = one_line(&run, &env, row, &format!("{label}\nawsdo -- true"));

    let explain = env.cmd().args(["explain", row.profile]).output().unwrap();
    let explained = one_line(&explain, &env, row, &format!("{label}\nawsdo explain"));
    assert_eq!(explained, line, "{label}\nexplain says the same");

    let export = env
        .cmd()
        .args(["export", "bash"])
        .env("AWS_PROFILE", row.profile)
        .output()
        .unwrap();
    assert!(
        stderr(&export).contains(&line["awsdo: ".len()..]),
        "{label}\nthe hook's export says the same\n{}",
        describe(&export)
    );
    assert!(
        !stdout(&export).contains("AWS_ACCESS_KEY_ID"),
        "{label}\nthe hook exported keys\n{}",
        describe(&export)
    );

    let status = env.cmd().arg("status").output().unwrap();
    let status_text = stdout(&status);
    let status_row = status_text
        .lines()
        .find(|l| {
            l.get(2..)
                .is_some_and(|l| l.split_whitespace().next() == Some(row.profile))
        })
        .unwrap_or_else(|| panic!("{label}\nno status row\n{}", describe(&status)));
    assert!(
        status_row.contains("error"),
        "{label}\nstatus shows the refusal on the profile's row\n{}",
        describe(&status)
    );

    match listener.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        other => panic!("{label}\nawsdo connected to the network: {other:?}"),
    }
}

#[test]
fn awsdo_and_the_aws_cli_both_accept_valid_profiles() {
    if !util::require("aws") {
        return;
    }
    for (profile, config) in accepted() {
        let env = TestEnv::with_endpoint(&closed_port_url());
        env.write_config(&config);
        env.write_credentials(KEYS);
        let label = format!("profile {profile} with config:\n{config}");

        let aws = aws_cli(&env, profile);
        assert!(
            stderr(&aws).contains("Could not connect"),
            "{label}\nthe AWS CLI refused it before the network\n{}",
            describe(&aws)
        );
        let explain = env.cmd().args(["explain", profile]).output().unwrap();
        assert!(explain.status.success(), "{label}\n{}", describe(&explain));
        let run = env
            .cmd()
            .args(["-p", profile, "--", "true"])
            .output()
            .unwrap();
        assert!(
            !stderr(&run).contains("could not use profile"),
            "{label}\nawsdo refused it\n{}",
            describe(&run)
        );
        let status = env.cmd().arg("status").output().unwrap();
        assert!(
            !stdout(&status).contains("error"),
            "{label}\n{}",
            describe(&status)
        );
    }
}

/// botocore `Session._build_profile_map` / `ProfileNotFound`: the AWS CLI refuses a profile in
/// neither file; awsdo names both files and a bounded list of the profiles it knows.
#[test]
fn an_unknown_profile_names_both_files() {
    if !util::require("aws") {
        return;
    }
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let env = TestEnv::with_endpoint(&format!("http://{}", listener.local_addr().unwrap()));
    env.write_credentials(KEYS);
    let aws = aws_cli(&env, "nope");
    assert!(
        stderr(&aws).contains("The config profile (nope) could not be found"),
        "{}",
        describe(&aws)
    );
    let wanted = format!(
        "awsdo: could not find profile \"nope\" in {} or {} (known profiles: base); run: awsdo status\n",
        env.config_path().display(),
        env.credentials_path().display()
    );
    for args in [&["-p", "nope", "--", "true"][..], &["explain", "nope"]] {
        let out = env.cmd().args(args).output().unwrap();
        assert!(!out.status.success(), "{}", describe(&out));
        util::eqnice!(wanted, stderr(&out), "awsdo {args:?}");
    }
    assert!(matches!(listener.accept(), Err(e) if e.kind() == ErrorKind::WouldBlock));
}
