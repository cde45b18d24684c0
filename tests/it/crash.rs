//! Crash safety and concurrency of the cache (DESIGN §4), with real processes.
//!
//! - A writer killed with SIGKILL at random points during 200 refreshes never leaves an entry
//!   that a reader misparses: a concurrent reader always sees a complete old or new entry.
//! - 32 processes asking for one profile with a cold cache make one STS call and one MFA
//!   prompt, and all get the same credentials.
//! - Two profiles never wait for each other's lock.

use crate::util;

use std::collections::HashSet;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use crate::util::sts::{self, Creds, FakeSts, StsCall};
use crate::util::{TestEnv, eqnice, run_ok, stdout};
use awsdo::resolve::ProfileEntry;

const KEYS: &str = "[base]\naws_access_key_id = AKIAFAKEBASE00000001\naws_secret_access_key = fake-secret-base\n\
    [dev]\naws_access_key_id = AKIAFAKEDEV000000001\naws_secret_access_key = fake-secret-dev\n";

/// A tiny xorshift generator: random kill points without a dependency.
struct Rng(u64);

impl Rng {
    fn seeded() -> Rng {
        let t = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64;
        let seed = std::env::var("AWSDO_CRASH_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(t | 1);
        eprintln!("crash seed: AWSDO_CRASH_SEED={seed}");
        Rng(seed)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0 % n.max(1)
    }
}

/// The entry file's state: absent, or a complete entry whose key STS really issued.
fn check_entry(
    path: &std::path::Path,
    issued: &Mutex<HashSet<String>>,
) -> Result<Option<String>, String> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read entry: {e}")),
    };
    let entry: ProfileEntry = serde_json::from_slice(&bytes).map_err(|e| {
        format!(
            "entry does not parse ({e}): {:?}",
            String::from_utf8_lossy(&bytes)
        )
    })?;
    let c = &entry.credentials;
    if c.session_token.is_none() || c.expiration.is_none() || c.secret_access_key.is_empty() {
        return Err(format!(
            "incomplete entry: {:?}",
            String::from_utf8_lossy(&bytes)
        ));
    }
    if !issued.lock().unwrap().contains(&c.access_key_id) {
        return Err(format!(
            "entry holds a key STS never issued: {}",
            c.access_key_id
        ));
    }
    Ok(Some(c.access_key_id.clone()))
}

#[test]
fn a_writer_killed_at_random_points_never_leaves_a_half_entry() {
    let issued = Arc::new(Mutex::new(HashSet::new()));
    let log = issued.clone();
    let fake = FakeSts::start(move |call: &StsCall| {
        let c = Creds::fake_hour("role");
        log.lock().unwrap().insert(c.access_key_id.clone());
        sts::assume_role_response(&c, call.param("RoleArn").unwrap_or("x"), "s")
    });
    let mut env = TestEnv::with_endpoint(&fake.url());
    env.set_var("AWS_REGION", "us-east-1");
    // Credentials live an hour; wanting two hours left makes every run a refresh.
    env.set_var("AWSDO_MIN_TTL", "2h");
    env.write_config(
        "[profile plain]\nrole_arn = arn:aws:iam::123456789012:role/plain\nsource_profile = base\n",
    );
    env.write_credentials(KEYS);
    let entry = env.cache_dir().join(awsdo::cache::file_name(
        awsdo::cache::Kind::Profile,
        "plain",
        "json",
    ));

    // About how long one full refresh takes here, to spread the kill points over it.
    let started = Instant::now();
    run_ok(env.cmd().args(["-p", "plain", "--format", "env"]));
    let mut full = started.elapsed().as_micros() as u64;

    // A reader polling the entry the whole time, as a shell's hook in another terminal does.
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicUsize::new(0));
    let reader = {
        let (stop, reads, issued, entry) =
            (stop.clone(), reads.clone(), issued.clone(), entry.clone());
        std::thread::spawn(move || -> Result<(), String> {
            while !stop.load(Ordering::Relaxed) {
                check_entry(&entry, &issued).map_err(|e| format!("reader: {e}"))?;
                reads.fetch_add(1, Ordering::Relaxed);
            }
            Ok(())
        })
    };

    let mut rng = Rng::seeded();
    let (mut killed, mut changed) = (0, 0);
    let mut last = check_entry(&entry, &issued).unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    for i in 0..200 {
        let mut child: Child = env
            .cmd()
            .args(["-p", "plain", "--format", "env"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_micros(rng.below(full * 3 / 2)));
        let _ = child.kill(); // SIGKILL
        let status = child.wait().unwrap();
        // Keep the kill points spread over a whole run whatever the machine's load: lengthen
        // the window after a kill, shorten it after a run that finished first.
        if status.code().is_none() {
            killed += 1;
            full = full * 11 / 10;
        } else {
            full = full * 9 / 10;
        }
        let now = check_entry(&entry, &issued).unwrap_or_else(|e| panic!("after kill {i}: {e}"));
        if now != last {
            changed += 1;
            last = now;
        }
        assert!(Instant::now() < deadline, "200 refreshes took too long");
    }
    stop.store(true, Ordering::Relaxed);
    reader.join().unwrap().unwrap();
    eprintln!(
        "{killed} of 200 runs killed, entry replaced {changed} times, {} reads",
        reads.load(Ordering::Relaxed)
    );
    assert!(
        killed > 20,
        "too few runs were killed mid-way ({killed}): kill points are off"
    );
    assert!(
        changed > 20,
        "too few refreshes completed ({changed}): kill points are off"
    );

    // Whatever the kills left behind, the next run works, and it clears the temp files of
    // dead writers (they hold secrets).
    run_ok(env.cmd().args(["-p", "plain", "--format", "env"]));
    let temps: Vec<String> = std::fs::read_dir(env.cache_dir())
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(temps.is_empty(), "stale temp files left: {temps:?}");
}

fn spawn_env(env: &TestEnv, args: &[&str]) -> Child {
    env.cmd()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

#[test]
fn thirty_two_processes_with_a_cold_cache_make_one_call_and_one_mfa_prompt() {
    // A slow STS, so that all 32 are waiting while the first one fetches.
    let fake =
        FakeSts::start(|call| sts::default_answer(call).with_delay(Duration::from_millis(500)));
    let mut env = TestEnv::with_endpoint(&fake.url());
    env.set_var("AWS_REGION", "us-east-1");
    let prompts = env.root().join("mfa.log");
    env.write_config(&format!(
        "[profile dev]\nmfa_serial = arn:aws:iam::123456789012:mfa/fake\n\
         mfa_process = echo asked >> {}; echo 123456\n",
        prompts.display()
    ));
    env.write_credentials(KEYS);
    let children: Vec<Child> = (0..32)
        .map(|_| spawn_env(&env, &["-p", "dev", "--format", "env"]))
        .collect();
    let outputs: Vec<String> = children
        .into_iter()
        .map(|c| {
            let out = c.wait_with_output().unwrap();
            assert!(out.status.success(), "{}", util::describe(&out));
            stdout(&out)
        })
        .collect();
    eqnice!(
        1,
        fake.count("GetSessionToken"),
        "one STS call for 32 processes"
    );
    let asked = std::fs::read_to_string(&prompts).unwrap_or_default();
    eqnice!(1, asked.lines().count(), "one MFA prompt for 32 processes");
    assert!(
        outputs[0].contains("AWS_SECRET_ACCESS_KEY=fake-secret-session-"),
        "{}",
        outputs[0]
    );
    for (i, o) in outputs.iter().enumerate() {
        eqnice!(outputs[0], o, "process {i} got other credentials");
    }
}

#[test]
fn one_profile_fetching_never_blocks_another() {
    let fake = FakeSts::start(|call| {
        let r = sts::default_answer(call);
        if call.param("RoleArn").is_some_and(|a| a.ends_with("/slow")) {
            r.with_delay(Duration::from_secs(3))
        } else {
            r
        }
    });
    let mut env = TestEnv::with_endpoint(&fake.url());
    env.set_var("AWS_REGION", "us-east-1");
    env.write_config(
        "[profile slow]\nrole_arn = arn:aws:iam::123456789012:role/slow\nsource_profile = base\n\
         [profile fast]\nrole_arn = arn:aws:iam::123456789012:role/fast\nsource_profile = base\n",
    );
    env.write_credentials(KEYS);
    let mut slow = spawn_env(&env, &["-p", "slow", "--format", "env"]);
    // The slow profile holds its lock while STS sits on its request (3 s: within the 5 s
    // attempt timeout).
    assert!(fake.server().wait_for_requests(1, Duration::from_secs(10)));
    let started = Instant::now();
    run_ok(env.cmd().args(["-p", "fast", "--format", "env"]));
    let took = started.elapsed();
    assert!(
        slow.try_wait().unwrap().is_none(),
        "the slow profile should still be fetching"
    );
    assert!(
        took < Duration::from_secs(2),
        "fast profile waited {took:?} for the slow one"
    );
    assert!(slow.wait().unwrap().success());
}
