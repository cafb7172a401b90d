//! `[tool.fortress.api]`: the table as written and its resolution.

use serde::Deserialize;
use toml::Spanned;

use crate::options::OptionError;

/// `[tool.fortress.api]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawApi {
    /// API001: the qualified name of the class every route responds with
    /// (`app.schemas.common.Envelope`); API001 is off without it.
    pub envelope: Option<Spanned<String>>,
}

/// The API rules' settings, resolved.
#[derive(Debug, Clone, Default)]
pub struct ApiSettings {
    pub envelope: Option<String>,
}

impl ApiSettings {
    pub fn resolve(raw: Option<&RawApi>) -> Result<ApiSettings, OptionError> {
        let Some(value) = raw.and_then(|r| r.envelope.as_ref()) else {
            return Ok(ApiSettings::default());
        };
        let name = value.get_ref().trim();
        let dotted = name.contains('.')
            && name.split('.').all(|part| {
                part.starts_with(|c: char| c.is_alphabetic() || c == '_')
                    && part.chars().all(|c| c.is_alphanumeric() || c == '_')
            });
        if !dotted {
            return Err(OptionError::at(
                "api.envelope",
                value,
                format!("`{name}` is not a qualified class name (`app.schemas.common.Envelope`)"),
            ));
        }
        Ok(ApiSettings {
            envelope: Some(name.to_owned()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_is_a_qualified_name() {
        let raw: RawApi = toml::from_str("envelope = \"app.schemas.Envelope\"").expect("toml");
        assert_eq!(
            ApiSettings::resolve(Some(&raw))
                .expect("valid")
                .envelope
                .as_deref(),
            Some("app.schemas.Envelope")
        );
        assert_eq!(ApiSettings::resolve(None).expect("off").envelope, None);
        for bad in ["Envelope", "app..Envelope", "app.schemas.Envelope[T]", ""] {
            let raw: RawApi = toml::from_str(&format!("envelope = \"{bad}\"")).expect("toml");
            let e = ApiSettings::resolve(Some(&raw)).expect_err(bad);
            assert_eq!(e.key, "api.envelope");
        }
        assert!(toml::from_str::<RawApi>("envelopes = \"x\"").is_err());
    }
}
