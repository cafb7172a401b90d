//! `fortress rules` and `fortress rule CODE`.

use serde::Serialize;

use super::{write_stdout, ListFormat};
use crate::config::ConfigError;
use crate::rules;

#[derive(Serialize)]
struct RuleListing<'a> {
    code: &'a str,
    name: &'a str,
    family: &'a str,
    severity: &'a str,
    fixable: bool,
    summary: &'a str,
}

pub(super) fn list_rules(format: ListFormat) -> Result<u8, ConfigError> {
    let listing: Vec<RuleListing<'_>> = rules::registry()
        .iter()
        .map(|r| RuleListing {
            code: r.meta.code,
            name: r.meta.name,
            family: r.meta.family.name(),
            severity: r.meta.severity.as_str(),
            fixable: r.meta.fixable,
            summary: r.meta.summary,
        })
        .collect();
    let mut out = String::new();
    match format {
        ListFormat::Json => {
            out = serde_json::to_string_pretty(&listing).unwrap_or_default();
            out.push('\n');
        }
        ListFormat::Text => {
            let name_width = listing.iter().map(|r| r.name.len()).max().unwrap_or(4);
            out.push_str(&format!(
                "{:<7} {:<name_width$} {:<13} {:<8} {:<7} SUMMARY\n",
                "CODE", "NAME", "FAMILY", "SEVERITY", "FIXABLE"
            ));
            for r in &listing {
                out.push_str(&format!(
                    "{:<7} {:<name_width$} {:<13} {:<8} {:<7} {}\n",
                    r.code,
                    r.name,
                    r.family,
                    r.severity,
                    if r.fixable { "yes" } else { "no" },
                    r.summary
                ));
            }
        }
    }
    write_stdout(out.as_bytes())?;
    Ok(0)
}

pub(super) fn show_rule(code: &str) -> Result<u8, ConfigError> {
    let meta = rules::meta(&code.to_ascii_uppercase()).ok_or_else(|| {
        ConfigError(format!(
            "error: unknown rule `{code}` (see `fortress rules`)"
        ))
    })?;
    write_stdout(meta.doc.as_bytes())?;
    Ok(0)
}
