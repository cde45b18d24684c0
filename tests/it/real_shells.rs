//! Tests against the real shells: rendered statements evaluated by bash, zsh and fish in strict
//! mode and read back byte for byte; the hook snippets driven with a stub binary that logs every
//! call; the linters on the raw and the rendered snippets; and strace proving that an unchanged
//! prompt starts no process.
//!
//! Each test skips (or fails, see `util::require`) when its shell or tool is missing. Every
//! shell runs with a cleared environment, `HOME` and XDG directories in a temporary directory and
//! no rc files, so the user's configuration cannot leak in. The real binary in real shells is
//! `hook.rs`; here the statements and snippets come straight from `awsdo::shell`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use awsdo::shell::{Changes, ShellKind, render};
use tempfile::TempDir;

use crate::util::tmux::Tmux;
use crate::util::{self, tool};

/// The values every dialect's unit tests check (`src/shell/test_tools.rs`), shared as one file.
#[path = "../../src/shell/test_tools.rs"]
mod tricky;
use tricky::TRICKY;

/// `Changes` for `map`: the one place these tests build it.
fn changes(map: BTreeMap<String, Option<String>>) -> Changes {
    Changes::from(map)
}

// ---------------------------------------------------------------------------------------------
// Running shells
// ---------------------------------------------------------------------------------------------

/// The program and strict-mode flags for `kind`; the script follows as the last argument.
fn strict(kind: ShellKind) -> (&'static str, &'static [&'static str]) {
    match kind {
        ShellKind::Bash => ("bash", &["--noprofile", "--norc", "-euo", "pipefail", "-c"]),
        ShellKind::Zsh => ("zsh", &["--no-rcs", "--no-globalrcs", "-eu", "-c"]),
        ShellKind::Fish => ("fish", &["--no-config", "--private", "-c"]),
        ShellKind::Pwsh | ShellKind::Nu => {
            unreachable!("PowerShell and nu are not run by these tests (nu: nu.rs)")
        }
    }
}

/// A command for `prog` with a clean environment rooted in `dir`.
fn clean_command(prog: &Path, dir: &Path) -> Command {
    let mut cmd = Command::new(prog);
    cmd.current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("config"))
        .env("XDG_DATA_HOME", dir.join("data"))
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .env("LC_ALL", "C.UTF-8")
        .stdin(Stdio::null());
    cmd
}

/// Runs `script` in `kind` (strict mode) in `dir` with `env` added; `None` when the shell is
/// missing (after the skip notice).
fn run_shell(kind: ShellKind, dir: &Path, env: &[(&str, &str)], script: &str) -> Option<Output> {
    let (name, flags) = strict(kind);
    let prog = tool(name)?;
    let mut cmd = clean_command(&prog, dir);
    cmd.args(flags).arg(script).envs(env.iter().copied());
    Some(cmd.output().expect("spawn shell"))
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Panics with both streams unless the shell exited 0.
fn assert_ok(out: &Output, what: &str) {
    assert!(
        out.status.success(),
        "{what}: {}\nstdout:\n{}\nstderr:\n{}",
        out.status,
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// The shell statement that loads `file` the way users install the output of `awsdo …`.
fn load(kind: ShellKind, file: &Path) -> String {
    let quoted = kind.shell().quote(file.to_str().expect("utf-8 temp path"));
    match kind {
        ShellKind::Fish => format!("command cat {quoted} | source\n"),
        _ => format!("eval \"$(command cat {quoted})\"\n"),
    }
}

/// Generates `mod $name { fn bash(); fn zsh(); fn fish(); }` calling `$check(ShellKind::…)`.
macro_rules! per_shell {
    ($name:ident, $check:ident) => {
        mod $name {
            use awsdo::shell::ShellKind;
            #[test]
            fn bash() {
                super::$check(ShellKind::Bash);
            }
            #[test]
            fn zsh() {
                super::$check(ShellKind::Zsh);
            }
            #[test]
            fn fish() {
                super::$check(ShellKind::Fish);
            }
        }
    };
}

// ---------------------------------------------------------------------------------------------
// Statements: round trips
// ---------------------------------------------------------------------------------------------

/// `TRICKY` plus injection attempts aimed at `marker`.
fn values(marker: &Path) -> Vec<String> {
    let m = marker.display();
    let mut values: Vec<String> = TRICKY.iter().map(|s| (*s).to_owned()).collect();
    values.extend([
        format!("$(touch {m})"),
        format!("`touch {m}`"),
        format!("; touch {m}"),
        format!("'; touch {m}; '"),
        format!("'$(touch {m})'"),
        format!("\\'; touch {m}; echo \\'"),
        format!("\ntouch {m}\n"),
        format!("a\\\ntouch {m}"),
        format!("(touch {m})"),
        format!("{{touch,{m}}}"),
        format!("%{{touch {m}}}"),
        format!("\u{2019}; touch {m}; \u{2019}"),
    ]);
    values
}

/// Sets `AWSDO_T00…` to every value through rendered statements, reads the environment back
/// with `env -0` (so the variables are exported, not just set) and compares the bytes.
fn check_round_trip_with(kind: ShellKind, prelude: &str, env: &[(&str, &str)]) {
    let dir = TempDir::new().unwrap();
    let marker = dir.path().join("MARKER");
    let values = values(&marker);
    let changes = changes(
        values
            .iter()
            .enumerate()
            .map(|(i, v)| (format!("AWSDO_T{i:02}"), Some(v.clone())))
            .collect(),
    );
    let statements = render(kind.shell(), &changes);
    // One statement per line, whatever the values hold.
    assert_eq!(statements.lines().count(), values.len(), "{statements}");
    let file = dir.path().join("statements");
    fs::write(&file, &statements).unwrap();
    let script = format!("{prelude}{}command env -0\n", load(kind, &file));
    let Some(out) = run_shell(kind, dir.path(), env, &script) else {
        return;
    };
    assert_ok(&out, &statements);
    assert_eq!(text(&out.stderr), "");
    let got: BTreeMap<String, String> = out
        .stdout
        .split(|b| *b == 0)
        .filter_map(|entry| {
            let entry = String::from_utf8(entry.to_vec()).expect("utf-8 env");
            let (k, v) = entry.split_once('=')?;
            k.starts_with("AWSDO_T")
                .then(|| (k.to_owned(), v.to_owned()))
        })
        .collect();
    for (i, want) in values.iter().enumerate() {
        let key = format!("AWSDO_T{i:02}");
        assert_eq!(got.get(&key), Some(want), "{key} from {statements}");
    }
    assert!(!marker.exists(), "injection ran: {statements}");
}

fn check_round_trip(kind: ShellKind) {
    check_round_trip_with(kind, "", &[]);
}
per_shell!(
    set_round_trips_every_value_and_runs_nothing,
    check_round_trip
);

/// The same in the C locale, where non-ASCII text is just bytes to the shell.
fn check_round_trip_c_locale(kind: ShellKind) {
    check_round_trip_with(kind, "", &[("LC_ALL", "C")]);
}
per_shell!(set_round_trips_in_the_c_locale, check_round_trip_c_locale);

/// zsh's RC_QUOTES makes `''` inside single quotes a quote; the quoting must not care.
#[test]
fn zsh_set_round_trips_with_rc_quotes() {
    check_round_trip_with(ShellKind::Zsh, "setopt rc_quotes\n", &[]);
}

/// Unsetting an absent variable is silent and exits 0 in strict mode; a present one goes away.
fn check_unset(kind: ShellKind) {
    let dir = TempDir::new().unwrap();
    let shell = kind.shell();
    let file = dir.path().join("statements");
    let text_out = format!(
        "{}{}",
        shell.unset("AWSDO_ABSENT"),
        shell.unset("AWSDO_PRESENT")
    );
    fs::write(&file, text_out).unwrap();
    let check = match kind {
        ShellKind::Fish => "echo status=$status\nset -q AWSDO_PRESENT; or echo gone\n",
        _ => "echo status=$?\n[ -z \"${AWSDO_PRESENT+x}\" ] && echo gone\n",
    };
    let script = format!("{}{check}", load(kind, &file));
    let Some(out) = run_shell(kind, dir.path(), &[("AWSDO_PRESENT", "x")], &script) else {
        return;
    };
    assert_ok(&out, "unset");
    assert_eq!(text(&out.stderr), "");
    assert_eq!(text(&out.stdout), "status=0\ngone\n");
}
per_shell!(unset_absent_is_silent_and_exits_0, check_unset);

// ---------------------------------------------------------------------------------------------
// Hook snippets with a stub binary
// ---------------------------------------------------------------------------------------------

/// The stub: logs its arguments, prints `export.<shell>` plus an AWSDO_PROFILE statement for
/// `export`, profile names for `status --names`, and its arguments for anything else.
const STUB: &str = r#"#!/bin/sh
printf '%s\n' "$*" >> "$AWSDO_STUB_DIR/log"
case $1 in
export)
  cat "$AWSDO_STUB_DIR/export.$2"
  case $2:${AWS_PROFILE:-} in
  fish:) echo 'set -e -g AWSDO_PROFILE; or true' ;;
  fish:*) printf "set -gx AWSDO_PROFILE '%s'\n" "$AWS_PROFILE" ;;
  *:) echo 'unset -v AWSDO_PROFILE' ;;
  *) printf "export AWSDO_PROFILE='%s'\n" "$AWS_PROFILE" ;;
  esac
  exit "${AWSDO_STUB_RC:-0}"
  ;;
status)
  if [ "${2:-}" = --names ]; then printf 'dev\nprod\n'; else echo status-output; fi
  ;;
*)
  printf 'args:'
  printf '[%s]' "$@"
  echo
  ;;
esac
"#;

/// A temporary directory with the stub (in a directory whose name has a space and a `'`), the
/// hook filled with its path, and the stub's canned `export` output.
struct Fixture {
    kind: ShellKind,
    dir: TempDir,
    hook: PathBuf,
}

impl Fixture {
    /// `None` when the shell is missing.
    fn new(kind: ShellKind) -> Option<Fixture> {
        tool(strict(kind).0)?;
        let dir = TempDir::new().unwrap();
        let bin = dir.path().join("my bin's dir");
        fs::create_dir(&bin).unwrap();
        let stub = bin.join("awsdo");
        util::write_executable(&stub, STUB);
        let hook = dir.path().join("hook");
        fs::write(&hook, kind.shell().hook(&stub, &stub)).unwrap();
        let fixture = Fixture { kind, dir, hook };
        fixture.canned(&fixture.default_export());
        Some(fixture)
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Credentials with a value that would run `MARKER` if quoted wrongly, and no refresh time.
    fn default_export(&self) -> String {
        let marker = self.path().join("MARKER");
        let mut map = BTreeMap::new();
        map.insert(
            "AWS_ACCESS_KEY_ID".to_owned(),
            Some(format!("AK it's $(touch {})", marker.display())),
        );
        map.insert("AWSDO_REFRESH_AT".to_owned(), None);
        map.insert("AWSDO_REFRESH_FILE".to_owned(), None);
        render(self.kind.shell(), &changes(map))
    }

    /// Sets what the stub prints for `export`.
    fn canned(&self, statements: &str) {
        let name = format!("export.{}", self.kind.shell().name());
        fs::write(self.path().join(name), statements).unwrap();
    }

    /// The stub's calls so far, one line each.
    fn calls(&self) -> Vec<String> {
        fs::read_to_string(self.path().join("log"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }

    /// Runs `before`, installs the hook, then `body`; helper `__t_fire` fires one prompt.
    fn run(&self, before: &str, body: &str, env: &[(&str, &str)]) -> Output {
        let fire = match self.kind {
            ShellKind::Bash => {
                "__t_fire() { local __t_c; for __t_c in \"${PROMPT_COMMAND[@]}\"; do eval \"$__t_c\"; done; }\n"
            }
            ShellKind::Zsh => {
                "__t_fire() { local __t_f; for __t_f in $precmd_functions; do $__t_f; done; }\n"
            }
            ShellKind::Fish => "function __t_fire; emit fish_prompt; end\n",
            ShellKind::Pwsh | ShellKind::Nu => unreachable!(),
        };
        let script = format!("{fire}{before}{}{body}", load(self.kind, &self.hook));
        let stub_dir = self.path().to_str().unwrap();
        let mut all_env = vec![("AWSDO_STUB_DIR", stub_dir)];
        all_env.extend_from_slice(env);
        run_shell(self.kind, self.path(), &all_env, &script).expect("shell checked in new()")
    }

    fn assert_no_marker(&self) {
        assert!(!self.path().join("MARKER").exists(), "injection ran");
    }
}

/// Sourcing the hook (twice) prints nothing and starts no stub.
fn check_source_is_silent(kind: ShellKind) {
    let Some(fx) = Fixture::new(kind) else { return };
    let load_again = load(kind, &fx.hook);
    let out = fx.run("", &load_again, &[]);
    assert_ok(&out, "source");
    assert_eq!(text(&out.stdout), "");
    assert_eq!(text(&out.stderr), "");
    assert!(fx.calls().is_empty(), "{:?}", fx.calls());
}
per_shell!(sourcing_the_hook_is_silent, check_source_is_silent);

/// Counts `__awsdo_hook` in bash's PROMPT_COMMAND (all elements) and runs every entry once.
const BASH_COUNT: &str = "__t_s=\"${PROMPT_COMMAND[*]}\"; __t_r=${__t_s//__awsdo_hook/}\n\
     echo \"hooks=$(( (${#__t_s} - ${#__t_r}) / 12 ))\"\n__t_fire\n";

fn bash_registers_once_with(before: &str, other_output: &str) {
    let Some(fx) = Fixture::new(ShellKind::Bash) else {
        return;
    };
    let body = format!("{}{BASH_COUNT}", load(ShellKind::Bash, &fx.hook));
    let out = fx.run(
        &format!("other_hook() {{ echo other ran; }}\n{before}"),
        &body,
        &[],
    );
    assert_ok(&out, before);
    assert_eq!(text(&out.stdout), format!("hooks=1\n{other_output}"));
    assert_eq!(text(&out.stderr), "");
}

#[test]
fn bash_registers_once_without_prompt_command() {
    bash_registers_once_with("", "");
}

#[test]
fn bash_registers_once_with_scalar_prompt_command() {
    bash_registers_once_with("PROMPT_COMMAND=other_hook\n", "other ran\n");
}

#[test]
fn bash_registers_once_with_array_prompt_command() {
    bash_registers_once_with(
        "PROMPT_COMMAND=(other_hook 'echo second')\n",
        "other ran\nsecond\n",
    );
}

#[test]
fn bash_registers_once_with_empty_array_prompt_command() {
    bash_registers_once_with("PROMPT_COMMAND=()\n", "");
}

/// With bash-preexec loaded the hook goes to precmd_functions (once), not PROMPT_COMMAND.
#[test]
fn bash_uses_precmd_functions_under_bash_preexec() {
    let Some(fx) = Fixture::new(ShellKind::Bash) else {
        return;
    };
    let out = fx.run(
        "__bp_imported=defined\nprecmd_functions=(other)\nPROMPT_COMMAND=__bp_precmd_invoke_cmd\n",
        &format!(
            "{}echo \"${{precmd_functions[*]}}|$PROMPT_COMMAND\"\n",
            load(ShellKind::Bash, &fx.hook)
        ),
        &[],
    );
    assert_ok(&out, "bash-preexec");
    // First: before a renderer that appended itself (starship).
    assert_eq!(
        text(&out.stdout),
        "__awsdo_hook other|__bp_precmd_invoke_cmd\n"
    );
}

/// Where the hook puts itself in bash (DESIGN §6, other hooks): right after the last call of
/// a changer (direnv, mise), and first when something else runs before that or there is no
/// changer; with bash-preexec, first in precmd_functions (or after a changer there) and after
/// a changer left in PROMPT_COMMAND. The same after sourcing twice and after prompts (where
/// the hook checks its place again).
#[test]
fn bash_places_the_hook_after_changers_and_before_the_rest() {
    let Some(fx) = Fixture::new(ShellKind::Bash) else {
        return;
    };
    let cases: &[(&str, &str)] = &[
        // direnv's and mise's own registration lines, then ours.
        (
            "PROMPT_COMMAND=\"_direnv_hook${PROMPT_COMMAND:+;$PROMPT_COMMAND}\"\n",
            "_direnv_hook\n__awsdo_hook",
        ),
        (
            "PROMPT_COMMAND=r\nPROMPT_COMMAND=\"_direnv_hook;$PROMPT_COMMAND\"\n\
             PROMPT_COMMAND=\"_mise_hook;$PROMPT_COMMAND\"\n",
            "_mise_hook;_direnv_hook\n__awsdo_hook;r",
        ),
        // A renderer in front of direnv (powerline-go loaded after it): first too.
        (
            "PROMPT_COMMAND=\"r; _direnv_hook\"\n",
            "__awsdo_hook\nr; _direnv_hook\n__awsdo_hook",
        ),
        // Not a call of its own: not a changer.
        (
            "PROMPT_COMMAND=\"my_direnv_hook; x _direnv_hook\"\n",
            "__awsdo_hook\nmy_direnv_hook; x _direnv_hook",
        ),
        (
            "PROMPT_COMMAND=(a \"_direnv_hook;b\" c)\n",
            "[__awsdo_hook][a][_direnv_hook\n__awsdo_hook;b][c]",
        ),
        (
            "PROMPT_COMMAND=(\"_direnv_hook;b\" c)\n",
            "[_direnv_hook\n__awsdo_hook;b][c]",
        ),
        ("PROMPT_COMMAND=(a b)\n", "[__awsdo_hook][a][b]"),
        (
            "__bp_imported=defined\nprecmd_functions=(r)\n\
             PROMPT_COMMAND=$'__bp_precmd_invoke_cmd\\n_direnv_hook\\n__bp_interactive_mode'\n",
            "__awsdo_hook r|__bp_precmd_invoke_cmd\n_direnv_hook\n__awsdo_hook\n__bp_interactive_mode",
        ),
        (
            "__bp_imported=defined\nprecmd_functions=(r _direnv_hook s)\nPROMPT_COMMAND=x\n",
            "r _direnv_hook __awsdo_hook s|x",
        ),
    ];
    for (before, want) in cases {
        let show = "__t_show() { if [[ -n ${__bp_imported-} ]]; then \
             printf '%s|' \"${precmd_functions[*]}\"; fi; \
             if [[ ${PROMPT_COMMAND@a} == *a* ]]; then printf '[%s]' \"${PROMPT_COMMAND[@]}\"; \
             else printf '%s' \"$PROMPT_COMMAND\"; fi; echo; }\n";
        let body = format!(
            "{}__t_show\n__awsdo_place\n__awsdo_place\n__t_show\n",
            load(ShellKind::Bash, &fx.hook)
        );
        let out = fx.run(&format!("{show}r() {{ :; }}\n{before}"), &body, &[]);
        assert_ok(&out, before);
        assert_eq!(text(&out.stdout), format!("{want}\n{want}\n"), "{before}");
        assert_eq!(text(&out.stderr), "");
    }
}

#[test]
fn zsh_registers_once_in_precmd_functions() {
    let Some(fx) = Fixture::new(ShellKind::Zsh) else {
        return;
    };
    let out = fx.run(
        "precmd_functions=(other)\n",
        &format!(
            "{}echo \"${{precmd_functions[*]}}\"\n",
            load(ShellKind::Zsh, &fx.hook)
        ),
        &[],
    );
    assert_ok(&out, "zsh");
    assert_eq!(text(&out.stdout), "__awsdo_hook other\n");
}

/// Where the hook puts itself in zsh: in precmd_functions right after the last changer and
/// first when something else runs before it or there is no changer; in chpwd_functions
/// right after the last changer, or not at all. The same after sourcing twice and after runs.
#[test]
fn zsh_places_the_hook_after_changers_and_before_the_rest() {
    let Some(fx) = Fixture::new(ShellKind::Zsh) else {
        return;
    };
    let cases: &[(&str, &str)] = &[
        (
            "precmd_functions=(_direnv_hook r)\nchpwd_functions=(_direnv_hook)\n",
            "_direnv_hook __awsdo_hook r|_direnv_hook __awsdo_hook",
        ),
        (
            "precmd_functions=(_mise_hook _direnv_hook r)\n",
            "_mise_hook _direnv_hook __awsdo_hook r|",
        ),
        (
            "precmd_functions=(r _direnv_hook)\nchpwd_functions=(z)\n",
            "__awsdo_hook r _direnv_hook __awsdo_hook|z",
        ),
        ("precmd_functions=(r)\n", "__awsdo_hook r|"),
    ];
    for (before, want) in cases {
        let body = format!(
            "{}__t_show\n__awsdo_place\n__awsdo_hook\n__t_show\n",
            load(ShellKind::Zsh, &fx.hook)
        );
        let show = "__t_show() { echo \"${precmd_functions[*]}|${chpwd_functions[*]-}\"; }\n";
        let out = fx.run(&format!("{show}{before}"), &body, &[]);
        assert_ok(&out, before);
        assert_eq!(text(&out.stdout), format!("{want}\n{want}\n"), "{before}");
        assert_eq!(text(&out.stderr), "");
    }
}

#[test]
fn fish_registers_one_handler_per_event() {
    let Some(fx) = Fixture::new(ShellKind::Fish) else {
        return;
    };
    let out = fx.run(
        "",
        &format!(
            "{}functions --handlers-type variable | string match -e -- __awsdo | count\n\
             functions --handlers-type generic | string match -e -- __awsdo | count\n",
            load(ShellKind::Fish, &fx.hook)
        ),
        &[],
    );
    assert_ok(&out, "fish");
    assert_eq!(text(&out.stdout), "1\n1\n");
}

/// The statement that sets `name` to `value` in `kind` (test values are plain words).
fn assign(kind: ShellKind, name: &str, value: &str) -> String {
    match kind {
        ShellKind::Fish => format!("set -gx {name} {value}\n"),
        _ => format!("export {name}={value}\n"),
    }
}

/// A profile switch calls the stub once and applies its statements; later prompts with nothing
/// changed call it zero times and print nothing.
fn check_profile_change(kind: ShellKind) {
    let Some(fx) = Fixture::new(kind) else { return };
    let body = format!(
        "{}__t_fire\necho \"key=$AWS_ACCESS_KEY_ID profile=$AWSDO_PROFILE\"\n\
         __t_fire\n__t_fire\n__t_fire\n",
        assign(kind, "AWS_PROFILE", "dev")
    );
    let out = fx.run("", &body, &[]);
    assert_ok(&out, "profile change");
    let marker = fx.path().join("MARKER");
    assert_eq!(
        text(&out.stdout),
        format!("key=AK it's $(touch {}) profile=dev\n", marker.display())
    );
    assert_eq!(text(&out.stderr), "");
    assert_eq!(fx.calls(), [format!("export {}", kind.shell().name())]);
    fx.assert_no_marker();
}
per_shell!(profile_change_calls_the_stub_once, check_profile_change);

/// Profile names are case-sensitive even under the user's `shopt -s nocasematch`.
#[test]
fn bash_profile_compare_ignores_nocasematch() {
    let Some(fx) = Fixture::new(ShellKind::Bash) else {
        return;
    };
    let out = fx.run(
        "shopt -s nocasematch\n",
        "__t_fire\n",
        &[("AWS_PROFILE", "Dev"), ("AWSDO_PROFILE", "dev")],
    );
    assert_ok(&out, "nocasematch");
    assert_eq!(fx.calls(), ["export bash"]);
}

/// The user's zsh options cannot change what the hook means (it uses `emulate -L zsh`).
#[test]
fn zsh_hook_works_under_unusual_options() {
    let Some(fx) = Fixture::new(ShellKind::Zsh) else {
        return;
    };
    let out = fx.run(
        "setopt ksh_arrays sh_word_split no_unset rc_quotes warn_create_global\n",
        "export AWS_PROFILE=dev\n__t_fire\n__t_fire\necho \"$AWSDO_PROFILE\"\n\
         awsdo use prod\necho \"$AWS_PROFILE\"\n",
        &[],
    );
    assert_ok(&out, "zsh options");
    assert_eq!(text(&out.stdout), "dev\nprod\n");
    assert_eq!(text(&out.stderr), "");
    assert_eq!(fx.calls(), ["export zsh", "export zsh --atomic use"]);
    fx.assert_no_marker();
}

/// The user's bash options cannot change what the hook means.
#[test]
fn bash_hook_works_under_unusual_options() {
    let Some(fx) = Fixture::new(ShellKind::Bash) else {
        return;
    };
    let out = fx.run(
        "set -o noglob -o posix\nshopt -s failglob nullglob extglob nocasematch\n",
        "export AWS_PROFILE=dev\n__t_fire\n__t_fire\necho \"$AWSDO_PROFILE\"\n\
         awsdo use prod\necho \"$AWS_PROFILE\"\n\
         COMP_WORDS=(awsdo use p); COMP_CWORD=2; __awsdo_complete awsdo p use\n\
         echo \"${COMPREPLY[*]}\"\n",
        &[],
    );
    assert_ok(&out, "bash options");
    assert_eq!(text(&out.stdout), "dev\nprod\nprod\n");
    assert_eq!(text(&out.stderr), "");
    fx.assert_no_marker();
}

/// Nothing set at all: prompts start nothing.
fn check_nothing_set(kind: ShellKind) {
    let Some(fx) = Fixture::new(kind) else { return };
    let out = fx.run("", "__t_fire\n__t_fire\n", &[]);
    assert_ok(&out, "nothing set");
    assert_eq!(text(&out.stdout), "");
    assert!(fx.calls().is_empty(), "{:?}", fx.calls());
}
per_shell!(no_profile_no_call, check_nothing_set);

/// AWSDO_REFRESH_AT: past → one call (the canned output removes it); future → none; not a
/// number → one call and no code evaluated from it.
fn check_refresh_at(kind: ShellKind) {
    let Some(fx) = Fixture::new(kind) else { return };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let env_same = [("AWS_PROFILE", "dev"), ("AWSDO_PROFILE", "dev")];
    let past = (now - 5).to_string();
    let future = (now + 3600).to_string();
    let marker = fx.path().join("MARKER");
    let evil = format!("a[$(touch {})]", marker.display());
    for (at, want) in [(past.as_str(), 1), (future.as_str(), 0), (evil.as_str(), 1)] {
        let _ = fs::remove_file(fx.path().join("log"));
        let mut env = env_same.to_vec();
        env.push(("AWSDO_REFRESH_AT", at));
        let out = fx.run("", "__t_fire\n__t_fire\n__t_fire\n", &env);
        assert_ok(&out, at);
        assert_eq!(text(&out.stdout), "", "{at}");
        assert_eq!(fx.calls().len(), want, "AWSDO_REFRESH_AT={at}");
    }
    fx.assert_no_marker();
}

#[test]
fn bash_refresh_at_past_calls_once_future_never() {
    check_refresh_at(ShellKind::Bash);
}

#[test]
fn zsh_refresh_at_past_calls_once_future_never() {
    check_refresh_at(ShellKind::Zsh);
}

/// fish: AWSDO_REFRESH_FILE with a past mtime or missing → one call; future → none.
#[test]
fn fish_refresh_file_past_or_missing_calls_once_future_never() {
    let Some(fx) = Fixture::new(ShellKind::Fish) else {
        return;
    };
    let file = fx.path().join("refresh");
    let file_str = file.to_str().unwrap().to_owned();
    let now = std::time::SystemTime::now();
    let hour = std::time::Duration::from_secs(3600);
    for (mtime, want) in [(Some(now - hour), 1), (Some(now + hour), 0), (None, 1)] {
        let _ = fs::remove_file(fx.path().join("log"));
        let _ = fs::remove_file(&file);
        if let Some(mtime) = mtime {
            let f = fs::File::create(&file).unwrap();
            f.set_modified(mtime).unwrap();
        }
        let env = [
            ("AWS_PROFILE", "dev"),
            ("AWSDO_PROFILE", "dev"),
            ("AWSDO_REFRESH_FILE", file_str.as_str()),
        ];
        let out = fx.run("", "__t_fire\n__t_fire\n__t_fire\n", &env);
        assert_ok(&out, "refresh file");
        assert_eq!(text(&out.stdout), "");
        assert_eq!(fx.calls().len(), want, "mtime {mtime:?}");
    }
}

/// `false; <hook>; echo $?` prints 1, both when nothing changed and when the stub ran.
fn check_status_survives(kind: ShellKind) {
    let Some(fx) = Fixture::new(kind) else { return };
    let body = match kind {
        ShellKind::Bash => {
            "set +e\nfalse; __awsdo_hook; echo $?\nexport AWS_PROFILE=dev\n\
             PROMPT_COMMAND+=$'\\necho next=$?'\nfalse; eval \"$PROMPT_COMMAND\"\n"
        }
        ShellKind::Zsh => {
            "set +e\nfalse; __awsdo_hook; echo $?\nexport AWS_PROFILE=dev\n\
             false; __awsdo_hook; echo next=$?\n"
        }
        ShellKind::Fish => {
            "function __t_after --on-event fish_prompt; echo $status; end\n\
             false; emit fish_prompt\nfalse; __awsdo_on_prompt; echo $status\n\
             set -gx AWS_PROFILE dev; false; emit fish_prompt\n"
        }
        ShellKind::Pwsh | ShellKind::Nu => unreachable!(),
    };
    let out = fx.run("", body, &[]);
    assert_ok(&out, "status");
    let want = match kind {
        ShellKind::Fish => "1\n1\n1\n",
        _ => "1\nnext=1\n",
    };
    assert_eq!(text(&out.stdout), want);
    assert_eq!(fx.calls().len(), 1);
}
per_shell!(exit_status_survives_the_hook, check_status_survives);

/// The user's INT trap is the same after sourcing and after a hook that evaluated statements.
fn check_int_trap(kind: ShellKind) {
    let Some(fx) = Fixture::new(kind) else { return };
    let (before, show) = match kind {
        ShellKind::Bash => ("trap 'echo user int' INT\n", "trap -p INT\n"),
        ShellKind::Zsh => ("trap 'echo user int' INT\n", "trap\n"),
        ShellKind::Fish => (
            "function __t_user_int --on-signal INT; echo user int; end\n",
            "functions --handlers-type signal\n",
        ),
        ShellKind::Pwsh | ShellKind::Nu => unreachable!(),
    };
    let body = format!(
        "{show}{}__t_fire\n{show}",
        assign(kind, "AWS_PROFILE", "dev")
    );
    let out = fx.run(before, &body, &[]);
    assert_ok(&out, "trap");
    let stdout = text(&out.stdout);
    let (first, second) = stdout.split_at(stdout.len() / 2);
    assert_eq!(first, second, "{stdout}");
    assert!(first.contains("echo user int") || first.contains("__t_user_int"));
    assert!(!stdout.contains("__awsdo"), "{stdout}");
    assert_eq!(fx.calls().len(), 1);
}
per_shell!(user_int_trap_survives, check_int_trap);

/// zsh's function-style trap (TRAPINT) survives too.
#[test]
fn zsh_trapint_function_survives() {
    let Some(fx) = Fixture::new(ShellKind::Zsh) else {
        return;
    };
    let out = fx.run(
        "TRAPINT() { echo user int; return 130; }\n",
        "export AWS_PROFILE=dev\n__t_fire\nwhence -f TRAPINT\n",
        &[],
    );
    assert_ok(&out, "TRAPINT");
    assert!(text(&out.stdout).contains("echo user int"));
    assert_eq!(fx.calls().len(), 1);
}

/// SIGINT arriving in the middle of the statements does not cut them short.
fn check_sigint_held(kind: ShellKind) {
    let Some(fx) = Fixture::new(kind) else { return };
    let shell = kind.shell();
    let kill = match kind {
        ShellKind::Fish => "kill -INT $fish_pid\n",
        _ => "kill -INT $$\n",
    };
    fx.canned(&format!(
        "{}{kill}{}",
        shell.set("AWSDO_T_BEFORE", "1"),
        shell.set("AWSDO_T_AFTER", "2")
    ));
    let body = format!(
        "{}__t_fire\necho \"$AWSDO_T_BEFORE $AWSDO_T_AFTER\"\n",
        assign(kind, "AWS_PROFILE", "dev")
    );
    let out = fx.run("", &body, &[]);
    assert_ok(&out, "sigint");
    assert_eq!(text(&out.stdout), "1 2\n");
}
per_shell!(sigint_during_the_statements_is_held, check_sigint_held);

/// `awsdo use prod` exports AWS_PROFILE and runs one atomic export; a failed one (the stub's
/// status comes back) leaves AWS_PROFILE as it was (DESIGN §6, a switch is atomic);
/// `awsdo use --unset` removes AWS_PROFILE; `awsdo use` shows status.
fn check_use(kind: ShellKind) {
    let Some(fx) = Fixture::new(kind) else { return };
    let name = kind.shell().name();
    let (status, unset_check) = match kind {
        ShellKind::Fish => ("$status", "set -q AWS_PROFILE; or echo unset"),
        _ => ("$?", "echo \"${AWS_PROFILE-unset}\""),
    };
    let body = format!(
        "awsdo use prod; and echo \"ok $AWS_PROFILE $AWSDO_PROFILE\"\n\
         __t_fire\n\
         AWSDO_STUB_RC=3 awsdo use staging; or echo \"rc={status} $AWS_PROFILE\"\n\
         awsdo use --unset; and {unset_check}\n\
         awsdo use\n"
    );
    // bash and zsh spell `and`/`or` as `&&`/`||`.
    let body = match kind {
        ShellKind::Fish => body,
        _ => body.replace("; and ", " && ").replace("; or ", " || "),
    };
    let out = fx.run("", &body, &[]);
    assert_ok(&out, "use");
    assert_eq!(
        text(&out.stdout),
        "ok prod prod\nrc=3 prod\nunset\nstatus-output\n"
    );
    assert_eq!(text(&out.stderr), "");
    let force = format!("export {name} --atomic use");
    assert_eq!(
        fx.calls(),
        [force.as_str(), force.as_str(), force.as_str(), "status"]
    );
}
per_shell!(awsdo_use_switches_and_returns_the_status, check_use);

/// Anything but `use` goes to the binary with its arguments intact; so do `use` forms the
/// function does not handle (`use --help`, `use a b`).
fn check_pass_through(kind: ShellKind) {
    let Some(fx) = Fixture::new(kind) else { return };
    let out = fx.run(
        "",
        "awsdo other 'a b' '' \"it's\" '$HOME'\nawsdo use --help\nawsdo use a b\nawsdo\n",
        &[],
    );
    assert_ok(&out, "pass through");
    assert_eq!(
        text(&out.stdout),
        "args:[other][a b][][it's][$HOME]\nargs:[use][--help]\nargs:[use][a][b]\nargs:[]\n"
    );
}
per_shell!(other_arguments_pass_through, check_pass_through);

// ---------------------------------------------------------------------------------------------
// Linters on the raw and the rendered snippets
// ---------------------------------------------------------------------------------------------

/// Runs `prog args… file` with `home` as HOME and working directory (fish creates its XDG
/// directories there, so never the source tree); `None` when `prog` is missing.
fn lint(prog: &str, args: &[&str], file: &Path, home: &Path) -> Option<Output> {
    let path = tool(prog)?;
    Some(
        clean_command(&path, home)
            .args(args)
            .arg(file)
            .output()
            .expect("spawn linter"),
    )
}

fn assert_lint_clean(out: Option<Output>, what: &str) {
    if let Some(out) = out {
        assert_ok(&out, what);
        assert_eq!(text(&out.stdout), "", "{what}");
        assert_eq!(text(&out.stderr), "", "{what}");
    }
}

/// The raw snippet file and the hook rendered for a path with a space and a `'`.
fn snippet_files(kind: ShellKind, dir: &Path) -> [PathBuf; 2] {
    let ext = match kind {
        ShellKind::Bash => "bash",
        ShellKind::Zsh => "zsh",
        ShellKind::Fish => "fish",
        ShellKind::Pwsh => "ps1",
        ShellKind::Nu => "nu",
    };
    let raw = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("shell/awsdo.{ext}"));
    let rendered = dir.join(format!("rendered.{ext}"));
    let exe = Path::new("/opt/my tools/it's here/awsdo");
    let worker = Path::new("/opt/my tools/it's here/awsdo-export");
    fs::write(&rendered, kind.shell().hook(exe, worker)).unwrap();
    [raw, rendered]
}

#[test]
fn bash_snippet_lints_clean() {
    let dir = TempDir::new().unwrap();
    for file in snippet_files(ShellKind::Bash, dir.path()) {
        let what = file.display().to_string();
        assert_lint_clean(lint("bash", &["-n"], &file, dir.path()), &what);
        assert_lint_clean(
            lint("shellcheck", &["--enable=all"], &file, dir.path()),
            &what,
        );
        // Two-space indent, the style the file is written in.
        assert_lint_clean(lint("shfmt", &["-d", "-i", "2"], &file, dir.path()), &what);
    }
}

#[test]
fn zsh_snippet_parses() {
    let dir = TempDir::new().unwrap();
    for file in snippet_files(ShellKind::Zsh, dir.path()) {
        assert_lint_clean(
            lint("zsh", &["-n"], &file, dir.path()),
            &file.display().to_string(),
        );
    }
}

#[test]
fn fish_snippet_parses_and_is_formatted() {
    let dir = TempDir::new().unwrap();
    for file in snippet_files(ShellKind::Fish, dir.path()) {
        let what = file.display().to_string();
        assert_lint_clean(lint("fish", &["--no-execute"], &file, dir.path()), &what);
        assert_lint_clean(lint("fish_indent", &["--check"], &file, dir.path()), &what);
    }
}

// ---------------------------------------------------------------------------------------------
// PowerShell: parsed, not run
// ---------------------------------------------------------------------------------------------

/// pwsh cannot run here, so its statements and snippet go through the tree-sitter-pwsh grammar
/// (`tests/pwsh-parse`, installed with `npm ci --ignore-scripts`): no ERROR or MISSING node in
/// the raw snippet, the snippet rendered for paths with `'` and `’`, and every set/unset
/// statement for the tricky values (typographic quotes folded to `'`, see parse.cjs).
#[test]
fn pwsh_statements_and_snippet_parse() {
    let Some(node) = tool("node") else { return };
    let tool_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/pwsh-parse");
    if !tool_dir.join("node_modules/web-tree-sitter").is_dir()
        || !tool_dir.join("node_modules/tree-sitter-pwsh").is_dir()
    {
        util::skip("tree-sitter-pwsh");
        return;
    }
    let dir = TempDir::new().unwrap();
    let shell = ShellKind::Pwsh.shell();
    let [raw, rendered] = snippet_files(ShellKind::Pwsh, dir.path());
    let typographic = dir.path().join("typographic.ps1");
    fs::write(
        &typographic,
        shell.hook(
            Path::new("C:\\Tools\\it\u{2019}s \u{2018}x\u{201B}\\awsdo.exe"),
            Path::new("C:\\Tools\\it\u{2019}s \u{2018}x\u{201B}\\awsdo-export.exe"),
        ),
    )
    .unwrap();
    let mut statements = String::new();
    for (i, value) in TRICKY.iter().enumerate() {
        statements.push_str(&shell.set(&format!("AWSDO_T{i:02}"), value));
        statements.push_str(&shell.unset(&format!("AWSDO_T{i:02}")));
    }
    let statements_file = dir.path().join("statements.ps1");
    fs::write(&statements_file, &statements).unwrap();
    // A control: the checker must see a typographic quote left undoubled. One node run for
    // all files (loading the grammar takes seconds).
    let bad = dir.path().join("bad.ps1");
    fs::write(&bad, "$Env:AWS_X = 'it\u{2019}s'\n").unwrap();
    let out = clean_command(&node, &tool_dir)
        .arg("parse.cjs")
        .args([&raw, &rendered, &typographic, &statements_file, &bad])
        .output()
        .expect("spawn node");
    let stdout = text(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}{}", text(&out.stderr));
    let bad_prefix = format!("{}:", bad.display());
    assert!(
        stdout.lines().all(|l| l.starts_with(&bad_prefix)),
        "{stdout}\n{statements}"
    );
    assert!(!stdout.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Interactive shells in tmux: the real prompt machinery, not a simulated one
// ---------------------------------------------------------------------------------------------

/// In a real interactive shell: switching the profile calls the stub once at the next prompt,
/// further prompts call it zero times, and `$?` reaches the next command line unchanged.
fn check_interactive(kind: ShellKind) {
    let Some(fx) = Fixture::new(kind) else { return };
    let (name, _) = strict(kind);
    let shell = tool(name).unwrap();
    let dir = fx.path();
    let hook = fx.hook.to_str().unwrap();
    let q = |s: &str| ShellKind::Bash.shell().quote(s).into_owned();
    let shell_cmd = match kind {
        ShellKind::Bash => {
            fs::write(
                dir.join("bashrc"),
                format!("PS1='$ '\neval \"$(command cat {})\"\n", q(hook)),
            )
            .unwrap();
            format!(
                "{} --noprofile --rcfile {} -i",
                q(shell.to_str().unwrap()),
                q(dir.join("bashrc").to_str().unwrap())
            )
        }
        ShellKind::Zsh => {
            fs::write(
                dir.join(".zshrc"),
                format!("PS1='$ '\neval \"$(command cat {})\"\n", q(hook)),
            )
            .unwrap();
            format!("{} --no-globalrcs -i", q(shell.to_str().unwrap()))
        }
        ShellKind::Fish => format!(
            "{} --no-config --private -i -C {}",
            q(shell.to_str().unwrap()),
            q(&format!(
                "function fish_prompt; echo '$ '; end; source {}",
                ShellKind::Fish.shell().quote(hook)
            ))
        ),
        ShellKind::Pwsh | ShellKind::Nu => unreachable!(),
    };
    let mut env: Vec<(String, String)> = clean_command(&shell, dir)
        .get_envs()
        .filter_map(|(k, v)| Some((k.to_str()?.to_owned(), v?.to_str()?.to_owned())))
        .collect();
    env.extend([
        ("TERM".to_owned(), "xterm".to_owned()),
        ("ZDOTDIR".to_owned(), dir.to_str().unwrap().to_owned()),
        (
            "AWSDO_STUB_DIR".to_owned(),
            dir.to_str().unwrap().to_owned(),
        ),
    ]);
    let Some(tmux) = Tmux::start(
        &format!("cd {} && exec {shell_cmd}", q(dir.to_str().unwrap())),
        &env,
    ) else {
        return;
    };
    let wait_for = |file: &str| {
        let file = dir.join(file);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(content) = fs::read_to_string(&file)
                && content.ends_with('\n')
            {
                return content;
            }
            assert!(
                Instant::now() < deadline,
                "{} never appeared; pane:\n{}",
                file.display(),
                tmux.screen()
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    tmux.send_keys(&assign(kind, "AWS_PROFILE", "dev").replace('\n', ""));
    tmux.send_keys("echo \"$AWS_ACCESS_KEY_ID|$AWSDO_PROFILE\" > out1");
    let key = wait_for("out1");
    assert!(key.starts_with("AK it's $(touch "), "{key}");
    assert!(key.ends_with("|dev\n"), "{key}");
    for _ in 0..5 {
        tmux.send_keys("");
    }
    tmux.send_keys("false");
    let status = match kind {
        ShellKind::Fish => "echo \"st=$status\" > out2",
        _ => "echo \"st=$?\" > out2",
    };
    tmux.send_keys(status);
    assert_eq!(wait_for("out2"), "st=1\n");
    let name = kind.shell().name();
    assert_eq!(fx.calls(), [format!("export {name}")], "{}", tmux.screen());
    fx.assert_no_marker();
}
per_shell!(interactive_prompt_in_tmux, check_interactive);
