//! NAM001: a class defined in a layer's module is not named like the
//! layer's classes (`{Entity}Repository` in a repository module,
//! `{Entity}Service` in a service module, `{Entity}Create`/... for
//! schemas), or, when file patterns are configured, a layer's file is not
//! named like them.
//!
//! Only the classes a layer is about are judged: private classes, nested
//! classes, exceptions, enums, typed dicts, protocols, named tuples,
//! dataclasses and attrs classes, Pydantic models beside a service,
//! abstract bases, mixins and configuration classes are left alone. In a
//! schema module only Pydantic/SQLModel models (not tables) are judged.

use crate::diagnostic::{Position, Severity};
use crate::project::arch::Spot;
use std::collections::{HashMap, HashSet};
use std::ops::ControlFlow;

use crate::project::layers::{model, Reason, SCHEMA, WIRING};
use crate::project::symbols::{ClassFact, ClassId};
use crate::project::{FactSet, Project};
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

use super::options::NamePattern;

pub const META: RuleMeta = RuleMeta {
    code: "NAM001",
    name: "layer-naming",
    family: Family::Naming,
    severity: Severity::Warning,
    fixable: false,
    summary: "A repository or service class the layers above use is not named like its layer's classes (`{Entity}Repository`, `{Entity}Service`)",
    help: "rename the class after the entity and the layer (`OrderRepository`, `OrderService`, `OrderCreate`), move it to the module it belongs to, or set the patterns in `[tool.fortress.naming]`",
    doc: include_str!("../../../rules/NAM001.md"),
    security_severity: None,
};

/// How far up the base classes the checks look.
const MAX_ANCESTORS: usize = 16;

/// Bases that make a class a value holder or a type, not a layer's
/// component: never judged in any layer.
const TYPE_BASES: &[&str] = &[
    "Enum",
    "IntEnum",
    "StrEnum",
    "Flag",
    "IntFlag",
    "TypedDict",
    "Protocol",
    "NamedTuple",
    "ABC",
    "BaseSettings",
    "Exception",
    "BaseException",
];

/// Bases of Pydantic and SQLModel models.
const MODEL_BASES: &[&str] = &["BaseModel", "SQLModel", "RootModel"];

/// Decorators of value holders (`@dataclass`, `@attr.s`, `@define`).
const VALUE_DECORATORS: &[&str] = &[
    "dataclass",
    "dataclasses.dataclass",
    "pydantic.dataclasses.dataclass",
    "attr.s",
    "attr.attrs",
    "attrs",
    "attrs.define",
    "attrs.frozen",
    "attr.define",
    "attr.frozen",
    "define",
    "frozen",
];

/// Words around a layer's name that keep the name a layer's class:
/// `RepositoryBase`, `UserServiceImpl`, `OrderRepositoryProtocol`.
const SUFFIXES: &[&str] = &["Base", "Protocol", "Interface", "Impl", "ABC", "Mixin"];

/// Name endings of classes no layer convention is about.
const FREE_ENDINGS: &[&str] = &[
    "Error",
    "Exception",
    "Warning",
    "Mixin",
    "Config",
    "Settings",
    "Options",
    "Protocol",
    "Interface",
];

/// What a class derives from: the external bases (last name part) and
/// the project classes, transitively.
#[derive(Debug, Default)]
struct Ancestry {
    external: Vec<String>,
    names: Vec<String>,
    table: bool,
}

fn last_part(s: &str) -> &str {
    s.rsplit('.').next().unwrap_or(s)
}

/// The last CamelCase word: `Client` of `AsyncClient`.
fn last_word(name: &str) -> &str {
    let at = name
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_ascii_uppercase())
        .map_or(0, |(i, _)| i);
    &name[at..]
}

fn ancestry(project: &Project<'_>, id: ClassId) -> Ancestry {
    let mut out = Ancestry::default();
    project
        .symbols()
        .walk_ancestry(project, id, MAX_ANCESTORS, |at, fact, resolved| {
            out.table |= fact.table;
            if at != id {
                out.names.push(fact.name.to_string());
            }
            for (base, _) in fact.bases.iter().zip(resolved).filter(|(_, r)| r.is_none()) {
                let written = base.qualified.as_deref().unwrap_or(&base.written);
                out.external.push(last_part(written).to_owned());
            }
            ControlFlow::<()>::Continue(())
        });
    out
}

/// A class no layer's naming convention is about.
fn exempt(class: &ClassFact, ancestry: &Ancestry, schema: bool) -> bool {
    let name = class.name.as_str();
    if name.starts_with('_') || class.nested || name.starts_with("Abstract") {
        return true;
    }
    // No method of its own: a marker or a record (`class UserCreated(Event):
    // object = "user"`), not a component with behaviour.
    if class.methods == 0 && !schema {
        return true;
    }
    let ends_free = |n: &str| FREE_ENDINGS.iter().any(|e| n.ends_with(e));
    if ends_free(name) || ancestry.names.iter().any(|n| ends_free(n)) {
        return true;
    }
    if ancestry
        .external
        .iter()
        .any(|b| TYPE_BASES.contains(&b.as_str()) || b.ends_with("Error") || b.ends_with("Enum"))
    {
        return true;
    }
    if class
        .decorators
        .iter()
        .any(|d| VALUE_DECORATORS.contains(&d.as_str()))
    {
        return true;
    }
    // A kind of a library's class (`HTTPMultiClient(httpx.AsyncClient)`,
    // `JobQueue(asyncio.Queue)`): named after what it extends.
    if ancestry
        .external
        .iter()
        .any(|b| b.len() > 1 && last_word(b) == last_word(name))
    {
        return true;
    }
    let model = ancestry
        .external
        .iter()
        .any(|b| MODEL_BASES.contains(&b.as_str()));
    if schema {
        // Schemas are the API's models; a table is the model layer's.
        !model || ancestry.table || class.table
    } else {
        // Pydantic models beside a service are its inputs and results.
        model
    }
}

/// Does `name` follow one of the patterns, allowing the layer's generic
/// base (`Repository`, `BaseRepository`) and the usual words around it
/// (`UserRepositoryImpl`, `RepositoryBase`)?
fn follows(name: &str, patterns: &[NamePattern]) -> bool {
    let trimmed = SUFFIXES
        .iter()
        .filter_map(|s| name.strip_suffix(s))
        .find(|rest| !rest.is_empty());
    let candidates = std::iter::once(name).chain(trimmed);
    let mut candidates = candidates.flat_map(|n| [n, n.strip_prefix("Base").unwrap_or(n)]);
    candidates.any(|n| {
        patterns
            .iter()
            .any(|p| p.matches(n) || (!n.is_empty() && n == p.bare()))
    })
}

/// `{Entity}Service`, or the first three patterns and how many more.
fn expected(patterns: &[NamePattern]) -> String {
    let shown: Vec<String> = patterns
        .iter()
        .take(3)
        .map(|p| format!("`{}`", p.written))
        .collect();
    let more = patterns.len().saturating_sub(3);
    let mut out = shown.join(", ");
    if more > 0 {
        out.push_str(&format!(" (or one of {more} more)"));
    }
    out
}

/// (defining file, class name) -> the layers of the modules importing it by name.
fn importers<'m>(
    project: &Project<'_>,
    model: &'m model::Model,
) -> HashMap<(usize, &'m str), HashSet<usize>> {
    let mut out: HashMap<(usize, &str), HashSet<usize>> = HashMap::new();
    for edge in &model.edges {
        let (Some(name), Some((layer, _))) = (&edge.name, model.layers[edge.from].as_ref()) else {
            continue;
        };
        if project.files[edge.from].is_test {
            continue;
        }
        out.entry((edge.defined_in, name.as_str()))
            .or_default()
            .insert(*layer);
    }
    out
}

#[derive(Default)]
pub struct LayerNaming;

impl ProjectRule for LayerNaming {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS
        .union(FactSet::ARCHITECTURE)
        .union(FactSet::SYMBOLS);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let (project, out) = (cx.project, &mut *cx.findings);
        let settings = &cx.options.naming;
        let model = model::get(project);
        let importers = importers(project, model);
        let layers = &project.options.layers.layers;
        for file in 0..project.files.len() {
            let Some(layer) = model.layer_name(project, file) else {
                continue;
            };
            let module = model::module_name(project, file);
            if let Some(patterns) = settings.files.get(layer).filter(|p| !p.is_empty()) {
                let rel = &project.files[file].rel;
                let name = rel.rsplit('/').next().unwrap_or(rel);
                // `services.py`, `crud.py`: a module named after the layer
                // is the layer itself, not one of its entity modules.
                let stem = name.strip_suffix(".py").unwrap_or(name);
                let named_as_layer = matches!(
                    model.layers[file].as_ref(),
                    Some((_, Reason::Pattern(p))) if p == stem
                );
                if name != "__init__.py"
                    && !named_as_layer
                    && !patterns.iter().any(|p| p.matches(name))
                {
                    let start = Position { line: 1, column: 1 };
                    let spot = Spot::new(0..0, start, start);
                    out.push(model::finding(
                        META.code,
                        file,
                        &spot,
                        format!(
                            "the {layer} module `{module}` is in a file named `{name}`; the layer's files are named {}",
                            expected(patterns)
                        ),
                    ));
                }
            }
            let Some(patterns) = settings.classes.get(layer).filter(|p| !p.is_empty()) else {
                continue;
            };
            let schema = layer == SCHEMA;
            let Some((own, _)) = model.layers[file].as_ref() else {
                continue;
            };
            for (i, class) in project.facts[file].symbols.classes.iter().enumerate() {
                // `class get_repository:` is a callable dependency, not a component.
                if class.nested
                    || !class.name.starts_with(|c: char| c.is_ascii_uppercase())
                    || follows(&class.name, patterns)
                {
                    continue;
                }
                // A ranked layer's component is what the layers above it
                // (or the wiring) import: the classes only its own layer
                // uses are its helpers (`RunnerClient`, `ConnectionPool`).
                let rank = layers[*own].rank;
                let used_above = importers
                    .get(&(file, class.name.as_str()))
                    .is_some_and(|from| {
                        from.iter().any(|&l| {
                            layers[l].name == WIRING
                                || matches!((layers[l].rank, rank), (Some(a), Some(b)) if a < b)
                        })
                    });
                // The top layer (endpoints) has nothing above it: all judged.
                if rank.is_some_and(|r| r > 0) && !used_above {
                    continue;
                }
                if exempt(class, &ancestry(project, (file, i)), schema) {
                    continue;
                }
                out.push(model::finding(
                    META.code,
                    file,
                    &class.spot,
                    format!(
                        "`{}` is defined in `{module}` ({layer} layer), whose classes are named {}",
                        class.name,
                        expected(patterns)
                    ),
                ));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(list: &[&str]) -> Vec<NamePattern> {
        list.iter()
            .map(|p| NamePattern::parse(p, false).expect("valid"))
            .collect()
    }

    #[test]
    fn names_around_the_pattern_follow_it() {
        let repo = patterns(&["{Entity}Repository"]);
        for name in [
            "UserRepository",
            "Repository",
            "BaseRepository",
            "RepositoryBase",
            "UserRepositoryImpl",
            "UserRepositoryProtocol",
            "BaseUserRepository",
        ] {
            assert!(follows(name, &repo), "{name}");
        }
        for name in ["UserRepo", "UserStore", "Base", "Impl", "Users"] {
            assert!(!follows(name, &repo), "{name}");
        }
        assert_eq!(expected(&repo), "`{Entity}Repository`");
        assert_eq!(last_word("HTTPMultiClient"), "Client");
        assert_eq!(last_word("Queue"), "Queue");
        assert_eq!(last_word("nginx"), "nginx");
        let many = patterns(&["{Entity}A", "{Entity}B", "{Entity}C", "{Entity}D"]);
        assert_eq!(
            expected(&many),
            "`{Entity}A`, `{Entity}B`, `{Entity}C` (or one of 1 more)"
        );
    }
}
