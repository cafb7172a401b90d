//! `fortress layers` prints what the tool thinks each file is.

use std::path::Path;
use std::process::Command;

#[test]
fn layers_lists_modules_layers_and_reasons() {
    let dir =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/projects/layers_domain_packages");
    let out = Command::new(env!("CARGO_BIN_EXE_fortress"))
        .args(["layers", "--no-cache"])
        .current_dir(&dir)
        .output()
        .expect("run fortress layers");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let line = |path: &str| {
        text.lines()
            .find(|l| l.starts_with(path))
            .unwrap_or_else(|| panic!("no line for {path} in:\n{text}"))
            .split_whitespace()
            .collect::<Vec<_>>()
    };
    assert_eq!(
        line("polar/order/repository.py")[1..3],
        ["polar.order.repository", "repository"]
    );
    assert_eq!(line("polar/order/endpoints.py")[2], "endpoint");
    assert_eq!(line("polar/kit.py")[2], "-");
    let webhook = line("polar/webhook/handlers.py").join(" ");
    assert!(webhook.contains("endpoint creates a router"), "{webhook}");
    assert!(text
        .contains("Layer order, top to bottom: endpoint > service (closed) > repository > model"));

    let json = Command::new(env!("CARGO_BIN_EXE_fortress"))
        .args(["layers", "--no-cache", "--format", "json"])
        .current_dir(&dir)
        .output()
        .expect("run fortress layers --format json");
    let rows: serde_json::Value = serde_json::from_slice(&json.stdout).expect("json");
    let service = rows
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["path"] == "polar/order/service.py"))
        .expect("service row");
    assert_eq!(service["layer"], "service");
    assert_eq!(service["modules"][0], "polar.order.service");
}
