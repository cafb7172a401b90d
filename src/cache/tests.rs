use super::*;

fn entry(n: u8) -> Entry {
    Entry {
        stat: Some(Stat {
            size: u64::from(n),
            secs: 1_700_000_000,
            nanos: 5,
        }),
        content: [n; 32],
        context: [n; 16],
        value: vec![n; usize::from(n)],
    }
}

fn pack_of(dir: &Path, name: &str) -> PathBuf {
    dir.join(key::version_dir()).join(name)
}

#[test]
fn a_saved_pack_reads_back_and_an_unchanged_run_writes_nothing() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("cache");
    let store = Store::open(&dir, "p.pack");
    assert_eq!((store.loaded, &store.problem), (0, &None));
    let seen = vec![
        ("a.py".to_owned(), Some(entry(1))),
        ("b.py".to_owned(), Some(entry(2))),
    ];
    let written = store.save(seen, true, |_| true, None).expect("save");
    assert_eq!(written.as_deref(), Some(pack_of(&dir, "p.pack").as_path()));
    assert!(is_ours(&dir));
    assert_eq!(
        std::fs::read_to_string(dir.join(".gitignore")).expect("gitignore"),
        GITIGNORE
    );

    let mut store = Store::open(&dir, "p.pack");
    assert_eq!((store.loaded, &store.problem), (2, &None));
    assert_eq!(store.take("a.py"), Some(entry(1)));
    assert_eq!(store.take("a.py"), None);
    let again = vec![("a.py".to_owned(), Some(entry(1)))];
    assert_eq!(
        store.save(again, false, |_| true, None).expect("save"),
        None
    );
}

#[test]
fn entries_of_files_not_seen_are_kept_while_the_files_exist() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("cache");
    let seen = vec![
        ("a.py".to_owned(), Some(entry(1))),
        ("b.py".to_owned(), Some(entry(2))),
    ];
    Store::open(&dir, "p.pack")
        .save(seen, true, |_| true, None)
        .expect("save");
    // A run on a.py alone, b.py deleted meanwhile: b.py's entry goes.
    let mut store = Store::open(&dir, "p.pack");
    let a = store.take("a.py");
    let written = store
        .save(
            vec![("a.py".to_owned(), a)],
            false,
            |name| name != "b.py",
            None,
        )
        .expect("save");
    assert!(written.is_some());
    let mut store = Store::open(&dir, "p.pack");
    assert_eq!(store.loaded, 1);
    assert_eq!(store.take("a.py"), Some(entry(1)));
}

#[test]
fn truncated_corrupt_or_foreign_packs_are_ignored_and_rewritten() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("cache");
    let seen = vec![("a.py".to_owned(), Some(entry(3)))];
    Store::open(&dir, "p.pack")
        .save(seen, true, |_| true, None)
        .expect("save");
    let pack = pack_of(&dir, "p.pack");
    let good = std::fs::read(&pack).expect("pack");
    let mut flipped = good.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 1;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        ("truncated", good[..good.len() - 3].to_vec()),
        ("flipped", flipped),
        ("empty", Vec::new()),
        ("other", b"{\"not\": \"a pack\"}".to_vec()),
    ];
    for (what, bytes) in cases {
        std::fs::write(&pack, &bytes).expect("write");
        let mut store = Store::open(&dir, "p.pack");
        assert!(store.problem.is_some(), "{what}: not flagged");
        assert_eq!(store.take("a.py"), None, "{what}: trusted");
        // Nothing changed in the run, but the bad pack is rewritten.
        let written = store
            .save(
                vec![("a.py".to_owned(), Some(entry(3)))],
                false,
                |_| true,
                None,
            )
            .expect("save");
        assert!(written.is_some(), "{what}: not rewritten");
        assert_eq!(std::fs::read(&pack).expect("pack"), good, "{what}");
    }
}

#[test]
fn other_builds_are_pruned_and_foreign_directories_left_alone() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("cache");
    let seen = vec![("a.py".to_owned(), Some(entry(1)))];
    Store::open(&dir, "p.pack")
        .save(seen.clone(), true, |_| true, None)
        .expect("save");
    let old = dir.join("v0.0.1-0000000000000000");
    std::fs::create_dir_all(&old).expect("old build");
    std::fs::write(old.join("x.pack"), b"old").expect("old pack");
    std::fs::create_dir_all(dir.join("keep")).expect("other dir");
    Store::open(&dir, "p.pack")
        .save(seen.clone(), true, |_| true, None)
        .expect("save");
    assert!(!old.exists());
    assert!(dir.join("keep").exists());

    // Not ours: a directory with files and no tag is never written into.
    let foreign = tmp.path().join("src");
    std::fs::create_dir_all(&foreign).expect("dir");
    std::fs::write(foreign.join("main.py"), b"x = 1\n").expect("file");
    let err = Store::open(&foreign, "p.pack")
        .save(seen, true, |_| true, None)
        .expect_err("refused");
    assert!(err.contains("not a fortress cache"), "{err}");
    assert_eq!(std::fs::read_dir(&foreign).expect("dir").count(), 1);
}

#[test]
fn clean_removes_only_a_tagged_directory() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("cache");
    assert_eq!(clean(&dir), Ok(false));
    let seen = vec![("a.py".to_owned(), Some(entry(1)))];
    Store::open(&dir, "p.pack")
        .save(seen, true, |_| true, None)
        .expect("save");
    assert_eq!(clean(&dir), Ok(true));
    assert!(!dir.exists());

    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join(TAG_NAME), b"Signature: something else\n").expect("tag");
    assert!(clean(&dir).is_err());
    assert!(dir.exists());
}

#[test]
fn a_stat_is_recorded_only_once_the_file_has_settled() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let path = tmp.path().join("m.py");
    std::fs::write(&path, b"x = 1\n").expect("write");
    let meta = std::fs::metadata(&path).expect("meta");
    let modified = meta.modified().expect("mtime");
    assert_eq!(Stat::settled(&meta, modified), None);
    assert_eq!(Stat::settled(&meta, modified + RACY / 2), None);
    assert_eq!(Stat::settled(&meta, modified + RACY), Stat::of(&meta));
    assert_eq!(Stat::of(&meta).map(|s| s.size), Some(6));
}

#[test]
fn values_read_back_only_when_whole() {
    let bytes = encode(&("text".to_owned(), 7u32)).expect("encode");
    assert_eq!(
        decode::<(String, u32)>(&bytes),
        Some(("text".to_owned(), 7))
    );
    assert_eq!(decode::<(String, u32)>(&bytes[..bytes.len() - 1]), None);
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(decode::<(String, u32)>(&longer), None);
}

#[test]
fn the_settings_fingerprint_is_the_same_in_any_place_and_follows_the_settings() {
    use crate::config::{Overrides, Settings};
    let a = tempfile::tempdir().expect("temp dir");
    let b = tempfile::tempdir().expect("temp dir");
    let settings = |root: &Path, overrides: &Overrides| {
        Settings::resolve(None, overrides, root.to_path_buf()).expect("settings")
    };
    let plain = Overrides {
        cache: true,
        ..Overrides::default()
    };
    let at_a = key::settings_fingerprint(&settings(a.path(), &plain));
    assert_eq!(at_a, key::settings_fingerprint(&settings(a.path(), &plain)));
    assert_eq!(at_a, key::settings_fingerprint(&settings(b.path(), &plain)));
    assert!(!at_a.contains(&*a.path().to_string_lossy()), "{at_a}");
    // Compiled matchers are not in it: their patterns are.
    assert!(at_a.len() < 20_000, "{} bytes", at_a.len());
    let target = Overrides {
        target_version: Some("3.12".to_owned()),
        cache: true,
        ..Overrides::default()
    };
    assert_ne!(
        at_a,
        key::settings_fingerprint(&settings(a.path(), &target))
    );
    assert_ne!(
        key::shared(&settings(a.path(), &plain)),
        key::shared(&settings(a.path(), &target))
    );
    // What only decides which files are checked is not in it.
    let excluded = Overrides {
        extend_exclude: Some(vec!["legacy".to_owned()]),
        cache: true,
        ..Overrides::default()
    };
    assert_eq!(
        at_a,
        key::settings_fingerprint(&settings(a.path(), &excluded))
    );
}

#[test]
fn the_memo_reads_back_and_a_new_one_is_written() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("cache");
    let seen = vec![("a.py".to_owned(), Some(entry(1)))];
    Store::open(&dir, "p.pack")
        .save(seen, true, |_| true, Some(vec![7, 8, 9]))
        .expect("save");
    let store = Store::open(&dir, "p.pack");
    assert_eq!(store.memo(), Some(&[7u8, 8, 9][..]));
    assert_eq!(store.get("a.py"), Some(&entry(1)));
    // Nothing changed, the same memo: nothing written.
    assert_eq!(
        store
            .save(Vec::new(), false, |_| true, Some(vec![7, 8, 9]))
            .expect("save"),
        None
    );
    // Only the memo changed: written; `None` drops it.
    let store = Store::open(&dir, "p.pack");
    assert!(store
        .save(Vec::new(), false, |_| true, Some(vec![1]))
        .expect("save")
        .is_some());
    let store = Store::open(&dir, "p.pack");
    assert_eq!(store.memo(), Some(&[1u8][..]));
    assert!(store
        .save(Vec::new(), false, |_| true, None)
        .expect("save")
        .is_some());
    let store = Store::open(&dir, "p.pack");
    assert_eq!((store.memo(), store.loaded), (None, 1));
}
