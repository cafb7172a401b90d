//! Async correctness: work that blocks the event loop (`Family::Async`).

pub mod blocking_call;
pub mod sync_file_io;
