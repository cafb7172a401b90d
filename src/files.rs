//! The one way fortress opens a file.
//!
//! fortress runs on pull requests from strangers, so every file it opens is
//! treated as hostile: it must be a regular file (a named pipe or a device
//! could block forever or never end), no larger than a cap (checked before
//! and after opening, as a file may grow in between), opened without
//! blocking, and, for anything the checked tree itself points to (sources,
//! manifests, includes, lockfiles, a project-local virtualenv), inside the
//! *boundary*: the repository root, or without a repository the common root
//! of the checked paths. Files the user names on the command line
//! (`--config`, report inputs) may live anywhere but get the same type and
//! size checks.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

/// A file to check, as discovered.
#[derive(Debug, Clone)]
pub struct FileInfo {
    pub path: PathBuf,
    /// Path shown to the user: relative to the current directory when below it, `/`-separated.
    pub display: String,
    /// Path relative to the project root, `/`-separated (used for globs and module names).
    pub rel: String,
    pub is_test: bool,
}

impl FileInfo {
    pub fn file_name(&self) -> &str {
        self.rel.rsplit('/').next().unwrap_or(&self.rel)
    }
}

/// Default cap for a Python source file (`max-file-size`).
pub const SOURCE_CAP: u64 = 10 * 1024 * 1024;
/// Cap for manifests, requirements files, their includes and lockfiles.
pub const MANIFEST_CAP: u64 = 16 * 1024 * 1024;
/// Cap for a configuration file (`fortress.toml`, `pyproject.toml`).
pub const CONFIG_CAP: u64 = 4 * 1024 * 1024;
/// Cap for a file of installed-package metadata (`METADATA`, `RECORD`).
pub const METADATA_CAP: u64 = 8 * 1024 * 1024;
/// Above this nothing is read whatever the configuration says: tree-sitter
/// offsets are 32-bit and a tree costs many times the file's size.
pub const HARD_SOURCE_CAP: u64 = 64 * 1024 * 1024;

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Nothing at that path.
    Missing,
    /// A symbolic link whose target does not exist, or a loop of links.
    BrokenLink(String),
    /// A directory, named pipe, socket or device.
    NotRegular(String),
    /// The path resolves (through `..` or a symbolic link) outside the boundary.
    Outside,
    TooLarge {
        len: u64,
        cap: u64,
    },
    PermissionDenied,
    Io(String),
}

impl ReadError {
    /// A regular file that exists but could not be checked: a gate must not
    /// pass over it (too large, unreadable). The others are not files to check.
    pub fn is_unchecked_regular_file(&self) -> bool {
        matches!(
            self,
            ReadError::TooLarge { .. } | ReadError::PermissionDenied | ReadError::Io(_)
        )
    }
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Missing => f.write_str("no such file"),
            ReadError::BrokenLink(why) | ReadError::NotRegular(why) | ReadError::Io(why) => {
                f.write_str(why)
            }
            ReadError::Outside => f.write_str(
                "symbolic link or path leaves the project (it resolves outside the checked tree); not read",
            ),
            ReadError::TooLarge { len, cap } => write!(
                f,
                "file is {}, more than the {} fortress reads",
                human_size(*len),
                human_size(*cap)
            ),
            ReadError::PermissionDenied => f.write_str("permission denied"),
        }
    }
}

/// `12 MiB`, `300 KiB`, `17 bytes`.
pub fn human_size(len: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if len >= MIB {
        if len % MIB == 0 {
            format!("{} MiB", len / MIB)
        } else {
            format!("{:.1} MiB", len as f64 / MIB as f64)
        }
    } else if len >= 1024 {
        format!("{} KiB", len / 1024)
    } else {
        format!("{len} bytes")
    }
}

/// The directory every file the checked tree points to must resolve into.
/// Stored canonical (symbolic links resolved) so that a prefix test is exact.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Boundary {
    root: PathBuf,
}

impl Boundary {
    /// The boundary of a run over `paths` (absolute): the root of the git
    /// repository holding the first path when every path lies inside it,
    /// else the deepest directory holding every path (and `config_root`,
    /// the directory of the configuration, when it lies above them all).
    pub fn of_run(paths: &[PathBuf], config_root: &Path) -> Boundary {
        // Anchors are taken lexically (a named path that is itself a link
        // out of the project must not move the boundary), then resolved.
        let canon: Vec<PathBuf> = paths
            .iter()
            .map(|p| {
                let is_real_dir = p.symlink_metadata().is_ok_and(|m| m.is_dir());
                let anchor = if is_real_dir {
                    p.clone()
                } else {
                    p.parent()
                        .map(Path::to_path_buf)
                        .unwrap_or_else(|| p.clone())
                };
                std::fs::canonicalize(&anchor).unwrap_or(anchor)
            })
            .collect();
        let Some(first) = canon.first() else {
            return Boundary::at(config_root);
        };
        if let Some(repo) = repository_root(first) {
            if canon.iter().all(|p| p.starts_with(&repo)) {
                return Boundary { root: repo };
            }
        }
        let mut common = first.clone();
        for p in &canon[1..] {
            while !p.starts_with(&common) {
                if !common.pop() {
                    break;
                }
            }
        }
        let config_root = std::fs::canonicalize(config_root).unwrap_or(config_root.into());
        if common.starts_with(&config_root) {
            common = config_root;
        }
        Boundary { root: common }
    }

    /// A boundary at `dir` (canonicalised when it exists).
    pub fn at(dir: &Path) -> Boundary {
        Boundary {
            root: std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Does `path` (absolute or relative to the current directory) resolve,
    /// symbolic links followed, to a place inside the boundary? A path that
    /// cannot be resolved all the way (missing, dangling) is judged by where
    /// its links lead as far as they exist: a dangling link into `/root`
    /// is outside like a working one, so the answer never tells whether a
    /// file exists out there.
    pub fn contains(&self, path: &Path) -> bool {
        match std::fs::canonicalize(path) {
            Ok(real) => real.starts_with(&self.root),
            Err(_) => {
                let abs = std::env::current_dir()
                    .map(|cwd| crate::paths::absolutize(path, &cwd))
                    .unwrap_or_else(|_| path.to_path_buf());
                resolve_existing(&abs).starts_with(&self.root)
            }
        }
    }
}

/// `abs` with every symbolic link on it followed while there is something
/// to follow (`..` applied after the link it follows, as the system does),
/// the missing rest kept as written. Like `canonicalize`, but for paths
/// that do not (all) exist.
fn resolve_existing(abs: &Path) -> PathBuf {
    use std::path::Component;
    // Components still to walk, last first.
    let mut pending: Vec<std::ffi::OsString> = Vec::new();
    let push = |pending: &mut Vec<std::ffi::OsString>, p: &Path| {
        for c in p.components().rev() {
            pending.push(c.as_os_str().to_owned());
        }
    };
    push(&mut pending, abs);
    let mut cur = PathBuf::new();
    let mut links = 0;
    while let Some(part) = pending.pop() {
        let part = PathBuf::from(part);
        match part.components().next() {
            Some(Component::Prefix(_) | Component::RootDir) => {
                // Absolute: the prefix or root replaces what was resolved.
                if matches!(part.components().next(), Some(Component::RootDir))
                    && cur
                        .components()
                        .next()
                        .is_some_and(|c| matches!(c, Component::Prefix(_)))
                {
                    cur.push(part);
                } else {
                    cur = part;
                }
            }
            Some(Component::CurDir) | None => {}
            Some(Component::ParentDir) => {
                cur.pop();
            }
            Some(Component::Normal(name)) => {
                let next = cur.join(name);
                match std::fs::read_link(&next) {
                    // 40 links, as Linux allows: past that it is a loop,
                    // which the read reports.
                    Ok(target) if links < 40 => {
                        links += 1;
                        push(&mut pending, &target);
                    }
                    _ => cur = next,
                }
            }
        }
    }
    cur
}

/// The nearest directory at or above `dir` that holds `.git` (a directory,
/// or a file in worktrees and submodules).
pub fn repository_root(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .find(|d| d.join(".git").symlink_metadata().is_ok())
        .map(Path::to_path_buf)
}

/// Read a file the checked tree points to: confined to `boundary`, at most
/// `cap` bytes, regular files only.
pub fn read_confined(path: &Path, cap: u64, boundary: &Boundary) -> Result<Vec<u8>, ReadError> {
    // The boundary first: outside, "no such file" and "not read" must not
    // differ, or an include would tell whether a path exists out there.
    if !boundary.contains(path) {
        return Err(ReadError::Outside);
    }
    let link = path.symlink_metadata().map_err(|e| io_error(&e, path))?;
    if link.file_type().is_symlink() {
        // Resolve here so a dangling link or loop says so.
        std::fs::metadata(path).map_err(|e| broken_link(&e))?;
    }
    read_bounded(path, cap)
}

/// Read a file the user named (anywhere): at most `cap` bytes, regular files only.
pub fn read_bounded(path: &Path, cap: u64) -> Result<Vec<u8>, ReadError> {
    let meta = std::fs::metadata(path).map_err(|e| {
        if path.symlink_metadata().is_ok() {
            broken_link(&e)
        } else {
            io_error(&e, path)
        }
    })?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular(not_regular_reason(&meta.file_type())));
    }
    if meta.len() > cap {
        return Err(ReadError::TooLarge {
            len: meta.len(),
            cap,
        });
    }
    let file = open_nonblocking(path).map_err(|e| io_error(&e, path))?;
    // The path may have been swapped for something else since the check:
    // judge what was actually opened.
    let opened = file.metadata().map_err(|e| io_error(&e, path))?;
    if !opened.is_file() {
        return Err(ReadError::NotRegular(not_regular_reason(
            &opened.file_type(),
        )));
    }
    let mut bytes = Vec::with_capacity(opened.len().min(cap) as usize + 1);
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| io_error(&e, path))?;
    if bytes.len() as u64 > cap {
        return Err(ReadError::TooLarge {
            len: bytes.len() as u64,
            cap,
        });
    }
    Ok(bytes)
}

/// Text of a file read with [`read_confined`]/[`read_bounded`]: UTF-8, with
/// invalid sequences replaced (manifests and configuration are UTF-8 by spec).
pub fn lossy_text(bytes: Vec<u8>) -> String {
    match String::from_utf8(bytes) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

/// Write `bytes` to `path` atomically: a new temporary file in the same
/// directory, flushed to disk, then renamed over `path`, so a reader never
/// sees half a file and a failed write leaves `path` as it was (the
/// temporary file is removed). An existing file's permissions are kept; a
/// symbolic link at `path` is replaced, not written through.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static SERIAL: AtomicUsize = AtomicUsize::new(0);
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .ok_or_else(|| std::io::Error::other("not a file name"))?;
    let (temp, mut file) = loop {
        let serial = SERIAL.fetch_add(1, Ordering::Relaxed);
        let temp = dir.join(format!(".{name}.{}.{serial}.tmp", std::process::id()));
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)
        {
            Ok(file) => break (temp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    };
    let result = (|| {
        file.write_all(bytes)?;
        if let Ok(meta) = std::fs::metadata(path) {
            if meta.is_file() {
                file.set_permissions(meta.permissions())?;
            }
        }
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(unix)]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    use std::os::unix::fs::OpenOptionsExt;
    // O_NONBLOCK: opening a FIFO swapped in after the type check must not
    // wait for a writer; O_NOCTTY: a terminal device never becomes ours.
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
        .open(path)
}

#[cfg(not(unix))]
fn open_nonblocking(path: &Path) -> std::io::Result<std::fs::File> {
    std::fs::File::open(path)
}

pub fn broken_link(e: &std::io::Error) -> ReadError {
    if e.kind() == std::io::ErrorKind::NotFound {
        ReadError::BrokenLink("dangling symbolic link".to_owned())
    } else {
        // A link to itself or a cycle of links: ELOOP.
        ReadError::BrokenLink(format!("symbolic link cannot be followed: {e}"))
    }
}

fn io_error(e: &std::io::Error, path: &Path) -> ReadError {
    match e.kind() {
        std::io::ErrorKind::NotFound => ReadError::Missing,
        std::io::ErrorKind::PermissionDenied => ReadError::PermissionDenied,
        _ if path.is_dir() => ReadError::NotRegular("is a directory".to_owned()),
        _ => ReadError::Io(e.to_string()),
    }
}

/// Why a path that exists is not read as a file.
pub fn not_regular_reason(file_type: &std::fs::FileType) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        let what = if file_type.is_fifo() {
            Some("a named pipe")
        } else if file_type.is_socket() {
            Some("a socket")
        } else if file_type.is_block_device() || file_type.is_char_device() {
            Some("a device")
        } else {
            None
        };
        if let Some(what) = what {
            return format!("not a regular file ({what})");
        }
    }
    if file_type.is_dir() {
        return "is a directory".to_owned();
    }
    "not a regular file".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(unix)]
    #[test]
    fn atomic_writes_replace_and_keep_permissions() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("r.json");
        write_atomic(&path, b"one").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).expect("chmod");
        write_atomic(&path, b"two").expect("write");
        assert_eq!(std::fs::read(&path).expect("read"), b"two");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o640);
        // Over a directory: an error, the directory intact, no temporary file left.
        let sub = dir.path().join("d");
        std::fs::create_dir(&sub).expect("mkdir");
        assert!(write_atomic(&sub, b"x").is_err());
        assert!(sub.is_dir());
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .expect("ls")
            .flatten()
            .map(|e| e.file_name())
            .collect();
        assert_eq!(names.len(), 2, "{names:?}");
    }

    #[test]
    fn caps_and_types() {
        let dir = tempfile::tempdir().expect("temp dir");
        let b = Boundary::at(dir.path());
        let small = dir.path().join("a.txt");
        std::fs::write(&small, "hello").expect("write");
        assert_eq!(read_confined(&small, 10, &b).expect("read"), b"hello");
        assert_eq!(
            read_confined(&small, 3, &b),
            Err(ReadError::TooLarge { len: 5, cap: 3 })
        );
        assert_eq!(
            read_confined(&dir.path().join("missing"), 3, &b),
            Err(ReadError::Missing)
        );
        assert!(matches!(
            read_confined(dir.path(), 3, &b),
            Err(ReadError::NotRegular(_))
        ));
    }

    #[cfg(unix)]
    #[test]
    fn links_out_of_the_boundary_are_not_followed() {
        let outside = tempfile::tempdir().expect("temp dir");
        let secret = outside.path().join("secret.txt");
        std::fs::write(&secret, "TOPSECRET").expect("write");
        let dir = tempfile::tempdir().expect("temp dir");
        let b = Boundary::at(dir.path());
        let link = dir.path().join("leak.txt");
        std::os::unix::fs::symlink(&secret, &link).expect("symlink");
        assert_eq!(read_confined(&link, 100, &b), Err(ReadError::Outside));
        // `..` out of the boundary, no link involved.
        let sub = dir.path().join("sub");
        std::fs::create_dir(&sub).expect("mkdir");
        let dotdot = sub.join("../..").join(
            outside
                .path()
                .strip_prefix(outside.path().parent().expect("parent"))
                .expect("prefix"),
        );
        assert_eq!(
            read_confined(&dotdot.join("secret.txt"), 100, &b),
            Err(ReadError::Outside)
        );
        // A link inside is fine.
        let inner = dir.path().join("inner.txt");
        std::fs::write(&inner, "ok").expect("write");
        let link2 = dir.path().join("ok-link.txt");
        std::os::unix::fs::symlink(&inner, &link2).expect("symlink");
        assert_eq!(read_confined(&link2, 100, &b).expect("read"), b"ok");
        // Devices are never read, wherever they are.
        if Path::new("/dev/zero").exists() {
            assert!(matches!(
                read_bounded(Path::new("/dev/zero"), 100),
                Err(ReadError::NotRegular(_))
            ));
            let z = dir.path().join("zero");
            std::os::unix::fs::symlink("/dev/zero", &z).expect("symlink");
            assert_eq!(read_confined(&z, 100, &b), Err(ReadError::Outside));
        }
    }

    #[cfg(unix)]
    #[test]
    fn missing_paths_are_judged_by_where_their_links_lead() {
        let outside = tempfile::tempdir().expect("temp dir");
        std::fs::write(outside.path().join("exists.txt"), "x").expect("write");
        let dir = tempfile::tempdir().expect("temp dir");
        let b = Boundary::at(dir.path());
        let link = |name: &str, target: &Path| {
            let at = dir.path().join(name);
            std::os::unix::fs::symlink(target, &at).expect("symlink");
            at
        };
        // Whether the file out there exists, the answer is the same.
        let there = link("there", &outside.path().join("exists.txt"));
        let gone = link("gone", &outside.path().join("missing.txt"));
        assert_eq!(read_confined(&there, 100, &b), Err(ReadError::Outside));
        assert_eq!(read_confined(&gone, 100, &b), Err(ReadError::Outside));
        let out_dir = link("out", outside.path());
        assert!(!b.contains(&out_dir.join("exists.txt")));
        assert!(!b.contains(&out_dir.join("missing/deeper.txt")));
        assert_eq!(
            read_confined(&outside.path().join("missing.txt"), 100, &b),
            Err(ReadError::Outside)
        );
        // Inside, missing and dangling stay what they are.
        assert!(b.contains(&dir.path().join("missing.txt")));
        assert_eq!(
            read_confined(&dir.path().join("missing.txt"), 100, &b),
            Err(ReadError::Missing)
        );
        let dangling = link("dangling", Path::new("nowhere.txt"));
        assert!(matches!(
            read_confined(&dangling, 100, &b),
            Err(ReadError::BrokenLink(_))
        ));
        // `..` applies after the link it follows.
        std::fs::create_dir(dir.path().join("sub")).expect("mkdir");
        let up = link("up", &dir.path().join("sub"));
        assert!(b.contains(&up.join("../missing.txt")));
        let looped = link("loop", Path::new("loop"));
        assert!(b.contains(&looped));
    }

    #[test]
    fn sizes_read_well() {
        assert_eq!(human_size(10 * 1024 * 1024), "10 MiB");
        assert_eq!(human_size(3 * 1024 * 1024 / 2), "1.5 MiB");
        assert_eq!(human_size(2048), "2 KiB");
        assert_eq!(human_size(12), "12 bytes");
    }
}
