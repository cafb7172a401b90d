//! DEP: declared, locked and imported dependencies.

pub mod dev_dependency_in_app;
pub mod hallucinated_import;
pub mod new_dependency;
pub mod transitive_import;
pub mod unused_dependency;
