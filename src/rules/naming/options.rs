//! `[tool.fortress.naming]`: the table as written and its resolution.
//!
//! ```toml
//! [tool.fortress.naming]
//! # a layer named here gets these class patterns instead of its default
//! classes = { repository = ["{Entity}Repository", "{Entity}Repo"] }
//! # added to a layer's patterns (default or configured)
//! extend-classes = { schema = ["{Entity}Filter"] }
//! # judge the schema layer's models too (off by default)
//! schemas = true
//! # file-name patterns per layer: none by default
//! files = { repository = ["{entity}_repository.py"] }
//! ```

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::options::{OptionError, SpannedList};
use crate::project::layers::{REPOSITORY, SCHEMA, SERVICE};

/// The class patterns of the built-in layers (the schema layer's only
/// with `schemas = true`).
pub fn default_classes(layer: &str) -> &'static [&'static str] {
    match layer {
        REPOSITORY => &["{Entity}Repository"],
        SERVICE => &["{Entity}Service"],
        SCHEMA => DEFAULT_SCHEMA,
        _ => &[],
    }
}

/// A schema module holds many legitimate kinds of model besides the
/// `Create`/`Update`/`Response` triple: the defaults name the ones the
/// FastAPI and SQLModel tutorials and real backends use. Even so, real
/// schema modules name most models after what they are (`Tenant`,
/// `UserChangeEmail`, `OAuth2AuthorizationServerMetadata`), so the schema
/// layer is judged only when asked (`schemas = true`, or its own
/// `classes.schema`).
pub const DEFAULT_SCHEMA: &[&str] = &[
    "{Entity}Create",
    "{Entity}Update",
    "{Entity}Response",
    "{Entity}Base",
    "{Entity}InDB",
    "{Entity}InDb",
    "{Entity}Public",
    "{Entity}Read",
    "{Entity}List",
    "{Entity}Filter",
    "{Entity}Out",
    "{Entity}In",
    "{Entity}Request",
    "{Entity}Schema",
    "{Entity}Patch",
    "{Entity}Detail",
    "{Entity}Summary",
    "{Entity}Query",
    "{Entity}Params",
    "{Entity}Payload",
    "{Entity}Body",
    "{Entity}Result",
    "{Entity}Page",
    "{Entity}Delete",
    "{Entity}Form",
];

/// `[tool.fortress.naming]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawNaming {
    /// NAM001: per layer, the class name patterns (`{Entity}Repository`);
    /// replaces the layer's default.
    pub classes: Option<BTreeMap<String, SpannedList>>,
    /// NAM001: per layer, patterns added to the layer's patterns.
    pub extend_classes: Option<BTreeMap<String, SpannedList>>,
    /// NAM001: judge the schema layer's Pydantic models with the built-in
    /// schema patterns (default false).
    pub schemas: Option<bool>,
    /// NAM001: per layer, file name patterns (`{entity}_repository.py`,
    /// `{Entity}Repository.py`); none by default.
    pub files: Option<BTreeMap<String, SpannedList>>,
}

/// How the `{Entity}` placeholder is spelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    /// `{Entity}`: PascalCase (`OrderItem`).
    Pascal,
    /// `{entity}`: snake_case (`order_item`).
    Snake,
}

/// One pattern: literal text around the placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamePattern {
    pub written: String,
    pub prefix: String,
    pub suffix: String,
    pub case: Case,
}

impl NamePattern {
    pub fn parse(text: &str, file: bool) -> Result<NamePattern, String> {
        let text = text.trim();
        let (at, case, len) = match (text.find("{Entity}"), text.find("{entity}")) {
            (Some(at), None) => (at, Case::Pascal, "{Entity}".len()),
            (None, Some(at)) => (at, Case::Snake, "{entity}".len()),
            _ => {
                return Err(format!(
                    "`{text}` needs one `{{Entity}}` (PascalCase) or `{{entity}}` (snake_case) placeholder"
                ))
            }
        };
        let prefix = &text[..at];
        let suffix = &text[at + len..];
        let allowed = |c: char| c.is_ascii_alphanumeric() || c == '_' || (file && c == '.');
        if !prefix.chars().chain(suffix.chars()).all(allowed) {
            return Err(format!(
                "`{text}`: only letters, digits and `_` may surround the placeholder"
            ));
        }
        if file && !suffix.ends_with(".py") {
            return Err(format!(
                "`{text}` is a file name pattern: it ends with `.py`"
            ));
        }
        Ok(NamePattern {
            written: text.to_owned(),
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
            case,
        })
    }

    /// Does `name` match, with a non-empty entity in the placeholder's case?
    pub fn matches(&self, name: &str) -> bool {
        let Some(entity) = name
            .strip_prefix(self.prefix.as_str())
            .and_then(|rest| rest.strip_suffix(self.suffix.as_str()))
        else {
            return false;
        };
        let mut chars = entity.chars();
        let Some(first) = chars.next() else {
            return false;
        };
        match self.case {
            Case::Pascal => {
                first.is_ascii_uppercase() && entity.chars().all(|c| c.is_ascii_alphanumeric())
            }
            Case::Snake => {
                first.is_ascii_lowercase()
                    && entity
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            }
        }
    }

    /// The pattern without its placeholder (`Repository`): the bare name
    /// of a layer's generic base class.
    pub fn bare(&self) -> String {
        format!("{}{}", self.prefix, self.suffix)
    }
}

/// The naming rules' settings, resolved.
#[derive(Debug, Clone)]
pub struct NamingSettings {
    /// Layer name -> class patterns (a layer absent or empty is not judged).
    pub classes: BTreeMap<String, Vec<NamePattern>>,
    /// Layer name -> file name patterns.
    pub files: BTreeMap<String, Vec<NamePattern>>,
}

fn defaults(schemas: bool) -> BTreeMap<String, Vec<NamePattern>> {
    let mut classes = BTreeMap::new();
    let layers: &[&str] = if schemas {
        &[REPOSITORY, SERVICE, SCHEMA]
    } else {
        &[REPOSITORY, SERVICE]
    };
    for &layer in layers {
        let patterns = default_classes(layer)
            .iter()
            .filter_map(|p| NamePattern::parse(p, false).ok())
            .collect();
        classes.insert(layer.to_owned(), patterns);
    }
    classes
}

impl Default for NamingSettings {
    fn default() -> NamingSettings {
        NamingSettings {
            classes: defaults(false),
            files: BTreeMap::new(),
        }
    }
}

fn parse_list(
    key: &str,
    layer: &str,
    list: &SpannedList,
    file: bool,
) -> Result<Vec<NamePattern>, OptionError> {
    list.iter()
        .map(|p| {
            NamePattern::parse(p.get_ref(), file)
                .map_err(|m| OptionError::at(format!("naming.{key}.{layer}"), p, m))
        })
        .collect()
}

impl NamingSettings {
    pub fn resolve(raw: Option<&RawNaming>) -> Result<NamingSettings, OptionError> {
        let Some(raw) = raw else {
            return Ok(NamingSettings::default());
        };
        let mut out = NamingSettings {
            classes: defaults(raw.schemas.unwrap_or(false)),
            files: BTreeMap::new(),
        };
        for (layer, list) in raw.classes.iter().flatten() {
            let patterns = parse_list("classes", layer, list, false)?;
            out.classes.insert(layer.clone(), patterns);
        }
        for (layer, list) in raw.extend_classes.iter().flatten() {
            let patterns = parse_list("extend-classes", layer, list, false)?;
            out.classes
                .entry(layer.clone())
                .or_default()
                .extend(patterns);
        }
        for (layer, list) in raw.files.iter().flatten() {
            let patterns = parse_list("files", layer, list, true)?;
            out.files.insert(layer.clone(), patterns);
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(toml_text: &str) -> RawNaming {
        toml::from_str(toml_text).expect("toml")
    }

    #[test]
    fn patterns_match_a_non_empty_entity_in_their_case() {
        let p = NamePattern::parse("{Entity}Repository", false).expect("valid");
        assert!(p.matches("UserRepository") && p.matches("SQLUserRepository"));
        assert!(!p.matches("Repository") && !p.matches("userRepository"));
        assert!(!p.matches("UserRepositoryImpl"));
        assert_eq!(p.bare(), "Repository");
        let f = NamePattern::parse("{entity}_repository.py", true).expect("valid");
        assert!(f.matches("order_item_repository.py") && !f.matches("OrderRepository.py"));
        let f = NamePattern::parse("{Entity}Repository.py", true).expect("valid");
        assert!(f.matches("OrderRepository.py"));
        assert!(NamePattern::parse("Repository", false).is_err());
        assert!(NamePattern::parse("{Entity}-Repo", false).is_err());
        assert!(NamePattern::parse("{entity}_repo", true).is_err());
    }

    #[test]
    fn layers_named_replace_or_extend_their_patterns() {
        let s = NamingSettings::resolve(Some(&raw(
            "classes = { service = [\"{Entity}Manager\"] }\nextend-classes = { repository = [\"{Entity}Repo\"] }\nfiles = { service = [\"{entity}_service.py\"] }",
        )))
        .expect("valid");
        let written = |layer: &str| -> Vec<String> {
            s.classes[layer].iter().map(|p| p.written.clone()).collect()
        };
        assert_eq!(written("service"), vec!["{Entity}Manager".to_owned()]);
        assert_eq!(
            written("repository"),
            vec!["{Entity}Repository".to_owned(), "{Entity}Repo".to_owned()]
        );
        assert_eq!(s.files["service"][0].written, "{entity}_service.py");
        let default = NamingSettings::resolve(None).expect("default");
        assert!(default.files.is_empty() && !default.classes.contains_key("schema"));
        let schemas = NamingSettings::resolve(Some(&raw("schemas = true"))).expect("valid");
        assert_eq!(schemas.classes["schema"].len(), DEFAULT_SCHEMA.len());
        let e = NamingSettings::resolve(Some(&raw("classes = { service = [\"Svc\"] }")))
            .expect_err("no placeholder");
        assert_eq!(e.key, "naming.classes.service");
        assert!(toml::from_str::<RawNaming>("other = 1").is_err());
    }
}
