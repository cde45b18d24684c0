//! What the hook tests read back from a shell driven with the logging stub: the binary's
//! calls, environment dumps, the AWS variables among them, and a phase's output; the cached
//! credentials, `credential_process` profiles and the processes a prompt started. Shared by
//! `hook.rs` (bash, zsh, fish) and `nu.rs`.

use std::collections::BTreeMap;
use std::fs;

use std::time::{Duration, SystemTime};

use super::{TestEnv, eqnice, sh_quote};

/// The binary's calls through the wrapper so far.
pub fn calls(env: &TestEnv) -> Vec<String> {
    fs::read_to_string(env.root().join("calls"))
        .unwrap_or_default()
        .lines()
        .map(str::to_owned)
        .collect()
}

/// The environment saved by `__t_dump NAME`.
pub fn dump(env: &TestEnv, name: &str) -> BTreeMap<String, String> {
    let bytes = fs::read(env.root().join(name)).unwrap_or_else(|e| panic!("dump {name}: {e}"));
    bytes
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .map(|e| {
            let e = String::from_utf8(e.to_vec()).expect("utf-8 environment");
            let (k, v) = e.split_once('=').expect("NAME=value");
            (k.to_owned(), v.to_owned())
        })
        .collect()
}

/// What the hook may touch: `AWS_*`/`AWSDO_*` minus what the test environment itself sets.
pub fn aws_vars(all: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    const FIXED: &[&str] = &[
        "AWS_CONFIG_FILE",
        "AWS_SHARED_CREDENTIALS_FILE",
        "AWSDO_CACHE_DIR",
        "AWS_EC2_METADATA_DISABLED",
        "AWS_ENDPOINT_URL",
        "AWSDO_HOOK_TIMEOUT",
        "AWSDO_MIN_TTL",
    ];
    all.iter()
        .filter(|(k, _)| k.starts_with("AWS") && !FIXED.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// The lines a phase (from `__t_phase NAME` to the next marker) wrote to a stream.
pub fn phase(stream: &[u8], name: &str) -> String {
    let text = String::from_utf8_lossy(stream);
    let start = format!("##{name}##");
    let mut lines = text.lines().skip_while(|l| *l != start);
    assert!(lines.next().is_some(), "no phase {name} in:\n{text}");
    lines
        .take_while(|l| !(l.starts_with("##") && l.ends_with("##")))
        .map(|l| format!("{l}\n"))
        .collect()
}

/// The credentials cached for `profile` (AccessKeyId, SecretAccessKey, SessionToken,
/// Expiration).
pub fn cached(env: &TestEnv, profile: &str) -> BTreeMap<String, String> {
    let path = env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        profile,
        "json",
    ));
    let v: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&path).expect("cache entry")).unwrap();
    v["credentials"]
        .as_object()
        .expect("credentials in the cache entry")
        .iter()
        .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
        .collect()
}

/// Asserts that `vars` hold exactly `creds` as AWS_* variables.
#[track_caller]
pub fn assert_holds(vars: &BTreeMap<String, String>, creds: &BTreeMap<String, String>) {
    let get = |k: &str| vars.get(k).map(String::as_str).unwrap_or("<unset>");
    eqnice!(creds["AccessKeyId"], get("AWS_ACCESS_KEY_ID"));
    eqnice!(creds["SecretAccessKey"], get("AWS_SECRET_ACCESS_KEY"));
    eqnice!(creds["SessionToken"], get("AWS_SESSION_TOKEN"));
    eqnice!(creds["Expiration"], get("AWS_CREDENTIAL_EXPIRATION"));
}

/// A port on loopback where nothing listens.
pub fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A profile `name` whose `credential_process` prints `json` (no STS involved).
pub fn credential_process_profile(env: &TestEnv, name: &str, json: &str, region: &str) -> String {
    let json_file = env.write_file(&format!("creds-{}.json", name.replace('/', "_")), json);
    let script = env.write_script(
        &format!("bin/creds-{}", name.replace('/', "_")),
        &format!(
            "#!/bin/sh\nexec cat {}\n",
            sh_quote(json_file.to_str().unwrap())
        ),
    );
    format!(
        "[profile {name}]\ncredential_process = {}\nregion = {region}\n",
        script.display()
    )
}

/// Version 1 credential_process JSON valid for an hour.
pub fn process_json(key: &str, secret: &str, token: &str) -> (String, String) {
    let exp = super::iso8601(SystemTime::now() + Duration::from_secs(3600));
    let j = super::sso::json_str;
    (
        format!(
            "{{\"Version\": 1, \"AccessKeyId\": {}, \"SecretAccessKey\": {}, \"SessionToken\": {}, \"Expiration\": {}}}\n",
            j(key),
            j(secret),
            j(token),
            j(&exp)
        ),
        exp,
    )
}

/// Process creations (fork, vfork, clone without CLONE_THREAD, clone3, execve) in a strace
/// log between the opens of the files `from` (None: the start) and `to`. nu's release binary
/// (static, musl) opens files with `open`, not `openat`.
pub fn processes_between(trace: &str, from: Option<&str>, to: &str) -> Vec<String> {
    let opens = |line: &str, file: &str| {
        let call = line.split_whitespace().nth(1).unwrap_or("");
        (call.starts_with("open(") || call.starts_with("openat("))
            && line.contains(&format!("{file}\","))
    };
    let mut inside = from.is_none();
    let mut found = Vec::new();
    for line in trace.lines() {
        if let Some(from) = from
            && opens(line, from)
        {
            inside = true;
        } else if opens(line, to) {
            inside = false;
        } else if inside {
            let call = line.split_whitespace().nth(1).unwrap_or("");
            let process = ["execve(", "fork(", "vfork(", "clone(", "clone3("]
                .iter()
                .any(|c| call.starts_with(c));
            if process && !line.contains("CLONE_THREAD") && !line.contains("resumed>") {
                found.push(line.to_owned());
            }
        }
    }
    found
}
