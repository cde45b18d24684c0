//! The prompt hook's small worker, `awsdo-export` (src/bin/awsdo-export.rs; issue 15): it
//! serves `awsdo export SHELL` from a fresh cache entry with no network code, and hands every
//! other case, unchanged, to the `awsdo` beside it. Proved here with copies of the binaries in
//! temp dirs: a worker with no `awsdo` beside it can only have served what it printed itself,
//! and one that hands over prints what `awsdo` prints. Every real-shell hook test
//! (`hook.rs`, `nu.rs`) runs through it too, since `awsdo hook` names it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::util::sts::FakeSts;
use crate::util::{self, TestEnv, eqnice, run_ok, stderr, stdout};

const KEYS: &str = "[base]\naws_access_key_id = AKIAFAKEBASE00000001\n\
                    aws_secret_access_key = fake-secret-base\n\
                    [temp]\naws_access_key_id = ASIAFAKETEMP00000001\n\
                    aws_secret_access_key = fake-secret-temp\naws_session_token = fake-token-temp\n";
const CONFIG: &str = "[profile base]\n\
    [profile dev]\nrole_arn = arn:aws:iam::123456789012:role/dev\nsource_profile = base\n\
    region = eu-west-1\n\
    [profile prod]\nrole_arn = arn:aws:iam::123456789012:role/prod\nsource_profile = base\n";

/// What a case is called, the arguments, and the variables added to the environment.
type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)]);

fn setup(fake: &FakeSts) -> TestEnv {
    let env = TestEnv::with_endpoint(&fake.url());
    env.write_config(CONFIG);
    env.write_credentials(KEYS);
    env
}

/// `ROOT/NAME/` holding copies of the binaries named in `which` (`awsdo`, `awsdo-export`).
fn install(env: &TestEnv, name: &str, which: &[&str]) -> PathBuf {
    let dir = env.root().join(name);
    fs::create_dir_all(&dir).unwrap();
    for bin in which {
        let from = match *bin {
            "awsdo" => util::awsdo_bin(),
            _ => util::export_worker_bin(),
        };
        util::copy_executable(Path::new(from), &dir.join(bin));
    }
    dir
}

/// `program args…` in the test's clean environment plus `vars`.
fn run(env: &TestEnv, program: &Path, args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd: Command = env.command(program);
    cmd.args(args).envs(vars.iter().copied());
    cmd.output().unwrap()
}

fn same(a: &Output, b: &Output, what: &str) {
    eqnice!(stdout(a), stdout(b), "{what}: stdout");
    eqnice!(stderr(a), stderr(b), "{what}: stderr");
    assert_eq!(a.status.code(), b.status.code(), "{what}: status");
}

#[test]
fn the_worker_alone_serves_a_warm_switch_exactly_as_awsdo_export_does() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    run_ok(env.cmd().args(["-p", "dev", "--", "true"]));
    eqnice!(1, fake.count("AssumeRole"));
    let lone = install(&env, "lone", &["awsdo-export"]).join("awsdo-export");
    let awsdo = Path::new(util::awsdo_bin());
    let cases: &[Case] = &[
        ("switch", &["export", "bash"], &[("AWS_PROFILE", "dev")]),
        ("fish", &["export", "fish"], &[("AWS_PROFILE", "dev")]),
        ("nu", &["export", "nu"], &[("AWS_PROFILE", "dev")]),
        ("pwsh", &["export", "pwsh"], &[("AWS_PROFILE", "dev")]),
        (
            "use",
            &["export", "zsh", "--atomic", "use"],
            &[("AWS_PROFILE", "dev")],
        ),
        // Nothing wanted, nothing held: nothing to print.
        ("nothing", &["export", "bash"], &[]),
        // Session keys from the file alone: nothing to fetch or cache, served from the plan.
        (
            "static keys",
            &["export", "bash"],
            &[("AWS_PROFILE", "temp")],
        ),
    ];
    for (what, args, vars) in cases {
        let worker = run(&env, &lone, args, vars);
        assert!(
            worker.status.success(),
            "{what}\n{}",
            util::describe(&worker)
        );
        same(&worker, &run(&env, awsdo, args, vars), what);
    }
    let switched = run(&env, &lone, &["export", "bash"], &[("AWS_PROFILE", "dev")]);
    assert!(
        stdout(&switched).contains("export AWS_SESSION_TOKEN="),
        "{}",
        stdout(&switched)
    );
    // Served from the cache: no call, and no awsdo beside it to have made one.
    eqnice!(1, fake.count("AssumeRole"));
}

#[test]
fn the_worker_hands_everything_else_to_the_awsdo_beside_it() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    // Alone, a case it cannot serve is one line naming the awsdo it needs, and no call.
    let lone = install(&env, "lone", &["awsdo-export"]).join("awsdo-export");
    let out = run(&env, &lone, &["export", "bash"], &[("AWS_PROFILE", "prod")]);
    assert_eq!(Some(1), out.status.code());
    eqnice!("", stdout(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with("awsdo: could not run ") && err.contains("lone/awsdo"),
        "{err}"
    );
    eqnice!(1, err.lines().count(), "{err}");
    eqnice!(0, fake.count("AssumeRole"));

    // Beside awsdo: a cache miss is fetched once (by awsdo), then served from the cache.
    let dir = install(&env, "both", &["awsdo", "awsdo-export"]);
    let worker = dir.join("awsdo-export");
    let first = run(
        &env,
        &worker,
        &["export", "bash"],
        &[("AWS_PROFILE", "prod")],
    );
    assert!(first.status.success(), "{}", util::describe(&first));
    assert!(
        stdout(&first).contains("export AWS_SESSION_TOKEN="),
        "{}",
        stdout(&first)
    );
    eqnice!(1, fake.count("AssumeRole"));
    let awsdo = Path::new(util::awsdo_bin());
    let vars = [("AWS_PROFILE", "prod")];
    same(
        &run(&env, &worker, &["export", "bash"], &vars),
        &run(&env, awsdo, &["export", "bash"], &vars),
        "warm after the hand-over",
    );
    eqnice!(1, fake.count("AssumeRole"));

    // Errors, other command lines and debug logging: what awsdo prints, byte for byte.
    let cases: &[Case] = &[
        (
            "unknown profile",
            &["export", "bash"],
            &[("AWS_PROFILE", "devv")],
        ),
        (
            "bad timeout",
            &["export", "bash"],
            &[("AWS_PROFILE", "dev"), ("AWSDO_HOOK_TIMEOUT", "soon")],
        ),
        (
            "bad --atomic",
            &["export", "bash", "--atomic", "other"],
            &[],
        ),
        ("unknown shell", &["export", "tcsh"], &[]),
        ("help", &["export", "--help"], &[]),
        ("version", &["--version"], &[]),
        (
            "debug log",
            &["export", "bash"],
            &[("AWS_PROFILE", "prod"), ("AWSDO_LOG", "debug")],
        ),
    ];
    for (what, args, vars) in cases {
        same(
            &run(&env, &worker, args, vars),
            &run(&env, awsdo, args, vars),
            what,
        );
    }
}

#[test]
fn awsdo_hook_names_the_worker_only_when_it_is_installed_beside_it() {
    let env = TestEnv::new();
    let hook = |dir: &Path, shell: &str| {
        stdout(&run_ok(
            env.command(dir.join("awsdo")).args(["hook", shell]),
        ))
    };
    let both = install(&env, "both", &["awsdo", "awsdo-export"]);
    let alone = install(&env, "alone", &["awsdo"]);
    let both_s = both.to_str().unwrap();
    let alone_s = alone.to_str().unwrap();
    for shell in ["bash", "zsh", "fish", "pwsh", "nu"] {
        let text = hook(&both, shell);
        assert!(
            text.contains(&format!("{both_s}/awsdo-export'")),
            "{shell}: {text}"
        );
        let text = hook(&alone, shell);
        assert!(!text.contains("awsdo-export'"), "{shell}: {text}");
        assert_eq!(
            text.matches(&format!("{alone_s}/awsdo'")).count(),
            2,
            "{shell}: {text}"
        );
    }
    // A worker that cannot be run is not named.
    let broken = install(&env, "broken", &["awsdo"]);
    fs::write(broken.join("awsdo-export"), "not a program").unwrap();
    assert!(!hook(&broken, "bash").contains("awsdo-export'"));
}

#[test]
fn a_warning_the_cache_cannot_remember_is_shown_once_after_a_hand_over() {
    use std::os::unix::fs::PermissionsExt;
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    // A credentials file others can read (a warning), and a cache awsdo refuses (others can
    // write to it), so the warning cannot be remembered and the worker must hand over.
    fs::set_permissions(env.credentials_path(), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(env.cache_dir(), fs::Permissions::from_mode(0o777)).unwrap();
    let worker = install(&env, "both", &["awsdo", "awsdo-export"]).join("awsdo-export");
    let awsdo = Path::new(util::awsdo_bin());
    let vars = [("AWS_PROFILE", "dev")];
    let direct = run(&env, awsdo, &["export", "bash"], &vars);
    eqnice!(
        1,
        stderr(&direct).matches("readable by other users").count(),
        "{}",
        util::describe(&direct)
    );
    same(
        &run(&env, &worker, &["export", "bash"], &vars),
        &direct,
        "unusable cache",
    );

    // A worker that serves shows it (once, remembered), as awsdo does.
    fs::set_permissions(env.cache_dir(), fs::Permissions::from_mode(0o700)).unwrap();
    run_ok(env.cmd().args(["-p", "dev", "--", "true"]));
    for seen in fs::read_dir(env.cache_dir()).unwrap() {
        let path = seen.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("seen.")
        {
            fs::remove_file(path).unwrap();
        }
    }
    let lone = install(&env, "lone", &["awsdo-export"]).join("awsdo-export");
    let served = run(&env, &lone, &["export", "bash"], &vars);
    assert!(served.status.success(), "{}", util::describe(&served));
    eqnice!(
        1,
        stderr(&served).matches("readable by other users").count(),
        "{}",
        util::describe(&served)
    );
    let again = run(&env, &lone, &["export", "bash"], &vars);
    assert!(
        !stderr(&again).contains("readable by other users"),
        "{}",
        util::describe(&again)
    );
}

#[test]
fn a_renamed_awsdo_does_not_name_a_worker_that_would_hand_over_to_another_binary() {
    let env = TestEnv::new();
    // awsdo installed under another name beside the worker: the worker execs `awsdo`, which
    // is not this binary (here absent), so the hook must run this binary itself.
    let dir = install(&env, "renamed", &["awsdo-export"]);
    util::copy_executable(Path::new(util::awsdo_bin()), &dir.join("awsdo-dev"));
    let text = stdout(&run_ok(
        env.command(dir.join("awsdo-dev")).args(["hook", "bash"]),
    ));
    assert!(!text.contains("awsdo-export'"), "{text}");
}

#[test]
fn a_worker_installed_as_awsdo_fails_once_instead_of_handing_over_to_itself_forever() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    // `awsdo` beside the worker is the worker itself (a symlink, as a package manager might
    // make one, or a copy): a hand-over would exec it again, without end.
    let dir = install(&env, "looped", &["awsdo-export"]);
    std::os::unix::fs::symlink("awsdo-export", dir.join("awsdo")).unwrap();
    let copied = install(&env, "copied", &["awsdo-export"]);
    util::copy_executable(&copied.join("awsdo-export"), &copied.join("awsdo"));
    for dir in [dir, copied] {
        // A generous bound on a hang, not a timing: `timeout` exits 124 when it fires.
        let mut cmd = env.command("timeout");
        cmd.arg("60")
            .arg(dir.join("awsdo-export"))
            .args(["export", "bash"])
            .env("AWS_PROFILE", "prod");
        let out = cmd.output().unwrap();
        assert_eq!(Some(1), out.status.code(), "{}", util::describe(&out));
        eqnice!("", stdout(&out));
        let err = stderr(&out);
        assert!(err.starts_with("awsdo: could not run "), "{err}");
        eqnice!(1, err.lines().count(), "{err}");
    }
    eqnice!(0, fake.count("AssumeRole"));
}

#[test]
fn a_worker_linked_from_elsewhere_is_not_named_since_it_hands_over_beside_its_own_file() {
    let env = TestEnv::new();
    // awsdo here, its worker a symlink to a copy in a directory without awsdo: the worker
    // hands over to the awsdo beside its own file (there: none), not to this one.
    let dir = install(&env, "here", &["awsdo"]);
    let elsewhere = install(&env, "elsewhere", &["awsdo-export"]);
    std::os::unix::fs::symlink(elsewhere.join("awsdo-export"), dir.join("awsdo-export")).unwrap();
    let text = stdout(&run_ok(
        env.command(dir.join("awsdo")).args(["hook", "bash"]),
    ));
    assert!(!text.contains("awsdo-export'"), "{text}");
    // Linked within its own directory (a versioned name), it hands over to this awsdo.
    let dir = install(&env, "versioned", &["awsdo"]);
    let elsewhere = install(&env, "versioned-real", &["awsdo-export"]);
    fs::rename(elsewhere.join("awsdo-export"), dir.join("awsdo-export-1.0")).unwrap();
    std::os::unix::fs::symlink("awsdo-export-1.0", dir.join("awsdo-export")).unwrap();
    let text = stdout(&run_ok(
        env.command(dir.join("awsdo")).args(["hook", "bash"]),
    ));
    let dir_s = dir.to_str().unwrap();
    assert!(
        text.contains(&format!("{dir_s}/awsdo-export-1.0'")),
        "{text}"
    );
}

/// A change to a command's environment.
type Edit = dyn Fn(&mut Command);

/// `program ARGS` with `AWS_PROFILE=dev` and `edit` applied to the command.
fn export_dev(env: &TestEnv, program: &Path, args: &[&str], edit: &Edit) -> Output {
    let mut cmd = env.command(program);
    cmd.args(args).env("AWS_PROFILE", "dev");
    edit(&mut cmd);
    cmd.output().unwrap()
}

#[test]
fn states_awsdo_would_not_serve_from_the_cache_are_handed_over() {
    use std::os::unix::ffi::OsStrExt;
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    run_ok(env.cmd().args(["-p", "dev", "--", "true"]));
    // STS gone (same endpoint, so the same plan): whatever is handed over fails alike, and
    // changes nothing for the next case.
    drop(fake);
    let worker = install(&env, "both", &["awsdo", "awsdo-export"]).join("awsdo-export");
    let awsdo = Path::new(util::awsdo_bin());
    let bash: &[&str] = &["export", "bash"];
    let compare = |what: &str, args: &[&str], edit: &Edit| {
        let direct = export_dev(&env, awsdo, args, edit);
        same(&export_dev(&env, &worker, args, edit), &direct, what);
        direct
    };
    let served = compare("warm", bash, &|_| {});
    assert!(
        stdout(&served).contains("AWS_SESSION_TOKEN"),
        "{}",
        util::describe(&served)
    );
    let refused: &[(&str, &Edit)] = &[
        ("min ttl longer than the entry has left", &|c| {
            c.env("AWSDO_MIN_TTL", "2h");
        }),
        ("bad min ttl", &|c| {
            c.env("AWSDO_MIN_TTL", "soon");
        }),
        ("bad helper timeout", &|c| {
            c.env("AWSDO_HELPER_TIMEOUT", "soon");
        }),
        ("no cache directory to be found", &|c| {
            c.env_remove("AWSDO_CACHE_DIR").env_remove("HOME");
        }),
        ("odd profile name", &|c| {
            c.env("AWS_PROFILE", "dev\n");
        }),
    ];
    for (what, edit) in refused {
        let out = compare(what, bash, edit);
        assert!(
            !stdout(&out).contains("AWS_SESSION_TOKEN"),
            "{what}\n{}",
            util::describe(&out)
        );
    }
    // Served or not as awsdo does: another shell's record, a forged state, a non-UTF-8
    // profile (unset for both), a login's switch.
    compare("forged state", bash, &|c| {
        c.env("AWSDO_STATE", "v1:garbage")
            .env("AWSDO_PROFILE", "prod");
    });
    compare("non-UTF-8 profile", bash, &|c| {
        c.env("AWS_PROFILE", std::ffi::OsStr::from_bytes(b"d\xffv"));
    });
    compare("login", &["export", "fish", "--atomic", "login"], &|_| {});
    compare("upper-case debug log", bash, &|c| {
        c.env("AWSDO_LOG", "DEBUG");
    });

    // The profile changed since the entry was written: another plan, not served.
    env.write_config(&CONFIG.replace("role/dev", "role/dev2"));
    let out = compare("config changed", bash, &|_| {});
    assert!(
        !stdout(&out).contains("AWS_SESSION_TOKEN"),
        "{}",
        util::describe(&out)
    );
    env.write_config(CONFIG);
    compare("config back", bash, &|_| {});

    // A symlinked entry, and a cache directory someone else owns: refused, never read.
    let entry = fs::read_dir(env.cache_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with("profile.") && name.ends_with(".json")
        })
        .unwrap();
    let moved = env.root().join("entry.json");
    fs::rename(&entry, &moved).unwrap();
    std::os::unix::fs::symlink(&moved, &entry).unwrap();
    let out = compare("symlinked entry", bash, &|_| {});
    assert!(stderr(&out).contains("symlink"), "{}", util::describe(&out));
    fs::remove_file(&entry).unwrap();
    fs::rename(&moved, &entry).unwrap();
    compare("entry back", bash, &|_| {});
    // Only root may give the directory away (elsewhere, security.rs proves the refusal).
    if std::os::unix::fs::chown(env.cache_dir(), Some(65534), None).is_ok() {
        let out = compare("foreign cache", bash, &|_| {});
        assert!(
            stderr(&out).contains("not by you"),
            "{}",
            util::describe(&out)
        );
    }
}

#[test]
fn after_a_hand_over_awsdo_and_its_helpers_get_the_users_core_limit_back() {
    // The worker makes itself undumpable with a core limit of 0 first; a limit survives
    // exec, so unless it is put back awsdo would take 0 for the user's and hand it to the
    // profile's credential_process.
    let env = TestEnv::new();
    let seen = env.root().join("core-limit");
    let script = env.write_script(
        "bin/creds",
        &format!(
            "#!/bin/sh\nulimit -c > {}\n\
             printf '%s' '{{\"Version\": 1, \"AccessKeyId\": \"AKIAFAKEPROCESS00001\", \"SecretAccessKey\": \"fake-secret\"}}'\n",
            util::sh_quote(seen.to_str().unwrap())
        ),
    );
    env.write_config(&format!(
        "[profile cp]\ncredential_process = {}\n",
        script.display()
    ));
    let worker = install(&env, "both", &["awsdo", "awsdo-export"]).join("awsdo-export");
    let awsdo = Path::new(util::awsdo_bin());
    // A soft limit the user chose (at most the hard one), then the program.
    let limited = |program: &Path| {
        let mut cmd = env.command("sh");
        cmd.args([
            "-c",
            "h=$(ulimit -H -c); [ \"$h\" = unlimited ] && h=4096; ulimit -S -c \"$h\" && exec \"$0\" export bash",
        ])
        .arg(program)
        .env("AWS_PROFILE", "cp");
        let out = cmd.output().unwrap();
        assert!(out.status.success(), "{}", util::describe(&out));
        fs::read_to_string(&seen).unwrap()
    };
    let direct = limited(awsdo);
    let through_worker = limited(&worker);
    eqnice!(direct, through_worker);
}

#[test]
fn a_worker_whose_awsdo_is_a_link_to_this_versioned_awsdo_is_named() {
    let env = TestEnv::new();
    // Both under versioned names, `awsdo` and `awsdo-export` links to them: the worker's
    // hand-over reaches this binary through the link.
    let dir = install(&env, "versions", &[]);
    util::copy_executable(Path::new(util::awsdo_bin()), &dir.join("awsdo-1.0"));
    util::copy_executable(
        Path::new(util::export_worker_bin()),
        &dir.join("awsdo-export"),
    );
    std::os::unix::fs::symlink("awsdo-1.0", dir.join("awsdo")).unwrap();
    let text = stdout(&run_ok(
        env.command(dir.join("awsdo")).args(["hook", "bash"]),
    ));
    let dir_s = dir.to_str().unwrap();
    assert!(text.contains(&format!("{dir_s}/awsdo-export'")), "{text}");
}

#[test]
fn a_worker_this_user_may_not_run_is_not_named() {
    use std::os::unix::fs::PermissionsExt;
    let env = TestEnv::new();
    let dir = install(&env, "mode", &["awsdo", "awsdo-export"]);
    let worker = dir.join("awsdo-export");
    let mut cmd = if std::os::unix::fs::chown(&worker, Some(0), None).is_ok() {
        // Root runs anything with an x bit: run the hook as nobody, the worker root's alone.
        if !util::require("setpriv") {
            return;
        }
        for p in [env.root(), dir.as_path()] {
            fs::set_permissions(p, fs::Permissions::from_mode(0o755)).unwrap();
        }
        fs::set_permissions(&worker, fs::Permissions::from_mode(0o744)).unwrap();
        let mut cmd = env.command("setpriv");
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(dir.join("awsdo"));
        cmd
    } else {
        // Others may run it, its owner (this user) may not.
        fs::set_permissions(&worker, fs::Permissions::from_mode(0o611)).unwrap();
        env.command(dir.join("awsdo"))
    };
    let text = stdout(&run_ok(cmd.args(["hook", "bash"])));
    assert!(!text.contains("awsdo-export'"), "{text}");
}

#[test]
fn a_homebrew_style_install_of_links_to_a_versioned_directory_works_both_ways() {
    let fake = FakeSts::start_default();
    let env = setup(&fake);
    // prefix/bin/awsdo -> ../Cellar/awsdo/1.0/bin/awsdo, and the same for the worker.
    let cellar = env.root().join("prefix/Cellar/awsdo/1.0/bin");
    fs::create_dir_all(&cellar).unwrap();
    let bin = env.root().join("prefix/bin");
    fs::create_dir_all(&bin).unwrap();
    for (name, from) in [
        ("awsdo", util::awsdo_bin()),
        ("awsdo-export", util::export_worker_bin()),
    ] {
        util::copy_executable(Path::new(from), &cellar.join(name));
        let link = format!("../Cellar/awsdo/1.0/bin/{name}");
        std::os::unix::fs::symlink(link, bin.join(name)).unwrap();
    }
    let text = stdout(&run_ok(
        env.command(bin.join("awsdo")).args(["hook", "bash"]),
    ));
    let cellar_s = cellar.to_str().unwrap();
    assert!(
        text.contains(&format!("{cellar_s}/awsdo-export'")),
        "{text}"
    );
    // Through the link as well as by the named path: a miss is handed to the awsdo there.
    let vars = [("AWS_PROFILE", "dev")];
    for worker in [bin.join("awsdo-export"), cellar.join("awsdo-export")] {
        let out = run(&env, &worker, &["export", "bash"], &vars);
        assert!(out.status.success(), "{}", util::describe(&out));
        assert!(
            stdout(&out).contains("AWS_SESSION_TOKEN"),
            "{}",
            stdout(&out)
        );
    }
    eqnice!(1, fake.count("AssumeRole"));
}
