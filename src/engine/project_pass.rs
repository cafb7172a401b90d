//! The project pass: project rules on every file's facts, then the file
//! rules' deferred questions, which only the whole project can answer.

use super::*;
use crate::project::modules::Probe;

pub(super) fn run_project_rules(
    settings: &Settings,
    files: &[FileInfo],
    facts: &[FileFacts],
    boundary: &crate::files::Boundary,
    profile: std::sync::Arc<crate::project::profile::Profile>,
) -> (Vec<ProjectFinding>, OtherFiles, Vec<Probe>) {
    let mut other = OtherFiles::new(files.len());
    let enabled: Vec<&dyn rules::ProjectChecker> = rules::registry()
        .iter()
        .zip(&settings.enabled)
        .filter_map(|(entry, on)| match &entry.kind {
            RuleKind::Project { rule, .. } if *on => Some(rule.as_ref()),
            _ => None,
        })
        .collect();
    let asks = facts.iter().any(|f| !f.deferred.is_empty());
    if enabled.is_empty() && !asks {
        return (Vec::new(), other, Vec::new());
    }
    let modules = ModuleMap::build(files, &settings.project().root, &settings.project().src);
    let project = Project {
        files,
        facts,
        modules: &modules,
        options: settings.project(),
        boundary,
        arch: Default::default(),
        deps: Default::default(),
        symbols: Default::default(),
        profile,
    };
    let mut findings = Vec::new();
    for rule in enabled {
        rule.check(&mut rules::ProjectCx {
            project: &project,
            options: &settings.options,
            findings: &mut findings,
            other: &mut other,
        });
    }
    // File rules' deferred findings, now that the project can answer.
    for (file, f) in facts.iter().enumerate() {
        for d in &f.deferred {
            if d.question.holds(&project, file) {
                findings.push(ProjectFinding {
                    code: d.code,
                    file,
                    span: d.spot.span(),
                    start: d.spot.start,
                    end: d.spot.end,
                    message: d.message.clone(),
                });
            }
        }
    }
    let probes = modules.probes().to_vec();
    (findings, other, probes)
}
