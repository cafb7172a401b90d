//! Test results from JUnit XML (`pytest --junitxml`): every test case with
//! its outcome.

/// How one test ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Skipped,
    /// An assertion failed (`<failure>`), with its message.
    Failed(String),
    /// The test could not run to its end (`<error>`: an exception in a
    /// fixture or the test), with its message.
    Errored(String),
}

impl Outcome {
    pub fn is_failure(&self) -> bool {
        matches!(self, Outcome::Failed(_) | Outcome::Errored(_))
    }
}

/// One `<testcase>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestCase {
    /// Dotted module and class (`tests.test_orders.TestCreate`).
    pub classname: String,
    /// The test's name, parameters included (`test_x[1-2]`).
    pub name: String,
    /// `file` and `line` attributes (pytest's `junit_family=xunit1`), when present.
    pub file: Option<String>,
    pub line: Option<u32>,
    pub outcome: Outcome,
    /// The line of the `<testcase>` element in the report.
    pub row: u32,
}

impl TestCase {
    /// The function's name without pytest's parameter id.
    pub fn function(&self) -> &str {
        self.name.split('[').next().unwrap_or(&self.name)
    }

    /// The test as pytest names it on the command line, without a file:
    /// `tests.test_x.TestA::test_b[1]`.
    pub fn id(&self) -> String {
        if self.classname.is_empty() {
            self.name.clone()
        } else {
            format!("{}::{}", self.classname, self.name)
        }
    }
}

/// Every test case of a report, in document order.
pub fn parse(text: &str) -> Result<Vec<TestCase>, String> {
    let doc = roxmltree::Document::parse(text).map_err(|e| format!("malformed XML: {e}"))?;
    let root = doc.root_element();
    let name = root.tag_name().name();
    if name != "testsuites" && name != "testsuite" {
        return Err(format!(
            "XML root element is <{name}>, not a JUnit <testsuites> or <testsuite> report"
        ));
    }
    let mut cases = Vec::new();
    let mut rows = super::Rows::new(text);
    for case in root.descendants().filter(|n| n.has_tag_name("testcase")) {
        let row = rows.at(case.range().start);
        let Some(name) = case.attribute("name") else {
            return Err(format!("line {row}: <testcase> without a `name`"));
        };
        let message = |n: roxmltree::Node<'_, '_>| {
            let m = n.attribute("message").unwrap_or("").trim();
            let m = if m.is_empty() {
                n.attribute("type").unwrap_or("").trim()
            } else {
                m
            };
            m.lines().next().unwrap_or("").to_owned()
        };
        let mut outcome = Outcome::Passed;
        for child in case.children().filter(|n| n.is_element()) {
            match child.tag_name().name() {
                "failure" => outcome = Outcome::Failed(message(child)),
                "error" if !outcome.is_failure() => outcome = Outcome::Errored(message(child)),
                "skipped" if outcome == Outcome::Passed => outcome = Outcome::Skipped,
                _ => {}
            }
        }
        cases.push(TestCase {
            classname: case.attribute("classname").unwrap_or("").to_owned(),
            name: name.to_owned(),
            file: case.attribute("file").map(str::to_owned),
            line: case.attribute("line").and_then(|l| l.parse().ok()),
            outcome,
            row,
        });
    }
    Ok(cases)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_and_names() {
        let cases = parse(
            r#"<testsuites><testsuite name="pytest">
            <testcase classname="tests.test_a" name="test_ok"/>
            <testcase classname="tests.test_a.TestB" name="test_p[1-2]"><failure message="AssertionError: assert 1 == 2&#10;more">trace</failure></testcase>
            <testcase classname="tests.test_a" name="test_e" file="tests/test_a.py" line="9"><error message="fixture 'db' not found"/></testcase>
            <testcase classname="tests.test_a" name="test_s"><skipped message="later"/></testcase>
            </testsuite></testsuites>"#,
        )
        .unwrap();
        assert_eq!(cases.len(), 4);
        assert_eq!(cases[0].outcome, Outcome::Passed);
        assert_eq!(
            cases[1].outcome,
            Outcome::Failed("AssertionError: assert 1 == 2".into())
        );
        assert_eq!(cases[1].function(), "test_p");
        assert_eq!(cases[1].id(), "tests.test_a.TestB::test_p[1-2]");
        assert_eq!(
            cases[2].outcome,
            Outcome::Errored("fixture 'db' not found".into())
        );
        assert_eq!(
            (cases[2].file.as_deref(), cases[2].line),
            (Some("tests/test_a.py"), Some(9))
        );
        assert_eq!(cases[3].outcome, Outcome::Skipped);
    }

    #[test]
    fn bad_reports() {
        assert!(parse("<testsuites><testsuite>")
            .unwrap_err()
            .starts_with("malformed XML"));
        assert!(parse("<coverage/>").unwrap_err().contains("not a JUnit"));
        assert!(parse("<testsuite><testcase/></testsuite>")
            .unwrap_err()
            .contains("without a `name`"));
    }
}
