//! Dummy API keys: what code passes as an API key to a server that checks
//! none (a local model server, an OpenAI-compatible endpoint), or as a
//! stand-in until the real key is configured.
//!
//! An API key is a credential the code *sends* to a provider, which issues
//! it as a generated string (`sk-proj-4eC3...`). A word (`"ollama"`,
//! `"lm-studio"`, `"EMPTY"`) or a value that says it is a placeholder
//! (`"sk-placeholder"`, `"dummy-key"`, `"not-needed"`) cannot be one, and
//! leaking it grants nothing. Secrets the application itself relies on
//! (`SECRET_KEY`, JWT secrets, passwords) are different: a placeholder
//! default there is a weak secret that may ship, so this applies to API
//! keys only.

/// Words that mark a value as a stand-in.
const DUMMY_WORDS: &[&str] = &[
    "placeholder",
    "dummy",
    "fake",
    "example",
    "sample",
    "unused",
    "empty",
    "none",
    "nokey",
    "no",
    "not",
    "your",
    "here",
    "mock",
    "fixme",
    "todo",
    "anything",
    "ignored",
];

/// Is `name` (an identifier, attribute, keyword or dict key) an API key?
pub fn is_api_key_name(name: &str) -> bool {
    let compact: String = name
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    compact.ends_with("apikey")
}

/// Is `value`, given as an API key, a dummy rather than an issued key?
pub fn is_dummy_api_key(value: &str) -> bool {
    let value = value.trim();
    let lower = value.to_ascii_lowercase();
    let mut words = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty());
    if words.any(|w| DUMMY_WORDS.contains(&w)) {
        return true;
    }
    // A plain word or hyphenated words, no digits: no provider issues such a key.
    value.len() <= 24
        && value.bytes().all(|b| b.is_ascii_alphabetic() || b == b'-')
        && (value.bytes().all(|b| !b.is_ascii_uppercase())
            || value.bytes().all(|b| !b.is_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_key_names() {
        for yes in [
            "api_key",
            "API_KEY",
            "openaiApiKey",
            "OPENAI_API_KEY",
            "x-api-key",
        ] {
            assert!(is_api_key_name(yes), "{yes}");
        }
        for no in [
            "SECRET_KEY",
            "token",
            "password",
            "access_key",
            "api_key_header",
        ] {
            assert!(!is_api_key_name(no), "{no}");
        }
    }

    #[test]
    fn dummy_values() {
        for yes in [
            "sk-placeholder",
            "ollama",
            "lm-studio",
            "EMPTY",
            "not-needed",
            "sk-no-key-required",
            "dummy_key",
            "your-api-key-here",
            "fake-key",
        ] {
            assert!(is_dummy_api_key(yes), "{yes}");
        }
        for no in [
            "sk-proj-4eC39HqLyjWDarjtT1zdp7dc",
            "AIzaSyD3x4mpl3K3y9f8e7d6c5b4a3",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
            "a1b2c3d4e5f6",
            "MyCompanyKey",
        ] {
            assert!(!is_dummy_api_key(no), "{no}");
        }
    }
}
