//! Dependency rules end to end: manifest findings land in the file table,
//! broken manifests become warnings with positions, virtualenvs are read.

use std::path::{Path, PathBuf};

use fortress::config::{Overrides, Settings};
use fortress::engine;

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn run(root: &Path) -> engine::RunResult {
    let overrides = Overrides {
        select: Some(vec!["DEP".into()]),
        ..Overrides::default()
    };
    let settings = Settings::resolve(None, &overrides, root.to_path_buf()).unwrap();
    engine::run(&settings, &[PathBuf::from(root)], root, Some(1)).unwrap()
}

fn codes(result: &engine::RunResult) -> Vec<(String, u32, &'static str)> {
    result
        .diagnostics
        .iter()
        .map(|d| (result.files[d.file].rel.clone(), d.start.line, d.code))
        .collect()
}

#[test]
fn manifest_findings_are_reported_in_the_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "requirements.txt", "fastapi\nrequests\n");
    write(root, "app/main.py", "import fastapi\n");
    let result = run(root);
    assert_eq!(
        codes(&result),
        vec![("requirements.txt".to_owned(), 2, "DEP003")]
    );
    assert_eq!(result.python_files, 1);
    assert_eq!(result.files.len(), 2);
    let d = &result.diagnostics[0];
    assert_eq!(&result.sources[d.file][d.span.clone()], "requests");
    assert_eq!((d.start.column, d.end.column), (1, 9));
}

#[test]
fn broken_manifests_are_warnings_with_positions() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "pyproject.toml",
        "[project]\nname = \"x\"\ndependencies = [\"fastapi\",\n",
    );
    write(root, "requirements-dev.txt", "pytest\n[broken\n");
    write(root, "Pipfile", "[packages]\nfastapi = \n");
    write(
        root,
        "app/main.py",
        "import fastapi\nimport invented_thing_xyz\n",
    );
    let result = run(root);
    let errors: Vec<String> = result
        .walk_errors
        .iter()
        .map(|e| format!("{}: {}", e.path, e.message))
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("pyproject.toml") && e.contains("invalid TOML")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("requirements-dev.txt") && e.contains("line 2")),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("Pipfile") && e.contains("line 2")),
        "{errors:?}"
    );
    // Nothing declares fastapi any more (the readable manifests do not), but the run goes on.
    assert!(codes(&result).iter().any(|c| c.2 == "DEP001" && c.1 == 2));
}

#[test]
fn a_virtualenv_says_what_is_installed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "pyproject.toml",
        "[project]\nname = \"svc\"\ndependencies = [\"internal-yaml-fork\"]\n",
    );
    write(root, ".venv/pyvenv.cfg", "home = /usr/bin\n");
    let sp = ".venv/lib/python3.12/site-packages";
    write(
        root,
        &format!("{sp}/internal_yaml_fork-1.0.dist-info/METADATA"),
        "Name: internal-yaml-fork\nRequires-Dist: obscure-helper-lib\n",
    );
    write(
        root,
        &format!("{sp}/internal_yaml_fork-1.0.dist-info/RECORD"),
        "ifyaml/__init__.py,,\n",
    );
    write(
        root,
        &format!("{sp}/obscure_helper_lib-2.0.dist-info/METADATA"),
        "Name: obscure-helper-lib\n",
    );
    write(
        root,
        &format!("{sp}/obscure_helper_lib-2.0.dist-info/RECORD"),
        "ohl/__init__.py,,\n",
    );
    write(root, "svc/__init__.py", "");
    write(
        root,
        "svc/main.py",
        "import ifyaml\nimport ohl\nimport not_installed_xyz\n",
    );
    let result = run(root);
    assert_eq!(
        codes(&result),
        vec![
            ("svc/main.py".to_owned(), 2, "DEP002"),
            ("svc/main.py".to_owned(), 3, "DEP001"),
        ]
    );
    assert!(result.diagnostics[0].message.contains("internal-yaml-fork"));
}

#[test]
fn no_manifest_no_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "tool.py", "import invented_thing_xyz\n");
    assert!(run(dir.path()).diagnostics.is_empty());
}

/// A module of a regular package is named after the package's distribution
/// (`kubernetes.client` is `kubernetes`, not PyPI's `kubernetes-client`);
/// inside a namespace package the deepest name is (`google-cloud-storage`).
#[test]
fn submodules_are_named_after_their_package() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "requirements.txt", "fastapi\n");
    write(
        root,
        "app/main.py",
        "import fastapi\nfrom kubernetes.client import CoreV1Api\nfrom google.cloud import storage\nimport google.cloud.storage\n",
    );
    let result = run(root);
    let messages: Vec<(&str, &str)> = result
        .diagnostics
        .iter()
        .map(|d| (d.code, d.message.as_str()))
        .collect();
    assert_eq!(messages.len(), 2, "{messages:?}");
    assert!(
        messages[0].1.starts_with("`kubernetes` is not declared"),
        "{messages:?}"
    );
    assert!(
        messages[1].1.contains("`google-cloud-storage`"),
        "{messages:?}"
    );
}
