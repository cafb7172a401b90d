//! SARIF output: valid against the OASIS 2.1.0 schema (draft-04) and the
//! schema GitHub's codeql-action uploads with (draft 2020-12), and shaped the
//! way GitHub code scanning needs it. Both schemas are vendored in
//! `tests/data/`; nothing is fetched over the network.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use common::{fortress, repo_root, write};
use jsonschema::Validator;
use serde_json::{json, Value};

fn load(name: &str) -> Value {
    let path = repo_root().join("tests/data").join(name);
    let text = std::fs::read_to_string(&path).expect("schema file");
    serde_json::from_str(&text).expect("schema is JSON")
}

/// The codeql-action copy nests region's `anyOf` (startLine, charOffset or
/// byteOffset required) inside `properties`, where it is a property schema
/// that is an array: not a valid 2020-12 schema, so the validator refuses to
/// compile it (GitHub's ajv tolerates it and checks nothing there). Moving it
/// where the OASIS schema has it makes the check stricter, never looser.
fn repair_codeql_region(schema: &mut Value) {
    let region = &mut schema["definitions"]["region"];
    let misplaced = region["properties"]
        .as_object_mut()
        .and_then(|p| p.remove("anyOf"))
        .expect("the codeql-action schema still nests anyOf in region.properties");
    assert!(region.get("anyOf").is_none());
    region["anyOf"] = misplaced;
}

/// (name, validator) for both schemas, with `format` keywords enforced too.
fn validators() -> Vec<(&'static str, Validator)> {
    let oasis = load("sarif-schema-2.1.0.json");
    assert_eq!(oasis["$schema"], "http://json-schema.org/draft-04/schema#");
    let mut codeql = load("codeql-action-sarif-schema-2.1.0.json");
    repair_codeql_region(&mut codeql);
    assert_eq!(
        codeql["$schema"],
        "https://json-schema.org/draft/2020-12/schema"
    );
    vec![
        (
            "OASIS sarif-schema-2.1.0 (draft-04)",
            jsonschema::draft4::options()
                .should_validate_formats(true)
                .build(&oasis)
                .expect("OASIS schema compiles"),
        ),
        (
            "codeql-action sarif-schema-2.1.0 (draft 2020-12)",
            jsonschema::draft202012::options()
                .should_validate_formats(true)
                .build(&codeql)
                .expect("codeql-action schema compiles"),
        ),
    ]
}

fn schema_errors(sarif: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    for (name, validator) in validators() {
        for error in validator.iter_errors(sarif) {
            errors.push(format!("{name}: {} at {}", error, error.instance_path()));
        }
    }
    errors
}

fn assert_valid(sarif: &Value) {
    let errors = schema_errors(sarif);
    assert!(errors.is_empty(), "invalid SARIF:\n{}", errors.join("\n"));
}

fn sarif_of(cwd: &Path, args: &[&str]) -> Value {
    let mut all = vec!["check", "--format", "sarif"];
    all.extend_from_slice(args);
    let run = fortress(cwd, &all);
    assert!(
        run.code == 0 || run.code == 1,
        "exit {}: {}",
        run.code,
        run.stderr
    );
    serde_json::from_str(&run.stdout).expect("SARIF is JSON")
}

fn demo_sarif() -> Value {
    sarif_of(&repo_root(), &["fixtures/projects/demo_shop"])
}

fn run0(sarif: &Value) -> &Value {
    let runs = sarif["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    &runs[0]
}

fn results(sarif: &Value) -> &Vec<Value> {
    run0(sarif)["results"].as_array().expect("results")
}

/// What GitHub code scanning relies on, beyond the schema.
fn assert_github_shape(sarif: &Value, severities: &[(&str, &str)]) {
    assert_eq!(sarif["version"], "2.1.0");
    let run = run0(sarif);
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "fortress");
    assert!(driver["version"].is_string());
    assert!(driver["informationUri"]
        .as_str()
        .is_some_and(|u| u.starts_with("https://")));
    let rules = driver["rules"].as_array().expect("rules");
    for rule in rules {
        let id = rule["id"].as_str().expect("rule id");
        assert!(rule["name"].as_str().is_some_and(|n| !n.is_empty()), "{id}");
        assert!(rule["shortDescription"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        let full = rule["fullDescription"]["text"]
            .as_str()
            .expect("fullDescription");
        assert!(!full.is_empty() && full.chars().count() <= 1024, "{id}");
        assert!(rule["help"]["text"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(rule["help"]["markdown"]
            .as_str()
            .is_some_and(|t| t.starts_with(&format!("# {id} "))));
        assert!(matches!(
            rule["defaultConfiguration"]["level"].as_str(),
            Some("error" | "warning" | "note")
        ));
        let tags = rule["properties"]["tags"].as_array().expect("tags");
        assert!(
            !tags.is_empty() && tags.iter().all(|t| t.is_string()),
            "{id}"
        );
        let meta = fortress::rules::meta(id).expect("a registry rule");
        assert_eq!(rule["name"], meta.name);
        match meta.security_severity {
            Some(score) => assert_eq!(rule["properties"]["security-severity"], score),
            None => assert!(rule["properties"].get("security-severity").is_none()),
        }
    }

    let invocations = run["invocations"].as_array().expect("invocations");
    assert_eq!(invocations[0]["executionSuccessful"], true);

    let mut hashes = BTreeSet::new();
    for result in run["results"].as_array().expect("results") {
        let id = result["ruleId"].as_str().expect("ruleId");
        let index = result["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], id, "ruleIndex of {id}");
        let want_level = severities
            .iter()
            .find(|(code, _)| *code == id)
            .map(|(_, level)| *level)
            .unwrap_or_else(|| match fortress::rules::meta(id).expect("rule").severity {
                fortress::diagnostic::Severity::Blocker => "error",
                fortress::diagnostic::Severity::Warning => "warning",
                fortress::diagnostic::Severity::Info => "note",
            });
        assert_eq!(result["level"], want_level, "level of {id}");
        assert!(result["message"]["text"]
            .as_str()
            .is_some_and(|t| !t.is_empty()));
        let locations = result["locations"].as_array().expect("locations");
        assert_eq!(locations.len(), 1);
        let physical = &locations[0]["physicalLocation"];
        let uri = physical["artifactLocation"]["uri"].as_str().expect("uri");
        assert!(
            !uri.contains(':') && !uri.starts_with('/') && !uri.contains('\\'),
            "not a relative URI: {uri}"
        );
        assert_eq!(physical["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &physical["region"];
        let n = |k: &str| region[k].as_u64().unwrap_or_else(|| panic!("region.{k}"));
        assert!(n("startLine") >= 1 && n("startColumn") >= 1);
        assert!(n("endLine") >= n("startLine"));
        if n("endLine") == n("startLine") {
            assert!(n("endColumn") >= n("startColumn"));
        }
        let hash = result["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .expect("primaryLocationLineHash");
        assert!(
            hashes.insert(format!("{uri}\0{hash}")),
            "duplicate fingerprint {hash} in {uri}"
        );
    }
}

#[test]
fn demo_shop_sarif_is_valid_and_github_ready() {
    let sarif = demo_sarif();
    assert_valid(&sarif);
    assert_github_shape(&sarif, &[]);
    assert_eq!(results(&sarif).len(), 10);
    // Every enabled rule is described, in registry order.
    let ids: Vec<&str> = run0(&sarif)["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    let all: Vec<&str> = fortress::rules::registry()
        .iter()
        .map(|r| r.meta.code)
        .collect();
    assert_eq!(ids, all);
}

#[test]
fn the_validators_really_validate() {
    let good = demo_sarif();
    assert_valid(&good);
    type Breakage = fn(&mut Value);
    let breakages: Vec<(&str, Breakage)> = vec![
        ("no version", |s| {
            s.as_object_mut().expect("object").remove("version");
        }),
        ("unknown version", |s| s["version"] = json!("2.2.0")),
        ("bad level", |s| {
            s["runs"][0]["results"][0]["level"] = json!("fatal")
        }),
        ("line 0", |s| {
            s["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] =
                json!(0)
        }),
        ("message without text", |s| {
            s["runs"][0]["results"][0]["message"] = json!({})
        }),
        ("unknown top-level property", |s| s["bogus"] = json!(true)),
        ("driver without name", |s| {
            s["runs"][0]["tool"]["driver"]
                .as_object_mut()
                .expect("driver")
                .remove("name");
        }),
        ("rules not an array", |s| {
            s["runs"][0]["tool"]["driver"]["rules"] = json!({})
        }),
    ];
    for (what, breakage) in breakages {
        let mut bad = good.clone();
        breakage(&mut bad);
        for (name, validator) in validators() {
            assert!(
                !validator.is_valid(&bad),
                "{name} accepted a SARIF with {what}"
            );
        }
    }
}

#[test]
fn notifications_for_unreadable_and_undecodable_files_are_valid() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app/ok.py",
        "from typing import Optional\n\nx: Optional[int] = None\n",
    );
    std::fs::write(
        dir.path().join("app/latin.py"),
        b"name = '\xe9t\xe9'\n".as_slice(),
    )
    .expect("write");
    std::fs::write(
        dir.path().join("app/blob.py"),
        b"\x00\x01\x02binary".as_slice(),
    )
    .expect("write");
    #[cfg(unix)]
    std::os::unix::fs::symlink("missing_target.py", dir.path().join("app/gone.py"))
        .expect("symlink");

    let sarif = sarif_of(dir.path(), &[]);
    assert_valid(&sarif);
    assert_github_shape(&sarif, &[]);

    let run = run0(&sarif);
    let notifications = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    let mut uris: Vec<&str> = notifications
        .iter()
        .map(|n| {
            assert!(n["message"]["text"].as_str().is_some_and(|t| !t.is_empty()));
            assert!(matches!(
                n["level"].as_str(),
                Some("error" | "warning" | "note")
            ));
            n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                .as_str()
                .expect("notification uri")
        })
        .collect();
    uris.sort_unstable();
    let mut want = vec!["app/blob.py", "app/latin.py"];
    if cfg!(unix) {
        want.push("app/gone.py");
        want.sort_unstable();
    }
    assert_eq!(uris, want);
    let codes: BTreeSet<&str> = results(&sarif)
        .iter()
        .map(|r| r["ruleId"].as_str().expect("ruleId"))
        .collect();
    assert!(
        codes.contains("SYN001") && codes.contains("TYP001"),
        "{codes:?}"
    );
    if cfg!(unix) {
        assert!(codes.contains("SYN002"), "{codes:?}");
    }
}

#[test]
fn rules_list_holds_exactly_the_enabled_rules_and_levels_follow_severity() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "app.py",
        "from typing import Optional\n\nx: Optional[int] = None\ny = 1  # type: ignore\nz = 2  # noqa\n",
    );
    write(
        dir.path(),
        "fortress.toml",
        "select = [\"TYP00\", \"SUP001\", \"SUP002\"]\nignore = [\"TYP002\", \"TYP003\", \"TYP004\"]\n\n[severity]\nTYP001 = \"blocker\"\nSUP002 = \"info\"\n",
    );
    let sarif = sarif_of(dir.path(), &[]);
    assert_valid(&sarif);
    assert_github_shape(
        &sarif,
        &[
            ("TYP001", "error"),
            ("SUP001", "warning"),
            ("SUP002", "note"),
        ],
    );
    let ids: Vec<&str> = run0(&sarif)["tool"]["driver"]["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .map(|r| r["id"].as_str().expect("id"))
        .collect();
    assert_eq!(ids, ["SUP001", "SUP002", "TYP001"]);
    assert_eq!(results(&sarif).len(), 3);
}

fn fingerprints(sarif: &Value) -> Vec<(String, u64, String)> {
    results(sarif)
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().expect("ruleId").to_owned(),
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_u64()
                    .expect("line"),
                r["partialFingerprints"]["primaryLocationLineHash"]
                    .as_str()
                    .expect("hash")
                    .to_owned(),
            )
        })
        .collect()
}

#[test]
fn fingerprints_survive_unrelated_edits_above_the_finding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let body = "def load(key: str) -> Optional[str]:\n    return CACHE.get(key)\n";
    let header = "from typing import Optional\n\nCACHE: dict[str, str] = {}\n\n\n";
    write(dir.path(), "svc.py", &format!("{header}{body}"));
    let before = fingerprints(&sarif_of(dir.path(), &[]));
    assert_eq!(before.len(), 1);
    assert_eq!(before[0].1, 6);

    let inserted = "import logging\n\nlog = logging.getLogger(__name__)\n\n\ndef unrelated() -> int:\n    return 42\n\n\n";
    write(dir.path(), "svc.py", &format!("{header}{inserted}{body}"));
    let after = fingerprints(&sarif_of(dir.path(), &[]));
    assert_eq!(after.len(), 1);
    assert_eq!(after[0].1, 15, "the finding moved down");
    assert_eq!(after[0].2, before[0].2, "fingerprint changed");

    // Changing the offending line itself changes the fingerprint.
    write(
        dir.path(),
        "svc.py",
        &format!("{header}{}", body.replace("load(key", "load_value(key")),
    );
    let edited = fingerprints(&sarif_of(dir.path(), &[]));
    assert_ne!(edited[0].2, before[0].2);
}

#[test]
fn identical_lines_get_distinct_fingerprints() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "m.py",
        "from typing import Optional\n\na: Optional[int] = None\nb = 1\na: Optional[int] = None\n",
    );
    let prints = fingerprints(&sarif_of(dir.path(), &[]));
    assert_eq!(prints.len(), 2);
    assert_ne!(prints[0].2, prints[1].2);
    let (hash0, n0) = prints[0].2.rsplit_once(':').expect("hash:n");
    let (hash1, n1) = prints[1].2.rsplit_once(':').expect("hash:n");
    assert_eq!(hash0, hash1);
    assert_eq!((n0, n1), ("1", "2"));
}

#[test]
fn sarif_paths_are_relative_to_the_current_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        "service/app/my module.py",
        "from typing import Optional\n\nx: Optional[int] = None\n",
    );
    let sarif = sarif_of(&dir.path().join("service"), &[]);
    assert_valid(&sarif);
    let uri = &results(&sarif)[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"];
    assert_eq!(*uri, "app/my%20module.py");
}

#[test]
fn the_validator_never_fetches_remote_schemas() {
    // Built without `resolve-http`: a remote reference fails to resolve
    // instead of reaching the network, so the two vendored schemas are all
    // these tests ever validate against.
    let remote = json!({ "$ref": "https://json.schemastore.org/sarif-2.1.0.json" });
    assert!(jsonschema::draft202012::new(&remote).is_err());
}

#[test]
fn results_past_25000_are_left_out_least_severe_first_with_a_notification() {
    // 24,000 warnings (TYP001), 100 blockers (SUP002) in the last file by
    // path and 2,000 info (SUP001): 26,100 findings from five files.
    let dir = tempfile::tempdir().expect("tempdir");
    for w in 0..4 {
        let mut body = String::from("from typing import Optional\n");
        for i in 0..6_000 {
            body.push_str(&format!("v{i}: Optional[int] = 1\n"));
        }
        write(dir.path(), &format!("w{w}.py"), &body);
    }
    let lines = |n: usize, comment: &str| -> String {
        (0..n).map(|i| format!("y{i} = 1  # {comment}\n")).collect()
    };
    write(dir.path(), "i.py", &lines(2_000, "type: ignore"));
    write(dir.path(), "z.py", &lines(100, "noqa"));
    write(
        dir.path(),
        "fortress.toml",
        "select = [\"TYP001\", \"SUP001\", \"SUP002\"]\n\n[severity]\nSUP001 = \"info\"\nSUP002 = \"blocker\"\n",
    );

    let sarif = sarif_of(dir.path(), &[]);
    let results = results(&sarif);
    assert_eq!(results.len(), 25_000);
    let level = |r: &Value| r["level"].as_str().expect("level").to_owned();
    let uri = |r: &Value| {
        r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .expect("uri")
            .to_owned()
    };
    let line = |r: &Value| {
        r["locations"][0]["physicalLocation"]["region"]["startLine"]
            .as_u64()
            .expect("line")
    };
    // Blockers first, then warnings, then as much info as fits; report
    // order (path, line) within each.
    let levels: Vec<String> = results.iter().map(level).collect();
    assert!(levels[..100].iter().all(|l| l == "error"));
    assert!(levels[100..24_100].iter().all(|l| l == "warning"));
    assert!(levels[24_100..].iter().all(|l| l == "note"));
    assert!(results[..100].iter().all(|r| uri(r) == "z.py"));
    assert_eq!(
        (uri(&results[100]), line(&results[100])),
        ("w0.py".into(), 2)
    );
    assert_eq!(uri(&results[24_099]), "w3.py");
    assert_eq!(
        (uri(&results[24_100]), line(&results[24_100])),
        ("i.py".into(), 1)
    );
    assert_eq!(line(&results[24_999]), 900);

    let notifications = run0(&sarif)["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .expect("notifications");
    assert_eq!(notifications.len(), 1);
    let text = notifications[0]["message"]["text"].as_str().expect("text");
    assert!(
        text.starts_with("1100 of 26100 results left out (0 blockers, 0 warnings, 1100 info)")
            && text.contains("at most 25000 results per run")
            && text.contains("The 25000 kept"),
        "{text}"
    );
    assert_eq!(notifications[0]["level"], "warning");
    assert_eq!(notifications[0]["properties"]["resultsLeftOut"], 1100);

    assert_valid(&sarif);
    assert_github_shape(
        &sarif,
        &[
            ("TYP001", "warning"),
            ("SUP001", "note"),
            ("SUP002", "error"),
        ],
    );
}

#[test]
fn no_uri_is_absolute_for_files_outside_the_current_directory() {
    // tree/fortress.toml makes tree/ the project root; fortress runs in
    // tree/service and is given ../shared/lib.py (below the root) and a file
    // of another directory (outside both).
    let dir = tempfile::tempdir().expect("tempdir");
    let optional = "from typing import Optional\n\nx: Optional[int] = None\n";
    write(dir.path(), "tree/fortress.toml", "select = [\"TYP001\"]\n");
    write(dir.path(), "tree/service/app.py", optional);
    write(dir.path(), "tree/shared/lib.py", optional);
    write(dir.path(), "other/far away.py", optional);
    let far = dir.path().join("other/far away.py");
    let far = far.to_str().expect("utf-8 temp path");
    let run = fortress(
        &dir.path().join("tree/service"),
        &["check", "--format", "sarif", ".", "../shared/lib.py", far],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let sarif: Value = serde_json::from_str(&run.stdout).expect("SARIF is JSON");
    assert_valid(&sarif);
    let mut locations: Vec<Value> = results(&sarif)
        .iter()
        .map(|r| r["locations"][0]["physicalLocation"]["artifactLocation"].clone())
        .collect();
    locations.sort_by_key(|l| l.to_string());
    assert_eq!(
        locations,
        [
            json!({"uri": "app.py", "uriBaseId": "%SRCROOT%"}),
            json!({"uri": "far%20away.py", "uriBaseId": "%OUTSIDE%"}),
            json!({"uri": "shared/lib.py", "uriBaseId": "%PROJECTROOT%"}),
        ]
    );
    let root = dir.path().to_string_lossy();
    assert!(!run.stdout.contains(root.as_ref()), "{}", run.stdout);
    assert!(!run.stdout.contains("file:"), "{}", run.stdout);
    let bases = run0(&sarif)["originalUriBaseIds"]
        .as_object()
        .expect("originalUriBaseIds");
    assert_eq!(bases.len(), 3);
}

/// `--since` with `--report-fixed`: `baselineState` on every result and
/// `absent` results (no region) are valid against both schemas.
#[test]
fn baseline_states_and_absent_results_are_valid() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    let git = |args: &[&str]| {
        let status = std::process::Command::new("git")
            .current_dir(root)
            .args(["-c", "user.name=t", "-c", "user.email=t@example.com"])
            .args(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .expect("run git");
        assert!(status.success(), "git {args:?}");
    };
    git(&["init", "-q"]);
    let optional = "from typing import Optional\n\n\ndef f(x: Optional[int]) -> None:\n    pass\n";
    write(root, "kept.py", optional);
    write(root, "gone.py", optional);
    git(&["add", "-A"]);
    git(&["commit", "-qm", "base"]);
    std::fs::remove_file(root.join("gone.py")).expect("rm");
    write(root, "new.py", optional);
    let sarif = sarif_of(
        root,
        &["--select=TYP001", "--since", "HEAD", "--report-fixed"],
    );
    assert_valid(&sarif);
    let states: BTreeSet<(String, String)> = run0(&sarif)["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|r| {
            (
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap_or("")
                    .to_owned(),
                r["baselineState"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let want: BTreeSet<(String, String)> = [
        ("gone.py", "absent"),
        ("kept.py", "unchanged"),
        ("new.py", "new"),
    ]
    .iter()
    .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
    .collect();
    assert_eq!(states, want);
}
