//! Tests of the test harness itself (tests/util): each piece does what the other tests rely on.

use crate::util;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::util::http::{self, HttpServer, Response};
use crate::util::moto::Moto;
use crate::util::sso::{self, FakeSso};
use crate::util::sts::{self, Creds, FakeSts};
use crate::util::tmux::Tmux;
use crate::util::{TestEnv, eqnice, run_fail, run_ok, stderr, stdout};

const T: Duration = Duration::from_secs(10);

/// The SSO token cache names files by the SHA-1 of their key (the `sha1` crate); known vectors.
#[test]
fn sha1_known_vectors() {
    eqnice!(
        "da39a3ee5e6b4b0d3255bfef95601890afd80709.json",
        sso::token_file_name("")
    );
    eqnice!(
        "a9993e364706816aba3e25717850c26c9cd0d89d.json",
        sso::token_file_name("abc")
    );
}

#[test]
fn iso8601_formats_utc() {
    let at = |s: u64| UNIX_EPOCH + Duration::from_secs(s);
    eqnice!("1970-01-01T00:00:00Z", util::iso8601(at(0)));
    eqnice!("2000-02-29T12:34:56Z", util::iso8601(at(951_827_696)));
    eqnice!("2026-11-28T18:30:00Z", util::iso8601(at(1_795_890_600)));
}

#[test]
fn form_encoding_round_trips() {
    let body = http::form(&[
        ("Action", "AssumeRole"),
        ("RoleArn", "arn:aws:iam::123456789012:role/a b"),
        ("TokenCode", "123456"),
    ]);
    eqnice!(
        "Action=AssumeRole&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fa+b&TokenCode=123456",
        body
    );
    let m = sts::decode(&body);
    eqnice!("arn:aws:iam::123456789012:role/a b", m["RoleArn"]);
    let m = http::parse_form("a=x+y&b=100%&c=%C3%A9&d=x%20y");
    eqnice!("x y", m["a"]);
    eqnice!("100%", m["b"]);
    eqnice!("é", m["c"]);
    eqnice!("x y", m["d"]);
}

#[test]
fn require_skips_or_panics() {
    assert!(util::require_with("sh", ""));
    assert!(!util::require_with("awsdo-no-such-tool", ""));
    assert!(!util::require_with("awsdo-no-such-tool", "aws,tmux"));
    let listed = std::panic::catch_unwind(|| {
        util::require_with("awsdo-no-such-tool", "x,awsdo-no-such-tool")
    });
    assert!(listed.is_err());
    let all = std::panic::catch_unwind(|| util::require_with("awsdo-no-such-tool", "all"));
    assert!(all.is_err());
    assert!(util::require_with("sh", "all"));
}

#[test]
fn eqnice_shows_labelled_blocks() {
    eqnice!("same", "same");
    let err = std::panic::catch_unwind(|| eqnice!("one\ntwo", "one\nthree", "profile {}", "prod"))
        .unwrap_err();
    let msg = err.downcast_ref::<String>().unwrap();
    assert!(msg.starts_with("profile prod\n"), "{msg}");
    assert!(msg.contains("expected:\n---\none\ntwo\n---"), "{msg}");
    assert!(msg.contains("got:\n---\none\nthree\n---"), "{msg}");
}

#[test]
fn test_env_layout_and_clean_environment() {
    let mut env = TestEnv::with_endpoint("http://127.0.0.1:9");
    env.set_var("AWS_REGION", "us-east-1");
    env.write_config("[profile prod]\nregion = us-east-1\n");
    env.write_credentials("[default]\naws_access_key_id = AKIAFAKE1\n");
    assert!(env.home().join(".aws/config").is_file());
    assert!(env.cache_dir().is_dir());
    eqnice!(
        "[profile prod]\nregion = us-east-1\n",
        std::fs::read_to_string(env.config_path()).unwrap()
    );

    let cmd = env.cmd();
    eqnice!(util::awsdo_bin(), cmd.get_program().to_string_lossy());
    assert!(std::path::Path::new(util::awsdo_bin()).is_file());

    let out = run_ok(env.command("env").arg("-0").env("PATH", "/usr/bin:/bin"));
    let mut got: Vec<String> = stdout(&out)
        .split('\0')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect();
    got.sort();
    let root = env.root().display().to_string();
    let mut want = vec![
        "AWSDO_CACHE_DIR=ROOT/cache".to_string(),
        "AWS_CONFIG_FILE=ROOT/home/.aws/config".into(),
        "AWS_EC2_METADATA_DISABLED=true".into(),
        "AWS_ENDPOINT_URL=http://127.0.0.1:9".into(),
        "AWS_REGION=us-east-1".into(),
        "AWS_SHARED_CREDENTIALS_FILE=ROOT/home/.aws/credentials".into(),
        "HOME=ROOT/home".into(),
        "LANG=C.UTF-8".into(),
        "PATH=/usr/bin:/bin".into(),
    ];
    want.sort();
    eqnice!(want.join("\n"), got.join("\n").replace(&root, "ROOT"));
}

#[test]
fn sh_quote_and_stdin_input() {
    eqnice!("plain/path-1.0", util::sh_quote("plain/path-1.0"));
    eqnice!("''", util::sh_quote(""));
    eqnice!("'it'\\''s $HOME'", util::sh_quote("it's $HOME"));
    let arg = "it's $HOME \"x\"";
    let out = run_ok(
        std::process::Command::new("sh")
            .args(["-c", &format!("printf %s {}", util::sh_quote(arg))]),
    );
    eqnice!(arg, stdout(&out));
    let out = util::run_with_input(&mut std::process::Command::new("cat"), "typed\n");
    eqnice!("typed\n", stdout(&out));
}

/// Writes `request` on `stream` and reads until `upto` has arrived (or the peer closed).
fn exchange(stream: &mut TcpStream, request: &[u8], upto: &str) -> String {
    stream.write_all(request).unwrap();
    stream.set_read_timeout(Some(T)).unwrap();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(upto) {
        match stream.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) => panic!("{e}: {}", String::from_utf8_lossy(&got)),
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

#[test]
fn http_keep_alive_round_trip() {
    let server = HttpServer::start(|req| {
        Response::text(
            200,
            &format!("{} {} {}.", req.method, req.path, req.body_str()),
        )
        .with_header("X-Seen", req.header("x-test").unwrap_or("-"))
    });
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    let first = exchange(
        &mut stream,
        b"POST /one?a=1 HTTP/1.1\r\nHost: x\r\nX-Test: first\r\nContent-Length: 5\r\n\r\nhello",
        "hello.",
    );
    assert!(first.starts_with("HTTP/1.1 200 OK\r\n"), "{first}");
    assert!(
        first.to_ascii_lowercase().contains("\r\nx-seen: first\r\n"),
        "{first}"
    );
    assert!(first.ends_with("\r\n\r\nPOST /one?a=1 hello."), "{first}");
    let second = exchange(&mut stream, b"GET /two HTTP/1.1\r\nHost: x\r\n\r\n", " .");
    assert!(second.ends_with("\r\n\r\nGET /two ."), "{second}");
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2);
    eqnice!("/one", reqs[0].path_only());
    eqnice!("1", reqs[0].query()["a"]);
    eqnice!("hello", reqs[0].body_str());
    eqnice!("first", reqs[0].header("X-TEST").unwrap());

    // A third request with Connection: close ends the connection after the answer.
    let third = exchange(
        &mut stream,
        b"GET /three HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        "\u{0}never",
    );
    assert!(third.ends_with("\r\n\r\nGET /three ."), "{third}");
    assert!(
        third
            .to_ascii_lowercase()
            .contains("\r\nconnection: close\r\n"),
        "{third}"
    );
}

#[test]
fn http_chunked_body_and_expect_continue() {
    let server = HttpServer::start(|req| Response::text(200, &req.body_str()));
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    let interim = exchange(
        &mut stream,
        b"POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nTransfer-Encoding: chunked\r\n\r\n",
        "\r\n\r\n",
    );
    eqnice!("HTTP/1.1 100 Continue\r\n\r\n", interim);
    let resp = exchange(
        &mut stream,
        b"6;ext=1\r\nAction\r\n7\r\n=Assume\r\n0\r\nX-Trailer: t\r\n\r\n",
        "Action=Assume",
    );
    assert!(resp.starts_with("HTTP/1.1 200 OK\r\n"), "{resp}");
    assert!(resp.ends_with("\r\n\r\nAction=Assume"), "{resp}");
}

#[test]
fn http_delay_hang_up_and_stop() {
    let server = HttpServer::start(|req| match req.path.as_str() {
        "/slow" => Response::text(200, "late").with_delay(Duration::from_secs(3)),
        "/hangup" => Response::hang_up(),
        _ => Response::text(404, "no"),
    });
    // A delayed answer trips a client's read timeout.
    let stream = TcpStream::connect(("127.0.0.1", server.port())).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_millis(300)))
        .unwrap();
    (&stream)
        .write_all(b"GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();
    let mut buf = [0u8; 16];
    let err = (&stream).read(&mut buf).unwrap_err();
    assert!(
        matches!(
            err.kind(),
            std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
        ),
        "{err:?}"
    );
    // A hang-up closes without a byte.
    let e = http::get(&server.url(), "/hangup", &[]).unwrap_err();
    eqnice!("UnexpectedEof", format!("{:?}", e.kind()));
    eqnice!(404, http::get(&server.url(), "/other", &[]).unwrap().status);
    assert!(server.wait_for_requests(3, T));
    // Dropping stops the server, even with a connection open in a delayed handler.
    let url = server.url();
    drop(server);
    assert!(http::get(&url, "/other", &[]).is_err());
    // ... and that connection is closed, not left hanging.
    stream.set_read_timeout(Some(T)).unwrap();
    let mut rest = Vec::new();
    let _ = (&stream).read_to_end(&mut rest);
    assert!(rest.is_empty(), "{}", String::from_utf8_lossy(&rest));
}

#[test]
fn sts_builders_make_parseable_xml() {
    let c = Creds::fake_hour("role");
    assert!(c.access_key_id.starts_with("ASIAFAKEROLE"));
    assert!(c.secret_access_key.starts_with("fake-secret-role-"));
    let xml =
        sts::assume_role_response(&c, "arn:aws:iam::111122223333:role/admin", "me").body_str();
    eqnice!(
        format!("{c:?}"),
        format!("{:?}", Creds::from_xml(&xml).unwrap())
    );
    assert!(
        xml.contains("<Arn>arn:aws:sts::111122223333:assumed-role/admin/me</Arn>"),
        "{xml}"
    );
    let err = sts::mfa_rejected();
    eqnice!(403, err.status);
    eqnice!(
        "AccessDenied",
        sts::xml_text(&err.body_str(), "Code").unwrap()
    );
    eqnice!(
        sts::MFA_FAILED_MESSAGE,
        sts::xml_text(&err.body_str(), "Message").unwrap()
    );
    eqnice!(400, sts::throttling().status);
    eqnice!(500, sts::internal_failure().status);
    eqnice!(
        "ExpiredToken",
        sts::xml_text(&sts::expired_token().body_str(), "Code").unwrap()
    );
    let list = sts::list_mfa_devices_response("alice", &["arn:aws:iam::123456789012:mfa/a", "b"]);
    eqnice!(
        "arn:aws:iam::123456789012:mfa/a,b",
        sts::xml_texts(&list.body_str(), "SerialNumber").join(",")
    );
}

fn aws_cli(env: &TestEnv, key: &str, secret: &str) -> std::process::Command {
    let mut c = env.command("aws");
    c.env("AWS_ACCESS_KEY_ID", key)
        .env("AWS_SECRET_ACCESS_KEY", secret)
        .env("AWS_DEFAULT_REGION", "us-east-1")
        .env("AWS_MAX_ATTEMPTS", "1")
        .env("AWS_PAGER", "");
    c
}

#[test]
fn fake_sts_answers_the_aws_cli() {
    if !util::require("aws") {
        return;
    }
    let fake = FakeSts::start(|call| match call.action.as_str() {
        "GetSessionToken" if call.param("TokenCode") != Some("123456") => sts::mfa_rejected(),
        _ => sts::default_answer(call),
    });
    let env = TestEnv::new();
    let out = run_ok(
        aws_cli(&env, "AKIAFAKECLI", "fake-secret-cli")
            .args([
                "sts",
                "get-caller-identity",
                "--output",
                "text",
                "--endpoint-url",
            ])
            .arg(fake.url()),
    );
    assert!(stdout(&out).contains("123456789012"), "{}", stdout(&out));
    let out = run_ok(
        aws_cli(&env, "AKIAFAKECLI", "fake-secret-cli")
            .args([
                "sts",
                "get-session-token",
                "--serial-number",
                "arn:aws:iam::123456789012:mfa/me",
            ])
            .args(["--token-code", "123456", "--endpoint-url"])
            .arg(fake.url()),
    );
    assert!(stdout(&out).contains("ASIAFAKESESSION"), "{}", stdout(&out));
    let out = run_fail(
        aws_cli(&env, "AKIAFAKECLI", "fake-secret-cli")
            .args([
                "sts",
                "get-session-token",
                "--serial-number",
                "arn:aws:iam::123456789012:mfa/me",
            ])
            .args(["--token-code", "000000", "--endpoint-url"])
            .arg(fake.url()),
    );
    assert!(stderr(&out).contains("AccessDenied"), "{}", stderr(&out));
    assert!(
        stderr(&out).contains(sts::MFA_FAILED_MESSAGE),
        "{}",
        stderr(&out)
    );
    eqnice!(
        "GetCallerIdentity,GetSessionToken,GetSessionToken",
        fake.actions().join(",")
    );
    let calls = fake.calls();
    eqnice!("AKIAFAKECLI", calls[0].signing_key_id().unwrap());
    eqnice!("2011-06-15", calls[1].param("Version").unwrap());
    eqnice!(
        "arn:aws:iam::123456789012:mfa/me",
        calls[1].param("SerialNumber").unwrap()
    );
    eqnice!(2, fake.count("GetSessionToken"));
}

#[test]
fn moto_proxy_counts_calls_of_the_aws_cli() {
    if !util::require("aws") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    // The CLI finds the endpoint through AWS_ENDPOINT_URL alone.
    let env = TestEnv::with_endpoint(&moto.url());
    for _ in 0..2 {
        let out = run_ok(aws_cli(&env, "AKIAFAKEMOTO", "fake-secret-moto").args([
            "sts",
            "get-caller-identity",
            "--query",
            "Account",
            "--output",
            "text",
        ]));
        eqnice!("123456789012\n", stdout(&out));
    }
    eqnice!(2, moto.count("GetCallerIdentity"));
    eqnice!(
        "GetCallerIdentity,GetCallerIdentity",
        moto.calls().join(",")
    );
    moto.reset_calls();
    eqnice!(0, moto.calls().len());
    // Setup calls go straight to moto and are not counted.
    moto.create_user("bob");
    eqnice!(0, moto.calls().len());
}

#[test]
fn moto_iam_user_virtual_mfa_and_sts() {
    if !util::require("aws") {
        return;
    }
    let Some(moto) = Moto::start() else { return };
    let (key, secret) = moto.create_user("alice");
    assert!(key.starts_with("AKIA"), "{key}");
    let serial = moto.create_virtual_mfa("alice");
    eqnice!("arn:aws:iam::123456789012:mfa/alice", serial);
    eqnice!(serial, moto.list_mfa_devices("alice").join(","));
    let env = TestEnv::with_endpoint(&moto.url());
    let out = run_ok(aws_cli(&env, &key, &secret).args([
        "iam",
        "list-mfa-devices",
        "--user-name",
        "alice",
        "--query",
        "MFADevices[].SerialNumber",
        "--output",
        "text",
    ]));
    eqnice!(format!("{serial}\n"), stdout(&out));
    // The user's own key identifies the user.
    let out = run_ok(aws_cli(&env, &key, &secret).args([
        "sts",
        "get-caller-identity",
        "--query",
        "Arn",
        "--output",
        "text",
    ]));
    eqnice!("arn:aws:iam::123456789012:user/alice\n", stdout(&out));
    // Any MFA code is accepted.
    let out = run_ok(aws_cli(&env, &key, &secret).args([
        "sts",
        "get-session-token",
        "--serial-number",
        &serial,
        "--token-code",
        "000000",
        "--query",
        "Credentials.AccessKeyId",
        "--output",
        "text",
    ]));
    assert!(!stdout(&out).trim().is_empty());
    // AssumeRole works on a created role and on one that does not exist.
    let role = moto.create_role("admin");
    eqnice!("arn:aws:iam::123456789012:role/admin", role);
    for arn in [
        role.as_str(),
        "arn:aws:iam::123456789012:role/never-created",
    ] {
        let out = run_ok(aws_cli(&env, &key, &secret).args([
            "sts",
            "assume-role",
            "--role-arn",
            arn,
            "--role-session-name",
            "tester",
            "--query",
            "AssumedRoleUser.Arn",
            "--output",
            "text",
        ]));
        let name = arn.rsplit('/').next().unwrap();
        eqnice!(
            format!("arn:aws:sts::123456789012:assumed-role/{name}/tester\n"),
            stdout(&out)
        );
    }
    eqnice!(
        "ListMFADevices,GetCallerIdentity,GetSessionToken,AssumeRole,AssumeRole",
        moto.calls().join(",")
    );
}

#[test]
fn fake_sso_answers_get_role_credentials() {
    let sso = FakeSso::start("good-token");
    sso.allow("111122223333", "Admin");
    let path = "/federation/credentials?role_name=Admin&account_id=111122223333";
    let ok = http::get(
        &sso.url(),
        path,
        &[("x-amz-sso_bearer_token", "good-token")],
    )
    .unwrap();
    eqnice!(200, ok.status);
    let body = ok.body_str();
    assert!(
        body.starts_with("{\"roleCredentials\":{\"accessKeyId\":\"ASIAFAKESSO"),
        "{body}"
    );
    let millis: u128 = body
        .rsplit("\"expiration\":")
        .next()
        .unwrap()
        .trim_end_matches('}')
        .parse()
        .unwrap();
    assert!(millis > util::epoch_millis(SystemTime::now()));
    let bad = http::get(&sso.url(), path, &[("x-amz-sso_bearer_token", "wrong")]).unwrap();
    eqnice!(401, bad.status);
    eqnice!(
        "UnauthorizedException",
        bad.header("x-amzn-errortype").unwrap()
    );
    let other = "/federation/credentials?role_name=Other&account_id=111122223333";
    let forbidden = http::get(
        &sso.url(),
        other,
        &[("x-amz-sso_bearer_token", "good-token")],
    )
    .unwrap();
    eqnice!(403, forbidden.status);
    eqnice!(3, sso.count());
}

#[test]
fn sso_token_cache_file() {
    let env = TestEnv::new();
    let p = env.write_sso_token(
        "my-sso",
        "https://example.awsapps.com/start",
        "us-east-1",
        "good-token",
        Duration::from_secs(3600),
    );
    eqnice!(
        env.home()
            .join(".aws/sso/cache")
            .join(sso::token_file_name("my-sso"))
            .display(),
        p.display()
    );
    let text = std::fs::read_to_string(&p).unwrap();
    assert!(
        text.starts_with(
            "{\"startUrl\":\"https://example.awsapps.com/start\",\"region\":\"us-east-1\",\
             \"accessToken\":\"good-token\",\"expiresAt\":\""
        ),
        "{text}"
    );
    assert!(text.ends_with("Z\"}"), "{text}");
    // Legacy profiles key the file by start URL; checked against sha1sum when present.
    let name = sso::token_file_name("https://example.awsapps.com/start");
    if util::find_tool("sha1sum").is_some() {
        let out = run_ok(std::process::Command::new("sh").args([
            "-c",
            "printf %s https://example.awsapps.com/start | sha1sum",
        ]));
        eqnice!(format!("{}.json", &stdout(&out)[..40]), name);
    }
}

#[test]
fn tmux_drives_an_interactive_program() {
    if !util::require("bash") {
        return;
    }
    let env = TestEnv::new();
    let Some(t) = Tmux::start(
        "bash -c 'printf \"code: \"; read -r x; echo got:$x; exit 3'",
        &env.env_vars(),
    ) else {
        return;
    };
    assert!(t.wait_for("code:", T), "{}", t.screen());
    assert_eq!(t.exit_status(), None);
    t.send_keys("123456");
    assert!(t.wait_for("got:123456", T), "{}", t.screen());
    assert_eq!(t.wait_exit(T), Some(3), "{}", t.screen());
}

// The AWS SDK for Rust, the client awsdo itself uses, against the fakes and moto: the
// fakes speak its HTTP (hyper) and its XML/JSON parsers read their answers.

fn sdk_runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn sts_client(url: &str) -> aws_sdk_sts::Client {
    use aws_sdk_sts::config::{BehaviorVersion, Credentials, Region};
    let conf = aws_sdk_sts::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(url)
        .credentials_provider(Credentials::new(
            "AKIAFAKESDK",
            "fake-secret-sdk",
            None,
            None,
            "harness",
        ))
        .build();
    aws_sdk_sts::Client::from_conf(conf)
}

#[test]
fn aws_sdk_for_rust_talks_to_fake_sts() {
    let fake = FakeSts::start(|call| match call.param("TokenCode") {
        Some("000000") => sts::mfa_rejected(),
        _ => sts::default_answer(call),
    });
    let client = sts_client(&fake.url());
    sdk_runtime().block_on(async {
        let out = client
            .assume_role()
            .role_arn("arn:aws:iam::111122223333:role/admin")
            .role_session_name("harness")
            .serial_number("arn:aws:iam::123456789012:mfa/me")
            .token_code("123456")
            .send()
            .await
            .unwrap();
        let creds = out.credentials().unwrap();
        assert!(creds.access_key_id().starts_with("ASIAFAKEROLE"));
        assert!(creds.expiration().secs() > 0);
        eqnice!(
            "arn:aws:sts::111122223333:assumed-role/admin/harness",
            out.assumed_role_user().unwrap().arn()
        );
        let err = client
            .get_session_token()
            .serial_number("arn:aws:iam::123456789012:mfa/me")
            .token_code("000000")
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        use aws_sdk_sts::error::ProvideErrorMetadata;
        eqnice!("AccessDenied", err.code().unwrap_or("-"));
        eqnice!(sts::MFA_FAILED_MESSAGE, err.message().unwrap_or("-"));
    });
    let calls = fake.calls();
    eqnice!("AssumeRole,GetSessionToken", fake.actions().join(","));
    eqnice!("AKIAFAKESDK", calls[0].signing_key_id().unwrap());
    eqnice!("123456", calls[0].param("TokenCode").unwrap());
    // The SDK frames its query-protocol bodies with Content-Length, not chunked.
    let req = &calls[0].request;
    assert!(req.header("content-length").is_some(), "{:?}", req.headers);
    assert!(
        req.header("transfer-encoding").is_none(),
        "{:?}",
        req.headers
    );
}

#[test]
fn aws_sdk_for_rust_through_the_moto_proxy() {
    let Some(moto) = Moto::start() else { return };
    let client = sts_client(&moto.url());
    sdk_runtime().block_on(async {
        let id = client.get_caller_identity().send().await.unwrap();
        eqnice!("123456789012", id.account().unwrap());
        let out = client
            .get_session_token()
            .serial_number("arn:aws:iam::123456789012:mfa/me")
            .token_code("123456")
            .send()
            .await
            .unwrap();
        assert!(out.credentials().is_some());
    });
    eqnice!("GetCallerIdentity,GetSessionToken", moto.calls().join(","));
}

#[test]
fn aws_sdk_for_rust_reads_fake_sso() {
    use aws_sdk_sso::config::{BehaviorVersion, Region};
    let sso = FakeSso::start("good-token");
    let conf = aws_sdk_sso::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(sso.url())
        .build();
    let client = aws_sdk_sso::Client::from_conf(conf);
    sdk_runtime().block_on(async {
        let out = client
            .get_role_credentials()
            .role_name("Admin")
            .account_id("111122223333")
            .access_token("good-token")
            .send()
            .await
            .unwrap();
        let creds = out.role_credentials().unwrap();
        assert!(creds.access_key_id().unwrap().starts_with("ASIAFAKESSO"));
        assert!(creds.expiration() > 1_700_000_000_000);
        let err = client
            .get_role_credentials()
            .role_name("Admin")
            .account_id("111122223333")
            .access_token("stale-token")
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        assert!(err.is_unauthorized_exception(), "{err:?}");
    });
    eqnice!(2, sso.count());
}

#[test]
fn aws_sdk_for_rust_on_hang_up_and_throttling() {
    // A hang-up is a transient dispatch failure, throttling a retryable error: the SDK's
    // standard retry makes 3 attempts of each before giving up.
    let fake = FakeSts::start(|call| match call.action.as_str() {
        "GetCallerIdentity" => Response::hang_up(),
        _ => sts::throttling(),
    });
    let client = sts_client(&fake.url());
    sdk_runtime().block_on(async {
        assert!(client.get_caller_identity().send().await.is_err());
        let err = client
            .get_session_token()
            .send()
            .await
            .unwrap_err()
            .into_service_error();
        use aws_sdk_sts::error::ProvideErrorMetadata;
        eqnice!("Throttling", err.code().unwrap_or("-"));
    });
    eqnice!(3, fake.count("GetCallerIdentity"));
    eqnice!(3, fake.count("GetSessionToken"));
}
