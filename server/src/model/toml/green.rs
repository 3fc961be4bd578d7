//! A read-only walk over taplo's green tree that knows each element's offset.
//!
//! rowan's `SyntaxNode` allocates a cursor for every node it visits and frees it again; building
//! the tables of a 20,000-line file visited ~100,000 of them on every keystroke (issue 7). The
//! green tree holds the same kinds and texts, and an element's offset is its parent's plus the
//! lengths of the siblings before it, which a walk in order adds up for free.

use taplo::rowan::{GreenNodeData, GreenTokenData, Language, NodeOrToken};
use taplo::syntax::{Lang, SyntaxKind};

use super::Span;

/// A node of the green tree and where it starts.
#[derive(Clone, Copy)]
pub struct Node<'a> {
    data: &'a GreenNodeData,
    offset: u32,
}

/// A token of the green tree and where it starts.
#[derive(Clone, Copy)]
pub struct Token<'a> {
    data: &'a GreenTokenData,
    offset: u32,
}

/// A child: node or token.
pub type Element<'a> = NodeOrToken<Node<'a>, Token<'a>>;

impl<'a> Node<'a> {
    /// The root of a tree.
    pub fn root(data: &'a GreenNodeData) -> Node<'a> {
        Node { data, offset: 0 }
    }

    pub fn kind(&self) -> SyntaxKind {
        Lang::kind_from_raw(self.data.kind())
    }

    pub fn span(&self) -> Span {
        Span {
            start: self.offset,
            end: self.offset + u32::from(self.data.text_len()),
        }
    }

    /// The children, nodes and tokens, in order.
    pub fn children_with_tokens(&self) -> impl Iterator<Item = Element<'a>> + 'a {
        let mut offset = self.offset;
        self.data.children().map(move |child| {
            let at = offset;
            offset += u32::from(child.text_len());
            match child {
                NodeOrToken::Node(data) => NodeOrToken::Node(Node { data, offset: at }),
                NodeOrToken::Token(data) => NodeOrToken::Token(Token { data, offset: at }),
            }
        })
    }

    /// The child nodes, in order.
    pub fn children(&self) -> impl Iterator<Item = Node<'a>> + 'a {
        self.children_with_tokens()
            .filter_map(NodeOrToken::into_node)
    }

    /// The first child node of `kind`.
    pub fn child(&self, kind: SyntaxKind) -> Option<Node<'a>> {
        self.children().find(|c| c.kind() == kind)
    }

    /// The child tokens, in order.
    pub fn tokens(&self) -> impl Iterator<Item = Token<'a>> + 'a {
        self.children_with_tokens()
            .filter_map(NodeOrToken::into_token)
    }
}

impl<'a> Token<'a> {
    pub fn kind(&self) -> SyntaxKind {
        Lang::kind_from_raw(self.data.kind())
    }

    pub fn text(&self) -> &'a str {
        self.data.text()
    }

    pub fn span(&self) -> Span {
        Span {
            start: self.offset,
            end: self.offset + u32::from(self.data.text_len()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use taplo::syntax::SyntaxNode;

    /// Every element's kind, span and text agree with rowan's own cursor.
    #[test]
    fn walks_like_the_syntax_tree() {
        let text = "# c\n[a.b] # h\nx = [1, { y = \"é\" }]\n\n[[arr]]\nz = '''\nq'''\n";
        let parse = taplo::parser::parse(text);
        let syntax = SyntaxNode::new_root(parse.green_node.clone());
        fn same(green: Node, syntax: &SyntaxNode) {
            assert_eq!(green.kind(), syntax.kind());
            assert_eq!(green.span(), Span::of(syntax.text_range()));
            let ours: Vec<Element> = green.children_with_tokens().collect();
            let theirs: Vec<_> = syntax.children_with_tokens().collect();
            assert_eq!(ours.len(), theirs.len());
            for (o, t) in ours.into_iter().zip(theirs) {
                match (o, t) {
                    (NodeOrToken::Node(o), NodeOrToken::Node(t)) => same(o, &t),
                    (NodeOrToken::Token(o), NodeOrToken::Token(t)) => {
                        assert_eq!((o.kind(), o.text()), (t.kind(), t.text()));
                        assert_eq!(o.span(), Span::of(t.text_range()));
                    }
                    _ => panic!("a node where the syntax tree has a token, or back"),
                }
            }
        }
        same(Node::root(&parse.green_node), &syntax);
    }
}
