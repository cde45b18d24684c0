//! The committed completion scripts and man pages match what the binary generates from the clap
//! definitions (regenerate and diff), each script loads silently in its real shell, and profile
//! names are completed from the user's config at completion time in bash, zsh and fish.

use crate::util;

use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::util::tmux::Tmux;
use crate::util::{TestEnv, eqnice, run_ok, stderr, stdout};

/// (file under the repository, `awsdo` arguments that print it). The subcommand man pages are
/// added by `generated`, from the references in the generated `man/awsdo.1`.
const GENERATED: &[(&str, &[&str])] = &[
    ("completions/awsdo.bash", &["completions", "bash"]),
    ("completions/_awsdo", &["completions", "zsh"]),
    ("completions/awsdo.fish", &["completions", "fish"]),
    ("completions/_awsdo.ps1", &["completions", "pwsh"]),
    ("man/awsdo.1", &["man"]),
];

const CONFIG: &str = "[default]\nregion = us-east-1\n\
                      [profile alpha-prod]\nregion = eu-west-1\n\
                      [profile beta-dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = default\n";
const NAMES: &[&str] = &["alpha-prod", "beta-dev", "default"];

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// The NAMEs of the `awsdo-NAME(1)` pages a roff page refers to, in order, deduplicated.
fn page_refs(roff: &str) -> Vec<String> {
    let text = roff.replace("\\-", "-");
    let mut names: Vec<String> = Vec::new();
    for (at, _) in text.match_indices("awsdo-") {
        let rest = &text[at + "awsdo-".len()..];
        let len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '-'))
            .unwrap_or(rest.len());
        let name = &rest[..len];
        if !name.is_empty() && rest[len..].starts_with("(1)") && !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    }
    names
}

/// Every generated file with the `awsdo` arguments that print it: `GENERATED`, then
/// `man/awsdo-NAME.1` (`awsdo man NAME`) for each `awsdo-NAME(1)` in the generated top page.
fn generated(env: &TestEnv) -> Vec<(String, Vec<String>)> {
    let top = stdout(&run_ok(env.cmd().arg("man")));
    let subcommands = page_refs(&top);
    assert!(
        subcommands.iter().any(|n| n == "hook"),
        "`awsdo man` lists no subcommand pages: {subcommands:?}"
    );
    let fixed = GENERATED.iter().map(|(file, args)| {
        let args = args.iter().map(|a| (*a).to_owned()).collect();
        ((*file).to_owned(), args)
    });
    let pages = subcommands
        .into_iter()
        .map(|name| (format!("man/awsdo-{name}.1"), vec!["man".to_owned(), name]));
    fixed.chain(pages).collect()
}

/// The commands that bring every generated file up to date.
fn refresh_commands(files: &[(String, Vec<String>)]) -> String {
    files
        .iter()
        .map(|(file, args)| format!("  cargo run -q -- {} > {file}", args.join(" ")))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn committed_completions_and_man_pages_match_the_generator() {
    let env = TestEnv::new();
    let files = generated(&env);
    let mut stale = Vec::new();
    for (file, args) in &files {
        let generated = stdout(&run_ok(env.cmd().args(args)));
        let committed = std::fs::read_to_string(repo(file)).unwrap_or_default();
        if generated != committed {
            stale.push(file.as_str());
        }
    }
    // A page for a subcommand that is gone (or now hidden) is stale too.
    let mut orphans: Vec<String> = std::fs::read_dir(repo("man"))
        .unwrap()
        .map(|e| format!("man/{}", e.unwrap().file_name().to_string_lossy()))
        .filter(|f| !files.iter().any(|(g, _)| g == f))
        .collect();
    orphans.sort();
    assert!(
        stale.is_empty() && orphans.is_empty(),
        "out of date with src/cli.rs: {stale:?}\nrefresh them from the repository root with:\n{}{}",
        refresh_commands(&files),
        if orphans.is_empty() {
            String::new()
        } else {
            format!(
                "\nand remove the pages nothing generates:\n  git rm {}",
                orphans.join(" ")
            )
        }
    );
}

#[test]
fn every_page_the_committed_man_pages_refer_to_is_committed() {
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo("man")).unwrap() {
        let file = format!("man/{}", entry.unwrap().file_name().to_string_lossy());
        let roff = std::fs::read_to_string(repo(&file)).unwrap();
        for name in page_refs(&roff) {
            let page = format!("man/awsdo-{name}.1");
            if !repo(&page).is_file() {
                missing.push(format!(
                    "{file} refers to awsdo-{name}(1): generate it with\n  cargo run -q -- man {name} > {page}"
                ));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
    assert!(
        !page_refs(&std::fs::read_to_string(repo("man/awsdo.1")).unwrap()).is_empty(),
        "man/awsdo.1 refers to no subcommand page"
    );
}

#[test]
fn the_readme_installs_every_man_page() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let listed: Vec<&str> = readme
        .lines()
        .find_map(|l| l.strip_prefix("for c in ")?.strip_suffix("; do"))
        .expect("README.md has no `for c in ...; do` loop installing the man pages")
        .split_whitespace()
        .collect();
    let top = std::fs::read_to_string(repo("man/awsdo.1")).unwrap();
    eqnice!(
        page_refs(&top).join(" "),
        listed.join(" "),
        "the README's man page loop (section \"Man page\") against man/awsdo.1"
    );
}

#[test]
fn page_refs_reads_roff_references() {
    assert_eq!(
        page_refs(
            ".TP\nawsdo\\-hook(1)\nPrint\n.TP\nawsdo\\-credential\\-process(1)\nsee awsdo-hook(1), awsdo(1), awsdo-x\n"
        ),
        ["hook", "credential-process"]
    );
}

#[test]
fn every_shell_gets_a_script_and_profile_names_are_dynamic() {
    let env = TestEnv::new();
    for (file, args) in GENERATED
        .iter()
        .filter(|(f, _)| f.starts_with("completions/"))
    {
        let text = stdout(&run_ok(env.cmd().args(*args)));
        assert!(text.contains("awsdo"), "{file} is empty");
        assert!(
            !text.contains("__AWSDO_PROFILE_NAMES__"),
            "{file} kept the sentinel"
        );
        if !file.ends_with(".ps1") {
            assert!(
                text.contains("awsdo status --names"),
                "{file} does not ask awsdo for profile names"
            );
        }
    }
}

/// The clean environment plus PATH starting with the directory of the awsdo under test, so the
/// scripts' `awsdo status --names` runs this build.
fn shell_env(env: &TestEnv) -> Vec<(String, String)> {
    let bin_dir = Path::new(util::awsdo_bin()).parent().unwrap();
    let mut vars = env.env_vars();
    for (k, v) in &mut vars {
        if k == "PATH" {
            *v = format!("{}:{v}", bin_dir.display());
        }
    }
    vars
}

#[test]
fn bash_sources_the_script_silently_and_completes_profile_names() {
    if !util::require("bash") {
        return;
    }
    let env = TestEnv::new();
    env.write_config(CONFIG);
    let script = repo("completions/awsdo.bash");
    // The completion function, called as bash calls it for `awsdo -p <TAB>`, `awsdo login b<TAB>`
    // and `awsdo explain -s <TAB>`.
    let probe = r#"
        source "$1" || exit 1
        complete -p awsdo >/dev/null || exit 2
        try() { COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
                COMPREPLY=(); _awsdo awsdo "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
                printf '%s\n' "${COMPREPLY[@]}" | grep -v '^-' | sort | tr '\n' ' '; echo; }
        try awsdo -p ''
        try awsdo login b
        try awsdo explain -s ''
        try awsdo --profile al
    "#;
    let quiet = run_ok(
        env.command("bash")
            .envs(shell_env(&env))
            .args(["--norc", "--noprofile", "-c", "source \"$1\""])
            .arg("bash")
            .arg(&script),
    );
    eqnice!(
        "",
        format!("{}{}", stdout(&quiet), stderr(&quiet)),
        "sourcing the bash script"
    );
    let out = run_ok(
        env.command("bash")
            .envs(shell_env(&env))
            .args(["--norc", "--noprofile", "-c", probe, "bash"])
            .arg(&script),
    );
    eqnice!(
        "alpha-prod beta-dev default \nbeta-dev \nalpha-prod beta-dev default \nalpha-prod \n",
        stdout(&out),
        "bash completions\n{}",
        stderr(&out)
    );
}

#[test]
fn fish_sources_the_script_silently_and_completes_profile_names() {
    if !util::require("fish") {
        return;
    }
    let env = TestEnv::new();
    env.write_config(CONFIG);
    let script = repo("completions/awsdo.fish");
    let probe = r#"
        source $argv[1]; or exit 1
        for line in 'awsdo -p ' 'awsdo login ' 'awsdo logout b' 'awsdo use ' 'awsdo explain -s ' 'awsdo --profile='
            echo (complete -C "$line" | string replace -r '\t.*' '' | sort | string join ' ')
        end
    "#;
    let quiet = run_ok(
        env.command("fish")
            .envs(shell_env(&env))
            .args(["--no-config", "-c", "source $argv[1]"])
            .arg(&script),
    );
    eqnice!(
        "",
        format!("{}{}", stdout(&quiet), stderr(&quiet)),
        "sourcing the fish script"
    );
    let out = run_ok(
        env.command("fish")
            .envs(shell_env(&env))
            .args(["--no-config", "-c", probe])
            .arg(&script),
    );
    let all = NAMES.join(" ");
    eqnice!(
        format!(
            "{all}\n{all}\nbeta-dev\n{all}\n{all}\n--profile=alpha-prod --profile=beta-dev --profile=default\n"
        ),
        stdout(&out),
        "fish completions\n{}",
        stderr(&out)
    );
}

#[test]
fn zsh_loads_the_script_with_compinit_silently() {
    if !util::require("zsh") {
        return;
    }
    let env = TestEnv::new();
    let script = repo("completions/_awsdo");
    run_ok(env.command("zsh").arg("-n").arg(&script));
    // As installed: a directory on fpath, then compinit; and sourced directly (which registers
    // it with compdef).
    let fpath = env.root().join("zfunc");
    std::fs::create_dir_all(&fpath).unwrap();
    std::fs::copy(&script, fpath.join("_awsdo")).unwrap();
    let out = run_ok(
        env.command("zsh")
            .envs(shell_env(&env))
            .args([
                "-f",
                "-c",
                "fpath=(\"$1\" $fpath); autoload -Uz compinit && compinit -u -d \"$1/.zcompdump\" \
                 && source \"$2\" && [[ $_comps[awsdo] == _awsdo ]] && echo ok",
                "zsh",
            ])
            .arg(&fpath)
            .arg(&script),
    );
    eqnice!(
        "ok\n",
        format!("{}{}", stdout(&out), stderr(&out)),
        "loading the zsh script"
    );
}

/// zsh completion only runs inside the line editor, so this drives a real interactive zsh in
/// tmux: type the command line, press Tab, read the screen.
#[test]
fn zsh_completes_profile_names_on_a_terminal() {
    if !util::require("zsh") {
        return;
    }
    let env = TestEnv::new();
    env.write_config(CONFIG);
    let zdot = env.root().join("zdot");
    let fpath = env.root().join("zfunc");
    std::fs::create_dir_all(&zdot).unwrap();
    std::fs::create_dir_all(&fpath).unwrap();
    std::fs::copy(repo("completions/_awsdo"), fpath.join("_awsdo")).unwrap();
    std::fs::write(
        zdot.join(".zshrc"),
        format!(
            "fpath=({} $fpath)\nautoload -Uz compinit && compinit -u -d {}/.zcompdump\nPS1='READY> '\n",
            fpath.display(),
            zdot.display()
        ),
    )
    .unwrap();
    let mut vars = shell_env(&env);
    vars.push(("ZDOTDIR".into(), zdot.display().to_string()));
    vars.push(("TERM".into(), "xterm".into()));
    let Some(t) = Tmux::start("exec zsh -i", &vars) else {
        return;
    };
    let wait = Duration::from_secs(15);
    assert!(
        t.wait_for("READY>", wait),
        "zsh did not start:\n{}",
        t.screen()
    );
    // Two names share no prefix beyond "", so the first Tab lists them; a unique prefix
    // completes in place.
    t.type_text("awsdo login al");
    t.send_raw(&["Tab"]);
    assert!(
        t.wait_for("awsdo login alpha-prod", wait),
        "`awsdo login al<TAB>` did not complete to alpha-prod:\n{}",
        t.screen()
    );
    t.send_raw(&["C-u"]);
    t.type_text("awsdo -p ");
    t.send_raw(&["Tab"]);
    assert!(
        t.wait_for("beta-dev", wait) && t.screen().contains("alpha-prod"),
        "`awsdo -p <TAB>` did not list the profiles:\n{}",
        t.screen()
    );
}
