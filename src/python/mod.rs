//! L1: Python knowledge shared by every layer above: syntax-tree helpers
//! (one field-id table, node text, dotted names), import statements (types
//! and extraction), and framework vocabularies (FastAPI).

pub mod ast;
pub mod fastapi;
pub mod imports;
pub mod sqlalchemy;
pub mod vocab;
