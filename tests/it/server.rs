//! `awsdo --server -- COMMAND` (DESIGN §9, issue 12): the local credential endpoint.
//!
//! The STS here issues short sessions and refuses calls signed with an expired (or unknown)
//! session key with ExpiredToken, so a client that is handed stale credentials fails: the
//! tests run real clients (botocore, the AWS CLI v1, the Rust SDK's default chain) through
//! several session lifetimes. No timing assertions, except bounds on hangs.

use std::collections::{BTreeSet, HashMap};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use crate::util;
use crate::util::TestEnv;
use crate::util::sts::{self, Creds, FakeSts, StsCall};

/// The static keys of `[base]`, which assume the roles.
const BASE_KEY: &str = "AKIAIOSFODNN7EXAMPLE";
/// The keys of `[default]` in the user's files: they must never sign a call of the command.
const DEFAULT_KEY: &str = "AKIAIOSFODNN7DEFAULT";

/// A fake STS whose sessions last `life`; calls signed by a session key it did not issue, or
/// that has expired, get ExpiredToken. Long-lived keys other than `[base]`'s are refused.
struct ShortSts {
    fake: FakeSts,
}

impl ShortSts {
    fn start(life: Duration) -> ShortSts {
        let issued: Arc<Mutex<HashMap<String, SystemTime>>> = Arc::default();
        let fake = FakeSts::start(move |call: &StsCall| {
            let key = call.signing_key_id().unwrap_or_default();
            if key.starts_with("ASIA") {
                let alive = issued
                    .lock()
                    .unwrap()
                    .get(&key)
                    .is_some_and(|exp| SystemTime::now() < *exp);
                if !alive {
                    return sts::expired_token();
                }
            } else if key != BASE_KEY {
                return sts::invalid_client_token_id();
            }
            let fresh = |tag: &str| {
                let c = Creds::fake(tag, life);
                issued
                    .lock()
                    .unwrap()
                    .insert(c.access_key_id.clone(), SystemTime::now() + life);
                c
            };
            match call.action.as_str() {
                "AssumeRole" => sts::assume_role_response(
                    &fresh("role"),
                    call.param("RoleArn").unwrap_or_default(),
                    call.param("RoleSessionName").unwrap_or("s"),
                ),
                "GetSessionToken" => sts::get_session_token_response(&fresh("mfa")),
                "GetCallerIdentity" => sts::get_caller_identity_response(
                    sts::ACCOUNT,
                    "arn:aws:sts::123456789012:assumed-role/app/s",
                    &key,
                ),
                _ => sts::default_answer(call),
            }
        });
        ShortSts { fake }
    }
}

/// A world with `[default]` keys in both files, `[base]` keys, the role profile `app` and the
/// MFA role profile `mfa`; sessions renewed when less than `min_ttl` is left.
fn world(sts: &ShortSts, min_ttl: &str) -> TestEnv {
    let mut env = TestEnv::with_endpoint(&sts.fake.url());
    env.write_config(
        "[default]\nregion = us-east-1\naws_access_key_id = AKIAIOSFODNN7DEFAULT\naws_secret_access_key = default-config-secret\n\n\
         [profile app]\nrole_arn = arn:aws:iam::123456789012:role/app\nsource_profile = base\nregion = eu-west-1\n\n\
         [profile other]\nrole_arn = arn:aws:iam::123456789012:role/other\nsource_profile = base\nregion = eu-west-1\n\n\
         [profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/mfa\nsource_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/user\nregion = eu-west-1\n",
    );
    env.write_credentials(&format!(
        "[default]\naws_access_key_id = {DEFAULT_KEY}\naws_secret_access_key = default-secret\n\n\
         [base]\naws_access_key_id = {BASE_KEY}\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n"
    ));
    env.set_var("AWSDO_MIN_TTL", min_ttl);
    env
}

/// `awsdo --server -p PROFILE` running a shell that prints the endpoint and token, then
/// waits for stdin to close (or a signal) and exits 7.
struct Served {
    child: Child,
    uri: String,
    token: String,
    port: u16,
    path: String,
    stderr: Arc<Mutex<String>>,
}

impl Served {
    fn start(env: &TestEnv, profile: &str, extra: &[&str]) -> Served {
        let mut cmd = env.cmd();
        cmd.args(["--server", "-p", profile])
            .args(extra)
            .args([
                "--",
                "sh",
                "-c",
                "printf '%s\\n%s\\n' \"$AWS_CONTAINER_CREDENTIALS_FULL_URI\" \"$AWS_CONTAINER_AUTHORIZATION_TOKEN\"; read -r line; exit 7",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("start awsdo --server");
        let stderr = Arc::new(Mutex::new(String::new()));
        {
            let mut pipe = child.stderr.take().unwrap();
            let stderr = stderr.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    stderr
                        .lock()
                        .unwrap()
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            });
        }
        let lines = read_lines(child.stdout.take().unwrap(), 2, Duration::from_secs(60));
        let Some([uri, token]) = lines.as_deref().map(|l| [l[0].clone(), l[1].clone()]) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "awsdo --server printed no endpoint; stderr: {}",
                stderr.lock().unwrap()
            );
        };
        let rest = uri.strip_prefix("http://127.0.0.1:").expect(&uri);
        let (port, path) = rest.split_at(rest.find('/').unwrap());
        Served {
            port: port.parse().unwrap(),
            path: path.to_owned(),
            uri,
            token,
            child,
            stderr,
        }
    }

    /// A request with the right path, token and Host.
    fn get(&self) -> (u16, String) {
        let host = format!("127.0.0.1:{}", self.port);
        raw(
            self.port,
            &format!(
                "GET {} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {}\r\nAccept: application/json\r\n\r\n",
                self.path, self.token
            ),
        )
    }

    /// The helper: the one child process of the command.
    fn helper(&self) -> u32 {
        let kids = children_of(self.child.id());
        assert_eq!(
            kids.len(),
            1,
            "the command has one child, the helper: {kids:?}"
        );
        kids[0]
    }

    fn stop(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `n` lines from `out` within `limit` (a hang bound), else `None`.
fn read_lines(out: ChildStdout, n: usize, limit: Duration) -> Option<Vec<String>> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut lines = BufReader::new(out).lines();
        let got: Vec<String> = (0..n).map_while(|_| lines.next()?.ok()).collect();
        let _ = tx.send(got);
    });
    rx.recv_timeout(limit).ok().filter(|l| l.len() == n)
}

/// Send `request` as is to 127.0.0.1:`port`; the status and body of the answer.
fn raw(port: u16, request: &str) -> (u16, String) {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect to the endpoint");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut text = String::new();
    s.read_to_string(&mut text).expect("an answer");
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line: {text:?}"));
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

/// The pids whose parent is `pid` (from /proc).
fn children_of(pid: u32) -> Vec<u32> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(child) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{child}/stat")) else {
            continue;
        };
        // pid (comm) state ppid …: comm may hold spaces, so read after the last ')'.
        let after = &stat[stat.rfind(')').unwrap() + 2..];
        let mut fields = after.split_whitespace();
        let state = fields.next().unwrap_or("");
        if fields.next().and_then(|p| p.parse().ok()) == Some(pid) && state != "Z" {
            out.push(child);
        }
    }
    out
}

/// Whether `pid` is gone (or a zombie, which holds no socket or file) within a hang bound.
fn gone(pid: u32) -> bool {
    let until = Instant::now() + Duration::from_secs(10);
    while Instant::now() < until {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            Ok(stat) if stat[stat.rfind(')').unwrap() + 2..].starts_with('Z') => return true,
            Ok(_) => std::thread::sleep(Duration::from_millis(50)),
        }
    }
    false
}

/// Whether anything listens on 127.0.0.1:`port` (from /proc/net/tcp: state 0A is LISTEN).
fn listening(port: u16) -> bool {
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap();
    let local = format!("0100007F:{port:04X}");
    table.lines().skip(1).any(|l| {
        let f: Vec<&str> = l.split_whitespace().collect();
        f.get(1) == Some(&local.as_str()) && f.get(3) == Some(&"0A")
    })
}

fn json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body:?}"))
}

#[test]
fn the_endpoint_answers_only_the_exact_request() {
    let sts = ShortSts::start(Duration::from_secs(3600));
    let env = world(&sts, "15m");
    let s = Served::start(&env, "app", &[]);
    let (status, body) = s.get();
    assert_eq!(status, 200, "{body}");
    let v = json(&body);
    assert!(
        v["AccessKeyId"]
            .as_str()
            .unwrap()
            .starts_with("ASIAFAKEROLE"),
        "{v}"
    );
    assert!(
        v["SecretAccessKey"].as_str().is_some() && v["Token"].as_str().is_some(),
        "{v}"
    );
    assert!(v["Expiration"].as_str().unwrap().ends_with('Z'), "{v}");
    assert_eq!(v["AccountId"], "123456789012");
    // The token: at least 128 bits of hex.
    assert!(
        s.token.len() >= 32 && s.token.bytes().all(|b| b.is_ascii_hexdigit()),
        "{}",
        s.token
    );
    assert!(s.path.len() >= 33, "{}", s.path);

    let p = s.port;
    let host = format!("127.0.0.1:{p}");
    let (path, token) = (s.path.as_str(), s.token.as_str());
    let wrong = token.chars().rev().collect::<String>();
    let short = &token[..token.len() - 1];
    let long = format!("{token}0");
    let cases = [
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\n\r\n"),
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {wrong}\r\n\r\n"),
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {short}\r\n\r\n"),
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {long}\r\n\r\n"),
        format!("GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n\r\n"),
        format!(
            "GET {path} HTTP/1.1\r\nHost: attacker.example:{p}\r\nAuthorization: {token}\r\n\r\n"
        ),
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {token}\r\n\r\n"),
        format!("GET {path} HTTP/1.1\r\nAuthorization: {token}\r\n\r\n"),
        format!("GET {path} HTTP/1.0\r\nAuthorization: {token}\r\n\r\n"),
        format!("GET / HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n"),
        format!("GET {path}/ HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n"),
        format!("GET {path}?role=admin HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n"),
        format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\nContent-Length: 0\r\n\r\n"
        ),
        format!("PUT {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n"),
        format!("DELETE {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n"),
        format!("HEAD {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: {token}\r\n\r\n"),
        "garbage\r\n\r\n".to_owned(),
    ];
    for req in &cases {
        let (status, body) = raw(p, req);
        assert_eq!((status, body.as_str()), (403, ""), "{req:?}");
    }
    // localhost is the other name of the endpoint.
    let ok =
        format!("GET {path} HTTP/1.1\r\nHost: localhost:{p}\r\nAuthorization: {token}\r\n\r\n");
    assert_eq!(raw(p, &ok).0, 200);
    // An oversized head is cut off with 403 too.
    let big = format!(
        "GET {path} HTTP/1.1\r\nX: {}\r\n\r\n",
        "a".repeat(64 * 1024)
    );
    let mut conn = TcpStream::connect(("127.0.0.1", p)).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let _ = conn.write_all(big.as_bytes());
    let mut answer = String::new();
    let _ = conn.read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 403"), "{answer:?}");
    // The token is in no process's argv, and not in awsdo's stderr.
    let helper = s.helper();
    let argv = std::fs::read(format!("/proc/{helper}/cmdline")).unwrap();
    assert!(!String::from_utf8_lossy(&argv).contains(token));
    assert!(!s.stderr.lock().unwrap().contains(token));
    s.stop();
}

#[test]
fn the_command_sees_an_endpoint_and_no_keys_or_profile() {
    let sts = ShortSts::start(Duration::from_secs(3600));
    let mut env = world(&sts, "15m");
    env.set_var("AWS_PROFILE", "app");
    env.set_var("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7INHERIT");
    env.set_var("AWS_SECRET_ACCESS_KEY", "inherited-secret");
    env.set_var(
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "/nonexistent/token",
    );
    let out = util::run_ok(env.cmd().args(["--server", "--", "env"]));
    let text = util::stdout(&out);
    let vars: HashMap<&str, &str> = text.lines().filter_map(|l| l.split_once('=')).collect();
    for gone in [
        "AWS_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_CREDENTIAL_EXPIRATION",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    ] {
        assert!(
            !vars.contains_key(gone),
            "{gone} reached the command: {vars:?}"
        );
    }
    assert!(vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"].starts_with("http://127.0.0.1:"));
    assert_eq!(vars["AWS_REGION"], "eu-west-1");
    assert_eq!(vars["AWS_DEFAULT_REGION"], "eu-west-1");
    assert_eq!(vars["AWS_SHARED_CREDENTIALS_FILE"], "/dev/null");
    assert_eq!(vars["AWS_CONFIG_FILE"], "/dev/null");
    // AWSDO_SERVER=1 is --server.
    env.set_var("AWSDO_SERVER", "1");
    let out = util::run_ok(env.cmd().args(["--", "env"]));
    assert!(util::stdout(&out).contains("AWS_CONTAINER_CREDENTIALS_FULL_URI="));
    assert!(!util::stdout(&out).contains("AWS_SECRET_ACCESS_KEY="));
}

/// The Python run by the botocore test: calls for `seconds`, printing the key that signed
/// each call (the fake's UserId); exits 1 at the first failure.
const BOTOCORE_LOOP: &str = r#"
import sys, time, botocore.session
s = botocore.session.get_session()
sts = s.create_client("sts")
end = time.time() + float(sys.argv[1])
while time.time() < end:
    print(sts.get_caller_identity()["UserId"], flush=True)
    time.sleep(0.3)
"#;

#[test]
fn botocore_keeps_working_across_session_lifetimes_and_ignores_default_keys() {
    if !util::require("aws") {
        return;
    }
    // 8-second sessions renewed 4 seconds before expiry: 20 seconds span several lifetimes.
    let sts = ShortSts::start(Duration::from_secs(8));
    let env = world(&sts, "4s");
    let out = util::run_ok(env.cmd().args([
        "--server",
        "-p",
        "app",
        "--",
        "python3",
        "-c",
        BOTOCORE_LOOP,
        "20",
    ]));
    let keys: Vec<String> = util::stdout(&out).lines().map(str::to_owned).collect();
    let distinct: BTreeSet<&String> = keys.iter().collect();
    assert!(distinct.len() >= 3, "several sessions served: {keys:?}");
    for k in &keys {
        assert!(
            k.starts_with("ASIAFAKEROLE"),
            "signed with {k}, not a served session"
        );
    }
    assert!(!keys.iter().any(|k| k == DEFAULT_KEY));
    // One AssumeRole per session: every call's result was served.
    let issued = sts.fake.count("AssumeRole");
    assert!(
        issued <= distinct.len() + 1,
        "{issued} AssumeRole for {} sessions",
        distinct.len()
    );
}

#[test]
fn the_aws_cli_keeps_working_across_session_lifetimes() {
    if !util::require("aws") {
        return;
    }
    let sts = ShortSts::start(Duration::from_secs(8));
    let env = world(&sts, "4s");
    let script = "end=$(( $(date +%s) + 18 )); while [ \"$(date +%s)\" -lt \"$end\" ]; do \
                  aws sts get-caller-identity --query UserId --output text || exit 1; sleep 1; done";
    let out = util::run_ok(
        env.cmd()
            .args(["--server", "-p", "app", "--", "sh", "-c", script]),
    );
    let keys: BTreeSet<String> = util::stdout(&out).lines().map(str::to_owned).collect();
    assert!(keys.len() >= 2, "{keys:?}");
    assert!(
        keys.iter().all(|k| k.starts_with("ASIAFAKEROLE")),
        "{keys:?}"
    );
}

/// Run by `the_rust_sdk_container_provider_wins_over_default_keys` under `awsdo --server`:
/// the Rust SDK's default credential chain, in the environment awsdo gave it. In the ordinary
/// run (no `AWSDO_TEST_RUST_SDK_CHILD`) it returns at once: it is the child half of that test,
/// not ignored, so the suite's `skipped` count stays 0.
#[test]
fn rust_sdk_default_chain_child() {
    if std::env::var_os("AWSDO_TEST_RUST_SDK_CHILD").is_none() {
        return;
    }
    use aws_credential_types::provider::ProvideCredentials;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let key = rt.block_on(async {
        let chain = aws_config::default_provider::credentials::DefaultCredentialsChain::builder()
            .build()
            .await;
        chain
            .provide_credentials()
            .await
            .map(|c| c.access_key_id().to_owned())
    });
    println!("KEY={}", key.expect("credentials from the chain"));
}

#[test]
fn the_rust_sdk_container_provider_wins_over_default_keys() {
    let sts = ShortSts::start(Duration::from_secs(3600));
    let mut env = world(&sts, "15m");
    env.set_var("AWSDO_TEST_RUST_SDK_CHILD", "1");
    let me = std::env::current_exe().unwrap();
    let out = util::run_ok(
        env.cmd()
            .args(["--server", "-p", "app", "--"])
            .arg(me)
            .args([
                "rust_sdk_default_chain_child",
                "--nocapture",
                "--test-threads=1",
            ]),
    );
    let text = util::stdout(&out);
    let key = text
        .lines()
        .find_map(|l| Some(l.split_once("KEY=")?.1))
        .unwrap_or_else(|| panic!("the child printed no key: {}", util::describe(&out)));
    assert!(key.starts_with("ASIAFAKEROLE"), "{key}");
}

#[test]
fn fifty_concurrent_clients_and_two_helpers_make_one_sts_call_per_renewal() {
    let sts = ShortSts::start(Duration::from_secs(6));
    let env = world(&sts, "3s");
    let a = Arc::new(Served::start(&env, "app", &[]));
    let b = Served::start(&env, "app", &[]);
    let seen: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let until = Instant::now() + Duration::from_secs(10);
    let workers: Vec<_> = (0..50)
        .map(|_| {
            let (a, seen) = (a.clone(), seen.clone());
            std::thread::spawn(move || {
                while Instant::now() < until {
                    let (status, body) = a.get();
                    assert_eq!(status, 200, "{body}");
                    let key = json(&body)["AccessKeyId"].as_str().unwrap().to_owned();
                    seen.lock().unwrap().insert(key);
                }
            })
        })
        .collect();
    let mut seen_b = BTreeSet::new();
    while Instant::now() < until {
        let (status, body) = b.get();
        assert_eq!(status, 200, "{body}");
        seen_b.insert(json(&body)["AccessKeyId"].as_str().unwrap().to_owned());
        std::thread::sleep(Duration::from_millis(100));
    }
    for w in workers {
        w.join().expect("a client failed");
    }
    let seen_a = seen.lock().unwrap().clone();
    let issued = sts.fake.count("AssumeRole");
    assert!(seen_a.len() >= 2, "a renewal happened: {seen_a:?}");
    // Both helpers served the same sessions, each made by one call.
    let all: BTreeSet<&String> = seen_a.iter().chain(&seen_b).collect();
    assert!(
        issued <= all.len() + 1,
        "{issued} AssumeRole for {} sessions: {seen_a:?} {seen_b:?}",
        all.len()
    );
    let shared = seen_a.intersection(&seen_b).count();
    assert!(
        shared + 1 >= seen_a.len().max(seen_b.len()),
        "{seen_a:?} vs {seen_b:?}"
    );
    Arc::try_unwrap(a).ok().unwrap().stop();
    b.stop();
}

#[test]
fn a_renewal_that_needs_mfa_answers_503_then_serves_the_session_awsdo_login_caches() {
    let sts = ShortSts::start(Duration::from_secs(10));
    let env = world(&sts, "5s");
    let s = Served::start(&env, "mfa", &["-c", "123456"]);
    let first = json(&s.get().1)["AccessKeyId"].as_str().unwrap().to_owned();
    // Wait (bounded) for the session to run out: the renewal needs a code.
    let until = Instant::now() + Duration::from_secs(40);
    let body = loop {
        assert!(Instant::now() < until, "no 503 after expiry");
        let asked = Instant::now();
        let (status, body) = s.get();
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "the endpoint hung"
        );
        if status == 503 {
            break body;
        }
        assert_eq!(status, 200, "{body}");
        std::thread::sleep(Duration::from_millis(200));
    };
    let v = json(&body);
    assert_eq!(v["Code"], "MfaNeeded");
    assert!(
        v["Message"].as_str().unwrap().contains("awsdo login mfa"),
        "{v}"
    );
    let said = s.stderr.lock().unwrap().clone();
    assert_eq!(
        said.matches("awsdo login mfa").count(),
        1,
        "one line: {said:?}"
    );
    assert!(!said.contains(&s.token));
    util::run_ok(env.cmd().args(["login", "mfa", "-c", "654321"]));
    let until = Instant::now() + Duration::from_secs(20);
    loop {
        assert!(Instant::now() < until, "the new session was not served");
        let (status, body) = s.get();
        if status == 200 {
            let key = json(&body)["AccessKeyId"].as_str().unwrap().to_owned();
            assert_ne!(key, first);
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    s.stop();
}

#[test]
fn the_helper_dies_with_the_command_whatever_ends_it() {
    let sts = ShortSts::start(Duration::from_secs(3600));
    let env = world(&sts, "15m");
    for how in ["exit", "TERM", "KILL"] {
        let mut s = Served::start(&env, "app", &[]);
        let helper = s.helper();
        assert_eq!(s.get().0, 200);
        assert!(listening(s.port));
        let status = match how {
            "exit" => {
                s.child.stdin.take().unwrap().write_all(b"done\n").unwrap();
                s.child.wait().unwrap()
            }
            sig => {
                util::run_ok(
                    Command::new("kill").args([&format!("-{sig}"), &s.child.id().to_string()]),
                );
                s.child.wait().unwrap()
            }
        };
        // The exit status and the signal are the command's own.
        use std::os::unix::process::ExitStatusExt;
        match how {
            "exit" => assert_eq!(status.code(), Some(7)),
            "TERM" => assert_eq!(status.signal(), Some(15)),
            _ => assert_eq!(status.signal(), Some(9)),
        }
        assert!(gone(helper), "{how}: helper {helper} still running");
        // A dead leader shows as a zombie while its other threads finish exiting (they hold
        // the socket until the last one is gone): wait for that too, bounded.
        let until = Instant::now() + Duration::from_secs(10);
        while listening(s.port) && Instant::now() < until {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!listening(s.port), "{how}: port {} still listening", s.port);
        assert!(TcpStream::connect(("127.0.0.1", s.port)).is_err(), "{how}");
        let _ = &s.uri;
    }
}

#[test]
fn server_needs_a_command_and_credentials_that_expire() {
    let sts = ShortSts::start(Duration::from_secs(3600));
    let env = world(&sts, "15m");
    let out = util::run_fail(env.cmd().args(["--server", "-p", "app"]));
    assert!(
        util::stderr(&out).contains("--server goes with a command"),
        "{}",
        util::describe(&out)
    );
    let out = util::run_fail(env.cmd().args(["--server", "explain", "app"]));
    assert!(
        util::stderr(&out).contains("--server only goes with awsdo alone"),
        "{}",
        util::describe(&out)
    );
    // Long-lived keys used as they are: nothing to renew, so nothing to serve.
    env.write_config("[profile keys]\nregion = us-east-1\n");
    env.write_credentials(&format!(
        "[keys]\naws_access_key_id = {BASE_KEY}\naws_secret_access_key = secret\naws_session_token = tok\n"
    ));
    let out = util::run_fail(env.cmd().args(["--server", "-p", "keys", "--", "true"]));
    let err = util::stderr(&out);
    assert!(
        err.contains("could not serve credentials for profile \"keys\"")
            && err.contains("without --server"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

/// Hook server mode in `sh`: `awsdo use app`, then `awsdo use other`, with `AWSDO_SERVER=1`.
/// The shell and what it starts hold no key; the AWS CLI works after each switch; a process
/// started under app keeps app's endpoint after the switch; the helpers and their private
/// files are gone once the shell exits.
fn check_hook_server(sh: &str) {
    if !util::require(sh) || !util::require("aws") {
        return;
    }
    let sts = ShortSts::start(Duration::from_secs(3600));
    let mut env = world(&sts, "15m");
    env.set_var("AWSDO_SERVER", "1");
    let hook = util::stdout(&util::run_ok(env.cmd().args(["hook", sh])));
    let file = env.write_file(&format!("hook.{sh}"), &hook);
    let file = file.to_str().unwrap();
    let flags: &[&str] = match sh {
        "fish" => &["--no-config", "--private", "-c"],
        "zsh" => &["--no-rcs", "--no-globalrcs", "-eu", "-c"],
        _ => &["--noprofile", "--norc", "-euo", "pipefail", "-c"],
    };
    // A process started under app that calls AWS after the switch to other.
    let old = "sh -c 'sleep 3; aws sts get-caller-identity --query UserId --output text > idold; env > envold' </dev/null >/dev/null 2>&1 &";
    // app through the prompt hook (AWS_PROFILE set, then a prompt), other through `awsdo
    // use`; a second's pause before each call: a helper that watched a passing process instead
    // of the shell would be gone by then.
    let (set_app, prompt) = match sh {
        "fish" => ("set -gx AWS_PROFILE app", "emit fish_prompt"),
        "zsh" => (
            "export AWS_PROFILE=app",
            "for f in $precmd_functions; do $f; done",
        ),
        _ => (
            "export AWS_PROFILE=app",
            "for c in \"${PROMPT_COMMAND[@]}\"; do eval \"$c\"; done",
        ),
    };
    let script = format!(
        "source '{file}'\n{set_app}\n{prompt}\nsleep 1\n\
         aws sts get-caller-identity --query UserId --output text > id1\n\
         env > env1\n{old}\n\
         awsdo use other\nsleep 1\n\
         aws sts get-caller-identity --query UserId --output text > id2\n\
         env > env2\nwait\n"
    );
    let mut cmd = env.command(util::find_tool(sh).unwrap());
    cmd.args(flags).arg(&script).stdin(Stdio::null());
    // SAFETY: setsid is async-signal-safe: no controlling terminal, as in tests/hook.rs.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut cmd, || {
            libc::setsid();
            Ok(())
        });
    }
    let out = cmd.output().unwrap();
    let read = |name: &str| std::fs::read_to_string(env.root().join(name)).unwrap_or_default();
    assert!(out.status.success(), "{sh}: {}", util::describe(&out));
    let vars = |text: &str| -> HashMap<String, String> {
        text.lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    };
    let (env1, env2, envold) = (
        vars(&read("env1")),
        vars(&read("env2")),
        vars(&read("envold")),
    );
    let (id1, id2, idold) = (read("id1"), read("id2"), read("idold"));
    assert!(
        id1.starts_with("ASIAFAKEROLE") && id2.starts_with("ASIAFAKEROLE"),
        "{id1} {id2}"
    );
    assert_ne!(id1, id2, "{sh}: other's session after the switch");
    assert_eq!(
        idold, id1,
        "{sh}: the process started under app still gets app"
    );
    for (name, e) in [("env1", &env1), ("env2", &env2), ("envold", &envold)] {
        let all: String = e.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
        assert!(
            !all.contains("fake-secret") && !all.contains("fake-token"),
            "{sh} {name}: {all}"
        );
        assert!(!e.contains_key("AWS_ACCESS_KEY_ID"), "{sh} {name}: {all}");
    }
    let uri1 = env1["AWS_CONTAINER_CREDENTIALS_FULL_URI"].clone();
    assert_ne!(
        uri1, env2["AWS_CONTAINER_CREDENTIALS_FULL_URI"],
        "{sh}: a new path for other"
    );
    assert_eq!(envold["AWS_CONTAINER_CREDENTIALS_FULL_URI"], uri1);
    // The shell has exited: both helpers, their ports and their private files go.
    for e in [&env1, &env2] {
        let port: u16 = e["AWS_CONTAINER_CREDENTIALS_FULL_URI"]
            .trim_start_matches("http://127.0.0.1:")
            .split('/')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        let config = e["AWS_CONFIG_FILE"].clone();
        assert!(config.contains("awsdo-server-"), "{config}");
        let until = Instant::now() + Duration::from_secs(10);
        while (listening(port) || std::path::Path::new(&config).exists()) && Instant::now() < until
        {
            std::thread::sleep(Duration::from_millis(50));
        }
        assert!(
            !listening(port),
            "{sh}: port {port} still listening after the shell exited"
        );
        assert!(
            !std::path::Path::new(&config).exists(),
            "{sh}: {config} left behind"
        );
    }
}

#[test]
fn hook_server_mode_bash() {
    check_hook_server("bash");
}

#[test]
fn hook_server_mode_zsh() {
    check_hook_server("zsh");
}

#[test]
fn hook_server_mode_fish() {
    check_hook_server("fish");
}
