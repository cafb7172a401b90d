//! What a cached result depends on, as keys.
//!
//! - The **build**: the version and a hash of the sources the binary was
//!   compiled from (`build.rs`), so a rebuilt binary with changed rules never
//!   reuses an entry, and two machines building the same sources share one.
//! - The **settings** that shape per-file results: enabled rules, severities,
//!   per-file ignores, the file size cap and every family's options
//!   (layers, tests, security, dependencies, the target Python version),
//!   fingerprinted from their `Debug` form so an option added later is in
//!   the key without anyone remembering to add it. Paths under the project
//!   root are written relative to it, so the fingerprint is the same on
//!   every machine. What only decides which files are checked (exclusions)
//!   or the verdict (`fail-on`, baselines) is left out.
//! - Per file (in the entry, [`super::Entry`]): its content hash, its path
//!   in the project, whether it is test code, and the library versions its
//!   dependency scope sees (Pydantic's major version changes TYP003).

use crate::config::Settings;

/// The version and build of this binary, e.g. `0.1.0-3f2a...`.
pub fn build() -> String {
    format!(
        "{}-{}",
        env!("CARGO_PKG_VERSION"),
        option_env!("FORTRESS_BUILD_ID").unwrap_or("unknown")
    )
}

/// The directory of this build's entries inside the cache directory.
pub fn version_dir() -> String {
    format!("v{}", build())
}

/// The settings that shape per-file results, as text with the project root
/// written `<root>`.
pub fn settings_fingerprint(settings: &Settings) -> String {
    let mut options = settings.options.clone();
    // How the report names the target's origin; the target itself stays.
    options.project.target_source = Default::default();
    let text = format!(
        "enabled={:?}\nseverity={:?}\nper-file-ignores={:?}\nmax-file-size={}\nexternal-suppressions={}\noptions={:?}",
        settings.enabled,
        settings.severity,
        settings.per_file_ignores,
        settings.max_file_size,
        settings.external_suppressions,
        options,
    );
    let root = format!("{:?}", settings.project().root);
    let root = root.trim_matches('"');
    if root.is_empty() {
        text
    } else {
        text.replace(root, "<root>")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A key for CI caches (`actions/cache`): the same for the same build,
/// settings and target Python on any machine, e.g.
/// `fortress-0.1.0-py310-0123456789abcdef`.
pub fn shared(settings: &Settings) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(build().as_bytes());
    hasher.update(b"\0");
    hasher.update(settings_fingerprint(settings).as_bytes());
    let target = settings.project().target;
    format!(
        "fortress-{}-py{}{}-{}",
        env!("CARGO_PKG_VERSION"),
        target.major,
        target.minor,
        &hex(hasher.finalize().as_bytes())[..16]
    )
}

/// The name of the pack file holding one project's entries for these
/// settings and collected facts (`facts`: the fact set's bits, as the
/// engine collects more for `fortress layers`).
pub fn pack_name(settings: &Settings, facts: u8) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(shared(settings).as_bytes());
    hasher.update(b"\0");
    // Entries are named by their path in the project: two projects
    // sharing a cache directory (`FORTRESS_CACHE_DIR`) get a pack each.
    hasher.update(settings.project().root.to_string_lossy().as_bytes());
    hasher.update(&[0, facts]);
    format!("{}.pack", &hex(hasher.finalize().as_bytes())[..20])
}

/// The context of one file's entry: what besides its bytes and the
/// settings shapes its results.
pub fn file_context(rel: &str, is_test: bool, libraries: &str) -> [u8; 16] {
    let mut hasher = blake3::Hasher::new();
    for part in [rel.as_bytes(), &[u8::from(is_test)], libraries.as_bytes()] {
        hasher.update(&(part.len() as u64).to_le_bytes());
        hasher.update(part);
    }
    let mut out = [0; 16];
    out.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    out
}

/// The content hash of a file's bytes.
pub fn content(bytes: &[u8]) -> [u8; 32] {
    *blake3::hash(bytes).as_bytes()
}
