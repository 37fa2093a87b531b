//! The .NET regular-expression grammar (`RegexOptions.None` plus inline options), parsed the
//! way .NET parses it: over UTF-16 code units, with a first pass that numbers the capture
//! groups (so forward references are legal) and a second that builds the tree. Errors are the
//! ones .NET raises, at the offset where .NET raises them, with .NET's wording.

use std::collections::{BTreeSet, HashMap};

use super::ast::{Assert, GroupKind, Node, NodeKind};
use super::charset::CharSet;
use super::names;

/// Why .NET refuses a pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    InsufficientClosingParentheses,
    InsufficientOpeningParentheses,
    UnescapedEndingBackslash,
    QuantifierAfterNothing,
    NestedQuantifier(char),
    ReversedQuantifierRange,
    UnterminatedBracket,
    ReversedCharacterRange,
    ShorthandClassInCharacterRange(char),
    ExclusionGroupNotLast,
    UnrecognizedEscape(char),
    UndefinedNumberedReference(String),
    UndefinedNamedReference(String),
    MalformedNamedReference,
    MissingControlCharacter,
    UnrecognizedControlCharacter,
    InsufficientOrInvalidHexDigits,
    InvalidGroupingConstruct,
    CaptureGroupNameInvalid,
    CaptureGroupOfZero,
    AlternationHasUndefinedReference(String),
    AlternationHasMalformedReference(String),
    AlternationHasTooManyConditions,
    AlternationHasMalformedCondition,
    AlternationHasNamedCapture,
    AlternationHasComment,
    UnterminatedComment,
    InvalidUnicodePropertyEscape,
    MalformedUnicodePropertyEscape,
    UnrecognizedUnicodeProperty(String),
    QuantifierOrCaptureGroupOutOfRange,
    /// Not a .NET error: character classes subtracted more than [`MAX_CLASS_DEPTH`] deep are
    /// refused here rather than followed (each level would cost stack).
    ClassNestedTooDeep,
}

impl ErrorKind {
    /// .NET's message for this error (the .NET Framework and Mono wording).
    pub fn message(&self) -> String {
        match self {
            Self::InsufficientClosingParentheses => "Not enough )'s.".into(),
            Self::InsufficientOpeningParentheses => "Too many )'s.".into(),
            Self::UnescapedEndingBackslash => "Illegal \\ at end of pattern.".into(),
            Self::QuantifierAfterNothing => "Quantifier {x,y} following nothing.".into(),
            Self::NestedQuantifier(c) => format!("Nested quantifier {c}."),
            Self::ReversedQuantifierRange => "Illegal {x,y} with x > y.".into(),
            Self::UnterminatedBracket => "Unterminated [] set.".into(),
            Self::ReversedCharacterRange => "[x-y] range in reverse order.".into(),
            Self::ShorthandClassInCharacterRange(c) => {
                format!("Cannot include class \\{c} in character range.")
            }
            Self::ExclusionGroupNotLast => {
                "A subtraction must be the last element in a character class.".into()
            }
            Self::UnrecognizedEscape(c) => format!("Unrecognized escape sequence \\{c}."),
            Self::UndefinedNumberedReference(n) => {
                format!("Reference to undefined group number {n}.")
            }
            Self::UndefinedNamedReference(n) => format!("Reference to undefined group name {n}."),
            Self::MalformedNamedReference => "Malformed \\k<...> named back reference.".into(),
            Self::MissingControlCharacter => "Missing control character.".into(),
            Self::UnrecognizedControlCharacter => "Unrecognized control character.".into(),
            Self::InsufficientOrInvalidHexDigits => "Insufficient hexadecimal digits.".into(),
            Self::InvalidGroupingConstruct => "Unrecognized grouping construct.".into(),
            Self::CaptureGroupNameInvalid => {
                "Invalid group name: Group names must begin with a word character.".into()
            }
            Self::CaptureGroupOfZero => "Capture number cannot be zero.".into(),
            Self::AlternationHasUndefinedReference(n) => {
                format!("(?({n}) ) reference to undefined group.")
            }
            Self::AlternationHasMalformedReference(n) => format!("(?({n}) ) malformed."),
            Self::AlternationHasTooManyConditions => "Too many | in (?()|).".into(),
            Self::AlternationHasMalformedCondition => {
                "Illegal conditional (?(...)) expression.".into()
            }
            Self::AlternationHasNamedCapture => {
                "Alternation conditions do not capture and cannot be named.".into()
            }
            Self::AlternationHasComment => "Alternation conditions cannot be comments.".into(),
            Self::UnterminatedComment => "Unterminated (?#...) comment.".into(),
            Self::InvalidUnicodePropertyEscape => "Incomplete \\p{X} character escape.".into(),
            Self::MalformedUnicodePropertyEscape => "Malformed \\p{X} character escape.".into(),
            Self::UnrecognizedUnicodeProperty(n) => format!("Unknown property '{n}'."),
            Self::QuantifierOrCaptureGroupOutOfRange => {
                "Capture group numbers must be less than or equal to Int32.MaxValue.".into()
            }
            Self::ClassNestedTooDeep => format!(
                "Character class subtractions nested more than {MAX_CLASS_DEPTH} deep: too deep to check."
            ),
        }
    }
}

/// A pattern .NET refuses: the reason and the UTF-16 offset where .NET stops.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub kind: ErrorKind,
    pub offset: usize,
}

type Result<T> = std::result::Result<T, ParseError>;

/// Inline options.
pub const OPT_I: u8 = 1;
pub const OPT_M: u8 = 2;
pub const OPT_N: u8 = 4;
pub const OPT_S: u8 = 8;
pub const OPT_X: u8 = 16;

/// A group being built: its kind, where it opened, and its parts so far.
struct Frame {
    kind: Open,
    start: usize,
    /// For conditionals: the condition (expression form) and the branches; otherwise unused.
    branches: Vec<Node>,
    alternation: Vec<Node>,
    concat: Vec<Node>,
    concat_start: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Open {
    Top,
    Group(GroupKind),
    ExprConditional,
    RefConditional(u32),
}

struct Parser<'a> {
    s: &'a [u16],
    pos: usize,
    opts: u8,
    opts_stack: Vec<u8>,
    caps: BTreeSet<u32>,
    cap_names: HashMap<String, u32>,
    cap_name_order: Vec<String>,
    autocap: u32,
    ignore_next_paren: bool,
    frames: Vec<Frame>,
    unit: Option<Node>,
    /// How many character classes are open (subtractions nest).
    class_depth: usize,
}

/// Parses `pattern` (given as UTF-16 code units) as .NET does, with `options` (the `OPT_*`
/// bits of `RegexOptions`; 0 for `RegexOptions.None`).
pub fn parse_utf16(s: &[u16], options: u8) -> Result<Node> {
    let mut p = Parser {
        s,
        pos: 0,
        opts: options,
        opts_stack: Vec::new(),
        caps: BTreeSet::new(),
        cap_names: HashMap::new(),
        cap_name_order: Vec::new(),
        autocap: 1,
        ignore_next_paren: false,
        frames: Vec::new(),
        unit: None,
        class_depth: 0,
    };
    p.count_captures()?;
    p.pos = 0;
    p.autocap = 1;
    p.ignore_next_paren = false;
    p.opts_stack.clear();
    p.opts = options;
    p.scan_regex()
}

/// Groups nested deeper than this are still checked for validity, but their content is left
/// out of the tree (as an empty node), so analysing and dropping it cannot exhaust the stack.
pub const MAX_TREE_DEPTH: usize = 1000;

/// Class subtractions (`[a-[b-[c]]]`) nested deeper than this are refused.
pub const MAX_CLASS_DEPTH: usize = 100;

const MAX_DIV10: u32 = (i32::MAX / 10) as u32;
const MAX_MOD10: u32 = (i32::MAX % 10) as u32;

fn is_digit(c: u16) -> bool {
    (u16::from(b'0')..=u16::from(b'9')).contains(&c)
}

/// A word character as .NET's boundary test sees it (letters, digits, `_`, marks, ZWJ/ZWNJ).
pub fn is_word_char(c: u16) -> bool {
    if c < 0x80 {
        let b = c as u8;
        return b.is_ascii_alphanumeric() || b == b'_';
    }
    c == 0x200C
        || c == 0x200D
        || char::from_u32(u32::from(c)).is_some_and(|ch| ch.is_alphanumeric())
}

fn is_space(c: u16) -> bool {
    matches!(c, 0x09 | 0x0A | 0x0C | 0x0D | 0x20)
}

/// Characters that end a run of ordinary characters.
fn is_special(c: u16) -> bool {
    matches!(
        c,
        0x24 | 0x28 | 0x29 | 0x2A | 0x2B | 0x2E | 0x3F | 0x5B | 0x5C | 0x5E | 0x7B | 0x7C
    )
}

fn is_quantifier_char(c: u16) -> bool {
    matches!(c, 0x2A | 0x2B | 0x3F | 0x7B)
}

fn ch(c: u16) -> char {
    char::from_u32(u32::from(c)).unwrap_or('\u{fffd}')
}

impl Parser<'_> {
    fn err<T>(&self, kind: ErrorKind) -> Result<T> {
        Err(ParseError {
            kind,
            offset: self.pos,
        })
    }

    fn at(&self, i: usize) -> Option<u16> {
        self.s.get(i).copied()
    }

    fn is(&self, i: usize, c: u8) -> bool {
        self.at(i) == Some(u16::from(c))
    }

    fn len(&self) -> usize {
        self.s.len()
    }

    fn x_mode(&self) -> bool {
        self.opts & OPT_X != 0
    }

    fn is_slot(&self, n: u32) -> bool {
        self.caps.contains(&n)
    }

    fn note_slot(&mut self, n: u32) {
        self.caps.insert(n);
    }

    // ---- first pass: number the captures ----

    fn count_captures(&mut self) -> Result<()> {
        self.note_slot(0);
        self.autocap = 1;
        while self.pos < self.len() {
            let c = self.s[self.pos];
            self.pos += 1;
            match c {
                0x5C if self.pos < self.len() => {
                    self.scan_backslash(true)?;
                }
                0x23 if self.x_mode() => {
                    self.pos -= 1;
                    self.scan_blank()?;
                }
                0x5B => {
                    self.scan_char_class(true)?;
                }
                0x29 => {
                    if let Some(o) = self.opts_stack.pop() {
                        self.opts = o;
                    }
                }
                0x28 => {
                    if self.is(self.pos + 1, b'#') && self.is(self.pos, b'?') {
                        self.pos -= 1;
                        self.scan_blank()?;
                        continue;
                    }
                    self.opts_stack.push(self.opts);
                    if self.is(self.pos, b'?') {
                        self.pos += 1;
                        if self.pos + 1 < self.len()
                            && (self.is(self.pos, b'<') || self.is(self.pos, b'\''))
                        {
                            self.pos += 1;
                            let c = self.s[self.pos];
                            if c != u16::from(b'0') && is_word_char(c) {
                                if (u16::from(b'1')..=u16::from(b'9')).contains(&c) {
                                    let n = self.scan_decimal()?;
                                    self.note_slot(n);
                                } else {
                                    let name = self.scan_capname();
                                    if !self.cap_names.contains_key(&name) {
                                        self.cap_names.insert(name.clone(), 0);
                                        self.cap_name_order.push(name);
                                    }
                                }
                            }
                        } else {
                            self.scan_options();
                            if self.pos < self.len() {
                                if self.is(self.pos, b')') {
                                    self.pos += 1;
                                    self.opts_stack.pop();
                                } else if self.is(self.pos, b'(') {
                                    // A conditional: its condition does not capture.
                                    self.ignore_next_paren = true;
                                    continue;
                                }
                            }
                        }
                    } else if self.opts & OPT_N == 0 && !self.ignore_next_paren {
                        let n = self.autocap;
                        self.autocap += 1;
                        self.note_slot(n);
                    }
                    self.ignore_next_paren = false;
                }
                _ => {}
            }
        }
        // Names take the numbers after the highest numbered group, in order of appearance.
        for name in self.cap_name_order.clone() {
            while self.is_slot(self.autocap) {
                self.autocap += 1;
            }
            self.cap_names.insert(name, self.autocap);
            let n = self.autocap;
            self.note_slot(n);
            self.autocap += 1;
        }
        Ok(())
    }

    // ---- second pass: build the tree ----

    fn start_group(&mut self, kind: Open, start: usize) {
        self.frames.push(Frame {
            kind,
            start,
            branches: Vec::new(),
            alternation: Vec::new(),
            concat: Vec::new(),
            concat_start: self.pos,
        });
    }

    fn frame(&mut self) -> &mut Frame {
        // The top frame exists for the whole scan.
        let last = self.frames.len() - 1;
        &mut self.frames[last]
    }

    fn take_concat(&mut self, end: usize) -> Node {
        let f = self.frame();
        let start = f.concat_start;
        let parts = std::mem::take(&mut f.concat);
        f.concat_start = end + 1;
        Node::new(NodeKind::Concat(parts), start..end)
    }

    fn add_alternate(&mut self) {
        let end = self.pos - 1;
        let concat = self.take_concat(end);
        let f = self.frame();
        match f.kind {
            Open::ExprConditional | Open::RefConditional(_) => f.branches.push(concat),
            _ => f.alternation.push(concat),
        }
    }

    /// Closes the current group into `self.unit` (at `)` or the end of the pattern).
    fn add_group(&mut self, end: usize) -> Result<()> {
        if self.frames.len() > MAX_TREE_DEPTH {
            return self.add_group_untracked(end);
        }
        let concat = self.take_concat(end);
        let f = self.frame();
        let span = f.start..end + 1;
        let node = match f.kind {
            Open::ExprConditional | Open::RefConditional(_) => {
                f.branches.push(concat);
                let too_many = match f.kind {
                    Open::RefConditional(_) => f.branches.len() > 2,
                    _ => f.branches.len() > 3,
                };
                if too_many {
                    return self.err(ErrorKind::AlternationHasTooManyConditions);
                }
                let f = self.frame();
                let mut branches = std::mem::take(&mut f.branches);
                match f.kind {
                    Open::RefConditional(n) => {
                        let yes = branches.remove(0);
                        let no = branches.pop();
                        Node::new(
                            NodeKind::Conditional {
                                condition: None,
                                group: Some(n),
                                yes: Box::new(yes),
                                no: no.map(Box::new),
                            },
                            span,
                        )
                    }
                    _ => {
                        let condition = branches.remove(0);
                        let yes = if branches.is_empty() {
                            Node::new(NodeKind::Empty, end..end)
                        } else {
                            branches.remove(0)
                        };
                        let no = branches.pop();
                        Node::new(
                            NodeKind::Conditional {
                                condition: Some(Box::new(condition)),
                                group: None,
                                yes: Box::new(yes),
                                no: no.map(Box::new),
                            },
                            span,
                        )
                    }
                }
            }
            kind => {
                f.alternation.push(concat);
                let alts = std::mem::take(&mut f.alternation);
                let body = if alts.len() == 1 {
                    alts.into_iter()
                        .next()
                        .unwrap_or_else(|| Node::new(NodeKind::Empty, end..end))
                } else {
                    Node::new(NodeKind::Alt(alts), span.clone())
                };
                match kind {
                    Open::Group(g) => Node::new(NodeKind::Group(g, Box::new(body)), span),
                    _ => body,
                }
            }
        };
        self.unit = Some(node);
        Ok(())
    }

    /// Closes a group too deep to keep: checks what .NET checks, keeps an empty node.
    fn add_group_untracked(&mut self, end: usize) -> Result<()> {
        let f = self.frame();
        let span = f.start..end + 1;
        if matches!(f.kind, Open::ExprConditional | Open::RefConditional(_)) {
            let n = f.branches.len() + 1;
            let too_many = match f.kind {
                Open::RefConditional(_) => n > 2,
                _ => n > 3,
            };
            if too_many {
                return self.err(ErrorKind::AlternationHasTooManyConditions);
            }
        }
        let f = self.frame();
        f.concat.clear();
        f.alternation.clear();
        f.branches.clear();
        self.unit = Some(Node::new(NodeKind::Empty, span));
        Ok(())
    }

    /// Returns to the enclosing group after `)`. The first group inside an expression
    /// conditional becomes its condition.
    fn pop_group(&mut self) -> Result<()> {
        self.frames.pop();
        let f = self.frame();
        if f.kind == Open::ExprConditional && f.branches.is_empty() {
            match self.unit.take() {
                Some(u) => self.frame().branches.push(u),
                None => return self.err(ErrorKind::AlternationHasMalformedCondition),
            }
            self.frame().concat_start = self.pos;
        }
        Ok(())
    }

    fn push_unit_into_concat(&mut self) {
        if let Some(u) = self.unit.take() {
            self.frame().concat.push(u);
        }
    }

    fn literal(&self, c: u16, at: usize) -> Node {
        let set = CharSet::single(c);
        let set = if self.opts & OPT_I != 0 {
            set.case_folded()
        } else {
            set
        };
        Node::new(NodeKind::Char(c, set), at..at + 1)
    }

    fn scan_regex(&mut self) -> Result<Node> {
        self.start_group(Open::Top, 0);
        let mut is_quantifier = false;
        while self.pos < self.len() {
            let was_prev_quantifier = is_quantifier;
            is_quantifier = false;
            self.scan_blank()?;
            let run_start = self.pos;
            // A run of ordinary characters (a `{` that is no quantifier is ordinary).
            while let Some(c) = self.at(self.pos) {
                let stops = if self.x_mode() {
                    is_special(c) || is_space(c) || c == u16::from(b'#')
                } else {
                    is_special(c)
                };
                // A `{` that does not start a quantifier is an ordinary character.
                let ordinary_brace = c == u16::from(b'{') && !self.is_true_quantifier();
                if stops && !ordinary_brace {
                    break;
                }
                self.pos += 1;
            }
            let run_end = self.pos;
            self.scan_blank()?;
            let c = if self.pos == self.len() {
                None // the end
            } else if is_special(self.s[self.pos]) {
                let c = self.s[self.pos];
                is_quantifier = is_quantifier_char(c);
                self.pos += 1;
                Some(c)
            } else {
                Some(0) // an ordinary character comes next (x mode)
            };
            if run_start < run_end {
                let n = run_end - run_start - usize::from(is_quantifier);
                for i in run_start..run_start + n {
                    let lit = self.literal(self.s[i], i);
                    self.frame().concat.push(lit);
                }
                if is_quantifier {
                    self.unit = Some(self.literal(self.s[run_end - 1], run_end - 1));
                }
            }
            let Some(c) = c else { break };
            let op_at = self.pos.saturating_sub(1);
            match c {
                0 => continue,
                0x5B => {
                    let set = self.scan_char_class(false)?.unwrap_or_default();
                    self.unit = Some(Node::new(NodeKind::Set(set), op_at..self.pos));
                }
                0x28 => {
                    self.opts_stack.push(self.opts);
                    match self.scan_group_open()? {
                        Some(kind) => self.start_group(kind, op_at),
                        None => {
                            self.opts_stack.pop();
                        }
                    }
                    continue;
                }
                0x7C => {
                    self.add_alternate();
                    continue;
                }
                0x29 => {
                    if self.frames.len() <= 1 {
                        return self.err(ErrorKind::InsufficientOpeningParentheses);
                    }
                    self.add_group(op_at)?;
                    self.pop_group()?;
                    self.opts = self.opts_stack.pop().unwrap_or(0);
                    if self.unit.is_none() {
                        continue;
                    }
                }
                0x5C => {
                    if self.pos == self.len() {
                        return self.err(ErrorKind::UnescapedEndingBackslash);
                    }
                    self.unit = self.scan_backslash(false)?;
                    if let Some(u) = &mut self.unit {
                        u.span.start = op_at;
                    }
                }
                0x5E => {
                    let a = if self.opts & OPT_M != 0 {
                        Assert::LineStart
                    } else {
                        Assert::Start
                    };
                    self.unit = Some(Node::new(NodeKind::Assert(a), op_at..self.pos));
                }
                0x24 => {
                    let a = if self.opts & OPT_M != 0 {
                        Assert::LineEnd
                    } else {
                        Assert::EndZ
                    };
                    self.unit = Some(Node::new(NodeKind::Assert(a), op_at..self.pos));
                }
                0x2E => {
                    let set = CharSet::dot(self.opts & OPT_S != 0);
                    self.unit = Some(Node::new(NodeKind::Set(set), op_at..self.pos));
                }
                _ => {
                    // A quantifier character.
                    if self.unit.is_none() {
                        return if was_prev_quantifier {
                            self.err(ErrorKind::NestedQuantifier(ch(c)))
                        } else {
                            self.err(ErrorKind::QuantifierAfterNothing)
                        };
                    }
                    self.pos -= 1;
                }
            }
            self.scan_blank()?;
            if self.pos == self.len() || {
                is_quantifier = self.is_true_quantifier();
                !is_quantifier
            } {
                self.push_unit_into_concat();
                continue;
            }
            let q = self.s[self.pos];
            self.pos += 1;
            let (min, max) = match q {
                0x2A => (0, None),
                0x3F => (0, Some(1)),
                0x2B => (1, None),
                _ => {
                    let start = self.pos;
                    let min = self.scan_decimal()?;
                    let mut max = Some(min);
                    if start < self.pos && self.is(self.pos, b',') {
                        self.pos += 1;
                        max = if self.pos == self.len() || self.is(self.pos, b'}') {
                            None
                        } else {
                            Some(self.scan_decimal()?)
                        };
                    }
                    let closed = start != self.pos && self.pos < self.len() && {
                        let c = self.s[self.pos];
                        self.pos += 1;
                        c == u16::from(b'}')
                    };
                    if !closed {
                        self.push_unit_into_concat();
                        self.pos = start - 1;
                        continue;
                    }
                    (min, max)
                }
            };
            self.scan_blank()?;
            let lazy = self.is(self.pos, b'?');
            if lazy {
                self.pos += 1;
            }
            if max.is_some_and(|m| min > m) {
                return self.err(ErrorKind::ReversedQuantifierRange);
            }
            if let Some(u) = self.unit.take() {
                let span = u.span.start..self.pos;
                let node = Node::new(
                    NodeKind::Repeat {
                        min,
                        max,
                        lazy,
                        child: Box::new(u),
                    },
                    span,
                );
                self.frame().concat.push(node);
            }
        }
        if self.frames.len() > 1 {
            return self.err(ErrorKind::InsufficientClosingParentheses);
        }
        let end = self.len();
        self.add_group(end)?;
        let mut root = self
            .unit
            .take()
            .unwrap_or_else(|| Node::new(NodeKind::Empty, 0..0));
        root.span = 0..end;
        Ok(root)
    }

    fn is_true_quantifier(&self) -> bool {
        let Some(c) = self.at(self.pos) else {
            return false;
        };
        if c != u16::from(b'{') {
            return is_quantifier_char(c);
        }
        let mut p = self.pos + 1;
        let digits = p;
        while self.at(p).is_some_and(is_digit) {
            p += 1;
        }
        if p >= self.len() || p == digits {
            return false;
        }
        if self.is(p, b'}') {
            return true;
        }
        if !self.is(p, b',') {
            return false;
        }
        p += 1;
        while self.at(p).is_some_and(is_digit) {
            p += 1;
        }
        self.is(p, b'}')
    }

    /// Skips `x`-mode white space and `#` comments, and `(?#…)` comments.
    fn scan_blank(&mut self) -> Result<()> {
        loop {
            if self.x_mode() {
                while self.at(self.pos).is_some_and(is_space) {
                    self.pos += 1;
                }
            }
            if self.x_mode() && self.is(self.pos, b'#') {
                self.pos = (self.pos..self.len())
                    .find(|&i| self.s[i] == u16::from(b'\n'))
                    .unwrap_or(self.len());
            } else if self.is(self.pos + 2, b'#')
                && self.is(self.pos + 1, b'?')
                && self.is(self.pos, b'(')
            {
                match (self.pos..self.len()).find(|&i| self.s[i] == u16::from(b')')) {
                    Some(close) => self.pos = close + 1,
                    None => {
                        self.pos = self.len();
                        return self.err(ErrorKind::UnterminatedComment);
                    }
                }
            } else {
                return Ok(());
            }
        }
    }

    /// After `(`: what kind of group opens here; `None` for an options-only group `(?i)`.
    fn scan_group_open(&mut self) -> Result<Option<Open>> {
        if self.pos == self.len() || !self.is(self.pos, b'?') || self.is(self.pos + 1, b')') {
            if self.opts & OPT_N != 0 || self.ignore_next_paren {
                self.ignore_next_paren = false;
                return Ok(Some(Open::Group(GroupKind::NonCapturing)));
            }
            let n = self.autocap;
            self.autocap += 1;
            return Ok(Some(Open::Group(GroupKind::Capture(n))));
        }
        self.pos += 1;
        if self.pos == self.len() {
            return self.err(ErrorKind::InvalidGroupingConstruct);
        }
        let c = self.s[self.pos];
        self.pos += 1;
        let kind = match c {
            0x3A => GroupKind::NonCapturing,
            0x3D => GroupKind::Lookahead,
            0x21 => GroupKind::NegativeLookahead,
            0x3E => GroupKind::Atomic,
            0x27 | 0x3C => return self.scan_named_group(if c == 0x27 { b'\'' } else { b'>' }),
            0x28 => return self.scan_conditional(),
            _ => {
                self.pos -= 1;
                let in_condition = self.frame().kind == Open::ExprConditional;
                if !in_condition {
                    self.scan_options();
                }
                if self.pos == self.len() {
                    return self.err(ErrorKind::InvalidGroupingConstruct);
                }
                let c = self.s[self.pos];
                self.pos += 1;
                if c == u16::from(b')') {
                    return Ok(None);
                }
                if c != u16::from(b':') {
                    return self.err(ErrorKind::InvalidGroupingConstruct);
                }
                GroupKind::NonCapturing
            }
        };
        Ok(Some(Open::Group(kind)))
    }

    /// After `(?<` or `(?'`: lookbehind, or a named, numbered or balancing group.
    fn scan_named_group(&mut self, close: u8) -> Result<Option<Open>> {
        if self.pos == self.len() {
            return self.err(ErrorKind::InvalidGroupingConstruct);
        }
        let c = self.s[self.pos];
        self.pos += 1;
        if c == u16::from(b'=') || c == u16::from(b'!') {
            if close == b'\'' {
                return self.err(ErrorKind::InvalidGroupingConstruct);
            }
            let k = if c == u16::from(b'=') {
                GroupKind::Lookbehind
            } else {
                GroupKind::NegativeLookbehind
            };
            return Ok(Some(Open::Group(k)));
        }
        self.pos -= 1;
        let mut capnum: Option<u32> = None;
        let mut proceed = false;
        let stops = |p: &Self| p.pos < p.len() && !(p.is(p.pos, close) || p.is(p.pos, b'-'));
        if is_digit(c) {
            let n = self.scan_decimal()?;
            capnum = self.is_slot(n).then_some(n);
            if stops(self) {
                return self.err(ErrorKind::CaptureGroupNameInvalid);
            }
            if capnum == Some(0) {
                return self.err(ErrorKind::CaptureGroupOfZero);
            }
        } else if is_word_char(c) {
            let name = self.scan_capname();
            capnum = self.cap_names.get(&name).copied();
            if stops(self) {
                return self.err(ErrorKind::CaptureGroupNameInvalid);
            }
        } else if c == u16::from(b'-') {
            proceed = true;
        } else {
            return self.err(ErrorKind::CaptureGroupNameInvalid);
        }
        let mut uncapnum: Option<u32> = None;
        if (capnum.is_some() || proceed) && self.pos + 1 < self.len() && self.is(self.pos, b'-') {
            self.pos += 1;
            let c = self.s[self.pos];
            if is_digit(c) {
                let n = self.scan_decimal()?;
                if !self.is_slot(n) {
                    return self.err(ErrorKind::UndefinedNumberedReference(n.to_string()));
                }
                uncapnum = Some(n);
                if self.pos < self.len() && !self.is(self.pos, close) {
                    return self.err(ErrorKind::CaptureGroupNameInvalid);
                }
            } else if is_word_char(c) {
                let name = self.scan_capname();
                match self.cap_names.get(&name) {
                    Some(&n) => uncapnum = Some(n),
                    None => return self.err(ErrorKind::UndefinedNamedReference(name)),
                }
                if self.pos < self.len() && !self.is(self.pos, close) {
                    return self.err(ErrorKind::CaptureGroupNameInvalid);
                }
            } else {
                return self.err(ErrorKind::CaptureGroupNameInvalid);
            }
        }
        if (capnum.is_some() || uncapnum.is_some()) && self.pos < self.len() && {
            let c = self.s[self.pos];
            self.pos += 1;
            c == u16::from(close)
        } {
            let kind = match uncapnum {
                Some(u) => GroupKind::Balancing(capnum, u),
                None => GroupKind::Capture(capnum.unwrap_or(0)),
            };
            return Ok(Some(Open::Group(kind)));
        }
        self.err(ErrorKind::InvalidGroupingConstruct)
    }

    /// After `(?(`: a group-reference conditional or an expression conditional.
    fn scan_conditional(&mut self) -> Result<Option<Open>> {
        let paren = self.pos;
        if let Some(c) = self.at(self.pos) {
            if is_digit(c) {
                let n = self.scan_decimal()?;
                if self.pos < self.len() && {
                    let c = self.s[self.pos];
                    self.pos += 1;
                    c == u16::from(b')')
                } {
                    if self.is_slot(n) {
                        return Ok(Some(Open::RefConditional(n)));
                    }
                    return self.err(ErrorKind::AlternationHasUndefinedReference(n.to_string()));
                }
                return self.err(ErrorKind::AlternationHasMalformedReference(n.to_string()));
            } else if is_word_char(c) {
                let name = self.scan_capname();
                if let Some(&n) = self.cap_names.get(&name) {
                    if self.pos < self.len() && {
                        let c = self.s[self.pos];
                        self.pos += 1;
                        c == u16::from(b')')
                    } {
                        return Ok(Some(Open::RefConditional(n)));
                    }
                }
            }
        }
        // An expression condition: the next group is the condition and does not capture.
        self.pos = paren - 1;
        self.ignore_next_paren = true;
        if self.pos + 2 < self.len() && self.is(self.pos + 1, b'?') {
            if self.is(self.pos + 2, b'#') {
                return self.err(ErrorKind::AlternationHasComment);
            }
            if self.is(self.pos + 2, b'\'')
                || (self.pos + 3 < self.len()
                    && self.is(self.pos + 2, b'<')
                    && !self.is(self.pos + 3, b'!')
                    && !self.is(self.pos + 3, b'='))
            {
                return self.err(ErrorKind::AlternationHasNamedCapture);
            }
        }
        Ok(Some(Open::ExprConditional))
    }

    /// Reads `imnsx-imnsx` flags, stopping at the first other character.
    fn scan_options(&mut self) {
        let mut off = false;
        while let Some(c) = self.at(self.pos) {
            let flag = match (c as u8 | 0x20, c < 0x80) {
                (_, false) => 0,
                (b'i', _) => OPT_I,
                (b'm', _) => OPT_M,
                (b'n', _) => OPT_N,
                (b's', _) => OPT_S,
                (b'x', _) => OPT_X,
                _ => 0,
            };
            if c == u16::from(b'-') {
                off = true;
            } else if c == u16::from(b'+') {
                off = false;
            } else if flag == 0 {
                return;
            } else if off {
                self.opts &= !flag;
            } else {
                self.opts |= flag;
            }
            self.pos += 1;
        }
    }

    fn scan_capname(&mut self) -> String {
        let start = self.pos;
        while self.at(self.pos).is_some_and(is_word_char) {
            self.pos += 1;
        }
        String::from_utf16_lossy(&self.s[start..self.pos])
    }

    fn scan_decimal(&mut self) -> Result<u32> {
        let mut n: u32 = 0;
        while let Some(c) = self.at(self.pos).filter(|&c| is_digit(c)) {
            let d = u32::from(c - u16::from(b'0'));
            self.pos += 1;
            if n > MAX_DIV10 || (n == MAX_DIV10 && d > MAX_MOD10) {
                return self.err(ErrorKind::QuantifierOrCaptureGroupOutOfRange);
            }
            n = n * 10 + d;
        }
        Ok(n)
    }

    /// After `\`: an anchor, a class, a property, a back-reference or an escaped character.
    fn scan_backslash(&mut self, scan_only: bool) -> Result<Option<Node>> {
        let at = self.pos;
        let c = self.s[self.pos];
        let assert = match c as u8 {
            _ if c >= 0x80 => None,
            b'b' => Some(Assert::WordBoundary),
            b'B' => Some(Assert::NotWordBoundary),
            b'A' => Some(Assert::Start),
            b'G' => Some(Assert::PreviousMatchEnd),
            b'Z' => Some(Assert::EndZ),
            b'z' => Some(Assert::End),
            _ => None,
        };
        if let Some(a) = assert {
            self.pos += 1;
            return Ok((!scan_only).then(|| Node::new(NodeKind::Assert(a), at..self.pos)));
        }
        let class = match c as u8 {
            _ if c >= 0x80 => None,
            b'w' => Some(CharSet::word()),
            b'W' => Some(CharSet::word().negate()),
            b's' => Some(CharSet::space()),
            b'S' => Some(CharSet::space().negate()),
            b'd' => Some(CharSet::digit()),
            b'D' => Some(CharSet::digit().negate()),
            _ => None,
        };
        if let Some(set) = class {
            self.pos += 1;
            return Ok((!scan_only).then(|| Node::new(NodeKind::Set(set), at..self.pos)));
        }
        if c == u16::from(b'p') || c == u16::from(b'P') {
            self.pos += 1;
            if scan_only {
                return Ok(None);
            }
            let set = self.scan_property()?;
            let set = if c == u16::from(b'P') {
                set.negate()
            } else {
                set
            };
            return Ok(Some(Node::new(NodeKind::Set(set), at..self.pos)));
        }
        self.scan_basic_backslash(scan_only)
    }

    /// `{Name}` after `\p`; the set it names.
    fn scan_property(&mut self) -> Result<CharSet> {
        let name = self.parse_property()?;
        if !names::is_known_property(&name) {
            return self.err(ErrorKind::UnrecognizedUnicodeProperty(name));
        }
        Ok(CharSet::property(&name))
    }

    fn parse_property(&mut self) -> Result<String> {
        if self.pos + 2 >= self.len() {
            return self.err(ErrorKind::InvalidUnicodePropertyEscape);
        }
        let c = self.s[self.pos];
        self.pos += 1;
        if c != u16::from(b'{') {
            return self.err(ErrorKind::MalformedUnicodePropertyEscape);
        }
        let start = self.pos;
        while self
            .at(self.pos)
            .is_some_and(|c| is_word_char(c) || c == u16::from(b'-'))
        {
            self.pos += 1;
        }
        let name = String::from_utf16_lossy(&self.s[start..self.pos]);
        if self.pos == self.len() || {
            let c = self.s[self.pos];
            self.pos += 1;
            c != u16::from(b'}')
        } {
            return self.err(ErrorKind::InvalidUnicodePropertyEscape);
        }
        Ok(name)
    }

    /// Back-references (`\1`, `\k<n>`, `\<n>`) and, failing those, a character escape.
    fn scan_basic_backslash(&mut self, scan_only: bool) -> Result<Option<Node>> {
        let back = self.pos;
        let at = back.saturating_sub(1);
        let mut close = 0u8;
        let mut angled = false;
        let mut c = self.s[self.pos];
        if c == u16::from(b'k') {
            if self.pos + 1 < self.len() {
                self.pos += 1;
                let n = self.s[self.pos];
                self.pos += 1;
                if n == u16::from(b'<') || n == u16::from(b'\'') {
                    angled = true;
                    close = if n == u16::from(b'\'') { b'\'' } else { b'>' };
                }
            }
            if !angled || self.pos == self.len() {
                return self.err(ErrorKind::MalformedNamedReference);
            }
            c = self.s[self.pos];
        } else if (c == u16::from(b'<') || c == u16::from(b'\'')) && self.pos + 1 < self.len() {
            angled = true;
            close = if c == u16::from(b'\'') { b'\'' } else { b'>' };
            self.pos += 1;
            c = self.s[self.pos];
        }
        let closes = |p: &mut Self| {
            p.pos < p.len() && {
                let c = p.s[p.pos];
                p.pos += 1;
                c == u16::from(close)
            }
        };
        if angled && is_digit(c) {
            let n = self.scan_decimal()?;
            if closes(self) {
                if scan_only {
                    return Ok(None);
                }
                if self.is_slot(n) {
                    return Ok(Some(Node::new(NodeKind::Backref(n), at..self.pos)));
                }
                return self.err(ErrorKind::UndefinedNumberedReference(n.to_string()));
            }
        } else if !angled && (u16::from(b'1')..=u16::from(b'9')).contains(&c) {
            let n = self.scan_decimal()?;
            if scan_only {
                return Ok(None);
            }
            if self.is_slot(n) {
                return Ok(Some(Node::new(NodeKind::Backref(n), at..self.pos)));
            }
            if n <= 9 {
                return self.err(ErrorKind::UndefinedNumberedReference(n.to_string()));
            }
        } else if angled && is_word_char(c) {
            let name = self.scan_capname();
            if closes(self) {
                if scan_only {
                    return Ok(None);
                }
                return match self.cap_names.get(&name) {
                    Some(&n) => Ok(Some(Node::new(NodeKind::Backref(n), at..self.pos))),
                    None => self.err(ErrorKind::UndefinedNamedReference(name)),
                };
            }
        }
        self.pos = back;
        let c = self.scan_char_escape()?;
        Ok((!scan_only).then(|| {
            let mut n = self.literal(c, at);
            n.span = at..self.pos;
            n
        }))
    }

    /// An escape that stands for one character (`\n`, `\x41`, `\u0041`, `\101`, `\cA`, `\.`).
    fn scan_char_escape(&mut self) -> Result<u16> {
        let c = self.s[self.pos];
        self.pos += 1;
        if (u16::from(b'0')..=u16::from(b'7')).contains(&c) {
            self.pos -= 1;
            return Ok(self.scan_octal());
        }
        Ok(match c {
            0x78 => return self.scan_hex(2),
            0x75 => return self.scan_hex(4),
            0x61 => 0x07,
            0x62 => 0x08,
            0x65 => 0x1B,
            0x66 => 0x0C,
            0x6E => 0x0A,
            0x72 => 0x0D,
            0x74 => 0x09,
            0x76 => 0x0B,
            0x63 => return self.scan_control(),
            _ if is_word_char(c) => return self.err(ErrorKind::UnrecognizedEscape(ch(c))),
            _ => c,
        })
    }

    fn scan_octal(&mut self) -> u16 {
        let mut v: u16 = 0;
        let mut n = 0;
        while n < 3 {
            match self.at(self.pos) {
                Some(c) if (u16::from(b'0')..=u16::from(b'7')).contains(&c) => {
                    v = v * 8 + (c - u16::from(b'0'));
                    self.pos += 1;
                    n += 1;
                }
                _ => break,
            }
        }
        v & 0xFF
    }

    fn scan_hex(&mut self, digits: usize) -> Result<u16> {
        let mut v: u32 = 0;
        let mut left = digits;
        if self.pos + digits <= self.len() {
            while left > 0 {
                let c = self.s[self.pos];
                self.pos += 1;
                match char::from_u32(u32::from(c)).and_then(|c| c.to_digit(16)) {
                    Some(d) => v = v * 16 + d,
                    None => break,
                }
                left -= 1;
            }
        }
        if left > 0 {
            return self.err(ErrorKind::InsufficientOrInvalidHexDigits);
        }
        Ok(v as u16)
    }

    fn scan_control(&mut self) -> Result<u16> {
        let Some(mut c) = self.at(self.pos) else {
            return self.err(ErrorKind::MissingControlCharacter);
        };
        self.pos += 1;
        if (u16::from(b'a')..=u16::from(b'z')).contains(&c) {
            c -= 32;
        }
        let v = c.wrapping_sub(u16::from(b'@'));
        if v < 0x20 {
            return Ok(v);
        }
        self.err(ErrorKind::UnrecognizedControlCharacter)
    }

    /// After `[`: the class up to its `]`. `None` when only scanning.
    fn scan_char_class(&mut self, scan_only: bool) -> Result<Option<CharSet>> {
        if self.class_depth >= MAX_CLASS_DEPTH {
            return self.err(ErrorKind::ClassNestedTooDeep);
        }
        self.class_depth += 1;
        let r = self.scan_char_class_body(scan_only);
        self.class_depth -= 1;
        r
    }

    fn scan_char_class_body(&mut self, scan_only: bool) -> Result<Option<CharSet>> {
        // Ranges are collected and merged once at the end: merging per character would be
        // quadratic in the class's size.
        let mut set = Ranges::default();
        let mut subtract: Option<CharSet> = None;
        let mut negate = false;
        let mut prev: u16 = 0;
        let mut in_range = false;
        let mut first = true;
        let mut closed = false;
        if self.is(self.pos, b'^') {
            self.pos += 1;
            negate = true;
        }
        while self.pos < self.len() {
            let is_first = first;
            first = false;
            let mut translated = false;
            let mut c = self.s[self.pos];
            self.pos += 1;
            if c == u16::from(b']') {
                if !is_first {
                    closed = true;
                    break;
                }
            } else if c == u16::from(b'\\') && self.pos < self.len() {
                c = self.s[self.pos];
                self.pos += 1;
                let class = match c as u8 {
                    _ if c >= 0x80 => None,
                    b'd' => Some(CharSet::digit()),
                    b'D' => Some(CharSet::digit().negate()),
                    b's' => Some(CharSet::space()),
                    b'S' => Some(CharSet::space().negate()),
                    b'w' => Some(CharSet::word()),
                    b'W' => Some(CharSet::word().negate()),
                    _ => None,
                };
                if let Some(class) = class {
                    if !scan_only {
                        if in_range {
                            return self.err(ErrorKind::ShorthandClassInCharacterRange(ch(c)));
                        }
                        set.add(&class);
                    }
                    continue;
                }
                if c == u16::from(b'p') || c == u16::from(b'P') {
                    if scan_only {
                        self.parse_property()?;
                    } else {
                        if in_range {
                            return self.err(ErrorKind::ShorthandClassInCharacterRange(ch(c)));
                        }
                        let p = self.scan_property()?;
                        set.add(&if c == u16::from(b'P') { p.negate() } else { p });
                    }
                    continue;
                }
                if c == u16::from(b'-') {
                    // An escaped `-` is always a literal `-` and leaves a pending range open
                    // (.NET Framework and Mono; .NET Core would close the range with it).
                    if !scan_only {
                        set.add(&CharSet::single(c));
                    }
                    continue;
                }
                self.pos -= 1;
                c = self.scan_char_escape()?;
                translated = true;
            }
            if in_range {
                in_range = false;
                if !scan_only {
                    if c == u16::from(b'[') && !translated && !is_first {
                        // `x-[…]`: x, then a subtraction.
                        set.add(&CharSet::single(prev));
                        subtract = self.scan_char_class(scan_only)?;
                        if self.pos < self.len() && !self.is(self.pos, b']') {
                            return self.err(ErrorKind::ExclusionGroupNotLast);
                        }
                    } else {
                        if prev > c {
                            return self.err(ErrorKind::ReversedCharacterRange);
                        }
                        set.add(&CharSet::from_ranges(vec![(prev, c)]));
                    }
                }
            } else if self.pos + 1 < self.len()
                && self.is(self.pos, b'-')
                && !self.is(self.pos + 1, b']')
            {
                prev = c;
                in_range = true;
                self.pos += 1;
            } else if self.pos < self.len()
                && c == u16::from(b'-')
                && !translated
                && self.is(self.pos, b'[')
                && !is_first
            {
                self.pos += 1;
                let sub = self.scan_char_class(scan_only)?;
                if !scan_only {
                    subtract = sub;
                    if self.pos < self.len() && !self.is(self.pos, b']') {
                        return self.err(ErrorKind::ExclusionGroupNotLast);
                    }
                }
            } else if !scan_only {
                set.add(&CharSet::single(c));
            }
        }
        if !closed {
            return self.err(ErrorKind::UnterminatedBracket);
        }
        if scan_only {
            return Ok(None);
        }
        let mut set = CharSet::from_ranges(set.0);
        if self.opts & OPT_I != 0 {
            set = set.case_folded();
        }
        let mut set = if negate { set.negate() } else { set };
        if let Some(sub) = subtract {
            set = set.subtract(&sub);
        }
        Ok(Some(set))
    }
}

/// Ranges of a class being read, merged into a [`CharSet`] once the class is closed.
#[derive(Default)]
struct Ranges(Vec<(u16, u16)>);

impl Ranges {
    fn add(&mut self, set: &CharSet) {
        self.0.extend_from_slice(set.ranges());
    }
}
