//! The syntax tree of a .NET regular expression. Spans are UTF-16 offsets into the pattern,
//! as .NET counts them.

use std::ops::Range;

use super::charset::CharSet;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    pub kind: NodeKind,
    pub span: Range<usize>,
}

impl Node {
    pub fn new(kind: NodeKind, span: Range<usize>) -> Self {
        Self { kind, span }
    }
}

/// Zero-width assertions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assert {
    /// `^` (without `m`), `\A`
    Start,
    /// `^` with `m`
    LineStart,
    /// `$` (without `m`), `\Z`: the end, or before a final `\n`
    EndZ,
    /// `$` with `m`
    LineEnd,
    /// `\z`
    End,
    /// `\G`
    PreviousMatchEnd,
    WordBoundary,
    NotWordBoundary,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupKind {
    Capture(u32),
    /// `(?<a-b>…)`: captures into `a` (if any), pops `b`.
    Balancing(Option<u32>, u32),
    NonCapturing,
    Lookahead,
    NegativeLookahead,
    Lookbehind,
    NegativeLookbehind,
    Atomic,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    Empty,
    /// One literal character (with its case-folded set under `i`).
    Char(u16, CharSet),
    /// A class: `[…]`, `\w`, `.`, `\p{…}`.
    Set(CharSet),
    Assert(Assert),
    Backref(u32),
    Group(GroupKind, Box<Node>),
    /// `(?(cond)yes|no)`: an expression condition, or a group number.
    Conditional {
        condition: Option<Box<Node>>,
        group: Option<u32>,
        yes: Box<Node>,
        no: Option<Box<Node>>,
    },
    Concat(Vec<Node>),
    Alt(Vec<Node>),
    Repeat {
        min: u32,
        /// `None`: unbounded.
        max: Option<u32>,
        lazy: bool,
        child: Box<Node>,
    },
}
