//! `awsdo completions SHELL` and `awsdo man [SUBCOMMAND]`: completion scripts and man pages,
//! generated from the clap definitions in `cli.rs` (one source of truth; the committed copies
//! under `completions/` and `man/` are checked against these by `tests/it/completions.rs`).
//!
//! Profile names are dynamic: they come from the user's config at completion time. clap's
//! static generators cannot know them, so the command is generated with a sentinel as the only
//! possible value of every argument that takes a profile name; each generator then writes that
//! sentinel exactly where a shell lists the candidates for that argument, and the sentinel is
//! replaced by a call to `awsdo status --names` (hidden; one name per line, no network). This
//! keeps the scripts plain, sourceable files, uses clap's own knowledge of where each argument
//! sits, and fails loudly (an error, caught by the tests) if a clap upgrade stops emitting the
//! sentinel. clap_complete's dynamic `CompleteEnv` would also do it, but it is behind the
//! `unstable-dynamic` feature and turns the committed files into shims with no content.

use std::process::ExitCode;

use anyhow::Context;
use clap::CommandFactory;
use clap_complete::Shell as Target;

use crate::cli::Cli;
use crate::shell::ShellKind;

/// Stands for "the profile names" in the generated scripts until it is replaced.
const SENTINEL: &str = "__AWSDO_PROFILE_NAMES__";

/// The subcommands whose positional argument is a profile name.
const PROFILE_POSITIONALS: &[&str] = &["use", "login", "logout", "explain"];

/// Print the completion script for `shell`.
pub fn print(shell: ShellKind) -> anyhow::Result<ExitCode> {
    let text = script(shell)?;
    write_stdout(text.as_bytes())
}

/// Print the man page (roff) of `awsdo`, or of `awsdo-SUBCOMMAND` given a subcommand's name.
pub fn man(subcommand: Option<&str>) -> anyhow::Result<ExitCode> {
    let file = match subcommand {
        None => "awsdo.1".to_owned(),
        Some(name) => format!("awsdo-{name}.1"),
    };
    let pages = man_pages()?;
    match pages.iter().find(|(f, _)| *f == file) {
        Some((_, page)) => write_stdout(page),
        None => {
            let names: Vec<_> = pages
                .iter()
                .filter_map(|(f, _)| f.strip_prefix("awsdo-")?.strip_suffix(".1"))
                .collect();
            anyhow::bail!(
                "no man page for `{}`; the subcommands with one: {}",
                subcommand.unwrap_or_default(),
                names.join(", ")
            )
        }
    }
}

fn write_stdout(bytes: &[u8]) -> anyhow::Result<ExitCode> {
    super::print_stdout(bytes)?;
    Ok(ExitCode::SUCCESS)
}

/// Every man page, as (file name, roff): the pages `clap_mangen::generate_to` would write, for
/// `awsdo` (`awsdo.1`) and each visible subcommand (`awsdo-hook.1`, ...), rendered in memory so
/// `awsdo man` can print one. As there, the help subcommand is left out (the pages document it
/// no better than `--help`), and clap's build names each subcommand page `awsdo-NAME` with the
/// synopsis `awsdo NAME ...`. Every page's footer names awsdo and its version (clap_mangen's
/// default would be the subcommand's name with no version).
pub fn man_pages() -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    type Pages = Vec<(String, Vec<u8>)>;
    fn add(cmd: clap::Command, source: &str, pages: &mut Pages) -> anyhow::Result<()> {
        let subcommands: Vec<_> = cmd
            .get_subcommands()
            .filter(|s| !s.is_hide_set())
            .cloned()
            .collect();
        let man = clap_mangen::Man::new(cmd).source(source);
        let mut buf = Vec::new();
        man.render(&mut buf)
            .with_context(|| format!("could not render the man page {}", man.get_filename()))?;
        pages.push((man.get_filename(), buf));
        for sub in subcommands {
            add(sub, source, pages)?;
        }
        Ok(())
    }
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let source = format!("awsdo {}", cmd.get_version().unwrap_or_default());
    let mut pages = Vec::new();
    add(cmd, &source, &mut pages)?;
    Ok(pages)
}

/// The completion script for `shell`, with profile names completed dynamically.
pub fn script(shell: ShellKind) -> anyhow::Result<String> {
    let target = match shell {
        ShellKind::Bash => Target::Bash,
        ShellKind::Zsh => Target::Zsh,
        ShellKind::Fish => Target::Fish,
        ShellKind::Pwsh => Target::PowerShell,
        // clap_complete_nushell writes `export extern awsdo`, which would replace the `awsdo`
        // command that `awsdo hook nu` defines (and with it `awsdo use`); that command
        // completes profile names itself.
        ShellKind::Nu => anyhow::bail!(
            "could not generate nu completions: `awsdo hook nu` defines the awsdo command and completes profile names; use that"
        ),
    };
    let mut cmd = with_sentinel(Cli::command());
    let mut buf = Vec::new();
    clap_complete::generate(target, &mut cmd, "awsdo", &mut buf);
    let text = String::from_utf8(buf).context("could not generate completions: not UTF-8")?;
    let done = match shell {
        ShellKind::Bash => bash(&text),
        ShellKind::Zsh => zsh(&text),
        ShellKind::Fish => fish(&text),
        // PowerShell's generator completes flags and subcommands only, never values.
        ShellKind::Pwsh | ShellKind::Nu => Some(text.clone()),
    };
    match done {
        Some(t) if !t.contains(SENTINEL) => Ok(t),
        _ => anyhow::bail!(
            "could not generate {} completions: the generator no longer marks profile arguments as expected",
            shell.shell().name()
        ),
    }
}

/// `cmd` as the generators should see it: the sentinel is the only possible value of every
/// profile-name argument.
fn with_sentinel(cmd: clap::Command) -> clap::Command {
    let mark = |a: clap::Arg| a.value_parser([SENTINEL]).hide_possible_values(true);
    let mut cmd = cmd.mut_arg("profile", mark).mut_arg("source_profile", mark);
    for name in PROFILE_POSITIONALS {
        cmd = cmd.mut_subcommand(*name, |s| s.mut_arg("profile_name", mark));
    }
    cmd
}

/// bash: the sentinel appears in `compgen -W "…"` word lists (`opts="…"` for positionals, a
/// `case "${prev}"` branch for `-p`/`--profile`); command substitution runs at completion time.
fn bash(text: &str) -> Option<String> {
    text.contains(SENTINEL)
        .then(|| text.replace(SENTINEL, "$(command awsdo status --names 2>/dev/null)"))
}

/// zsh: the sentinel appears as the action `(SENTINEL)` of `_arguments` specs; it becomes a
/// function that offers the names.
fn zsh(text: &str) -> Option<String> {
    let action = format!("({SENTINEL})");
    if !text.contains(&action) {
        return None;
    }
    let mut text = text.replace(&action, "_awsdo_profiles");
    // zsh's generator makes the trailing COMMAND (only valid after `--`) the first positional,
    // ahead of the subcommand, so `awsdo login <TAB>` offered subcommands again. Without it
    // the subcommand is the first positional word: `$line[1]`, not `$line[2]`.
    let command_spec = text
        .lines()
        .find(|l| l.starts_with("'::command -- "))?
        .to_owned();
    text = text.replacen(&format!("{command_spec}\n"), "", 1);
    let subcommand_word = "$line[2]";
    if text.matches(subcommand_word).count() != 3 {
        return None;
    }
    text = text.replace(subcommand_word, "$line[1]");
    let helper = "\
(( $+functions[_awsdo_profiles] )) ||
_awsdo_profiles() {
    local -a names
    names=(${(f)\"$(command awsdo status --names 2>/dev/null)\"})
    _wanted profiles expl 'profile' compadd -a - names
}

";
    let anchor = "autoload -U is-at-least\n\n";
    let at = text.find(anchor)? + anchor.len();
    Some(format!("{}{helper}{}", &text[..at], &text[at..]))
}

/// fish: the sentinel appears in `-a "…"` candidate lists, which fish expands at completion
/// time. Two gaps of fish's generator get lines of their own: it leaves out subcommand
/// positionals, and its conditions fail while a value is pending (`awsdo -p <TAB>`: argparse
/// rejects the unfinished `-p`), so the global profile flags are completed unconditionally.
fn fish(text: &str) -> Option<String> {
    if !text.contains(SENTINEL) {
        return None;
    }
    let names = "(command awsdo status --names 2>/dev/null)";
    let mut out = text.replace(SENTINEL, names);
    out.push_str(&format!(
        "complete -c awsdo -n \"__fish_awsdo_using_subcommand {}\" -f -a \"{names}\" -d 'profile'\n\
         complete -c awsdo -s p -l profile -r -f -a \"{names}\" -d 'profile'\n\
         complete -c awsdo -s s -l source-profile -r -f -a \"{names}\" -d 'profile'\n",
        PROFILE_POSITIONALS.join(" ")
    ));
    Some(out)
}
