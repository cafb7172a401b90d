//! SEC002: a model used as an API response declares a secret field
//! (`password`, `hashed_password`, `api_key`, ...).
//!
//! Response models are recognised by name (`*Response`, `*Out`, `*Read`,
//! `*Public`, `*Detail`) or by use anywhere in the project: `response_model=`
//! of a route decorator or a route handler's return annotation, resolved
//! through imports and re-exports. Fields inherited from bases count, in
//! whichever module the base is defined (the project symbol table).

use std::collections::HashSet;

use crate::diagnostic::Severity;
use crate::project::symbols::{ClassFact, ClassId, FieldFact};
use crate::project::{FactSet, Project, ProjectFinding};
use crate::python::ast as pyast;
use crate::rules::security::options::SecuritySettings;
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
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

/// Bases followed up an inheritance chain at most.
const MAX_ANCESTORS: usize = 32;

#[derive(Default)]
pub struct SecretInResponseModel;

impl ProjectRule for SecretInResponseModel {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::SYMBOLS);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let project = cx.project;
        let table = project.symbols();
        // Classes used as a response anywhere, and names used so that no
        // project class matched (kept by name, as before the table).
        let mut used: HashSet<ClassId> = HashSet::new();
        let mut used_names: HashSet<(usize, &str)> = HashSet::new();
        for (file, facts) in project.facts.iter().enumerate() {
            for response in &facts.symbols.responses {
                for name in &response.names {
                    match table.resolve(project, file, name) {
                        Some(id) => {
                            used.insert(id);
                        }
                        None => {
                            used_names.insert((file, pyast::last_segment(&name.written)));
                        }
                    }
                }
            }
        }
        for (file, facts) in project.facts.iter().enumerate() {
            for (i, class) in facts.symbols.classes.iter().enumerate() {
                let is_response = has_response_suffix(&class.name)
                    || used.contains(&(file, i))
                    || used_names.contains(&(file, class.name.as_str()));
                if !is_response || !is_model_like(class) {
                    continue;
                }
                report_class(project, (file, i), class, &cx.options.security, cx.findings);
            }
        }
    }
}

fn report_class(
    project: &Project<'_>,
    id: ClassId,
    class: &ClassFact,
    settings: &SecuritySettings,
    out: &mut Vec<ProjectFinding>,
) {
    // Sent by design: listed in `allowed-response-fields`, or documented
    // for the client in `Field(description=...)` (passwords never are).
    let by_design = |model: &str, field: &FieldFact| {
        settings.is_allowed_response_field(model, &field.name)
            || settings.is_allowed_response_field(&class.name, &field.name)
            || (field.client_facing && !is_password(&field.name.to_ascii_lowercase()))
    };
    let finding = |spot: &crate::project::arch::Spot, message: String| ProjectFinding {
        code: META.code,
        file: id.0,
        span: spot.span(),
        start: spot.start,
        end: spot.end,
        message,
    };
    for field in class.fields.iter().filter(|f| f.serialised) {
        if is_secret_field(&field.name, &class.name) && !by_design(&class.name, field) {
            out.push(finding(
                &field.spot,
                format!("response model `{}` exposes `{}`; remove it from the response (or mark it `Field(exclude=True)`)", class.name, field.name),
            ));
        }
    }
    // Inherited fields, from bases in this module or any other.
    let table = project.symbols();
    let mut seen: Vec<ClassId> = vec![id];
    let mut queue: Vec<ClassId> = bases(project, id);
    // A field is declared once along the chain: the nearest declaration wins.
    let mut declared: Vec<&str> = class.fields.iter().map(|f| f.name.as_str()).collect();
    while let Some(base_id) = queue.pop() {
        if seen.contains(&base_id) || seen.len() > MAX_ANCESTORS {
            continue;
        }
        seen.push(base_id);
        let Some(parent) = table.class(project, base_id) else {
            continue;
        };
        for field in &parent.fields {
            if declared.contains(&field.name.as_str()) {
                continue;
            }
            declared.push(&field.name);
            if field.serialised
                && is_secret_field(&field.name, &class.name)
                && !by_design(&parent.name, field)
            {
                out.push(finding(
                    &class.spot,
                    format!("response model `{}` inherits `{}` from `{}`; the field is sent to clients: drop it from the response model", class.name, field.name, parent.name),
                ));
            }
        }
        queue.extend(bases(project, base_id));
    }
}

/// The project classes `id` derives from directly.
fn bases(project: &Project<'_>, id: ClassId) -> Vec<ClassId> {
    let table = project.symbols();
    let Some(class) = table.class(project, id) else {
        return Vec::new();
    };
    class
        .bases
        .iter()
        .rev()
        .filter_map(|b| table.resolve(project, id.0, b))
        .collect()
}

fn has_response_suffix(name: &str) -> bool {
    ["Response", "Out", "Read", "Public", "Detail", "Details"]
        .iter()
        .any(|s| name.len() > s.len() && name.ends_with(s))
}

/// A class with bases that is not an enum, exception or protocol.
fn is_model_like(class: &ClassFact) -> bool {
    !class.bases.is_empty()
        && !class.bases.iter().any(|b| {
            let last = pyast::last_segment(&b.written);
            last.ends_with("Enum")
                || last.ends_with("Exception")
                || last.ends_with("Error")
                || last == "Protocol"
                || last == "ABC"
        })
}

/// `password`, `hashed_password`, `passwd`, `pwd` (lower case).
fn is_password(f: &str) -> bool {
    f.contains("password") || f.contains("passwd") || f == "pwd"
}

/// Is `field` a secret in a response named `class`? Login contracts
/// (`Token`, `LoginResponse`, `ApiKeyCreated`) legitimately return the
/// token or key they are about; passwords are never returned.
fn is_secret_field(field: &str, class: &str) -> bool {
    let f = field.to_ascii_lowercase();
    let c = class.to_ascii_lowercase();
    // Configuration and settings models are the forms in which admins edit
    // an integration's credentials (`LdapServerConfig.app_dn_password`,
    // `AdminSettings.lnpay_api_key`): sending them back is what they are for.
    if c.contains("config") || c.contains("settings") {
        return false;
    }
    if is_password(&f) {
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
        || c.contains("creds")
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
        assert!(!s("ssh_private_key", "UserWithCreds"));
        assert!(!s("app_dn_password", "LdapServerConfig"));
        assert!(!s("lnpay_api_key", "AdminSettings"));
    }
}
