//! SEC004's pass phrases: a secret written as a few plain words
//! (`"super secret jwt secret"`), told apart from messages and labels.

/// Words of messages and labels, never of a pass phrase.
const MESSAGE_WORDS: &[&str] = &[
    "a",
    "an",
    "the",
    "is",
    "are",
    "be",
    "not",
    "no",
    "your",
    "you",
    "please",
    "enter",
    "invalid",
    "incorrect",
    "wrong",
    "must",
    "required",
    "missing",
    "expired",
    "failed",
    "reset",
    "change",
    "new",
    "confirm",
    "forgot",
    "for",
    "of",
    "to",
    "in",
    "with",
    "and",
    "or",
    "if",
    "field",
    "value",
    "here",
    "placeholder",
    "example",
    "dummy",
    "fake",
    "test",
    "my",
    "our",
    "this",
];

/// A short phrase of plain words (`super secret jwt secret`), written as a
/// secret rather than a message: 2 to 6 words of letters, digits, `-`/`_`,
/// at least 10 characters, none of them a message word.
pub fn is_pass_phrase(value: &str) -> bool {
    let v = value.trim();
    let words: Vec<&str> = v.split(' ').collect();
    // `"Api Key"`, `"Reset Password"`: Title Case is a label.
    let title_case = words
        .iter()
        .all(|w| w.starts_with(|c: char| c.is_ascii_uppercase()));
    v.len() >= 10
        && !title_case
        && (2..=6).contains(&words.len())
        && words.iter().all(|w| {
            !w.is_empty()
                && w.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                && !MESSAGE_WORDS.contains(&w.to_ascii_lowercase().as_str())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_phrases() {
        assert!(is_pass_phrase("super secret jwt secret"));
        assert!(is_pass_phrase("correct horse battery staple"));
        assert!(!is_pass_phrase("Invalid password"));
        assert!(!is_pass_phrase("Enter your password"));
        assert!(!is_pass_phrase("Password reset"));
        assert!(!is_pass_phrase("secret"));
        assert!(!is_pass_phrase("Wrong token."));
        assert!(!is_pass_phrase("one two three four five six seven"));
        assert!(!is_pass_phrase("a  b"));
        assert!(!is_pass_phrase("My Password"));
        assert!(!is_pass_phrase("my api password"));
        assert!(!is_pass_phrase("Api Access Key"));
    }
}
