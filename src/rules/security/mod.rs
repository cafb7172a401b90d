//! Security rules: injection, secrets, unsafe deserialisation, leaks.
pub mod dangerous_call;
mod dummy_key;
pub mod hardcoded_secret;
pub mod http_error_detail_leak;
pub mod options;
pub mod orm_model_in_response;
pub mod pass_phrase;
mod route_auth;
pub mod secret_in_response_model;
pub mod sql_composition;
mod sql_local_call;
mod sql_slot;
pub mod sql_string_building;
mod sql_trusted;
mod sql_value;
pub mod unauthenticated_write_route;
