//! DEP: declared, locked and imported dependencies.

pub mod dev_dependency_in_app;
pub mod hallucinated_import;
pub mod new_dependency;
pub mod transitive_import;
pub mod unused_dependency;

use crate::project::deps::facts::ImportFact;
use crate::project::{FactSet, ProjectFinding};

/// What the shared resolution (`Project::dependencies`) reads: every
/// import, static and dynamic, and the manifests.
const RESOLUTION_FACTS: FactSet = FactSet::IMPORTS
    .union(FactSet::DYNAMIC_IMPORTS)
    .union(FactSet::MANIFESTS);

/// "; did you mean `x`?" for a suggestion, else nothing.
fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}

/// A finding of rule `code` on the import statement of `import`.
fn at_import(code: &'static str, import: &ImportFact, message: String) -> ProjectFinding {
    ProjectFinding {
        code,
        file: import.file,
        span: import.span.clone(),
        start: import.start,
        end: import.start,
        message,
    }
}
