//! Security rules: injection, secrets, unsafe deserialisation, leaks.
