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
        // Vendor SDKs: `tencentcloud` from `tencentcloud-sdk-python`.
        format!("{n}-sdk-python"),
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

/// How many of [`conventional_dists`] name the same project as the import
/// (the rest are framework plugins and stub packages).
pub const CONVENTIONAL_SAME_PROJECT: usize = 8;

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

/// Names to suggest for a mistyped import, in a trie searched by edit
/// distance ([`edit_distance`]): a query only visits the prefixes within
/// `limit` edits of a prefix of it, so its cost does not grow with the
/// number of names (a requirements file may declare tens of thousands).
#[derive(Debug, Default)]
pub struct Suggestions {
    /// `nodes[0]` is the root.
    nodes: Vec<TrieNode>,
}

#[derive(Debug, Default)]
struct TrieNode {
    children: Vec<(char, u32)>,
    /// A name ends here: its rank and its spelling as inserted.
    name: Option<(u64, String)>,
}

impl Suggestions {
    /// Add `name`, compared in ASCII lowercase; of names equal in lowercase,
    /// the lowest `rank` (then the first inserted) is kept.
    pub fn insert(&mut self, name: String, rank: u64) {
        if self.nodes.is_empty() {
            self.nodes.push(TrieNode::default());
        }
        let mut at = 0usize;
        for c in name.chars().map(|c| c.to_ascii_lowercase()) {
            let next = self.nodes[at]
                .children
                .iter()
                .find(|(k, _)| *k == c)
                .map(|(_, n)| *n as usize);
            at = match next {
                Some(n) => n,
                None => {
                    let n = self.nodes.len();
                    self.nodes.push(TrieNode::default());
                    self.nodes[at].children.push((c, n as u32));
                    n
                }
            };
        }
        let slot = &mut self.nodes[at].name;
        if slot.as_ref().is_none_or(|(r, _)| rank < *r) {
            *slot = Some((rank, name));
        }
    }

    /// The name closest to `wanted` (already lowercase) within `limit`
    /// edits, `wanted` itself excluded: (distance, rank, name), the lowest
    /// distance then the lowest rank.
    pub fn closest(&self, wanted: &str, limit: usize) -> Option<(usize, u64, &str)> {
        if self.nodes.is_empty() {
            return None;
        }
        let a: Vec<char> = wanted.chars().collect();
        let n = a.len();
        let width = n + 1;
        // Distances are capped at `over`: past the limit, all are as bad.
        let over = limit + 1;
        let mut best: Option<(usize, u64, &str)> = None;
        if let Some((rank, name)) = &self.nodes[0].name {
            // The empty name, `n` insertions away.
            if n > 0 && n <= limit {
                best = Some((n, *rank, name));
            }
        }
        // Row j of the edit-distance table (row-major, `width` a row): the
        // distances between each prefix of `wanted` and the j characters on
        // the path to the node at depth j. Only the band |i - j| <= limit
        // can be within the limit; the rest stays at `over`.
        let mut rows: Vec<usize> = (0..=n).map(|i| i.min(over)).collect();
        let mut path: Vec<char> = Vec::new();
        let mut stack: Vec<(usize, usize)> = vec![(0, 0)];
        while let Some(top) = stack.last_mut() {
            let (node, next) = (top.0, top.1);
            let Some(&(c, child)) = self.nodes[node].children.get(next) else {
                stack.pop();
                if !stack.is_empty() {
                    rows.truncate(rows.len() - width);
                    path.pop();
                }
                continue;
            };
            top.1 += 1;
            let child = child as usize;
            let j = path.len() + 1;
            let prev = (j - 1) * width;
            let cur = j * width;
            rows.resize(cur + width, over);
            rows[cur] = j.min(over);
            let lo = j.saturating_sub(limit).max(1);
            let hi = (j + limit).min(n);
            let mut row_min = rows[cur];
            for i in lo..=hi {
                let cost = usize::from(a[i - 1] != c);
                let mut d = (rows[prev + i] + 1)
                    .min(rows[cur + i - 1] + 1)
                    .min(rows[prev + i - 1] + cost);
                if i > 1 && j > 1 && a[i - 1] == path[j - 2] && a[i - 2] == c {
                    d = d.min(rows[(j - 2) * width + i - 2] + 1);
                }
                let d = d.min(over);
                rows[cur + i] = d;
                row_min = row_min.min(d);
            }
            if let Some((rank, name)) = &self.nodes[child].name {
                let d = rows[cur + n];
                if d > 0 && d <= limit && best.is_none_or(|b| (d, *rank) < (b.0, b.1)) {
                    best = Some((d, *rank, name));
                }
            }
            // A row whose every entry is over the limit cannot come back
            // under it further down (a transposition reaches back two rows,
            // but the row in between is then at most one more).
            if row_min <= limit {
                path.push(c);
                stack.push((child, 0));
            } else {
                rows.truncate(cur);
            }
        }
        best
    }
}

/// May the declared distribution `dist` (normalised), which no import
/// matches, provide the import `top`, which nothing declared provides?
/// Compared without separators and case, the two names must share a prefix
/// of at least four characters covering the distribution's whole first
/// word: `pydantic_ai` and `pydantic-ai-slim`, `pydantic2ts` and
/// `pydantic-to-typescript2`, `jose` and `python-jose` fail (`python` is
/// not a prefix of `jose`; that pair is the tables' business).
pub fn plausibly_provides(top: &str, dist: &str) -> bool {
    let squash = |s: &str| -> Vec<u8> {
        s.bytes()
            .filter(u8::is_ascii_alphanumeric)
            .map(|b| b.to_ascii_lowercase())
            .collect()
    };
    let (i, d) = (squash(top), squash(dist));
    let first = dist.split('-').next().unwrap_or(dist).len();
    let common = i.iter().zip(&d).take_while(|(a, b)| a == b).count();
    common >= 4 && common >= first
}

/// The weaker pairing for an import that no table, lockfile or environment
/// knows at all (DEP001 would call it invented): the distribution's name
/// after one or more leading vendor words may provide it too
/// (`nemo-switchyard` for `switchyard_rust`, `acme-billing` for
/// `billing_core`), by the same prefix test as [`plausibly_provides`].
pub fn plausibly_provides_unknown(top: &str, dist: &str) -> bool {
    plausibly_provides(top, dist)
        || dist
            .match_indices('-')
            .any(|(at, _)| plausibly_provides(top, &dist[at + 1..]))
}

#[cfg(test)]
mod tests {

    #[test]
    fn vendor_sdk_names_are_conventional() {
        let same: Vec<String> = conventional_dists("tencentcloud")
            .into_iter()
            .take(CONVENTIONAL_SAME_PROJECT)
            .collect();
        assert!(
            same.contains(&"tencentcloud-sdk-python".to_owned()),
            "{same:?}"
        );
        assert!(!same
            .iter()
            .any(|d| d.starts_with("django-") || d.starts_with("types-")));
    }

    use super::*;

    #[test]
    fn plausible_providers() {
        assert!(plausibly_provides("pydantic_ai", "pydantic-ai-slim"));
        assert!(plausibly_provides("pydantic2ts", "pydantic-to-typescript2"));
        assert!(plausibly_provides("sentry_sdk", "sentry-sdk-extras"));
        assert!(!plausibly_provides("jose", "python-jose"));
        assert!(!plausibly_provides("redis", "rq"));
        assert!(!plausibly_provides("google_auth", "googlemaps"));
        assert!(!plausibly_provides("abc", "abc-x"));
        assert!(!plausibly_provides("switchyard_rust", "nemo-switchyard"));
        assert!(plausibly_provides_unknown(
            "switchyard_rust",
            "nemo-switchyard"
        ));
        assert!(plausibly_provides_unknown(
            "pydantic_ai",
            "pydantic-ai-slim"
        ));
        assert!(!plausibly_provides_unknown(
            "switchboard_helpers",
            "nemo-switchyard"
        ));
        assert!(!plausibly_provides_unknown("rq", "django-rq"));
    }

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

    #[test]
    fn suggestions_agree_with_a_scan() {
        let names = [
            "requests",
            "Requests",
            "reqeusts",
            "request",
            "fastapi",
            "fastapy",
            "pydantic",
            "pydantc",
            "sqlalchemy",
            "sqlalchmey",
            "ab",
            "ba",
            "abc",
            "acb",
            "bca",
            "ca",
            "uvicorn",
            "uvcorn",
            "ujson",
            "orjson",
            "jsons",
            "json5",
            "yaml",
            "pyyaml",
        ];
        let mut trie = Suggestions::default();
        for (rank, n) in names.iter().enumerate() {
            trie.insert((*n).to_owned(), (rank * 7 % names.len()) as u64);
        }
        let queries = [
            "requests",
            "rquests",
            "fastap",
            "pydnatic",
            "sqlalchem",
            "ab",
            "abd",
            "cab",
            "uvicron",
            "jsno",
            "yml",
            "xyzzy",
            "",
            "orjsn",
        ];
        for q in queries {
            for limit in 0..=3 {
                let mut want: Option<(usize, u64, &str)> = None;
                for (rank, n) in names.iter().enumerate() {
                    let rank = (rank * 7 % names.len()) as u64;
                    let d = edit_distance(q, &n.to_ascii_lowercase());
                    if d > 0 && d <= limit && want.is_none_or(|b| (d, rank) < (b.0, b.1)) {
                        want = Some((d, rank, n));
                    }
                }
                assert_eq!(trie.closest(q, limit), want, "{q} within {limit}");
            }
        }
    }

    #[test]
    fn suggestions_agree_with_a_scan_on_random_names() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let word = |next: &mut dyn FnMut() -> u64| -> String {
            let len = (next() % 8) as usize;
            (0..len)
                .map(|_| ['a', 'b', 'c', 'B'][(next() % 4) as usize])
                .collect()
        };
        let names: Vec<String> = (0..300).map(|_| word(&mut next)).collect();
        let mut trie = Suggestions::default();
        for (rank, n) in names.iter().enumerate() {
            trie.insert(n.clone(), (rank * 7 % 300) as u64);
        }
        for _ in 0..300 {
            let q = word(&mut next).to_ascii_lowercase();
            for limit in 0..=3 {
                let mut want: Option<(usize, u64, &str)> = None;
                for (rank, n) in names.iter().enumerate() {
                    let rank = (rank * 7 % 300) as u64;
                    let d = edit_distance(&q, &n.to_ascii_lowercase());
                    if d > 0 && d <= limit && want.is_none_or(|b| (d, rank) < (b.0, b.1)) {
                        want = Some((d, rank, n));
                    }
                }
                assert_eq!(trie.closest(&q, limit), want, "{q} within {limit}");
            }
        }
    }
}
