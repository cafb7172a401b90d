//! Turning a file's bytes into text the way CPython would: UTF-8 by default,
//! a PEP 263 coding cookie when present, a UTF-8 BOM stripped, NUL bytes
//! refused, and lone carriage returns read as line breaks.

/// Why a file's bytes are not Python source text, with a best-effort text of
/// the file so the problem can still be shown in context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError {
    /// Byte offset in the raw file (after any BOM) of the offending byte.
    pub offset: usize,
    pub message: String,
    /// The file decoded with replacement characters, line breaks normalised
    /// like a successful decode.
    pub display: String,
    /// Byte offset in `display` of the offending spot (a char boundary).
    pub display_offset: usize,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Decode `bytes` into a `String`. The BOM is dropped so that columns on the
/// first line match what an editor shows.
pub fn decode(bytes: &[u8]) -> Result<String, DecodeError> {
    decode_raw(bytes).map(normalize_newlines)
}

/// [`decode`] of bytes the caller owns: plain UTF-8 (no BOM, no NUL, no
/// cookie naming another encoding) becomes the text without a copy.
pub fn decode_vec(bytes: Vec<u8>) -> Result<String, DecodeError> {
    let plain = !bytes.starts_with(UTF8_BOM)
        && wide_unicode_bom(&bytes).is_none()
        && memchr::memchr(0, &bytes).is_none()
        && coding_cookie(&bytes).is_none_or(|c| is_utf8_name(&normalize_encoding(&c)));
    if !plain {
        return decode(&bytes);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(normalize_newlines(text)),
        Err(err) => decode(err.as_bytes()),
    }
}

fn decode_raw(bytes: &[u8]) -> Result<String, DecodeError> {
    if let Some(name) = wide_unicode_bom(bytes) {
        return Err(utf8_display_error(
            bytes,
            0,
            format!(
                "file is {name} (it starts with a {name} byte order mark); Python source must be UTF-8 or an ASCII-compatible encoding"
            ),
        ));
    }
    let (bytes, had_bom) = match bytes.strip_prefix(UTF8_BOM) {
        Some(rest) => (rest, true),
        None => (bytes, false),
    };
    if let Some(nul) = bytes.iter().position(|&b| b == 0) {
        let message = format!(
            "file contains a NUL byte at {}; it looks binary, not Python source",
            describe_offset(bytes, nul)
        );
        return Err(utf8_display_error(bytes, nul, message));
    }
    let cookie = coding_cookie(bytes);
    match cookie.as_deref().map(normalize_encoding) {
        None => decode_utf8(bytes),
        // CPython only takes the exact spelling `utf-8` (or `utf-8-...`) with a BOM.
        Some(enc) if had_bom && !(enc == "utf-8" || enc.starts_with("utf-8-")) => {
            Err(utf8_display_error(
                bytes,
                0,
                format!("file starts with a UTF-8 BOM but declares encoding `{enc}`; with a BOM the declaration must say `utf-8`"),
            ))
        }
        Some(enc) if is_utf8_name(&enc) => decode_utf8(bytes),
        Some(enc) if is_latin1_name(&enc) => Ok(bytes.iter().map(|&b| b as char).collect()),
        Some(enc) if enc == "ascii" || enc == "us-ascii" => {
            match bytes.iter().position(|b| !b.is_ascii()) {
                None => Ok(bytes.iter().map(|&b| b as char).collect()),
                Some(bad) => {
                    let message = format!(
                        "byte 0x{:02x} at {} is not valid ASCII (the file declares `coding: {enc}`)",
                        bytes[bad],
                        describe_offset(bytes, bad)
                    );
                    Err(utf8_display_error(bytes, bad, message))
                }
            }
        }
        Some(enc) => decode_with_label(bytes, &enc),
    }
}

/// A coding cookie naming anything but UTF-8, Latin-1 or ASCII: decoded with
/// the WHATWG encoding of that label, when there is one and it is
/// ASCII-compatible (a cookie can only be read in an ASCII-compatible file).
fn decode_with_label(bytes: &[u8], enc: &str) -> Result<String, DecodeError> {
    let label = python_alias(enc);
    let encoding = match encoding_rs::Encoding::for_label(label.as_bytes()) {
        Some(encoding) if encoding.is_ascii_compatible() => encoding,
        Some(_) => {
            return Err(utf8_display_error(
                bytes,
                0,
                format!("encoding `{enc}` in the coding declaration is not ASCII-compatible, so it cannot be declared in the file itself; re-save the file as UTF-8"),
            ))
        }
        None => {
            return Err(utf8_display_error(
                bytes,
                0,
                format!("unknown or unsupported encoding `{enc}` in the coding declaration; re-save the file as UTF-8"),
            ))
        }
    };
    // WHATWG windows-1252 maps the five bytes Python's cp1252 leaves undefined
    // to C1 controls; CPython refuses them, and so do we.
    let undefined_in_cp1252 = |b: &u8| matches!(b, 0x81 | 0x8d | 0x8f | 0x90 | 0x9d);
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len().saturating_mul(3));
    let mut text = String::with_capacity(capacity);
    let (result, read) = decoder.decode_to_string_without_replacement(bytes, &mut text, true);
    let bad = match result {
        encoding_rs::DecoderResult::InputEmpty => None,
        encoding_rs::DecoderResult::Malformed(len, consumed) => {
            Some(read.saturating_sub(len as usize + consumed as usize))
        }
        // Cannot happen with a buffer of the maximum length; treat as an error at the end.
        encoding_rs::DecoderResult::OutputFull => Some(read),
    };
    let bad = if encoding == encoding_rs::WINDOWS_1252 {
        let undefined = bytes.iter().position(undefined_in_cp1252);
        match (bad, undefined) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    } else {
        bad
    };
    let Some(bad) = bad else {
        return Ok(text);
    };
    let (display, _) = encoding.decode_without_bom_handling(bytes);
    let (prefix, _) = encoding.decode_without_bom_handling(&bytes[..bad.min(bytes.len())]);
    let message = format!(
        "byte 0x{:02x} at {} is not valid `{enc}` as the file's coding declaration says",
        bytes.get(bad).copied().unwrap_or(0),
        describe_offset(bytes, bad)
    );
    Err(display_error(
        bad,
        message,
        display.into_owned(),
        prefix.len(),
    ))
}

/// Python codec names that the WHATWG label table spells differently.
fn python_alias(enc: &str) -> &str {
    match enc {
        "mac-roman" | "macroman" | "mac-latin2" => "macintosh",
        "cp936" | "ms936" => "gbk",
        "cp932" | "ms932" | "mskanji" | "ms-kanji" | "sjis" | "s-jis" => "shift_jis",
        "cp949" | "ms949" | "uhc" => "euc-kr",
        "cp950" | "ms950" => "big5",
        "eucjp" | "ujis" | "u-jis" => "euc-jp",
        "euckr" => "euc-kr",
        other => other,
    }
}

fn wide_unicode_bom(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"\xFF\xFE\0\0") || bytes.starts_with(b"\0\0\xFE\xFF") {
        Some("UTF-32")
    } else if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        Some("UTF-16")
    } else {
        None
    }
}

fn display_error(
    offset: usize,
    message: String,
    display: String,
    display_offset: usize,
) -> DecodeError {
    let display = normalize_newlines(display);
    let display_offset = floor_char_boundary(&display, display_offset);
    DecodeError {
        offset,
        message,
        display,
        display_offset,
    }
}

/// An error in a file shown as (lossy) UTF-8. `offset` must be at a byte that
/// cannot continue a multi-byte sequence started before it (ASCII, or the
/// first invalid byte), so the lossy prefix is a prefix of the lossy whole.
fn utf8_display_error(bytes: &[u8], offset: usize, message: String) -> DecodeError {
    let offset = offset.min(bytes.len());
    let display_offset = String::from_utf8_lossy(&bytes[..offset]).len();
    let display = String::from_utf8_lossy(bytes).into_owned();
    display_error(offset, message, display, display_offset)
}

fn floor_char_boundary(s: &str, mut at: usize) -> usize {
    at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// CPython reads source with universal newlines: a lone `\r` ends a line.
/// Tree-sitter and our line index only know `\n`, so turn lone `\r` into `\n`;
/// both are one byte, so every offset stays valid.
fn normalize_newlines(text: String) -> String {
    if !text.as_bytes().contains(&b'\r') {
        return text;
    }
    let mut bytes = text.into_bytes();
    let mut from = 0;
    while let Some(pos) = bytes[from..].iter().position(|&b| b == b'\r') {
        let at = from + pos;
        if bytes.get(at + 1) != Some(&b'\n') {
            bytes[at] = b'\n';
        }
        from = at + 1;
    }
    // Only ASCII bytes were replaced by ASCII bytes.
    String::from_utf8(bytes).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

fn decode_utf8(bytes: &[u8]) -> Result<String, DecodeError> {
    match std::str::from_utf8(bytes) {
        Ok(text) => Ok(text.to_owned()),
        Err(err) => {
            let offset = err.valid_up_to();
            let message = format!(
                "not valid UTF-8: byte 0x{:02x} at {} (declare the encoding with a `# -*- coding: ... -*-` line or re-save the file as UTF-8)",
                bytes[offset],
                describe_offset(bytes, offset)
            );
            Err(utf8_display_error(bytes, offset, message))
        }
    }
}

/// `line L, column C` of a byte offset, 1-based, lines broken at `\n`, `\r\n`
/// or a lone `\r` (as CPython reads them), the column counted in characters
/// of the line read as (lossy) UTF-8.
fn describe_offset(bytes: &[u8], offset: usize) -> String {
    let offset = offset.min(bytes.len());
    let before = &bytes[..offset];
    let mut line = 1;
    let mut line_start = 0;
    for (i, &b) in before.iter().enumerate() {
        let breaks = b == b'\n' || (b == b'\r' && bytes.get(i + 1) != Some(&b'\n'));
        if breaks {
            line += 1;
            line_start = i + 1;
        }
    }
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    format!("line {line}, column {}", column + 1)
}

/// The encoding named by a PEP 263 cookie on line 1, or on line 2 when line 1
/// is a comment or blank.
fn coding_cookie(bytes: &[u8]) -> Option<String> {
    let (first, rest) = split_first_line(bytes);
    if let Some(enc) = cookie_in_line(first) {
        return Some(enc);
    }
    let first_trimmed = trim_ascii_start(first);
    if !(first_trimmed.is_empty() || first_trimmed.starts_with(b"#")) {
        return None;
    }
    let (second, _) = split_first_line(rest?);
    cookie_in_line(second)
}

/// The first line (without its `\n`, `\r\n` or `\r`) and what follows it, if anything.
fn split_first_line(bytes: &[u8]) -> (&[u8], Option<&[u8]>) {
    match bytes.iter().position(|&b| b == b'\n' || b == b'\r') {
        None => (bytes, None),
        Some(end) => {
            let next = if bytes[end..].starts_with(b"\r\n") {
                end + 2
            } else {
                end + 1
            };
            (&bytes[..end], Some(&bytes[next..]))
        }
    }
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
    fn decode_vec_reads_like_decode() {
        let cases: &[&[u8]] = &[
            b"x = 1\n",
            b"x = 1\r\ny = 2\rz = 3\n",
            b"\xEF\xBB\xBFx = 1\n",
            b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
            b"# coding: utf-8\nx = '\xc3\xa9'\n",
            b"x = '\xff'\n",
            b"x = 1\0\n",
            b"\xFF\xFEx\x00",
            b"",
        ];
        for bytes in cases {
            assert_eq!(decode_vec(bytes.to_vec()), decode(bytes), "{bytes:?}");
        }
    }

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
    fn lone_carriage_returns_become_line_feeds() {
        assert_eq!(
            decode(b"a = 1\rb = 2\r\nc = 3\r").unwrap(),
            "a = 1\nb = 2\r\nc = 3\n"
        );
        let err = decode(b"a = 1\rb = '\xff'\n").unwrap_err();
        assert!(err.message.contains("line 2, column 6"), "{}", err.message);
        assert_eq!(&err.display[..6], "a = 1\n");
    }

    #[test]
    fn error_columns_count_characters_and_point_into_the_display_text() {
        let err = decode(
            "é = 1; ü = '"
                .bytes()
                .chain([0xff, b'\''])
                .collect::<Vec<u8>>()
                .as_slice(),
        )
        .unwrap_err();
        assert!(err.message.contains("line 1, column 13"), "{}", err.message);
        assert_eq!(err.display[..err.display_offset].chars().count(), 12);
        assert!(err.display[err.display_offset..].starts_with('\u{FFFD}'));
    }

    #[test]
    fn cookie_encodings_report_the_bad_byte() {
        let err = decode(b"# coding: cp1252\ns = '\x81'\n").unwrap_err();
        assert!(err.message.contains("line 2, column 6"), "{}", err.message);
        assert_eq!(err.display_offset, "# coding: cp1252\ns = '".len());
        let err = decode(b"# coding: euc-jp\ns = '\xff\xff'\n").unwrap_err();
        assert!(err.message.contains("euc-jp"), "{}", err.message);
        assert!(decode(b"# coding: shift_jis\ns = '\x82\xa0'\n")
            .unwrap()
            .contains('あ'));
    }

    #[test]
    fn wide_encodings_are_refused() {
        assert!(decode(b"\xff\xfex\x00")
            .unwrap_err()
            .message
            .contains("UTF-16"));
        assert!(decode(b"\xff\xfe\x00\x00x\x00\x00\x00")
            .unwrap_err()
            .message
            .contains("UTF-32"));
        let err = decode(b"# coding: utf-16\nx = 1\n").unwrap_err();
        assert!(err.message.contains("ASCII-compatible"), "{}", err.message);
    }

    #[test]
    fn bom_requires_the_exact_utf8_spelling() {
        assert!(decode(b"\xEF\xBB\xBF# coding: utf-8\nx = 1\n").is_ok());
        assert!(decode(b"\xEF\xBB\xBF# coding: utf8\nx = 1\n").is_err());
        assert!(decode(b"# coding: utf8\nx = 1\n").is_ok());
    }

    #[test]
    fn unknown_encoding_is_reported() {
        let err = decode(b"# coding: klingon\nx = 1\n").unwrap_err();
        assert!(err.message.contains("klingon"));
    }
}
