//! moto_server (a local emulation of STS and IAM) behind a call-counting proxy.
//!
//! `Moto::start()` runs `moto_server -H 127.0.0.1 -p PORT` (its output goes to a log file in a
//! temp dir) and an `HttpServer` in front of it that forwards every request and records the
//! `Action` of each call. Point awsdo at `moto.url()`, the PROXY, to count its STS calls.
//! One moto per `Moto`: tests do not share state.
//!
//! What moto (5.x) does, checked against the installed one:
//! - It picks the service to emulate from the credential scope of the SigV4 `Authorization`
//!   header (`Credential=KEY/DATE/us-east-1/iam/aws4_request`) and does NOT check signatures.
//!   A request without one is taken for S3. So the setup calls here send a fake, unsigned
//!   `Authorization` header scoped to `iam` or `sts`; no real signing is needed.
//! - STS AssumeRole succeeds for a role that does not exist (any ARN), and so does
//!   AssumeRoleWithWebIdentity; `create_role` is there for tests that want a real one.
//! - GetSessionToken accepts any SerialNumber/TokenCode (any MFA code).
//! - GetCallerIdentity returns the IAM user owning the signing key when moto created that key
//!   (`arn:aws:iam::123456789012:user/alice`), else `arn:aws:sts::123456789012:user/moto`.
//! - The process is killed when the `Moto` drops, and also when the test process dies: a
//!   shell between the two kills moto when its stdin (a pipe from the test) closes.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use super::http::{self, HttpServer, Request, Response};
use super::sts::{request_params, xml_text};

pub use super::sts::ACCOUNT;

/// A running moto_server and its counting proxy; both stop on Drop.
pub struct Moto {
    child: Child,
    stdin: Option<ChildStdin>,
    moto_url: String,
    proxy: HttpServer,
    calls: Arc<Mutex<Vec<String>>>,
    dir: tempfile::TempDir,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

fn fake_auth(service: &str) -> String {
    format!(
        "AWS4-HMAC-SHA256 Credential=AKIAFAKESETUP/20260101/us-east-1/{service}/aws4_request, \
         SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"
    )
}

impl Moto {
    /// Starts moto and the proxy; None (after `skipping: moto_server not found`) when
    /// moto_server is missing and not required. Panics, with moto's log, if it does not
    /// answer within 30 s.
    pub fn start() -> Option<Moto> {
        if !super::require("moto_server") {
            return None;
        }
        let dir = tempfile::Builder::new()
            .prefix("awsdo-moto-")
            .tempdir()
            .expect("temp dir");
        let log = dir.path().join("moto.log");
        let pid_file = dir.path().join("moto.pid");
        let mut last_log = String::new();
        for _attempt in 0..3 {
            let port = free_port();
            let log_file = std::fs::File::create(&log).expect("moto log");
            let mut child = Command::new("sh")
                .args([
                    "-c",
                    // moto in the background; a subshell waits for EOF on our pipe and kills
                    // it; the shell itself ends when moto does.
                    // (fd 3 keeps the pipe: a background job's stdin is /dev/null.)
                    // moto gets 3 s to end on TERM, then KILL.
                    "exec 3<&0; moto_server -H 127.0.0.1 -p \"$1\" </dev/null 3<&- & p=$!; \
                     echo \"$p\" >\"$2\"; \
                     (read -r _ <&3; kill \"$p\" 2>/dev/null; i=0; \
                      while kill -0 \"$p\" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i+1)); done; \
                      kill -9 \"$p\" 2>/dev/null) & \
                     wait \"$p\"",
                    "sh",
                    &port.to_string(),
                ])
                .arg(&pid_file)
                .stdin(Stdio::piped())
                .stdout(log_file.try_clone().unwrap())
                .stderr(log_file)
                .spawn()
                .expect("spawn sh for moto_server");
            let stdin = child.stdin.take();
            let moto_url = format!("http://127.0.0.1:{port}");
            let deadline = Instant::now() + Duration::from_secs(30);
            let mut ready = false;
            let mut exited = false;
            while Instant::now() < deadline {
                if http::get(&moto_url, "/moto-api/", &[]).is_ok() {
                    ready = true;
                    break;
                }
                if child.try_wait().ok().flatten().is_some() {
                    exited = true;
                    break;
                }
                thread::sleep(Duration::from_millis(100));
            }
            if ready {
                let calls = Arc::new(Mutex::new(Vec::new()));
                let proxy = start_proxy(moto_url.clone(), calls.clone());
                return Some(Moto {
                    child,
                    stdin,
                    moto_url,
                    proxy,
                    calls,
                    dir,
                });
            }
            drop(stdin);
            let _ = child.kill();
            let _ = child.wait();
            last_log = std::fs::read_to_string(&log).unwrap_or_default();
            if !exited {
                break; // a timeout: another port will not help
            }
        }
        panic!("moto_server did not start on 127.0.0.1; its log:\n{last_log}");
    }

    /// The proxy's URL (`http://127.0.0.1:PORT`): give this to awsdo and the `aws` CLI.
    pub fn url(&self) -> String {
        self.proxy.url()
    }

    /// The `Action` of every call through the proxy, in order: `["GetSessionToken", "AssumeRole"]`.
    /// A request without an `Action` is recorded as `METHOD PATH`.
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }

    pub fn count(&self, action: &str) -> usize {
        self.calls().iter().filter(|a| *a == action).count()
    }

    pub fn reset_calls(&self) {
        self.calls.lock().unwrap().clear();
    }

    /// Every request the proxy received (headers and body as sent by the client).
    pub fn requests(&self) -> Vec<Request> {
        self.proxy.requests()
    }

    /// A query-protocol call straight to moto (not counted). `service` is `iam` or `sts`;
    /// `Version` is added. Returns the XML body; panics, with the body, unless moto says 200.
    pub fn call(&self, service: &str, action: &str, params: &[(&str, &str)]) -> String {
        let version = if service == "iam" {
            "2010-05-08"
        } else {
            "2011-06-15"
        };
        let mut all = vec![("Action", action), ("Version", version)];
        all.extend_from_slice(params);
        let auth = fake_auth(service);
        let resp = http::post_form(
            &self.moto_url,
            &http::form(&all),
            &[("Authorization", &auth)],
        )
        .unwrap_or_else(|e| panic!("moto {action}: {e}"));
        let body = resp.body_str();
        assert_eq!(resp.status, 200, "moto {action} failed: {body}");
        body
    }

    pub fn iam(&self, action: &str, params: &[(&str, &str)]) -> String {
        self.call("iam", action, params)
    }

    /// Creates IAM user `name` with an access key; returns (access_key_id, secret_access_key).
    pub fn create_user(&self, name: &str) -> (String, String) {
        self.iam("CreateUser", &[("UserName", name)]);
        let xml = self.iam("CreateAccessKey", &[("UserName", name)]);
        (
            xml_text(&xml, "AccessKeyId").expect("AccessKeyId"),
            xml_text(&xml, "SecretAccessKey").expect("SecretAccessKey"),
        )
    }

    /// Creates a virtual MFA device named after `user`, enables it for the user, and returns
    /// its serial (`arn:aws:iam::123456789012:mfa/USER`).
    pub fn create_virtual_mfa(&self, user: &str) -> String {
        self.create_virtual_mfa_named(user, user)
    }

    /// Like `create_virtual_mfa`, with a device name of its own (a user may have several).
    pub fn create_virtual_mfa_named(&self, user: &str, device: &str) -> String {
        let xml = self.iam(
            "CreateVirtualMFADevice",
            &[("VirtualMFADeviceName", device)],
        );
        let serial = xml_text(&xml, "SerialNumber").expect("SerialNumber");
        self.iam(
            "EnableMFADevice",
            &[
                ("UserName", user),
                ("SerialNumber", &serial),
                ("AuthenticationCode1", "123456"),
                ("AuthenticationCode2", "654321"),
            ],
        );
        serial
    }

    /// Creates role `name` trusting the whole account; returns its ARN. (moto lets
    /// AssumeRole succeed on roles that do not exist too.)
    pub fn create_role(&self, name: &str) -> String {
        let policy = format!(
            "{{\"Version\":\"2012-10-17\",\"Statement\":[{{\"Effect\":\"Allow\",\
             \"Principal\":{{\"AWS\":\"arn:aws:iam::{ACCOUNT}:root\"}},\"Action\":\"sts:AssumeRole\"}}]}}"
        );
        let xml = self.iam(
            "CreateRole",
            &[("RoleName", name), ("AssumeRolePolicyDocument", &policy)],
        );
        xml_text(&xml, "Arn").expect("role Arn")
    }

    /// The serials of the MFA devices of `user`, as moto lists them.
    pub fn list_mfa_devices(&self, user: &str) -> Vec<String> {
        let xml = self.iam("ListMFADevices", &[("UserName", user)]);
        super::sts::xml_texts(&xml, "SerialNumber")
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        // Closing the pipe makes the shell kill moto (TERM, then KILL); then reap the shell.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(6);
        while Instant::now() < deadline {
            if self.child.try_wait().ok().flatten().is_some() {
                return;
            }
            thread::sleep(Duration::from_millis(20));
        }
        if let Ok(pid) = std::fs::read_to_string(self.dir.path().join("moto.pid")) {
            let _ = Command::new("kill").args(["-9", pid.trim()]).status();
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const HOP_HEADERS: &[&str] = &[
    "host",
    "connection",
    "content-length",
    "transfer-encoding",
    "expect",
    "keep-alive",
];

fn start_proxy(moto_url: String, calls: Arc<Mutex<Vec<String>>>) -> HttpServer {
    let host = moto_url.trim_start_matches("http://").to_string();
    HttpServer::start(move |req: &Request| {
        let params: BTreeMap<String, String> = request_params(req);
        let action = params
            .get("Action")
            .cloned()
            .unwrap_or_else(|| format!("{} {}", req.method, req.path_only()));
        calls.lock().unwrap().push(action);
        let mut headers: Vec<(String, String)> = req
            .headers
            .iter()
            .filter(|(k, _)| !HOP_HEADERS.contains(&k.to_ascii_lowercase().as_str()))
            .cloned()
            .collect();
        headers.push(("Host".to_string(), host.clone()));
        match http::send(&moto_url, &req.method, &req.path, &headers, &req.body) {
            Ok(mut resp) => {
                resp.headers
                    .retain(|(k, _)| !HOP_HEADERS.contains(&k.to_ascii_lowercase().as_str()));
                resp
            }
            Err(e) => Response::text(502, &format!("proxy to moto failed: {e}")),
        }
    })
}
