//! Findings as rules report them (byte spans) and diagnostics as reporters
//! print them (resolved, 1-based line/column positions).

use std::fmt;
use std::ops::Range;

use serde::{Deserialize, Serialize};

/// How much a finding weighs in the gate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
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

/// Whether `--fix` applies a fix on its own or only with `--unsafe-fixes`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Applicability {
    /// The meaning of the code stays the same (`--fix`).
    Safe,
    /// The fix may change behaviour or needs a human to finish it (`--unsafe-fixes`).
    Unsafe,
}

/// One replacement: `range` (bytes of the decoded source) becomes `content`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Edit {
    pub range: Range<usize>,
    pub content: String,
}

/// How to fix a finding: edits that apply together, never overlapping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fix {
    pub applicability: Applicability,
    /// Sorted by start, disjoint.
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn safe(edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Safe, edits)
    }

    pub fn unsafe_edits(edits: Vec<Edit>) -> Fix {
        Fix::new(Applicability::Unsafe, edits)
    }

    fn new(applicability: Applicability, mut edits: Vec<Edit>) -> Fix {
        edits.sort_by_key(|e| (e.range.start, e.range.end));
        Fix {
            applicability,
            edits,
        }
    }

    /// The bytes the edits touch, from the first start to the last end.
    pub fn extent(&self) -> Range<usize> {
        let start = self.edits.iter().map(|e| e.range.start).min().unwrap_or(0);
        let end = self
            .edits
            .iter()
            .map(|e| e.range.end)
            .max()
            .unwrap_or(start);
        start..end
    }
}

/// What a rule reports: a code, a byte span in the (decoded) source and a
/// message, and how to fix it when the rule knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub code: &'static str,
    pub span: Range<usize>,
    pub message: String,
    pub fix: Option<Fix>,
}

/// Most characters a diagnostic message may hold. Messages are built from
/// project data (module names, quoted source, paths); whatever a rule builds,
/// a report never carries a megabyte message.
pub const MAX_MESSAGE_CHARS: usize = 2_000;

/// `message` cut to [`MAX_MESSAGE_CHARS`] characters at a character boundary,
/// the last one replaced by `…` when anything was cut.
pub fn cap_message(mut message: String) -> String {
    // Bytes bound characters: most messages leave here without a count.
    if message.len() <= MAX_MESSAGE_CHARS {
        return message;
    }
    if let Some((cut, _)) = message.char_indices().nth(MAX_MESSAGE_CHARS - 1) {
        if message[cut..].chars().nth(1).is_some() {
            message.truncate(cut);
            message.push('…');
        }
    }
    message
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A finding placed in a file, ready for the gate and the reporters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Diagnostic {
    #[serde(with = "interned")]
    pub code: interned::Static,
    #[serde(with = "interned")]
    pub name: interned::Static,
    pub severity: Severity,
    /// Index of the file in the run's file table.
    pub file: usize,
    pub span: Range<usize>,
    pub start: Position,
    pub end: Position,
    pub message: String,
    /// How `--fix` would fix it (edits in the file's decoded source).
    pub fix: Option<Fix>,
}

/// `span` clamped to `source` and moved back onto character boundaries
/// (a finding's span may come from another version of the text).
pub fn char_span(source: &str, span: &std::ops::Range<usize>) -> std::ops::Range<usize> {
    let floor = |mut at: usize| {
        at = at.min(source.len());
        while !source.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    let start = floor(span.start);
    start..floor(span.end).max(start)
}

/// Byte offset -> (line, character column) for one source text.
#[derive(Debug, Clone)]
pub struct LineIndex {
    line_starts: Vec<usize>,
    /// The whole text is ASCII: a column is a byte difference.
    ascii: bool,
    /// Characters before each multiple of [`CHECKPOINT`] bytes (non-ASCII
    /// text only), so a column costs O(CHECKPOINT) even on a 2 MB line with
    /// thousands of findings, instead of a scan from the start of the line.
    checkpoints: Vec<usize>,
}

const CHECKPOINT: usize = 4096;

/// The index of the empty text (one line), e.g. for a file that could not be read.
impl Default for LineIndex {
    fn default() -> Self {
        LineIndex::new("")
    }
}

/// A byte that starts a character (is not a UTF-8 continuation byte).
#[inline]
fn starts_char(b: u8) -> bool {
    (b as i8) >= -0x40
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let bytes = source.as_bytes();
        let mut line_starts = Vec::with_capacity(bytes.len() / 32 + 1);
        line_starts.push(0);
        line_starts.extend(memchr::memchr_iter(b'\n', bytes).map(|i| i + 1));
        let ascii = bytes.is_ascii();
        let mut checkpoints = Vec::new();
        if !ascii {
            checkpoints.reserve(bytes.len() / CHECKPOINT + 1);
            let mut chars = 0;
            for chunk in bytes.chunks(CHECKPOINT) {
                checkpoints.push(chars);
                chars += chunk.iter().filter(|&&b| starts_char(b)).count();
            }
        }
        LineIndex {
            line_starts,
            ascii,
            checkpoints,
        }
    }

    /// Characters in `source[..offset]` (`offset` on a char boundary).
    fn chars_before(&self, offset: usize, source: &str) -> usize {
        let bytes = source.as_bytes();
        let offset = offset.min(bytes.len());
        let block = offset / CHECKPOINT;
        match self.checkpoints.get(block) {
            Some(&before) => {
                before
                    + bytes[block * CHECKPOINT..offset]
                        .iter()
                        .filter(|&&b| starts_char(b))
                        .count()
            }
            None => bytes[..offset].iter().filter(|&&b| starts_char(b)).count(),
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// 0-based line holding `offset`.
    pub fn line_of(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(line) => line,
            // Every index holds line 0 at offset 0; saturate anyway rather than panic.
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
        let mut offset = offset.min(source.len());
        while !source.is_char_boundary(offset) {
            offset -= 1;
        }
        let line = self.line_of(offset);
        let start = self.line_start(line).min(offset);
        let column = if self.ascii {
            offset - start
        } else if self.checkpoints.is_empty() || offset - start < CHECKPOINT {
            source.get(start..offset).map_or(0, |p| p.chars().count())
        } else {
            self.chars_before(offset, source) - self.chars_before(start, source)
        };
        Position {
            line: line as u32 + 1,
            column: column as u32 + 1,
        }
    }
}

/// `&'static str` fields (rule codes and names, route methods) through
/// serde: written as strings, read back as the one static string of that
/// text registered with [`interned::register`]. A string nobody registered
/// is an error, so a cache entry naming a rule this binary does not know is
/// rejected (and recomputed), never turned into a new rule code.
pub mod interned {
    use std::collections::HashSet;
    use std::sync::RwLock;

    use serde::{Deserialize, Deserializer, Serializer};

    /// `&'static str` under another name: serde's derive would take a field
    /// written `&'static str` as borrowed from the input (and then only
    /// deserialize from `'static` data); through this alias it does not.
    pub type Static = &'static str;

    /// FNV-1a: the words are short and few, and every cached finding
    /// looks up two of them (SipHash was a tenth of a warm run's decoding).
    #[derive(Default)]
    struct Fnv(u64);

    impl std::hash::Hasher for Fnv {
        fn finish(&self) -> u64 {
            self.0
        }

        fn write(&mut self, bytes: &[u8]) {
            let mut h = if self.0 == 0 {
                0xcbf2_9ce4_8422_2325
            } else {
                self.0
            };
            for b in bytes {
                h = (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3);
            }
            self.0 = h;
        }
    }

    type Words = HashSet<&'static str, std::hash::BuildHasherDefault<Fnv>>;

    static KNOWN: RwLock<Option<Words>> = RwLock::new(None);

    /// Makes `words` readable back as themselves.
    pub fn register(words: impl IntoIterator<Item = &'static str>) {
        let mut known = KNOWN.write().unwrap_or_else(|e| e.into_inner());
        known.get_or_insert_with(Words::default).extend(words);
    }

    /// The registered static string equal to `text`.
    pub fn lookup(text: &str) -> Option<&'static str> {
        let known = KNOWN.read().unwrap_or_else(|e| e.into_inner());
        known.as_ref()?.get(text).copied()
    }

    fn known<E: serde::de::Error>(text: &str) -> Result<&'static str, E> {
        lookup(text).ok_or_else(|| E::custom(format_args!("unknown name `{text}`")))
    }

    /// A registered word, read back without a copy of its text.
    struct Word(&'static str);

    impl<'de> Deserialize<'de> for Word {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Word, D::Error> {
            struct Visitor;
            impl serde::de::Visitor<'_> for Visitor {
                type Value = Word;

                fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                    f.write_str("a registered name")
                }

                fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Word, E> {
                    known(text).map(Word)
                }
            }
            d.deserialize_str(Visitor)
        }
    }

    pub fn serialize<S: Serializer>(value: &&'static str, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(value)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static str, D::Error> {
        Word::deserialize(d).map(|w| w.0)
    }

    /// A list of them (`#[serde(with = "interned::list")]`).
    pub mod list {
        use super::*;

        pub fn serialize<S: Serializer>(values: &[&'static str], s: S) -> Result<S::Ok, S::Error> {
            s.collect_seq(values.iter())
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<&'static str>, D::Error> {
            let words = <Vec<Word>>::deserialize(d)?;
            Ok(words.into_iter().map(|w| w.0).collect())
        }
    }

    /// A `(String, &'static str)` pair list (`#[serde(with = "interned::pairs")]`).
    pub mod pairs {
        use super::*;

        pub fn serialize<S: Serializer>(
            values: &[(String, &'static str)],
            s: S,
        ) -> Result<S::Ok, S::Error> {
            s.collect_seq(values.iter())
        }

        pub fn deserialize<'de, D: Deserializer<'de>, C: FromIterator<(String, &'static str)>>(
            d: D,
        ) -> Result<C, D::Error> {
            let pairs = <Vec<(String, Word)>>::deserialize(d)?;
            Ok(pairs.into_iter().map(|(a, b)| (a, b.0)).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_capped_at_a_char_boundary() {
        let short = "é".repeat(MAX_MESSAGE_CHARS);
        assert_eq!(cap_message(short.clone()), short);
        let long = format!("{short}x");
        let capped = cap_message(long);
        assert_eq!(capped.chars().count(), MAX_MESSAGE_CHARS);
        assert!(capped.ends_with("é…"));
        let huge = cap_message("ab".repeat(500_000));
        assert_eq!(huge.chars().count(), MAX_MESSAGE_CHARS);
        assert!(huge.starts_with("abab") && huge.ends_with('…'));
        assert_eq!(cap_message(String::new()), "");
    }

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
    fn empty_index_resolves_offsets() {
        let idx = LineIndex::default();
        assert_eq!(idx.position(0, ""), Position { line: 1, column: 1 });
        assert_eq!(idx.position(10, ""), Position { line: 1, column: 1 });
    }

    #[test]
    fn columns_on_long_non_ascii_lines_use_checkpoints() {
        let src = format!("é{}x = 1\n{}y", "a".repeat(10_000), "ü".repeat(9_000));
        let idx = LineIndex::new(&src);
        let x = src.find('x').unwrap();
        assert_eq!(
            idx.position(x, &src),
            Position {
                line: 1,
                column: 10_002
            }
        );
        let y = src.find('y').unwrap();
        assert_eq!(
            idx.position(y, &src),
            Position {
                line: 2,
                column: 9_001
            }
        );
        // Not on a char boundary: clamped to the start of the character.
        assert_eq!(idx.position(1, &src), Position { line: 1, column: 1 });
    }
}
