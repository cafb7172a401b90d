//! TST001: a test's name does not follow the configured pattern.

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::python::ast::fid;

use super::Collector;
use crate::diagnostic::Severity;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct TestNameFormat {
    collector: Collector,
}

/// Words that usually start the expected-outcome half of a test name
/// (`test_get_order_returns_404`: `returns`).
const OUTCOME_WORDS: &[&str] = &[
    "accepts",
    "allows",
    "are",
    "becomes",
    "calls",
    "can",
    "cannot",
    "cant",
    "contains",
    "creates",
    "deletes",
    "denies",
    "does",
    "doesnt",
    "emits",
    "equals",
    "error",
    "errors",
    "excludes",
    "fails",
    "filters",
    "forbids",
    "gives",
    "handles",
    "has",
    "have",
    "ignores",
    "includes",
    "is",
    "keeps",
    "logs",
    "matches",
    "must",
    "never",
    "ok",
    "persists",
    "preserves",
    "produces",
    "raise",
    "raises",
    "redirects",
    "rejects",
    "removes",
    "renders",
    "responds",
    "return",
    "returns",
    "saves",
    "sends",
    "sets",
    "should",
    "shows",
    "skips",
    "stores",
    "succeeds",
    "success",
    "throws",
    "updates",
    "works",
    "yields",
];

impl Rule for TestNameFormat {
    const META: RuleMeta = RuleMeta {
        code: "TST001",
        name: "test-name-format",
        family: Family::Tests,
        severity: Severity::Warning,
        fixable: false,
        summary: "Test name does not follow the configured `name-pattern` (opt-in; e.g. `test__<what>__<expected>`)",
        help: "name the test after what it exercises and what it expects, e.g. `test__get_order__returns_404`",
        doc: include_str!("../../../rules/TST001.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["class_definition", "function_definition"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        // Opt-in: without `name-pattern` in `[tool.fortress.tests]` there is no
        // convention to hold tests to.
        if !super::in_test_code(cx) || !cx.options.project.tests.name_pattern_configured {
            return;
        }
        if node.kind_str() == "class_definition" {
            self.collector.visit_class(node, cx);
            return;
        }
        if !self.collector.is_test(node, cx) {
            return;
        }
        let Some(name_node) = node.child_by_field_id(*fid::NAME) else {
            return;
        };
        let name = cx.text(name_node);
        let tests = &cx.options.project.tests;
        if tests.name_pattern.is_match(name) {
            return;
        }
        let message = match suggest(name) {
            Some(Suggestion::Full(s)) if tests.name_pattern.is_match(&s) => {
                format!("test name `{name}` does not follow the naming pattern; name it `{s}`")
            }
            Some(Suggestion::MissingWhat(s)) if tests.default_name_pattern => format!(
                "test name `{name}` does not say what it exercises; name it `{s}` (pattern `test__<what>__<expected>`)"
            ),
            Some(Suggestion::MissingExpected(s)) if tests.default_name_pattern => format!(
                "test name `{name}` does not say what it expects; name it `{s}` (pattern `test__<what>__<expected>`)"
            ),
            _ if tests.default_name_pattern => format!(
                "test name `{name}` does not follow the pattern `test__<what>__<expected>`"
            ),
            _ => format!(
                "test name `{name}` does not match the pattern `{}`",
                tests.name_pattern.as_str()
            ),
        };
        cx.report(name_node, message);
    }
}

/// `testGetOrder_Returns404` -> `["get", "order", "returns", "404"]`.
/// Digits start a new word only in camelCase names (`Returns404`), not in
/// snake_case ones (`oauth2_login`).
fn words(s: &str, camel: bool) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = s.chars().collect();
    let mut current = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !current.is_empty() {
                out.push(std::mem::take(&mut current));
            }
            continue;
        }
        let prev = i.checked_sub(1).map(|p| chars[p]);
        let next = chars.get(i + 1).copied();
        let boundary = match prev {
            Some(p) if p.is_ascii_alphanumeric() => {
                (c.is_ascii_uppercase()
                    && (p.is_ascii_lowercase()
                        || p.is_ascii_digit()
                        || (p.is_ascii_uppercase()
                            && next.is_some_and(|n| n.is_ascii_lowercase()))))
                    || (camel && c.is_ascii_digit() && p.is_ascii_alphabetic())
            }
            _ => false,
        };
        if boundary && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        current.push(c.to_ascii_lowercase());
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

fn strip_test_prefix(name: &str) -> Option<&str> {
    let rest = name.get(4..)?;
    name[..4].eq_ignore_ascii_case("test").then_some(rest)
}

fn is_outcome(word: &str) -> bool {
    OUTCOME_WORDS.binary_search(&word).is_ok()
        || (word.len() == 3
            && matches!(word.as_bytes()[0], b'1'..=b'5')
            && word.bytes().all(|b| b.is_ascii_digit()))
}

enum Suggestion {
    /// Both halves are evident.
    Full(String),
    /// The name starts with the outcome (`test_returns_404_if_missing`).
    MissingWhat(String),
    /// No outcome word (`test_login`).
    MissingExpected(String),
}

/// The name in `test__<what>__<expected>` form, as far as it is evident.
fn suggest(name: &str) -> Option<Suggestion> {
    if !name.is_ascii() {
        return None;
    }
    let rest = strip_test_prefix(name)?;
    let camel = rest.bytes().any(|b| b.is_ascii_uppercase());
    if let Some((what, expected)) = rest.strip_prefix("__").and_then(|r| r.split_once("__")) {
        let (what, expected) = (words(what, camel), words(expected, camel));
        return match (what.is_empty(), expected.is_empty()) {
            (false, false) => Some(Suggestion::Full(format!(
                "test__{}__{}",
                what.join("_"),
                expected.join("_")
            ))),
            (false, true) => Some(Suggestion::MissingExpected(format!(
                "test__{}__<expected>",
                what.join("_")
            ))),
            (true, false) => Some(Suggestion::MissingWhat(format!(
                "test__<what>__{}",
                expected.join("_")
            ))),
            (true, true) => None,
        };
    }
    let all = words(rest, camel);
    if all.is_empty() {
        return None;
    }
    if is_outcome(&all[0]) {
        return Some(Suggestion::MissingWhat(format!(
            "test__<what>__{}",
            all.join("_")
        )));
    }
    Some(match (1..all.len()).find(|&i| is_outcome(&all[i])) {
        Some(at) => Suggestion::Full(format!(
            "test__{}__{}",
            all[..at].join("_"),
            all[at..].join("_")
        )),
        None => Suggestion::MissingExpected(format!("test__{}__<expected>", all.join("_"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcome_words_are_sorted() {
        let mut sorted = OUTCOME_WORDS.to_vec();
        sorted.sort_unstable();
        assert_eq!(sorted, OUTCOME_WORDS);
    }

    fn full(name: &str) -> Option<String> {
        match suggest(name) {
            Some(Suggestion::Full(s)) => Some(s),
            _ => None,
        }
    }

    fn partial(name: &str) -> Option<String> {
        match suggest(name) {
            Some(Suggestion::MissingWhat(s) | Suggestion::MissingExpected(s)) => Some(s),
            _ => None,
        }
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            full("test_get_order_returns_404").as_deref(),
            Some("test__get_order__returns_404")
        );
        assert_eq!(
            full("testGetOrderReturns404").as_deref(),
            Some("test__get_order__returns_404")
        );
        assert_eq!(
            full("test_parseHTTPResponse_raises").as_deref(),
            Some("test__parse_http_response__raises")
        );
        assert_eq!(
            full("test__Get_Order__Returns").as_deref(),
            Some("test__get_order__returns")
        );
        assert_eq!(
            full("test_delete_user_404").as_deref(),
            Some("test__delete_user__404")
        );
        assert_eq!(
            full("test_oauth2_login_fails").as_deref(),
            Some("test__oauth2_login__fails")
        );
        assert_eq!(
            partial("test_login").as_deref(),
            Some("test__login__<expected>")
        );
        assert_eq!(
            partial("test_returns_403_if_not_authenticated").as_deref(),
            Some("test__<what>__returns_403_if_not_authenticated")
        );
        assert_eq!(
            partial("test__login").as_deref(),
            Some("test__login__<expected>")
        );
        assert!(suggest("test").is_none());
    }
}
