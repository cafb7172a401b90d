//! Async correctness of route handlers and coroutines.
pub mod sync_route_handler;
