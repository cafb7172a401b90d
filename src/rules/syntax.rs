//! Rules the engine reports itself while reading and parsing a file.

use super::{EngineRule, Family, RuleMeta};
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
    summary: "A Python path that is not a regular file inside the project (broken or escaping link, pipe, device, non-UTF-8 name)",
    help: "fix or remove the link, or exclude the path",
    doc: include_str!("../../rules/SYN002.md"),
    security_severity: None,
};

pub const UNCHECKED_FILE: RuleMeta = RuleMeta {
    code: "SYN003",
    name: "unchecked-file",
    family: Family::Syntax,
    severity: Severity::Blocker,
    fixable: false,
    summary: "A Python source file exists but could not be checked (too large, permission denied, read error)",
    help: "make the file readable, split it below `max-file-size`, or exclude it on purpose",
    doc: include_str!("../../rules/SYN003.md"),
    security_severity: None,
};

/// SYN001, reported by the engine's decode, guard and parse.
pub struct SyntaxError;
impl EngineRule for SyntaxError {
    const META: RuleMeta = SYNTAX_ERROR;
}

/// SYN002, reported by discovery for paths that are not regular project files.
pub struct UnreadableFile;
impl EngineRule for UnreadableFile {
    const META: RuleMeta = IO_ERROR;
}

/// SYN003, reported by the bounded reader for files it could not check.
pub struct UncheckedFile;
impl EngineRule for UncheckedFile {
    const META: RuleMeta = UNCHECKED_FILE;
}
