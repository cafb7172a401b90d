//! Distribution and import names: PEP 503 normalisation, and the guesses
//! that connect an import name to the distributions that may provide it.

/// PEP 503: lowercase, every run of `-`, `_` and `.` becomes one `-`.
pub fn normalize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut in_run = false;
    for c in name.trim().chars() {
        if matches!(c, '-' | '_' | '.') {
            if !in_run {
                out.push('-');
            }
            in_run = true;
        } else {
            out.extend(c.to_lowercase());
            in_run = false;
        }
    }
    out
}

/// A plausible distribution name: PEP 508 identifier characters only.
pub fn is_valid_dist_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
}

/// Dotted prefixes of a module path, longest first: `a.b.c`, `a.b`, `a`.
pub fn prefixes(module: &str) -> impl Iterator<Item = &str> {
    let mut end = Some(module.len());
    std::iter::from_fn(move || {
        let e = end?;
        let p = &module[..e];
        end = p.rfind('.');
        Some(p)
    })
}

/// Distributions that conventionally provide the top-level import `top`
/// without being named exactly like it (`python-magic` for `magic`,
/// `types-requests` for stubs). Only ever matched against distributions the
/// project declares, locks or has installed, never used as evidence that a
/// package exists.
pub fn conventional_dists(top: &str) -> Vec<String> {
    let n = normalize(top);
    let mut out = vec![
        format!("python-{n}"),
        format!("{n}-python"),
        format!("py-{n}"),
        format!("py{n}"),
        format!("{n}-py"),
        format!("{n}-client"),
        format!("{n}-sdk"),
        format!("django-{n}"),
        format!("types-{n}"),
        format!("{n}-stubs"),
    ];
    if let Some(rest) = n.strip_prefix("py") {
        if !rest.is_empty() {
            out.push(rest.trim_start_matches('-').to_owned());
        }
    }
    out
}

/// Edit distance with adjacent transpositions counting as one edit
/// (optimal string alignment), on characters.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let (n, m) = (a.len(), b.len());
    if n == 0 || m == 0 {
        return n.max(m);
    }
    // Three rolling rows: two back (for transpositions), previous, current.
    let mut two_back = vec![0usize; m + 1];
    let mut prev: Vec<usize> = (0..=m).collect();
    let mut cur = vec![0usize; m + 1];
    for i in 1..=n {
        cur[0] = i;
        for j in 1..=m {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(two_back[j - 2] + 1);
            }
            cur[j] = best;
        }
        std::mem::swap(&mut two_back, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[m]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pep503() {
        assert_eq!(normalize("Foo.Bar__baz"), "foo-bar-baz");
        assert_eq!(normalize("ruamel.yaml"), "ruamel-yaml");
        assert_eq!(normalize("google.cloud.storage"), "google-cloud-storage");
        assert_eq!(normalize("PyYAML"), "pyyaml");
    }

    #[test]
    fn prefixes_longest_first() {
        let p: Vec<&str> = prefixes("a.b.c").collect();
        assert_eq!(p, vec!["a.b.c", "a.b", "a"]);
    }

    #[test]
    fn distances() {
        assert_eq!(edit_distance("reqeusts", "requests"), 1);
        assert_eq!(edit_distance("fastapi", "fastapi"), 0);
        assert_eq!(edit_distance("pydantc", "pydantic"), 1);
        assert_eq!(edit_distance("abc", ""), 3);
        assert_eq!(edit_distance("sqlalchemy", "sqlalchmey"), 1);
    }
}
