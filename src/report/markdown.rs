//! `--format markdown` and `--summary`: the review report for a pull
//! request or a GitHub step summary. The verdict and its reason, the gate's
//! conditions as a table, the reviewer areas with no finding (Approved),
//! the findings by area (Issues found) and the blockers, each finding a
//! `path:line` link. Always under GitHub's 1 MiB step-summary limit: what
//! does not fit is counted, never silently dropped.

use std::fmt::Write as _;

use super::Report;
use crate::diagnostic::{Diagnostic, Severity};
use crate::gate::Verdict;
use crate::testgate::Status;

/// GitHub's step-summary limit is 1 MiB; stay clear of it.
pub const MAX_BYTES: usize = 1024 * 1024 - 16 * 1024;
/// Findings shown as links per area before the rest is folded.
const TOP: usize = 5;

/// Where `path:line` links point: GitHub permalinks at the head commit
/// (`$GITHUB_SERVER_URL/$GITHUB_REPOSITORY/blob/$GITHUB_SHA/`), paths
/// relative to `workspace` (`$GITHUB_WORKSPACE`, else the current directory).
#[derive(Debug, Clone)]
pub struct Permalinks {
    pub prefix: String,
    pub workspace: std::path::PathBuf,
}

impl Permalinks {
    /// From the GitHub Actions environment, when all three variables are set.
    pub fn from_env(cwd: &std::path::Path) -> Option<Permalinks> {
        let var = |n: &str| std::env::var(n).ok().filter(|v| !v.is_empty());
        let (server, repo, sha) = (
            var("GITHUB_SERVER_URL")?,
            var("GITHUB_REPOSITORY")?,
            var("GITHUB_SHA")?,
        );
        let safe = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:".contains(c))
        };
        if !safe(&server) || !safe(&repo) || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        Some(Permalinks {
            prefix: format!("{}/{repo}/blob/{sha}/", server.trim_end_matches('/')),
            workspace: var("GITHUB_WORKSPACE")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| cwd.to_path_buf()),
        })
    }
}

/// The reviewer areas, in report order, with the rule prefixes they hold.
pub const AREAS: &[(&str, &[&str])] = &[
    (
        "Code quality & dependencies",
        &["DEP", "SUP", "SYN", "CFG", "NAM"],
    ),
    ("Python patterns", &["TYP", "ASY", "DB", "ERR"]),
    ("Architecture", &["LAY", "API"]),
    ("Security", &["SEC"]),
    ("Test enforcement", &["TST", "TSK", "COV"]),
];

pub fn area_of(code: &str) -> usize {
    AREAS
        .iter()
        .position(|(_, prefixes)| prefixes.iter().any(|p| code.starts_with(p)))
        .unwrap_or(0)
}

/// Text safe in markdown and HTML: specials escaped, controls replaced.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '#' | '~' | '$' => {
                out.push('\\');
                out.push(c);
            }
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A message with its `quoted` parts as code: the text between backticks
/// goes in `<code>`, escaped like the rest (an odd backtick stays literal).
pub fn message(text: &str) -> String {
    let parts: Vec<&str> = text.split('`').collect();
    if parts.len() < 3 {
        return escape(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let last = parts.len() - 1;
    for (i, part) in parts.iter().enumerate() {
        if i % 2 == 1 && (i < last || parts.len() % 2 == 1) {
            out.push_str("<code>");
            out.push_str(&escape(part));
            out.push_str("</code>");
        } else {
            if i % 2 == 1 {
                out.push_str("\\`");
            }
            out.push_str(&escape(part));
        }
    }
    out
}

/// A path as a URL path: every byte but unreserved ones and `/` percent-encoded.
fn url_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn icon(severity: Severity) -> &'static str {
    match severity {
        Severity::Blocker => "❌",
        Severity::Warning => "⚠️",
        Severity::Info => "ℹ️",
    }
}

fn verdict_icon(v: Verdict) -> &'static str {
    match v {
        Verdict::Pass => "✅",
        Verdict::ConditionalPass => "⚠️",
        Verdict::Fail => "❌",
    }
}

fn link(report: &Report<'_>, d: &Diagnostic) -> String {
    let shown = format!("{}:{}", report.path(d.file), d.start.line);
    let info = &report.result.files[d.file];
    let target = match &report.links {
        Some(links) => {
            let rel = info
                .path
                .strip_prefix(&links.workspace)
                .ok()
                .map(crate::paths::slash);
            match rel {
                Some(rel) if !rel.starts_with("..") => {
                    format!("{}{}#L{}", links.prefix, url_path(&rel), d.start.line)
                }
                _ => return format!("`{}`", shown.replace('`', "'")),
            }
        }
        None => match report.portable_path(d.file) {
            super::PortablePath::Run(rel) => format!("{}#L{}", url_path(&rel), d.start.line),
            _ => return format!("`{}`", shown.replace('`', "'")),
        },
    };
    format!("[{}]({target})", escape(&shown))
}

fn finding_line(report: &Report<'_>, d: &Diagnostic) -> String {
    format!(
        "- {} {} **{}** {}: {}\n",
        icon(d.severity),
        link(report, d),
        d.code,
        d.name,
        message(&d.message)
    )
}

fn status_cell(s: &Status) -> String {
    match s {
        Status::Passed => "✅ passed".to_owned(),
        Status::Warned => "⚠️ warning".to_owned(),
        Status::Failed => "❌ failed".to_owned(),
        Status::NotApplicable(why) => format!("➖ not applicable ({})", message(why)),
        Status::TooSmall(why) => format!("⚠️ {}", message(why)),
    }
}

/// Appends lines while they fit the budget; counts the ones that do not.
/// Once a line does not fit, no later one is added (no orphan lines under
/// a missing heading).
struct Budget {
    out: String,
    limit: usize,
    left_out: usize,
}

impl Budget {
    fn new(limit: usize) -> Budget {
        Budget {
            out: String::new(),
            limit,
            left_out: 0,
        }
    }

    fn push(&mut self, text: &str) -> bool {
        if self.left_out > 0 || self.out.len() + text.len() > self.limit {
            self.left_out += 1;
            false
        } else {
            self.out.push_str(text);
            true
        }
    }
}

pub fn render(report: &Report<'_>) -> Vec<u8> {
    render_limited(report, MAX_BYTES)
}

pub fn render_limited(report: &Report<'_>, limit: usize) -> Vec<u8> {
    let mut head = String::new();
    let v = report.verdict;
    let _ = writeln!(head, "## fortress: {} {}\n", verdict_icon(v), v.label());
    let _ = writeln!(head, "**{}** — {}\n", v.label(), message(&report.reason));

    // Diagnostics the verdict counts (with a base: new and updated ones).
    let judged: Vec<&Diagnostic> = report
        .result
        .diagnostics
        .iter()
        .enumerate()
        .filter(|(i, _)| report.state(*i).is_none_or(|s| s.gated()))
        .map(|(_, d)| d)
        .collect();
    let existing = report.result.diagnostics.len() - judged.len();
    let new = if report.change.is_some() { "New " } else { "" };
    let lower = |s: &str| {
        if new.is_empty() {
            s.to_owned()
        } else {
            s.to_lowercase()
        }
    };
    head.push_str("| Condition | Threshold | Actual | Status |\n| --- | --- | --- | --- |\n");
    let s = report.summary;
    let _ = writeln!(
        head,
        "| {new}{} | 0 | {} | {} |",
        lower("Blockers"),
        s.blocker,
        if s.blocker > 0 {
            "❌ failed"
        } else {
            "✅ passed"
        }
    );
    let _ = writeln!(
        head,
        "| {new}{} | 0 (else CONDITIONAL PASS) | {} | {} |",
        lower("Warnings"),
        s.warning,
        if s.warning > 0 {
            "⚠️ warning"
        } else {
            "✅ passed"
        }
    );
    if let Some(gate) = report.gate {
        for c in &gate.conditions.rows {
            let _ = writeln!(
                head,
                "| {} | {} | {} | {} |",
                c.name,
                message(&c.threshold),
                message(&c.actual),
                status_cell(&c.status)
            );
        }
    }
    head.push('\n');

    let mut by_area: Vec<Vec<&Diagnostic>> = vec![Vec::new(); AREAS.len()];
    for d in &judged {
        by_area[area_of(d.code)].push(d);
    }
    for list in &mut by_area {
        // Blockers first; the run's order (path, line) within a severity.
        list.sort_by_key(|d| std::cmp::Reverse(d.severity));
    }
    let approved: Vec<usize> = (0..AREAS.len())
        .filter(|a| by_area[*a].is_empty())
        .collect();
    head.push_str("### Approved\n\n");
    if approved.is_empty() {
        head.push_str("No area without findings.\n");
    }
    let measured = report.gate.is_some_and(|g| g.inputs.any());
    for a in &approved {
        let note = if AREAS[*a].0 == "Test enforcement" && !measured {
            " (static test checks only: no coverage or JUnit report, no task)"
        } else {
            ""
        };
        let _ = writeln!(head, "- ✅ {}{note}", AREAS[*a].0);
    }
    head.push('\n');

    // The blockers are listed whatever the number of other findings: they
    // get up to half the room, the findings by area the rest.
    let blockers: Vec<&Diagnostic> = judged
        .iter()
        .copied()
        .filter(|d| d.severity == Severity::Blocker)
        .collect();
    let room = limit.saturating_sub(head.len() + 4096);
    let mut blocks = Budget::new(room / 2);
    blocks.out.push_str("### Blockers\n\n");
    if blockers.is_empty() {
        blocks.out.push_str("None.\n\n");
    } else {
        section(report, &mut blocks, &blockers);
    }
    let mut out = Budget::new(room.saturating_sub(blocks.out.len()));
    out.out.push_str("### Issues found\n\n");
    if judged.is_empty() {
        out.out.push_str("None.\n\n");
    }
    for (a, list) in by_area.iter().enumerate() {
        if list.is_empty() {
            continue;
        }
        let count = |sev: Severity| list.iter().filter(|d| d.severity == sev).count();
        let _ = out.push(&format!(
            "#### {} — {} finding{} ({} blocker{}, {} warning{}, {} info)\n\n",
            AREAS[a].0,
            list.len(),
            if list.len() == 1 { "" } else { "s" },
            count(Severity::Blocker),
            if count(Severity::Blocker) == 1 {
                ""
            } else {
                "s"
            },
            count(Severity::Warning),
            if count(Severity::Warning) == 1 {
                ""
            } else {
                "s"
            },
            count(Severity::Info),
        ));
        section(report, &mut out, list);
    }
    let left_out = out.left_out + blocks.left_out;
    let mut text = head;
    text.push_str(&out.out);
    text.push_str(&blocks.out);
    let mut tail = String::new();
    if left_out > 0 {
        let _ = writeln!(
            tail,
            "> {left_out} line{} left out to stay under GitHub's 1 MiB step-summary limit; `--format json` or `sarif` lists every finding.\n",
            if left_out == 1 { " was" } else { "s were" }
        );
    }
    if existing > 0 {
        let _ = writeln!(
            tail,
            "{existing} pre-existing finding{} not counted in the verdict.\n",
            if existing == 1 { "" } else { "s" }
        );
    }
    let _ = writeln!(
        tail,
        "<sub>fortress {} · {} file{} checked · Python {}</sub>",
        super::VERSION,
        s.files,
        if s.files == 1 { "" } else { "s" },
        report.target
    );
    text.push_str(&tail);
    text.into_bytes()
}

/// The first findings as lines, the rest folded in `<details>`.
fn section(report: &Report<'_>, out: &mut Budget, list: &[&Diagnostic]) {
    for d in list.iter().take(TOP) {
        out.push(&finding_line(report, d));
    }
    if list.len() > TOP {
        let rest = list.len() - TOP;
        if out.left_out > 0 {
            out.left_out += rest;
            return;
        }
        let _ = write!(out.out, "\n<details><summary>{rest} more</summary>\n\n");
        for d in &list[TOP..] {
            out.push(&finding_line(report, d));
        }
        // Always closed, even when lines were left out.
        out.out.push_str("\n</details>\n");
    }
    out.out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_keeps_markup_out() {
        assert_eq!(
            escape("<img src=x> | a_b [l](u) `c`"),
            "&lt;img src=x&gt; \\| a\\_b \\[l\\](u) \\`c\\`"
        );
        assert_eq!(
            message("use `X | None` here"),
            "use <code>X \\| None</code> here"
        );
        assert_eq!(message("odd ` tick"), "odd \\` tick");
        assert_eq!(message("`a` and ` b"), "<code>a</code> and \\` b");
        assert_eq!(message("`<b>`"), "<code>&lt;b&gt;</code>");
        assert_eq!(escape("a\u{1b}b\nc"), "a\u{fffd}b c");
        assert_eq!(url_path("app/a b(1).py"), "app/a%20b%281%29.py");
    }

    fn render_many(n: usize, message_len: usize) -> String {
        use crate::diagnostic::Position;
        let mut result = crate::engine::RunResult::default();
        result.files.push(crate::files::FileInfo {
            path: "/p/app/x.py".into(),
            display: "app/x.py".into(),
            rel: "app/x.py".into(),
            is_test: false,
        });
        result.sources.push(String::new());
        result.python_files = 1;
        for i in 0..n {
            let (code, name, severity) = if i % 3 == 0 {
                ("SEC004", "hardcoded-secret", Severity::Blocker)
            } else {
                ("TYP001", "optional-annotation", Severity::Warning)
            };
            let at = Position {
                line: i as u32 + 1,
                column: 1,
            };
            result.diagnostics.push(Diagnostic {
                code,
                name,
                severity,
                file: 0,
                span: 0..0,
                start: at,
                end: at,
                message: format!("{i} {}", "m".repeat(message_len)),
                fix: None,
            });
        }
        let summary = crate::gate::Summary::new(1, &result.diagnostics);
        let (verdict, reason) = crate::gate::decide(&summary, None);
        let report = Report {
            result: &result,
            summary: &summary,
            verdict,
            rules: Vec::new(),
            base_dir: "/p".into(),
            project_root: "/p".into(),
            change: None,
            target: crate::version::PythonVersion::DEFAULT,
            target_source: String::new(),
            reason,
            gate: None,
            links: None,
        };
        String::from_utf8(render(&report)).unwrap()
    }

    #[test]
    fn areas_fold_all_but_the_top_findings() {
        let md = render_many(9, 10);
        assert!(
            md.contains("#### Security — 3 findings (3 blockers, 0 warnings, 0 info)"),
            "{md}"
        );
        assert!(md.contains("#### Python patterns — 6 findings (0 blockers, 6 warnings, 0 info)\n\n- ⚠️ [app/x.py:2](app/x.py#L2) **TYP001**"), "{md}");
        assert!(
            md.contains("\n<details><summary>1 more</summary>\n\n- ⚠️ [app/x.py:9]"),
            "{md}"
        );
        assert!(md.contains("- ✅ Architecture\n"), "{md}");
        assert!(!md.contains("- ✅ Security"), "{md}");
        assert!(!md.contains("left out"), "{md}");
    }

    #[test]
    fn the_report_stays_under_a_mebibyte_and_says_what_it_left_out() {
        // 3,000 findings of 2,000 characters: about 6 MB of lines.
        let md = render_many(3_000, 2_000);
        assert!(md.len() <= MAX_BYTES, "{} bytes", md.len());
        assert!(
            md.contains("lines were left out to stay under GitHub's 1 MiB step-summary limit"),
            "tail"
        );
        assert!(md.ends_with("</sub>\n"));
        assert_eq!(
            md.matches("<details>").count(),
            md.matches("</details>").count()
        );
        // The blockers are listed first-come, whatever else was left out.
        let blockers = &md[md.find("### Blockers").expect("blockers section")..];
        assert!(
            blockers.contains("- ❌ [app/x.py:1](app/x.py#L1) **SEC004**"),
            "{}",
            &blockers[..300]
        );
        assert!(md.contains("### Issues found\n\n#### Python patterns"));
    }
}
