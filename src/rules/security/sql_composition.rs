//! SEC008: SQL composed at runtime from names or fragments that reaches an
//! execution sink. The same evaluation as SEC001 ([`SqlSinks`]); SEC001
//! reports runtime values formatted where SQL has a value (a bound parameter
//! is the cure), this rule the rest: table, column and schema names, SQL
//! keywords and whole clauses the code builds, which no driver can bind and
//! whose safety depends on where the pieces come from. When SEC001 runs
//! on the file too, its checker evaluates once and reports for both; this
//! rule's checker then skips the file.

use tree_sitter::Node;

use super::sql_string_building::{Harm, SqlSinks, SQL_KINDS};
use crate::diagnostic::Severity;
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

#[derive(Default)]
pub struct SqlComposition(SqlSinks);

impl Rule for SqlComposition {
    const META: RuleMeta = RuleMeta {
        code: "SEC008",
        name: "sql-composition",
        family: Family::Security,
        severity: Severity::Warning,
        fixable: false,
        summary: "SQL composed at runtime from a name (table, column, keyword) or a fragment (`WHERE {where}`) reaches `text()`, `.execute()` or another SQL sink",
        help: "check names against an allowlist or quote them with the dialect's preparer (`identifier_preparer.quote`) or psycopg's `sql.Identifier`; build clauses with SQLAlchemy Core instead of strings",
        doc: include_str!("../../../rules/SEC008.md"),
        security_severity: Some("5.0"),
    };
    const KINDS: &'static [&'static str] = SQL_KINDS;

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        self.0.visit(node, cx, Harm::Composed);
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        self.0.finish(cx, Harm::Composed);
    }
}
