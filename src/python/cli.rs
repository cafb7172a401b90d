//! Command-line entry points: functions a CLI framework (typer, click,
//! asyncclick, cyclopts) runs as a command, recognised through the file's
//! imports and the function's decorators.
//!
//! An `async def` command runs on an event loop of its own, started for one
//! invocation and serving nothing else, so blocking inside it stalls no
//! request: rules about blocking the event loop of a server skip it.

use tree_sitter::Node;

use crate::parse::NodeKind;
use crate::python::ast::{self as pyast, fid};
use crate::python::imports::Import;

/// Top-level modules of CLI frameworks whose commands are plain functions.
const CLI_MODULES: &[&str] = &["typer", "click", "asyncclick", "cyclopts", "rich_click"];

/// Last segments of the decorators that register a command:
/// `@app.command()`, `@cli.group()`, `@app.callback()`, `@app.default`,
/// `@app.meta.default`, `@click.command()`.
const COMMAND_DECORATORS: &[&str] = &["command", "group", "callback", "default"];

/// Does the file import a CLI framework?
pub fn imports_cli_framework(imports: &[Import]) -> bool {
    imports
        .iter()
        .any(|i| i.level == 0 && CLI_MODULES.contains(&pyast::first_segment(&i.module)))
}

/// Is the innermost function around `ancestors` a CLI command: decorated
/// with `@<x>.command(...)` (or `group`/`callback`/`default`) in a file
/// that imports a CLI framework?
pub fn in_cli_command(ancestors: &[Node<'_>], source: &str, imports: &[Import]) -> bool {
    let Some(index) = ancestors
        .iter()
        .rposition(|a| matches!(a.kind_str(), "function_definition" | "lambda"))
    else {
        return false;
    };
    let def = ancestors[index];
    if def.kind_str() != "function_definition" {
        return false;
    }
    let parent = index.checked_sub(1).map(|i| ancestors[i]);
    let decorated = pyast::decorators(def, parent).into_iter().any(|d| {
        let callee = pyast::decorator_callee(d);
        let name = match callee.kind_str() {
            "attribute" => callee.child_by_field_id(*fid::ATTRIBUTE),
            "identifier" => Some(callee),
            _ => None,
        };
        name.is_some_and(|n| COMMAND_DECORATORS.contains(&pyast::text(n, source)))
    });
    decorated && imports_cli_framework(imports)
}
