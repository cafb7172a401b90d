//! TYP003: Pydantic v1 idioms in a Pydantic v2 codebase: nested `class
//! Config`, `@validator`/`@root_validator`, v1 config keys, v1 class methods
//! (`parse_obj`, `from_orm`, ...) and `.dict()`/`.json()`/`.copy()` on known
//! model instances.

use crate::python::name::Name;
use std::collections::HashSet;
use std::ops::Range;

use tree_sitter::Node;

use crate::parse::NodeKind;

use crate::diagnostic::Severity;
use crate::project::symbols::{NameRef, Question};
use crate::project::FactSet;
use crate::python::ast::{self as pyast, fid};
use crate::python::fastapi::{self, Routers};
use crate::python::semantic::{ScopeId, Semantic, MODULE};
use crate::rules::context::Cx;
use crate::rules::{Family, Rule, RuleMeta};

const MODEL_BASES: &[&str] = &[
    "pydantic.BaseModel",
    "pydantic.main.BaseModel",
    "pydantic.RootModel",
    "pydantic.generics.GenericModel",
    "pydantic.BaseSettings",
    "pydantic_settings.BaseSettings",
    "sqlmodel.SQLModel",
];

const VALIDATORS: &[&str] = &[
    "pydantic.validator",
    "pydantic.root_validator",
    "pydantic.class_validators.validator",
    "pydantic.class_validators.root_validator",
];

/// v1 class methods and their v2 names.
const CLASS_METHODS: &[(&str, &str)] = &[
    ("parse_obj", "model_validate"),
    ("parse_raw", "model_validate_json"),
    ("parse_file", "model_validate_json(path.read_text())"),
    ("from_orm", "model_validate(obj, from_attributes=True)"),
    ("update_forward_refs", "model_rebuild"),
    ("construct", "model_construct"),
    ("schema", "model_json_schema"),
    ("schema_json", "model_json_schema"),
];

/// Method names distinctive enough to judge on any class-like receiver.
const DISTINCTIVE: &[&str] = &[
    "parse_obj",
    "parse_raw",
    "parse_file",
    "from_orm",
    "update_forward_refs",
];

const INSTANCE_METHODS: &[(&str, &str)] = &[
    ("dict", "model_dump"),
    ("json", "model_dump_json"),
    ("copy", "model_copy"),
];

/// v1 configuration keys and their v2 names.
const CONFIG_KEYS: &[(&str, &str)] = &[
    ("orm_mode", "from_attributes"),
    ("allow_population_by_field_name", "populate_by_name"),
    ("schema_extra", "json_schema_extra"),
    ("anystr_strip_whitespace", "str_strip_whitespace"),
    ("anystr_lower", "str_to_lower"),
    ("min_anystr_length", "str_min_length"),
    ("max_anystr_length", "str_max_length"),
    ("validate_all", "validate_default"),
    ("allow_mutation", "frozen"),
    ("keep_untouched", "ignored_types"),
];

/// Parameter types FastAPI injects that are not request bodies.
const NOT_BODIES: &[&str] = &[
    "Request",
    "Response",
    "WebSocket",
    "BackgroundTasks",
    "HTTPConnection",
    "SecurityScopes",
    "UploadFile",
    "Session",
    "AsyncSession",
    "Any",
];

#[derive(Default)]
pub struct PydanticV1Pattern {
    routers: Routers,
    /// (class name, base expressions as written)
    classes: Vec<(String, Vec<String>)>,
    config_classes: Vec<(String, Range<usize>, Vec<String>)>,
    decorators: Vec<(String, Range<usize>)>,
    config_keys: Vec<(String, &'static str, &'static str, Range<usize>)>,
    calls: Vec<MethodCall>,
    /// (route function scope, parameter): FastAPI body models.
    body_params: HashSet<(ScopeId, String)>,
}

struct MethodCall {
    receiver: String,
    method: &'static str,
    v2: &'static str,
    instance: bool,
    span: Range<usize>,
    scope: ScopeId,
    at: usize,
}

impl Rule for PydanticV1Pattern {
    const META: RuleMeta = RuleMeta {
        code: "TYP003",
        name: "pydantic-v1-pattern",
        family: Family::Typing,
        severity: Severity::Warning,
        fixable: false,
        summary: "Pydantic v1 idiom (`class Config`, `@validator`, `orm_mode`, `parse_obj`, `.dict()`) in a Pydantic v2 model",
        help: "use the v2 API: `model_config = ConfigDict(...)`, `@field_validator`/`@model_validator`, `model_validate`, `model_dump`",
        doc: include_str!("../../../rules/TYP003.md"),
        security_severity: None,
    };
    const KINDS: &'static [&'static str] = &[
        "class_definition",
        "function_definition",
        "call",
        "assignment",
    ];
    /// Classes imported from other modules are judged through the project
    /// symbol table (deferred questions).
    const NEEDS: FactSet = FactSet::SYMBOLS;

    fn visit(&mut self, node: Node<'_>, cx: &mut Cx<'_>) {
        match node.kind_str() {
            "class_definition" => self.visit_class(node, cx),
            "function_definition" => self.visit_function(node, cx),
            "call" => self.visit_call(node, cx),
            _ => {
                if node
                    .child_by_field_id(*fid::RIGHT)
                    .is_some_and(|r| r.kind_str() == "call")
                {
                    self.routers.observe(node, cx.fields(), cx.source);
                }
            }
        }
    }

    fn finish(&mut self, cx: &mut Cx<'_>) {
        // A project on Pydantic 1 (locked, pinned or bounded below 2) writes v1 idioms on purpose.
        if cx.profile.major(&cx.file.path, "pydantic") == Some(1) {
            return;
        }
        let imports = cx.imports;
        // Model classes: pydantic bases, then classes deriving from those.
        let mut models: HashSet<&str> = HashSet::new();
        loop {
            let before = models.len();
            for (name, bases) in &self.classes {
                if models.contains(name.as_str()) {
                    continue;
                }
                let is_model = bases.iter().any(|b| {
                    let b = b.split('[').next().unwrap_or(b);
                    models.contains(pyast::last_segment(b))
                        || pyast::resolves_to(b, imports, MODEL_BASES).is_some()
                });
                if is_model {
                    models.insert(name);
                }
            }
            if models.len() == before {
                break;
            }
        }
        for (outer, span, keys) in &self.config_classes {
            let local = models.contains(outer.as_str());
            let renamed: Vec<String> = keys
                .iter()
                .filter_map(|k| {
                    CONFIG_KEYS
                        .iter()
                        .find(|(v1, _)| v1 == k)
                        .map(|(v1, v2)| format!("`{v1}` is `{v2}`"))
                })
                .collect();
            let extra = if renamed.is_empty() {
                String::new()
            } else {
                format!(" ({})", renamed.join(", "))
            };
            let message = format!("nested `class Config` in `{outer}` is Pydantic v1 configuration; use `model_config = ConfigDict(...)`{extra}");
            report_or_ask(
                cx,
                Evidence::local(local),
                outer,
                span.clone(),
                message,
                MODULE,
                span.start,
            );
        }
        for (dotted, span) in &self.decorators {
            if let Some(v) = pyast::resolves_to(dotted, imports, VALIDATORS) {
                let replacement = if v.ends_with("root_validator") {
                    "@model_validator(mode=...)"
                } else {
                    "@field_validator"
                };
                cx.report_span(
                    span.clone(),
                    format!(
                        "`@{}` is the Pydantic v1 validator API; use `{replacement}`",
                        pyast::last_segment(v)
                    ),
                );
            }
        }
        for (class, v1, v2, span) in &self.config_keys {
            let message = format!("`{v1}` is a Pydantic v1 config key, ignored by v2; use `{v2}`");
            let local = models.contains(class.as_str());
            report_or_ask(
                cx,
                Evidence::local(local),
                class,
                span.clone(),
                message,
                MODULE,
                span.start,
            );
        }
        for call in &self.calls {
            // `Row.from_orm(x)`: a name this distinctive counts as Pydantic's
            // unless the project defines the class without a Pydantic base
            // (a Strawberry type with its own `from_orm` classmethod).
            let mut distinctive = false;
            let (known, class) = if call.instance {
                let bound = class_held(call, cx.semantic);
                let known = bound.is_some_and(|c| models.contains(c))
                    || self
                        .body_params
                        .contains(&(call.scope, call.receiver.clone()));
                (known, bound)
            } else {
                distinctive = DISTINCTIVE.contains(&call.method)
                    && call.receiver.starts_with(|c: char| c.is_ascii_uppercase());
                (
                    models.contains(call.receiver.as_str()),
                    Some(call.receiver.as_str()),
                )
            };
            let message = format!(
                "`{}.{}()` is Pydantic v1; use `{}.{}`",
                call.receiver,
                call.method,
                call.receiver,
                v2_call(call.v2)
            );
            match class {
                _ if known => cx.report_span(call.span.clone(), message),
                Some(class) => report_or_ask(
                    cx,
                    Evidence::Foreign(distinctive),
                    class,
                    call.span.clone(),
                    message,
                    call.scope,
                    call.at,
                ),
                None => {}
            }
        }
    }
}

/// The class the receiver of an instance call holds, as far as the file
/// says: `self` in a method (its class), a parameter or variable annotated
/// with a class, or a variable given `Model(...)`/`Model.model_validate(...)`.
/// Only function scopes count: a module-level name may be rebound anywhere.
fn class_held<'a>(call: &MethodCall, model: &Semantic<'a>) -> Option<&'a str> {
    let source = model.source();
    let function = model.function_of(call.scope)?;
    if model.scope(function).receiver == Some(call.receiver.as_str()) {
        let class = model.class_of_method(function)?;
        return Some(model.scope(class).name);
    }
    let binding = model.lookup(call.scope, &call.receiver, call.at)?;
    if binding.scope == MODULE {
        return None;
    }
    if let Some(annotation) = binding.annotation() {
        return class_of_annotation(pyast::text(annotation, source));
    }
    // `x = Model(...)`, `x = Model.model_validate(...)`.
    let callee = binding
        .value()
        .filter(|v| v.kind_str() == "call")
        .and_then(|v| v.child_by_field_id(*fid::FUNCTION))
        .map(|f| pyast::text(f, source))?;
    let mut parts = callee.rsplit('.');
    let last = parts.next()?;
    let before = parts.next();
    [Some(last), before].into_iter().flatten().find(|p| {
        p.starts_with(|c: char| c.is_ascii_uppercase())
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
    })
}

/// Reports a finding about class `class` when the file knows it is a
/// model (`local`); otherwise, when the class is one of the project's
/// (defined here on an imported base, or imported), asks the project
/// whether it derives from a Pydantic model and reports only if so.
/// What the file knows about whether a class is a Pydantic model.
enum Evidence {
    /// It is: the file defines it on a Pydantic base.
    Local,
    /// Ask the project; with `true`, a class the project does not define
    /// counts as a model (the method name is distinctive enough).
    Foreign(bool),
}

impl Evidence {
    fn local(local: bool) -> Evidence {
        if local {
            Evidence::Local
        } else {
            Evidence::Foreign(false)
        }
    }
}

fn report_or_ask(
    cx: &mut Cx<'_>,
    evidence: Evidence,
    class: &str,
    span: Range<usize>,
    message: String,
    scope: ScopeId,
    at: usize,
) {
    let or_foreign = match evidence {
        Evidence::Local => {
            cx.report_span(span, message);
            return;
        }
        Evidence::Foreign(or_foreign) => or_foreign,
    };
    if !class.starts_with(|c: char| c.is_ascii_uppercase()) {
        return;
    }
    let qualified = cx.semantic.qualified_name(class, scope, at);
    let question = Question::DerivesFrom {
        class: NameRef {
            written: Name::new(class),
            qualified: qualified.map(Name::from),
        },
        bases: MODEL_BASES.iter().map(|b| (*b).to_owned()).collect(),
        or_foreign,
    };
    cx.defer(span, message, question);
}

fn v2_call(v2: &str) -> String {
    if v2.contains('(') {
        v2.to_owned()
    } else {
        format!("{v2}()")
    }
}

/// `UserOut`, `UserOut | None`, `Optional[UserOut]`, `"UserOut"` -> `UserOut`.
fn class_of_annotation(annotation: &str) -> Option<&str> {
    let t = annotation.trim().trim_matches(['"', '\'']);
    let t = t
        .strip_prefix("Optional[")
        .and_then(|r| r.strip_suffix(']'))
        .unwrap_or(t);
    let t = t.split('|').next().unwrap_or(t).trim();
    let last = pyast::last_segment(t);
    (last.starts_with(|c: char| c.is_ascii_uppercase())
        && last.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_'))
    .then_some(last)
}

impl PydanticV1Pattern {
    fn visit_class(&mut self, node: Node<'_>, cx: &Cx<'_>) {
        let Some(name) = node.child_by_field_id(*fid::NAME) else {
            return;
        };
        let class_name = cx.text(name).to_owned();
        let bases: Vec<String> = pyast::superclasses(node)
            .into_iter()
            .map(|b| cx.text(b).to_owned())
            .collect();
        if let Some(body) = node.child_by_field_id(*fid::BODY) {
            let mut cursor = body.walk();
            for stmt in body.named_children(&mut cursor) {
                match stmt.kind_str() {
                    "class_definition" => {
                        if let Some(inner) = stmt.child_by_field_id(*fid::NAME) {
                            if cx.text(inner) == "Config" {
                                let keys = class_body_names(stmt, cx.source);
                                self.config_classes.push((
                                    class_name.clone(),
                                    inner.byte_range(),
                                    keys,
                                ));
                            }
                        }
                    }
                    "decorated_definition" => {
                        let mut c = stmt.walk();
                        for d in stmt
                            .named_children(&mut c)
                            .filter(|d| d.kind_str() == "decorator")
                        {
                            if let Some(expr) = d.named_child(0) {
                                let callee = pyast::decorator_callee(expr);
                                if let Some(dotted) = pyast::dotted_name(callee, cx.source) {
                                    if matches!(
                                        pyast::last_segment(&dotted),
                                        "validator" | "root_validator"
                                    ) || pyast::is_import_alias(&dotted, cx.imports)
                                    {
                                        self.decorators.push((dotted.into_owned(), d.byte_range()));
                                    }
                                }
                            }
                        }
                    }
                    "expression_statement" => {
                        if let Some(assignment) = pyast::statement_assignment(stmt) {
                            self.collect_model_config(&class_name, assignment, cx);
                        }
                    }
                    _ => {}
                }
            }
        }
        self.classes.push((class_name, bases));
    }

    /// `model_config = ConfigDict(orm_mode=True)` / `= {"orm_mode": True}`.
    fn collect_model_config(&mut self, class: &str, assignment: Node<'_>, cx: &Cx<'_>) {
        let Some((left, right)) = pyast::left_right(assignment) else {
            return;
        };
        if cx.text(left) != "model_config" {
            return;
        }
        let mut keys: Vec<(String, Range<usize>)> = Vec::new();
        match right.kind_str() {
            "call" => {
                if let Some(args) = pyast::call_arguments(right) {
                    let mut cursor = args.walk();
                    for kw in args.named_children(&mut cursor) {
                        if kw.kind_str() == "keyword_argument" {
                            if let Some(n) = kw.child_by_field_id(*fid::NAME) {
                                keys.push((cx.text(n).to_owned(), kw.byte_range()));
                            }
                        }
                    }
                }
            }
            "dictionary" => {
                let mut cursor = right.walk();
                for pair in right.named_children(&mut cursor) {
                    if let Some(k) = pair
                        .child_by_field_id(*fid::KEY)
                        .filter(|k| pyast::is_constant_string(*k))
                    {
                        keys.push((
                            pyast::string_text(k, cx.source).into_owned(),
                            pair.byte_range(),
                        ));
                    }
                }
            }
            _ => {}
        }
        for (key, span) in keys {
            if let Some((v1, v2)) = CONFIG_KEYS.iter().find(|(v1, _)| *v1 == key) {
                self.config_keys.push((class.to_owned(), v1, v2, span));
            }
        }
    }

    fn visit_function(&mut self, node: Node<'_>, cx: &Cx<'_>) {
        if fastapi::route_of(node, cx.parent(), cx.source, &self.routers, cx.imports).is_none() {
            return;
        }
        let Some(params) = node.child_by_field_id(*fid::PARAMETERS) else {
            return;
        };
        let Some(scope) = cx.semantic.scope_for_node(node) else {
            return;
        };
        let mut cursor = params.walk();
        for p in params.named_children(&mut cursor) {
            if !matches!(p.kind_str(), "typed_parameter" | "typed_default_parameter") {
                continue;
            }
            if p.child_by_field_id(*fid::VALUE)
                .is_some_and(|v| fastapi::is_non_body_default(v, cx.source))
            {
                continue;
            }
            let name = if p.kind_str() == "typed_parameter" {
                p.named_child(0)
            } else {
                p.child_by_field_id(*fid::NAME)
            };
            let (Some(name), Some(annotation)) = (
                name.filter(|n| n.kind_str() == "identifier"),
                p.child_by_field_id(*fid::TYPE),
            ) else {
                continue;
            };
            let annotation = cx.text(annotation);
            if annotation.contains("Depends") || annotation.starts_with("Annotated") {
                continue;
            }
            if let Some(class) = class_of_annotation(annotation) {
                if !NOT_BODIES.contains(&class) {
                    self.body_params.insert((scope, cx.text(name).to_owned()));
                }
            }
        }
    }

    fn visit_call(&mut self, node: Node<'_>, cx: &Cx<'_>) {
        // `receiver.method(...)`: the method name is judged before the
        // receiver is read (most calls end there).
        let Some(function) = cx.call_function().filter(|f| f.kind_str() == "attribute") else {
            return;
        };
        let Some(attr) = cx.callee_attribute() else {
            return;
        };
        let method = cx.text(attr);
        let (method, v2, instance) =
            if let Some((m, v2)) = CLASS_METHODS.iter().find(|(m, _)| *m == method) {
                (*m, *v2, false)
            } else if let Some((m, v2)) = INSTANCE_METHODS.iter().find(|(m, _)| *m == method) {
                // `.dict()` with arguments other than v1's keywords is some other API.
                (*m, *v2, true)
            } else {
                return;
            };
        let Some(object) = function
            .child_by_field_id(*fid::OBJECT)
            .filter(|o| o.kind_str() == "identifier")
        else {
            return;
        };
        let receiver = cx.text(object);
        self.calls.push(MethodCall {
            receiver: receiver.to_owned(),
            method,
            v2,
            instance,
            span: node.byte_range(),
            scope: cx.scope(node),
            at: node.start_byte(),
        });
    }
}

/// Names assigned in a class body (`orm_mode = True`).
fn class_body_names(class: Node<'_>, source: &str) -> Vec<String> {
    let Some(body) = class.child_by_field_id(*fid::BODY) else {
        return Vec::new();
    };
    let mut cursor = body.walk();
    let names = body
        .named_children(&mut cursor)
        .filter_map(pyast::statement_assignment)
        .filter_map(|a| a.child_by_field_id(*fid::LEFT))
        .map(|l| pyast::text(l, source).to_owned())
        .collect();
    names
}
