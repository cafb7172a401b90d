//! One tree-sitter parser per thread, reused for every file that thread checks.

use std::cell::RefCell;
use std::ffi::c_void;
use std::sync::{LazyLock, Once};

use tree_sitter::{Language, Node, Parser, Tree};

/// Route tree-sitter's C allocations (parser stacks, subtrees: most of a
/// run's allocations) to mimalloc, the binary's global allocator, instead of
/// libc's. Worth ~10% of a run; libraries and tests can skip it.
///
/// # Safety
///
/// Call it before any other tree-sitter use in the process (first thing in
/// `main`): memory tree-sitter allocated earlier would be freed by the wrong
/// allocator.
pub unsafe fn use_mimalloc() {
    unsafe extern "C" fn calloc(count: usize, size: usize) -> *mut c_void {
        match count.checked_mul(size) {
            // SAFETY: a plain allocation, zeroed like calloc's.
            Some(bytes) => unsafe { libmimalloc_sys::mi_zalloc(bytes) },
            None => std::ptr::null_mut(),
        }
    }
    static ONCE: Once = Once::new();
    // SAFETY: one allocator family, malloc's alignment, installed once and
    // (by this function's contract) before any tree-sitter object exists.
    ONCE.call_once(|| unsafe {
        tree_sitter::set_allocator(Some(tree_sitter::Allocator {
            malloc: libmimalloc_sys::mi_malloc,
            calloc,
            realloc: libmimalloc_sys::mi_realloc,
            free: libmimalloc_sys::mi_free,
        }));
    });
}

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

/// Kind names by kind id, for [`NodeKind::kind_str`].
static KIND_NAMES: LazyLock<Vec<String>> = LazyLock::new(|| {
    let language = language();
    (0..language.node_kind_count())
        .map(|id| {
            language
                .node_kind_for_id(id as u16)
                .unwrap_or("")
                .to_owned()
        })
        .collect()
});

/// `Node::kind()` asks the C library for the name, measures it with `strlen`
/// and validates it as UTF-8 on every call: a few percent of a run whose
/// rules test kinds on every visit. This looks the name up by kind id.
pub trait NodeKind<'tree> {
    /// The same string as `Node::kind()`.
    fn kind_str(&self) -> &'tree str;
}

impl<'tree> NodeKind<'tree> for Node<'tree> {
    #[inline]
    fn kind_str(&self) -> &'tree str {
        match KIND_NAMES.get(usize::from(self.kind_id())) {
            Some(name) if !name.is_empty() => name,
            // ERROR and the other built-in symbols live outside the table.
            _ => self.kind(),
        }
    }
}
