//! What users read (DESIGN §2, §5, §7): `status` rows that fit a terminal and stay bounded and
//! linear whatever the errors say, a region-only profile that is not an error, status with no
//! profiles saying what to do, usage errors that list the choices, `--help` that describes
//! every argument, global flags before a subcommand, untrusted strings shown escaped on the
//! terminal, and formats that refuse values they cannot carry.

use crate::util;

use crate::util::sts::FakeSts;
use crate::util::{TestEnv, eqnice, run_fail, run_ok, stderr, stdout};
use clap::{CommandFactory, Parser};

const KEY_ID: &str = "AKIAIOSFODNN7EXAMPLE";
const SECRET: &str = "wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY";

/// Columns `line` takes on a terminal (one per character: the output here is ASCII plus `…`).
fn columns(line: &str) -> usize {
    line.chars().count()
}

/// No byte a terminal would act on: C0 controls other than newline, DEL, C1 controls.
fn assert_no_controls(text: &str, what: &str) {
    assert!(
        !text.chars().any(|c| c.is_control() && c != '\n'),
        "{what} holds a raw control character:\n{text:?}"
    );
}

// --- status ---

#[test]
fn status_rows_fit_a_terminal_whatever_the_error() {
    let env = TestEnv::new();
    env.write_config(
        "[profile nocreds]\nmfa_serial = arn:aws:iam::123456789012:mfa/alice\n\
         [profile orphan]\nrole_arn = arn:aws:iam::123456789012:role/x\nsource_profile = nobody\n\
         [profile ok]\nrole_arn = arn:aws:iam::123456789012:role/ok\nsource_profile = base\n\
         [profile base]\nregion = us-east-1\n",
    );
    env.write_credentials(&format!(
        "[base]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    ));
    let text = stdout(&run_ok(env.cmd().arg("status")));
    for line in text.lines() {
        assert!(
            columns(line) <= 100,
            "line of {} columns:\n{text}",
            columns(line)
        );
    }
    // The rows still say which profiles fail, and where the whole reason is.
    let row = |name: &str| {
        text.lines()
            .find(|l| {
                l.get(2..)
                    .is_some_and(|l| l.starts_with(&format!("{name} ")))
            })
            .unwrap_or_else(|| panic!("no row for {name}:\n{text}"))
            .to_owned()
    };
    assert!(row("nocreds").contains("error:"), "{text}");
    assert!(row("orphan").contains("error:"), "{text}");
    assert!(row("ok").contains("static > assume-role"), "{text}");
    assert!(text.contains("awsdo explain PROFILE"), "{text}");
}

#[test]
fn status_calls_a_region_only_profile_settings_not_an_error() {
    let env = TestEnv::new();
    env.write_config("[default]\nregion = us-east-1\noutput = json\n");
    let text = stdout(&run_ok(env.cmd().arg("status")));
    let row = text
        .lines()
        .find(|l| l.contains("default"))
        .unwrap_or_else(|| panic!("no default row:\n{text}"));
    assert!(!row.contains("error"), "{text}");
    assert!(row.contains("settings only"), "{text}");
    assert!(!text.contains("cannot be used"), "{text}");
}

#[test]
fn status_with_no_profiles_names_the_files_and_the_fix() {
    let env = TestEnv::new();
    std::fs::remove_file(env.config_path()).unwrap();
    let out = run_ok(env.cmd().arg("status"));
    let text = stdout(&out);
    assert!(!text.contains("PROFILE"), "only a header:\n{text}");
    let config = env.config_path().display().to_string();
    assert!(
        text.contains(&config) && text.contains("(missing)"),
        "{text}"
    );
    assert!(text.contains("aws configure"), "{text}");
}

/// 4,000 profiles whose error would name every other profile: the output stays one bounded
/// line per profile (the old rows repeated the list of known profiles: 108 MB).
#[test]
fn status_on_thousands_of_broken_profiles_is_bounded() {
    const N: usize = 4000;
    let env = TestEnv::new();
    let mut config = String::new();
    for i in 0..N {
        config.push_str(&format!(
            "[profile broken-{i:04}]\nrole_arn = arn:aws:iam::123456789012:role/r\nsource_profile = missing-{i}\n"
        ));
    }
    env.write_config(&config);
    let text = stdout(&run_ok(env.cmd().arg("status")));
    let rows = text.lines().filter(|l| l.contains("broken-")).count();
    eqnice!(N, rows);
    // Header, rows, footer: under 120 bytes a row (names are 12 bytes, kinds at most 40
    // columns, the cached column empty).
    let bound = 120 * (N + 3);
    assert!(
        text.len() < bound,
        "{} bytes for {N} rows (bound {bound})",
        text.len()
    );
    assert!(text.lines().all(|l| columns(l) <= 100));
}

#[test]
fn status_shows_paths_and_errors_escaped() {
    let mut env = TestEnv::new();
    env.write_config("[profile cs]\nrole_arn = arn:x\ncredential_source = Env\x1b]52;c;eA==\x07\n");
    // A credentials file readable by others, at a path with an escape sequence: the warning
    // names it.
    let dir = env.root().join("cred\x1b[31ms");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("credentials");
    std::fs::write(&path, format!("[k]\naws_access_key_id = {KEY_ID}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    env.set_var("AWS_SHARED_CREDENTIALS_FILE", path.to_str().unwrap());
    let out = run_ok(env.cmd().arg("status"));
    let (text, err) = (stdout(&out), stderr(&out));
    assert_no_controls(&text, "status");
    assert_no_controls(&err, "status's warning");
    assert!(err.contains(r"cred\x1b[31ms"), "{err}");
    assert!(text.contains("cs ") && text.contains("error:"), "{text}");
    let names = stdout(&run_ok(env.cmd().args(["status", "--names"])));
    assert_no_controls(&names, "status --names");
}

// --- usage errors and help ---

#[test]
fn hook_without_a_shell_lists_the_shells() {
    let env = TestEnv::new();
    for sub in ["hook", "completions", "export"] {
        let err = stderr(&run_fail(env.cmd().arg(sub)));
        assert!(
            err.contains("bash, zsh, fish, pwsh") && err.contains(&format!("awsdo {sub}")),
            "{sub}: {err}"
        );
        eqnice!(1, err.lines().count(), "{err}");
    }
    // A wrong value lists the values too; other mistakes point at the subcommand's help.
    let err = stderr(&run_fail(env.cmd().args(["hook", "tcsh"])));
    assert!(err.contains("bash, zsh, fish, pwsh"), "{err}");
    let err = stderr(&run_fail(env.cmd().args(["hook", "bash", "extra"])));
    assert!(err.contains("awsdo hook --help"), "{err}");
}

/// Usage errors are one line that fits a terminal (100 columns at most, most under 80).
#[test]
fn usage_errors_are_one_short_line() {
    let env = TestEnv::new();
    for argv in [
        &["use"][..],
        &["use", "dev"],
        &["logout", "--all", "dev"],
        &["--format", "xml"],
        &["explain", "a", "b"],
        &["-p"],
        &["status", "--bogus"],
        &["hook"],
        &["hook", "tcsh"],
        &["--login", "explain"],
        &["--format=env", "status"],
    ] {
        let err = stderr(&run_fail(env.cmd().args(argv)));
        eqnice!(1, err.lines().count(), "{argv:?}: {err}");
        let line = err.trim_end();
        assert!(
            columns(line) <= 100,
            "{argv:?}: {} columns: {line}",
            columns(line)
        );
        assert!(line.starts_with("awsdo: could not "), "{argv:?}: {line}");
    }
}

/// Every argument of every subcommand (and every value of every value list) has a description
/// in `--help`, walked from clap's definition so a new argument cannot be missed.
#[test]
fn every_argument_of_every_subcommand_is_described() {
    fn walk(cmd: &clap::Command, path: &str, missing: &mut Vec<String>) {
        for arg in cmd.get_arguments() {
            if arg.is_hide_set() || matches!(arg.get_id().as_str(), "help" | "version") {
                continue;
            }
            let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
            if help.trim().is_empty() {
                missing.push(format!("{path} {}", arg.get_id()));
            }
            for value in arg.get_possible_values() {
                let help = value.get_help().map(|h| h.to_string()).unwrap_or_default();
                if !value.is_hide_set() && help.trim().is_empty() && arg.get_long().is_some() {
                    missing.push(format!(
                        "{path} {} value {}",
                        arg.get_id(),
                        value.get_name()
                    ));
                }
            }
        }
        // Examples are laid out by hand: a line over 80 columns wraps into the next one.
        let after = cmd
            .get_after_help()
            .map(|h| h.to_string())
            .unwrap_or_default();
        for line in after.lines().filter(|l| columns(l) > 80) {
            missing.push(format!("{path}: example line over 80 columns: {line}"));
        }
        for sub in cmd.get_subcommands() {
            if sub.get_name() == "help" {
                continue;
            }
            let about = sub.get_about().map(|h| h.to_string()).unwrap_or_default();
            if about.trim().is_empty() {
                missing.push(format!("{path} {} (no description)", sub.get_name()));
            }
            walk(sub, &format!("{path} {}", sub.get_name()), missing);
        }
    }
    let mut cmd = awsdo::cli::Cli::command();
    cmd.build();
    let mut missing = Vec::new();
    walk(&cmd, "awsdo", &mut missing);
    assert!(missing.is_empty(), "help to fix:\n{}", missing.join("\n"));
    // And the help the user sees for explain says what PROFILE and --json are.
    let env = TestEnv::new();
    let help = stdout(&run_ok(env.cmd().args(["explain", "--help"])));
    for line in help
        .lines()
        .filter(|l| l.trim_start().starts_with(['[', '-']))
    {
        let words = line.split_whitespace().count();
        assert!(
            words > 2,
            "undescribed line in explain --help: {line:?}\n{help}"
        );
    }
}

/// DESIGN §2: global flags work before or after a subcommand, for every subcommand and flag.
#[test]
fn global_flags_work_before_every_subcommand() {
    let globals: &[&[&str]] = &[
        &["-p", "ops"],
        &["-r", "arn:aws:iam::123456789012:role/x"],
        &["-s", "base"],
        &["-d", "1h"],
        &["-n", "arn:aws:iam::123456789012:mfa/alice"],
        &["-c", "123456"],
        &["--disable-cache"],
    ];
    let cmd = awsdo::cli::Cli::command();
    let subs: Vec<Vec<&str>> = cmd
        .get_subcommands()
        .map(|s| {
            let mut argv = vec![s.get_name()];
            if s.get_positionals().any(|a| a.is_required_set()) {
                argv.push("bash");
            }
            argv
        })
        .collect();
    assert!(subs.len() >= 10, "{subs:?}");
    for flag in globals {
        for sub in &subs {
            for before in [true, false] {
                let mut argv = vec!["awsdo"];
                if before {
                    argv.extend(flag.iter());
                    argv.extend(sub.iter());
                } else {
                    argv.extend(sub.iter());
                    argv.extend(flag.iter());
                }
                if let Err(e) = awsdo::cli::Cli::try_parse_from(&argv)
                    .map_err(|e| e.to_string())
                    .and_then(|c| c.check().map_err(|e| e.to_string()))
                {
                    panic!("{argv:?} refused: {e}");
                }
            }
        }
    }
    // The value reaches the command.
    let env = TestEnv::new();
    env.write_config("[profile ops]\ncredential_process = /bin/false\nregion = eu-west-1\n");
    let out = run_ok(env.cmd().args(["-p", "ops", "explain", "--json"]));
    let v: serde_json::Value = serde_json::from_str(&stdout(&out)).unwrap();
    eqnice!("ops", v["profile"].as_str().unwrap_or(""));
    // The flags of `awsdo` alone still refuse a subcommand, in one line.
    for argv in [&["--format", "env", "explain"][..], &["--login", "status"]] {
        let err = stderr(&run_fail(env.cmd().args(argv)));
        eqnice!(1, err.lines().count(), "{argv:?}: {err}");
        assert!(err.contains(argv[0]), "{argv:?}: {err}");
    }
}

#[test]
fn debug_log_says_what_is_called_once() {
    let fake = FakeSts::start_default();
    let mut env = TestEnv::with_endpoint(&fake.url());
    env.set_var("AWSDO_LOG", "debug");
    env.write_config(
        "[profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\n",
    );
    env.write_credentials(&format!(
        "[base]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    ));
    // dev assumes a role; base's long-lived keys get a session token (GetCallerIdentity and
    // ListMFADevices first, to discover a device): every kind of call is logged.
    let mut err = stderr(&run_ok(env.cmd().args(["-p", "dev", "--", "true"])));
    err.push_str(&stderr(&run_ok(
        env.cmd().args(["-p", "base", "--", "true"]),
    )));
    assert!(err.contains("awsdo: debug:"), "no debug lines:\n{err}");
    for line in err.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        for pair in words.windows(2) {
            let stem = |w: &str| w.trim_end_matches("ing").trim_end_matches('s').to_owned();
            assert!(stem(pair[0]) != stem(pair[1]), "stutter in {line:?}");
        }
    }
    assert!(
        err.contains("role/dev") && err.contains("sts:GetCallerIdentity"),
        "{err}"
    );
    assert!(!err.contains(SECRET), "{err}");
}

// --- untrusted strings on the terminal ---

const ESC_ARN: &str = "arn:aws:iam::123456789012:role/x\x1b]52;c;ZXZpbA==\x07";

#[test]
fn explain_shows_role_arn_and_region_escaped() {
    let env = TestEnv::new();
    env.write_config(&format!(
        "[profile r]\nrole_arn = {ESC_ARN}\nsource_profile = base\nregion = us-east-1\n\
         [profile q]\nrole_arn = {ESC_ARN}\nsource_profile = base\nregion = us\x1b[2Jeast\n"
    ));
    env.write_credentials(&format!(
        "[base]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    ));
    let text = stdout(&run_ok(env.cmd().args(["explain", "r"])));
    assert_no_controls(&text, "explain");
    assert!(text.contains(r"role/x\x1b]52;c;ZXZpbA==\x07"), "{text}");
    // A region that is not a region name is refused by the config checks: escaped there too.
    let err = stderr(&run_fail(env.cmd().args(["explain", "q"])));
    assert_no_controls(&err, "explain refusal");
    assert!(err.contains(r"us\u{1b}[2Jeast"), "{err}");
    // JSON carries the value itself, escaped by JSON's rules.
    let json = stdout(&run_ok(env.cmd().args(["explain", "r", "--json"])));
    assert_no_controls(&json, "explain --json");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    eqnice!(ESC_ARN, v["steps"][1]["role_arn"].as_str().unwrap_or(""));
}

#[test]
fn errors_show_paths_values_and_names_escaped() {
    // A file path with an escape sequence, in a parse error.
    let mut env = TestEnv::new();
    let dir = env.root().join("conf\x1b[31mig");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config");
    std::fs::write(&path, "[profile broken\n").unwrap();
    env.set_var("AWS_CONFIG_FILE", path.to_str().unwrap());
    let err = stderr(&run_fail(env.cmd().args(["explain", "x"])));
    assert_no_controls(&err, "parse error");
    assert!(err.contains(r"conf\x1b[31mig"), "{err}");

    // A value from the file and a profile name from the command line.
    let env = TestEnv::new();
    env.write_config(&format!(
        "[profile r]\nrole_arn = {ESC_ARN}\ncredential_source = Bogus\x1b[2J\n"
    ));
    for argv in [
        &["-p", "r", "--", "true"][..],
        &["explain", "r"],
        &["-p", "no\x1b[2Jbody", "explain"],
        &["-p", "no\u{9b}31mbody", "--format", "env"],
    ] {
        let err = stderr(&run_fail(env.cmd().args(argv)));
        assert_no_controls(&err, &format!("{argv:?}"));
        eqnice!(1, err.lines().count(), "{argv:?}: {err}");
    }
    // A usage error echoes the argument escaped too.
    let err = stderr(&run_fail(env.cmd().args(["hook", "ba\x1b[2Jsh"])));
    assert_no_controls(&err, "usage error");
}

/// The hook's messages at the prompt (`awsdo export`) are escaped like every other error.
#[test]
fn hook_messages_are_escaped() {
    let mut env = TestEnv::new();
    let dir = env.root().join("conf\x1b]0;title\x07ig");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("config");
    std::fs::write(&path, "[profile broken\n").unwrap();
    env.set_var("AWS_CONFIG_FILE", path.to_str().unwrap());
    env.set_var("AWS_PROFILE", "cs");
    let out = env.cmd().args(["export", "bash"]).output().unwrap();
    let err = stderr(&out);
    assert!(err.contains("could not"), "no message:\n{err}");
    assert_no_controls(&err, "export's message");
    assert!(err.contains(r"conf\x1b]0;title\x07ig"), "{err}");
}

/// The MFA prompt on the terminal shows the device ARN from the file escaped: the screen holds
/// the escape as text, not a colour change.
#[test]
fn mfa_prompt_shows_the_device_escaped() {
    let env = TestEnv::with_endpoint("http://127.0.0.1:9");
    env.write_config("[profile u]\nmfa_serial = arn:aws:iam::123456789012:mfa/al\x1b[8mice\n");
    env.write_credentials(&format!(
        "[u]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    ));
    let line = format!("{} -p u -- true", util::sh_quote(util::awsdo_bin()));
    let Some(t) = util::tmux::Tmux::start(&line, &env.env_vars()) else {
        return;
    };
    let shown = r"MFA code for arn:aws:iam::123456789012:mfa/al\x1b[8mice (profile u)";
    assert!(
        t.wait_for(shown, std::time::Duration::from_secs(20)),
        "screen:\n{}",
        t.screen()
    );
}

// --- formats ---

/// A profile whose credential_process prints `token` as the session token and whose region is
/// `region`; no network.
fn env_with_process(token: &str, region: &str) -> TestEnv {
    let env = TestEnv::new();
    let json = serde_json::json!({
        "Version": 1,
        "AccessKeyId": KEY_ID,
        "SecretAccessKey": SECRET,
        "SessionToken": token,
    });
    let out = env.write_file("creds.json", &json.to_string());
    let script = env.write_script("proc.sh", &format!("#!/bin/sh\ncat '{}'\n", out.display()));
    env.write_config(&format!(
        "[profile p]\ncredential_process = {}\nregion = {region}\n",
        script.display()
    ));
    env
}

#[test]
fn format_env_refuses_carriage_returns_and_other_controls() {
    for (token, region, var) in [
        ("tok\rX", "us-east-1", "AWS_SESSION_TOKEN"),
        ("tok\nX=1", "us-east-1", "AWS_SESSION_TOKEN"),
        ("tok\x1b[2JX", "us-east-1", "AWS_SESSION_TOKEN"),
        // (A region with a control character never gets here: the config checks refuse it.)
    ] {
        let env = env_with_process(token, region);
        let out = run_fail(env.cmd().args(["-p", "p", "--format", "env"]));
        eqnice!("", stdout(&out), "{token:?} {region:?}");
        let err = stderr(&out);
        eqnice!(1, err.lines().count(), "{err}");
        assert!(err.contains(var) && err.contains("\"p\""), "{err}");
        assert!(!err.contains("tok") && !err.contains(SECRET), "{err}");
        assert_no_controls(&err, "env refusal");
        // JSON carries the same values.
        run_ok(env.cmd().args(["-p", "p", "--format", "json"]));
    }
}

#[test]
fn shell_formats_refuse_nul() {
    let env = env_with_process("tok\0secret-tail", "us-east-1");
    for format in ["bash", "zsh", "fish", "pwsh"] {
        let out = run_fail(env.cmd().args(["-p", "p", "--format", format]));
        eqnice!("", stdout(&out), "{format}");
        let err = stderr(&out);
        assert!(
            err.contains("AWS_SESSION_TOKEN") && !err.contains("secret-tail"),
            "{err}"
        );
    }
}

/// Flags are checked as the config is, before any call: a duration STS refuses, something that
/// is not a role ARN or an MFA device is one line naming the flag and an example.
#[test]
fn flags_sts_would_refuse_are_refused_before_any_call() {
    let env = TestEnv::new();
    env.write_credentials(&format!(
        "[default]\naws_access_key_id = {KEY_ID}\naws_secret_access_key = {SECRET}\n"
    ));
    for (args, flag) in [
        (&["-d", "0"][..], "-d/--duration"),
        (&["-d", "10m"][..], "-d/--duration"),
        (&["-d", "37h"][..], "-d/--duration"),
        (&["-r", "notanarn"][..], "-r/--role-arn"),
        (&["-n", "bad"][..], "-n/--serial-number"),
    ] {
        let out = run_fail(env.cmd().args(args).args(["--", "true"]));
        let err = stderr(&out);
        eqnice!(1, err.lines().count(), "{err}");
        assert!(
            err.starts_with(&format!("awsdo: could not use {flag}")),
            "{args:?}: {err}"
        );
    }
}
