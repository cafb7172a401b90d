//! The project symbol table: classes with their bases and fields, and the
//! types routes respond with, gathered per file in the walk (`collect.rs`)
//! and joined across modules, so a rule sees `UserPublic(UserBase)` whose
//! base declares `hashed_password` in another module, used as
//! `response_model=` in a third.

use std::collections::HashMap;
use std::ops::ControlFlow;
use thin_vec::ThinVec;

use crate::project::arch::Spot;
use crate::project::{ImportedName, Project};
pub use crate::python::name::Name;

mod auth;
mod collect;
mod returns;
pub mod routes;

pub use auth::auth_like;
pub use collect::{At, Collector, SYMBOL_KINDS};
pub use routes::{
    DependencyList, DumpUse, FunctionFact, IncludeFact, InstanceFact, RouteFact, RouterDef,
};

/// A dotted name as written and, when it comes from an import, the
/// qualified name it stands for (relative imports keep their dots).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NameRef {
    pub written: Name,
    pub qualified: Option<Name>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct FieldFact {
    pub name: Name,
    pub spot: Spot,
    /// Sent when the model is serialised: not `SecretStr`/`SecretBytes`,
    /// not a `ClassVar`, not `Field(exclude=True)`.
    pub serialised: bool,
    /// `Field(description=...)` says the value is meant for the client
    /// (`"used client-side with the publishable key"`).
    pub client_facing: bool,
}

/// A class defined at module level (or inside another class).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClassFact {
    pub name: Name,
    /// The class's name in its `class` statement.
    pub spot: Spot,
    pub bases: ThinVec<NameRef>,
    /// Annotated class-body assignments (`name: T [= value]`).
    pub fields: ThinVec<FieldFact>,
    /// A mapped table: SQLModel `table=True`, or a body with
    /// `__tablename__`/`__table__`, `Mapped[...]` fields or `Column(...)`.
    pub table: bool,
    /// Defined inside another class (`class Config:` of a model).
    pub nested: bool,
    /// Its decorators' callees as written (`dataclass`, `dataclasses.dataclass`
    /// for `@dataclass(frozen=True)`), when they are dotted names.
    pub decorators: ThinVec<Name>,
    /// How many functions its body defines (methods, decorated or not).
    pub methods: u32,
}

/// A route's `response_model=` and return annotation: the names in them.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResponseUse {
    pub names: ThinVec<NameRef>,
    /// The handler.
    pub spot: Spot,
    /// The outermost name of the declared type (`Envelope` for
    /// `response_model=Envelope[User]`), when it is a name or a subscript.
    pub head: Option<NameRef>,
    /// A `response_model=` or a return annotation is written.
    pub declared: bool,
    /// The route sends no JSON model: `response_class=`,
    /// `response_model=None`, `status_code=204`, a websocket.
    pub raw: bool,
    /// The handler's `return`s whose value has a shape worth judging.
    pub returns: ThinVec<ReturnFact>,
    /// From the return annotation (no `response_model=`).
    pub via_annotation: bool,
}

/// One `return` of a route handler.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ReturnFact {
    pub shape: ReturnShape,
    /// The `return` statement.
    pub spot: Spot,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ReturnShape {
    /// `return Name(...)` (`Name[T](...)` too): the class or function called.
    Call(NameRef),
    /// `return {"code": 0, ...}`: its constant string keys; `complete` is
    /// false when some key is not a constant string or `**` is spread in.
    Dict { keys: Vec<Name>, complete: bool },
    /// A list, tuple, set, string, number or boolean literal (its kind).
    Literal(Name),
}

/// What one file contributes to the symbol table.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SymbolFacts {
    pub classes: ThinVec<ClassFact>,
    pub responses: ThinVec<ResponseUse>,
    /// Module-level functions that `yield` only inside a transaction block
    /// or a `try` that rolls back: session providers that manage the
    /// request's transaction ([`crate::python::transaction`]).
    pub managed_providers: ThinVec<Name>,
    /// Module-level `Name = Annotated[T, Depends(provider), ...]`.
    pub aliases: ThinVec<AliasFact>,
    /// `APIRouter(...)`/`FastAPI(...)` creations, anywhere in the file.
    pub routers: ThinVec<RouterDef>,
    /// `include_router(...)` calls, anywhere in the file.
    pub includes: ThinVec<IncludeFact>,
    /// Route handlers.
    pub routes: ThinVec<RouteFact>,
    /// Module-level functions with a return annotation or dependencies.
    pub functions: ThinVec<FunctionFact>,
    /// Module-level `name = Callee(...)`.
    pub instances: ThinVec<InstanceFact>,
    /// Route handlers returning an object dumped by hand.
    pub dumps: ThinVec<DumpUse>,
    /// Authentication middlewares installed (`add_middleware(AuthMiddleware)`,
    /// an `@app.middleware("http")` function that checks a credential).
    pub auth_middleware: ThinVec<Name>,
}

impl crate::project::slim::EmptyFacts for SymbolFacts {
    fn empty() -> &'static SymbolFacts {
        static EMPTY: SymbolFacts = SymbolFacts {
            classes: ThinVec::new(),
            responses: ThinVec::new(),
            managed_providers: ThinVec::new(),
            aliases: ThinVec::new(),
            routers: ThinVec::new(),
            includes: ThinVec::new(),
            routes: ThinVec::new(),
            functions: ThinVec::new(),
            instances: ThinVec::new(),
            dumps: ThinVec::new(),
            auth_middleware: ThinVec::new(),
        };
        &EMPTY
    }
}

impl SymbolFacts {
    /// Does `f` hold for a provider of a module-level `Annotated` alias named `name`?
    pub fn any_alias_provider(&self, name: &str, f: impl FnMut(&NameRef) -> bool) -> bool {
        self.aliases
            .iter()
            .filter(|a| a.name == name)
            .flat_map(|a| &a.providers)
            .any(f)
    }

    /// Does `f` hold for the callee of a module-level instance named `name`
    /// (`name = Callee(...)`)?
    pub fn any_instance_callee(&self, name: &str, f: impl FnMut(&NameRef) -> bool) -> bool {
        self.instances
            .iter()
            .filter(|i| i.name == name)
            .map(|i| &i.callee)
            .any(f)
    }

    /// Does `f` hold for a base of a class named `name`?
    pub fn any_class_base(&self, name: &str, f: impl FnMut(&NameRef) -> bool) -> bool {
        self.classes
            .iter()
            .filter(|c| c.name == name)
            .flat_map(|c| &c.bases)
            .any(f)
    }
}

/// `Name = Annotated[T, Depends(provider)]`: the providers of its metadata.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct AliasFact {
    pub name: Name,
    pub providers: ThinVec<NameRef>,
}

/// A question a file rule cannot answer from its own file, asked while
/// the file is walked and answered once the project symbol table exists
/// ([`Deferred`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Question {
    /// Does the class `class` (as used in the asking file) derive, through
    /// project classes in any module, from one of the qualified names
    /// `bases` (`pydantic.BaseModel`)? With `or_foreign`, a class the
    /// project does not define (a library's, or one not found) counts as
    /// deriving: the asking rule judged it from other evidence.
    DerivesFrom {
        class: NameRef,
        bases: Vec<String>,
        #[serde(default)]
        or_foreign: bool,
    },
    /// Is none of these dependency providers (or `Annotated` aliases of
    /// one), as named in the asking file, a provider that manages the
    /// session's transaction (`SymbolFacts::managed_providers`)?
    UnmanagedSession { providers: Vec<NameRef> },
    /// Is one of these classes (as named in the asking file) not a class
    /// the project defines (a builtin or a library's)? An exception class
    /// of the project carries messages the project wrote.
    ForeignClass { classes: Vec<NameRef> },
}

/// A file rule's finding that stands only if its question holds.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Deferred {
    #[serde(with = "crate::diagnostic::interned")]
    pub code: crate::diagnostic::interned::Static,
    pub spot: Spot,
    pub message: String,
    pub question: Question,
}

/// Project classes followed up an inheritance chain at most.
const MAX_ANCESTORS: usize = 32;

impl Question {
    /// The answer, for a question asked in file `file`.
    pub fn holds(&self, project: &Project<'_>, file: usize) -> bool {
        match self {
            Question::DerivesFrom {
                class,
                bases,
                or_foreign,
            } => {
                let table = project.symbols();
                let Some(start) = table.resolve(project, file, class) else {
                    return *or_foreign;
                };
                table
                    .walk_ancestry(project, start, MAX_ANCESTORS, |at, fact, _| {
                        let derives = fact.bases.iter().any(|base| {
                            base.qualified
                                .as_deref()
                                .and_then(|q| absolute(project, at.0, q))
                                .is_some_and(|q| bases.contains(&q))
                        });
                        if derives {
                            ControlFlow::Break(())
                        } else {
                            ControlFlow::Continue(())
                        }
                    })
                    .is_some()
            }
            Question::UnmanagedSession { providers } => !providers
                .iter()
                .any(|p| is_managed_provider(project, file, p, 0)),
            Question::ForeignClass { classes } => {
                let table = project.symbols();
                classes
                    .iter()
                    .any(|c| table.resolve(project, file, c).is_none())
            }
        }
    }
}

/// Aliases of aliases followed at most.
const MAX_ALIAS_DEPTH: usize = 4;

/// Does `name` (used in `file`) resolve to a managed session provider, or
/// to an `Annotated` alias whose provider is one?
fn is_managed_provider(project: &Project<'_>, file: usize, name: &NameRef, depth: usize) -> bool {
    if depth > MAX_ALIAS_DEPTH {
        return false;
    }
    let Some((at, defined)) = locate(project, file, name) else {
        return false;
    };
    let Some(facts) = project.facts.get(at) else {
        return false;
    };
    if facts
        .symbols
        .managed_providers
        .iter()
        .any(|p| *p == defined)
    {
        return true;
    }
    facts
        .symbols
        .any_alias_provider(&defined, |p| is_managed_provider(project, at, p, depth + 1))
}

/// The module-level name `name` (used in `file`) stands for: the file
/// defining it and its name there, through imports, relative imports and
/// package re-exports. A name not imported is looked for in `file` itself.
pub fn locate(project: &Project<'_>, file: usize, name: &NameRef) -> Option<(usize, String)> {
    let qualified = match &name.qualified {
        Some(q) => absolute(project, file, q)?,
        None if !name.written.contains('.') => {
            return Some((file, name.written.as_str().to_owned()))
        }
        None => return None,
    };
    locate_qualified(project, &qualified, 0)
}

fn locate_qualified(
    project: &Project<'_>,
    qualified: &str,
    depth: usize,
) -> Option<(usize, String)> {
    let (module, name) = qualified.rsplit_once('.')?;
    let file = project.modules.resolve(module)?;
    project.facts.get(file)?;
    if depth < MAX_REEXPORTS {
        for target in reexports(project, file, name) {
            if let Some(found) = locate_qualified(project, &target, depth + 1) {
                return Some(found);
            }
        }
    }
    Some((file, name.to_owned()))
}

/// A class in the project: (file index, index in that file's classes).
pub type ClassId = (usize, usize);

/// Classes by qualified name, built once per run from every file's facts.
#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct SymbolTable {
    by_qualified: HashMap<String, ClassId>,
}

/// How many re-exports (`from .user import UserOut` in a package's
/// `__init__.py`) a lookup follows.
const MAX_REEXPORTS: usize = 4;

impl SymbolTable {
    pub fn build(project: &Project<'_>) -> SymbolTable {
        let mut by_qualified = HashMap::new();
        for (file, facts) in project.facts.iter().enumerate() {
            let Some(module) = project.modules.modules.get(file) else {
                continue;
            };
            for (i, class) in facts.symbols.classes.iter().enumerate() {
                for name in &module.names {
                    by_qualified
                        .entry(format!("{name}.{}", class.name))
                        .or_insert((file, i));
                }
            }
        }
        SymbolTable { by_qualified }
    }

    /// The project class `name`, used in file `file`, refers to.
    pub fn resolve(&self, project: &Project<'_>, file: usize, name: &NameRef) -> Option<ClassId> {
        let qualified = qualified_name(project, file, name)?;
        self.lookup(project, &qualified, 0)
    }

    /// A class by its qualified name (`app.schemas.common.Envelope`),
    /// through the re-exports of the packages on the way.
    pub fn class_named(&self, project: &Project<'_>, qualified: &str) -> Option<ClassId> {
        self.lookup(project, qualified, 0)
    }

    /// Class `id` and its project base classes, each once and at most
    /// `limit` of them, depth first: `visit` gets each class with its bases
    /// resolved (`None`: not a project class), and breaks off the walk.
    pub fn walk_ancestry<'p, B>(
        &self,
        project: &'p Project<'_>,
        id: ClassId,
        limit: usize,
        mut visit: impl FnMut(ClassId, &'p ClassFact, &[Option<ClassId>]) -> ControlFlow<B>,
    ) -> Option<B> {
        let mut seen = vec![id];
        let mut queue = vec![id];
        let mut bases: Vec<Option<ClassId>> = Vec::new();
        while let Some(at) = queue.pop() {
            let Some(fact) = self.class(project, at) else {
                continue;
            };
            bases.clear();
            bases.extend(fact.bases.iter().map(|b| self.resolve(project, at.0, b)));
            if let ControlFlow::Break(b) = visit(at, fact, &bases) {
                return Some(b);
            }
            for next in bases.iter().flatten() {
                if !seen.contains(next) && seen.len() < limit {
                    seen.push(*next);
                    queue.push(*next);
                }
            }
        }
        None
    }

    /// Is class `id` the class `target` or derived from it through
    /// project classes (`class UserEnvelope(Envelope[User])`)?
    pub fn derives_from(&self, project: &Project<'_>, id: ClassId, target: ClassId) -> bool {
        self.walk_ancestry(project, id, MAX_ANCESTORS, |at, _, _| {
            if at == target {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .is_some()
    }

    /// The fields of class `id` and of its project base classes, serialised
    /// ones only, each name once.
    pub fn serialised_fields(&self, project: &Project<'_>, id: ClassId) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        self.walk_ancestry(project, id, MAX_ANCESTORS, |_, fact, _| {
            for f in fact.fields.iter().filter(|f| f.serialised) {
                if !out.iter().any(|o| *o == f.name) {
                    out.push(f.name.as_str().to_owned());
                }
            }
            ControlFlow::<()>::Continue(())
        });
        out
    }

    pub fn class<'p>(&self, project: &'p Project<'_>, id: ClassId) -> Option<&'p ClassFact> {
        project.facts.get(id.0)?.symbols.classes.get(id.1)
    }

    /// A class by qualified name, following re-exports through the
    /// imports of the module named by the prefix.
    fn lookup(&self, project: &Project<'_>, qualified: &str, depth: usize) -> Option<ClassId> {
        if let Some(id) = self.by_qualified.get(qualified) {
            return Some(*id);
        }
        if depth >= MAX_REEXPORTS {
            return None;
        }
        let (module, name) = qualified.rsplit_once('.')?;
        let file = project.modules.resolve(module)?;
        reexports(project, file, name)
            .into_iter()
            .find_map(|target| self.lookup(project, &target, depth + 1))
    }
}

/// The absolute qualified name `name`, used in `file`, stands for: its
/// import made absolute, or a name of the file's own module.
pub fn qualified_name(project: &Project<'_>, file: usize, name: &NameRef) -> Option<String> {
    match &name.qualified {
        Some(q) => absolute(project, file, q),
        None => {
            let module = project.modules.modules.get(file)?.primary();
            Some(format!("{module}.{}", name.written))
        }
    }
}

/// `..models.User` used in `file` -> `app.models.User`.
fn absolute(project: &Project<'_>, file: usize, qualified: &str) -> Option<String> {
    let level = qualified.chars().take_while(|c| *c == '.').count();
    if level == 0 {
        return Some(qualified.to_owned());
    }
    let rest = &qualified[level..];
    let (module, name) = match rest.rsplit_once('.') {
        Some((m, n)) => (m.to_owned(), n),
        None => (String::new(), rest),
    };
    let base = project
        .modules
        .absolute_dotted(file, level as u32, &module)?;
    Some(format!("{base}.{name}"))
}

/// Where `from m import x [as name]` statements of module `file` say
/// `name` comes from (`m.x`, absolute), in statement order.
fn reexports(project: &Project<'_>, file: usize, name: &str) -> Vec<String> {
    let Some(facts) = project.facts.get(file) else {
        return Vec::new();
    };
    facts
        .imports
        .iter()
        .filter(|i| i.is_from)
        .filter_map(|import| {
            let found = import
                .names
                .iter()
                .find(|n: &&ImportedName| n.alias.as_deref().unwrap_or(&n.name) == name)?;
            let base = project.modules.absolute_module(file, import)?;
            Some(format!("{base}.{}", found.name))
        })
        .collect()
}
