//! Which declaration, first in order, pulls a distribution in — answered for
//! every distribution of a dependency graph at once, in time linear in the
//! graph, instead of one transitive closure per declaration per question.
//!
//! Each source (a declaration) has a name and a first hop (what installing
//! it adds directly); from there the graph's edges are followed. For every
//! node reached, [`Reach`] keeps the first source to reach it and the first
//! source *with another name*: that is enough to answer "the first source
//! reaching `x`" and "the first source not named `y` reaching `x`" (a
//! distribution does not pin itself).
//!
//! Sources are walked in order and a node accepts a source only while it
//! holds fewer than two labels with distinct names, expanding its edges only
//! when it accepts: every node is expanded at most twice. A node that turns a
//! source away already passed two better labels (or one better label of the
//! same name) to everything below it, so nothing below could take that
//! source either.

use std::collections::HashMap;

const NONE: u32 = u32::MAX;

#[derive(Debug, Default)]
pub struct Reach<'a> {
    names: Vec<&'a str>,
    labels: HashMap<&'a str, [u32; 2]>,
}

impl<'a> Reach<'a> {
    /// `sources`: (name, first hop) in order; `next`: a node's successors.
    pub fn new<S, H, F, N>(sources: S, next: F) -> Reach<'a>
    where
        S: IntoIterator<Item = (&'a str, H)>,
        H: IntoIterator<Item = &'a str>,
        F: Fn(&'a str) -> N,
        N: IntoIterator<Item = &'a str>,
    {
        let mut reach = Reach::default();
        let mut stack: Vec<&'a str> = Vec::new();
        for (i, (name, hop)) in sources.into_iter().enumerate() {
            let i = u32::try_from(i).unwrap_or(NONE - 1);
            reach.names.push(name);
            stack.extend(hop);
            while let Some(node) = stack.pop() {
                if reach.accept(node, i) {
                    stack.extend(next(node));
                }
            }
        }
        reach
    }

    fn accept(&mut self, node: &'a str, source: u32) -> bool {
        let names = &self.names;
        let slot = self.labels.entry(node).or_insert([NONE, NONE]);
        if slot[0] == NONE {
            slot[0] = source;
            return true;
        }
        if slot[1] == NONE && names[slot[0] as usize] != names[source as usize] {
            slot[1] = source;
            return true;
        }
        false
    }

    /// Position of the first source reaching `node`.
    pub fn first(&self, node: &str) -> Option<usize> {
        let slot = self.labels.get(node)?;
        Some(slot[0] as usize)
    }

    /// Position of the first source not named `name` reaching `node`.
    pub fn first_not_named(&self, node: &str, name: &str) -> Option<usize> {
        let slot = self.labels.get(node)?;
        if self.names[slot[0] as usize] != name {
            return Some(slot[0] as usize);
        }
        (slot[1] != NONE).then_some(slot[1] as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{BTreeMap, BTreeSet};

    type Graph = BTreeMap<&'static str, Vec<&'static str>>;

    /// What the reach answers, by brute force: one closure per source.
    fn closure(graph: &Graph, hop: &[&'static str]) -> BTreeSet<&'static str> {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&str> = hop.to_vec();
        while let Some(n) = stack.pop() {
            if seen.insert(n) {
                stack.extend(graph.get(n).into_iter().flatten());
            }
        }
        seen
    }

    #[test]
    fn agrees_with_one_closure_per_source() {
        let mut graph: Graph = BTreeMap::new();
        // A cycle (sphinx and its contrib packages), a diamond, a chain.
        graph.insert("sphinx", vec!["applehelp", "jinja2"]);
        graph.insert("applehelp", vec!["sphinx"]);
        graph.insert("jinja2", vec!["markupsafe"]);
        graph.insert("fastapi", vec!["starlette", "pydantic"]);
        graph.insert("starlette", vec!["anyio"]);
        graph.insert("pydantic", vec!["anyio", "typing-extensions"]);
        graph.insert("anyio", vec!["idna", "sniffio"]);
        let sources: Vec<(&str, Vec<&str>)> = vec![
            ("sphinx", graph["sphinx"].clone()),
            ("applehelp", graph["applehelp"].clone()),
            ("anyio", graph["anyio"].clone()),
            ("fastapi", graph["fastapi"].clone()),
            ("anyio", vec!["trio"]),
            ("jinja2", graph["jinja2"].clone()),
            ("sphinx", vec![]),
        ];
        let reach = Reach::new(sources.iter().map(|(n, h)| (*n, h.iter().copied())), |n| {
            graph.get(n).into_iter().flatten().copied()
        });
        let closures: Vec<BTreeSet<&str>> =
            sources.iter().map(|(_, h)| closure(&graph, h)).collect();
        let nodes = [
            "sphinx",
            "applehelp",
            "jinja2",
            "markupsafe",
            "fastapi",
            "starlette",
            "pydantic",
            "anyio",
            "idna",
            "sniffio",
            "typing-extensions",
            "trio",
            "nothing",
        ];
        for node in nodes {
            let first = closures.iter().position(|c| c.contains(node));
            assert_eq!(reach.first(node), first, "first {node}");
            for name in nodes {
                let want = (0..sources.len())
                    .find(|&i| sources[i].0 != name && closures[i].contains(node));
                assert_eq!(reach.first_not_named(node, name), want, "{node} not {name}");
            }
        }
    }
}
