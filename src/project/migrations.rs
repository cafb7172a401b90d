//! What is migration code: schema and data migrations that a migration tool
//! runs once, in order, and that are generated more than written.
//!
//! A file is a migration when its content says so:
//! - an **Alembic revision**: module-level `revision` and `down_revision`
//!   assignments (plain or annotated), whatever the folder is called
//!   (`versions/`, `main_versions/`, `versions/2024/`, `version_locations`);
//! - a **Django migration**: a module-level `class Migration(...)` in a
//!   package folder named `migrations`.
//!
//! Rules about how application code is written (type hints, N+1 queries,
//! layering, test conventions, dependency declarations) do not apply there;
//! security rules still do. The engine classifies each file once, before its
//! walk: file rules read `Cx::migration` (in `rules`), project rules
//! [`crate::project::Project::is_migration`].

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::{self as pyast, fid};

/// Is the parsed file (`root` of `source`, at project-relative `rel`) a migration?
pub fn is_migration(rel: &str, root: Node<'_>, source: &str) -> bool {
    let in_migrations_package = rel
        .rsplit('/')
        .nth(1)
        .is_some_and(|dir| dir == "migrations");
    let mut revision = false;
    let mut down_revision = false;
    let mut cursor = root.walk();
    for child in root.named_children(&mut cursor) {
        match child.kind_str() {
            "expression_statement" => {
                let Some(assign) = pyast::statement_assignment(child) else {
                    continue;
                };
                let Some(left) = assign.child_by_field_id(*fid::LEFT) else {
                    continue;
                };
                match source.get(left.byte_range()).unwrap_or("") {
                    "revision" => revision = true,
                    "down_revision" => down_revision = true,
                    _ => {}
                }
                if revision && down_revision {
                    return true;
                }
            }
            "class_definition" if in_migrations_package => {
                let named_migration = child
                    .child_by_field_id(*fid::NAME)
                    .is_some_and(|n| source.get(n.byte_range()) == Some("Migration"));
                let has_bases = child.child_by_field_id(*fid::SUPERCLASSES).is_some();
                if named_migration && has_bases {
                    return true;
                }
            }
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classify(rel: &str, source: &str) -> bool {
        let tree = crate::parse::parse(source).expect("parses");
        is_migration(rel, tree.root_node(), source)
    }

    #[test]
    fn alembic_revisions_by_content() {
        let rev = "revision = \"1f410bdb7d63\"\ndown_revision = \"3b349d4ffa69\"\n\ndef upgrade():\n    pass\n";
        assert!(classify("app/alembic/versions/1f41_add.py", rev));
        assert!(classify("fief/alembic/main_versions/1f41_add.py", rev));
        assert!(classify("migrations/versions/2024/01_x.py", rev));
        let typed = "revision: str = \"a\"\ndown_revision: Union[str, None] = None\n";
        assert!(classify("db/versions/a.py", typed));
        // One of the two is not enough; nor are nested assignments.
        assert!(!classify("app/version.py", "revision = 3\n"));
        assert!(!classify(
            "app/x.py",
            "def f():\n    revision = 1\n    down_revision = 2\n"
        ));
        assert!(!classify(
            "app/alembic/env.py",
            "def run_migrations_online():\n    pass\n"
        ));
    }

    #[test]
    fn django_migrations_by_package_and_class() {
        let mig = "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = []\n";
        assert!(classify("khoj/database/migrations/0001_khojuser.py", mig));
        assert!(classify("migrations/0002_x.py", mig));
        // A `Migration` class elsewhere is an ordinary class.
        assert!(!classify("app/models/migration.py", mig));
        assert!(!classify(
            "app/migrations/runner.py",
            "class Runner:\n    pass\n"
        ));
        assert!(!classify(
            "app/migrations/base.py",
            "class Migration:\n    pass\n"
        ));
    }
}
