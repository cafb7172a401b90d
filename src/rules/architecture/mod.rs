//! Layered architecture: endpoints -> services -> repositories -> models.
pub mod business_logic_in_endpoint;
pub mod endpoint_imports_repository;
pub mod endpoint_uses_db_session;
pub mod http_exception_in_service;
pub mod import_cycle;
pub mod listing;
pub mod session_passthrough;
pub mod upward_import;
