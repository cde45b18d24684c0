//! Fuzz the shared config/credentials parser and everything that reads its result.
//!
//! Input: the config file's text, then optionally a NUL byte and the credentials file's text.
//! Any input must give a `ProfileSet` or an error, never a panic, hang or overflow; and for every
//! profile it yields, planning (role chains, loops, MFA fields) and the cache key must not panic
//! either. A parse error must be one line that names the file and a line number.
#![no_main]

use std::path::Path;

use awsdo::config::ProfileSet;
use awsdo::plan::{Overrides, plan};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (config, credentials) = text.split_once('\0').unwrap_or((&text, ""));
    let config_path = Path::new("/fuzz/config");
    let credentials_path = Path::new("/fuzz/credentials");
    match ProfileSet::parse(config, config_path, credentials, credentials_path) {
        Ok(set) => {
            for name in set.profile_names() {
                if let Ok(p) = plan(&set, name, &Overrides::default()) {
                    let _ = p.cache_key();
                }
            }
            // A name no file defines, and names that look like paths, must be plain errors.
            for name in ["", "..", "a/b", "missing"] {
                let _ = plan(&set, name, &Overrides::default());
            }
        }
        Err(e) => {
            let line = format!("{e:#}");
            assert!(!line.contains('\n'), "multi-line parse error: {line:?}");
            assert!(
                line.contains("/fuzz/config") || line.contains("/fuzz/credentials"),
                "parse error names no file: {line:?}"
            );
            assert!(line.contains(" line "), "parse error names no line: {line:?}");
        }
    }
});
