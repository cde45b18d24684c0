//! Hook order (DESIGN §6 "Other hooks", §8): awsdo's prompt hook runs after the hooks that may
//! change `AWS_PROFILE` and before prompt renderers, whatever order the rc file loads them in.
//!
//! The changer is the real direnv (Debian package) with an allowed `.envrc` that exports
//! `AWS_PROFILE=partner`; awsdo is the real binary against moto. The renderer is a stand-in
//! defined here: it adds itself the way renderers do (appended to `PROMPT_COMMAND`, to
//! bash-preexec's or zsh's `precmd_functions`, a fish `fish_prompt` handler) and records the
//! profile and region it would draw. bash-preexec is not packaged where the tests run, so its
//! contract is a stand-in too: a `precmd_functions` runner that, like bash-preexec, installs
//! itself at the first prompt in front of what `PROMPT_COMMAND` held.
//!
//! bash and zsh run interactive (`-i`) with the script on stdin, so their own prompt machinery
//! runs `PROMPT_COMMAND`, `precmd_functions` and `chpwd_functions` between the lines. fish reads
//! no prompts from a pipe, so its script emits `fish_preexec` and `fish_prompt` around each line
//! as the reader does.

use crate::util;

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::util::moto::Moto;
use crate::util::{TestEnv, eqnice};

const BASE_KEYS: &str =
    "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n";
const CONFIG: &str = "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev-role\n\
     source_profile = base\nregion = eu-west-1\n\
     [profile partner]\nrole_arn = arn:aws:iam::123456789012:role/partner-role\n\
     source_profile = base\nregion = ap-northeast-1\n";
/// Generous bound on a hung shell (a run takes about a second).
const HANG: Duration = Duration::from_secs(120);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sh {
    /// bash with a string `PROMPT_COMMAND`.
    Bash,
    /// bash ≥ 5.1 with an array `PROMPT_COMMAND` (the user's rc made it one).
    BashArray,
    Zsh,
    Fish,
}

/// One line of the rc file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Rc {
    /// `eval "$(direnv hook SHELL)"`.
    Direnv,
    /// `eval "$(awsdo hook SHELL)"`, the README's line.
    Awsdo,
    /// The renderer stand-in.
    Renderer,
    /// The bash-preexec stand-in.
    Preexec,
}

impl Sh {
    fn tool(self) -> &'static str {
        match self {
            Sh::Bash | Sh::BashArray => "bash",
            Sh::Zsh => "zsh",
            Sh::Fish => "fish",
        }
    }

    fn quote(self, s: &str) -> String {
        match self {
            Sh::Fish => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
            _ => format!("'{}'", s.replace('\'', "'\\''")),
        }
    }

    /// What the rc file says for `rc`. The renderer records `STEP PROFILE REGION` in
    /// `$T_RENDERS` (`ROOT/renders`).
    fn rc(self, rc: Rc, preexec: bool) -> String {
        let awsdo = self.quote(util::awsdo_bin());
        let sh = self.tool();
        let render_body = "printf '%s %s %s\\n' \"${__t_step:--}\" \"${AWS_PROFILE:--}\" \
                           \"${AWS_REGION:--}\" >> \"$T_RENDERS\"";
        match (self, rc) {
            (Sh::Fish, Rc::Direnv) => "direnv hook fish | source\n".into(),
            (Sh::Fish, Rc::Awsdo) => format!("{awsdo} hook fish | source\n"),
            // fish renderers (starship, tide) draw in the fish_prompt function, which the reader
            // calls after the fish_prompt event's handlers.
            (Sh::Fish, Rc::Renderer) => "function fish_prompt\n\
                   set -l p -; set -q AWS_PROFILE; and set p $AWS_PROFILE\n\
                   set -l r -; set -q AWS_REGION; and set r $AWS_REGION\n\
                   set -l s -; set -q __t_step; and set s $__t_step\n\
                   printf '%s %s %s\\n' $s $p $r >> $T_RENDERS\n\
                 end\n"
                .into(),
            (Sh::Fish, Rc::Preexec) => unreachable!("bash only"),
            (_, Rc::Direnv) => format!("eval \"$(direnv hook {sh})\"\n"),
            (_, Rc::Awsdo) => format!("eval \"$({awsdo} hook {sh})\"\n"),
            (Sh::Zsh, Rc::Renderer) => {
                format!("__t_render() {{ {render_body}; }}\nprecmd_functions+=(__t_render)\n")
            }
            (_, Rc::Renderer) if preexec => {
                format!("__t_render() {{ {render_body}; }}\nprecmd_functions+=(__t_render)\n")
            }
            // Without bash-preexec, a renderer in front of PROMPT_COMMAND (powerline-go).
            (Sh::BashArray, Rc::Renderer) => format!(
                "__t_render() {{ {render_body}; }}\n\
                 PROMPT_COMMAND=(__t_render \"${{PROMPT_COMMAND[@]}}\")\n"
            ),
            (_, Rc::Renderer) => format!(
                "__t_render() {{ {render_body}; }}\nPROMPT_COMMAND=\"__t_render; $PROMPT_COMMAND\"\n"
            ),
            (Sh::Zsh, Rc::Preexec) => unreachable!("bash only"),
            // bash-preexec's contract: `__bp_imported`; precmd_functions run by a runner that
            // hands each one the user's $?; installed at the first prompt in front of what
            // PROMPT_COMMAND held then (the rest runs after the runner), and the runner is run
            // once right away.
            (_, Rc::Preexec) => "__bp_imported=defined\n\
                 __bp_precmd_invoke_cmd() {\n\
                   local __bp_st=$? __bp_f\n\
                   for __bp_f in \"${precmd_functions[@]}\"; do\n\
                     if type -t \"$__bp_f\" >/dev/null; then (exit \"$__bp_st\"); \"$__bp_f\"; fi\n\
                   done\n\
                 }\n\
                 __bp_install() {\n\
                   local __bp_rest=${PROMPT_COMMAND//__bp_install/}\n\
                   PROMPT_COMMAND=$'__bp_precmd_invoke_cmd\\n'\"$__bp_rest\"\n\
                   __bp_precmd_invoke_cmd\n\
                 }\n\
                 PROMPT_COMMAND=\"${PROMPT_COMMAND:+$PROMPT_COMMAND$'\\n'}__bp_install\"\n"
                .into(),
        }
    }

    /// One command line of the script; `step` names it for the renderer's record.
    fn line(self, step: &str, command: &str) -> String {
        match self {
            // The reader: fish_preexec before the command; before the next prompt the
            // fish_prompt event, then the fish_prompt function.
            Sh::Fish => format!(
                "set -g __t_step {step}\nemit fish_preexec\n{command}\n\
                 emit fish_prompt\nfish_prompt\n"
            ),
            _ => format!("__t_step={step}; {command}\n"),
        }
    }
}

struct World {
    _moto: Moto,
    env: TestEnv,
}

/// moto, the profiles, a project `proj` whose `.envrc` (allowed, with direnv's own dirs in the
/// test's HOME) exports `AWS_PROFILE=partner`, and `proj2` with the same `.envrc`, not allowed
/// yet. None when skipping.
fn world(sh: Sh) -> Option<World> {
    if !util::require(sh.tool()) || !util::require("direnv") {
        return None;
    }
    let moto = Moto::start()?;
    let mut env = TestEnv::with_endpoint(&moto.url());
    env.write_config(CONFIG);
    env.write_credentials(BASE_KEYS);
    let home = env.home();
    for (var, dir) in [
        ("XDG_CONFIG_HOME", ".config"),
        ("XDG_DATA_HOME", ".local/share"),
        ("XDG_CACHE_HOME", ".cache"),
        ("XDG_STATE_HOME", ".local/state"),
    ] {
        env.set_var(var, home.join(dir).to_str().unwrap());
    }
    // direnv's own messages ("loading .envrc") off: stderr stays for awsdo's.
    env.set_var("DIRENV_LOG_FORMAT", "");
    env.write_file("proj/.envrc", "export AWS_PROFILE=partner\n");
    env.write_file("proj2/.envrc", "export AWS_PROFILE=partner\n");
    let out = util::run_ok(
        env.command(util::find_tool("direnv").unwrap())
            .arg("allow")
            .arg(env.root().join("proj")),
    );
    eqnice!("", util::stderr(&out));
    Some(World { _moto: moto, env })
}

/// Runs `script` in `sh` (interactive bash/zsh reading it from stdin; fish with `-c`), without
/// a controlling terminal, bounded by `HANG`. Returns stderr.
fn run(env: &TestEnv, sh: Sh, script: &str) -> String {
    let shell = util::find_tool(sh.tool()).expect("checked by world()");
    let script_file = env.write_file("script", script);
    let mut cmd: Command = env.command(&shell);
    match sh {
        Sh::Bash | Sh::BashArray => {
            cmd.args(["--noprofile", "--norc", "-i"]);
        }
        Sh::Zsh => {
            cmd.args(["--no-rcs", "--no-globalrcs", "-i"]);
        }
        Sh::Fish => {
            cmd.args(["--no-config", "--private"]).arg(&script_file);
        }
    }
    let stderr_file = env.root().join("stderr");
    cmd.env("PS1", "$ ")
        .env("T_RENDERS", env.root().join("renders"))
        .stdin(fs::File::open(&script_file).unwrap())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&stderr_file).unwrap());
    // SAFETY: setsid is async-signal-safe; no controlling terminal, so nothing can wait for a
    // keyboard.
    unsafe {
        cmd.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("start shell");
    let deadline = Instant::now() + HANG;
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{} hung for {HANG:?}", sh.tool());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    fs::read_to_string(&stderr_file).unwrap_or_default()
}

/// The environment saved by `command env -0 > NAME`.
fn dump(env: &TestEnv, name: &str) -> BTreeMap<String, String> {
    let bytes = fs::read(env.root().join(name)).unwrap_or_else(|e| panic!("dump {name}: {e}"));
    bytes
        .split(|b| *b == 0)
        .filter(|e| !e.is_empty())
        .filter_map(|e| {
            let e = String::from_utf8_lossy(e).into_owned();
            e.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// The access key cached for `profile`.
fn cached_key(env: &TestEnv, profile: &str) -> String {
    let path = env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        profile,
        "json",
    ));
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["credentials"]["AccessKeyId"]
        .as_str()
        .expect("AccessKeyId in the cache entry")
        .to_owned()
}

/// What the renderer drew at the prompts after the line named `step`.
fn drawn_after(env: &TestEnv, step: &str) -> Vec<String> {
    fs::read_to_string(env.root().join("renders"))
        .unwrap_or_default()
        .lines()
        .filter(|l| l.split(' ').next() == Some(step))
        .map(|l| l.split_once(' ').unwrap().1.to_owned())
        .collect()
}

#[track_caller]
fn assert_holds(env: &TestEnv, vars: &BTreeMap<String, String>, profile: &str, region: &str) {
    let get = |k: &str| vars.get(k).map(String::as_str).unwrap_or("<unset>");
    eqnice!(profile, get("AWS_PROFILE"), "AWS_PROFILE in {vars:#?}");
    eqnice!(profile, get("AWSDO_PROFILE"), "AWSDO_PROFILE in {vars:#?}");
    eqnice!(cached_key(env, profile), get("AWS_ACCESS_KEY_ID"));
    eqnice!(region, get("AWS_REGION"));
}

/// The rc file loads `order`; then `AWS_PROFILE=dev` at the prompt and, with direnv, `cd` into
/// the project, out into the other, and `direnv allow` there. The first command after each has
/// the new profile's credentials; with a renderer, the prompt after the switch drew dev with
/// its region, and (`render_cd`) the prompts after each direnv change the new profile with its
/// region: awsdo ran between direnv and the renderer.
fn check(sh: Sh, order: &[Rc], render_cd: bool) {
    let Some(World { _moto, env }) = world(sh) else {
        return;
    };
    let preexec = order.contains(&Rc::Preexec);
    let mut script = String::new();
    if sh == Sh::BashArray {
        // The user's rc made PROMPT_COMMAND an array (bash 5.1+ runs every element).
        script.push_str("PROMPT_COMMAND=(':')\n");
    }
    for rc in order {
        script.push_str(&sh.rc(*rc, preexec));
    }
    if sh == Sh::Fish {
        // The first prompt.
        script.push_str("emit fish_prompt\nfish_prompt\n");
    }
    let export = match sh {
        Sh::Fish => "set -gx AWS_PROFILE dev",
        _ => "export AWS_PROFILE=dev",
    };
    script.push_str(&sh.line("export", export));
    script.push_str(&sh.line("dump0", "command env -0 > d0"));
    let direnv = order.contains(&Rc::Direnv);
    if direnv {
        script.push_str(&sh.line("cd", "cd proj && command env -0 > ../d1a"));
        script.push_str(&sh.line("dump1", "command env -0 > ../d1"));
        // Out of the project (back to dev), into one whose .envrc is not allowed yet, and
        // `direnv allow` there: direnv changes AWS_PROFILE at the next prompt, not at `cd`.
        script.push_str(&sh.line("cd2", "cd ../proj2"));
        script.push_str(&sh.line("dump2", "command env -0 > ../d2"));
        script.push_str(&sh.line("allow", "direnv allow"));
        script.push_str(&sh.line("dump3", "command env -0 > ../d3"));
    }
    let stderr = run(&env, sh, &script);
    let context = format!("{sh:?} {order:?}\nscript:\n{script}\nstderr:\n{stderr}");
    assert!(!stderr.contains("awsdo:"), "{context}");
    assert_holds(&env, &dump(&env, "d0"), "dev", "eu-west-1");
    if direnv {
        // `cd proj && cmd`: direnv has not run yet in bash and fish (dev), has in zsh (its
        // chpwd hook: partner); either way the keys are the profile's.
        let d1a = dump(&env, "d1a");
        let (profile, region) = match sh {
            Sh::Zsh => ("partner", "ap-northeast-1"),
            _ => ("dev", "eu-west-1"),
        };
        assert_holds(&env, &d1a, profile, region);
        // The very first command after `cd` signs as partner, not with dev's keys.
        assert_holds(&env, &dump(&env, "d1"), "partner", "ap-northeast-1");
        assert_holds(&env, &dump(&env, "d2"), "dev", "eu-west-1");
        assert_holds(&env, &dump(&env, "d3"), "partner", "ap-northeast-1");
    }
    if order.contains(&Rc::Renderer) {
        eqnice!(
            "dev eu-west-1",
            drawn_after(&env, "export").join("\n"),
            "the prompt after the switch\n{context}"
        );
        if render_cd {
            for (step, drawn) in [
                ("cd", "partner ap-northeast-1"),
                ("cd2", "dev eu-west-1"),
                ("allow", "partner ap-northeast-1"),
            ] {
                eqnice!(
                    drawn,
                    drawn_after(&env, step).join("\n"),
                    "the prompt after {step}\n{context}"
                );
            }
        }
    }
}

/// bash-preexec and a renderer in its precmd_functions, no direnv involved in the order.
fn check_bash_preexec_renderer(order: &[Rc]) {
    check(Sh::Bash, order, false);
}

mod bash {
    use super::*;

    #[test]
    fn direnv_before_awsdo() {
        check(Sh::Bash, &[Rc::Renderer, Rc::Direnv, Rc::Awsdo], true);
    }

    /// The renderer (loaded last) puts itself in front of direnv, so it cannot draw direnv's
    /// change at that prompt; the switch made at the command line it does draw.
    #[test]
    fn direnv_after_awsdo() {
        check(Sh::Bash, &[Rc::Awsdo, Rc::Direnv, Rc::Renderer], false);
    }

    #[test]
    fn array_prompt_command_direnv_before_awsdo() {
        check(Sh::BashArray, &[Rc::Renderer, Rc::Direnv, Rc::Awsdo], true);
    }

    /// As `direnv_after_awsdo`, with an array PROMPT_COMMAND.
    #[test]
    fn array_prompt_command_direnv_after_awsdo() {
        check(Sh::BashArray, &[Rc::Awsdo, Rc::Direnv, Rc::Renderer], false);
    }

    /// bash-preexec loaded, a renderer appended to precmd_functions, then awsdo.
    #[test]
    fn bash_preexec_renderer_before_awsdo() {
        check_bash_preexec_renderer(&[Rc::Preexec, Rc::Renderer, Rc::Awsdo]);
    }

    /// awsdo first, then bash-preexec (which moves PROMPT_COMMAND behind its runner at the
    /// first prompt), then the renderer.
    #[test]
    fn bash_preexec_renderer_after_awsdo() {
        check_bash_preexec_renderer(&[Rc::Awsdo, Rc::Preexec, Rc::Renderer]);
    }

    /// With bash-preexec, direnv stays in PROMPT_COMMAND, which runs after precmd_functions.
    #[test]
    fn bash_preexec_with_direnv_before_awsdo() {
        check(
            Sh::Bash,
            &[Rc::Direnv, Rc::Preexec, Rc::Renderer, Rc::Awsdo],
            false,
        );
    }

    #[test]
    fn bash_preexec_with_direnv_after_awsdo() {
        check(
            Sh::Bash,
            &[Rc::Awsdo, Rc::Preexec, Rc::Renderer, Rc::Direnv],
            false,
        );
    }
}

mod zsh {
    use super::*;

    #[test]
    fn direnv_before_awsdo() {
        check(Sh::Zsh, &[Rc::Renderer, Rc::Direnv, Rc::Awsdo], true);
    }

    #[test]
    fn direnv_after_awsdo() {
        check(Sh::Zsh, &[Rc::Awsdo, Rc::Direnv, Rc::Renderer], true);
    }
}

/// These also pass without the order fix: fish runs awsdo's --on-variable handler the moment
/// direnv sets AWS_PROFILE, so its order among fish_prompt handlers never mattered. They keep
/// it that way, with the renderer in the fish_prompt function as fish renderers draw.
mod fish {
    use super::*;

    #[test]
    fn direnv_before_awsdo() {
        check(Sh::Fish, &[Rc::Renderer, Rc::Direnv, Rc::Awsdo], true);
    }

    #[test]
    fn direnv_after_awsdo() {
        check(Sh::Fish, &[Rc::Awsdo, Rc::Direnv, Rc::Renderer], true);
    }
}
