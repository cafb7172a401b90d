//! Security rules: injection, secrets, unsafe deserialisation, leaks.
pub mod sql_string_building;
pub mod hardcoded_secret;
pub mod dangerous_call;
pub mod http_error_detail_leak;
pub mod secret_in_response_model;
