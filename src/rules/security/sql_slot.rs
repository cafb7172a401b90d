//! Where a runtime piece stands in the SQL text around it (a value, a name,
//! a fragment): what splits SEC001 (values) from SEC008 (names and
//! fragments). Read from the literal text only, never by parsing SQL.

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast as pyast;

/// Where a runtime piece stands in the SQL it is formatted into, which
/// decides the harm: a value (SEC001: a bound parameter is the cure), a
/// name no driver can bind, or a fragment of SQL the code composes (SEC008).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Slot {
    /// A table, column, schema, function or keyword (`FROM {table}`,
    /// `ORDER BY {column}`, `{fn}(...)`, `BEGIN {mode}`).
    Name,
    /// A value in a statement that takes no bound parameters: `PRAGMA key =
    /// '{key}'`, `SET LOCAL lock_timeout = '{n}s'`, `CREATE TABLE t (v
    /// VECTOR({dim}))`. No driver can bind it, so the cure is validating it
    /// (SEC008), not a bound parameter.
    Setting,
    /// A piece of SQL (`WHERE {where}`, `{clause}`, a whole statement).
    Fragment,
    /// Where SQL has a value: inside a quoted literal, after a comparison
    /// or `LIKE`/`LIMIT`/`OFFSET`, inside `IN (...)`, `VALUES (...)` or a
    /// function's argument list.
    Value,
}

/// SQL words after which a name follows (`FROM {table}`, `DROP SCHEMA
/// {schema}`, `ORDER BY {column}`, `BEGIN {mode}`, `NOTIFY {channel}`).
const NAME_KEYWORDS: &[&str] = &[
    "FROM", "JOIN", "INTO", "UPDATE", "TABLE", "EXISTS", "SCHEMA", "INDEX", "VIEW", "DATABASE",
    "SEQUENCE", "TRUNCATE", "BEGIN", "NOTIFY", "LISTEN", "TRIGGER", "COLUMN", "BY", "AS", "ON",
    "USING", "SELECT", "DISTINCT",
];

/// SQL words after which a value follows.
const VALUE_KEYWORDS: &[&str] = &["LIKE", "ILIKE", "LIMIT", "OFFSET", "BETWEEN", "TOP"];

/// SQL words before `(` that open a list of names, not of values
/// (`CREATE TABLE t (...)`, `INSERT INTO t (a, b)`, `USING gin (...)`).
const NAME_LIST_KEYWORDS: &[&str] = &["TABLE", "INTO", "ON", "USING", "INDEX", "KEY"];

/// SQL words before a name whose `(` opens a list of names
/// (`INTO t (`, `TABLE IF NOT EXISTS t (`, `INDEX i ON t (`).
const NAMED_BEFORE_LIST: &[&str] = &["INTO", "TABLE", "EXISTS", "INDEX", "ON", "VIEW", "USING"];

/// SQL words before `(` that open a group of conditions or a subquery.
const GROUP_KEYWORDS: &[&str] = &[
    "WHERE", "AND", "OR", "NOT", "HAVING", "EXISTS", "SELECT", "WITH", "AS", "FROM", "JOIN",
];

fn last_word(text: &str) -> &str {
    text.trim_end()
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("")
}

/// First words of statements that take no bound parameters (PostgreSQL's
/// utility statements, SQLite's `PRAGMA`, DDL in every dialect).
const UNBINDABLE_STATEMENTS: &[&str] = &["PRAGMA", "SET", "CREATE", "ALTER", "GRANT", "REVOKE"];

/// The slot a runtime piece fills, from the literal SQL text `before` it
/// (other runtime pieces written as `{}`) and the text `after` it. A value
/// in a statement that takes no bound parameters is a [`Slot::Setting`].
pub(super) fn slot_of(before: &str, after: &str) -> Slot {
    let slot = slot_in_statement(before, after);
    if slot == Slot::Value && takes_no_parameters(before) {
        return Slot::Setting;
    }
    slot
}

/// Does the statement `before` starts (its first word) take no bound
/// parameters? `CREATE TABLE t AS SELECT ... WHERE x = {v}` does not count:
/// a query inside it could bind.
fn takes_no_parameters(before: &str) -> bool {
    let text = before.trim_start().trim_start_matches('(');
    let first = text
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    UNBINDABLE_STATEMENTS
        .iter()
        .any(|k| k.eq_ignore_ascii_case(first))
        && !text.to_ascii_uppercase().contains("SELECT")
}

fn slot_in_statement(before: &str, after: &str) -> Slot {
    if before.matches('\'').count() % 2 == 1 {
        return Slot::Value;
    }
    let trimmed = before.trim_end();
    if trimmed.ends_with(['=', '<', '>']) && !trimmed.ends_with("=>") {
        return Slot::Value;
    }
    let word = last_word(trimmed);
    if VALUE_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) {
        // `CREATE TABLE a LIKE {b}` copies a table: a name.
        let ddl = word.eq_ignore_ascii_case("LIKE")
            && trimmed.to_ascii_uppercase().contains("CREATE TABLE");
        return if ddl { Slot::Name } else { Slot::Value };
    }
    if trimmed.ends_with(['(', ',']) {
        // The innermost parenthesis still open, and the word before it.
        let mut depth = 0usize;
        for (i, c) in trimmed.char_indices().rev() {
            match c {
                ')' => depth += 1,
                '(' if depth > 0 => depth -= 1,
                '(' => {
                    let head = trimmed[..i].trim_end();
                    let word = last_word(head);
                    if word.is_empty() || !head.ends_with(word) {
                        break;
                    }
                    let prior = last_word(&head[..head.len() - word.len()]);
                    // `INSERT INTO t (a, b)`, `CREATE TABLE IF NOT EXISTS t (`,
                    // `PRIMARY KEY (`, `USING gin (`: names.
                    if NAME_LIST_KEYWORDS
                        .iter()
                        .any(|k| k.eq_ignore_ascii_case(word))
                        || NAMED_BEFORE_LIST
                            .iter()
                            .any(|k| k.eq_ignore_ascii_case(prior))
                    {
                        return Slot::Name;
                    }
                    // `WHERE (`, `AND (`: a group of conditions.
                    if GROUP_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) {
                        break;
                    }
                    // `IN (`, `VALUES (`, `coalesce(`, `setval(`: values.
                    return Slot::Value;
                }
                _ => {}
            }
        }
    }
    if after.starts_with('(') {
        return Slot::Name;
    }
    let unquoted = trimmed.trim_end_matches(['"', '`', '[']);
    if unquoted.ends_with('.') && !unquoted.ends_with("..") {
        return Slot::Name;
    }
    if unquoted.ends_with("::") {
        return Slot::Name;
    }
    // `DO $$ BEGIN {statements} END $$`: a block of statements.
    if NAME_KEYWORDS.iter().any(|k| k.eq_ignore_ascii_case(word)) && !before.contains("$$") {
        // `SELECT {columns} FROM`, `ON {condition}`: a list or a condition
        // when more than a name follows.
        return Slot::Name;
    }
    Slot::Fragment
}

/// The worst slot of the format fields of a literal template: `{}`/`{name}`
/// for `.format()`, `%s`/`%(name)s` for `%`.
pub(super) fn template_slot(text: &str, percent: bool) -> Option<Slot> {
    let mut worst: Option<Slot> = None;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let (field, len) = if percent {
            if bytes[i] == b'%' && bytes.get(i + 1).is_some_and(|b| *b != b'%') {
                // `%s`, `%d`, `%-10s`, `%(name)s`: up to the conversion letter.
                let from = if bytes.get(i + 1) == Some(&b'(') {
                    text[i..].find(')').map_or(text.len(), |e| i + e + 1)
                } else {
                    i + 1
                };
                let end = text
                    .get(from..)
                    .and_then(|rest| rest.find(|c: char| c.is_ascii_alphabetic()))
                    .map_or(text.len(), |e| from + e + 1);
                (true, end - i)
            } else if bytes[i] == b'%' {
                (false, 2)
            } else {
                (false, 1)
            }
        } else if bytes[i] == b'{' && bytes.get(i + 1) == Some(&b'{') {
            (false, 2)
        } else if bytes[i] == b'{' {
            let end = text[i..].find('}').map_or(text.len(), |e| i + e + 1);
            (true, end - i)
        } else {
            (false, 1)
        };
        if field {
            let before = text.get(..i).unwrap_or("");
            let after = text.get(i + len..).unwrap_or("");
            let slot = slot_of(before, after);
            worst = Some(worst.map_or(slot, |w| w.max(slot)));
        }
        i += len.max(1);
        while i < bytes.len() && !text.is_char_boundary(i) {
            i += 1;
        }
    }
    worst
}

/// The slot the f-string placeholder (its expression `e`) fills: the
/// literal text before it in the string (and the string parts before it in
/// an implicit concatenation), the text after it.
pub(super) fn fstring_slot(e: Node<'_>, source: &str) -> Slot {
    let Some(interpolation) = e.parent() else {
        return Slot::Value;
    };
    let mut before = String::new();
    let mut at = interpolation.prev_sibling();
    while let Some(n) = at {
        match n.kind_str() {
            "string_content" => before.insert_str(0, pyast::text(n, source)),
            "interpolation" => before.insert_str(0, "{}"),
            _ => {}
        }
        at = n.prev_sibling();
    }
    // Earlier parts of `"..." f"..."`.
    if let Some(string) = interpolation.parent() {
        let mut part = string.prev_sibling();
        while let Some(p) = part {
            if p.kind_str() == "string" {
                before.insert_str(0, &pyast::string_text(p, source));
            }
            part = p.prev_sibling();
        }
    }
    let after = interpolation
        .next_sibling()
        .filter(|n| n.kind_str() == "string_content")
        .map(|n| pyast::text(n, source))
        .unwrap_or("");
    slot_of(&before, after)
}

/// Does this literal text look like (part of) an SQL statement?
pub fn looks_like_sql(text: &str) -> bool {
    const WORDS: &[&str] = &[
        "select",
        "insert",
        "update",
        "delete",
        "from",
        "where",
        "create",
        "drop",
        "alter",
        "truncate",
        "values",
        "join",
        "pragma",
        "grant",
        "revoke",
        "vacuum",
        "attach",
        "explain",
        "having",
        "returning",
        "limit",
        "offset",
    ];
    if text.len() < 4 {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    lower
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .any(|w| WORDS.contains(&w))
}

#[cfg(test)]
mod tests {
    use super::{slot_of, template_slot, Slot};

    #[test]
    fn values_names_and_fragments() {
        assert_eq!(slot_of("SELECT * FROM t WHERE name = '", "'"), Slot::Value);
        assert_eq!(slot_of("SELECT * FROM t WHERE id = ", ""), Slot::Value);
        assert_eq!(slot_of("SELECT * FROM t WHERE id IN (", ")"), Slot::Value);
        assert_eq!(
            slot_of("INSERT INTO t (a, b) VALUES (1, ", ")"),
            Slot::Value
        );
        assert_eq!(slot_of("SELECT * FROM t LIMIT ", ""), Slot::Value);
        assert_eq!(slot_of("SELECT setval('s', ", ")"), Slot::Value);
        assert_eq!(slot_of("DROP TABLE ", ""), Slot::Name);
        assert_eq!(slot_of("SELECT * FROM t ORDER BY ", ""), Slot::Name);
        assert_eq!(slot_of("SELECT ", "(embedding) FROM t"), Slot::Name);
        assert_eq!(slot_of("SELECT * FROM {}.", ""), Slot::Name);
        assert_eq!(slot_of("SELECT x::", " FROM t"), Slot::Name);
        assert_eq!(slot_of("INSERT INTO t (", ") VALUES (?)"), Slot::Name);
        assert_eq!(slot_of("CREATE TABLE a LIKE ", ""), Slot::Name);
        assert_eq!(slot_of("SELECT * FROM t WHERE ", ""), Slot::Fragment);
        assert_eq!(
            slot_of("SELECT * FROM t WHERE (", ") AND x"),
            Slot::Fragment
        );
        assert_eq!(slot_of("WITH m AS (", ") SELECT 1"), Slot::Fragment);
        assert_eq!(slot_of("DO $$ BEGIN ", " END $$"), Slot::Fragment);
        assert_eq!(slot_of("PRAGMA key = '", "'"), Slot::Setting);
        assert_eq!(slot_of("SET LOCAL lock_timeout = '", "s'"), Slot::Setting);
        assert_eq!(
            slot_of("\n  set session innodb_lock_wait_timeout = ", ""),
            Slot::Setting
        );
        assert_eq!(
            slot_of(
                "CREATE TABLE IF NOT EXISTS t (embedding VECTOR(",
                ") NOT NULL)"
            ),
            Slot::Setting
        );
        assert_eq!(
            slot_of("CREATE TABLE t AS SELECT * FROM s WHERE id = ", ""),
            Slot::Value
        );
        assert_eq!(slot_of("UPDATE t SET a = ", ""), Slot::Value);
        assert_eq!(slot_of("ATTACH '", "' AS s"), Slot::Value);
    }

    #[test]
    fn template_fields() {
        assert_eq!(
            template_slot("SELECT * FROM t WHERE id = {}", false),
            Some(Slot::Value)
        );
        assert_eq!(
            template_slot("SELECT * FROM {table} WHERE {where}", false),
            Some(Slot::Fragment)
        );
        assert_eq!(template_slot("SELECT {{literal}} FROM t", false), None);
        assert_eq!(
            template_slot("SELECT * FROM t ORDER BY %s", true),
            Some(Slot::Name)
        );
        assert_eq!(
            template_slot("SELECT * FROM t WHERE id = %(id)s", true),
            Some(Slot::Value)
        );
        assert_eq!(
            template_slot("SELECT * FROM t WHERE name LIKE 'a%%'", true),
            None
        );
    }
}
