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
