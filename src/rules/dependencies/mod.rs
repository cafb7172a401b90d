//! DEP: declared, locked and imported dependencies.

pub mod dev_dependency_in_app;
pub mod hallucinated_import;
pub mod new_dependency;
pub mod transitive_import;
pub mod unused_dependency;

/// "; did you mean `x`?" for a suggestion, else nothing.
fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!("; did you mean `{s}`?"))
        .unwrap_or_default()
}
