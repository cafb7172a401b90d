//! Database access patterns.
pub mod multi_write;
pub mod query_in_loop;
mod receiver;
