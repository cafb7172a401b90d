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

/// Modules whose `Session`/`ClientSession` objects speak HTTP (or a cloud
/// API), not SQL.
pub const HTTP_CLIENT_MODULES: &[&str] = &[
    "aiohttp",
    "aiobotocore",
    "aioboto3",
    "boto3",
    "botocore",
    "curl_cffi",
    "httpx",
    "niquests",
    "requests",
    "urllib3",
];

/// Is `dotted` (as written in a file with these imports) something from an
/// HTTP client module: `aiohttp.ClientSession`, `requests.Session`, or a
/// name imported from one?
pub fn is_http_client_name(dotted: &str, imports: &[crate::python::imports::Import]) -> bool {
    let head = dotted.split('.').next().unwrap_or(dotted);
    let top = |module: &str| module.split('.').next().unwrap_or(module).to_owned();
    let from_http = |module: &str| HTTP_CLIENT_MODULES.contains(&top(module).as_str());
    if let Some((import, _)) = crate::python::imports::imported_from(head, imports) {
        return import.level == 0 && from_http(&import.module);
    }
    imports.iter().any(|i| {
        !i.is_from
            && i.level == 0
            && from_http(&i.module)
            && match &i.alias {
                Some(alias) => alias == head,
                None => top(&i.module) == head,
            }
    })
}

/// Does a call to a function named `name` run a command (subprocess or `os` shell)?
pub fn runs_a_command(name: &str) -> bool {
    SUBPROCESS_FUNCTIONS.contains(&name) || OS_SHELL_FUNCTIONS.contains(&name)
}

/// Builtins and string/collection methods that never block.
const NON_BLOCKING: &[&str] = &[
    "len",
    "str",
    "int",
    "float",
    "bool",
    "dict",
    "list",
    "set",
    "tuple",
    "frozenset",
    "sorted",
    "reversed",
    "min",
    "max",
    "sum",
    "any",
    "all",
    "abs",
    "round",
    "range",
    "enumerate",
    "zip",
    "map",
    "filter",
    "isinstance",
    "issubclass",
    "getattr",
    "hasattr",
    "setattr",
    "repr",
    "format",
    "hash",
    "id",
    "iter",
    "next",
    "divmod",
    "super",
    "type",
    "vars",
    "cast",
    "typing.cast",
];
const NON_BLOCKING_METHODS: &[&str] = &[
    "join",
    "split",
    "rsplit",
    "strip",
    "lstrip",
    "rstrip",
    "lower",
    "upper",
    "title",
    "replace",
    "startswith",
    "endswith",
    "format",
    "encode",
    "decode",
    "isoformat",
    "model_dump",
    "model_dump_json",
    "model_validate",
    "model_copy",
    "dict",
    "json",
    "items",
    "keys",
    "values",
    "append",
    "extend",
    "copy",
    "count",
    "index",
];

/// A call that cannot block: a builtin, a class being built (a response
/// model, `HTTPException`, `Depends`), or a string/collection/model method.
pub fn non_blocking(callee: &str) -> bool {
    if NON_BLOCKING.contains(&callee) {
        return true;
    }
    let last = callee.rsplit('.').next().unwrap_or(callee);
    if last.chars().next().is_some_and(char::is_uppercase) {
        return true;
    }
    callee.contains('.') && NON_BLOCKING_METHODS.contains(&last)
}
