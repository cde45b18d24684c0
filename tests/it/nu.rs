//! The nushell hook end to end (DESIGN §6, nushell paragraph): the real binary's `awsdo hook nu`
//! sourced into the real nu (the official release from npm, `tests/nu`), with moto (or a
//! `credential_process` script, or a closed port) behind it. nu runs a script (`nu -c`) with no
//! config and no terminal, and fires the prompt hook the way the REPL does: every closure in
//! `$env.config.hooks.pre_prompt`, with its environment kept. Any nu error fails the script.
//!
//! Most scripts load the hook with its binary path replaced by a wrapper that logs every call
//! and then execs the real binary, so "an unchanged prompt starts no process" is checked
//! against the log and, with strace, against the kernel's view.

use crate::util;

use std::fs;
use std::os::unix::process::CommandExt;
use std::process::{Output, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::util::driver::{
    assert_holds, aws_vars, cached, calls, closed_port, credential_process_profile, dump, phase,
    process_json, processes_between,
};
use crate::util::moto::Moto;
use crate::util::{TestEnv, eqnice, sh_quote};

const BASE_KEYS: &str =
    "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n";
const ROLES: &str = "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev-role\nsource_profile = base\nregion = eu-west-1\n\
     [profile prod]\nrole_arn = arn:aws:iam::123456789012:role/prod-role\nsource_profile = base\nregion = us-west-2\n\
     [profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/mfa-role\nsource_profile = base\n\
     mfa_serial = arn:aws:iam::123456789012:mfa/alice\nregion = eu-central-1\n";

/// nu test helpers, each a command: `__t_fire` (one prompt), `__t_dump FILE` (`env -0` into
/// FILE), `__t_past` (the refresh time has passed), `__t_phase NAME` (a `##NAME##` line on
/// stdout and stderr, see `phase`).
const HELPERS: &str = "\
def --env __t_fire [] { for h in $env.config.hooks.pre_prompt { do --env $h } }\n\
def __t_dump [file: string] { ^env -0 | save -f $file }\n\
def --env __t_past [] { $env.AWSDO_REFRESH_AT = ((date now | into int) // 1_000_000_000 - 1 | into string) }\n\
def __t_phase [name: string] { print $'##($name)##'; print -e $'##($name)##' }\n";

/// A nu literal for `s` (a raw string: no escapes, nothing inside closes it).
fn q(s: &str) -> String {
    let mut hashes = String::from("#");
    while s.contains(&format!("'{hashes}")) {
        hashes.push('#');
    }
    format!("r{hashes}'{s}'{hashes}")
}

/// Runs `script` (after the helpers) in nu with `env`'s clean environment plus `extra`, in
/// `env.root()`, with stdin closed and no controlling terminal; optionally under `prefix`.
fn run_nu(
    env: &TestEnv,
    script: &str,
    extra: &[(&str, &str)],
    prefix: Option<&[String]>,
) -> Output {
    let nu = util::find_tool("nu").expect("checked by the caller");
    let mut cmd = match prefix {
        Some(p) => {
            let mut c = env.command(&p[0]);
            c.args(&p[1..]).arg(&nu);
            c
        }
        None => env.command(&nu),
    };
    cmd.args(["--no-config-file", "--no-history", "-c"])
        .arg(format!("{HELPERS}{script}"))
        .envs(extra.iter().copied())
        .stdin(Stdio::null());
    // SAFETY: setsid is async-signal-safe; without a controlling terminal nothing can wait
    // for a keyboard.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.output().expect("run nu")
}

#[track_caller]
fn assert_ok(out: &Output, what: &str) {
    assert!(out.status.success(), "{what}\n{}", util::describe(out));
}

/// `source FILE` for the hook as `awsdo hook nu` prints it, its binaries (awsdo and its
/// `export` worker) replaced by wrappers that log each call to `ROOT/calls` and exec the real
/// one (`util::log_hook_calls`).
fn logged_hook(env: &TestEnv) -> String {
    let hook = util::stdout(&util::run_ok(env.cmd().args(["hook", "nu"])));
    let hook = util::log_hook_calls(env, &hook, q);
    let file = env.write_file("hook.nu", &hook);
    format!("source {}\n", q(file.to_str().unwrap()))
}

/// nu, moto and a TestEnv aimed at it with the role profiles; None when skipping.
fn with_moto() -> Option<(Moto, TestEnv)> {
    if !util::require("nu") {
        return None;
    }
    let moto = Moto::start()?;
    let env = TestEnv::with_endpoint(&moto.url());
    env.write_config(ROLES);
    env.write_credentials(BASE_KEYS);
    Some((moto, env))
}

// ---------------------------------------------------------------------------------------------
// No process on an unchanged prompt
// ---------------------------------------------------------------------------------------------

/// The hook sourced twice next to another pre_prompt hook: registered once, the other hook
/// kept; one switch calls the binary once; twenty unchanged prompts print nothing, call
/// nothing and (strace) create no process.
#[test]
fn unchanged_prompt_starts_no_process() {
    if !util::require("nu") {
        return;
    }
    let env = TestEnv::new();
    let (json, _) = process_json("AKIAFAKEPROCESS00001", "fake-secret", "fake-token");
    env.write_config(&credential_process_profile(&env, "cp", &json, "eu-west-1"));
    let hook = logged_hook(&env);
    let fires = "__t_fire\n".repeat(20);
    let script = format!(
        "$env.config.hooks.pre_prompt = [{{|| 'other' | save -a others }}]\n{hook}{hook}\
         if ($env.config.hooks.pre_prompt | length) != 2 {{ error make {{msg: 'registered twice'}} }}\n\
         __t_phase 1\n$env.AWS_PROFILE = 'cp'\n__t_fire\n__t_dump d1\n\
         __t_phase 2\n'' | save -f PHASE2\n{fires}'' | save -f PHASE3\n"
    );
    let strace = util::tool("strace");
    let trace = env.root().join("trace");
    let prefix: Option<Vec<String>> = strace.map(|s| {
        vec![
            s.to_str().unwrap().to_owned(),
            "-f".into(),
            "-qq".into(),
            "-e".into(),
            "trace=execve,clone,clone3,fork,vfork,open,openat".into(),
            "-o".into(),
            trace.to_str().unwrap().to_owned(),
        ]
    });
    let out = run_nu(&env, &script, &[], prefix.as_deref());
    assert_ok(&out, "unchanged");
    eqnice!("##1##\n##2##\n", util::stdout(&out));
    eqnice!("##1##\n##2##\n", util::stderr(&out));
    eqnice!("export nu", calls(&env).join("\n"));
    eqnice!(
        "other".repeat(21),
        fs::read_to_string(env.root().join("others")).unwrap()
    );
    let d1 = dump(&env, "d1");
    eqnice!("AKIAFAKEPROCESS00001", d1["AWS_ACCESS_KEY_ID"]);
    eqnice!("cp", d1["AWSDO_PROFILE"]);
    if prefix.is_some() {
        let trace = fs::read_to_string(&trace).unwrap();
        assert!(trace.contains("PHASE3\","), "trace incomplete");
        let started = processes_between(&trace, Some("PHASE2"), "PHASE3");
        assert!(
            started.is_empty(),
            "unchanged prompts started:\n{started:#?}"
        );
        let before = processes_between(&trace, None, "PHASE2");
        assert!(
            before.iter().any(|l| l.contains("awsdo-logged")),
            "strace saw no binary:\n{before:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Switch, replace, restore, renewal
// ---------------------------------------------------------------------------------------------

/// `AWS_PROFILE=dev` + prompt: dev's credentials and region; `prod`: prod's replace them;
/// hidden: the environment is exactly what it was before the first switch, including the
/// user's own `AWS_REGION`. Installed from `awsdo hook nu` with the real binary.
#[test]
fn switch_replace_and_restore() {
    let Some((moto, env)) = with_moto() else {
        return;
    };
    let hook = util::stdout(&util::run_ok(env.cmd().args(["hook", "nu"])));
    let file = env.write_file("awsdo.nu", &hook);
    let script = format!(
        "source {}\n__t_dump d0\n\
         $env.AWS_PROFILE = 'dev'\n__t_fire\n__t_dump d1\n\
         $env.AWS_PROFILE = 'prod'\n__t_fire\n__t_dump d2\n\
         hide-env AWS_PROFILE\n__t_fire\n__t_dump d3\n",
        q(file.to_str().unwrap())
    );
    let out = run_nu(&env, &script, &[("AWS_REGION", "ap-south-1")], None);
    assert_ok(&out, "switch");
    eqnice!("", util::stdout(&out));
    eqnice!("", util::stderr(&out));
    eqnice!(2, moto.count("AssumeRole"));
    let d0 = dump(&env, "d0");
    let (d1, d2, d3) = (
        aws_vars(&dump(&env, "d1")),
        aws_vars(&dump(&env, "d2")),
        dump(&env, "d3"),
    );
    eqnice!(
        "{\"AWS_REGION\": \"ap-south-1\"}",
        format!("{:?}", aws_vars(&d0))
    );
    assert_holds(&d1, &cached(&env, "dev"));
    eqnice!("eu-west-1", d1["AWS_REGION"]);
    eqnice!("eu-west-1", d1["AWS_DEFAULT_REGION"]);
    eqnice!("dev", d1["AWSDO_PROFILE"]);
    assert!(d1.contains_key("AWSDO_REFRESH_AT"), "{d1:?}");
    assert_holds(&d2, &cached(&env, "prod"));
    assert_ne!(d1["AWS_ACCESS_KEY_ID"], d2["AWS_ACCESS_KEY_ID"]);
    eqnice!("us-west-2", d2["AWS_REGION"]);
    eqnice!("prod", d2["AWSDO_PROFILE"]);
    eqnice!(format!("{d0:#?}"), format!("{d3:#?}"));
}

/// After the refresh time (and `AWSDO_MIN_TTL` raised so the cached session counts as due),
/// the next prompt renews silently; the prompt after that calls nothing.
#[test]
fn silent_renewal() {
    let Some((moto, env)) = with_moto() else {
        return;
    };
    let script = format!(
        "{}$env.AWS_PROFILE = 'dev'\n__t_fire\n__t_dump d1\n\
         $env.AWSDO_MIN_TTL = '24h'\n__t_past\n__t_fire\n__t_dump d2\n__t_fire\n",
        logged_hook(&env)
    );
    let out = run_nu(&env, &script, &[], None);
    assert_ok(&out, "renewal");
    eqnice!("", util::stdout(&out));
    eqnice!("", util::stderr(&out));
    eqnice!(2, moto.count("AssumeRole"));
    let (d1, d2) = (dump(&env, "d1"), dump(&env, "d2"));
    assert_ne!(d1["AWS_ACCESS_KEY_ID"], d2["AWS_ACCESS_KEY_ID"]);
    assert_holds(&aws_vars(&d2), &cached(&env, "dev"));
    eqnice!("export nu\nexport nu", calls(&env).join("\n"));
}

/// A renewal that cannot reach STS keeps the working credentials and says so once; the next
/// due prompt retries quietly.
#[test]
fn failed_renewal_is_reported_once() {
    let Some((moto, env)) = with_moto() else {
        return;
    };
    let script = format!(
        "{}__t_phase 1\n$env.AWS_PROFILE = 'dev'\n__t_fire\n__t_dump d1\n\
         $env.AWS_ENDPOINT_URL = 'http://127.0.0.1:{}'\n$env.AWSDO_HOOK_TIMEOUT = '2s'\n\
         $env.AWSDO_MIN_TTL = '24h'\n\
         __t_phase 2\n__t_past\n__t_fire\n__t_dump d2\n\
         __t_phase 3\n__t_past\n__t_fire\n__t_dump d3\n",
        logged_hook(&env),
        closed_port()
    );
    let out = run_nu(&env, &script, &[], None);
    assert_ok(&out, "failed renewal");
    eqnice!("", phase(&out.stderr, "1"));
    let e2 = phase(&out.stderr, "2");
    assert_eq!(e2.lines().count(), 1, "{e2}");
    assert!(e2.starts_with("awsdo: could not"), "{e2}");
    eqnice!("", phase(&out.stderr, "3"));
    let creds = cached(&env, "dev");
    assert_holds(&aws_vars(&dump(&env, "d2")), &creds);
    assert_holds(&aws_vars(&dump(&env, "d3")), &creds);
    eqnice!(1, moto.count("AssumeRole"));
    eqnice!("export nu\nexport nu\nexport nu", calls(&env).join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Hostile names and values
// ---------------------------------------------------------------------------------------------

/// An unknown AWS_PROFILE made of shell and nu syntax: one error line, recorded byte for byte
/// in AWSDO_PROFILE, nothing run or exported; the next prompts print and call nothing.
#[test]
fn unknown_hostile_profile_is_reported_once_and_runs_nothing() {
    if !util::require("nu") {
        return;
    }
    let env = TestEnv::new();
    env.write_config("[profile dev]\nregion = eu-west-1\n");
    let marker = env.root().join("MARKER");
    let m = marker.to_str().unwrap();
    let evil = format!(
        "x'$(touch {m})`touch {m}`;touch {m}\"\n%self {{a,b}} $HOME\\ (^touch {m}) '# ^touch {m}"
    );
    let script = format!(
        "{}__t_phase 1\n$env.AWS_PROFILE = $env.T_EVIL\n__t_fire\n__t_dump d1\n\
         __t_phase 2\n__t_fire\n__t_fire\n",
        logged_hook(&env)
    );
    let out = run_nu(&env, &script, &[("T_EVIL", &evil)], None);
    assert_ok(&out, "unknown profile");
    let e1 = phase(&out.stderr, "1");
    assert_eq!(e1.lines().count(), 1, "{e1}");
    assert!(
        e1.starts_with("awsdo: could not find profile \"x'$(touch "),
        "{e1}"
    );
    eqnice!("", phase(&out.stderr, "2"));
    let d1 = aws_vars(&dump(&env, "d1"));
    eqnice!(evil, d1["AWSDO_PROFILE"]);
    eqnice!(evil, d1["AWS_PROFILE"]);
    assert!(!d1.contains_key("AWS_ACCESS_KEY_ID"), "{d1:?}");
    eqnice!("export nu", calls(&env).join("\n"));
    assert!(!marker.exists(), "the profile name was run as code");
}

/// Keys, secret and token made of shell and nu syntax, and a profile name full of punctuation,
/// reach the environment byte for byte with the region, and go away again; nothing runs.
#[test]
fn hostile_values_round_trip_and_run_nothing() {
    if !util::require("nu") {
        return;
    }
    let env = TestEnv::new();
    let marker = env.root().join("MARKER");
    let m = marker.to_str().unwrap();
    let key = format!("AKIA'\"$(touch {m})`touch {m}`;touch {m}\n\\(^touch {m})");
    let secret = format!("s'\\''$(touch {m})\n;touch {m};\\'#");
    let token = format!("`touch {m}`\"'\\\n$HOME ${{HOME}} %self {{a,b}} * \\$(touch {m}) \\");
    // A region is a DNS label: the config checks refuse anything else (tests/validation.rs).
    let region = "eu-hostile-1".to_owned();
    let name = "a/b.c%d@e:f+g-h_i";
    let (json, exp) = process_json(&key, &secret, &token);
    env.write_config(&credential_process_profile(&env, name, &json, &region));
    let script = format!(
        "{}$env.AWS_PROFILE = {}\n__t_fire\n__t_dump d1\n\
         __t_fire\nhide-env AWS_PROFILE\n__t_fire\n__t_dump d2\n",
        logged_hook(&env),
        q(name)
    );
    let out = run_nu(&env, &script, &[], None);
    assert_ok(&out, "hostile");
    eqnice!("", util::stdout(&out));
    eqnice!("", util::stderr(&out));
    let d1 = aws_vars(&dump(&env, "d1"));
    eqnice!(key, d1["AWS_ACCESS_KEY_ID"]);
    eqnice!(secret, d1["AWS_SECRET_ACCESS_KEY"]);
    eqnice!(token, d1["AWS_SESSION_TOKEN"]);
    eqnice!(exp, d1["AWS_CREDENTIAL_EXPIRATION"]);
    eqnice!(region, d1["AWS_REGION"]);
    eqnice!(region, d1["AWS_DEFAULT_REGION"]);
    eqnice!(name, d1["AWSDO_PROFILE"]);
    eqnice!("{}", format!("{:?}", aws_vars(&dump(&env, "d2"))));
    eqnice!("export nu\nexport nu", calls(&env).join("\n"));
    assert!(!marker.exists(), "a value was run as code");
}

// ---------------------------------------------------------------------------------------------
// awsdo use, completion, --format nu
// ---------------------------------------------------------------------------------------------

/// `awsdo use dev` switches at once with one line; a failing `awsdo use` (unknown profile,
/// STS down) is an error with the binary's one line and leaves the environment identical;
/// `awsdo use --unset` brings back the user's region; the next prompt calls nothing.
#[test]
fn use_is_atomic() {
    let Some((moto, env)) = with_moto() else {
        return;
    };
    let script = format!(
        "{}__t_phase ok\nawsdo use dev\n__t_dump d0\n\
         __t_phase typo\ntry {{ awsdo use devv; print 'no error' }} catch {{|e| print -e $e.msg }}\n__t_dump d1\n\
         __t_phase down\n$env.AWSDO_HOOK_TIMEOUT = '2s'\n\
         try {{ with-env {{AWS_ENDPOINT_URL: 'http://127.0.0.1:{}'}} {{ awsdo use prod }}; print 'no error' }} catch {{|e| print -e $e.msg }}\n\
         __t_dump d2\n__t_fire\n\
         __t_phase unset\nawsdo use --unset\n__t_dump d3\n__t_fire\n",
        logged_hook(&env),
        closed_port()
    );
    let out = run_nu(&env, &script, &[("AWS_REGION", "ap-south-1")], None);
    assert_ok(&out, "use");
    let ok = phase(&out.stderr, "ok");
    assert!(ok.starts_with("awsdo: using profile \"dev\""), "{ok}");
    assert_eq!(ok.lines().count(), 1, "{ok}");
    let typo = phase(&out.stderr, "typo");
    assert!(
        typo.starts_with("awsdo: could not find profile \"devv\""),
        "{typo}"
    );
    assert_eq!(typo.lines().count(), 1, "{typo}");
    let down = phase(&out.stderr, "down");
    assert!(down.starts_with("awsdo: could not"), "{down}");
    assert_eq!(down.lines().count(), 1, "{down}");
    eqnice!(
        "",
        util::stdout(&out).replace("##ok##\n##typo##\n##down##\n##unset##\n", "")
    );
    let d0 = aws_vars(&dump(&env, "d0"));
    eqnice!("dev", d0["AWS_PROFILE"]);
    assert_holds(&d0, &cached(&env, "dev"));
    eqnice!(
        format!("{d0:#?}"),
        format!("{:#?}", aws_vars(&dump(&env, "d1")))
    );
    eqnice!(
        format!("{d0:#?}"),
        format!("{:#?}", aws_vars(&dump(&env, "d2")))
    );
    eqnice!(
        "{\"AWS_REGION\": \"ap-south-1\"}",
        format!("{:?}", aws_vars(&dump(&env, "d3")))
    );
    eqnice!(1, moto.count("AssumeRole"));
    eqnice!(
        "export nu --atomic use\nexport nu --atomic use\nexport nu --atomic use\nexport nu --atomic use",
        calls(&env).join("\n")
    );
}

/// The completer of `awsdo`'s arguments offers profile names after `awsdo use `, nothing
/// elsewhere.
#[test]
fn use_completes_profile_names() {
    if !util::require("nu") {
        return;
    }
    let env = TestEnv::new();
    env.write_config(
        "[profile alpha-prod]\nregion = eu-west-1\n[profile beta-dev]\nregion = eu-west-1\n",
    );
    let script = format!(
        "{}print (__awsdo_complete 'awsdo use ' | to json -r)\nprint (__awsdo_complete 'awsdo explain ' | to json -r)\n",
        logged_hook(&env)
    );
    let out = run_nu(&env, &script, &[], None);
    assert_ok(&out, "complete");
    eqnice!("[\"alpha-prod\",\"beta-dev\"]\n[]\n", util::stdout(&out));
}

/// `awsdo --format nu` prints the same record shape, which `load-env` takes as it is.
#[test]
fn format_nu_is_a_record_for_load_env() {
    if !util::require("nu") {
        return;
    }
    let env = TestEnv::new();
    let (json, _) = process_json("AKIAFAKEPROCESS00001", "fake'secret\n$(x)", "fake-token");
    env.write_config(&credential_process_profile(&env, "cp", &json, "eu-west-1"));
    let out = util::run_ok(env.cmd().args(["-p", "cp", "--format", "nu"]));
    let text = util::stdout(&out);
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    eqnice!("[]", v["hide"].to_string());
    let script = format!(
        "let r = (^{} -p cp --format nu | from json)\nload-env $r.set\nhide-env -i ...$r.hide\n__t_dump d1\n",
        q(util::awsdo_bin())
    );
    let out = run_nu(&env, &script, &[], None);
    assert_ok(&out, "format nu");
    let d1 = aws_vars(&dump(&env, "d1"));
    eqnice!("AKIAFAKEPROCESS00001", d1["AWS_ACCESS_KEY_ID"]);
    eqnice!("fake'secret\n$(x)", d1["AWS_SECRET_ACCESS_KEY"]);
    eqnice!("eu-west-1", d1["AWS_REGION"]);
}

/// A role behind MFA whose MFA session is gone: the renewal prints one hint and never asks;
/// the next prompt is silent; at expiry the credentials go, with one line saying so.
#[test]
fn mfa_renewal_hints_once_then_removes_at_expiry() {
    let Some((moto, env)) = with_moto() else {
        return;
    };
    util::run_ok(env.cmd().args(["login", "mfa", "-c", "123456"]));
    let life = 20;
    let entry_path = env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        "mfa",
        "json",
    ));
    let mut entry: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&entry_path).unwrap()).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let exp_at = now + life;
    let exp = util::iso8601(UNIX_EPOCH + Duration::from_secs(exp_at));
    entry["credentials"]["Expiration"] = serde_json::json!(exp);
    fs::write(&entry_path, entry.to_string()).unwrap();
    for e in fs::read_dir(env.cache_dir()).unwrap().flatten() {
        if e.file_name().to_string_lossy().starts_with("mfa.") {
            fs::remove_file(e.path()).unwrap();
        }
    }
    moto.reset_calls();
    let script = format!(
        "{}__t_phase 1\n$env.AWS_PROFILE = 'mfa'\n__t_fire\n__t_dump d1\n\
         $env.AWSDO_MIN_TTL = '1h'\n__t_past\n__t_phase 2\n__t_fire\n__t_dump d2\n\
         __t_phase 3\n__t_fire\n\
         while ((date now | into int) // 1_000_000_000) <= {exp_at} {{ sleep 500ms }}\n\
         __t_phase 4\n__t_fire\n__t_dump d4\n__t_phase 5\n__t_fire\n",
        logged_hook(&env)
    );
    let out = run_nu(&env, &script, &[("AWSDO_MIN_TTL", "5s")], None);
    assert_ok(&out, "mfa renewal");
    let err = |n| phase(&out.stderr, n);
    eqnice!("", err("1"));
    let d1 = aws_vars(&dump(&env, "d1"));
    eqnice!(exp, d1["AWS_CREDENTIAL_EXPIRATION"]);
    eqnice!(
        "awsdo: could not renew credentials for profile \"mfa\": an MFA code is needed; run: awsdo login mfa\n",
        err("2")
    );
    let d2 = aws_vars(&dump(&env, "d2"));
    eqnice!(d1["AWS_SESSION_TOKEN"], d2["AWS_SESSION_TOKEN"]);
    eqnice!("", err("3"));
    eqnice!(
        "awsdo: removed the expired credentials of profile \"mfa\"; run: awsdo login mfa\n",
        err("4")
    );
    eqnice!(
        "{\"AWSDO_PROFILE\": \"mfa\", \"AWS_PROFILE\": \"mfa\"}",
        format!("{:?}", aws_vars(&dump(&env, "d4")))
    );
    eqnice!("", err("5"));
    eqnice!("export nu\nexport nu\nexport nu", calls(&env).join("\n"));
    eqnice!(0, moto.count("GetSessionToken"));
}

/// `awsdo login` through the nu command puts the fresh credentials in the shell at once, and
/// a prompt hook's `LAST_EXIT_CODE` is handed on unchanged.
#[test]
fn login_refreshes_at_once_and_exit_code_survives() {
    let Some((moto, env)) = with_moto() else {
        return;
    };
    let script = format!(
        "{}$env.AWS_PROFILE = 'dev'\n$env.LAST_EXIT_CODE = 7\n__t_fire\nprint $'code=($env.LAST_EXIT_CODE)'\n\
         __t_dump d1\n__t_phase 2\nawsdo login\n__t_dump d2\n",
        logged_hook(&env)
    );
    let out = run_nu(&env, &script, &[], None);
    assert_ok(&out, "login");
    assert!(
        util::stdout(&out).starts_with("code=7\n"),
        "{}",
        util::stdout(&out)
    );
    eqnice!(2, moto.count("AssumeRole"));
    let (d1, d2) = (aws_vars(&dump(&env, "d1")), aws_vars(&dump(&env, "d2")));
    assert_ne!(d1["AWS_ACCESS_KEY_ID"], d2["AWS_ACCESS_KEY_ID"]);
    assert_holds(&d2, &cached(&env, "dev"));
    let e2 = phase(&out.stderr, "2");
    assert!(
        e2.starts_with("awsdo: logged in to profile \"dev\""),
        "{e2}"
    );
    assert_eq!(e2.lines().count(), 1, "{e2}");
    eqnice!(
        "export nu\nlogin\nexport nu --atomic login",
        calls(&env).join("\n")
    );
}

/// The real nu REPL in tmux, the hook installed the README's way (saved, then `source`d from
/// config.nu): setting AWS_PROFILE to a profile behind MFA asks on the terminal before the
/// next prompt, the typed code reaches STS, and the shell has the credentials.
#[test]
fn mfa_switch_in_the_repl() {
    let Some((moto, env)) = with_moto() else {
        return;
    };
    let nu = util::find_tool("nu").unwrap();
    let hook = util::stdout(&util::run_ok(env.cmd().args(["hook", "nu"])));
    let file = env.write_file("awsdo.nu", &hook);
    let config = env.write_file(
        "config.nu",
        &format!(
            "$env.config.show_banner = false\n$env.PROMPT_COMMAND = {{|| '$ ' }}\n\
             $env.PROMPT_COMMAND_RIGHT = ''\n$env.PROMPT_INDICATOR = ''\nsource {}\n",
            q(file.to_str().unwrap())
        ),
    );
    let empty = env.write_file("env.nu", "");
    let cmdline = format!(
        "cd {} && exec {} --no-history --config {} --env-config {}",
        sh_quote(env.root().to_str().unwrap()),
        sh_quote(nu.to_str().unwrap()),
        sh_quote(config.to_str().unwrap()),
        sh_quote(empty.to_str().unwrap())
    );
    let Some(tmux) = util::tmux::Tmux::start(&cmdline, &env.env_vars()) else {
        return;
    };
    let t = Duration::from_secs(30);
    assert!(tmux.wait_for("$", t), "{}", tmux.screen());
    tmux.send_keys("$env.AWS_PROFILE = 'mfa'");
    assert!(
        tmux.wait_for(
            "MFA code for arn:aws:iam::123456789012:mfa/alice (profile ",
            t
        ),
        "{}",
        tmux.screen()
    );
    tmux.send_keys("654321");
    tmux.send_keys(
        "$'key=($env.AWS_ACCESS_KEY_ID) profile=($env.AWSDO_PROFILE)(char nl)' | save -f out",
    );
    let out = env.root().join("out");
    let deadline = std::time::Instant::now() + t;
    while !fs::read_to_string(&out).unwrap_or_default().ends_with('\n')
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    let key = cached(&env, "mfa")["AccessKeyId"].clone();
    eqnice!(
        format!("key={key} profile=mfa\n"),
        fs::read_to_string(&out).unwrap_or_default(),
        "screen:\n{}",
        tmux.screen()
    );
    let codes: Vec<String> = moto
        .requests()
        .iter()
        .map(|r| util::sts::decode(&r.body_str()))
        .filter_map(|p| p.get("TokenCode").cloned())
        .collect();
    eqnice!("654321", codes.join(","));
    assert!(!tmux.screen().contains("654321"), "the code was echoed");
}

/// The binary in a directory whose name holds quotes, `'#`, `$( )` and a newline: `awsdo hook
/// nu` writes its path as a raw string nu parses back byte for byte, and the `awsdo` command
/// runs that binary.
#[test]
fn hook_for_a_hostile_binary_path_parses_and_runs_it() {
    if !util::require("nu") {
        return;
    }
    let env = TestEnv::new();
    let dir = env.root().join("it's '#a\"$(touch MARKER)\n'## dir");
    fs::create_dir_all(&dir).unwrap();
    let exe = dir.join("awsdo");
    util::copy_executable(std::path::Path::new(util::awsdo_bin()), &exe);
    let out = env.command(&exe).args(["hook", "nu"]).output().unwrap();
    assert_ok(&out, "hook");
    let file = env.write_file("awsdo.nu", &util::stdout(&out));
    let script = format!(
        "source {}\nprint ($__awsdo_exe == $env.T_EXE)\nawsdo --version\n",
        q(file.to_str().unwrap())
    );
    let out = run_nu(&env, &script, &[("T_EXE", exe.to_str().unwrap())], None);
    assert_ok(&out, "hostile path");
    let stdout = util::stdout(&out);
    assert!(stdout.starts_with("true\nawsdo "), "{stdout}");
    assert!(!env.root().join("MARKER").exists());
}
