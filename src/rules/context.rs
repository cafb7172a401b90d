//! What a rule sees while the engine walks one file.

use std::ops::Range;

use tree_sitter::Node;

use crate::diagnostic::{Finding, Fix, LineIndex};
use crate::files::FileInfo;
use crate::project::arch::Spot;
use crate::project::symbols::{Deferred, Question};
use crate::project::Import;
use crate::python::fields::NodeFields;
use crate::python::semantic::{ScopeId, Semantic};

/// Per-visit view of the file for a rule.
pub struct Cx<'a> {
    pub source: &'a str,
    pub file: &'a FileInfo,
    /// Ancestors of the visited node, outermost first (empty in `finish`).
    pub ancestors: &'a [Node<'a>],
    /// Imports seen so far in document order; all of them in `finish`.
    pub imports: &'a [Import],
    /// Scopes and bindings seen so far (all of them in `finish`).
    pub semantic: &'a Semantic<'a>,
    /// The rule options of the run (`options.project.tests`, `options.security`).
    pub options: &'a crate::rules::Options,
    /// What the run knew before the walk: library versions from the manifests.
    pub profile: &'a crate::project::profile::Profile,
    /// The file is a migration (`project::migrations`): rules about how
    /// application code is written skip it; security rules do not.
    pub migration: bool,
    pub(crate) code: &'static str,
    pub(crate) findings: &'a mut Vec<Finding>,
    pub(crate) lines: &'a LineIndex,
    pub(crate) deferred: &'a mut Vec<Deferred>,
    /// The rules enabled for this file, by registry index.
    pub(crate) enabled: &'a [bool],
    /// The fields of the visited node read once for every rule visiting
    /// it ([`Cx::call_function`], [`Cx::assignment_right`]); empty in `finish`.
    pub(crate) fields: NodeFields<'a>,
}

impl<'a> Cx<'a> {
    pub fn text(&self, node: Node<'_>) -> &'a str {
        self.source.get(node.byte_range()).unwrap_or("")
    }

    /// The scope `node` (visited now, its ancestors in `self.ancestors`) is
    /// evaluated in.
    pub fn scope(&self, node: Node<'_>) -> ScopeId {
        self.semantic.scope_of(self.ancestors, node)
    }

    /// The qualified name the dotted expression text `dotted`, used at
    /// `node`, stands for through the file's imports.
    pub fn qualified_name(&self, dotted: &str, node: Node<'_>) -> Option<String> {
        self.semantic
            .qualified_name(dotted, self.scope(node), node.start_byte())
    }

    /// The callee (the `function` field) of the call being visited: the
    /// engine reads it once per call for all the rules that visit calls.
    /// `None` when the visited node is not a call (and in `finish`).
    pub fn call_function(&self) -> Option<Node<'a>> {
        self.fields.function
    }

    /// The `attribute` field of the visited call's callee when it is an
    /// attribute (`m` of `a.b.m(...)`), read once for all rules.
    pub fn callee_attribute(&self) -> Option<Node<'a>> {
        self.fields.callee_attribute
    }

    /// The last name of the visited call's callee (`ast::last_name` of
    /// [`Cx::call_function`]): `f` of `f(...)`, `m` of `a.b.m(...)`.
    pub fn callee_last_name(&self) -> Option<&'a str> {
        self.fields.callee_last_name(self.source)
    }

    /// The shared fields of the visited node (`python::fields`).
    pub fn fields(&self) -> &NodeFields<'a> {
        &self.fields
    }

    /// The `left` field of the visited assignment, read once for all rules.
    pub fn assignment_left(&self) -> Option<Node<'a>> {
        self.fields.left
    }

    /// The `right` field of the visited assignment, read once for all rules.
    pub fn assignment_right(&self) -> Option<Node<'a>> {
        self.fields.right
    }

    /// Whether the rule `code` runs on this file. Two rules computed from
    /// one evaluation (SEC001 and SEC008) use it so that the evaluation is
    /// made once, by one of them, for both.
    pub fn is_enabled(&self, code: &str) -> bool {
        crate::rules::index_of(code)
            .and_then(|i| self.enabled.get(i).copied())
            .unwrap_or(false)
    }

    pub fn parent(&self) -> Option<Node<'a>> {
        self.ancestors.last().copied()
    }

    pub fn report(&mut self, node: Node<'_>, message: impl Into<String>) {
        self.report_span(node.byte_range(), message);
    }

    /// A finding that stands only if `question` holds across the project
    /// (answered after every file is walked, through the project symbol
    /// table; the rule declares the facts it needs in `Rule::NEEDS`).
    pub fn defer(&mut self, span: Range<usize>, message: impl Into<String>, question: Question) {
        let start = self.lines.position(span.start, self.source);
        let end = self.lines.position(span.end, self.source);
        self.deferred.push(Deferred {
            code: self.code,
            spot: Spot::new(span, start, end),
            message: message.into(),
            question,
        });
    }

    pub fn report_span(&mut self, span: Range<usize>, message: impl Into<String>) {
        self.report_fix(span, message, None);
    }

    /// A finding of the enabled rule `code`, computed by the rule visiting
    /// now on behalf of that one (see [`Cx::is_enabled`]).
    pub fn report_span_as(
        &mut self,
        code: &'static str,
        span: Range<usize>,
        message: impl Into<String>,
    ) {
        self.findings.push(Finding {
            code,
            span,
            message: message.into(),
            fix: None,
        });
    }

    /// A finding with the fix `--fix` may apply.
    pub fn report_fix(&mut self, span: Range<usize>, message: impl Into<String>, fix: Option<Fix>) {
        self.findings.push(Finding {
            code: self.code,
            span,
            message: message.into(),
            fix,
        });
    }
}
