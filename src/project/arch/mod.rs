//! Architecture facts, gathered during the engine's single walk: route
//! handlers and what they do, routers, `Annotated` dependency aliases,
//! dependency providers, and `raise` statements of HTTP exceptions. The
//! layer rules judge them project-wide.

use std::ops::Range;
use thin_vec::ThinVec;

use crate::diagnostic::Position;
pub use crate::python::name::Name;

mod cbv;
mod collect;
mod raises;
mod signature;

pub use collect::Collector;
pub use signature::{digest, dotted_name};
use signature::{parameters, route_decorator};

/// Node kinds the collector wants to see.
pub const ARCH_KINDS: &[&str] = &[
    "function_definition",
    "class_definition",
    "assignment",
    "type_alias_statement",
    "raise_statement",
    "call",
    "for_statement",
    "while_statement",
    "expression_statement",
    "return_statement",
    "assert_statement",
    "delete_statement",
    "pass_statement",
    "break_statement",
    "continue_statement",
    "global_statement",
    "nonlocal_statement",
    "import_statement",
    "import_from_statement",
    "if_statement",
    "with_statement",
    "try_statement",
    "match_statement",
];

/// A place in the file. Byte offsets are stored as `u32` (24 bytes a
/// spot instead of 32: every field, parameter, raise and route holds one,
/// for every file at once in the project pass); a source is at most
/// [`crate::files::HARD_SOURCE_CAP`] bytes, far below `u32::MAX`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Spot {
    span_start: u32,
    span_end: u32,
    pub start: Position,
    pub end: Position,
}

impl Spot {
    pub fn new(span: Range<usize>, start: Position, end: Position) -> Spot {
        let offset = |at: usize| u32::try_from(at).unwrap_or(u32::MAX);
        Spot {
            span_start: offset(span.start),
            span_end: offset(span.end),
            start,
            end,
        }
    }

    /// The byte range of the place.
    pub fn span(&self) -> Range<usize> {
        self.span_start as usize..self.span_end as usize
    }
}

/// The names a type annotation mentions, and the providers of any
/// `Depends(provider)` in it (or in a parameter's default).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TypeDigest {
    /// Dotted names outside `Depends(...)`, e.g. `Annotated`, `AsyncSession`, `deps.SessionDep`.
    pub names: ThinVec<Name>,
    /// Dotted names passed to `Depends(...)`/`Security(...)`.
    pub providers: ThinVec<Name>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Param {
    pub name: Name,
    pub annotation: TypeDigest,
    /// From the default value (`db = Depends(get_db)`).
    pub default_providers: ThinVec<Name>,
    pub has_annotation: bool,
    pub spot: Spot,
}

/// A function decorated `@<receiver>.<method>(...)` with a route method.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Handler {
    pub name: Name,
    pub is_async: bool,
    pub receiver: Name,
    #[serde(with = "crate::diagnostic::interned")]
    pub method: crate::diagnostic::interned::Static,
    /// Other route-like decorators of the same function, outermost first.
    #[serde(with = "crate::diagnostic::interned::pairs")]
    pub also: ThinVec<(String, crate::diagnostic::interned::Static)>,
    /// The function's name.
    pub spot: Spot,
    pub params: ThinVec<Param>,
    /// `for`/`while` statements directly in the handler (not in nested functions).
    pub loops: ThinVec<Position>,
    /// Query-building calls: `select(`, `.where(`, `.filter(`.
    pub queries: ThinVec<(Name, Position)>,
    pub statements: u32,
    /// `<param>.<session method>(...)` calls: (parameter or opened session, method, where).
    pub param_calls: ThinVec<(Name, Name, Position)>,
    /// A parameter or opened session passed as an argument: (name, callee as
    /// written or `None` when it is not a dotted name, where).
    pub param_passes: ThinVec<(Name, Option<Name>, Position)>,
    /// `with SessionLocal() as db:` in the handler: (bound name, opener, the `with` item).
    pub opened_sessions: ThinVec<(Name, Name, Spot)>,
    /// A call in the handler that is not awaited and may block: not a
    /// builtin, a class being built or a string/collection/model method
    /// ([`crate::python::vocab::non_blocking`]).
    pub may_block: bool,
}

/// `Name = Annotated[...]` at module level (or `Name: TypeAlias = ...`, `type Name = ...`).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Alias {
    pub name: Name,
    pub digest: TypeDigest,
}

/// A module-level function: a possible dependency provider.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FunctionSig {
    pub name: Name,
    /// Names in the return annotation; `None` without one.
    pub returns: Option<ThinVec<Name>>,
}

/// `raise X(...)` / `raise X`.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Raise {
    pub exception: Name,
    pub spot: Spot,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ArchFacts {
    /// Names bound (anywhere in the module) to `APIRouter(...)`/`FastAPI(...)`.
    pub routers: ThinVec<Name>,
    pub handlers: ThinVec<Handler>,
    pub aliases: ThinVec<Alias>,
    pub functions: ThinVec<FunctionSig>,
    /// Raises of FastAPI/Starlette `HTTPException` or of a local subclass of it.
    pub http_raises: ThinVec<Raise>,
    /// Raises of a name imported with `from m import Name`, or of a local
    /// class deriving from an imported one; may be a first-party subclass of
    /// `HTTPException` (resolved project-wide).
    pub imported_raises: ThinVec<Raise>,
    /// Raises of a builtin exception class (`raise Exception("...")`), by
    /// its name, except re-raises and translations of a caught exception
    /// (`raise ... from e`); see `raises.rs`.
    pub builtin_raises: ThinVec<Raise>,
    /// Classes defined here that derive from `HTTPException` (directly or via an imported class).
    pub http_exception_classes: ThinVec<(Name, Vec<Name>)>,
    /// Byte ranges of module-level `if __name__ == "__main__":` bodies.
    pub main_blocks: ThinVec<Range<usize>>,
    /// Class definitions in the module (any depth).
    pub classes: usize,
}

impl crate::project::slim::EmptyFacts for ArchFacts {
    fn empty() -> &'static ArchFacts {
        static EMPTY: ArchFacts = ArchFacts {
            routers: ThinVec::new(),
            handlers: ThinVec::new(),
            aliases: ThinVec::new(),
            functions: ThinVec::new(),
            http_raises: ThinVec::new(),
            imported_raises: ThinVec::new(),
            builtin_raises: ThinVec::new(),
            http_exception_classes: ThinVec::new(),
            main_blocks: ThinVec::new(),
            classes: 0,
        };
        &EMPTY
    }
}
