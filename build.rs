//! The build id: a hash of what the binary is compiled from (the crate's
//! sources, its embedded data, its manifest and lockfile), so the result
//! cache (`src/cache/`) never reuses entries written by a binary whose rules
//! differ, even when the version number did not change (a rebuilt dev
//! binary). The same sources give the same id on every machine, which keeps
//! CI caches (`fortress check --show-cache-key`) shareable.

use std::path::{Path, PathBuf};

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let mut files = Vec::new();
    for dir in ["src", "data"] {
        println!("cargo:rerun-if-changed={dir}");
        collect(&root.join(dir), &mut files);
    }
    for file in ["Cargo.toml", "Cargo.lock", "build.rs"] {
        println!("cargo:rerun-if-changed={file}");
        files.push(root.join(file));
    }
    files.sort();
    let mut hasher = blake3::Hasher::new();
    for file in &files {
        let name = file.strip_prefix(&root).unwrap_or(file);
        let name = name.to_string_lossy().replace('\\', "/");
        // A file that cannot be read (a packaged crate without the lockfile)
        // still counts by its name.
        let bytes = std::fs::read(file).unwrap_or_default();
        hasher.update(&(name.len() as u64).to_le_bytes());
        hasher.update(name.as_bytes());
        hasher.update(&(bytes.len() as u64).to_le_bytes());
        hasher.update(&bytes);
    }
    let id = hasher.finalize().to_hex();
    println!("cargo:rustc-env=FORTRESS_BUILD_ID={}", &id[..16]);
    tables(&root);
}

/// The embedded name tables in the shape the binary searches them, so that
/// a run does not build them again each time (`src/project/deps/tables.rs`):
/// the PyPI name hashes as one sorted array of little-endian `u32`s (the
/// data file holds them delta-encoded as LEB128 varints, half the size), and
/// the most downloaded distributions as (name, rank) pairs sorted by name.
fn tables(root: &Path) {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default());
    let names = std::fs::read(root.join("data/pypi_names.bin")).unwrap_or_default();
    let mut hashes = Vec::with_capacity(names.len() * 2);
    let (mut value, mut shift, mut prev) = (0u64, 0u32, 0u64);
    for &b in &names {
        value |= u64::from(b & 0x7f) << shift;
        if b & 0x80 != 0 {
            shift += 7;
            continue;
        }
        prev += value;
        hashes.extend_from_slice(&(prev as u32).to_le_bytes());
        value = 0;
        shift = 0;
    }
    write(&out.join("pypi_names.u32"), &hashes);

    let top = std::fs::read_to_string(root.join("data/pypi_top.txt")).unwrap_or_default();
    let mut ranked: Vec<(&str, usize)> = top
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .enumerate()
        .map(|(rank, name)| (name, rank))
        .collect();
    // A name listed twice keeps its later rank, as a map filled in file
    // order did.
    ranked.sort_by(|a, b| a.0.cmp(b.0).then(b.1.cmp(&a.1)));
    ranked.dedup_by(|later, first| later.0 == first.0);
    let mut rust = String::from("&[\n");
    for (name, rank) in ranked {
        rust.push_str(&format!("    ({name:?}, {rank}),\n"));
    }
    rust.push_str("]\n");
    write(&out.join("pypi_top.rs"), rust.as_bytes());
}

fn write(path: &Path, bytes: &[u8]) {
    if std::fs::read(path).ok().as_deref() != Some(bytes) {
        if let Err(why) = std::fs::write(path, bytes) {
            panic!("build.rs: cannot write {}: {why}", path.display());
        }
    }
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect(&path, out);
        } else {
            out.push(path);
        }
    }
}
