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
