//! `--format github`: GitHub Actions workflow commands, one per finding.

use std::fmt::Write;

use super::Report;
use crate::diagnostic::Severity;

pub fn render(report: &Report<'_>) -> Vec<u8> {
    let mut out = String::new();
    for d in &report.result.diagnostics {
        let command = match d.severity {
            Severity::Blocker => "error",
            Severity::Warning => "warning",
            Severity::Info => "notice",
        };
        let _ = writeln!(
            out,
            "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            property(report.path(d.file)),
            d.start.line,
            d.start.column,
            d.end.line,
            d.end.column,
            property(&format!("{} {}", d.code, d.name)),
            data(&d.message)
        );
    }
    for e in &report.result.walk_errors {
        let _ = writeln!(
            out,
            "::warning file={}::{}",
            property(&e.path),
            data(&e.message)
        );
    }
    out.into_bytes()
}

/// Escaping of a workflow command's message.
fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a workflow command's property value.
fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    #[test]
    fn escapes() {
        assert_eq!(super::property("a,b:c%"), "a%2Cb%3Ac%25");
        assert_eq!(super::data("x\ny:z"), "x%0Ay:z");
    }
}
