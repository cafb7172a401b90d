//! ASY003: synchronous file I/O (`open()`, `Path.read_text()`, ...) inside `async def`.

use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::python::ast::{self as pyast, fid};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

const PATH_METHODS: &[&str] = &["read_text", "write_text", "read_bytes", "write_bytes"];

#[derive(Default)]
pub struct SyncFileIo {
    candidates: Vec<(Range<usize>, String, Option<Range<usize>>)>,
}

impl Rule for SyncFileIo {
    const META: RuleMeta = RuleMeta {
        code: "ASY003",
        name: "sync-file-io-in-async",
        family: Family::Async,
        severity: Severity::Info,
        fixable: false,
        summary:
            "Synchronous file I/O (`open()`, `Path.read_text()` and friends) inside `async def`",
        help: "use `anyio.Path` / `aiofiles`, or move the I/O to a thread with `asyncio.to_thread`",
        doc: include_str!("../../../rules/ASY003.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &["call"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        // An async test writing its fixtures (`tmp_path / "x"`) blocks only
        // the test's own loop.
        if cx.file.is_test {
            return;
        }
        let Some(function) = cx.call_function() else {
            return;
        };
        let name = match function.kind_str() {
            "identifier" => cx.text(function),
            "attribute" => match cx.callee_attribute() {
                Some(a) => cx.text(a),
                None => return,
            },
            _ => return,
        };
        let wanted = match function.kind_str() {
            "identifier" => name == "open",
            _ => name == "open" || PATH_METHODS.contains(&name),
        };
        if !wanted || !pyast::in_async_function(cx.ancestors) {
            return;
        }
        // An async CLI command (`@app.command()` of typer/click/cyclopts)
        // runs on a loop of its own that serves nothing else.
        if crate::python::cli::in_cli_command(cx.ancestors, cx.source, cx.imports) {
            return;
        }
        // Awaited means an async API with the same name (`anyio.Path`, `aiofiles`),
        // also when parenthesised (`await (anyio.Path(d).joinpath(k).write_bytes(b))`).
        let awaited = cx
            .ancestors
            .iter()
            .rev()
            .find(|a| a.kind_str() != "parenthesized_expression")
            .is_some_and(|p| p.kind_str() == "await");
        if awaited {
            return;
        }
        if function.kind_str() == "attribute" && name == "open" {
            // Only `Path(...).open()`: other `.open()` methods are not known to be files.
            let is_path = function
                .child_by_field_id(*fid::OBJECT)
                .filter(|o| o.kind_str() == "call")
                .and_then(|o| o.child_by_field_id(*fid::FUNCTION))
                .and_then(|f| pyast::dotted_name(f, cx.source))
                .is_some_and(|f| pyast::last_segment(&f) == "Path");
            let is_io_open =
                pyast::dotted_name(function, cx.source).is_some_and(|d| d == "io.open");
            if !(is_path || is_io_open) {
                return;
            }
        }
        let shown = pyast::dotted_name(function, cx.source)
            .map(|d| d.into_owned())
            .unwrap_or_else(|| format!(".{name}"));
        self.candidates.push((
            node.byte_range(),
            shown,
            pyast::function_range(cx.ancestors),
        ));
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        for (span, shown, function) in std::mem::take(&mut self.candidates) {
            // `from aiofiles import open` (or any import) shadows the builtin.
            if shown == "open" && pyast::imported_in("open", cx.imports, function.as_ref()) {
                continue;
            }
            if shown == "io.open"
                && pyast::resolves_to("io.open", cx.imports, &["io.open"]).is_none()
            {
                continue;
            }
            cx.report_span(
                span,
                format!("`{shown}()` does blocking file I/O inside `async def`; use `anyio.Path`/`aiofiles` or `await asyncio.to_thread(...)`"),
            );
        }
    }
}
