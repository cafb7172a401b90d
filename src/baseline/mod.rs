//! The gate on a change: which findings are new relative to a base, either a
//! baseline file (`fortress baseline write`, `check --baseline`) or a git
//! revision (`check --since REF`).
//!
//! Both compare line-free fingerprints ([`fingerprint`]) as multisets:
//! exact fingerprint first (*unchanged*), then the same rule, path and
//! symbol (*updated*: the offending code itself changed), then the same
//! rule, path and message (*unchanged*: the finding moved). What is left of
//! the head is *new*; what is left of the base is *fixed*.

pub mod file;
pub mod fingerprint;
pub mod git;
pub mod lines;
pub mod manifests;
pub mod renames;
pub mod since;
pub mod weakened;

use std::collections::HashMap;

pub use fingerprint::Print;

/// A head finding compared with the base.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum State {
    New,
    Unchanged,
    Updated,
}

impl State {
    /// The JSON `baseline_state` and SARIF `baselineState` value.
    pub fn as_str(self) -> &'static str {
        match self {
            State::New => "new",
            State::Unchanged => "unchanged",
            State::Updated => "updated",
        }
    }

    /// Whether the finding counts in the verdict (new and updated ones do).
    pub fn gated(self) -> bool {
        self != State::Unchanged
    }
}

/// A base finding: what a baseline file lists, `count` times.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub path: String,
    pub code: String,
    pub symbol: String,
    pub fingerprint: String,
    pub count: usize,
    /// For reviewers; matching uses it only as the last resort.
    pub message: String,
}

/// The base multiset of `prints`: one entry per distinct finding, sorted.
pub fn entries(prints: &[Print]) -> Vec<Entry> {
    let mut counts: std::collections::BTreeMap<(&str, &str, &str, &str, &str), usize> =
        Default::default();
    for p in prints {
        *counts
            .entry((&p.path, &p.code, &p.symbol, &p.fingerprint, &p.message))
            .or_insert(0) += 1;
    }
    counts
        .into_iter()
        .map(
            |((path, code, symbol, fingerprint, message), count)| Entry {
                path: path.to_owned(),
                code: code.to_owned(),
                symbol: symbol.to_owned(),
                fingerprint: fingerprint.to_owned(),
                count,
                message: message.to_owned(),
            },
        )
        .collect()
}

/// How the head run compares with its base, for the gate and the reporters.
#[derive(Debug, Clone, Default)]
pub struct Change {
    /// One per head diagnostic, in the run's order.
    pub states: Vec<State>,
    /// Base findings no head finding matched (`count` of each left).
    pub fixed: Vec<Entry>,
    /// Per head file: whether the change touched it (`--since`; None for a baseline).
    pub touched: Option<Vec<bool>>,
    /// Show unchanged findings too (text and github).
    pub show_existing: bool,
    /// List fixed findings as SARIF `absent` results.
    pub report_fixed: bool,
}

impl Change {
    pub fn fixed_count(&self) -> usize {
        self.fixed.iter().map(|e| e.count).sum()
    }

    /// Whether diagnostic `i` is shown by the text and github reports.
    pub fn shown(&self, i: usize) -> bool {
        self.show_existing || self.states.get(i).is_none_or(|s| s.gated())
    }
}

/// Match the head findings against the base multiset.
pub fn compare(head: &[Print], base: &[Entry]) -> Change {
    let mut left: Vec<usize> = base.iter().map(|e| e.count).collect();
    let mut states: Vec<Option<State>> = vec![None; head.len()];
    let take = |bucket: Option<&Vec<usize>>, left: &mut Vec<usize>| -> bool {
        for &e in bucket.into_iter().flatten() {
            if left[e] > 0 {
                left[e] -= 1;
                return true;
            }
        }
        false
    };
    let mut exact: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    let mut by_symbol: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    let mut by_message: HashMap<(&str, &str, &str), Vec<usize>> = HashMap::new();
    for (i, e) in base.iter().enumerate() {
        exact
            .entry((&e.path, &e.code, &e.fingerprint))
            .or_default()
            .push(i);
        by_symbol
            .entry((&e.path, &e.code, &e.symbol))
            .or_default()
            .push(i);
        by_message
            .entry((&e.path, &e.code, &e.message))
            .or_default()
            .push(i);
    }
    for (state, p) in states.iter_mut().zip(head) {
        if take(exact.get(&(&p.path, &p.code, &p.fingerprint)), &mut left) {
            *state = Some(State::Unchanged);
        }
    }
    for (state, p) in states.iter_mut().zip(head) {
        if state.is_none() && take(by_symbol.get(&(&p.path, &p.code, &p.symbol)), &mut left) {
            *state = Some(State::Updated);
        }
    }
    for (state, p) in states.iter_mut().zip(head) {
        if state.is_none() && take(by_message.get(&(&p.path, &p.code, &p.message)), &mut left) {
            *state = Some(State::Unchanged);
        }
    }
    let fixed = base
        .iter()
        .zip(&left)
        .filter(|(_, n)| **n > 0)
        .map(|(e, n)| Entry {
            count: *n,
            ..e.clone()
        })
        .collect();
    Change {
        states: states
            .into_iter()
            .map(|s| s.unwrap_or(State::New))
            .collect(),
        fixed,
        ..Change::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(path: &str, code: &str, symbol: &str, fp: &str, message: &str) -> Print {
        Print {
            path: path.into(),
            code: code.into(),
            symbol: symbol.into(),
            fingerprint: fp.into(),
            message: message.into(),
            node: Default::default(),
        }
    }

    #[test]
    fn multiset_exact_then_symbol_then_message() {
        let base = entries(&[
            print("a.py", "X1", "f", "1", "m"),
            print("a.py", "X1", "g", "2", "m2"),
            print("a.py", "X1", "h", "3", "moved"),
            print("b.py", "X1", "", "9", "gone"),
        ]);
        let head = [
            // two identical beside one baselined: one old, one new
            print("a.py", "X1", "f", "1", "m"),
            print("a.py", "X1", "f", "1", "m"),
            // the node changed inside g
            print("a.py", "X1", "g", "22", "m2 changed"),
            // moved from h to k, message the same
            print("a.py", "X1", "k", "4", "moved"),
            // another rule never matches
            print("a.py", "X2", "f", "1", "m"),
        ];
        let change = compare(&head, &base);
        use State::*;
        assert_eq!(change.states, [Unchanged, New, Updated, Unchanged, New]);
        assert_eq!(change.fixed_count(), 1);
        assert_eq!(change.fixed[0].path, "b.py");
    }

    #[test]
    fn entries_count_duplicates_and_sort() {
        let e = entries(&[
            print("b.py", "X1", "", "1", "m"),
            print("a.py", "X1", "", "1", "m"),
            print("b.py", "X1", "", "1", "m"),
        ]);
        assert_eq!(e.len(), 2);
        assert_eq!((e[0].path.as_str(), e[0].count), ("a.py", 1));
        assert_eq!((e[1].path.as_str(), e[1].count), ("b.py", 2));
    }
}
