//! Rules the engine reports itself while reading and parsing a file.

use super::{Family, RuleMeta};
use crate::diagnostic::Severity;

pub const SYNTAX_ERROR: RuleMeta = RuleMeta {
    code: "SYN001",
    name: "syntax-error",
    family: Family::Syntax,
    severity: Severity::Blocker,
    fixable: false,
    summary: "The file does not parse as Python 3 or is not valid source text",
    help: "fix the syntax (fortress parses Python 3 only) or save the file as UTF-8",
    doc: include_str!("../../rules/SYN001.md"),
    security_severity: None,
};

pub const IO_ERROR: RuleMeta = RuleMeta {
    code: "SYN002",
    name: "unreadable-file",
    family: Family::Syntax,
    severity: Severity::Warning,
    fixable: false,
    summary: "A Python file was found but could not be read, so it was not checked",
    help: "check the file's permissions or remove the broken link",
    doc: include_str!("../../rules/SYN002.md"),
    security_severity: None,
};
