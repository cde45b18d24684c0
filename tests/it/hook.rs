//! The prompt hook end to end (DESIGN §5–6): the real binary's `awsdo hook SHELL` sourced into
//! real bash, zsh and fish, with moto (or a `credential_process` script, or a slow/closed STS)
//! behind it. The shells run non-interactively in strict mode (bash `-euo pipefail`, zsh
//! `-eu`), without a controlling terminal (`setsid`), and fire the prompt hook the way a prompt
//! would; tmux runs the interactive cases (a real prompt, the MFA prompt, zsh completion).
//!
//! Most scripts load the hook with its binary path replaced by a wrapper that logs every call
//! and then execs the real binary, so "the second prompt starts no process" is checked against
//! the log (and, where strace is present, against the kernel's view).
//!
//! Each test is generated once per shell (`bash`, `zsh`, `fish` modules). PowerShell cannot run
//! here; its snippet is parsed in `src/shell/real_shells.rs`.

use crate::util;

use std::fs;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::util::driver::{
    assert_holds, aws_vars, cached, calls, closed_port, credential_process_profile, dump, phase,
    process_json, processes_between,
};
use crate::util::http::{HttpServer, Response};
use crate::util::moto::Moto;
use crate::util::tmux::Tmux;
use crate::util::{TestEnv, eqnice, sh_quote};

const BASE_KEYS: &str =
    "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n";
const MFA_SERIAL: &str = "arn:aws:iam::123456789012:mfa/alice";
const T: Duration = Duration::from_secs(30);

fn roles_config() -> String {
    format!(
        "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev-role\nsource_profile = base\nregion = eu-west-1\n\
         [profile prod]\nrole_arn = arn:aws:iam::123456789012:role/prod-role\nsource_profile = base\nregion = us-west-2\n\
         [profile mfa]\nrole_arn = arn:aws:iam::123456789012:role/mfa-role\nsource_profile = base\n\
         mfa_serial = {MFA_SERIAL}\nregion = eu-central-1\n"
    )
}

// ---------------------------------------------------------------------------------------------
// Shells
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sh {
    Bash,
    Zsh,
    Fish,
}

impl Sh {
    fn name(self) -> &'static str {
        match self {
            Sh::Bash => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
        }
    }

    /// No rc files, strict mode where the shell has one; the script follows.
    fn flags(self) -> &'static [&'static str] {
        match self {
            Sh::Bash => &["--noprofile", "--norc", "-euo", "pipefail", "-c"],
            Sh::Zsh => &["--no-rcs", "--no-globalrcs", "-eu", "-c"],
            Sh::Fish => &["--no-config", "--private", "-c"],
        }
    }

    /// Quoted for this shell (test paths and values; fish's single quotes differ from POSIX).
    fn quote(self, s: &str) -> String {
        match self {
            Sh::Fish => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", s.replace('\'', "'\\''")),
        }
    }

    /// The install line from the README, with the binary's full path.
    fn install(self, exe: &str) -> String {
        match self {
            Sh::Fish => format!("{} hook fish | source\n", self.quote(exe)),
            _ => format!("eval \"$({} hook {})\"\n", self.quote(exe), self.name()),
        }
    }

    /// Loads a file holding a hook.
    fn load(self, file: &Path) -> String {
        let q = self.quote(file.to_str().unwrap());
        match self {
            Sh::Fish => format!("command cat {q} | source\n"),
            _ => format!("eval \"$(command cat {q})\"\n"),
        }
    }

    /// Test helpers, the same names in every shell, each a one-word command:
    /// `__t_fire` (one prompt), `__t_set NAME VALUE` (export), `__t_unset NAME`,
    /// `__t_dump FILE` (`env -0` into FILE), `__t_past` (the refresh time has passed: both
    /// markers, as the clock would move them), `__t_phase NAME` (a `##NAME##` line on stdout
    /// and stderr, see `phase`; fish's event handlers write to the script's stderr whatever
    /// the redirection of the command that set the variable, so streams are split by markers).
    fn helpers(self) -> &'static str {
        match self {
            Sh::Bash => {
                "__t_fire() { local __t_c; for __t_c in \"${PROMPT_COMMAND[@]}\"; do eval \"$__t_c\"; done; }\n\
                 __t_set() { export \"$1=$2\"; }\n\
                 __t_unset() { unset \"$1\"; }\n\
                 __t_dump() { command env -0 > \"$1\"; }\n\
                 __t_past() { AWSDO_REFRESH_AT=$((EPOCHSECONDS - 1)); }\n\
                 __t_phase() { echo \"##$1##\"; echo \"##$1##\" >&2; }\n"
            }
            Sh::Zsh => {
                "__t_fire() { local __t_f; for __t_f in $precmd_functions; do $__t_f; done; }\n\
                 __t_set() { export \"$1=$2\"; }\n\
                 __t_unset() { unset \"$1\"; }\n\
                 __t_dump() { command env -0 > \"$1\"; }\n\
                 __t_past() { zmodload zsh/datetime; AWSDO_REFRESH_AT=$((EPOCHSECONDS - 1)); }\n\
                 __t_phase() { echo \"##$1##\"; echo \"##$1##\" >&2; }\n"
            }
            Sh::Fish => {
                "function __t_fire; emit fish_prompt; end\n\
                 function __t_set; set -gx $argv[1] $argv[2]; end\n\
                 function __t_unset; set -e $argv[1]; end\n\
                 function __t_dump; command env -0 > $argv[1]; end\n\
                 function __t_past\n\
                   set -gx AWSDO_REFRESH_AT (math (command date +%s) - 1)\n\
                   command touch -d @1 $AWSDO_REFRESH_FILE\n\
                 end\n\
                 function __t_phase; echo \"##$argv[1]##\"; echo \"##$argv[1]##\" >&2; end\n"
            }
        }
    }

    /// `AWSDO_REFRESH_AT` for bash/zsh, `AWSDO_REFRESH_FILE` for fish.
    fn refresh_var(self) -> &'static str {
        match self {
            Sh::Fish => "AWSDO_REFRESH_FILE",
            _ => "AWSDO_REFRESH_AT",
        }
    }
}

/// Runs `script` (after the helpers) in `sh` with `env`'s clean environment plus `extra`, in
/// `env.root()`, with stdin closed and no controlling terminal.
fn run(env: &TestEnv, sh: Sh, script: &str, extra: &[(&str, &str)]) -> Output {
    run_prefixed(env, sh, script, extra, None)
}

/// `run`, optionally under `prefix` (e.g. strace and its arguments).
fn run_prefixed(
    env: &TestEnv,
    sh: Sh,
    script: &str,
    extra: &[(&str, &str)],
    prefix: Option<&[String]>,
) -> Output {
    let shell = util::find_tool(sh.name()).expect("checked by the caller");
    let mut cmd = match prefix {
        Some(p) => {
            let mut c = env.command(&p[0]);
            c.args(&p[1..]).arg(&shell);
            c
        }
        None => env.command(&shell),
    };
    cmd.args(sh.flags())
        .arg(format!("{}{script}", sh.helpers()))
        .envs(extra.iter().copied())
        .stdin(Stdio::null());
    // SAFETY: setsid is async-signal-safe; it detaches from the controlling terminal so that
    // anything trying to ask on /dev/tty fails instead of waiting for a keyboard.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    cmd.output().expect("run shell")
}

#[track_caller]
fn assert_ok(out: &Output, what: &str) {
    assert!(out.status.success(), "{what}\n{}", util::describe(out));
}

/// The hook for `sh` with its binaries (awsdo and its `export` worker) replaced by wrappers
/// that log each call to `ROOT/calls` and exec the real one (`util::log_hook_calls`). Returns
/// the statement that loads it.
fn logged_hook(env: &TestEnv, sh: Sh) -> String {
    let out = util::run_ok(env.cmd().args(["hook", sh.name()]));
    let hook = util::log_hook_calls(env, &util::stdout(&out), |p| sh.quote(p));
    let file = env.write_file(&format!("hook.{}", sh.name()), &hook);
    sh.load(&file)
}

/// A file the test wrote, or "" when nothing was ever written.
fn file(env: &TestEnv, name: &str) -> String {
    fs::read_to_string(env.root().join(name)).unwrap_or_default()
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// The shell, moto and a TestEnv aimed at it with the role profiles; None when skipping.
fn with_moto(sh: Sh) -> Option<(Moto, TestEnv)> {
    if !util::require(sh.name()) {
        return None;
    }
    let moto = Moto::start()?;
    let env = TestEnv::with_endpoint(&moto.url());
    env.write_config(&roles_config());
    env.write_credentials(BASE_KEYS);
    Some((moto, env))
}

/// Generates `mod bash/zsh/fish { #[test] fn $name() }` calling `$check(Sh::…)`.
macro_rules! per_shell {
    ($($name:ident => $check:ident;)+) => {
        mod bash { use super::*; $(#[test] fn $name() { $check(Sh::Bash) })+ }
        mod zsh { use super::*; $(#[test] fn $name() { $check(Sh::Zsh) })+ }
        mod fish { use super::*; $(#[test] fn $name() { $check(Sh::Fish) })+ }
    };
}

per_shell! {
    switch_replaces_and_unset_restores => check_switch_and_restore;
    use_then_aws_cli_in_one_command_line => check_use_and_aws_cli;
    unchanged_prompt_runs_nothing_with_the_real_binary => check_unchanged_prompt;
    renewal_without_mfa_is_silent => check_silent_renewal;
    renewal_failing_on_sts_reports_once_and_keeps_the_credentials => check_failed_renewal;
    renewal_needing_mfa_hints_once_then_removes_at_expiry => check_mfa_renewal;
    profile_change_needing_mfa_asks_on_the_terminal => check_mfa_switch_in_tmux;
    unknown_hostile_profile_is_reported_once_and_runs_nothing => check_unknown_profile;
    slow_sts_never_holds_the_prompt => check_slow_sts;
    closed_sts_port_never_holds_the_prompt => check_closed_sts;
    hostile_values_round_trip_and_run_nothing => check_hostile_values;
    status_and_user_int_trap_survive_a_real_switch => check_status_and_trap;
    login_through_the_function_updates_the_shell => check_login;
    issue9_failed_use_leaves_the_shell_exactly_as_it_was => check_atomic_use;
    issue9_failed_login_through_the_function_changes_nothing => check_atomic_login;
    issue9_use_inside_a_function_changes_its_local_profile => check_function_local;
}

// ---------------------------------------------------------------------------------------------
// 1. Switch, replace, restore
// ---------------------------------------------------------------------------------------------

/// `AWS_PROFILE=dev` + prompt: dev's credentials and region; `prod`: prod's replace them;
/// unset: the environment is exactly what it was before the first switch, including the
/// user's own `AWS_REGION`. Installed with the README's line and the real binary.
fn check_switch_and_restore(sh: Sh) {
    let Some((moto, env)) = with_moto(sh) else {
        return;
    };
    let script = format!(
        "{}__t_dump d0\n\
         __t_set AWS_PROFILE dev\n__t_fire\n__t_dump d1\n\
         __t_set AWS_PROFILE prod\n__t_fire\n__t_dump d2\n\
         __t_unset AWS_PROFILE\n__t_fire\n__t_dump d3\n",
        sh.install(util::awsdo_bin())
    );
    let out = run(&env, sh, &script, &[("AWS_REGION", "ap-south-1")]);
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
    assert!(d1.contains_key(sh.refresh_var()), "{d1:?}");
    assert_holds(&d2, &cached(&env, "prod"));
    assert_ne!(d1["AWS_ACCESS_KEY_ID"], d2["AWS_ACCESS_KEY_ID"]);
    eqnice!("us-west-2", d2["AWS_REGION"]);
    eqnice!("us-west-2", d2["AWS_DEFAULT_REGION"]);
    eqnice!("prod", d2["AWSDO_PROFILE"]);
    // Back to exactly the environment from before the first switch (`_` is bash's last
    // command, the same `env` both times).
    eqnice!(format!("{d0:#?}"), format!("{d3:#?}"));
}

// ---------------------------------------------------------------------------------------------
// 2. awsdo use, the AWS CLI, completion
// ---------------------------------------------------------------------------------------------

/// `awsdo use prod && aws sts get-caller-identity` signs with prod's credentials from awsdo
/// (the CLI's own AssumeRole would show as a second call); `awsdo use --unset` clears them.
fn check_use_and_aws_cli(sh: Sh) {
    if !util::require("aws") {
        return;
    }
    let Some((moto, env)) = with_moto(sh) else {
        return;
    };
    let script = format!(
        "{}awsdo use prod && aws sts get-caller-identity --query Arn --output text > arn\n\
         __t_dump d1\nawsdo use --unset\n__t_dump d2\n\
         awsdo use prod\nawsdo use nope 2> use-err || __t_dump d3\n",
        logged_hook(&env, sh)
    );
    let out = run(&env, sh, &script, &[("AWS_DEFAULT_REGION", "us-east-1")]);
    assert_ok(&out, "use");
    let err = util::stderr(&out);
    assert_eq!(err.lines().count(), 2, "{err}");
    assert!(
        err.lines()
            .all(|l| l.starts_with("awsdo: using profile \"prod\", valid for ")),
        "{err}"
    );
    let arn = file(&env, "arn");
    assert!(arn.contains(":assumed-role/prod-role/"), "{arn}");
    eqnice!(1, moto.count("AssumeRole"));
    let key = cached(&env, "prod")["AccessKeyId"].clone();
    let signed: Vec<String> = moto
        .requests()
        .iter()
        .filter(|r| r.body_str().contains("Action=GetCallerIdentity"))
        .filter_map(|r| r.header("authorization").map(str::to_owned))
        .collect();
    assert_eq!(signed.len(), 1, "{signed:?}");
    assert!(
        signed[0].contains(&format!("Credential={key}/")),
        "{signed:?}"
    );
    let d1 = dump(&env, "d1");
    eqnice!("prod", d1["AWS_PROFILE"]);
    eqnice!("us-west-2", d1["AWS_DEFAULT_REGION"]);
    let d2 = aws_vars(&dump(&env, "d2"));
    eqnice!("{\"AWS_DEFAULT_REGION\": \"us-east-1\"}", format!("{d2:?}"));
    // A failed `awsdo use` fails the command line and leaves the shell on prod.
    let d3 = aws_vars(&dump(&env, "d3"));
    eqnice!("prod", d3["AWS_PROFILE"]);
    eqnice!("prod", d3["AWSDO_PROFILE"]);
    assert_holds(&d3, &cached(&env, "prod"));
    eqnice!("us-west-2", d3["AWS_DEFAULT_REGION"]);
    assert!(file(&env, "use-err").starts_with("awsdo: could not find profile \"nope\""));
    let name = sh.name();
    eqnice!(
        format!("export {name} --atomic use\n").repeat(4).trim_end(),
        calls(&env).join("\n")
    );
}

/// bash: the registered completion (`complete -p awsdo`) called the way readline calls it.
#[test]
fn bash_completes_profile_names_after_use() {
    if !util::require("bash") {
        return;
    }
    let env = TestEnv::new();
    env.write_config("[profile dev]\nregion = eu-west-1\n[profile prod]\n[profile prod-eu]\n");
    let script = format!(
        "{}complete -p awsdo\n\
         COMP_WORDS=(awsdo use pr); COMP_CWORD=2; COMP_LINE='awsdo use pr'; COMP_POINT=12\n\
         __t_fn=$(complete -p awsdo); __t_fn=${{__t_fn#*-F }}; __t_fn=${{__t_fn%% *}}\n\
         \"$__t_fn\" awsdo pr use\nprintf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        Sh::Bash.install(util::awsdo_bin())
    );
    let out = run(&env, Sh::Bash, &script, &[]);
    assert_ok(&out, "complete");
    eqnice!(
        "complete -F __awsdo_complete awsdo\nprod\nprod-eu\n",
        util::stdout(&out)
    );
}

/// fish: `complete -C` runs fish's own completion machinery.
#[test]
fn fish_completes_profile_names_after_use() {
    if !util::require("fish") {
        return;
    }
    let env = TestEnv::new();
    env.write_config("[profile dev]\n[profile prod]\n[profile prod-eu]\n");
    env.write_credentials(BASE_KEYS);
    let script = format!(
        "{}complete -C 'awsdo use '\necho ==\ncomplete -C 'awsdo use pr'\n",
        Sh::Fish.install(util::awsdo_bin())
    );
    let out = run(&env, Sh::Fish, &script, &[]);
    assert_ok(&out, "complete");
    eqnice!(
        "base\ndev\nprod\nprod-eu\n==\nprod\nprod-eu\n",
        util::stdout(&out)
    );
}

/// zsh: an interactive zsh in tmux with compinit; `awsdo use pro<TAB>` completes the one
/// match, and `awsdo use <TAB>` lists the profiles.
#[test]
fn zsh_completes_profile_names_after_use_in_tmux() {
    if !util::require("zsh") {
        return;
    }
    let env = TestEnv::new();
    env.write_config("[profile dev]\n[profile production]\n");
    env.write_credentials(BASE_KEYS);
    let zdotdir = env.root().join("zdot");
    fs::create_dir_all(&zdotdir).unwrap();
    fs::write(
        zdotdir.join(".zshrc"),
        format!(
            "PS1='%% '\nautoload -Uz compinit && compinit -u -D\n{}",
            Sh::Zsh.install(util::awsdo_bin())
        ),
    )
    .unwrap();
    let mut vars = env.env_vars();
    vars.push(("ZDOTDIR".into(), zdotdir.to_str().unwrap().into()));
    let cmdline = format!(
        "cd {} && exec zsh --no-globalrcs -i",
        sh_quote(env.root().to_str().unwrap())
    );
    let Some(tmux) = Tmux::start(&cmdline, &vars) else {
        return;
    };
    assert!(tmux.wait_for("%", T), "{}", tmux.screen());
    tmux.type_text("awsdo use pro");
    tmux.send_raw(&["Tab"]);
    assert!(
        tmux.wait_for("awsdo use production", T),
        "{}",
        tmux.screen()
    );
    tmux.send_raw(&["C-u"]);
    tmux.type_text("awsdo use ");
    tmux.send_raw(&["Tab"]);
    let listed = |s: &str| s.contains("base") && s.contains("dev") && s.contains("production");
    let deadline = Instant::now() + T;
    while !listed(&tmux.screen()) && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(listed(&tmux.screen()), "{}", tmux.screen());
}

// ---------------------------------------------------------------------------------------------
// 3. No process on an unchanged prompt (real binary)
// ---------------------------------------------------------------------------------------------

/// The hook sourced twice next to another prompt hook; one switch calls the binary once;
/// twenty unchanged prompts print nothing, call nothing and (strace) create no process.
fn check_unchanged_prompt(sh: Sh) {
    if !util::require(sh.name()) {
        return;
    }
    let env = TestEnv::new();
    let (json, _) = process_json("AKIAFAKEPROCESS00001", "fake-secret", "fake-token");
    env.write_config(&credential_process_profile(&env, "cp", &json, "eu-west-1"));
    let hook = logged_hook(&env, sh);
    let other = match sh {
        Sh::Bash => "__t_other() { echo other >> others; }\nPROMPT_COMMAND=(__t_other)\n",
        Sh::Zsh => "__t_other() { echo other >> others; }\nprecmd_functions=(__t_other)\n",
        Sh::Fish => "function __t_other --on-event fish_prompt; echo other >> others; end\n",
    };
    let fires = "__t_fire\n".repeat(20);
    let script = format!(
        "{other}{hook}{hook}__t_phase 1\n__t_set AWS_PROFILE cp\n__t_fire\n__t_dump d1\n\
         __t_phase 2\ntrue > PHASE2\n{fires}true > PHASE3\n"
    );
    // Without strace (and not required) the wrapper's log is the proof.
    let strace = util::tool("strace");
    let trace = env.root().join("trace");
    let prefix: Option<Vec<String>> = strace.map(|s| {
        vec![
            s.to_str().unwrap().to_owned(),
            "-f".into(),
            "-qq".into(),
            "-e".into(),
            "trace=execve,clone,clone3,fork,vfork,openat".into(),
            "-o".into(),
            trace.to_str().unwrap().to_owned(),
        ]
    });
    let out = run_prefixed(&env, sh, &script, &[], prefix.as_deref());
    assert_ok(&out, "unchanged");
    eqnice!("##1##\n##2##\n", util::stdout(&out));
    eqnice!("##1##\n##2##\n", util::stderr(&out));
    eqnice!(format!("export {}", sh.name()), calls(&env).join("\n"));
    eqnice!(21, file(&env, "others").lines().count());
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
        // The trace does see processes: the switch ran the wrapper, then the binary.
        let before = processes_between(&trace, None, "PHASE2");
        assert!(
            before.iter().any(|l| l.contains("awsdo-logged")),
            "strace saw no binary:\n{before:#?}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Renewal
// ---------------------------------------------------------------------------------------------

/// After the refresh time (simulated: the marker moved into the past, and `AWSDO_MIN_TTL`
/// raised so the cached session counts as due), the next prompt renews: new credentials,
/// nothing on stderr, and the prompt after that calls nothing.
fn check_silent_renewal(sh: Sh) {
    let Some((moto, env)) = with_moto(sh) else {
        return;
    };
    let script = format!(
        "{}__t_set AWS_PROFILE dev\n__t_fire\n__t_dump d1\n\
         __t_set AWSDO_MIN_TTL 24h\n__t_past\n__t_fire\n__t_dump d2\n__t_fire\n",
        logged_hook(&env, sh)
    );
    let out = run(&env, sh, &script, &[]);
    assert_ok(&out, "renewal");
    eqnice!("", util::stdout(&out));
    eqnice!("", util::stderr(&out));
    eqnice!(2, moto.count("AssumeRole"));
    let (d1, d2) = (dump(&env, "d1"), dump(&env, "d2"));
    assert_ne!(d1["AWS_ACCESS_KEY_ID"], d2["AWS_ACCESS_KEY_ID"]);
    assert_holds(&aws_vars(&d2), &cached(&env, "dev"));
    eqnice!("dev", d2["AWSDO_PROFILE"]);
    let name = sh.name();
    eqnice!(
        format!("export {name}\nexport {name}"),
        calls(&env).join("\n")
    );
}

/// A role behind MFA whose shared MFA session is gone: the renewal prints one hint and never
/// asks (no terminal exists; asking would fail with a different message); the next prompt is
/// silent and calls nothing; at expiry the credentials go, with one line saying so.
fn check_mfa_renewal(sh: Sh) {
    let Some((moto, env)) = with_moto(sh) else {
        return;
    };
    // Seed the cache with -c, then let the profile's session end in `life` seconds and
    // forget the MFA session it came from.
    util::run_ok(env.cmd().args(["login", "mfa", "-c", "123456"]));
    let life = 20;
    let entry_path = env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        "mfa",
        "json",
    ));
    let mut entry: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&entry_path).unwrap()).unwrap();
    let exp_at = now() + life;
    let exp = util::iso8601(UNIX_EPOCH + Duration::from_secs(exp_at as u64));
    entry["credentials"]["Expiration"] = serde_json::json!(exp);
    fs::write(&entry_path, entry.to_string()).unwrap();
    let mut removed = 0;
    for e in fs::read_dir(env.cache_dir()).unwrap().flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if name.starts_with("mfa.") {
            fs::remove_file(e.path()).unwrap();
            removed += usize::from(name.ends_with(".json"));
        }
    }
    assert_eq!(removed, 1, "one cached MFA session");
    moto.reset_calls();

    let script = format!(
        "{}__t_phase 1\n__t_set AWS_PROFILE mfa\n__t_fire\n__t_dump d1\n\
         __t_set AWSDO_MIN_TTL 1h\n__t_past\n__t_phase 2\n__t_fire\n__t_dump d2\n\
         __t_phase 3\n__t_fire\n\
         while test \"$(command date +%s)\" -le {exp_at}; command sleep 0.5; end\n\
         __t_phase 4\n__t_fire\n__t_dump d4\n__t_phase 5\n__t_fire\n",
        logged_hook(&env, sh)
    );
    let script = match sh {
        Sh::Fish => script,
        _ => script.replace("; command sleep 0.5; end", "; do command sleep 0.5; done"),
    };
    let out = run(&env, sh, &script, &[("AWSDO_MIN_TTL", "5s")]);
    assert_ok(&out, "mfa renewal");
    let err = |n| phase(&out.stderr, n);
    eqnice!("", err("1"));
    eqnice!("##1##\n##2##\n##3##\n##4##\n##5##\n", util::stdout(&out));
    let d1 = aws_vars(&dump(&env, "d1"));
    eqnice!(exp, d1["AWS_CREDENTIAL_EXPIRATION"]);
    eqnice!(
        "awsdo: could not renew credentials for profile \"mfa\": an MFA code is needed; run: awsdo login mfa\n",
        err("2")
    );
    let d2 = aws_vars(&dump(&env, "d2"));
    for k in [
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
    ] {
        eqnice!(d1[k], d2[k], "{k} kept until expiry");
    }
    eqnice!("", err("3"));
    eqnice!(
        "awsdo: removed the expired credentials of profile \"mfa\"; run: awsdo login mfa\n",
        err("4")
    );
    let d4 = aws_vars(&dump(&env, "d4"));
    eqnice!(
        "{\"AWSDO_PROFILE\": \"mfa\", \"AWS_PROFILE\": \"mfa\"}",
        format!("{d4:?}")
    );
    eqnice!("", err("5"));
    let name = sh.name();
    eqnice!(
        format!("export {name}\nexport {name}\nexport {name}"),
        calls(&env).join("\n")
    );
    // No STS call but the seeding login's carried an MFA code: nobody was asked.
    let with_code = moto
        .requests()
        .iter()
        .filter(|r| r.body_str().contains("TokenCode"))
        .count();
    eqnice!(1, with_code);
}

/// A real interactive prompt in tmux: switching to a profile that needs MFA asks on the
/// terminal at the next prompt, the typed code reaches STS, the shell gets the credentials,
/// and `$?` of the command line survives the hook.
fn check_mfa_switch_in_tmux(sh: Sh) {
    let Some((moto, env)) = with_moto(sh) else {
        return;
    };
    let shell = util::find_tool(sh.name()).unwrap();
    let shell = sh_quote(shell.to_str().unwrap());
    let hook = sh.install(util::awsdo_bin());
    let mut vars = env.env_vars();
    let cmdline = match sh {
        Sh::Bash => {
            let rc = env.write_file("bashrc", &format!("PS1='$ '\n{hook}"));
            format!(
                "exec {shell} --noprofile --rcfile {} -i",
                sh_quote(rc.to_str().unwrap())
            )
        }
        Sh::Zsh => {
            env.write_file("zdot/.zshrc", &format!("PS1='$ '\n{hook}"));
            vars.push((
                "ZDOTDIR".into(),
                env.root().join("zdot").to_str().unwrap().into(),
            ));
            format!("exec {shell} --no-globalrcs -i")
        }
        Sh::Fish => {
            let rc = env.write_file(
                "rc.fish",
                &format!("function fish_prompt; echo '$ '; end\n{hook}"),
            );
            format!(
                "exec {shell} --no-config --private -i -C {}",
                sh_quote(&format!("source {}", Sh::Fish.quote(rc.to_str().unwrap())))
            )
        }
    };
    let cmdline = format!("cd {} && {cmdline}", sh_quote(env.root().to_str().unwrap()));
    let Some(tmux) = Tmux::start(&cmdline, &vars) else {
        return;
    };
    assert!(tmux.wait_for("$", T), "{}", tmux.screen());
    let set = match sh {
        Sh::Fish => "set -gx AWS_PROFILE mfa; false",
        _ => "export AWS_PROFILE=mfa; false",
    };
    tmux.send_keys(set);
    assert!(
        tmux.wait_for(&format!("MFA code for {MFA_SERIAL} (profile "), T),
        "{}",
        tmux.screen()
    );
    tmux.send_keys("654321");
    let status = match sh {
        Sh::Fish => "$status",
        _ => "$?",
    };
    tmux.send_keys(&format!(
        "echo \"st={status} key=$AWS_ACCESS_KEY_ID profile=$AWSDO_PROFILE\" > out"
    ));
    let deadline = Instant::now() + T;
    while !file(&env, "out").ends_with('\n') && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let key = cached(&env, "mfa")["AccessKeyId"].clone();
    eqnice!(
        format!("st=1 key={key} profile=mfa\n"),
        file(&env, "out"),
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

/// STS goes away after the switch: the first renewal attempt reports once and keeps the
/// credentials (still valid); the retry a minute later (simulated) is quiet.
fn check_failed_renewal(sh: Sh) {
    let Some((moto, env)) = with_moto(sh) else {
        return;
    };
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let script = format!(
        "{}__t_phase 1\n__t_set AWS_PROFILE dev\n__t_fire\n__t_dump d1\n\
         __t_set AWS_ENDPOINT_URL http://127.0.0.1:{closed}\n__t_set AWSDO_HOOK_TIMEOUT 2s\n\
         __t_set AWSDO_MIN_TTL 24h\n\
         __t_phase 2\n__t_past\n__t_fire\n__t_dump d2\n\
         __t_phase 3\n__t_past\n__t_fire\n__t_dump d3\n",
        logged_hook(&env, sh)
    );
    let out = run(&env, sh, &script, &[]);
    assert_ok(&out, "failed renewal");
    eqnice!("", phase(&out.stderr, "1"));
    let e2 = phase(&out.stderr, "2");
    assert_eq!(e2.lines().count(), 1, "{e2}");
    assert!(e2.starts_with("awsdo: could not"), "{e2}");
    eqnice!("", phase(&out.stderr, "3"));
    eqnice!("##1##\n##2##\n##3##\n", util::stdout(&out));
    let creds = cached(&env, "dev");
    assert_holds(&aws_vars(&dump(&env, "d2")), &creds);
    assert_holds(&aws_vars(&dump(&env, "d3")), &creds);
    eqnice!(1, moto.count("AssumeRole"));
    let n = sh.name();
    eqnice!(
        format!("export {n}\nexport {n}\nexport {n}"),
        calls(&env).join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// 5. Failures are recorded
// ---------------------------------------------------------------------------------------------

/// An unknown AWS_PROFILE made of shell syntax: one error line, recorded byte for byte in
/// AWSDO_PROFILE, nothing run, nothing exported; the next prompt prints and calls nothing.
fn check_unknown_profile(sh: Sh) {
    if !util::require(sh.name()) {
        return;
    }
    let env = TestEnv::new();
    env.write_config("[profile dev]\nregion = eu-west-1\n");
    let marker = env.root().join("MARKER");
    let m = marker.to_str().unwrap();
    let evil = format!("x'$(touch {m})`touch {m}`;touch {m}\"\n%self {{a,b}} $HOME\\");
    let script = format!(
        "{}__t_phase 1\n__t_set AWS_PROFILE \"$T_EVIL\"\n__t_fire\n__t_dump d1\n\
         __t_phase 2\n__t_fire\n__t_fire\n",
        logged_hook(&env, sh)
    );
    let out = run(&env, sh, &script, &[("T_EVIL", &evil)]);
    assert_ok(&out, "unknown profile");
    let e1 = phase(&out.stderr, "1");
    assert_eq!(e1.lines().count(), 1, "{e1}");
    assert!(
        e1.starts_with("awsdo: could not find profile \"x'$(touch "),
        "{e1}"
    );
    eqnice!("", phase(&out.stderr, "2"));
    eqnice!("##1##\n##2##\n", util::stdout(&out));
    let d1 = aws_vars(&dump(&env, "d1"));
    eqnice!(evil, d1["AWSDO_PROFILE"]);
    eqnice!(evil, d1["AWS_PROFILE"]);
    assert!(!d1.contains_key("AWS_ACCESS_KEY_ID"), "{d1:?}");
    eqnice!(format!("export {}", sh.name()), calls(&env).join("\n"));
    assert!(!marker.exists(), "the profile name was run as code");
}

/// Runs one switch against `endpoint` with AWSDO_HOOK_TIMEOUT=2s; the prompt returns within
/// 6 s, reports once, and the next prompt calls nothing.
fn check_bounded(sh: Sh, endpoint: &str) {
    let mut env = TestEnv::with_endpoint(endpoint);
    env.set_var("AWSDO_HOOK_TIMEOUT", "2s");
    env.write_config(&roles_config());
    env.write_credentials(BASE_KEYS);
    let script = format!(
        "{}__t_phase 1\n__t_set AWS_PROFILE dev\n__t_fire\n__t_phase 2\n__t_fire\n",
        logged_hook(&env, sh)
    );
    let start = Instant::now();
    let out = run(&env, sh, &script, &[]);
    let took = start.elapsed();
    assert_ok(&out, "bounded");
    assert!(took < Duration::from_secs(6), "the prompt took {took:?}");
    let e1 = phase(&out.stderr, "1");
    assert_eq!(e1.lines().count(), 1, "{e1}");
    assert!(e1.starts_with("awsdo: could not"), "{e1}");
    eqnice!("", phase(&out.stderr, "2"));
    eqnice!("##1##\n##2##\n", util::stdout(&out));
    eqnice!(format!("export {}", sh.name()), calls(&env).join("\n"));
}

fn check_slow_sts(sh: Sh) {
    if !util::require(sh.name()) {
        return;
    }
    let server =
        HttpServer::start(|_| Response::text(500, "late").with_delay(Duration::from_secs(30)));
    check_bounded(sh, &server.url());
}

fn check_closed_sts(sh: Sh) {
    if !util::require(sh.name()) {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    check_bounded(sh, &format!("http://127.0.0.1:{port}"));
}

// ---------------------------------------------------------------------------------------------
// 7. Hostile values
// ---------------------------------------------------------------------------------------------

/// Credentials (from credential_process) and a profile name (every character the config
/// accepts) full of shell syntax reach the shell byte for byte, run nothing, and go away again
/// on unset, with the region beside them.
fn check_hostile_values(sh: Sh) {
    if !util::require(sh.name()) {
        return;
    }
    let env = TestEnv::new();
    let marker = env.root().join("MARKER");
    let m = marker.to_str().unwrap();
    let key = format!("AKIA'\"$(touch {m})`touch {m}`;touch {m}\n\\");
    let secret = format!("s'\\''$(touch {m})\n;touch {m};\\");
    let token = format!("`touch {m}`\"'\\\n$HOME ${{HOME}} %self {{a,b}} * \\$(touch {m}) \\");
    // A region is a DNS label (the AWS CLI refuses anything else, and so does awsdo's config
    // validation, tests/validation.rs); its quoting is the same as the values' above.
    let region = "eu-hostile-1".to_owned();
    let name = "a/b.c%d@e:f+g-h_i";
    let (json, exp) = process_json(&key, &secret, &token);
    env.write_config(&credential_process_profile(&env, name, &json, &region));
    let script = format!(
        "{}__t_set AWS_PROFILE {}\n__t_fire\n__t_dump d1\n\
         __t_fire\n__t_unset AWS_PROFILE\n__t_fire\n__t_dump d2\n",
        logged_hook(&env, sh),
        sh.quote(name)
    );
    let out = run(&env, sh, &script, &[]);
    assert_ok(&out, "hostile");
    eqnice!("", util::stdout(&out));
    let d1 = aws_vars(&dump(&env, "d1"));
    eqnice!(key, d1["AWS_ACCESS_KEY_ID"]);
    eqnice!(secret, d1["AWS_SECRET_ACCESS_KEY"]);
    eqnice!(token, d1["AWS_SESSION_TOKEN"]);
    eqnice!(exp, d1["AWS_CREDENTIAL_EXPIRATION"]);
    eqnice!(region, d1["AWS_REGION"]);
    eqnice!(region, d1["AWS_DEFAULT_REGION"]);
    eqnice!(name, d1["AWSDO_PROFILE"]);
    eqnice!("{}", format!("{:?}", aws_vars(&dump(&env, "d2"))));
    let n = sh.name();
    eqnice!(format!("export {n}\nexport {n}"), calls(&env).join("\n"));
    assert!(!marker.exists(), "a value was run as code");
    eqnice!("", util::stderr(&out));
}

/// A value no environment variable can carry (NUL) is refused by the hook as `awsdo` alone
/// refuses it: one line naming the variable and the profile, never the value, and none of the
/// credentials printed; through `awsdo use` (atomic) nothing at all. Not a shell's quoting:
/// the refusal happens before any statement is written, so no shell needs to run.
#[test]
fn export_refuses_a_nul_in_a_credential_as_print_does() {
    let env = TestEnv::new();
    let (json, _) = process_json("AKIAIOSFODNN7EXAMPLE", "nul-secret", "tok\0secret-part");
    env.write_config(&credential_process_profile(&env, "nul", &json, "us-east-1"));
    for shell in ["bash", "zsh", "fish", "pwsh", "nu"] {
        for atomic in [&[][..], &["--atomic", "use"][..]] {
            let out = util::run_fail(
                env.cmd()
                    .args(["export", shell])
                    .args(atomic)
                    .env("AWS_PROFILE", "nul"),
            );
            let err = util::stderr(&out);
            assert!(
                err.contains("AWS_SESSION_TOKEN holds a NUL") && err.contains("\"nul\""),
                "{shell} {atomic:?}: {err}"
            );
            assert_eq!(err.lines().count(), 1, "{shell} {atomic:?}: {err}");
            let printed = util::stdout(&out);
            for value in ["AKIAIOSFODNN7EXAMPLE", "nul-secret", "secret-part"] {
                assert!(!err.contains(value), "{shell} {atomic:?}: {err}");
                assert!(!printed.contains(value), "{shell} {atomic:?}: {printed}");
            }
            if !atomic.is_empty() {
                eqnice!("", printed);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// login through the function
// ---------------------------------------------------------------------------------------------

/// `awsdo login` through the shell function puts the fresh credentials in the shell at once,
/// without waiting for the next prompt.
fn check_login(sh: Sh) {
    let Some((moto, env)) = with_moto(sh) else {
        return;
    };
    let script = format!(
        "{}__t_set AWS_PROFILE dev\n__t_fire\n__t_dump d1\n__t_phase 2\nawsdo login\n__t_dump d2\n",
        logged_hook(&env, sh)
    );
    let out = run(&env, sh, &script, &[]);
    assert_ok(&out, "login");
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
}

// ---------------------------------------------------------------------------------------------
// An atomic switch (issue 9, item 2; DESIGN §6 "A switch is atomic")
// ---------------------------------------------------------------------------------------------

/// Profiles that cannot produce credentials, each in its own way.
const BROKEN_PROFILES: &str = "[profile loop1]\nrole_arn = arn:aws:iam::123456789012:role/a\nsource_profile = loop2\n\
     [profile loop2]\nrole_arn = arn:aws:iam::123456789012:role/b\nsource_profile = loop1\n\
     [profile norole]\nrole_arn = arn:aws:iam::123456789012:role/c\nregion = eu-west-1\n";

/// The `HH:MM` (UTC) of an RFC 3339 UTC timestamp such as `2026-11-30T01:02:03Z`.
fn hh_mm(rfc3339: &str) -> &str {
    rfc3339.get(11..16).expect("an RFC 3339 timestamp")
}

/// The statement that runs `cmd` and appends `NAME rc=STATUS` to `rcs` (fish spells `$?`
/// as `$status`; `||` keeps bash's and zsh's -e from ending the script).
fn record(sh: Sh, name: &str, cmd: &str) -> String {
    match sh {
        Sh::Fish => format!("{cmd}; echo \"{name} rc=$status\" >> rcs\n"),
        _ => format!("{cmd} && echo \"{name} rc=0\" >> rcs || echo \"{name} rc=$?\" >> rcs\n"),
    }
}

/// After `awsdo use dev` (one line naming dev and its expiry), every switch that cannot
/// complete — a typo, a source_profile loop, a refused config, MFA with no terminal and no
/// code, an MFA code STS rejects (a fake STS), STS down — returns 1 with one line and leaves AWS_PROFILE, the credentials, the
/// region and every AWSDO_* byte for byte as they were; the next prompt starts nothing; a
/// later `awsdo use prod` works.
fn check_atomic_use(sh: Sh) {
    let Some((moto, env)) = with_moto(sh) else {
        return;
    };
    let code = env.write_script("bin/mfa-code", "#!/bin/sh\necho 123456\n");
    env.write_config(&format!(
        "{}{BROKEN_PROFILES}[profile rejected]\nrole_arn = arn:aws:iam::123456789012:role/r\n\
         source_profile = base\nmfa_serial = arn:aws:iam::123456789012:mfa/bob\n\
         mfa_process = {}\n",
        roles_config(),
        code.display()
    ));
    let rejecting = util::sts::FakeSts::start(|c| {
        if c.param("TokenCode").is_some() {
            util::sts::mfa_rejected()
        } else {
            util::sts::default_answer(c)
        }
    });
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let mut script = format!(
        "{}__t_phase ok\nawsdo use dev\n__t_dump d0\n",
        logged_hook(&env, sh)
    );
    let failing = [
        ("typo", "awsdo use devv".to_owned()),
        ("loop", "awsdo use loop1".to_owned()),
        ("refused", "awsdo use norole".to_owned()),
        ("mfa", "awsdo use mfa".to_owned()),
        (
            "rejected",
            format!("AWS_ENDPOINT_URL={} awsdo use rejected", rejecting.url()),
        ),
        (
            "sts",
            format!("AWS_ENDPOINT_URL={closed} AWSDO_HOOK_TIMEOUT=2s awsdo use prod"),
        ),
    ];
    for (name, cmd) in &failing {
        script.push_str(&format!("__t_phase {name}\n"));
        script.push_str(&record(sh, name, cmd));
        script.push_str(&format!("__t_dump d-{name}\n"));
    }
    script.push_str("__t_phase prompt\n__t_fire\n__t_dump d-prompt\n__t_phase prod\n");
    script.push_str(&record(sh, "prod", "awsdo use prod"));
    script.push_str("__t_dump d-prod\n");
    let out = run(&env, sh, &script, &[("AWS_REGION", "ap-south-1")]);
    assert_ok(&out, "atomic use");

    let dev = cached(&env, "dev");
    eqnice!(
        format!(
            "awsdo: using profile \"dev\", valid for 1h (until {} UTC)\n",
            hh_mm(&dev["Expiration"])
        ),
        phase(&out.stderr, "ok")
            .replace("valid for 59m", "valid for 1h")
            .replace("valid for 60m", "valid for 1h")
    );
    let d0 = aws_vars(&dump(&env, "d0"));
    assert_holds(&d0, &dev);
    eqnice!("dev", d0["AWS_PROFILE"]);
    eqnice!("eu-west-1", d0["AWS_REGION"]);
    let expected_err = [
        ("typo", "awsdo: could not find profile \"devv\""),
        // Refused by the config checks before any call (tests/validation.rs).
        ("loop", "awsdo: could not use profile \"loop"),
        ("refused", "awsdo: could not use profile \"norole\""),
        ("mfa", "awsdo: could not"),
        ("rejected", "awsdo: could not"),
        ("sts", "awsdo: could not"),
    ];
    for (name, start) in expected_err {
        let err = phase(&out.stderr, name);
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.starts_with(start), "{name}: {err}");
        eqnice!(
            format!("{d0:#?}"),
            format!("{:#?}", aws_vars(&dump(&env, &format!("d-{name}")))),
            "{name}: the shell changed"
        );
    }
    assert!(phase(&out.stderr, "mfa").contains("MFA"), "{out:?}");
    eqnice!(
        "typo rc=1\nloop rc=1\nrefused rc=1\nmfa rc=1\nrejected rc=1\nsts rc=1\nprod rc=0\n",
        file(&env, "rcs")
    );
    // Nothing was recorded, nothing is retried: the prompt after the failures is silent.
    eqnice!("", phase(&out.stderr, "prompt"));
    eqnice!(
        format!("{d0:#?}"),
        format!("{:#?}", aws_vars(&dump(&env, "d-prompt")))
    );
    let d_prod = aws_vars(&dump(&env, "d-prod"));
    assert_holds(&d_prod, &cached(&env, "prod"));
    eqnice!("prod", d_prod["AWS_PROFILE"]);
    eqnice!("prod", d_prod["AWSDO_PROFILE"]);
    eqnice!("us-west-2", d_prod["AWS_REGION"]);
    eqnice!(2, moto.count("AssumeRole"));
    assert!(
        rejecting
            .calls()
            .iter()
            .any(|c| c.param("TokenCode") == Some("123456")),
        "{:?}",
        rejecting.actions()
    );
    let n = sh.name();
    eqnice!(
        format!("export {n} --atomic use\n").repeat(8).trim_end(),
        calls(&env).join("\n")
    );
}

/// `awsdo login` through the function: a login that fails (unknown profile, MFA with no
/// terminal) changes nothing; a login that succeeds but whose refresh of the shell's own
/// profile fails (STS down, its cache gone) changes nothing either; both return 1.
fn check_atomic_login(sh: Sh) {
    let Some((_moto, env)) = with_moto(sh) else {
        return;
    };
    let (json, _) = process_json("AKIAFAKEPROCESS00001", "fake-secret", "fake-token");
    env.write_config(&format!(
        "{}{}",
        roles_config(),
        credential_process_profile(&env, "cp", &json, "eu-west-1")
    ));
    let closed = format!("http://127.0.0.1:{}", closed_port());
    let mut script = format!("{}awsdo use dev\n__t_dump d0\n", logged_hook(&env, sh));
    for (name, cmd) in [
        ("unknown", "awsdo login devv".to_owned()),
        ("mfa", "awsdo login mfa".to_owned()),
        (
            "refresh",
            format!(
                "command rm -f \"$AWSDO_CACHE_DIR\"/profile.dev.json\n\
                 AWS_ENDPOINT_URL={closed} AWSDO_HOOK_TIMEOUT=2s awsdo login cp"
            ),
        ),
    ] {
        script.push_str(&format!("__t_phase {name}\n"));
        script.push_str(&record(sh, name, &cmd));
        script.push_str(&format!("__t_dump d-{name}\n"));
    }
    let out = run(&env, sh, &script, &[]);
    assert_ok(&out, "atomic login");
    // (dev's cache entry is gone by now: the keys are checked by their shape.)
    let d0 = aws_vars(&dump(&env, "d0"));
    eqnice!("dev", d0["AWSDO_PROFILE"]);
    assert!(d0["AWS_ACCESS_KEY_ID"].starts_with("ASIA"), "{d0:?}");
    eqnice!("unknown rc=1\nmfa rc=1\nrefresh rc=1\n", file(&env, "rcs"));
    for name in ["unknown", "mfa", "refresh"] {
        eqnice!(
            format!("{d0:#?}"),
            format!("{:#?}", aws_vars(&dump(&env, &format!("d-{name}")))),
            "{name}: the shell changed"
        );
    }
    for name in ["unknown", "mfa"] {
        let err = phase(&out.stderr, name);
        assert_eq!(err.lines().count(), 1, "{name}: {err}");
        assert!(err.starts_with("awsdo: could not"), "{name}: {err}");
    }
    // The login itself worked and says so; the refresh that failed says why.
    let err = phase(&out.stderr, "refresh");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("awsdo: logged in to profile \"cp\""),
        "{err}"
    );
    assert!(lines[1].starts_with("awsdo: could not"), "{err}");
    let n = sh.name();
    eqnice!(
        format!("export {n} --atomic use\nexport {n} --atomic login"),
        calls(&env)
            .iter()
            .filter(|c| c.starts_with("export"))
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}

// ---------------------------------------------------------------------------------------------
// Where AWS_PROFILE lives (issue 9, item 3; DESIGN §6 "fish keeps variables in ... scopes")
// ---------------------------------------------------------------------------------------------

/// Inside a function with its own exported AWS_PROFILE (bash `local -x`, zsh `local -x`, fish
/// `set -lx`), `awsdo use prod` changes that one, so the function's commands run as prod with
/// prod's keys; `awsdo use --unset` leaves no AWS_PROFILE visible to them and no keys. After
/// the function: bash and fish cannot hide an outer value behind an erased local from
/// commands, so `--unset` removed every layer; zsh hides the local alone, and the outer dev
/// is back (the next prompt exports it again).
fn check_function_local(sh: Sh) {
    if !util::require(sh.name()) {
        return;
    }
    let env = TestEnv::new();
    let mut config = String::new();
    for (name, key) in [
        ("dev", "AKIAFAKEDEV000000001"),
        ("prod", "AKIAFAKEPROD00000001"),
    ] {
        let (json, _) = process_json(key, "fake-secret", "fake-token");
        config.push_str(&credential_process_profile(&env, name, &json, "eu-west-1"));
    }
    env.write_config(&config);
    let body = "awsdo use prod\n__t_dump in1\nawsdo use --unset\n__t_dump in2\n";
    let f = match sh {
        Sh::Bash => format!("__t_f() {{\nlocal -x AWS_PROFILE=dev\n{body}}}\n"),
        Sh::Zsh => format!("__t_f() {{\nlocal -x AWS_PROFILE=dev\n{body}}}\n"),
        Sh::Fish => format!("function __t_f\nset -lx AWS_PROFILE dev\n{body}end\n"),
    };
    let script = format!(
        "{}{f}__t_set AWS_PROFILE dev\n__t_fire\n__t_f\n__t_dump after\n",
        logged_hook(&env, sh)
    );
    let out = run(&env, sh, &script, &[]);
    assert_ok(&out, "function local");
    let in1 = aws_vars(&dump(&env, "in1"));
    eqnice!("prod", in1["AWS_PROFILE"]);
    eqnice!("AKIAFAKEPROD00000001", in1["AWS_ACCESS_KEY_ID"]);
    eqnice!("{}", format!("{:?}", aws_vars(&dump(&env, "in2"))));
    let after = aws_vars(&dump(&env, "after"));
    match sh {
        Sh::Zsh => eqnice!("{\"AWS_PROFILE\": \"dev\"}", format!("{after:?}")),
        _ => eqnice!("{}", format!("{after:?}")),
    }
}

/// bash and zsh: a read-only AWS_PROFILE cannot be switched or unset: `awsdo use` says so in
/// one line, returns 1, and changes nothing.
fn check_read_only(sh: Sh) {
    if !util::require(sh.name()) {
        return;
    }
    let env = TestEnv::new();
    let (json, _) = process_json("AKIAFAKEDEV000000001", "fake-secret", "fake-token");
    env.write_config(&credential_process_profile(&env, "dev", &json, "eu-west-1"));
    let readonly = match sh {
        Sh::Zsh => "typeset -r AWS_PROFILE",
        _ => "readonly AWS_PROFILE",
    };
    let script = format!(
        "{}awsdo use dev\n{readonly}\n__t_dump d0\n__t_phase unset\n{}__t_dump d1\n\
         __t_phase use\n{}__t_dump d2\n",
        logged_hook(&env, sh),
        record(sh, "unset", "awsdo use --unset"),
        record(sh, "use", "awsdo use dev"),
    );
    let out = run(&env, sh, &script, &[]);
    assert_ok(&out, "read-only");
    eqnice!("unset rc=1\nuse rc=1\n", file(&env, "rcs"));
    let line = "awsdo: could not switch profile: AWS_PROFILE is read-only in this shell\n";
    eqnice!(line, phase(&out.stderr, "unset"));
    eqnice!(line, phase(&out.stderr, "use"));
    let d0 = aws_vars(&dump(&env, "d0"));
    eqnice!("AKIAFAKEDEV000000001", d0["AWS_ACCESS_KEY_ID"]);
    for d in ["d1", "d2"] {
        eqnice!(
            format!("{d0:#?}"),
            format!("{:#?}", aws_vars(&dump(&env, d)))
        );
    }
    eqnice!(
        format!("export {} --atomic use", sh.name()),
        calls(&env).join("\n")
    );
}

#[test]
fn bash_issue9_read_only_profile_is_refused_and_nothing_changes() {
    check_read_only(Sh::Bash);
}

#[test]
fn zsh_issue9_read_only_profile_is_refused_and_nothing_changes() {
    check_read_only(Sh::Zsh);
}

/// fish with a universal AWS_PROFILE (`set -Ux`, kept in `~/.config/fish/fish_variables`):
/// `awsdo use --unset` leaves no AWS_PROFILE and no keys, erases the universal value and says
/// so; `awsdo use prod` hides a universal dev behind a global for this shell, says so, and
/// leaves the universal value as it was; a global and a top-level `set -lx` are handled too.
/// This fish runs with its config (universal variables need it) in a private HOME.
#[test]
fn fish_issue9_universal_global_and_local_profiles() {
    if !util::require("fish") {
        return;
    }
    let env = TestEnv::new();
    let mut config = String::new();
    for (name, key) in [
        ("dev", "AKIAFAKEDEV000000001"),
        ("prod", "AKIAFAKEPROD00000001"),
    ] {
        let (json, _) = process_json(key, "fake-secret", "fake-token");
        config.push_str(&credential_process_profile(&env, name, &json, "eu-west-1"));
    }
    env.write_config(&config);
    // Present: fish's first interactive-config run would start generating completions here.
    fs::create_dir_all(env.home().join(".local/share/fish/generated_completions")).unwrap();
    let variables = env.home().join(".config/fish/fish_variables");
    let script = format!(
        "{}__t_phase u-unset\nset -Ux AWS_PROFILE dev\n__t_dump u0\nawsdo use --unset\n\
         echo \"u-unset rc=$status\" >> rcs\n__t_dump u1\n\
         __t_phase u-use\nset -Ux AWS_PROFILE dev\nawsdo use prod\necho \"u-use rc=$status\" >> rcs\n\
         __t_dump u2\ncommand cp {} vars-u2\n\
         __t_phase u-unset2\nawsdo use --unset\necho \"u-unset2 rc=$status\" >> rcs\n__t_dump u3\n\
         __t_phase g\nset -gx AWS_PROFILE dev\nawsdo use --unset\n__t_dump g1\n\
         __t_phase l\nset -lx AWS_PROFILE dev\nawsdo use prod\n__t_dump l1\n\
         awsdo use --unset\n__t_dump l2\n__t_phase end\n",
        logged_hook(&env, Sh::Fish),
        Sh::Fish.quote(variables.to_str().unwrap())
    );
    let shell = util::find_tool("fish").unwrap();
    let mut cmd = env.command(&shell);
    cmd.args(["--private", "-c"])
        .arg(format!("{}{script}", Sh::Fish.helpers()))
        .stdin(Stdio::null());
    let out = cmd.output().expect("run fish");
    assert_ok(&out, "fish scopes");
    eqnice!(
        "u-unset rc=0\nu-use rc=0\nu-unset2 rc=0\n",
        file(&env, "rcs")
    );
    let u0 = aws_vars(&dump(&env, "u0"));
    eqnice!("AKIAFAKEDEV000000001", u0["AWS_ACCESS_KEY_ID"]);
    let none = "{}";
    eqnice!(none, format!("{:?}", aws_vars(&dump(&env, "u1"))));
    eqnice!(
        "awsdo: erased the universal AWS_PROFILE (dev): every fish session loses it\n",
        phase(&out.stderr, "u-unset")
    );
    let u2 = aws_vars(&dump(&env, "u2"));
    eqnice!("prod", u2["AWS_PROFILE"]);
    eqnice!("AKIAFAKEPROD00000001", u2["AWS_ACCESS_KEY_ID"]);
    let err = phase(&out.stderr, "u-use");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].starts_with("awsdo: using profile \"prod\""),
        "{err}"
    );
    eqnice!(
        "awsdo: this shell now uses AWS_PROFILE=prod; the universal AWS_PROFILE (dev) is unchanged for other fish sessions",
        lines[1]
    );
    assert!(
        file(&env, "vars-u2").contains("SETUVAR --export AWS_PROFILE:dev"),
        "{}",
        file(&env, "vars-u2")
    );
    eqnice!(none, format!("{:?}", aws_vars(&dump(&env, "u3"))));
    assert!(
        phase(&out.stderr, "u-unset2").contains("erased the universal AWS_PROFILE (dev)"),
        "{out:?}"
    );
    assert!(
        !fs::read_to_string(&variables)
            .unwrap_or_default()
            .contains("AWS_PROFILE")
    );
    eqnice!(none, format!("{:?}", aws_vars(&dump(&env, "g1"))));
    eqnice!("", phase(&out.stderr, "g"));
    let l1 = aws_vars(&dump(&env, "l1"));
    eqnice!("prod", l1["AWS_PROFILE"]);
    eqnice!("AKIAFAKEPROD00000001", l1["AWS_ACCESS_KEY_ID"]);
    eqnice!(none, format!("{:?}", aws_vars(&dump(&env, "l2"))));
}

// ---------------------------------------------------------------------------------------------
// The refresh marker
// ---------------------------------------------------------------------------------------------

/// Credentials that live shorter than the minimum retry interval are still looked at when
/// they expire, not later: AWSDO_REFRESH_AT is their expiry.
#[test]
fn bash_refresh_time_is_never_after_expiry() {
    if !util::require("bash") {
        return;
    }
    let env = TestEnv::new();
    let exp_at = now() + 30;
    let exp = util::iso8601(UNIX_EPOCH + Duration::from_secs(exp_at as u64));
    let json = format!(
        "{{\"Version\": 1, \"AccessKeyId\": \"AKIAFAKEPROCESS00001\", \"SecretAccessKey\": \"fake\", \"SessionToken\": \"fake\", \"Expiration\": \"{exp}\"}}\n"
    );
    env.write_config(&credential_process_profile(&env, "cp", &json, "eu-west-1"));
    let script = format!(
        "{}__t_set AWS_PROFILE cp\n__t_fire\n__t_dump d1\n",
        Sh::Bash.install(util::awsdo_bin())
    );
    let out = run(&env, Sh::Bash, &script, &[("AWSDO_MIN_TTL", "1s")]);
    assert_ok(&out, "refresh");
    eqnice!("", util::stderr(&out));
    let d1 = dump(&env, "d1");
    eqnice!(exp, d1["AWS_CREDENTIAL_EXPIRATION"]);
    eqnice!(exp_at, d1["AWSDO_REFRESH_AT"]);
}

/// fish checks the refresh file's mtime: when the file disappears, one prompt puts it back
/// and later prompts call nothing (instead of the worker at every prompt, doing nothing).
#[test]
fn fish_missing_refresh_file_is_recreated_once() {
    if !util::require("fish") {
        return;
    }
    let env = TestEnv::new();
    let (json, _) = process_json("AKIAFAKEPROCESS00001", "fake-secret", "fake-token");
    env.write_config(&credential_process_profile(&env, "cp", &json, "eu-west-1"));
    let script = format!(
        "{}__t_set AWS_PROFILE cp\n__t_dump d1\ncommand rm $AWSDO_REFRESH_FILE\n\
         __t_fire\n__t_fire\n__t_fire\n__t_dump d2\npath mtime -- $AWSDO_REFRESH_FILE\n",
        logged_hook(&env, Sh::Fish)
    );
    let out = run(&env, Sh::Fish, &script, &[]);
    assert_ok(&out, "refresh file");
    eqnice!("", util::stderr(&out));
    let (d1, d2) = (dump(&env, "d1"), dump(&env, "d2"));
    eqnice!(d1["AWSDO_REFRESH_AT"], util::stdout(&out).trim());
    eqnice!(d1["AWS_ACCESS_KEY_ID"], d2["AWS_ACCESS_KEY_ID"]);
    eqnice!("export fish\nexport fish", calls(&env).join("\n"));
}

// ---------------------------------------------------------------------------------------------
// 6. Well-behaved with the real output
// ---------------------------------------------------------------------------------------------

/// A prompt that switches profiles with the real binary hands the previous `$?` on and leaves
/// the user's SIGINT handler as it was (strict mode for bash and zsh).
fn check_status_and_trap(sh: Sh) {
    if !util::require(sh.name()) {
        return;
    }
    let env = TestEnv::new();
    let (json, _) = process_json("AKIAFAKEPROCESS00001", "fake-secret", "fake-token");
    env.write_config(&credential_process_profile(&env, "cp", &json, "eu-west-1"));
    let (trap, show, fire) = match sh {
        Sh::Bash => (
            "trap 'echo user int' INT\n",
            "trap -p INT\n",
            "(exit 3) || { __awsdo_hook || echo \"st=$?\"; }\n",
        ),
        Sh::Zsh => (
            "trap 'echo user int' INT\n",
            "trap\n",
            "(exit 3) || { __awsdo_hook || echo \"st=$?\"; }\n",
        ),
        Sh::Fish => (
            "function __t_user_int --on-signal INT; echo user int; end\n",
            "functions --handlers-type signal\n",
            "set -g __awsdo_busy 1\nset -gx AWS_PROFILE cp\nset -e __awsdo_busy\n\
             false; __awsdo_on_prompt; echo \"st=$status\"\n",
        ),
    };
    let set = match sh {
        Sh::Fish => "",
        _ => "__t_set AWS_PROFILE cp\n",
    };
    let script = format!(
        "{trap}{}{show}__t_phase x\n{set}{fire}__t_phase y\n{show}\
         echo \"key=$AWS_ACCESS_KEY_ID\"\n",
        logged_hook(&env, sh)
    );
    let out = run(&env, sh, &script, &[]);
    assert_ok(&out, "status and trap");
    eqnice!("##x##\n##y##\n", util::stderr(&out));
    let stdout = util::stdout(&out);
    let (before, rest) = stdout.split_once("##x##\n").unwrap();
    let (status, after) = rest.split_once("##y##\n").unwrap();
    eqnice!(if sh == Sh::Fish { "st=1\n" } else { "st=3\n" }, status);
    assert!(before.contains("user"), "{before}");
    eqnice!(format!("{before}key=AKIAFAKEPROCESS00001\n"), after);
    eqnice!(format!("export {}", sh.name()), calls(&env).join("\n"));
}
