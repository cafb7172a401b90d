//! PEP 508 requirement strings, parsed by `pep508_rs`, as far as the
//! dependency checks need them: the distribution name as written, the
//! requested extras, the version specifiers and whether they pin one version.
//! Lines a requirements file adds around PEP 508 (`-e`, options, bare URLs
//! with `#egg=`) are handled by the requirements-file layer and here.

use std::str::FromStr;

use pep508_rs::pep440_rs::{Operator, VersionSpecifiers};
use pep508_rs::{VerbatimUrl, VersionOrUrl};

/// One parsed requirement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// As written (not normalised).
    pub name: String,
    pub extras: Vec<String>,
    /// `name==1.2.3` (or `===`): evidence that a file is a lock or a freeze.
    pub pinned: bool,
    /// Byte offset of the name inside the parsed string.
    pub name_offset: usize,
    /// The PEP 440 specifiers (`None` for a URL or no constraint).
    pub versions: Option<VersionSpecifiers>,
}

/// Parse `name[extra,...] (specifiers) ; marker` or `name @ url`. A bare URL
/// or path is accepted when it names the distribution with `#egg=name`.
pub fn parse(text: &str) -> Result<Requirement, String> {
    let trimmed_start = text.len() - text.trim_start().len();
    let s = text.trim();
    if s.is_empty() {
        return Err("empty requirement".to_owned());
    }
    if looks_like_url_or_path(s) {
        return egg_name(s)
            .map(|(name, at)| Requirement {
                name: name.to_owned(),
                extras: Vec::new(),
                pinned: false,
                name_offset: trimmed_start + at,
                versions: None,
            })
            .ok_or_else(|| format!("`{s}` is a URL or path without `#egg=NAME`"));
    }
    let parsed = pep508_rs::Requirement::<VerbatimUrl>::from_str(s).or_else(|e| {
        // A marker the parser does not know (a tool's extension) leaves the
        // requirement before it readable: the name and versions still count.
        match s.split_once(';') {
            Some((head, _)) => {
                pep508_rs::Requirement::<VerbatimUrl>::from_str(head.trim()).map_err(|_| e)
            }
            None => Err(e),
        }
    });
    let parsed = parsed.map_err(|e| {
        let why = e.message.to_string();
        let why = why.lines().next().unwrap_or("").trim_end_matches('.');
        format!("`{s}` is not a valid requirement: {why}")
    })?;
    let name_len = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(s.len());
    let versions = match parsed.version_or_url {
        Some(VersionOrUrl::VersionSpecifier(v)) if !v.is_empty() => Some(v),
        _ => None,
    };
    let pinned = versions.as_ref().is_some_and(|v| {
        v.len() == 1 && matches!(v[0].operator(), Operator::Equal | Operator::ExactEqual)
    });
    Ok(Requirement {
        name: s[..name_len].to_owned(),
        extras: parsed.extras.iter().map(ToString::to_string).collect(),
        pinned,
        name_offset: trimmed_start,
        versions,
    })
}

fn looks_like_url_or_path(s: &str) -> bool {
    let head = s
        .split(|c: char| c.is_whitespace() || c == '@')
        .next()
        .unwrap_or("");
    head.contains("://")
        || s.starts_with('.')
        || s.starts_with('/')
        || s.starts_with('~')
        || s.starts_with("file:")
        || s.starts_with("git+")
        || s.starts_with("hg+")
        || s.starts_with("svn+")
        || s.starts_with("bzr+")
        || (s.len() > 2 && s.as_bytes()[1] == b':' && s.as_bytes()[2] == b'\\')
}

/// `...#egg=name[extras]&subdirectory=x` -> (`name`, offset of the name).
fn egg_name(s: &str) -> Option<(&str, usize)> {
    let at = s.find("#egg=")? + "#egg=".len();
    let rest = &s[at..];
    let end = rest
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(rest.len());
    let name = &rest[..end];
    super::names::is_valid_dist_name(name).then_some((name, at))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_extras_pins() {
        let r = parse("passlib[bcrypt] >=1.7 ; python_version >= '3.8'").unwrap();
        assert_eq!(r.name, "passlib");
        assert_eq!(r.extras, vec!["bcrypt"]);
        assert!(!r.pinned);
        assert_eq!(r.versions.unwrap().to_string(), ">=1.7");
        let r = parse("  fastapi==0.110.0").unwrap();
        assert_eq!(
            (r.name.as_str(), r.pinned, r.name_offset),
            ("fastapi", true, 2)
        );
        assert!(!parse("fastapi==0.110.*").unwrap().pinned);
        assert!(!parse("fastapi==0.110.0,<1").unwrap().pinned);
        let r = parse("uvicorn[standard] (>=0.20)").unwrap();
        assert_eq!(r.extras, vec!["standard"]);
        let r = parse("Flask_SQLAlchemy>=3").unwrap();
        assert_eq!(r.name, "Flask_SQLAlchemy");
        let r = parse("mylib @ https://example.com/mylib-1.0.tar.gz").unwrap();
        assert_eq!(r.name, "mylib");
        assert!(r.versions.is_none());
        let r = parse("git+https://github.com/org/repo.git@main#egg=repo_pkg").unwrap();
        assert_eq!(r.name, "repo_pkg");
        assert!(parse("./local/dir").is_err());
        assert!(parse("[oops]").is_err());
        assert!(parse("x[unclosed").is_err());
        assert!(parse("x >= = 1").is_err());
    }
}
