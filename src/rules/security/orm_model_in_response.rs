//! SEC007: a route serialises a table model — every column is sent.
//!
//! Two ways, both followed across modules through the project symbol
//! table: the route's `response_model=` (or, without one, its return
//! annotation) names a mapped table class (SQLModel `table=True`,
//! SQLAlchemy declarative with `__tablename__`/`Mapped[...]` columns); or
//! the handler, with no response model to filter the result, returns
//! `jsonable_encoder(x)`, `x.__dict__`, `vars(x)` or `dict(x)` where `x`
//! is known to be a table instance (annotated so, built with `Model(...)`,
//! loaded with `session.get(Model, ...)`/`query(Model)`/`select(Model)`,
//! or the result of a function whose return annotation is the model).

use crate::diagnostic::Severity;
use crate::project::symbols::{locate, ClassFact, NameRef};
use crate::project::{FactSet, Project, ProjectFinding};
use crate::rules::{Family, ProjectCx, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "SEC007",
    name: "orm-model-in-response",
    family: Family::Security,
    severity: Severity::Blocker,
    fixable: false,
    summary: "A route serialises a database table model (`response_model=`, return annotation, `jsonable_encoder(obj)`, `obj.__dict__`): every column is sent",
    help: "respond with a schema that lists the public fields (`UserPublic`), and let FastAPI filter the ORM object through `response_model=`",
    doc: include_str!("../../../rules/SEC007.md"),
    security_severity: Some("7.5"),
};

/// Names of fields worth naming in the message.
fn sensitive(field: &str) -> bool {
    let f = field.to_ascii_lowercase();
    [
        "password",
        "secret",
        "token",
        "api_key",
        "apikey",
        "private_key",
        "salt",
    ]
    .iter()
    .any(|w| f.contains(w))
}

#[derive(Default)]
pub struct OrmModelInResponse;

impl ProjectRule for OrmModelInResponse {
    const META: RuleMeta = META;
    const NEEDS: FactSet = FactSet::IMPORTS.union(FactSet::SYMBOLS);

    fn check(&self, cx: &mut ProjectCx<'_>) {
        let project = cx.project;
        for (file, facts) in project.facts.iter().enumerate() {
            if project.files[file].is_test {
                continue;
            }
            for response in &facts.symbols.responses {
                let Some(class) = response
                    .names
                    .iter()
                    .find_map(|n| table_class(project, file, n))
                else {
                    continue;
                };
                let how = if response.via_annotation {
                    "its return annotation"
                } else {
                    "`response_model=`"
                };
                cx.findings.push(ProjectFinding {
                    code: META.code,
                    file,
                    span: response.spot.span(),
                    start: response.spot.start,
                    end: response.spot.end,
                    message: format!(
                        "the route responds with `{}` through {how}, a database table model: every column is sent{}; respond with a schema of the public fields",
                        class.name,
                        exposed(class)
                    ),
                });
            }
            for dump in &facts.symbols.dumps {
                let class = dump
                    .types
                    .iter()
                    .find_map(|n| table_class(project, file, n))
                    .or_else(|| {
                        dump.calls
                            .iter()
                            .find_map(|c| returned_table(project, file, c))
                    });
                let Some(class) = class else {
                    continue;
                };
                cx.findings.push(ProjectFinding {
                    code: META.code,
                    file,
                    span: dump.spot.span(),
                    start: dump.spot.start,
                    end: dump.spot.end,
                    message: format!(
                        "`{}` sends every column of the table model `{}`{}, and no response model filters it; return a schema of the public fields",
                        dump.shown,
                        class.name,
                        exposed(class)
                    ),
                });
            }
        }
    }
}

/// ", `hashed_password` included" when the model has a sensitive column.
fn exposed(class: &ClassFact) -> String {
    match class.fields.iter().find(|f| sensitive(&f.name)) {
        Some(f) => format!(", `{}` included", f.name),
        None => String::new(),
    }
}

/// The project table class `name` (used in `file`) stands for.
fn table_class<'p>(project: &'p Project<'_>, file: usize, name: &NameRef) -> Option<&'p ClassFact> {
    let table = project.symbols();
    let id = table.resolve(project, file, name)?;
    table.class(project, id).filter(|c| c.table)
}

/// The table class a function's return annotation names.
fn returned_table<'p>(
    project: &'p Project<'_>,
    file: usize,
    function: &NameRef,
) -> Option<&'p ClassFact> {
    let (at, name) = locate(project, file, function)?;
    let facts = project.facts.get(at)?;
    let f = facts.symbols.functions.iter().find(|f| f.name == name)?;
    f.returns.iter().find_map(|r| table_class(project, at, r))
}
