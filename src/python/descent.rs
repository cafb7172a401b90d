//! Bounded walks below a node, shared by every rule and fact collector
//! that searches a subtree: one place for the order, the limit and the
//! choice of children.

use tree_sitter::Node;

use crate::parse::NodeKind;

/// A bounded walk of a subtree: `root` and the named nodes below it, in
/// document order, at most `limit` of them. The walk goes below the node
/// it last returned unless [`Descent::skip_children`] is called first;
/// [`Descent::cut_short`] tells whether the limit ended it (the caller
/// decides what a huge subtree counts as).
///
/// ```ignore
/// let mut walk = Descent::new(body, 2_000);
/// while let Some(n) = walk.next() {
///     if n.kind_str() == "function_definition" {
///         walk.skip_children();
///     }
/// }
/// ```
pub struct Descent<'t> {
    stack: Vec<Node<'t>>,
    /// The node returned last, whose children come next unless skipped.
    pending: Option<Node<'t>>,
    left: usize,
    cut: bool,
}

impl<'t> Descent<'t> {
    pub fn new(root: Node<'t>, limit: usize) -> Descent<'t> {
        Descent {
            stack: vec![root],
            pending: None,
            left: limit,
            cut: false,
        }
    }

    /// The walk of the nodes below each of `roots`, in turn.
    pub fn of(roots: impl IntoIterator<Item = Node<'t>>, limit: usize) -> Descent<'t> {
        let mut stack: Vec<Node<'t>> = roots.into_iter().collect();
        stack.reverse();
        Descent {
            stack,
            pending: None,
            left: limit,
            cut: false,
        }
    }

    #[allow(clippy::should_implement_trait)]
    pub fn next(&mut self) -> Option<Node<'t>> {
        if let Some(node) = self.pending.take() {
            push_named_children(&mut self.stack, node);
        }
        let node = self.stack.pop()?;
        if self.left == 0 {
            self.cut = true;
            self.stack.clear();
            return None;
        }
        self.left -= 1;
        self.pending = Some(node);
        Some(node)
    }

    /// Do not go below the node returned last.
    pub fn skip_children(&mut self) {
        self.pending = None;
    }

    /// Go below the node returned last through `nodes` only (the object of
    /// an attribute, the interpolations of a string), in their order.
    pub fn instead(&mut self, nodes: impl IntoIterator<Item = Node<'t>>) {
        self.pending = None;
        let at = self.stack.len();
        self.stack.extend(nodes);
        self.stack[at..].reverse();
    }

    /// Did the limit end the walk before every node was seen?
    pub fn cut_short(&self) -> bool {
        self.cut
    }
}

/// Up to this many children, `Node::child(i)` (a short scan from the first
/// child) costs fewer instructions than a `TreeCursor`, which allocates its
/// stack and re-enters the grammar's hidden wrapper nodes at each step (the
/// engine's walk makes the same choice); wider nodes use a cursor so the
/// walk stays linear.
const FEW_CHILDREN: u32 = 16;

/// Push the named children of `node` on `stack` in reverse document order
/// (so that they pop in document order).
fn push_named_children<'t>(stack: &mut Vec<Node<'t>>, node: Node<'t>) {
    let count = node.child_count();
    if count == 0 {
        return;
    }
    if count <= FEW_CHILDREN {
        for i in (0..count).rev() {
            if let Some(child) = node.child(i).filter(|c| c.is_named()) {
                stack.push(child);
            }
        }
    } else {
        let at = stack.len();
        let mut cursor = node.walk();
        stack.extend(node.named_children(&mut cursor));
        stack[at..].reverse();
    }
}

/// The named children of `node` in document order, read as
/// [`Descent`] reads them (`Node::child(i)` for a few, a cursor for many).
pub fn named_children_of<'t>(node: Node<'t>) -> Vec<Node<'t>> {
    let mut out = Vec::new();
    push_named_children(&mut out, node);
    out.reverse();
    out
}

/// Does `node` or a named node below it have the kind `kind`? `None` when
/// more than `limit` nodes were looked at first (the caller decides what a
/// huge subtree counts as).
pub fn contains_kind(node: Node<'_>, kind: &str, limit: usize) -> Option<bool> {
    let mut walk = Descent::new(node, limit);
    while let Some(n) = walk.next() {
        if n.kind_str() == kind {
            return Some(true);
        }
    }
    (!walk.cut_short()).then_some(false)
}

/// The ancestors of `node` in the tree whose root is `root`, outermost
/// first (`root` first, `node`'s parent last; empty for the root): the
/// nodes `Node::parent` returns one after the other, found in one descent
/// from the root. `Node::parent` itself descends from the root on every
/// call, so walking up a chain of `d` ancestors with it costs `d` descents.
pub fn ancestors_of<'t>(root: Node<'t>, node: Node<'t>) -> Vec<Node<'t>> {
    let mut chain = Vec::new();
    if root.id() == node.id() {
        return chain;
    }
    let mut current = root;
    loop {
        match current.child_with_descendant(node) {
            Some(next) if next.id() == node.id() => {
                chain.push(current);
                return chain;
            }
            Some(next) => {
                chain.push(current);
                current = next;
            }
            // Not below `root` as the descent sees it: ask the tree.
            None => break,
        }
    }
    chain.clear();
    let mut up = node.parent();
    while let Some(parent) = up {
        chain.push(parent);
        up = parent.parent();
    }
    chain.reverse();
    chain
}

/// The named children of `parent` before its child `child`, nearest first:
/// the nodes `Node::prev_named_sibling` returns one after the other, read
/// in one pass over the children. `None` when `child` is not a named child
/// of `parent` (the caller asks the tree instead).
pub fn named_children_before<'t>(parent: Node<'t>, child: Node<'t>) -> Option<Vec<Node<'t>>> {
    let mut before = Vec::new();
    let mut cursor = parent.walk();
    for c in parent.named_children(&mut cursor) {
        if c.id() == child.id() {
            before.reverse();
            return Some(before);
        }
        before.push(c);
    }
    None
}

#[cfg(test)]
mod chain_tests {
    use super::*;

    /// On every node of a sample with nesting, comprehensions, comments
    /// and decorators, the chain and the siblings are what `parent` and
    /// `prev_named_sibling` return.
    #[test]
    fn chains_match_parent_and_siblings() {
        let source = "import a\n# c\n@d(1)\nclass K(B):\n    x = [f(y) for y in z if y]\n    def m(self, q=1):\n        if q:  # why\n            return {k: v for k, v in q}\n        else:\n            pass\n        s = f\"{q!r:>{w}}\" + (lambda t: t)(2)\n";
        let tree = crate::parse::parse(source).expect("parse");
        let root = tree.root_node();
        let mut stack = vec![root];
        let mut seen = 0;
        while let Some(node) = stack.pop() {
            seen += 1;
            let mut expected = Vec::new();
            let mut up = node.parent();
            while let Some(p) = up {
                expected.push(p);
                up = p.parent();
            }
            expected.reverse();
            assert_eq!(ancestors_of(root, node), expected, "{}", node.kind());
            if let Some(parent) = node.parent().filter(|_| node.is_named()) {
                let mut siblings = Vec::new();
                let mut prev = node.prev_named_sibling();
                while let Some(s) = prev {
                    siblings.push(s);
                    prev = s.prev_named_sibling();
                }
                assert_eq!(named_children_before(parent, node), Some(siblings));
            }
            let mut cursor = node.walk();
            stack.extend(node.children(&mut cursor));
        }
        assert!(seen > 100, "{seen}");
    }
}
