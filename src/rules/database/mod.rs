//! Database access patterns.
