//! Pipfile (TOML): `[packages]` is runtime, `[dev-packages]` and other
//! categories named like tooling are dev.

use std::path::Path;

use toml::de::DeValue;
use toml::Spanned;

use super::manifest::{Declarations, Declared, Group, Sources};
use super::names::normalize;
use super::pyproject::{get, parse_toml, strings};

pub fn read(sources: &mut Sources, path: &Path, out: &mut Declarations) -> Option<usize> {
    let file = sources.load(path)?;
    let source = sources.files[file].source.clone();
    let root = parse_toml(sources, file, &source)?;
    out.has_manifest = true;
    for (category, value) in root.iter() {
        let category = category.get_ref().as_ref();
        let group = match category {
            "packages" => Group::Runtime,
            "dev-packages" => Group::Dev("dev-packages".into()),
            "source" | "requires" | "scripts" | "pipenv" => continue,
            other => Group::extra(other),
        };
        let DeValue::Table(t) = value.get_ref() else {
            sources.problem(
                file,
                value.span().start,
                format!("`[{category}]` must be a table"),
            );
            continue;
        };
        for (key, spec) in t.iter() {
            let name = key.get_ref().as_ref();
            let extras = match spec.get_ref() {
                DeValue::Table(s) => strings(get(s, "extras"))
                    .into_iter()
                    .map(|(e, _)| normalize(e))
                    .collect(),
                _ => Vec::new(),
            };
            // `"==1.2"`, `"*"` or `{ version = ">=1.2", ... }`: PEP 440 specifiers.
            let version = match spec.get_ref() {
                DeValue::String(v) => Some(v.as_ref()),
                DeValue::Table(s) => get(s, "version").and_then(|v| v.get_ref().as_str()),
                _ => None,
            };
            let span = Spanned::span(key);
            out.declared.push(Declared {
                name: normalize(name),
                written: name.to_owned(),
                extras,
                group: group.clone(),
                file,
                span,
                frozen: false,
                versions: version.and_then(super::versions::pep440),
            });
        }
    }
    Some(file)
}
