//! SEC002: a model used as an API response declares a secret field
//! (`password`, `hashed_password`, `api_key`, ...).
//!
//! Response models are recognised by name (`*Response`, `*Out`, `*Read`,
//! `*Public`, `*Detail`) or by use in the same file: `response_model=` of a
//! route decorator or a route handler's return annotation. Fields inherited
//! from classes of the same file count.

use std::collections::HashSet;
use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::python::fastapi::{self, Routers};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct SecretInResponseModel {
    routers: Routers,
    classes: Vec<ClassInfo>,
    /// Class names used as `response_model=` or a route's return type.
    used_as_response: HashSet<String>,
}

struct ClassInfo {
    name: String,
    name_span: Range<usize>,
    bases: Vec<String>,
    fields: Vec<Field>,
}

struct Field {
    name: String,
    span: Range<usize>,
}

impl Rule for SecretInResponseModel {
    const META: RuleMeta = RuleMeta {
        code: "SEC002",
        name: "secret-in-response-model",
        family: Family::Security,
        severity: Severity::Blocker,
        fixable: false,
        summary: "A response model declares a secret field (`password`, `hashed_password`, `api_key`, `client_secret`, ...)",
        help: "remove the field from the response model (keep it on the database model only), or mark it `Field(exclude=True)`",
        doc: include_str!("../../../rules/SEC002.md"),
        security_severity: Some("7.5"),
    };
    const KINDS: &'static [&'static str] =
        &["assignment", "class_definition", "function_definition"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        match node.kind_str() {
            "assignment" => {
                if node
                    .child_by_field_id(*fid::RIGHT)
                    .is_some_and(|r| r.kind_str() == "call")
                {
                    self.routers.observe(node, cx.source);
                }
            }
            "class_definition" => self.collect_class(node, cx),
            _ => {
                let Some(route) =
                    fastapi::route_of(node, cx.parent(), cx.source, &self.routers, cx.imports)
                else {
                    return;
                };
                if let Some(model) = route
                    .call
                    .and_then(pyast::call_arguments)
                    .and_then(|args| pyast::keyword_arg(args, "response_model", cx.source))
                {
                    collect_names(model, cx.source, &mut self.used_as_response);
                }
                if let Some(returns) = node.child_by_field_id(*fid::RETURN_TYPE) {
                    collect_names(returns, cx.source, &mut self.used_as_response);
                }
            }
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        for class in &self.classes {
            let is_response =
                has_response_suffix(&class.name) || self.used_as_response.contains(&class.name);
            if !is_response || !is_model_like(class) {
                continue;
            }
            for field in &class.fields {
                if is_secret_field(&field.name, &class.name) {
                    cx.report_span(
                        field.span.clone(),
                        format!("response model `{}` exposes `{}`; remove it from the response (or mark it `Field(exclude=True)`)", class.name, field.name),
                    );
                }
            }
            // Fields inherited from classes of this file.
            let mut seen: Vec<&str> = vec![class.name.as_str()];
            let mut queue: Vec<&str> = class.bases.iter().map(|b| pyast::last_segment(b)).collect();
            while let Some(base) = queue.pop() {
                if seen.contains(&base) || seen.len() > 32 {
                    continue;
                }
                seen.push(base);
                let Some(parent) = self.classes.iter().find(|c| c.name == base) else {
                    continue;
                };
                for field in &parent.fields {
                    let overridden = class.fields.iter().any(|f| f.name == field.name);
                    if !overridden && is_secret_field(&field.name, &class.name) {
                        cx.report_span(
                            class.name_span.clone(),
                            format!("response model `{}` inherits `{}` from `{}`; the field is sent to clients: drop it from the response model", class.name, field.name, parent.name),
                        );
                    }
                }
                queue.extend(parent.bases.iter().map(|b| pyast::last_segment(b)));
            }
        }
    }
}

impl SecretInResponseModel {
    fn collect_class(&mut self, node: Node<'_>, cx: &Cx<'_>) {
        let Some(name) = node.child_by_field_id(*fid::NAME) else {
            return;
        };
        let bases = pyast::superclasses(node)
            .into_iter()
            .map(|b| cx.text(b).to_owned())
            .collect();
        let mut fields = Vec::new();
        if let Some(body) = node.child_by_field_id(*fid::BODY) {
            let mut cursor = body.walk();
            for stmt in body.named_children(&mut cursor) {
                let Some(assignment) = (stmt.kind_str() == "expression_statement")
                    .then(|| stmt.named_child(0))
                    .flatten()
                    .filter(|a| a.kind_str() == "assignment")
                else {
                    continue;
                };
                let (Some(left), Some(annotation)) = (
                    assignment.child_by_field_id(*fid::LEFT),
                    assignment.child_by_field_id(*fid::TYPE),
                ) else {
                    continue;
                };
                if left.kind_str() != "identifier" {
                    continue;
                }
                let annotation = cx.text(annotation);
                // Pydantic masks these when serialising.
                if annotation.contains("SecretStr") || annotation.contains("SecretBytes") {
                    continue;
                }
                if annotation.starts_with("ClassVar") || annotation.contains(".ClassVar") {
                    continue;
                }
                if assignment
                    .child_by_field_id(*fid::RIGHT)
                    .is_some_and(|v| is_excluded(v, cx.source))
                {
                    continue;
                }
                fields.push(Field {
                    name: cx.text(left).to_owned(),
                    span: left.byte_range(),
                });
            }
        }
        self.classes.push(ClassInfo {
            name: cx.text(name).to_owned(),
            name_span: name.byte_range(),
            bases,
            fields,
        });
    }
}

/// `Field(..., exclude=True)`: never serialised.
fn is_excluded(value: Node<'_>, source: &str) -> bool {
    value.kind_str() == "call"
        && value
            .child_by_field_id(*fid::FUNCTION)
            .is_some_and(|f| pyast::last_segment(pyast::text(f, source)) == "Field")
        && pyast::call_arguments(value)
            .and_then(|a| pyast::keyword_arg(a, "exclude", source))
            .is_some_and(|v| pyast::text(v, source) == "True")
}

/// Identifiers (and last attribute segments) of a type expression:
/// `list[schemas.UserOut] | None` -> `list`, `UserOut`, `None`.
fn collect_names(node: Node<'_>, source: &str, out: &mut HashSet<String>) {
    let mut stack = vec![node];
    let mut budget = 512usize;
    while let Some(n) = stack.pop() {
        budget = budget.saturating_sub(1);
        if budget == 0 {
            return;
        }
        match n.kind_str() {
            "identifier" => {
                out.insert(pyast::text(n, source).to_owned());
            }
            "attribute" => {
                if let Some(a) = n.child_by_field_id(*fid::ATTRIBUTE) {
                    out.insert(pyast::text(a, source).to_owned());
                }
                // `schemas.UserOut`: the module part is not a model.
            }
            "string" => {
                // `response_model="UserOut"` is not a thing, but `-> "UserOut"` is.
                let t = pyast::string_text(n, source);
                for part in t.split(|c: char| !(c.is_alphanumeric() || c == '_')) {
                    if !part.is_empty() {
                        out.insert(part.to_owned());
                    }
                }
            }
            _ => {
                let mut cursor = n.walk();
                for c in n.named_children(&mut cursor) {
                    stack.push(c);
                }
            }
        }
    }
}

fn has_response_suffix(name: &str) -> bool {
    ["Response", "Out", "Read", "Public", "Detail", "Details"]
        .iter()
        .any(|s| name.len() > s.len() && name.ends_with(s))
}

/// A class with bases that is not an enum, exception or protocol.
fn is_model_like(class: &ClassInfo) -> bool {
    !class.bases.is_empty()
        && !class.bases.iter().any(|b| {
            let last = pyast::last_segment(b);
            last.ends_with("Enum")
                || last.ends_with("Exception")
                || last.ends_with("Error")
                || last == "Protocol"
                || last == "ABC"
        })
}

/// Is `field` a secret in a response named `class`? Login contracts
/// (`Token`, `LoginResponse`, `ApiKeyCreated`) legitimately return the
/// token or key they are about; passwords are never returned.
fn is_secret_field(field: &str, class: &str) -> bool {
    let f = field.to_ascii_lowercase();
    let c = class.to_ascii_lowercase();
    let password = f.contains("password") || f.contains("passwd") || f == "pwd";
    if password {
        // `password_changed_at`, `password_expires`, `has_password` describe it.
        let describes = [
            "_at",
            "_expires",
            "_set",
            "_changed",
            "_updated",
            "_required",
            "_policy",
        ]
        .iter()
        .any(|s| f.ends_with(s))
            || f.starts_with("has_")
            || f.starts_with("is_");
        return !describes;
    }
    let (noun, secret) = if f.ends_with("access_token")
        || f.ends_with("refresh_token")
        || f == "id_token"
        || f.ends_with("auth_token")
        || f.ends_with("session_token")
        || f.ends_with("reset_token")
        || f.ends_with("api_token")
    {
        ("token", true)
    } else if f.ends_with("api_key")
        || f == "apikey"
        || f.ends_with("private_key")
        || f.ends_with("secret_key")
        || f.ends_with("signing_key")
    {
        ("key", true)
    } else if f == "secret" || f.ends_with("_secret") || f == "salt" || f.ends_with("otp_secret") {
        ("secret", true)
    } else {
        ("", false)
    };
    if !secret {
        return false;
    }
    // A creation or rotation result shows a new key or secret once.
    let one_time = ["create", "new", "issue", "rotate", "regenerate", "reset"]
        .iter()
        .any(|w| c.contains(w));
    let contract = c.contains(noun)
        || one_time
        || c.contains("login")
        || c.contains("auth")
        || c.contains("credential")
        || (noun == "key" && c.contains("apikey"));
    !contract
}

#[cfg(test)]
mod tests {
    use super::is_secret_field as s;

    #[test]
    fn fields() {
        assert!(s("hashed_password", "UserOut"));
        assert!(s("password", "UserRead"));
        assert!(s("api_key", "ProjectOut"));
        assert!(s("client_secret", "AppPublic"));
        assert!(s("access_token", "UserOut"));
        assert!(!s("access_token", "Token"));
        assert!(!s("refresh_token", "LoginResponse"));
        assert!(!s("api_key", "ApiKeyCreatedResponse"));
        assert!(s("password", "TokenResponse"));
        assert!(!s("password_changed_at", "UserOut"));
        assert!(!s("email", "UserOut"));
        assert!(!s("csrf_token", "UserOut"));
        assert!(!s("signing_secret", "CreateWebhookResponse"));
        assert!(s("password", "UserCreatedResponse"));
    }
}
