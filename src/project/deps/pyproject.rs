//! pyproject.toml: PEP 621 `[project]`, PEP 735 `[dependency-groups]`,
//! Poetry, uv and PDM dev dependencies, setuptools `dynamic` requirement
//! files, `[build-system]`, and the packages the project ships.

use std::collections::BTreeSet;
use std::path::Path;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use super::manifest::{Declarations, Declared, Group, Sources};
use super::names::normalize;
use super::requirement;

type Value<'i> = Spanned<DeValue<'i>>;

pub(crate) fn get<'a, 'i>(table: &'a DeTable<'i>, key: &str) -> Option<&'a Value<'i>> {
    table
        .iter()
        .find(|(k, _)| k.get_ref().as_ref() == key)
        .map(|(_, v)| v)
}

pub(crate) fn table<'a, 'i>(value: Option<&'a Value<'i>>) -> Option<&'a DeTable<'i>> {
    match value.map(Spanned::get_ref) {
        Some(DeValue::Table(t)) => Some(t),
        _ => None,
    }
}

pub(crate) fn path<'a, 'i>(root: &'a DeTable<'i>, keys: &[&str]) -> Option<&'a Value<'i>> {
    let (last, init) = keys.split_last()?;
    let mut t = root;
    for k in init {
        t = table(get(t, k))?;
    }
    get(t, last)
}

pub(crate) fn strings<'a, 'i>(
    value: Option<&'a Value<'i>>,
) -> Vec<(&'a str, std::ops::Range<usize>)> {
    match value.map(Spanned::get_ref) {
        Some(DeValue::Array(items)) => items
            .iter()
            .filter_map(|v| v.get_ref().as_str().map(|s| (s, v.span())))
            .collect(),
        Some(DeValue::String(s)) => vec![(s.as_ref(), value.map_or(0..0, Spanned::span))],
        _ => Vec::new(),
    }
}

/// Parse a TOML manifest, reporting a syntax error with its position.
pub(crate) fn parse_toml<'s>(
    sources: &mut Sources,
    file: usize,
    source: &'s str,
) -> Option<DeTable<'s>> {
    match DeTable::parse(source) {
        Ok(t) => Some(t.into_inner()),
        Err(e) => {
            let at = e.span().map_or(0, |s| s.start);
            sources.problem(
                file,
                at,
                format!("invalid TOML: {}", e.message().trim().replace('\n', " ")),
            );
            None
        }
    }
}

/// A requirement string inside a TOML string value spanning `span` (quotes included).
fn push_pep508(
    sources: &mut Sources,
    file: usize,
    text: &str,
    span: std::ops::Range<usize>,
    group: &Group,
    out: &mut Declarations,
) {
    match requirement::parse(text) {
        Ok(r) => {
            // The value span includes the opening quote.
            let at = span.start + 1 + r.name_offset;
            let raw = sources.files[file].source.get(at..at + r.name.len());
            let start = if raw == Some(r.name.as_str()) {
                at
            } else {
                span.start
            };
            out.declared
                .push(Declared::from_requirement(&r, group, file, start));
        }
        Err(why) if text.trim_start().starts_with('.') || text.contains("file:") => {
            let _ = why;
        }
        Err(why) => sources.problem(file, span.start, why),
    }
}

fn push_array(
    sources: &mut Sources,
    file: usize,
    value: Option<&Value<'_>>,
    what: &str,
    group: &Group,
    out: &mut Declarations,
) {
    let Some(v) = value else { return };
    match v.get_ref() {
        DeValue::Array(items) => {
            for item in items {
                match item.get_ref() {
                    DeValue::String(s) => push_pep508(sources, file, s, item.span(), group, out),
                    // PEP 735 `{include-group = "x"}`: the included group is read on its own.
                    DeValue::Table(t) if get(t, "include-group").is_some() => {}
                    _ => sources.problem(
                        file,
                        item.span().start,
                        format!("`{what}`: expected a requirement string"),
                    ),
                }
            }
        }
        _ => sources.problem(file, v.span().start, format!("`{what}` must be an array")),
    }
}

/// Poetry's `name = "^1.0"` / `{ version = "...", extras = [...], optional = true }` tables.
fn push_poetry_table(
    sources: &mut Sources,
    file: usize,
    value: Option<&Value<'_>>,
    group: &Group,
    out: &mut Declarations,
) {
    let Some(t) = table(value) else { return };
    for (key, v) in t.iter() {
        let name = key.get_ref().as_ref();
        if name.eq_ignore_ascii_case("python") {
            continue;
        }
        // `"^1.9"` or `{ version = "^1.9", ... }`; an array of tables is
        // one constraint per Python version: their hull.
        let constraint = match v.get_ref() {
            DeValue::String(c) => Some(c.as_ref()),
            DeValue::Table(spec) => get(spec, "version").and_then(|c| c.get_ref().as_str()),
            _ => None,
        };
        let (extras, optional) = match v.get_ref() {
            DeValue::String(_) | DeValue::Array(_) => (Vec::new(), false),
            DeValue::Table(spec) => (
                strings(get(spec, "extras"))
                    .into_iter()
                    .map(|(e, _)| normalize(e))
                    .collect(),
                matches!(
                    get(spec, "optional").map(Spanned::get_ref),
                    Some(DeValue::Boolean(true))
                ),
            ),
            _ => {
                sources.problem(
                    file,
                    v.span().start,
                    format!("`{name}`: expected a version string or a table"),
                );
                continue;
            }
        };
        let group = if optional && *group == Group::Runtime {
            Group::Optional("poetry-extra".to_owned())
        } else {
            group.clone()
        };
        let span = key.span();
        out.declared.push(Declared {
            name: normalize(name),
            written: name.to_owned(),
            extras,
            group,
            file,
            span,
            frozen: false,
            versions: constraint.and_then(super::versions::poetry),
        });
    }
}

/// Read `pyproject.toml`.
pub fn read(sources: &mut Sources, path: &Path, out: &mut Declarations) -> Option<usize> {
    let file = sources.load(path)?;
    let source = sources.files[file].source.clone();
    let root = parse_toml(sources, file, &source)?;
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut declares = false;

    if let Some(project) = table(get(&root, "project")) {
        declares = true;
        if let Some(name) = get(project, "name").and_then(|v| v.get_ref().as_str()) {
            out.own_names.insert(normalize(name));
        }
        push_array(
            sources,
            file,
            get(project, "dependencies"),
            "project.dependencies",
            &Group::Runtime,
            out,
        );
        if let Some(extras) = table(get(project, "optional-dependencies")) {
            let own = get(project, "name")
                .and_then(|v| v.get_ref().as_str())
                .map(normalize);
            let included = extras_installed_with_others(project, extras, own.as_deref());
            for (extra, v) in extras.iter() {
                let group = if included.contains(&normalize(extra.get_ref())) {
                    Group::Optional(extra.get_ref().to_string())
                } else {
                    Group::extra(extra.get_ref())
                };
                push_array(
                    sources,
                    file,
                    Some(v),
                    "project.optional-dependencies",
                    &group,
                    out,
                );
            }
        }
        if let Some(groups) = table(get(project, "entry-points")) {
            for (group, v) in groups.iter() {
                let Some(host) = super::manifest::plugin_host(group.get_ref()) else {
                    continue;
                };
                for (_, target) in table(Some(v)).into_iter().flat_map(|t| t.iter()) {
                    if let Some(target) = target.get_ref().as_str() {
                        let module = target.split(':').next().unwrap_or(target).trim();
                        out.plugins.insert(module.to_owned(), host.clone());
                    }
                }
            }
        }
        let dynamic: Vec<&str> = strings(get(project, "dynamic"))
            .into_iter()
            .map(|(s, _)| s)
            .collect();
        if dynamic.contains(&"dependencies") {
            let files = strings(path_of(
                &root,
                &["tool", "setuptools", "dynamic", "dependencies", "file"],
            ));
            if files.is_empty() {
                out.opaque = true;
            }
            for (f, span) in files {
                if let Err(why) =
                    super::requirements::read(sources, &dir.join(f), Some(Group::Runtime), out, 1)
                {
                    sources.problem(file, span.start, format!("cannot read `{f}`: {why}"));
                }
            }
        }
        if dynamic.contains(&"optional-dependencies") {
            if let Some(t) = table(path_of(
                &root,
                &["tool", "setuptools", "dynamic", "optional-dependencies"],
            )) {
                for (extra, v) in t.iter() {
                    let group = Group::extra(extra.get_ref());
                    if let Some(spec) = table(Some(v)) {
                        for (f, span) in strings(get(spec, "file")) {
                            if let Err(why) = super::requirements::read(
                                sources,
                                &dir.join(f),
                                Some(group.clone()),
                                out,
                                1,
                            ) {
                                sources.problem(
                                    file,
                                    span.start,
                                    format!("cannot read `{f}`: {why}"),
                                );
                            }
                        }
                    }
                }
            }
        }
    }

    if let Some(groups) = table(get(&root, "dependency-groups")) {
        declares = true;
        for (g, v) in groups.iter() {
            let group = Group::Dev(g.get_ref().to_string());
            push_array(sources, file, Some(v), "dependency-groups", &group, out);
        }
    }

    if let Some(poetry) = table(path_of(&root, &["tool", "poetry"])) {
        if let Some(name) = get(poetry, "name").and_then(|v| v.get_ref().as_str()) {
            out.own_names.insert(normalize(name));
        }
        if get(poetry, "dependencies").is_some() {
            declares = true;
        }
        push_poetry_table(
            sources,
            file,
            get(poetry, "dependencies"),
            &Group::Runtime,
            out,
        );
        push_poetry_table(
            sources,
            file,
            get(poetry, "dev-dependencies"),
            &Group::Dev("dev".into()),
            out,
        );
        if let Some(groups) = table(get(poetry, "group")) {
            for (g, v) in groups.iter() {
                let group = Group::Dev(g.get_ref().to_string());
                if let Some(t) = table(Some(v)) {
                    push_poetry_table(sources, file, get(t, "dependencies"), &group, out);
                }
            }
        }
        if let Some(DeValue::Array(packages)) = get(poetry, "packages").map(Spanned::get_ref) {
            for p in packages {
                if let DeValue::Table(t) = p.get_ref() {
                    if let Some(inc) = get(t, "include").and_then(|v| v.get_ref().as_str()) {
                        own_package(out, inc);
                    }
                }
            }
        }
    }

    push_array_lenient(
        sources,
        file,
        path_of(&root, &["tool", "uv", "dev-dependencies"]),
        "tool.uv.dev-dependencies",
        &Group::Dev("dev".into()),
        out,
    );
    // Hatch environments (`[tool.hatch.envs.<env>] dependencies`) are development setups.
    if let Some(envs) = table(path_of(&root, &["tool", "hatch", "envs"])) {
        for (env, v) in envs.iter() {
            if let Some(t) = table(Some(v)) {
                let group = Group::Dev(format!("hatch env {}", env.get_ref()));
                for key in ["dependencies", "extra-dependencies"] {
                    push_array_lenient(sources, file, get(t, key), "tool.hatch.envs", &group, out);
                }
            }
        }
    }
    if let Some(groups) = table(path_of(&root, &["tool", "pdm", "dev-dependencies"])) {
        for (g, v) in groups.iter() {
            let group = Group::Dev(g.get_ref().to_string());
            push_array(
                sources,
                file,
                Some(v),
                "tool.pdm.dev-dependencies",
                &group,
                out,
            );
        }
    }
    push_array_lenient(
        sources,
        file,
        path_of(&root, &["build-system", "requires"]),
        "build-system.requires",
        &Group::Dev("build-system".into()),
        out,
    );

    // Packages the project ships, which are first-party whatever the layout.
    match path_of(&root, &["tool", "setuptools", "packages"]).map(Spanned::get_ref) {
        Some(DeValue::Array(_)) => {
            for (p, _) in strings(path_of(&root, &["tool", "setuptools", "packages"])) {
                own_package(out, p);
            }
        }
        Some(DeValue::Table(t)) => {
            if let Some(find) = table(get(t, "find")) {
                for (p, _) in strings(get(find, "include")) {
                    own_package(out, p);
                }
            }
        }
        _ => {}
    }
    for (m, _) in strings(path_of(&root, &["tool", "setuptools", "py-modules"])) {
        own_package(out, m);
    }
    for keys in [
        &["tool", "hatch", "build", "targets", "wheel", "packages"][..],
        &["tool", "hatch", "build", "packages"][..],
        &["tool", "hatch", "build", "targets", "wheel", "only-include"][..],
    ] {
        for (p, _) in strings(path_of(&root, keys)) {
            own_package(out, p.rsplit('/').next().unwrap_or(p));
        }
    }
    if let Some(name) =
        path_of(&root, &["tool", "flit", "module", "name"]).and_then(|v| v.get_ref().as_str())
    {
        own_package(out, name);
    }
    if declares {
        out.has_manifest = true;
    }
    Some(file)
}

/// Extras (normalised) that the project's own dependencies or one of its
/// extras not named like development tooling request of the project itself
/// (`server = ["app[local]", ...]`), followed through such requests: they
/// are installed with the application, whatever their name says.
fn extras_installed_with_others(
    project: &DeTable<'_>,
    extras: &DeTable<'_>,
    own: Option<&str>,
) -> BTreeSet<String> {
    let mut included = BTreeSet::new();
    let Some(own) = own else {
        return included;
    };
    let requested = |value: Option<&Value<'_>>| -> Vec<String> {
        strings(value)
            .into_iter()
            .filter_map(|(s, _)| requirement::parse(s).ok())
            .filter(|r| normalize(&r.name) == own)
            .flat_map(|r| r.extras.into_iter().map(|e| normalize(&e)))
            .collect()
    };
    let mut todo: Vec<String> = requested(get(project, "dependencies"));
    for (extra, v) in extras.iter() {
        if !super::manifest::is_dev_name(extra.get_ref()) {
            todo.extend(requested(Some(v)));
        }
    }
    while let Some(e) = todo.pop() {
        if included.insert(e.clone()) {
            if let Some((_, v)) = extras.iter().find(|(k, _)| normalize(k.get_ref()) == e) {
                todo.extend(requested(Some(v)));
            }
        }
    }
    included
}

fn path_of<'a, 'i>(root: &'a DeTable<'i>, keys: &[&str]) -> Option<&'a Value<'i>> {
    path(root, keys)
}

fn push_array_lenient(
    sources: &mut Sources,
    file: usize,
    value: Option<&Value<'_>>,
    what: &str,
    group: &Group,
    out: &mut Declarations,
) {
    if value.is_some() {
        push_array(sources, file, value, what, group, out);
    }
}

/// `app`, `src/app`, `app.*`, `app/sub` -> `app`.
fn own_package(out: &mut Declarations, spec: &str) {
    let spec = spec.trim().trim_end_matches(".*").trim_end_matches('*');
    let top = spec
        .trim_start_matches("src/")
        .split(['/', '.'])
        .find(|p| !p.is_empty())
        .unwrap_or("");
    if !top.is_empty() && top.chars().all(|c| c.is_alphanumeric() || c == '_') {
        out.own_packages.insert(top.to_owned());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_str(text: &str) -> (Declarations, Sources) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pyproject.toml");
        std::fs::write(&path, text).unwrap();
        std::fs::write(dir.path().join("requirements.txt"), "httpx\n").unwrap();
        let mut sources = Sources::default();
        let mut out = Declarations::default();
        read(&mut sources, &path, &mut out);
        (out, sources)
    }

    #[test]
    fn every_table() {
        let (d, s) = read_str(
            r#"
[project]
name = "My_App"
dependencies = ["fastapi>=0.110", "passlib[bcrypt]"]
dynamic = ["optional-dependencies"]
[project.optional-dependencies]
postgres = ["asyncpg"]
test = ["pytest"]
[dependency-groups]
lint = ["ruff", {include-group = "test"}]
[tool.poetry.dependencies]
python = "^3.11"
redis = { version = "^5", extras = ["hiredis"] }
[tool.poetry.group.docs.dependencies]
mkdocs = "*"
[tool.uv]
dev-dependencies = ["mypy"]
[tool.setuptools.dynamic.optional-dependencies]
http = { file = ["requirements.txt"] }
"#,
        );
        assert!(s.problems.is_empty(), "{:?}", s.problems);
        let got: Vec<(&str, String)> = d
            .declared
            .iter()
            .map(|x| (x.name.as_str(), format!("{:?}", x.group)))
            .collect();
        let names: Vec<&str> = got.iter().map(|g| g.0).collect();
        assert_eq!(
            names,
            vec![
                "fastapi", "passlib", "asyncpg", "pytest", "httpx", "ruff", "redis", "mkdocs",
                "mypy"
            ]
        );
        assert!(d.own_names.contains("my-app"));
        let passlib = &d.declared[1];
        assert_eq!(passlib.extras, vec!["bcrypt"]);
        assert_eq!(&s.files[0].source[passlib.span.clone()], "passlib");
        assert!(d.declared[3].group.is_dev() && !d.declared[2].group.is_dev());
        assert_eq!(&s.files[0].source[d.declared[6].span.clone()], "redis");
    }

    #[test]
    fn errors_have_positions() {
        let (_, s) = read_str("[project]\ndependencies = [\"ok\", 3, \"[bad\"]\n");
        assert_eq!(s.problems.len(), 2);
        let (_, s) = read_str("[project\nname = 1\n");
        assert_eq!(s.problems.len(), 1);
        assert!(s.problems[0].message.starts_with("invalid TOML"));
    }
}
