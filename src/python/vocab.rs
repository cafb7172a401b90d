//! Names of the standard library and common clients that several rule
//! families look for, listed once.

/// `subprocess` functions that run a command.
pub const SUBPROCESS_FUNCTIONS: &[&str] = &[
    "run",
    "call",
    "check_call",
    "check_output",
    "Popen",
    "getoutput",
    "getstatusoutput",
];

/// `os` functions that run a shell command.
pub const OS_SHELL_FUNCTIONS: &[&str] = &["system", "popen"];

/// Request methods of HTTP client modules and sessions (`requests.get`, `httpx.post`, ...).
pub const HTTP_CLIENT_METHODS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "head", "options", "request",
];

/// Does a call to a function named `name` run a command (subprocess or `os` shell)?
pub fn runs_a_command(name: &str) -> bool {
    SUBPROCESS_FUNCTIONS.contains(&name) || OS_SHELL_FUNCTIONS.contains(&name)
}
