//! LAY006: cycles among first-party modules through the imports that run at
//! import time. Strongly connected components (iterative Tarjan) find the
//! tangles in linear time; each one is reported once, at an import of its
//! shortest cycle through its alphabetically first module.

use std::collections::VecDeque;

use crate::diagnostic::Severity;
use crate::project::layers::model;
use crate::project::{Project, ProjectFinding};
use crate::rules::{Family, ProjectRule, RuleMeta};

pub const META: RuleMeta = RuleMeta {
    code: "LAY006",
    name: "import-cycle",
    family: Family::Architecture,
    severity: Severity::Warning,
    fixable: false,
    summary: "First-party modules import each other in a cycle at module level",
    help: "move what both modules need into a third, lower module, or import inside the function that needs it",
    doc: include_str!("../../../rules/LAY006.md"),
    security_severity: None,
};

#[derive(Default)]
pub struct ImportCycle;

impl ProjectRule for ImportCycle {
    fn check(&self, project: &Project, out: &mut Vec<ProjectFinding>) {
        let model = model::get(project);
        let n = project.files.len();
        // Adjacency: successor -> first import (by position) making the edge.
        let mut succ: Vec<Vec<(usize, usize)>> = vec![Vec::new(); n];
        for edge in &model.edges {
            let list = &mut succ[edge.from];
            match list.iter_mut().find(|(to, _)| *to == edge.to) {
                Some(existing) => existing.1 = existing.1.min(edge.import),
                None => list.push((edge.to, edge.import)),
            }
        }
        let name = |f: usize| model::module_name(project, f);
        for list in &mut succ {
            list.sort_by(|a, b| name(a.0).cmp(name(b.0)).then(a.0.cmp(&b.0)));
        }
        for component in strongly_connected(&succ) {
            if component.len() < 2 {
                continue;
            }
            let Some(&start) = component
                .iter()
                .min_by(|a, b| name(**a).cmp(name(**b)).then(a.cmp(b)))
            else {
                continue;
            };
            let mut in_component = vec![false; n];
            for &f in &component {
                in_component[f] = true;
            }
            let Some(cycle) = shortest_cycle(&succ, &in_component, start) else {
                continue;
            };
            let Some(&(_, import)) = succ[start].iter().find(|(to, _)| *to == cycle[1]) else {
                continue;
            };
            let mut message = cycle_message(&cycle, |f| name(f));
            let others = component.len() + 1 - cycle.len();
            if others > 0 {
                let mut on_cycle = vec![false; n];
                for &f in &cycle {
                    on_cycle[f] = true;
                }
                let mut rest: Vec<&str> = component
                    .iter()
                    .filter(|&&f| !on_cycle[f])
                    .map(|&f| name(f))
                    .collect();
                rest.sort_unstable();
                let shown: Vec<&str> = rest.iter().take(5).copied().collect();
                message.push_str(&format!(
                    " ({others} more module{} in the same tangle: {}{})",
                    if others == 1 { "" } else { "s" },
                    shown.join(", "),
                    if rest.len() > shown.len() {
                        ", ..."
                    } else {
                        ""
                    }
                ));
            }
            message.push_str(
                "; move the shared code into a lower module or import inside the function that needs it",
            );
            out.push(model::finding(
                META.code,
                start,
                &model::import_spot(project, start, import),
                message,
            ));
        }
    }
}

/// Modules of a cycle named in its message; a longer cycle names its first
/// ones and how many more there are, so a 50,000-module ring is one line.
const MAX_CYCLE_SHOWN: usize = 10;

/// `import cycle: a -> b -> c -> a`, or for a long cycle
/// `import cycle of 300 modules: a0 -> ... -> a9 -> ... and 290 more -> a0`.
/// `cycle` is `[start, ..., start]`.
fn cycle_message<'a>(cycle: &[usize], name: impl Fn(usize) -> &'a str) -> String {
    let modules = cycle.len().saturating_sub(1);
    if modules <= MAX_CYCLE_SHOWN {
        let path: Vec<&str> = cycle.iter().map(|&f| name(f)).collect();
        return format!("import cycle: {}", path.join(" -> "));
    }
    let shown: Vec<&str> = cycle[..MAX_CYCLE_SHOWN].iter().map(|&f| name(f)).collect();
    format!(
        "import cycle of {modules} modules: {} -> ... and {} more -> {}",
        shown.join(" -> "),
        modules - MAX_CYCLE_SHOWN,
        name(cycle[0])
    )
}

/// Tarjan's algorithm with an explicit stack (import graphs can be deep).
fn strongly_connected(succ: &[Vec<(usize, usize)>]) -> Vec<Vec<usize>> {
    const UNSEEN: usize = usize::MAX;
    let n = succ.len();
    let mut index = vec![UNSEEN; n];
    let mut low = vec![0usize; n];
    let mut on_stack = vec![false; n];
    let mut stack: Vec<usize> = Vec::new();
    let mut components = Vec::new();
    let mut next = 0usize;
    // (node, position in its successor list)
    let mut work: Vec<(usize, usize)> = Vec::new();
    for root in 0..n {
        if index[root] != UNSEEN || succ[root].is_empty() {
            continue;
        }
        work.push((root, 0));
        index[root] = next;
        low[root] = next;
        next += 1;
        stack.push(root);
        on_stack[root] = true;
        while let Some(&mut (v, ref mut i)) = work.last_mut() {
            if let Some(&(w, _)) = succ[v].get(*i) {
                *i += 1;
                if index[w] == UNSEEN {
                    index[w] = next;
                    low[w] = next;
                    next += 1;
                    stack.push(w);
                    on_stack[w] = true;
                    work.push((w, 0));
                } else if on_stack[w] {
                    low[v] = low[v].min(index[w]);
                }
                continue;
            }
            work.pop();
            if let Some(&(parent, _)) = work.last() {
                low[parent] = low[parent].min(low[v]);
            }
            if low[v] == index[v] {
                let mut component = Vec::new();
                while let Some(w) = stack.pop() {
                    on_stack[w] = false;
                    component.push(w);
                    if w == v {
                        break;
                    }
                }
                components.push(component);
            }
        }
    }
    components
}

/// Breadth-first search from `start` back to it within one component:
/// `[start, ..., start]`. Successors are sorted, so the result is deterministic.
fn shortest_cycle(
    succ: &[Vec<(usize, usize)>],
    in_component: &[bool],
    start: usize,
) -> Option<Vec<usize>> {
    let mut parent = vec![usize::MAX; succ.len()];
    let mut queue = VecDeque::from([start]);
    while let Some(v) = queue.pop_front() {
        for &(w, _) in &succ[v] {
            if !in_component[w] {
                continue;
            }
            if w == start {
                let mut path = vec![v];
                let mut at = v;
                while at != start {
                    at = parent[at];
                    path.push(at);
                }
                path.reverse();
                path.push(start);
                return Some(path);
            }
            if parent[w] == usize::MAX && w != start {
                parent[w] = v;
                queue.push_back(w);
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn components_and_cycles() {
        // 0 -> 1 -> 2 -> 0, 2 -> 3, 3 -> 3 (no self edges in practice), 4 alone
        let succ = vec![
            vec![(1, 0)],
            vec![(2, 0)],
            vec![(0, 0), (3, 0)],
            vec![],
            vec![(3, 0)],
        ];
        let mut comps: Vec<Vec<usize>> = strongly_connected(&succ)
            .into_iter()
            .map(|mut c| {
                c.sort();
                c
            })
            .filter(|c| c.len() > 1)
            .collect();
        comps.sort();
        assert_eq!(comps, vec![vec![0, 1, 2]]);
        let in_c = vec![true, true, true, false, false];
        assert_eq!(shortest_cycle(&succ, &in_c, 0), Some(vec![0, 1, 2, 0]));
        assert_eq!(shortest_cycle(&succ, &in_c, 1), Some(vec![1, 2, 0, 1]));
    }

    #[test]
    fn long_cycles_name_their_first_modules_and_count_the_rest() {
        let names: Vec<String> = (0..300).map(|i| format!("a{i}")).collect();
        let name = |f: usize| names[f].as_str();
        let short: Vec<usize> = vec![0, 1, 2, 0];
        assert_eq!(
            cycle_message(&short, name),
            "import cycle: a0 -> a1 -> a2 -> a0"
        );
        let ten: Vec<usize> = (0..10).chain([0]).collect();
        assert!(cycle_message(&ten, name).ends_with("a8 -> a9 -> a0"));
        let long: Vec<usize> = (0..300).chain([0]).collect();
        assert_eq!(
            cycle_message(&long, name),
            "import cycle of 300 modules: a0 -> a1 -> a2 -> a3 -> a4 -> a5 -> a6 -> a7 -> a8 -> a9 -> ... and 290 more -> a0"
        );
    }

    #[test]
    fn deep_chains_do_not_overflow() {
        let n = 200_000;
        let succ: Vec<Vec<(usize, usize)>> = (0..n).map(|i| vec![((i + 1) % n, 0)]).collect();
        let comps = strongly_connected(&succ);
        assert_eq!(comps.len(), 1);
        assert_eq!(comps[0].len(), n);
    }
}
