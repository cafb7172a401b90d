//! fortress: a quality-gate linter for Python backends.

pub mod baseline;
pub mod cache;
pub mod cli;
pub mod config;
pub mod diagnostic;
pub mod engine;
pub mod files;
pub mod fuzz;
pub mod gate;
pub mod options;
pub mod parse;
pub mod paths;
pub mod project;
pub mod python;
pub mod report;
pub mod rules;
pub mod source;
pub mod testgate;
pub mod testreport;
pub mod version;
