//! Database access patterns.
pub mod query_in_loop;
