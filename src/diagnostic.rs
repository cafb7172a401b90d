//! Findings as rules report them (byte spans) and diagnostics as reporters
//! print them (resolved, 1-based line/column positions).

use std::fmt;
use std::ops::Range;

use serde::Serialize;

/// How much a finding weighs in the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Warning,
    Blocker,
}

impl Severity {
    pub const ALL: [Severity; 3] = [Severity::Blocker, Severity::Warning, Severity::Info];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Blocker => "blocker",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "blocker" => Some(Severity::Blocker),
            "warning" => Some(Severity::Warning),
            "info" => Some(Severity::Info),
            _ => None,
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule reports: a code, a byte span in the (decoded) source and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub span: Range<usize>,
    pub message: String,
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A finding placed in a file, ready for the gate and the reporters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    /// Index of the file in the run's file table.
    pub file: usize,
    pub span: Range<usize>,
    pub start: Position,
    pub end: Position,
    pub message: String,
}

/// Byte offset -> (line, character column) for one source text.
#[derive(Debug, Clone, Default)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let mut line_starts = Vec::with_capacity(source.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr_iter(b'\n', source.as_bytes()).map(|i| i + 1));
        LineIndex { line_starts }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            // A default (empty) index, as for unreadable files, holds no line start.
            Err(next) => next.saturating_sub(1),
        }
    }

    pub fn line_start(&self, line: usize) -> usize {
        self.line_starts.get(line).copied().unwrap_or(0)
    }

    /// Byte range of a 0-based line, without its line terminator.
    pub fn line_range(&self, line: usize, source: &str) -> Range<usize> {
        let start = self.line_start(line);
        let mut end = self
            .line_starts
            .get(line + 1)
            .copied()
            .unwrap_or(source.len());
        let bytes = source.as_bytes();
        if end > start && bytes.get(end - 1) == Some(&b'\n') {
            end -= 1;
        }
        if end > start && bytes.get(end - 1) == Some(&b'\r') {
            end -= 1;
        }
        start..end
    }

    pub fn position(&self, offset: usize, source: &str) -> Position {
        let offset = offset.min(source.len());
        let line = self.line_of(offset);
        let start = self.line_start(line);
        let prefix = source.get(start..offset).unwrap_or("");
        let column = if prefix.is_ascii() {
            prefix.len()
        } else {
            prefix.chars().count()
        };
        Position {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }
}

fn memchr_iter(needle: u8, haystack: &[u8]) -> impl Iterator<Item = usize> + '_ {
    haystack
        .iter()
        .enumerate()
        .filter_map(move |(i, b)| (*b == needle).then_some(i))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_characters_and_survive_crlf() {
        let src = "a = 1\r\nbé = 'x'\r\n";
        let idx = LineIndex::new(src);
        let quote = src.find('\'').unwrap();
        assert_eq!(idx.position(quote, src), Position { line: 2, column: 6 });
        assert_eq!(idx.line_range(0, src), 0..5);
        assert_eq!(idx.position(src.len(), src).line, 3);
    }

    #[test]
    fn empty_index_is_line_one() {
        let idx = LineIndex::default();
        assert_eq!(idx.position(0, ""), Position { line: 1, column: 1 });
    }
}
