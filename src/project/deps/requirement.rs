//! PEP 508 requirement strings, as far as dependency checks need them: the
//! distribution name, the requested extras and whether the version is pinned.

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
            })
            .ok_or_else(|| format!("`{s}` is a URL or path without `#egg=NAME`"));
    }
    let name_len = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(s.len());
    let name = &s[..name_len];
    if name.is_empty() || !super::names::is_valid_dist_name(name) {
        return Err(format!("`{s}` does not start with a distribution name"));
    }
    let mut rest = s[name_len..].trim_start();
    let mut extras = Vec::new();
    if let Some(after) = rest.strip_prefix('[') {
        let close = after
            .find(']')
            .ok_or_else(|| format!("`{s}`: unclosed `[` in extras"))?;
        extras = after[..close]
            .split(',')
            .map(str::trim)
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect();
        rest = after[close + 1..].trim_start();
    }
    let spec = rest.split(';').next().unwrap_or("");
    let spec = spec.trim().trim_start_matches('(').trim_end_matches(')');
    let pinned = !spec.starts_with('@')
        && spec.starts_with("==")
        && !spec.contains(',')
        && !spec.contains('*');
    Ok(Requirement {
        name: name.to_owned(),
        extras,
        pinned,
        name_offset: trimmed_start,
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
        let r = parse("  fastapi==0.110.0").unwrap();
        assert_eq!(
            (r.name.as_str(), r.pinned, r.name_offset),
            ("fastapi", true, 2)
        );
        let r = parse("uvicorn[standard] (>=0.20)").unwrap();
        assert_eq!(r.extras, vec!["standard"]);
        let r = parse("mylib @ https://example.com/mylib-1.0.tar.gz").unwrap();
        assert_eq!(r.name, "mylib");
        let r = parse("git+https://github.com/org/repo.git@main#egg=repo_pkg").unwrap();
        assert_eq!(r.name, "repo_pkg");
        assert!(parse("./local/dir").is_err());
        assert!(parse("[oops]").is_err());
        assert!(parse("x[unclosed").is_err());
    }
}
