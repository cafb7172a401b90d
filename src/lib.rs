//! fortress: a quality-gate linter for Python backends.

pub mod cli;
pub mod config;
pub mod context;
pub mod deps;
pub mod diagnostic;
pub mod engine;
pub mod fuzz;
pub mod gate;
pub mod parse;
pub mod project;
pub mod report;
pub mod rules;
pub mod source;
pub mod suppress;
pub mod syntax_errors;
pub mod testconf;
pub mod walk;
