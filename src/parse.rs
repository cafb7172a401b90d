//! One tree-sitter parser per thread, reused for every file that thread checks.

use std::cell::RefCell;

use tree_sitter::{Language, Parser, Tree};

pub fn language() -> Language {
    tree_sitter_python::LANGUAGE.into()
}

thread_local! {
    static PARSER: RefCell<Option<Parser>> = const { RefCell::new(None) };
}

/// Parse Python source text. `None` only if tree-sitter gives up (it has no
/// timeout set, so in practice never).
pub fn parse(source: &str) -> Option<Tree> {
    PARSER.with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        if slot.is_none() {
            let mut parser = Parser::new();
            parser.set_language(&language()).ok()?;
            *slot = Some(parser);
        }
        slot.as_mut()?.parse(source, None)
    })
}
