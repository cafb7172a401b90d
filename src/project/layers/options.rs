//! `[tool.fortress.layers]`: the table as written and its resolution.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{self as layers, LayerSettings};
use crate::options::{OptionError, SpannedList};

/// The keys of `[tool.fortress.layers]`, as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
pub struct RawLayers {
    /// Layer names, top (entry points) to bottom (data).
    pub order: Option<Spanned<SpannedList>>,
    /// Layers that may not be skipped.
    pub closed: Option<Spanned<SpannedList>>,
    /// Patterns replacing a layer's defaults.
    pub patterns: Option<BTreeMap<String, Spanned<SpannedList>>>,
    /// Patterns added to a layer's defaults.
    pub extend_patterns: Option<BTreeMap<String, Spanned<SpannedList>>>,
    /// Count imports made inside functions for layers and cycles.
    pub function_imports: Option<bool>,
    /// Count imports under `if TYPE_CHECKING:` for layers and cycles.
    pub type_checking_imports: Option<bool>,
    /// LAY005: statements a route handler may have.
    pub max_handler_statements: Option<Spanned<i64>>,
}

/// A key's place, to build its error from.
struct At(Range<usize>, &'static str);

impl At {
    fn error(&self, message: impl std::fmt::Display) -> OptionError {
        OptionError::new(self.1, Some(self.0.clone()), message.to_string())
    }
}

pub fn resolve(raw: &Spanned<RawLayers>) -> Result<LayerSettings, OptionError> {
    let table_span = raw.span();
    let raw = raw.get_ref();
    let at = |span: Range<usize>, key: &'static str| At(span, key);
    let mut order: Vec<String> = Vec::new();
    match &raw.order {
        Some(list) => {
            if list.get_ref().is_empty() {
                return Err(at(list.span(), "layers.order").error("needs at least one layer"));
            }
            for name in list.get_ref() {
                let value = name.get_ref().trim().to_owned();
                if !is_layer_name(&value) {
                    return Err(at(name.span(), "layers.order").error(format_args!(
                        "`{value}` is not a layer name (letters, digits, `_`, `-`)"
                    )));
                }
                if order.contains(&value) {
                    return Err(at(name.span(), "layers.order")
                        .error(format_args!("layer `{value}` appears twice")));
                }
                let has_patterns = raw
                    .patterns
                    .as_ref()
                    .and_then(|p| p.get(&value))
                    .is_some_and(|p| !p.get_ref().is_empty())
                    || raw
                        .extend_patterns
                        .as_ref()
                        .and_then(|p| p.get(&value))
                        .is_some_and(|p| !p.get_ref().is_empty());
                if !layers::BUILTIN.contains(&value.as_str()) && !has_patterns {
                    return Err(at(name.span(), "layers.order").error(format_args!(
                        "layer `{value}` has no patterns; add `{value} = [...]` to `[tool.fortress.layers.patterns]`"
                    )));
                }
                order.push(value);
            }
        }
        None => order.extend(layers::DEFAULT_ORDER.iter().map(|s| s.to_string())),
    }
    let mut closed = Vec::new();
    match &raw.closed {
        Some(list) => {
            for name in list.get_ref() {
                let value = name.get_ref().trim().to_owned();
                if !order.contains(&value) {
                    return Err(at(name.span(), "layers.closed").error(format_args!(
                        "`{value}` is not in the layer order ({})",
                        order.join(", ")
                    )));
                }
                closed.push(value);
            }
        }
        None if order.iter().any(|l| l == layers::SERVICE) => {
            closed.push(layers::SERVICE.to_owned())
        }
        None => {}
    }
    let mut tables: [Vec<(String, Vec<String>)>; 2] = [Vec::new(), Vec::new()];
    for (slot, (map, key)) in [
        (&raw.patterns, "layers.patterns"),
        (&raw.extend_patterns, "layers.extend-patterns"),
    ]
    .into_iter()
    .enumerate()
    {
        let Some(map) = map else { continue };
        for (layer, list) in map {
            if !is_layer_name(layer) {
                return Err(
                    at(list.span(), key).error(format_args!("`{layer}` is not a layer name"))
                );
            }
            let mut patterns = Vec::new();
            for p in list.get_ref() {
                layers::check_pattern(p.get_ref()).map_err(|m| at(p.span(), key).error(m))?;
                patterns.push(p.get_ref().clone());
            }
            tables[slot].push((layer.clone(), patterns));
        }
    }
    let max = match &raw.max_handler_statements {
        Some(v) => u32::try_from(*v.get_ref())
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| {
                at(v.span(), "layers.max-handler-statements")
                    .error("must be a whole number of at least 1")
            })?,
        None => 15,
    };
    LayerSettings::build(
        &order,
        &closed,
        &tables[0],
        &tables[1],
        raw.function_imports.unwrap_or(false),
        raw.type_checking_imports.unwrap_or(false),
        max,
    )
    .map_err(|m| at(table_span, "layers").error(m))
}

fn is_layer_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}
