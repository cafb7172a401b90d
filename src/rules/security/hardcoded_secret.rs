//! SEC004: a credential-looking string literal bound to a secret-looking name.
//!
//! Two filters must both pass: the name says "secret" (password, token, API
//! key, ...) and does not describe something else about it (`_URL`, `_TYPE`,
//! `_LENGTH`, ...), and the value looks like a credential rather than a
//! key name, a path, a message, an env var name or a placeholder.

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct HardcodedSecret;

impl Rule for HardcodedSecret {
    const META: RuleMeta = RuleMeta {
        code: "SEC004",
        name: "hardcoded-secret",
        family: Family::Security,
        severity: Severity::Blocker,
        fixable: false,
        summary: "A credential (password, secret key, API key, token) written as a string literal in the code",
        help: "read it from the environment or a secret store (a pydantic-settings field without a default, `os.environ[...]`) and rotate the leaked value",
        doc: include_str!("../../../rules/SEC004.md"),
        security_severity: Some("7.5"),
    };
    const KINDS: &'static [&'static str] = &[
        "assignment",
        "default_parameter",
        "typed_default_parameter",
        "keyword_argument",
        "comparison_operator",
    ];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        if cx.file.is_test && !cx.options.security.check_test_files {
            return;
        }
        let (name_node, value) = match node.kind_str() {
            "assignment" => (
                node.child_by_field_id(*fid::LEFT),
                node.child_by_field_id(*fid::RIGHT),
            ),
            "default_parameter" | "typed_default_parameter" | "keyword_argument" => (
                node.child_by_field_id(*fid::NAME),
                node.child_by_field_id(*fid::VALUE),
            ),
            _ => {
                let mut cursor = node.walk();
                let parts: Vec<Node<'_>> = node.children(&mut cursor).collect();
                // `password == "..."`, either way round, `==`/`!=` only.
                let [a, op, b] = parts.as_slice() else {
                    return;
                };
                if !matches!(op.kind_str(), "==" | "!=") {
                    return;
                }
                if is_string(*b) {
                    (Some(*a), Some(*b))
                } else {
                    (Some(*b), Some(*a))
                }
            }
        };
        let (Some(name_node), Some(value)) = (name_node, value) else {
            return;
        };
        if !matches!(value.kind_str(), "string" | "concatenated_string" | "call") {
            return;
        }
        let name = match name_node.kind_str() {
            "identifier" => cx.text(name_node),
            "attribute" => match name_node.child_by_field_id(*fid::ATTRIBUTE) {
                Some(a) => cx.text(a),
                None => return,
            },
            "subscript" => {
                // `config["password"] = "..."`
                match name_node
                    .child_by_field_id(*fid::SUBSCRIPT)
                    .filter(|s| pyast::is_constant_string(*s))
                {
                    Some(key) => {
                        let key = pyast::string_text(key, cx.source);
                        if !is_secret_name(&key) {
                            return;
                        }
                        return self.check_value(node, value, &key, cx);
                    }
                    None => return,
                }
            }
            _ => return,
        };
        if !is_secret_name(name) {
            return;
        }
        if node.kind_str() == "assignment" && in_enum_class(cx) {
            return;
        }
        self.check_value(node, value, name, cx);
    }
}

impl HardcodedSecret {
    fn check_value(&mut self, binding: Node<'_>, value: Node<'_>, name: &str, cx: &mut Cx<'_>) {
        let literal = match value.kind_str() {
            "string" | "concatenated_string" => value,
            "call" => {
                // `Field("...")`, `Field(default="...")`, `SecretStr("...")`
                let Some(function) = value.child_by_field_id(*fid::FUNCTION) else {
                    return;
                };
                let callee = cx.text(function);
                let last = pyast::last_segment(callee);
                if !matches!(last, "Field" | "SecretStr" | "SecretBytes") {
                    return;
                }
                let Some(args) = pyast::call_arguments(value) else {
                    return;
                };
                match pyast::keyword_arg(args, "default", cx.source)
                    .or_else(|| pyast::positional_arg(args, 0))
                {
                    Some(v) => v,
                    None => return,
                }
            }
            _ => return,
        };
        if !pyast::is_constant_string(literal) || is_bytes_or_template(literal, cx) {
            return;
        }
        let text = pyast::string_text(literal, cx.source);
        // `SECRET: str = "super secret jwt secret"`: a pass phrase bound by
        // an assignment (module constant, settings-class default).
        let phrase =
            binding.kind_str() == "assignment" && super::pass_phrase::is_pass_phrase(&text);
        if !phrase && !looks_like_credential(&text, name) {
            return;
        }
        if super::dummy_key::is_api_key_name(name) && super::dummy_key::is_dummy_api_key(&text) {
            return;
        }
        // "token" also names lexer tokens (`token == "def"`) and comparisons
        // are mostly such dispatch: demand a value with some entropy there.
        let tokenish = !name.to_ascii_lowercase().contains("pass")
            && camel_to_snake(name).rsplit(['_', '-']).next() == Some("token");
        if (tokenish || binding.kind_str() == "comparison_operator") && !is_strong(&text) {
            return;
        }
        cx.report(
            literal,
            format!("`{name}` is set to a hardcoded credential; load it from the environment or a secret store"),
        );
    }
}

/// Long enough and mixed enough to be a generated credential.
fn is_strong(value: &str) -> bool {
    let has_digit = value.bytes().any(|b| b.is_ascii_digit());
    let has_upper = value.bytes().any(|b| b.is_ascii_uppercase());
    let has_lower = value.bytes().any(|b| b.is_ascii_lowercase());
    value.len() >= 8 && (has_digit || (has_upper && has_lower))
}

fn is_string(node: Node<'_>) -> bool {
    matches!(node.kind_str(), "string" | "concatenated_string")
}

/// Byte strings and t-strings are not checked: bytes literals are mostly test
/// vectors and protocol constants.
fn is_bytes_or_template(literal: Node<'_>, cx: &Cx<'_>) -> bool {
    let first = if literal.kind_str() == "concatenated_string" {
        literal.named_child(0)
    } else {
        Some(literal)
    };
    first
        .and_then(|s| s.named_child(0))
        .filter(|s| s.kind_str() == "string_start")
        .is_some_and(|start| {
            let prefix = cx.text(start).to_ascii_lowercase();
            // Raw strings are regular expressions far more often than keys.
            prefix.contains('b') || prefix.contains('t') || prefix.contains('r')
        })
}

/// Enum members (`class AuthMethod(Enum): PASSWORD = "password"`) name
/// options, not credentials.
fn in_enum_class(cx: &Cx<'_>) -> bool {
    let Some(class) = cx
        .ancestors
        .iter()
        .rev()
        .find(|a| matches!(a.kind_str(), "class_definition" | "function_definition"))
    else {
        return false;
    };
    class.kind_str() == "class_definition"
        && pyast::superclasses(*class).iter().any(|b| {
            pyast::last_segment(cx.text(*b)).ends_with("Enum") || cx.text(*b).ends_with("Choices")
        })
}

/// Trailing words that make a secret-looking name describe something else.
const DESCRIPTORS: &[&str] = &[
    "url",
    "uri",
    "type",
    "types",
    "length",
    "len",
    "min",
    "max",
    "field",
    "fields",
    "name",
    "names",
    "header",
    "prefix",
    "suffix",
    "path",
    "file",
    "filename",
    "dir",
    "env",
    "var",
    "algorithm",
    "algorithms",
    "alg",
    "endpoint",
    "regex",
    "re",
    "pattern",
    "message",
    "msg",
    "error",
    "expire",
    "expires",
    "expiry",
    "expiration",
    "ttl",
    "lifetime",
    "minutes",
    "seconds",
    "hours",
    "days",
    "timeout",
    "policy",
    "rules",
    "hint",
    "label",
    "help",
    "placeholder",
    "format",
    "reset",
    "location",
    "mode",
    "scheme",
    "schemes",
    "method",
    "route",
    "template",
    "strength",
    "id",
    "ids",
    "param",
    "parameter",
    "key_name",
    "keyname",
    "attr",
    "attribute",
    "column",
    "col",
    "kind",
    "class",
    "cls",
    "count",
    "size",
    "hasher",
    "hashers",
    "validator",
    "validators",
    "encoding",
    "charset",
    "version",
    "audience",
    "issuer",
    "usage",
    "lifespan",
    "limit",
    "retries",
    "attempts",
    "enabled",
    "required",
    "flag",
    "prompt",
    "text",
    "title",
    "description",
    "display",
    "source",
    "provider",
    "backend",
    "store",
    "storage",
    "cache",
    "table",
    "query",
    "input",
    "widget",
    "manager",
    "mgr",
    "handler",
    "factory",
    "service",
    "at",
    "used",
    "changed",
    "updated",
    "created",
    "date",
    "time",
    "timestamp",
    "status",
    "state",
    "check",
    "checked",
    "verified",
    "sent",
    "invalid",
    "missing",
    "mismatch",
    "incorrect",
];

/// Allocation-free pre-filter for [`is_secret_name`], which runs on every
/// assignment and keyword argument.
fn mentions_secret_word(name: &str) -> bool {
    let bytes = name.as_bytes();
    ["pass", "pwd", "secret", "token", "key"].iter().any(|w| {
        bytes
            .windows(w.len())
            .any(|win| win.eq_ignore_ascii_case(w.as_bytes()))
    })
}

/// Does this name (identifier, attribute or dict key) say it holds a secret?
pub fn is_secret_name(name: &str) -> bool {
    if name.len() < 3 || name.len() > 64 || !mentions_secret_word(name) {
        return false;
    }
    let lower = camel_to_snake(name);
    let words: Vec<&str> = lower
        .split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    let Some(last) = words.last() else {
        return false;
    };
    if DESCRIPTORS.contains(last) {
        return false;
    }
    // `token_type`, `tokens_used`, `password_min_length` end in another word;
    // the check above rejected descriptors, the ones below accept secrets.
    let compact: String = words.concat();
    // "pass" alone is too common a word part (`pass_thru`, `bypass`) except
    // as the last word of a longer name (`DB_PASS`).
    let password_like = words
        .iter()
        .any(|w| matches!(*w, "password" | "passwd" | "passphrase" | "pwd"))
        || (*last == "pass" && words.len() > 1 && !passes_a_check(&words));
    let secret_like = matches!(*last, "secret" | "token" | "apikey")
        || compact.ends_with("secretkey")
        || compact.ends_with("apikey")
        || compact.ends_with("privatekey")
        || compact.ends_with("accesskey")
        || compact.ends_with("signingkey")
        || compact.ends_with("encryptionkey")
        || compact.ends_with("clientsecret")
        || compact.ends_with("authkey")
        || compact.ends_with("masterkey");
    password_like || secret_like
}

/// Words before a last `pass` that make it a pass of a check or an
/// algorithm, not a password: `on_pass` (beside `on_fail`), `if_pass`,
/// `first_pass`, `single_pass`, `must_pass`.
const PASS_EVENT_WORDS: &[&str] = &[
    "on", "if", "when", "after", "before", "per", "each", "every", "first", "second", "third",
    "next", "final", "single", "multi", "must", "should", "can", "will", "to", "all", "any",
];

/// `on_pass`, `second_pass`: the name's last two words are an event or an
/// ordinal followed by `pass`.
fn passes_a_check(words: &[&str]) -> bool {
    words
        .len()
        .checked_sub(2)
        .and_then(|i| words.get(i))
        .is_some_and(|w| PASS_EVENT_WORDS.contains(w))
}

fn camel_to_snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let mut prev_lower = false;
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if prev_lower {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
            prev_lower = false;
        } else {
            prev_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            out.push(c);
        }
    }
    out
}

/// Values that are obviously not credentials.
const NOT_SECRETS: &[&str] = &[
    "bearer",
    "basic",
    "digest",
    "token",
    "jwt",
    "hs256",
    "hs384",
    "hs512",
    "rs256",
    "rs512",
    "es256",
    "utf8",
    "utf-8",
    "none",
    "null",
    "true",
    "false",
    "required",
    "optional",
    "hidden",
    "plain",
    "sha256",
    "bcrypt",
    "argon2",
    "pbkdf2",
    "password",
    "secret",
    "string",
    "redacted",
    "masked",
    "passwords",
    "secrets",
    "tokens",
    "keys",
    "foo",
    "bar",
    "baz",
    "qux",
    "spam",
    "eggs",
];

/// Does a literal bound to secret name `name` look like a real credential?
pub fn looks_like_credential(value: &str, name: &str) -> bool {
    let v = value.trim();
    if v.len() < 3 {
        return false;
    }
    if v.contains("-----BEGIN") {
        return true;
    }
    if v.chars().any(char::is_whitespace) || v.contains("\\n") {
        return false;
    }
    let lower = v.to_ascii_lowercase();
    if NOT_SECRETS.contains(&lower.as_str()) {
        return false;
    }
    let first = v.chars().next().unwrap_or(' ');
    let last = v.chars().last().unwrap_or(' ');
    // Placeholders and templates: `<your-key>`, `[PAD]`, `{token}`, `${SECRET}`, `%(pw)s`.
    if matches!(
        (first, last),
        ('<', '>') | ('[', ']') | ('{', '}') | ('(', ')')
    ) || v.contains("${")
        || v.contains("{{")
        || v.contains("{}")
        || v.contains("%s")
        || v.contains("%(")
    {
        return false;
    }
    // `***`, `xxxxxx`, `......`, `:****`: masks.
    if v.chars().all(|c| c == first) || v.contains("***") {
        return false;
    }
    // Status and option strings: `not_supported`, `read_only`.
    if v.contains('_') && v.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return false;
    }
    // Paths and URLs without embedded credentials.
    if first == '/' || first == '.' || v.starts_with("~/") {
        return false;
    }
    if let Some((_, rest)) = v.split_once("://") {
        return rest
            .split('/')
            .next()
            .is_some_and(|host| host.contains(':') && host.contains('@'));
    }
    if v.contains('/') && !v.contains('=') && v.split('/').all(|p| p.len() < 24) {
        return false;
    }
    // Environment variable names: `DB_PASSWORD`, `API_KEY`.
    if v.contains('_')
        && v.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
    {
        return false;
    }
    // The value is a name for the thing, not the thing: `"access_token"`,
    // `"x-api-key"`, `"client_secret"`, or the variable's own name.
    let norm = |s: &str| -> String {
        camel_to_snake(s)
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect()
    };
    let nv = norm(v);
    let is_identifier_like = v
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.' || b == b':');
    let names_a_secret = camel_to_snake(v).split(['_', '-', '.', ':']).any(|w| {
        matches!(
            w,
            "key" | "password" | "passwd" | "pwd" | "secret" | "token" | "apikey" | "auth"
        )
    });
    if is_identifier_like && (nv == norm(name) || names_a_secret) {
        let has_digit = v.bytes().any(|b| b.is_ascii_digit());
        if !has_digit || nv == norm(name) {
            return false;
        }
    }
    // Dotted import paths: `django.contrib.auth.hashers.PBKDF2PasswordHasher`.
    if v.contains('.')
        && !v.starts_with("eyJ")
        && v.split('.').count() >= 2
        && v.split('.').all(|p| {
            !p.is_empty()
                && p.len() <= 40
                && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
                && p.bytes()
                    .next()
                    .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        })
        && v.bytes().any(|b| b.is_ascii_lowercase())
    {
        return false;
    }
    // File names: `id_rsa.pem`, `secrets.json`.
    let file_like = [
        ".pem", ".key", ".json", ".txt", ".crt", ".yaml", ".yml", ".env", ".p12", ".pfx", ".ini",
        ".cfg",
    ];
    if file_like.iter().any(|ext| lower.ends_with(ext)) {
        return false;
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names() {
        for yes in [
            "SECRET_KEY",
            "JWT_SECRET",
            "DB_PASSWORD",
            "password",
            "API_KEY",
            "GITHUB_TOKEN",
            "PRIVATE_KEY",
            "clientSecret",
            "apiKey",
            "first_superuser_password",
            "stripe_api_key",
            "token",
        ] {
            assert!(is_secret_name(yes), "{yes}");
        }
        for no in [
            "TOKEN_TYPE",
            "token_url",
            "tokenUrl",
            "ALGORITHM",
            "PASSWORD_MIN_LENGTH",
            "password_reset_url",
            "API_KEY_HEADER",
            "tokens",
            "secretary",
            "passenger",
            "SECRET_KEY_ENV",
            "bypass",
            "ThreeDSecurePassThruIsInvalid",
            "InvalidCredentials",
            "password_last_used",
            "on_pass",
            "ON_PASS",
            "second_pass",
            "onPass",
        ] {
            assert!(!is_secret_name(no), "{no}");
        }
    }

    #[test]
    fn credential_values() {
        for yes in [
            "s3cr3t-k3y-9f8e7d",
            "hunter22",
            "sk_live_4eC39HqLyjWDarjtT1zdp7dc",
            "changethis",
            "admin123",
            "postgres://app:pa55@db/app",
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE",
            "ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        ] {
            assert!(looks_like_credential(yes, "SECRET_KEY"), "{yes}");
        }
        for no in [
            "",
            "  ",
            "bearer",
            "/token",
            "HS256",
            "DB_PASSWORD",
            "access_token",
            "x-api-key",
            "<your-api-key>",
            "[PAD]",
            "********",
            "Invalid password",
            "https://example.com/oauth/token",
            "{password}",
            "%(password)s",
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            "keys/private.pem",
            "secret",
            "AWSAccessKeyId",
            "aws_access_key_id",
            "bar",
            ":****",
            "not_supported",
        ] {
            assert!(!looks_like_credential(no, "SECRET_KEY"), "{no}");
        }
        assert!(!looks_like_credential("password", "PASSWORD"));
        assert!(!looks_like_credential("api_key", "API_KEY"));
    }
}
