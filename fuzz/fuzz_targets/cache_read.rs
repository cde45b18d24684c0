//! Fuzz the cache reader: whatever bytes sit in a cache entry (a truncated write from another
//! tool, disk corruption, a hand edit), `Cache::read` must give an entry or a miss, never a
//! panic, and an entry it accepts must be usable: freshness (with its recorded clock skew),
//! the exported variables and the RFC 3339 expiry are computed without panicking, whatever
//! the times (years 9999 and -9999, skews of i64::MAX and MIN: see seed_corpus.py).
#![no_main]

use std::sync::OnceLock;
use std::time::Duration;

use awsdo::cache::{Cache, Kind, file_name};
use awsdo::resolve::{DiscoveryEntry, MfaSessionOwners, ProfileEntry};
use libfuzzer_sys::fuzz_target;

struct Fixture {
    cache: Cache,
    entry: std::path::PathBuf,
}

/// A private (0700) cache directory that lives for the whole fuzzing run.
fn fixture() -> &'static Fixture {
    use std::os::unix::fs::DirBuilderExt;
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("awsdo-fuzz-cache-{}", std::process::id()));
        std::fs::DirBuilder::new().mode(0o700).create(&dir).unwrap();
        let env = awsdo::env::Env::from_pairs([("AWSDO_CACHE_DIR", dir.as_os_str())]);
        let cache = Cache::from_env(&env).unwrap();
        let entry = dir.join(file_name(Kind::Profile, "fuzz", "json"));
        Fixture { cache, entry }
    })
}

fuzz_target!(|data: &[u8]| {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let f = fixture();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&f.entry)
        .unwrap();
    file.write_all(data).unwrap();
    drop(file);
    let now = time::OffsetDateTime::now_utc();
    let got: Option<ProfileEntry> = f.cache.read(Kind::Profile, "fuzz").unwrap();
    if let Some(e) = got {
        let c = &e.credentials;
        let _ = e.fresh(Duration::from_secs(900));
        let _ = e.fresh(Duration::MAX);
        let _ = c.fresh_for(now, Duration::from_secs(900));
        let _ = c.remaining(now);
        let _ = c.expiration_rfc3339();
        let _ = c.env_vars(e.region.as_deref());
        let _ = format!("{e:?}");
    }
    // The same bytes read as the other entry kinds.
    let discovery = f.entry.with_file_name(file_name(Kind::Discovery, "fuzz", "json"));
    std::fs::rename(&f.entry, discovery).unwrap();
    let _: Option<DiscoveryEntry> = f.cache.read(Kind::Discovery, "fuzz").unwrap();
    let _: Option<MfaSessionOwners> = f.cache.read(Kind::Discovery, "fuzz").unwrap();
    let _: Option<serde_json::Value> = f.cache.read(Kind::Discovery, "fuzz").unwrap();
});
