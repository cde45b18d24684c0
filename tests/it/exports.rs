//! `eval "$(awsdo)"`: the printed statements, evaluated by the real bash, zsh and fish, set
//! exactly the variables of DESIGN §5, byte for byte, whatever the values contain, and run
//! nothing. Values come from a `credential_process`, so no STS is involved.

use crate::util;

use std::collections::BTreeMap;

use crate::util::{TestEnv, eqnice, run_ok, stdout};

/// Values a credential source could hand over, each one a quoting trap.
const HOSTILE: &[(&str, &str)] = &[
    (
        "AccessKeyId",
        "AKIA'quote\"double$(touch MARKER)`touch MARKER`",
    ),
    (
        "SecretAccessKey",
        "fake secret; touch MARKER\nsecond line \\ tab\there\\",
    ),
    ("SessionToken", "fake-token-$HOME-${PATH}-'\\''-\\\\-ü-!x"),
];

/// A TestEnv whose profile `hostile` (region `eu-west-1`) gets the hostile values.
fn hostile_env() -> TestEnv {
    let env = TestEnv::new();
    let mut json = String::from("{\"Version\": 1, \"Expiration\": \"2099-01-01T00:00:00Z\"");
    for (k, v) in HOSTILE {
        json.push_str(&format!(", \"{k}\": {}", serde_json::to_string(v).unwrap()));
    }
    json.push('}');
    let json_file = env.write_file("creds.json", &json);
    let script = env.write_script(
        "bin/creds",
        &format!("#!/bin/sh\ncat '{}'\n", json_file.display()),
    );
    env.write_config(&format!(
        "[profile hostile]\ncredential_process = {}\nregion = eu-west-1\n",
        script.display()
    ));
    env
}

/// The variables and exact values the shell must end up with.
fn expected() -> BTreeMap<String, String> {
    [
        ("AWS_ACCESS_KEY_ID", HOSTILE[0].1),
        ("AWS_SECRET_ACCESS_KEY", HOSTILE[1].1),
        ("AWS_SESSION_TOKEN", HOSTILE[2].1),
        ("AWS_CREDENTIAL_EXPIRATION", "2099-01-01T00:00:00Z"),
        ("AWS_REGION", "eu-west-1"),
        ("AWS_DEFAULT_REGION", "eu-west-1"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v.to_owned()))
    .collect()
}

/// NUL-separated `env -0` output as a map.
fn parse_env0(bytes: &[u8]) -> BTreeMap<String, String> {
    bytes
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let s = String::from_utf8(e.to_vec()).ok()?;
            let (k, v) = s.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// Evaluate `awsdo -p hostile --format FMT` in `shell` (strict mode), and return the
/// variables that changed: (added or modified, removed).
fn changed_by_eval(shell: &str, format: &str) -> Option<BTreeMap<String, String>> {
    if !util::require(shell) {
        return None;
    }
    let env = hostile_env();
    let statements = stdout(&run_ok(
        env.cmd().args(["-p", "hostile", "--format", format]),
    ));
    let script = env.write_file("statements", &statements);
    let before = env.root().join("before");
    let after = env.root().join("after");
    let (args, body): (&[&str], String) = match shell {
        "bash" => (
            &["--noprofile", "--norc", "-euo", "pipefail", "-c"],
            format!(
                "env -0 > '{b}'; eval \"$(cat '{s}')\"; env -0 > '{a}'",
                b = before.display(),
                s = script.display(),
                a = after.display()
            ),
        ),
        "zsh" => (
            &["--no-rcs", "--no-globalrcs", "-eu", "-c"],
            format!(
                "env -0 > '{b}'; eval \"$(cat '{s}')\"; env -0 > '{a}'",
                b = before.display(),
                s = script.display(),
                a = after.display()
            ),
        ),
        "fish" => (
            &["--no-config", "--private", "-c"],
            format!(
                "env -0 > '{b}'; source '{s}'; or exit 1; env -0 > '{a}'",
                b = before.display(),
                s = script.display(),
                a = after.display()
            ),
        ),
        _ => unreachable!(),
    };
    run_ok(env.command(shell).args(args).arg(body));
    assert!(
        !env.root().join("MARKER").exists(),
        "{shell}: a value ran as code"
    );
    let before = parse_env0(&std::fs::read(before).unwrap());
    let after = parse_env0(&std::fs::read(after).unwrap());
    let mut changed: BTreeMap<String, String> = after
        .iter()
        .filter(|(k, v)| before.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    // Shell-internal variables that change by themselves between two commands.
    changed.retain(|k, _| !matches!(k.as_str(), "_" | "SHLVL" | "OLDPWD"));
    let removed: Vec<&String> = before.keys().filter(|k| !after.contains_key(*k)).collect();
    assert!(removed.is_empty(), "{shell}: eval removed {removed:?}");
    Some(changed)
}

fn check(shell: &str, format: &str) {
    let Some(changed) = changed_by_eval(shell, format) else {
        return;
    };
    let show = |m: &BTreeMap<String, String>| format!("{m:#?}");
    eqnice!(show(&expected()), show(&changed));
}

#[test]
fn bash_eval_sets_exactly_the_variables_byte_for_byte() {
    check("bash", "bash");
}

#[test]
fn zsh_eval_sets_exactly_the_variables_byte_for_byte() {
    check("zsh", "zsh");
}

#[test]
fn fish_eval_sets_exactly_the_variables_byte_for_byte() {
    check("fish", "fish");
}

#[test]
fn default_format_follows_shell() {
    let env = hostile_env();
    for (shell, marker) in [
        ("/usr/bin/fish", "set -gx "),
        ("/bin/bash", "export "),
        ("-zsh", "export "),
        ("pwsh.exe", "$Env:"),
    ] {
        let out = run_ok(env.cmd().env("SHELL", shell).args(["-p", "hostile"]));
        assert!(
            stdout(&out).starts_with(marker),
            "SHELL={shell}: {}",
            stdout(&out)
        );
    }
    // No SHELL at all: POSIX statements.
    let out = run_ok(env.cmd().env_remove("SHELL").args(["-p", "hostile"]));
    assert!(stdout(&out).starts_with("export "), "{}", stdout(&out));
}

#[test]
fn json_and_env_formats_carry_the_same_variables() {
    let env = hostile_env();
    let json: BTreeMap<String, String> = serde_json::from_slice(
        &run_ok(env.cmd().args(["-p", "hostile", "--format", "json"])).stdout,
    )
    .unwrap();
    eqnice!(format!("{:#?}", expected()), format!("{json:#?}"));
    // A value spanning lines cannot be an env line: refused rather than printed wrongly.
    let out = util::run_fail(env.cmd().args(["-p", "hostile", "--format", "env"]));
    assert!(
        util::stderr(&out).contains("--format json"),
        "{}",
        util::stderr(&out)
    );
    assert!(
        !util::stderr(&out).contains("fake secret"),
        "{}",
        util::stderr(&out)
    );
}
