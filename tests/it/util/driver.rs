//! What the hook tests read back from a shell driven with the logging stub: the binary's
//! calls, environment dumps, the AWS variables among them, and a phase's output. Shared by
//! `tests/hook.rs` (bash, zsh, fish) and `tests/nu.rs`.

use std::collections::BTreeMap;
use std::fs;

use super::TestEnv;

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
