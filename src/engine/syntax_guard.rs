//! The pre-parse guard: files tree-sitter-python's scanner cannot take safely.

use std::ops::Range;

use super::syntax::MAX_INDENT_DEPTH;

/// tree-sitter-python's scanner saves its indentation stack (2 bytes a level)
/// after at most 255 string delimiters in a 1,024-byte buffer, and overruns it
/// past ~383 levels. Its stack only ever holds distinct, increasing widths,
/// so a file whose lines start at no more than this many distinct widths can
/// never reach it.
const SCANNER_SAFE_WIDTHS: usize = 383;

/// Checked before the parse: a file the parser's scanner cannot take safely
/// (more distinct indentation widths than its state can hold) is refused
/// with CPython's wording when it is also nested past CPython's limit, and
/// with the plain reason otherwise; either way it never reaches the scanner.
/// Widths are counted as the scanner counts them (space 1, tab 8, form feed
/// and carriage return reset, 16-bit), over every line that is not blank.
pub fn indentation_guard(source: &str) -> Option<(Range<usize>, String)> {
    let bytes = source.as_bytes();
    let mut seen = vec![0u64; 1024]; // one bit per u16 width
    let mut distinct = 0usize;
    let mut stack: Vec<u16> = vec![0];
    let mut too_deep: Option<usize> = None;
    let mut first_over: Option<usize> = None;
    let mut start = 0usize;
    while start < bytes.len() {
        let end = memchr::memchr(b'\n', &bytes[start..]).map_or(bytes.len(), |i| start + i);
        let mut width: u16 = 0;
        let mut i = start;
        while i < end {
            match bytes[i] {
                b' ' => width = width.wrapping_add(1),
                b'\t' => width = width.wrapping_add(8),
                b'\r' | b'\x0c' => width = 0,
                _ => break,
            }
            i += 1;
        }
        if i < end {
            let (word, bit) = (usize::from(width) / 64, usize::from(width) % 64);
            if seen[word] & (1 << bit) == 0 {
                seen[word] |= 1 << bit;
                distinct += 1;
                if distinct > SCANNER_SAFE_WIDTHS && first_over.is_none() {
                    first_over = Some(i);
                }
            }
            while stack.last().is_some_and(|top| *top > width) {
                stack.pop();
            }
            if stack.last().is_none_or(|top| *top < width) {
                stack.push(width);
                if stack.len() > MAX_INDENT_DEPTH && too_deep.is_none() {
                    too_deep = Some(i);
                }
            }
        }
        start = end + 1;
    }
    let over = first_over?;
    Some(match too_deep {
        Some(at) => (
            at..at,
            format!(
                "syntax error: too many levels of indentation (Python allows at most {})",
                MAX_INDENT_DEPTH - 1
            ),
        ),
        None => (
            over..over,
            format!(
                "lines start at more than {SCANNER_SAFE_WIDTHS} different indentation widths; the parser cannot take this file safely"
            ),
        ),
    })
}
