//! Turning a file's bytes into text the way CPython would: UTF-8 by default,
//! a PEP 263 coding cookie when present, a UTF-8 BOM stripped, NUL bytes refused.

/// Why a file's bytes are not Python source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset in the raw file of the offending byte (0 when not known).
    pub offset: usize,
    pub message: String,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decode `bytes` into a `String`. The BOM is dropped so that columns on the
/// first line match what an editor shows.
pub fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    let (bytes, had_bom) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        return Err(DecodeError {
            offset: nul,
            message: format!(
                "file contains a NUL byte at {}; it looks binary, not Python source",
                describe_offset(bytes, nul)
            ),
        });
    }
    let cookie = coding_cookie(bytes);
    match cookie.as_deref().map(normalize_encoding) {
        None => decode_utf8(bytes),
        Some(enc) if had_bom && !is_utf8_name(&enc) => Err(DecodeError {
            offset: 0,
            message: format!("file starts with a UTF-8 BOM but declares encoding `{enc}`"),
        }),
        Some(enc) if is_utf8_name(&enc) => decode_utf8(bytes),
        Some(enc) if is_latin1_name(&enc) => Ok(bytes.iter().map(|&b| b as char).collect()),
        Some(enc) if enc == "ascii" || enc == "us-ascii" => {
            match bytes.iter().position(|b| !b.is_ascii()) {
                None => Ok(bytes.iter().map(|&b| b as char).collect()),
                Some(bad) => Err(DecodeError {
                    offset: bad,
                    message: format!(
                    "byte 0x{:02x} at {} is not valid ASCII (the file declares `coding: {enc}`)",
                    bytes[bad],
                    describe_offset(bytes, bad)
                ),
                }),
            }
        }
        Some(enc) => match encoding_rs::Encoding::for_label(enc.as_bytes()) {
            None => Err(DecodeError {
                offset: 0,
                message: format!("unknown encoding `{enc}` in the coding declaration"),
            }),
            Some(encoding) => {
                let (text, had_errors) = encoding.decode_without_bom_handling(bytes);
                if had_errors {
                    Err(DecodeError {
                        offset: 0,
                        message: format!(
                            "file is not valid `{enc}` as its coding declaration says"
                        ),
                    })
                } else {
                    Ok(text.into_owned())
                }
            }
        },
    }
}

fn decode_utf8(bytes: &[u8]) -> Result<String, DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(err) => {
            let offset = err.valid_up_to();
            Err(DecodeError {
                offset,
                message: format!(
                    "not valid UTF-8: byte 0x{:02x} at {} (declare the encoding with a `# -*- coding: ... -*-` line or re-save the file as UTF-8)",
                    bytes[offset],
                    describe_offset(bytes, offset)
                ),
            })
        }
    }
}

fn describe_offset(bytes: &[u8], offset: usize) -> String {
    let before = &bytes[..offset];
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    format!("line {line}, column {}", offset - line_start + 1)
}

/// The encoding named by a PEP 263 cookie on line 1, or on line 2 when line 1
/// is a comment or blank.
fn coding_cookie(bytes: &[u8]) -> Option<String> {
    let mut lines = bytes.split(|&b| b == b'\n');
    let first = lines.next()?;
    if let Some(enc) = cookie_in_line(first) {
        return Some(enc);
    }
    let first_trimmed = trim_ascii_start(first);
    if !(first_trimmed.is_empty() || first_trimmed.starts_with(b"#") || first_trimmed == b"\r") {
        return None;
    }
    cookie_in_line(lines.next()?)
}

fn trim_ascii_start(line: &[u8]) -> &[u8] {
    let start = line
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t' | b'\x0c'))
        .unwrap_or(line.len());
    &line[start..]
}

/// Matches `^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)` from PEP 263.
fn cookie_in_line(line: &[u8]) -> Option<String> {
    let line = trim_ascii_start(line);
    if !line.starts_with(b"#") {
        return None;
    }
    let mut search = line;
    while let Some(pos) = find(search, b"coding") {
        let rest = &search[pos + 6..];
        if let Some((&sep, tail)) = rest.split_first() {
            if sep == b':' || sep == b'=' {
                let tail = &tail[tail
                    .iter()
                    .position(|b| !matches!(b, b' ' | b'\t'))
                    .unwrap_or(tail.len())..];
                let name: Vec<u8> = tail
                    .iter()
                    .copied()
                    .take_while(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
                    .collect();
                if !name.is_empty() {
                    return String::from_utf8(name).ok();
                }
            }
        }
        search = rest;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn normalize_encoding(name: &str) -> String {
    name.to_ascii_lowercase().replace('_', "-")
}

fn is_utf8_name(enc: &str) -> bool {
    matches!(enc, "utf-8" | "utf8" | "utf-8-sig" | "u8" | "utf") || enc.starts_with("utf-8-")
}

fn is_latin1_name(enc: &str) -> bool {
    matches!(
        enc,
        "latin-1" | "latin1" | "iso-8859-1" | "iso8859-1" | "8859" | "cp819" | "l1" | "latin"
    ) || enc.starts_with("latin-1-")
        || enc.starts_with("iso-8859-1-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn honours_latin1_cookie() {
        let bytes = b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\n";
        assert_eq!(
            decode(bytes).unwrap(),
            "# -*- coding: latin-1 -*-\nname = 'été'\n"
        );
    }

    #[test]
    fn cookie_on_second_line_only_after_comment() {
        let bytes = b"#!/usr/bin/env python\n# vim: set fileencoding=cp1252 :\nx = '\x80'\n";
        assert!(decode(bytes).unwrap().contains("x = '€'"));
        let bytes = b"x = 1\n# coding: latin-1\ny = '\xe9'\n";
        assert!(decode(bytes).unwrap_err().message.contains("line 3"));
    }

    #[test]
    fn rejects_invalid_utf8_with_position() {
        let err = decode(b"a = 1\nb = '\xff'\n").unwrap_err();
        assert!(err.message.contains("line 2, column 6"), "{}", err.message);
    }

    #[test]
    fn strips_bom_and_refuses_nul() {
        assert_eq!(decode(b"\xEF\xBB\xBFx = 1\n").unwrap(), "x = 1\n");
        assert!(decode(b"x = 1\0\n").unwrap_err().message.contains("NUL"));
    }

    #[test]
    fn unknown_encoding_is_reported() {
        let err = decode(b"# coding: klingon\nx = 1\n").unwrap_err();
        assert!(err.message.contains("klingon"));
    }
}
