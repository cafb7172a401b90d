//! Naming (NAM): the layers' class and file names follow their conventions.
pub mod layer_naming;
pub mod options;
