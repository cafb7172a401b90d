//! Async correctness: route handlers that are not coroutines, work that blocks the event loop (`Family::Async`).

pub mod blocking_call;
pub mod sync_file_io;
pub mod sync_route_handler;
