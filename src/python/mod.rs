//! L1: Python knowledge shared by every layer above: syntax-tree helpers
//! (one field-id table, node text, dotted names), import statements (types
//! and extraction), the per-file semantic model (scopes and bindings), and
//! framework vocabularies (FastAPI).

pub mod ast;
pub mod cli;
pub mod constant;
pub mod descent;
pub mod fastapi;
pub mod fields;
pub mod imports;
pub mod name;
pub mod semantic;
pub mod shape;
pub mod sqlalchemy;
pub mod transaction;
pub mod vocab;
