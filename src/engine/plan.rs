//! What a run does, prepared once: the file rules to instantiate and the
//! node kinds each one, the facts collectors and the syntax checks want.

use super::*;
use crate::engine::syntax::SyntaxKinds;
use crate::project::{arch, FactSet};
use crate::python::imports;
use crate::rules::{self, FileChecker, RuleKind};

/// Statement kinds whose first line carries the suppressions for all their lines.
pub(super) const STATEMENT_KINDS: &[&str] = &[
    "expression_statement",
    "return_statement",
    "assert_statement",
    "raise_statement",
    "delete_statement",
    "import_statement",
    "import_from_statement",
    "future_import_statement",
    "global_statement",
    "nonlocal_statement",
    "type_alias_statement",
    "print_statement",
    "exec_statement",
    "if_statement",
    "elif_clause",
    "for_statement",
    "while_statement",
    "with_statement",
    "try_statement",
    "function_definition",
    "class_definition",
    "match_statement",
    "case_clause",
];

pub(super) struct FileRuleSlot {
    pub(super) registry_index: usize,
    pub(super) code: &'static str,
    pub(super) make: fn() -> Box<dyn FileChecker>,
}

/// What to run, prepared once per run.
pub struct Plan<'s> {
    pub settings: &'s Settings,
    /// Library versions and manifests, read once before the walk.
    pub profile: std::sync::Arc<crate::project::profile::Profile>,
    pub(super) file_rules: Vec<FileRuleSlot>,
    /// node kind id -> indices into `file_rules`
    pub(super) dispatch: Vec<Vec<usize>>,
    pub(super) is_import: Vec<bool>,
    /// Node kinds that open a scope or bind a name (the semantic model).
    pub(super) is_semantic: Vec<bool>,
    /// Node kinds the architecture facts collector wants.
    pub(super) is_arch: Vec<bool>,
    pub(super) is_call: Vec<bool>,
    /// Node kinds the symbol collector wants (classes, routes).
    pub(super) is_symbol: Vec<bool>,
    pub(super) is_statement: Vec<bool>,
    /// Node kinds the syntax checks look at (brackets, blocks, Python 2 forms).
    pub(super) syntax: SyntaxKinds,
    pub(super) comment_kind: u16,
    /// The kinds whose shared fields the walk reads once for all consumers
    /// (`python::fields`: calls and assignments).
    pub(super) has_fields: Vec<bool>,
    /// The rules enabled where no per-file ignore applies, shared by every
    /// such file's outcome.
    pub(super) enabled: std::sync::Arc<[bool]>,
}

impl<'s> Plan<'s> {
    /// The rules enabled for a file (per-file ignores applied): the shared
    /// table when no ignore applies (a table a file would otherwise hold
    /// for the whole run).
    pub(super) fn enabled_for(&self, rel: &str) -> std::sync::Arc<[bool]> {
        let enabled = self.settings.enabled_for(rel);
        if *enabled == *self.enabled {
            std::sync::Arc::clone(&self.enabled)
        } else {
            std::sync::Arc::from(enabled)
        }
    }

    pub fn new(settings: &'s Settings) -> Plan<'s> {
        Plan::with_facts(settings, FactSet::NONE)
    }

    /// A plan that also collects `extra` facts (`fortress layers` asks for
    /// the architecture facts without running a rule).
    pub fn with_facts(settings: &'s Settings, extra: FactSet) -> Plan<'s> {
        let needs = needed_facts(settings).union(extra);
        let language = crate::parse::language();
        let kind_count = language.node_kind_count();
        // Named kinds only: `await`, `lambda`, `type`, `yield`... are also the
        // names of anonymous keyword tokens, which no rule means.
        let ids_of = |names: &[&str]| -> Vec<bool> {
            (0..kind_count)
                .map(|id| {
                    language.node_kind_is_named(id as u16)
                        && language
                            .node_kind_for_id(id as u16)
                            .is_some_and(|k| names.contains(&k))
                })
                .collect()
        };
        let mut file_rules = Vec::new();
        let mut dispatch = vec![Vec::new(); kind_count];
        for (registry_index, entry) in rules::registry().iter().enumerate() {
            if let RuleKind::File { kinds, make, .. } = &entry.kind {
                let slot = file_rules.len();
                file_rules.push(FileRuleSlot {
                    registry_index,
                    code: entry.meta.code,
                    make: *make,
                });
                for (id, wanted) in ids_of(kinds).into_iter().enumerate() {
                    if wanted {
                        dispatch[id].push(slot);
                    }
                }
            }
        }
        Plan {
            enabled: std::sync::Arc::from(settings.enabled.as_slice()),
            settings,
            profile: Default::default(),
            file_rules,
            dispatch,
            is_import: ids_of(imports::IMPORT_KINDS),
            is_semantic: ids_of(crate::python::semantic::SEMANTIC_KINDS),
            // Facts no enabled rule reads are not collected.
            is_arch: if needs.contains(FactSet::ARCHITECTURE) {
                ids_of(arch::ARCH_KINDS)
            } else {
                vec![false; kind_count]
            },
            is_call: if needs.contains(FactSet::DYNAMIC_IMPORTS) {
                ids_of(&["call"])
            } else {
                vec![false; kind_count]
            },
            is_symbol: if needs.contains(FactSet::SYMBOLS) {
                ids_of(crate::project::symbols::SYMBOL_KINDS)
            } else {
                vec![false; kind_count]
            },
            is_statement: ids_of(STATEMENT_KINDS),
            syntax: SyntaxKinds::new(&language),
            comment_kind: language.id_for_node_kind("comment", true),
            has_fields: ids_of(crate::python::fields::FIELD_KINDS),
        }
    }
}

/// The facts the enabled project rules read.
pub fn needed_facts(settings: &Settings) -> FactSet {
    rules::registry()
        .iter()
        .zip(&settings.enabled)
        .filter(|(_, on)| **on)
        .fold(FactSet::IMPORTS, |acc, (entry, _)| match &entry.kind {
            RuleKind::Project { needs, .. } | RuleKind::File { needs, .. } => acc.union(*needs),
            _ => acc,
        })
}
