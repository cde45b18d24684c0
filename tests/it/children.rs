//! Child processes (SECURITY.md, "Child processes"; DESIGN §3, §5–7): which environment each
//! kind of child gets, deadlines and output caps for helpers, the `credential_process`
//! `Expiration` the AWS CLI accepts, and secrets kept out of core files and command lines.
//!
//! "A hook shell holding dev" is made the way the prompt hook makes it: `awsdo export bash`
//! evaluated by bash with `AWS_PROFILE=dev`, after the user exported keys and a region of
//! their own.

use crate::util;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::http::{HttpServer, Request, Response};
use crate::util::moto::Moto;
use crate::util::tmux::Tmux;
use crate::util::{TestEnv, eqnice, sh_quote};

/// The user's own long-lived keys, exported in their shell before awsdo.
const USER_KEY: &str = "AKIAFAKEUSER00000001";
const USER_SECRET: &str = "fake-secret-user-own";
/// The user's own region, exported before awsdo.
const USER_REGION: &str = "us-east-2";
const DEV_REGION: &str = "eu-west-1";
const MFA_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
/// Generous bound on a wait that must end (never a timing assertion).
const T: Duration = Duration::from_secs(30);

fn script(env: &TestEnv, name: &str, text: &str) -> PathBuf {
    env.write_script(&format!("bin/{name}"), text)
}

/// A helper script that writes its environment (`env -0`) to `ROOT/<name>.env`, then does
/// `then`.
fn env_dumper(env: &TestEnv, name: &str, then: &str) -> PathBuf {
    let out = env.root().join(format!("{name}.env"));
    script(
        env,
        name,
        &format!(
            "#!/bin/sh\nenv -0 > {}\n{then}\n",
            sh_quote(out.to_str().unwrap())
        ),
    )
}

fn read_env(path: &Path) -> BTreeMap<String, String> {
    let raw = fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    raw.split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .filter_map(|s| {
            let s = String::from_utf8_lossy(s);
            let (k, v) = s.split_once('=')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// `AWS_*` and `AWSDO_*` variables only, for readable failures.
fn aws(vars: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    vars.iter()
        .filter(|(k, _)| k.starts_with("AWS_") || k.starts_with("AWSDO_"))
        .filter(|(k, _)| {
            ![
                "AWS_CONFIG_FILE",
                "AWS_SHARED_CREDENTIALS_FILE",
                "AWS_ENDPOINT_URL",
                "AWS_EC2_METADATA_DISABLED",
                "AWSDO_CACHE_DIR",
            ]
            .contains(&k.as_str())
        })
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn process_json(key: &str) -> String {
    format!(
        "{{\"Version\":1,\"AccessKeyId\":\"{key}\",\"SecretAccessKey\":\"fake-secret-cp\",\"SessionToken\":\"fake-token-cp\",\"Expiration\":\"2099-01-01T00:00:00Z\"}}"
    )
}

/// moto, and a TestEnv with `base` keys and these profiles:
/// `dev` (role, region eu-west-1), `partner` (role, no region), `envrole` (role from
/// `credential_source = Environment`), `cpenv` (credential_process dumping its environment),
/// `mfaenv` (role with MFA whose mfa_process dumps its environment).
fn world() -> Option<(Moto, TestEnv)> {
    if !util::require("bash") {
        return None;
    }
    let moto = Moto::start()?;
    let env = TestEnv::with_endpoint(&moto.url());
    let cp = env_dumper(
        &env,
        "cpenv",
        &format!("printf '%s' '{}'", process_json("AKIAFAKECPENV0000001")),
    );
    let mfa = env_dumper(&env, "mfaenv", "echo 123456");
    env.write_config(&format!(
        "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\nregion = {DEV_REGION}\n\
         [profile partner]\nrole_arn = arn:aws:iam::123456789012:role/partner\nsource_profile = base\n\
         [profile envrole]\nrole_arn = arn:aws:iam::123456789012:role/envrole\ncredential_source = Environment\n\
         [profile cpenv]\ncredential_process = {}\n\
         [profile mfaenv]\nrole_arn = arn:aws:iam::123456789012:role/mfaenv\nsource_profile = base\n\
         mfa_serial = {MFA_SERIAL}\nmfa_process = {}\n",
        cp.display(),
        mfa.display()
    ));
    env.write_credentials(
        "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n",
    );
    Some((moto, env))
}

/// A bash script run in a hook shell holding dev: the user exported their own keys and
/// region, then `AWS_PROFILE=dev` and one prompt. `dev.env` holds the shell's environment
/// then. `$AWSDO` is the binary.
fn in_dev_shell(env: &TestEnv, then: &str) -> Output {
    in_dev_shell_with(env, &format!("export AWS_REGION={USER_REGION}"), then)
}

/// As `in_dev_shell`, the user's own settings being `user` (shell code) instead of a region.
fn in_dev_shell_with(env: &TestEnv, user: &str, then: &str) -> Output {
    let awsdo = sh_quote(util::awsdo_bin());
    let dump = sh_quote(env.root().join("dev.env").to_str().unwrap());
    let text = format!(
        "set -euo pipefail\nAWSDO={awsdo}\n\
         export AWS_ACCESS_KEY_ID={USER_KEY} AWS_SECRET_ACCESS_KEY={USER_SECRET}\n{user}\n\
         export AWS_PROFILE=dev\neval \"$(\"$AWSDO\" export bash)\"\n\
         env -0 > {dump}\n{then}\n"
    );
    let out = bounded(
        env.command("bash")
            .args(["--noprofile", "--norc", "-c", &text]),
        T,
    );
    assert!(out.status.success(), "{}", util::describe(&out));
    out
}

/// Run `cmd` with stdin closed, in its own process group; kill the group and fail the test if
/// it outlives `limit`.
fn bounded(cmd: &mut Command, limit: Duration) -> Output {
    use std::os::unix::process::CommandExt;
    let child = cmd
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(limit) {
        Ok(out) => out.expect("wait"),
        Err(_) => {
            // SAFETY: signals the group of the child we started (not reaped yet: still ours).
            unsafe {
                libc::kill(-(pid as i32), libc::SIGKILL);
            }
            panic!("{cmd:?} still ran after {limit:?}");
        }
    }
}

fn gone(pid: i32) -> bool {
    let until = Instant::now() + T;
    while Instant::now() < until {
        // SAFETY: signal 0 only checks whether the process exists.
        if unsafe { libc::kill(pid, 0) } != 0 {
            return true;
        }
        // A zombie still answers signal 0: its parent (init) reaps it shortly.
        std::thread::sleep(Duration::from_millis(20));
    }
    false
}

fn pid_in(path: &Path) -> i32 {
    let until = Instant::now() + T;
    loop {
        if let Some(p) = fs::read_to_string(path)
            .ok()
            .and_then(|s| s.trim().parse().ok())
        {
            return p;
        }
        assert!(Instant::now() < until, "{} never written", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
}

// --- the environment of each kind of child ------------------------------------------------

/// In a hook shell holding dev, the next profile's credential_process and mfa_process get
/// the user's environment: none of dev's keys or region, no hook state; the user's own keys
/// and region back in place.
#[test]
fn helpers_in_a_hook_shell_get_the_users_environment_not_devs() {
    let Some((_moto, env)) = world() else {
        return;
    };
    in_dev_shell(
        &env,
        "export AWS_PROFILE=cpenv; eval \"$(\"$AWSDO\" export bash)\"\n\
         export AWS_PROFILE=mfaenv; eval \"$(\"$AWSDO\" export bash)\"",
    );
    let dev = read_env(&env.root().join("dev.env"));
    let dev_key = dev["AWS_ACCESS_KEY_ID"].clone();
    assert!(
        dev_key.starts_with("ASIA"),
        "not holding dev: {:?}",
        aws(&dev)
    );
    eqnice!(DEV_REGION, dev["AWS_REGION"]);
    for helper in ["cpenv", "mfaenv"] {
        let seen = read_env(&env.root().join(format!("{helper}.env")));
        let shown = aws(&seen);
        assert_eq!(
            Some(USER_KEY),
            seen.get("AWS_ACCESS_KEY_ID").map(String::as_str),
            "{helper}: {shown:?}"
        );
        assert_eq!(
            Some(USER_SECRET),
            seen.get("AWS_SECRET_ACCESS_KEY").map(String::as_str),
            "{helper}: {shown:?}"
        );
        assert_eq!(
            Some(USER_REGION),
            seen.get("AWS_REGION").map(String::as_str),
            "{helper}: {shown:?}"
        );
        for gone in [
            "AWS_SESSION_TOKEN",
            "AWS_CREDENTIAL_EXPIRATION",
            "AWS_DEFAULT_REGION",
            "AWSDO_PROFILE",
            "AWSDO_STATE",
            "AWSDO_REFRESH_AT",
        ] {
            assert!(!seen.contains_key(gone), "{helper} got {gone}: {shown:?}");
        }
        assert!(
            !seen.values().any(|v| *v == dev["AWS_SECRET_ACCESS_KEY"]
                || *v == dev["AWS_SESSION_TOKEN"]
                || *v == dev_key),
            "{helper} got dev's credentials: {shown:?}"
        );
    }
    // The recursion guard still reaches credential_process.
    let cp = read_env(&env.root().join("cpenv.env"));
    assert_eq!(
        Some("cpenv"),
        cp.get("AWSDO_CREDENTIAL_PROCESS_CHAIN").map(String::as_str)
    );
}

/// `awsdo -p partner -- env` from a dev hook shell: partner's keys, no hook state, not dev's
/// region (partner names none: the user's own region, or none).
#[test]
fn the_command_gets_its_profile_and_no_hook_state_or_devs_region() {
    let Some((_moto, env)) = world() else {
        return;
    };
    in_dev_shell(&env, "\"$AWSDO\" -p partner -- env -0 > partner.env");
    let dev = read_env(&env.root().join("dev.env"));
    let seen = read_env(&env.root().join("partner.env"));
    let shown = aws(&seen);
    assert!(seen["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{shown:?}");
    assert_ne!(
        dev["AWS_ACCESS_KEY_ID"], seen["AWS_ACCESS_KEY_ID"],
        "{shown:?}"
    );
    assert_eq!(
        Some(USER_REGION),
        seen.get("AWS_REGION").map(String::as_str),
        "{shown:?}"
    );
    for gone in [
        "AWS_DEFAULT_REGION",
        "AWS_PROFILE",
        "AWSDO_PROFILE",
        "AWSDO_STATE",
        "AWSDO_REFRESH_AT",
    ] {
        assert!(
            !seen.contains_key(gone),
            "the command got {gone}: {shown:?}"
        );
    }
    // A user without a region of their own: none.
    in_dev_shell_with(
        &env,
        "unset AWS_REGION AWS_DEFAULT_REGION",
        "\"$AWSDO\" -p partner -- env -0 > partner-noregion.env",
    );
    let dev = read_env(&env.root().join("dev.env"));
    assert_eq!(Some(DEV_REGION), dev.get("AWS_REGION").map(String::as_str));
    let seen = read_env(&env.root().join("partner-noregion.env"));
    assert!(!seen.contains_key("AWS_REGION"), "{:?}", aws(&seen));
}

/// `awsdo -p partner -- bash` (a shell for a profile) with the hook in its rc: its first
/// prompt keeps partner's keys instead of reverting to the outer shell's saved ones.
#[test]
fn a_nested_shell_keeps_its_profiles_credentials_at_its_first_prompt() {
    let Some((_moto, env)) = world() else {
        return;
    };
    let inner = format!(
        "eval \"$({} hook bash)\"\nfor c in \"${{PROMPT_COMMAND[@]}}\"; do eval \"$c\"; done\nenv -0 > nested.env",
        sh_quote(util::awsdo_bin())
    );
    in_dev_shell(
        &env,
        &format!(
            "\"$AWSDO\" -p partner -- env -0 > partner.env\n\
             \"$AWSDO\" -p partner -- bash --noprofile --norc -c {}",
            sh_quote(&inner)
        ),
    );
    let partner = read_env(&env.root().join("partner.env"));
    let nested = read_env(&env.root().join("nested.env"));
    eqnice!(
        partner["AWS_ACCESS_KEY_ID"],
        nested["AWS_ACCESS_KEY_ID"],
        "{:?}",
        aws(&nested)
    );
    assert_eq!(
        partner["AWS_SESSION_TOKEN"],
        nested.get("AWS_SESSION_TOKEN").cloned().unwrap_or_default()
    );
}

/// `credential_source = Environment` in a dev hook shell: the role is assumed with the user's
/// own keys (the key moto sees signing AssumeRole), not dev's session.
#[test]
fn credential_source_environment_uses_the_users_own_keys() {
    let Some((moto, env)) = world() else {
        return;
    };
    moto.reset_calls();
    in_dev_shell(&env, "\"$AWSDO\" -p envrole -- true");
    let signers: Vec<String> = moto
        .requests()
        .iter()
        .filter(|r| {
            util::sts::decode(&r.body_str())
                .get("RoleArn")
                .is_some_and(|a| a.ends_with("role/envrole"))
        })
        .filter_map(|r| {
            let auth = r.header("authorization")?;
            let cred = auth.split("Credential=").nth(1)?;
            Some(cred.split('/').next()?.to_owned())
        })
        .collect();
    assert_eq!(vec![USER_KEY.to_owned()], signers);
}

/// The browser gets a path, not the sign-in URL: the token is not in its argv; the page
/// (0600) redirects to the URL and is gone when awsdo returns. Nor does the browser get
/// credentials or hook state.
#[test]
fn console_hands_the_browser_a_private_page_not_the_token() {
    let Some((_moto, mut env)) = world() else {
        return;
    };
    const TOKEN: &str = "fake-signin-token-children";
    let fed = HttpServer::start(|req: &Request| {
        if req.query().get("Action").map(String::as_str) == Some("getSigninToken") {
            Response::json(200, &format!("{{\"SigninToken\":\"{TOKEN}\"}}"))
        } else {
            Response::text(400, "bad request")
        }
    });
    env.set_var("AWSDO_FEDERATION_ENDPOINT", &fed.url());
    let rec = env.root().join("browser");
    let browser = script(
        &env,
        "browser",
        &format!(
            "#!/bin/sh\nd={}\nprintf '%s\\n' \"$0\" \"$@\" > \"$d.argv\"\ncat \"$1\" > \"$d.page\"\n\
             stat -c %a \"$1\" > \"$d.mode\"\nprintf '%s' \"$1\" > \"$d.path\"\nenv -0 > \"$d.env\"\n",
            sh_quote(rec.to_str().unwrap())
        ),
    );
    env.set_var("BROWSER", browser.to_str().unwrap());
    let runtime = env.root().to_str().unwrap().to_owned();
    env.set_var("XDG_RUNTIME_DIR", &runtime);
    let out = bounded(env.cmd().args(["console", "-p", "dev"]), T);
    assert!(out.status.success(), "{}", util::describe(&out));
    let argv = fs::read_to_string(rec.with_extension("argv")).unwrap();
    assert!(
        !argv.contains(TOKEN),
        "the token is on the browser's command line: {argv}"
    );
    let page = fs::read_to_string(rec.with_extension("page")).unwrap();
    let url = format!(
        "{}/federation?Action=login&amp;Issuer=awsdo&amp;Destination=https%3A%2F%2Fconsole.aws.amazon.com%2F&amp;SigninToken={TOKEN}",
        fed.url()
    );
    assert!(
        page.contains(&format!("http-equiv=\"refresh\" content=\"0;url={url}\"")),
        "{page}"
    );
    eqnice!(
        "600\n",
        fs::read_to_string(rec.with_extension("mode")).unwrap()
    );
    let path = fs::read_to_string(rec.with_extension("path")).unwrap();
    assert!(!Path::new(&path).exists(), "{path} is left behind");
    let seen = read_env(&rec.with_extension("env"));
    for v in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWSDO_STATE",
    ] {
        assert!(!seen.contains_key(v), "the browser got {v}");
    }
}

// --- deadlines and caps ---------------------------------------------------------------------

/// A TestEnv (no STS reachable) with a profile per hostile helper.
fn hostile() -> TestEnv {
    let env = TestEnv::with_endpoint("http://127.0.0.1:9");
    let pids = env.root().to_str().unwrap().to_owned();
    let sleeper = script(
        &env,
        "sleeper",
        &format!(
            "#!/bin/sh\necho $$ > {0}/{1}.pid\nsleep 1000 &\necho $! > {0}/{1}.child\nwait\n",
            sh_quote(&pids),
            "$1"
        ),
    );
    let loud = script(&env, "loud", "#!/bin/sh\nexec yes '{\"Version\":1}'\n");
    env.write_config(&format!(
        "[profile hangcp]\ncredential_process = {s} cp\n\
         [profile loudcp]\ncredential_process = {l}\n\
         [profile hangmfa]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n\
         mfa_serial = {MFA_SERIAL}\nmfa_process = {s} mfa\n\
         [profile loudmfa]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\n\
         mfa_serial = {MFA_SERIAL}\nmfa_process = {l}\n",
        s = sleeper.display(),
        l = loud.display()
    ));
    env.write_credentials(
        "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n",
    );
    env
}

fn check_hung(profile: &str, tag: &str, kind: &str) {
    let env = hostile();
    let out = bounded(
        env.cmd()
            .args(["export", "bash"])
            .env("AWS_PROFILE", profile)
            .env("AWSDO_HOOK_TIMEOUT", "1s"),
        T,
    );
    assert_eq!(Some(1), out.status.code(), "{}", util::describe(&out));
    let err = util::stderr(&out);
    assert!(
        err.contains(&format!(
            "could not run {kind} of profile \"{profile}\": it did not finish within 1s"
        )),
        "{err}"
    );
    for which in ["pid", "child"] {
        let pid = pid_in(&env.root().join(format!("{tag}.{which}")));
        assert!(gone(pid), "the helper's {which} {pid} is still running");
    }
}

/// Under the hook (AWSDO_HOOK_TIMEOUT=1s) a credential_process that never exits is stopped,
/// with the process it started, and the prompt gets one line.
#[test]
fn a_hung_credential_process_is_stopped_at_the_hooks_deadline() {
    check_hung("hangcp", "cp", "credential_process");
}

/// The same for a hung mfa_process.
#[test]
fn a_hung_mfa_process_is_stopped_at_the_hooks_deadline() {
    check_hung("hangmfa", "mfa", "mfa_process");
}

/// Helpers that print without end are stopped at 1 MiB, in bounded memory (the run has 1 GiB
/// of address space).
#[test]
fn endless_helper_output_is_capped() {
    let env = hostile();
    for (profile, kind) in [("loudcp", "credential_process"), ("loudmfa", "mfa_process")] {
        let out = bounded(
            env.command("bash").args([
                "-c",
                "ulimit -v 1048576; exec \"$0\" -p \"$1\" -- true",
                util::awsdo_bin(),
                profile,
            ]),
            T,
        );
        assert_eq!(Some(1), out.status.code(), "{}", util::describe(&out));
        let err = util::stderr(&out);
        assert!(
            err.contains(&format!(
                "could not run {kind} of profile \"{profile}\": it printed more than 1 MiB"
            )),
            "{err}"
        );
    }
}

/// A helper runs in its own process group (to be killed whole), yet may still talk to the
/// user on the terminal, as aws-vault's prompt does: awsdo lends it the terminal, so reading
/// `/dev/tty` does not stop it (SIGTTIN), and takes the terminal back afterwards.
#[test]
fn a_helper_may_ask_on_the_terminal() {
    let Some((moto, env)) = world() else {
        return;
    };
    let asker = script(
        &env,
        "asker",
        "#!/bin/sh\nprintf 'helper code? ' > /dev/tty\nread -r c < /dev/tty\necho \"$c\"\n",
    );
    env.write_config(&format!(
        "[profile asks]\nrole_arn = arn:aws:iam::123456789012:role/asks\nsource_profile = base\n\
         mfa_serial = {MFA_SERIAL}\nmfa_process = {}\n",
        asker.display()
    ));
    let line = format!(
        "cd {} && PS1='$ ' exec bash --noprofile --norc -i",
        sh_quote(env.root().to_str().unwrap())
    );
    let Some(tmux) = Tmux::start(&line, &env.env_vars()) else {
        return;
    };
    assert!(tmux.wait_for("$", T), "{}", tmux.screen());
    tmux.send_keys(&format!(
        "{} -p asks -- true; echo \"rc=$?\"",
        sh_quote(util::awsdo_bin())
    ));
    assert!(tmux.wait_for("helper code?", T), "{}", tmux.screen());
    tmux.send_keys("654321");
    assert!(tmux.wait_for("rc=0", T), "{}", tmux.screen());
    let codes: Vec<String> = moto
        .requests()
        .iter()
        .map(|r| util::sts::decode(&r.body_str()))
        .filter_map(|p| p.get("TokenCode").cloned())
        .collect();
    assert_eq!(vec!["654321".to_owned()], codes);
    // The shell has its terminal back: it runs the next command.
    tmux.send_keys("echo back-$((40+2))");
    assert!(tmux.wait_for("back-42", T), "{}", tmux.screen());
}

// --- Expiration as the AWS CLI reads it ---------------------------------------------------

/// For each string: botocore's reading (the credential_process provider's
/// `RefreshableCredentials._expiry_datetime`, a time it can compare with its clock) and
/// awsdo's agree on accept/refuse and on the instant. The one difference is asserted too: an
/// instant past year 9999 in UTC, which awsdo refuses as out of range.
#[test]
fn expiration_is_read_as_botocore_reads_it() {
    if !util::require("aws") {
        return;
    }
    // botocore as the AWS CLI's Python has it (the CLI is a pyenv shim for the same python3).
    let python = "python3";
    let rows = [
        "2026-12-01T10:00:00Z",
        "2026-12-01T10:00:00+0000",
        "2026-12-01 10:00:00 UTC",
        "2026-12-01 10:00:00 GMT",
        "2026-12-01T10:00:00+00:00",
        "2026-12-01T11:30:00+01:30",
        "2026-12-01T08:00:00-0200",
        "2026-12-01T10:00:00-00",
        "2026-12-01t10:00:00z",
        "2026-12-01T10:00Z",
        "2026-12-01T10:00:00.123456Z",
        "2026-12-01T10:00:00.5+05:00",
        "2099-02-28T23:59:59Z",
        "Tue, 01 Dec 2026 10:00:00 GMT",
        "Tue, 01 Dec 2026 11:00:00 +0100",
        "9999-12-31T23:59:59Z",
        "2026-12-01T10:00:00",
        "2026-12-01",
        "garbage",
        "",
        "1796119200",
        "2026-12-01T10:00:00+24:00",
        "2026-13-01T10:00:00Z",
        "2026-02-30T10:00:00Z",
        "2026-12-01T25:00:00Z",
    ];
    let code = "import sys, json\nfrom botocore.credentials import RefreshableCredentials as R\n\
                out = []\nfor s in json.load(sys.stdin):\n    try:\n        d = R._expiry_datetime(s)\n        \
                out.append(int(d.timestamp()) if d.tzinfo is not None else None)\n    except Exception:\n        \
                out.append(None)\nprint(json.dumps(out))\n";
    let mut py = Command::new(python)
        .args(["-c", code])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    py.stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&rows).unwrap().as_bytes())
        .unwrap();
    let out = py.wait_with_output().unwrap();
    if !out.status.success() {
        assert!(
            !util::required_by_env("aws"),
            "botocore is not importable by python3"
        );
        eprintln!("skipping: botocore not importable by python3");
        return;
    }
    let botocore: Vec<Option<i64>> = serde_json::from_slice(&out.stdout).unwrap();

    let env = TestEnv::new();
    let cp = script(
        &env,
        "exp",
        "#!/bin/sh\nprintf '{\"Version\":1,\"AccessKeyId\":\"AKIAFAKEEXP000000001\",\"SecretAccessKey\":\"x\",\"Expiration\":\"%s\"}' \"$EXP\"\n",
    );
    env.write_config(&format!(
        "[profile exp]\ncredential_process = {}\n",
        cp.display()
    ));
    let mut rows: Vec<(&str, Option<i64>)> = rows.iter().copied().zip(botocore).collect();
    rows.push(("9999-12-31T23:59:59-00:01", None));
    for (s, boto) in rows {
        let out = bounded(
            env.cmd()
                .args(["-p", "exp", "--disable-cache", "--format", "json"])
                .env("EXP", s),
            T,
        );
        let ours = out.status.success().then(|| {
            let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
            let e = v["AWS_CREDENTIAL_EXPIRATION"].as_str().unwrap().to_owned();
            time::OffsetDateTime::parse(&e, &time::format_description::well_known::Rfc3339)
                .unwrap()
                .unix_timestamp()
        });
        assert_eq!(boto, ours, "Expiration {s:?}: {}", util::describe(&out));
        if ours.is_none() {
            let err = util::stderr(&out);
            eqnice!(1, err.lines().count(), "{err}");
            assert!(
                err.contains(&format!("could not get credentials for profile \"exp\": credential_process printed Expiration {s:?}, ")),
                "{err}"
            );
        }
    }
}

// --- secrets through process facilities ---------------------------------------------------

/// With `ulimit -c unlimited`, Ctrl-\ at the MFA prompt (after the long-lived secret was read)
/// leaves no core: bash reports "Quit" without "(core dumped)" (the kernel's flag, whatever
/// core_pattern says) and no core file appears.
#[test]
fn ctrl_backslash_at_the_mfa_prompt_dumps_no_core() {
    if !util::require("bash") {
        return;
    }
    let env = hostile();
    let dir = env.root().join("cwd");
    fs::create_dir_all(&dir).unwrap();
    // An interactive bash, as a user has: it ignores SIGQUIT itself, not in its jobs.
    let line = format!(
        "cd {} && PS1='$ ' exec bash --noprofile --norc -i",
        sh_quote(dir.to_str().unwrap())
    );
    env.write_config(&format!(
        "[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\n"
    ));
    let Some(tmux) = Tmux::start(&line, &env.env_vars()) else {
        return;
    };
    assert!(tmux.wait_for("$", T), "{}", tmux.screen());
    tmux.send_keys(&format!(
        "ulimit -c unlimited; {} -p mfa -- true; echo \"rc=$?\"",
        sh_quote(util::awsdo_bin())
    ));
    assert!(tmux.wait_for("MFA code for", T), "{}", tmux.screen());
    tmux.send_raw(&["C-\\"]);
    assert!(tmux.wait_for("rc=131", T), "{}", tmux.screen());
    let screen = tmux.screen();
    assert!(screen.contains("Quit"), "{screen}");
    assert!(!screen.contains("core dumped"), "{screen}");
    let cores: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(cores.is_empty(), "{cores:?}");
}

/// Ctrl-C at the MFA prompt of a run inside a command substitution (as the bash hook's
/// `awsdo use` runs it): bash restores the terminal after a killed foreground job, not after a
/// killed command substitution, so awsdo restores echo itself before the signal ends it.
#[test]
fn ctrl_c_at_the_mfa_prompt_in_a_command_substitution_leaves_echo_on() {
    if !util::require("bash") {
        return;
    }
    let env = hostile();
    env.write_config(&format!(
        "[profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = base\nmfa_serial = {MFA_SERIAL}\n"
    ));
    let Some(tmux) = Tmux::start("PS1='$ ' exec bash --noprofile --norc -i", &env.env_vars())
    else {
        return;
    };
    assert!(tmux.wait_for("$", T), "{}", tmux.screen());
    tmux.send_keys(&format!(
        "out=$({} -p mfa --format env); echo \"rc=$?\"",
        sh_quote(util::awsdo_bin())
    ));
    assert!(tmux.wait_for("MFA code for", T), "{}", tmux.screen());
    // Ctrl-C ends the whole command line (bash drops the rest of the list), then the prompt.
    tmux.send_raw(&["C-c"]);
    tmux.send_keys("stty -a | tr ' ' '\\n' | grep -x -e echo -e -echo | sed 's/^/mode:/'");
    // "\nmode:" is stty's answer at the start of a line, not the command line echoed.
    assert!(tmux.wait_for("\nmode:", T), "{}", tmux.screen());
    let screen = tmux.screen();
    assert!(
        screen.contains("mode:echo") && !screen.contains("mode:-echo"),
        "{screen}"
    );
}

/// `AWSDO_STATE` is an ordinary variable of the shell: a forged or stale one naming `PATH` or
/// `HOME` must not make the hook unset or "restore" them; only the credential and region
/// variables awsdo sets are ever reverted (as for the children's environment above).
#[test]
fn a_forged_hook_state_reverts_only_awsdos_variables() {
    let mut env = TestEnv::with_endpoint("http://127.0.0.1:9");
    env.set_var("AWSDO_PROFILE", "prod");
    env.set_var(
        "AWSDO_STATE",
        r#"{"owned":["PATH","HOME","AWS_ACCESS_KEY_ID"],"saved":{"HOME":"/tmp/x","AWS_REGION":"eu-west-1"}}"#,
    );
    let out = util::run_ok(env.cmd().args(["export", "bash"]));
    let text = util::stdout(&out);
    assert!(text.contains("AWS_ACCESS_KEY_ID"), "{text}");
    assert!(
        !text.contains("PATH") && !text.contains("HOME"),
        "only awsdo's variables are reverted:\n{text}"
    );
}
