//! Error handling (ERR): which exceptions the service and repository layers raise.
pub mod generic_exception_in_service;
pub mod options;
