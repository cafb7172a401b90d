//! The standard library of the target Python: which top-level modules
//! exist in which CPython version (`data/stdlib_versions.tsv`), and the
//! PyPI backport that provides a module on the versions without it.

use std::collections::HashMap;
use std::sync::LazyLock;

use crate::version::PythonVersion;

static TSV: &str = include_str!("../../../data/stdlib_versions.tsv");

/// One module's row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Module {
    /// First version that has it (`None`: 3.7 or earlier).
    pub since: Option<PythonVersion>,
    /// First version without it (`None`: still there).
    pub until: Option<PythonVersion>,
    /// The distribution providing it on other versions, if any.
    pub backport: Option<&'static str>,
    /// The backport's import name, when it is not the module's.
    pub backport_import: Option<&'static str>,
}

static TABLE: LazyLock<HashMap<&'static str, Module>> = LazyLock::new(|| {
    let mut out = HashMap::new();
    for line in TSV.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
        let mut cols = line.split('\t');
        let Some(name) = cols.next() else { continue };
        let mut col = || cols.next().filter(|c| !c.is_empty());
        let since = col().and_then(PythonVersion::parse);
        let until = col().and_then(PythonVersion::parse);
        let backport = col();
        let backport_import = col();
        out.insert(
            name,
            Module {
                since,
                until,
                backport,
                backport_import,
            },
        );
    }
    out
});

/// Where a top-level module stands on the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// In the target's standard library.
    Present,
    /// Not a standard-library module of any version.
    Absent,
    /// Added in a version newer than the target.
    Newer(PythonVersion, Module),
    /// Removed in the target or before.
    Removed(PythonVersion, Module),
}

pub fn status(top: &str, target: PythonVersion) -> Status {
    let Some(m) = TABLE.get(top) else {
        return Status::Absent;
    };
    match (m.since, m.until) {
        (Some(since), _) if target < since => Status::Newer(since, *m),
        (_, Some(until)) if target >= until => Status::Removed(until, *m),
        _ => Status::Present,
    }
}

/// A standard-library module of some version 3.7-3.14.
pub fn is_stdlib_any(top: &str) -> bool {
    TABLE.contains_key(top)
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn v(minor: u8) -> PythonVersion {
        PythonVersion::new(3, minor)
    }

    #[test]
    fn follows_the_target() {
        assert_eq!(status("asyncio", v(7)), Status::Present);
        assert_eq!(status("yaml", v(12)), Status::Absent);
        assert!(
            matches!(status("tomllib", v(10)), Status::Newer(s, m) if s == v(11) && m.backport == Some("tomli"))
        );
        assert_eq!(status("tomllib", v(11)), Status::Present);
        assert!(matches!(status("zoneinfo", v(8)), Status::Newer(..)));
        assert!(
            matches!(status("distutils", v(12)), Status::Removed(u, m) if u == v(12) && m.backport == Some("setuptools"))
        );
        assert_eq!(status("distutils", v(11)), Status::Present);
        for gone in ["asynchat", "asyncore", "imp", "smtpd"] {
            assert!(matches!(status(gone, v(12)), Status::Removed(..)), "{gone}");
        }
        for gone in ["cgi", "crypt", "lib2to3", "telnetlib", "imghdr", "uu"] {
            assert!(matches!(status(gone, v(13)), Status::Removed(..)), "{gone}");
            assert_eq!(status(gone, v(12)), Status::Present);
        }
        assert!(matches!(status("annotationlib", v(13)), Status::Newer(..)));
        assert_eq!(status("compression", v(14)), Status::Present);
        assert!(matches!(status("symbol", v(10)), Status::Removed(..)));
        assert_eq!(status("symbol", v(9)), Status::Present);
        assert!(is_stdlib_any("__future__") && is_stdlib_any("distutils"));
        assert!(!is_stdlib_any("typing_extensions"));
    }
}
