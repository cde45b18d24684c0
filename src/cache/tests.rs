//! The cache directory's promises: names, modes, misses, locks, refusals.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::*;

#[derive(Debug, PartialEq, serde::Serialize, serde::Deserialize)]
struct Entry {
    n: u32,
}

#[test]
fn file_names_have_one_length_and_stay_in_the_directory() {
    let long = "p".repeat(250);
    let dots = ".".repeat(121);
    let names = ["prod", "a/b", "..", "x y", "ü", "%41", "a.b", &long, &dots];
    let files: Vec<String> = names
        .iter()
        .map(|n| file_name(Kind::Profile, n, "json"))
        .collect();
    for f in &files {
        assert_eq!(f.len(), files[0].len(), "{f}");
        assert!(!f.contains('/'), "{f}");
    }
    let unique: std::collections::BTreeSet<_> = files.iter().collect();
    assert_eq!(unique.len(), files.len());
}

#[test]
fn write_then_read_with_private_modes() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::at(tmp.path().join("c"));
    cache.write(Kind::Profile, "dev", &Entry { n: 1 }).unwrap();
    let got: Option<Entry> = cache.read(Kind::Profile, "dev").unwrap();
    assert_eq!(got, Some(Entry { n: 1 }));
    let dir_mode = fs::metadata(cache.dir()).unwrap().mode() & 0o777;
    assert_eq!(dir_mode, 0o700);
    let file = cache.dir().join(file_name(Kind::Profile, "dev", "json"));
    assert_eq!(fs::metadata(file).unwrap().mode() & 0o777, 0o600);
    let stored = cache.stored(Kind::Profile).unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(cache.remove_stored(&stored[0], Deadline::NONE).unwrap(), 1);
    assert_eq!(cache.read::<Entry>(Kind::Profile, "dev").unwrap(), None);
    assert!(cache.all_files().iter().all(|f| f.ends_with(".lock")));
}

#[test]
fn garbage_and_oversized_entries_are_misses() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::at(tmp.path().join("c"));
    cache.write(Kind::Profile, "dev", &Entry { n: 1 }).unwrap();
    let file = cache.dir().join(file_name(Kind::Profile, "dev", "json"));
    let big = format!("{{\"n\":1{}}}", " ".repeat(MAX_ENTRY_BYTES as usize));
    for junk in [&b""[..], b"{\"n\":", b"\xff\xfe", b"[1,2]", big.as_bytes()] {
        fs::write(&file, junk).unwrap();
        let got: Option<Entry> = cache.read(Kind::Profile, "dev").unwrap();
        assert_eq!(got, None);
    }
}

#[test]
fn a_fifo_entry_is_refused_without_blocking() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::at(tmp.path().join("c"));
    cache.write(Kind::Profile, "dev", &Entry { n: 1 }).unwrap();
    let file = cache.dir().join(file_name(Kind::Profile, "dev", "json"));
    fs::remove_file(&file).unwrap();
    rustix::fs::mkfifoat(rustix::fs::CWD, &file, Mode::from_raw_mode(0o600)).unwrap();
    let err = cache.read::<Entry>(Kind::Profile, "dev").unwrap_err();
    assert!(format!("{err:#}").contains("not a regular file"), "{err:#}");
    assert!(cache.remove(Kind::Profile, "dev").unwrap());
}

#[test]
fn a_held_lock_is_waited_for_until_the_deadline() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::at(tmp.path().join("c"));
    let held = cache
        .lock(Kind::Profile, "dev", Deadline::NONE, "profile \"dev\"")
        .unwrap();
    // flock locks belong to the open file: a second open in this process conflicts too.
    let deadline = Deadline::after(Some(Duration::from_millis(50)));
    let err = cache
        .lock(Kind::Profile, "dev", deadline, "profile \"dev\"")
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "could not get credentials for profile \"dev\": another awsdo is getting them; try again"
    );
    drop(held);
    cache
        .lock(Kind::Profile, "dev", deadline, "profile \"dev\"")
        .unwrap();
}

#[test]
fn refuses_a_world_writable_directory() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("c");
    fs::create_dir(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    let err = Cache::at(&dir)
        .write(Kind::Profile, "dev", &Entry { n: 1 })
        .unwrap_err();
    assert!(format!("{err:#}").contains("chmod 700"), "{err:#}");
}

#[test]
fn refuses_a_symlinked_directory_for_every_operation() {
    let tmp = tempfile::tempdir().unwrap();
    let real = tmp.path().join("real");
    fs::create_dir(&real).unwrap();
    fs::set_permissions(&real, fs::Permissions::from_mode(0o700)).unwrap();
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let cache = Cache::at(&link);
    let errs = [
        cache
            .write(Kind::Profile, "dev", &Entry { n: 1 })
            .unwrap_err(),
        cache.remove(Kind::Profile, "dev").unwrap_err(),
        cache.stored(Kind::Profile).unwrap_err(),
        cache.refresh_mark(1).unwrap_err(),
    ];
    for err in errs {
        assert!(format!("{err:#}").contains("symlink"), "{err:#}");
    }
    assert!(cache.remember("m", "v"));
    assert_eq!(fs::read_dir(&real).unwrap().count(), 0);
}

#[test]
fn refresh_marks_do_not_follow_a_planted_symlink() {
    let tmp = tempfile::tempdir().unwrap();
    let cache = Cache::at(tmp.path().join("c"));
    cache.write(Kind::Profile, "dev", &Entry { n: 1 }).unwrap();
    let target = tmp.path().join("elsewhere");
    fs::create_dir(&target).unwrap();
    std::os::unix::fs::symlink(&target, cache.dir().join("refresh")).unwrap();
    assert!(cache.refresh_mark(2_000_000_000).is_err());
    assert_eq!(fs::read_dir(&target).unwrap().count(), 0);
    fs::remove_file(cache.dir().join("refresh")).unwrap();
    let path = cache.refresh_mark(2_000_000_000).unwrap();
    let mtime = fs::metadata(&path).unwrap().mtime();
    assert_eq!(mtime, 2_000_000_000);
    assert!(cache.refresh_mark_is(&path, 2_000_000_000));
    assert!(!cache.refresh_mark_is(&path, 2_000_000_001));
    let elsewhere = target.join("2000000000");
    fs::copy(&path, &elsewhere).unwrap();
    assert!(!cache.refresh_mark_is(&elsewhere, 2_000_000_000));
    fs::remove_file(&path).unwrap();
    std::os::unix::fs::symlink(&elsewhere, &path).unwrap();
    assert!(!cache.refresh_mark_is(&path, 2_000_000_000));
}
