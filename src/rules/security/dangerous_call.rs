//! SEC005: calls that execute code or commands, deserialise arbitrary
//! objects, or switch off verification: `eval`/`exec` on non-literals,
//! `pickle.load(s)`, `yaml.load` without a safe loader, shell commands built
//! at runtime, `verify=False` on HTTP clients, unverified `jwt.decode`.

use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::project::Import;
use crate::python::ast::{self as pyast, fid};
use crate::python::semantic::{ScopeId, Semantic};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

const INTERESTING: &[&str] = &[
    "eval",
    "exec",
    "load",
    "loads",
    "Unpickler",
    "read_pickle",
    "load_all",
    "unsafe_load",
    "unsafe_load_all",
    "create_subprocess_shell",
    "decode",
];

const PICKLE_MODULES: &[&str] = &["pickle", "_pickle", "cPickle", "dill", "cloudpickle"];
const SAFE_LOADERS: &[&str] = &["SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"];
const UNSAFE_LOADERS: &[&str] = &[
    "Loader",
    "CLoader",
    "UnsafeLoader",
    "CUnsafeLoader",
    "FullLoader",
    "CFullLoader",
];

#[derive(Default)]
pub struct DangerousCall {
    aliases: pyast::AliasCache,
    candidates: Vec<Candidate>,
}

#[derive(Default)]
struct Facts {
    has_args: bool,
    /// The first argument is a literal string (or there is none).
    first_constant: bool,
    shell_true: bool,
    /// `Loader=` or the second positional argument, as written.
    loader: Option<String>,
    verify_false: bool,
    /// Why a `jwt.decode` call does not verify the signature.
    jwt_unverified: Option<&'static str>,
}

struct Candidate {
    span: Range<usize>,
    function: Option<Range<usize>>,
    /// Where the call sits, for resolving its callee through the imports
    /// visible there (a function-local `from yaml import dump as orig` does
    /// not rename `orig` in another function).
    scope: ScopeId,
    at: usize,
    callee: String,
    facts: Facts,
}

impl Rule for DangerousCall {
    const META: RuleMeta = RuleMeta {
        code: "SEC005",
        name: "dangerous-call",
        family: Family::Security,
        severity: Severity::Blocker,
        fixable: false,
        summary: "`eval`/`exec`, `pickle`, unsafe `yaml.load`, shell commands, `verify=False` or unverified `jwt.decode`",
        help: "parse data instead of executing it (`json`, `ast.literal_eval`, `yaml.safe_load`), pass commands as argument lists, and keep TLS and signature verification on",
        doc: include_str!("../../../rules/SEC005.md"),
        security_severity: Some("8.1"),
    };
    const KINDS: &'static [&'static str] = &["call"];

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        let Some(function) = cx.call_function() else {
            return;
        };
        let last = match function.kind_str() {
            "identifier" => cx.text(function),
            "attribute" => match cx.callee_attribute() {
                Some(a) => cx.text(a),
                None => return,
            },
            _ => return,
        };
        let args = pyast::call_arguments(node);
        let mentions_verify = args.is_some_and(|a| {
            // A substring scan rejects almost every call before any cursor work.
            if !cx.text(a).contains("verify") {
                return false;
            }
            let mut cursor = a.walk();
            let found = a.named_children(&mut cursor).any(|c| {
                c.kind_str() == "keyword_argument"
                    && c.child_by_field_id(*fid::NAME)
                        .is_some_and(|n| cx.text(n) == "verify")
            });
            found
        });
        if !(INTERESTING.contains(&last)
            || crate::python::vocab::runs_a_command(last)
            || mentions_verify
            || function.kind_str() == "identifier" && self.aliases.contains(last, cx.imports))
        {
            return;
        }
        let Some(callee) = pyast::dotted_name(function, cx.source) else {
            return;
        };
        let mut facts = Facts {
            first_constant: true,
            ..Facts::default()
        };
        if let Some(args) = args {
            let source = cx.source;
            if let Some(first) = pyast::positional_arg(args, 0) {
                facts.has_args = true;
                facts.first_constant = is_constant_command(first)
                    || (matches!(last, "exec" | "eval")
                        && reads_named_python_file(first, cx.ancestors, source));
            } else if pyast::has_kwargs_splat(args) {
                facts.has_args = true;
                facts.first_constant = false;
            }
            facts.shell_true = pyast::keyword_arg(args, "shell", source)
                .is_some_and(|v| matches!(pyast::text(v, source), "True" | "1"));
            facts.loader = pyast::keyword_arg(args, "Loader", source)
                .or_else(|| pyast::positional_arg(args, 1))
                .map(|l| pyast::text(l, source).to_owned());
            facts.verify_false = pyast::keyword_arg(args, "verify", source)
                .is_some_and(|v| pyast::text(v, source) == "False");
            if last == "decode" {
                facts.jwt_unverified = jwt_unverified(args, source);
            }
            if matches!(
                last,
                "run" | "call" | "check_call" | "check_output" | "Popen"
            ) {
                // The command may also be passed as `args=`.
                if let Some(cmd) = pyast::keyword_arg(args, "args", source) {
                    facts.has_args = true;
                    facts.first_constant = is_constant_command(cmd);
                }
            }
        }
        self.candidates.push(Candidate {
            span: node.byte_range(),
            function: pyast::function_range(cx.ancestors),
            scope: cx.scope(node),
            at: node.start_byte(),
            callee: callee.into_owned(),
            facts,
        });
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        for c in std::mem::take(&mut self.candidates) {
            if let Some(message) = judge(&c, cx.imports, cx.semantic) {
                cx.report_span(c.span, message);
            }
        }
    }
}

/// A string literal, or a list/tuple of them: nothing to inject into.
fn is_constant_command(node: Node<'_>) -> bool {
    let node = pyast::unparenthesize(node);
    match node.kind_str() {
        "list" | "tuple" => {
            let mut cursor = node.walk();
            let all = node
                .named_children(&mut cursor)
                .filter(|c| c.kind_str() != "comment")
                .all(pyast::is_constant_string);
            all
        }
        _ => pyast::is_constant_string(node),
    }
}

/// `options={"verify_signature": False}`, `verify=False` (PyJWT 1), `algorithms=["none"]`.
fn jwt_unverified(args: Node<'_>, source: &str) -> Option<&'static str> {
    if let Some(options) = pyast::keyword_arg(args, "options", source) {
        if options.kind_str() == "dictionary" {
            let mut cursor = options.walk();
            let off = options.named_children(&mut cursor).any(|pair| {
                pair.kind_str() == "pair"
                    && pair.child_by_field_id(*fid::KEY).is_some_and(|k| {
                        pyast::is_constant_string(k)
                            && pyast::string_text(k, source) == "verify_signature"
                    })
                    && pair
                        .child_by_field_id(*fid::VALUE)
                        .is_some_and(|v| pyast::text(v, source) == "False")
            });
            if off {
                return Some("`options={\"verify_signature\": False}`");
            }
        }
    }
    if pyast::keyword_arg(args, "verify", source).is_some_and(|v| pyast::text(v, source) == "False")
    {
        return Some("`verify=False`");
    }
    if let Some(algorithms) = pyast::keyword_arg(args, "algorithms", source) {
        let mut cursor = algorithms.walk();
        let none = algorithms.named_children(&mut cursor).any(|a| {
            pyast::is_constant_string(a)
                && pyast::string_text(a, source).eq_ignore_ascii_case("none")
        });
        if none {
            return Some("`algorithms=[\"none\"]`");
        }
        return None;
    }
    // python-jose and PyJWT 1 then take the algorithm from the token's own
    // header (algorithm confusion); PyJWT 2 refuses the call.
    let positional = pyast::positional_arg(args, 2).is_some();
    if !positional && !pyast::has_kwargs_splat(args) {
        return Some("no `algorithms=[...]` (the token's header picks the algorithm)");
    }
    None
}

/// `open("pkg/__version__.py").read()`, or `f.read()` inside
/// `with open(os.path.join(here, "../__packaging__.py")) as f:`: the code run
/// is a Python file of the project, named in the code (the `setup.py` idiom
/// for a version file), not data.
fn reads_named_python_file(arg: Node<'_>, ancestors: &[Node<'_>], source: &str) -> bool {
    let opens_named_py = |call: Node<'_>| {
        call.kind_str() == "call"
            && call
                .child_by_field_id(*fid::FUNCTION)
                .is_some_and(|f| matches!(pyast::text(f, source), "open" | "io.open"))
            && pyast::call_arguments(call)
                .and_then(|a| pyast::positional_arg(a, 0))
                .is_some_and(|path| names_py_file(path, source))
    };
    let Some(read) = (arg.kind_str() == "call")
        .then(|| arg.child_by_field_id(*fid::FUNCTION))
        .flatten()
        .filter(|f| f.kind_str() == "attribute")
        .filter(|f| {
            f.child_by_field_id(*fid::ATTRIBUTE)
                .is_some_and(|a| pyast::text(a, source) == "read")
        })
        .and_then(|f| f.child_by_field_id(*fid::OBJECT))
    else {
        return false;
    };
    if opens_named_py(read) {
        return true;
    }
    if read.kind_str() != "identifier" {
        return false;
    }
    let name = pyast::text(read, source);
    // `with open(...) as name:` around the call.
    ancestors.iter().rev().any(|a| {
        a.kind_str() == "with_statement" && {
            let mut found = false;
            let mut walk = pyast::Descent::new(*a, usize::MAX);
            while let Some(n) = walk.next() {
                if n.kind_str() == "block" {
                    walk.skip_children();
                }
                if n.kind_str() == "as_pattern" {
                    walk.skip_children();
                    let mut c = n.walk();
                    let parts: Vec<Node<'_>> = n.named_children(&mut c).collect();
                    if let [value, target] = parts.as_slice() {
                        let bound = pyast::text(*target, source).trim() == name;
                        found |= bound && opens_named_py(*value);
                    }
                }
            }
            found
        }
    })
}

/// A path expression with a string literal naming a `.py` file.
fn names_py_file(path: Node<'_>, source: &str) -> bool {
    let mut walk = pyast::Descent::new(path, 64);
    while let Some(n) = walk.next() {
        if n.kind_str() == "string" && pyast::string_text(n, source).ends_with(".py") {
            return true;
        }
    }
    false
}

fn judge(c: &Candidate, imports: &[Import], model: &Semantic<'_>) -> Option<String> {
    let callee = c.callee.as_str();
    let f = &c.facts;
    if matches!(callee, "eval" | "exec")
        && !pyast::imported_in(callee, imports, c.function.as_ref())
    {
        return (f.has_args && !f.first_constant).then(|| {
            format!("`{callee}()` on a value built at runtime executes arbitrary code; parse data with `json.loads()` or `ast.literal_eval()` instead")
        });
    }
    let resolved = model.resolve_with(callee, c.scope, c.at, |q| {
        let (module, name) = q.rsplit_once('.')?;
        let hit = match (module, name) {
            ("builtins", "eval" | "exec") => true,
            (m, "load" | "loads" | "Unpickler") if PICKLE_MODULES.contains(&m) => true,
            ("pandas", "read_pickle") => true,
            ("yaml", "load" | "load_all" | "unsafe_load" | "unsafe_load_all") => true,
            (
                "subprocess",
                "run" | "call" | "check_call" | "check_output" | "Popen" | "getoutput"
                | "getstatusoutput",
            ) => true,
            ("os", "system" | "popen") => true,
            ("asyncio", "create_subprocess_shell") => true,
            ("jwt" | "jose.jwt" | "jwt.api_jwt", "decode") => true,
            ("requests" | "httpx", _) => true,
            _ => false,
        };
        hit.then(|| q.to_owned())
    });
    let Some(qualified) = resolved else {
        // `session.get(url, verify=False)` on a client of a file that uses requests/httpx.
        if f.verify_false && callee.contains('.') && uses_http_client(imports) {
            return Some(verify_message(callee));
        }
        return None;
    };
    let (module, name) = qualified.rsplit_once('.')?;
    match (module, name) {
        ("builtins", _) => (f.has_args && !f.first_constant).then(|| {
            format!("`{qualified}()` on a value built at runtime executes arbitrary code; parse data with `json.loads()` or `ast.literal_eval()` instead")
        }),
        ("yaml", "unsafe_load" | "unsafe_load_all") => Some(yaml_message(&qualified)),
        ("yaml", _) => {
            let safe = match f.loader.as_deref() {
                None => false,
                Some(loader) => loader_is_safe(loader, imports),
            };
            (!safe).then(|| yaml_message(&qualified))
        }
        ("subprocess", "getoutput" | "getstatusoutput") | ("os", _) | ("asyncio", _) => {
            (f.has_args && !f.first_constant).then(|| {
                format!("`{qualified}()` runs a command built at runtime through the shell; use `subprocess.run([...])` with an argument list")
            })
        }
        ("subprocess", _) => (f.shell_true && !f.first_constant).then(|| {
            format!("`{qualified}(..., shell=True)` with a command built at runtime allows shell injection; pass an argument list without `shell=True`")
        }),
        ("requests" | "httpx", _) => f.verify_false.then(|| verify_message(&qualified)),
        (_, "decode") => f.jwt_unverified.map(|why| {
            format!("`{qualified}()` with {why} accepts forged tokens; pass the key and an explicit `algorithms=[...]` list")
        }),
        _ => Some(format!(
            "`{qualified}()` can execute arbitrary code while deserialising; never unpickle untrusted data, use JSON or a Pydantic model"
        )),
    }
}

fn loader_is_safe(loader: &str, imports: &[Import]) -> bool {
    let Some(dotted) = Some(loader).filter(|l| {
        l.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
    }) else {
        // An expression we cannot read: give it the benefit of the doubt.
        return true;
    };
    let resolved = pyast::resolve_with(dotted, imports, |q| {
        let (module, name) = q.rsplit_once('.')?;
        (module == "yaml" || module.starts_with("yaml.")).then(|| name.to_owned())
    });
    let name = resolved.unwrap_or_else(|| pyast::last_segment(dotted).to_owned());
    if SAFE_LOADERS.contains(&name.as_str()) {
        return true;
    }
    // A project loader (`Loader=ConfigLoader`) usually derives from SafeLoader.
    !UNSAFE_LOADERS.contains(&name.as_str())
}

fn uses_http_client(imports: &[Import]) -> bool {
    imports
        .iter()
        .any(|i| i.level == 0 && matches!(pyast::first_segment(&i.module), "requests" | "httpx"))
}

fn yaml_message(qualified: &str) -> String {
    format!("`{qualified}()` without a safe loader can construct arbitrary Python objects; use `yaml.safe_load()` or `Loader=yaml.SafeLoader`")
}

fn verify_message(callee: &str) -> String {
    format!("`{callee}(..., verify=False)` turns off TLS certificate verification; remove it or point `verify=` at a CA bundle")
}
