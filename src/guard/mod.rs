//! A cheap pre-validation guard for GraphQL documents.
//!
//! async-graphql's validation re-walks fragment spreads without memoisation,
//! and its own depth and complexity limits run only after that validation,
//! so a tiny document can cost seconds of CPU before any limit applies.
//! [`check`] runs first: it lexes the document and makes one recursive-descent
//! pass over the executable-document grammar, in time and memory linear in
//! the document, and refuses it with a stable error code when a limit is
//! exceeded. Anything it cannot parse comes back with `Stats::parsed ==
//! false`, unmeasured: the handler then answers with a parse error (in
//! async-graphql's words where its parser agrees) and never runs it.
//!
//! What is measured where:
//! - Document-level counts (characters, tokens, aliases, directive uses,
//!   fragment spreads) cover every definition, used or not, and are checked
//!   while scanning, so they reject even a document that later turns out to
//!   be malformed.
//! - Depth, root fields, expanded fields, cost and introspection depth are
//!   measured for the operation that will run: the one named by
//!   `operation_name`, or the only one. When that is ambiguous (no name and
//!   several operations, or a name that matches nothing) the maximum over
//!   all operations is taken, because we cannot know which one runs.
//!   Fragments the measured operation does not reach do not count there.
//! - Because async-graphql validates *every* definition, reached or not,
//!   each operation and each fragment must also expand to at most
//!   `max_expanded_fields` fields on its own, and a fragment cycle anywhere
//!   is refused.
//! - Depth counts fields on the longest path (fragments and inline fragments
//!   add no level, as in async-graphql's `limit_depth`). A field named
//!   `__schema` or `__type` counts as one level and its subtree is measured
//!   by the introspection rule instead, because the standard introspection
//!   query nests `ofType` deeper than any sensible data-query depth limit.
//! - Introspection depth is the largest number of nested introspection
//!   *list* fields (`types`, `directives`, `fields`, `args`, `inputFields`,
//!   `interfaces`, `possibleTypes`, `enumValues`) on one path below
//!   `__schema`/`__type`. Lists are what multiply the response (`fields {
//!   type { fields { type { fields ... }}}}`), whereas `ofType`/`type` are
//!   single objects bounded by the schema, so they are free. The stock
//!   GraphiQL query reaches 3 (`types > fields > args`).
//! - Cost is the GitHub-style node estimate: each field costs the product of
//!   the sizes of itself and its ancestors. A field's size comes from the
//!   [`Bounds`] table, read by the type the field is on: one for a single
//!   value, the page size for a connection (`first`/`last`, or the default
//!   page of [`DEFAULT_PAGE_SIZE`] when neither is given), and for a plain
//!   list the largest such list in the graph, measured at load. A field the
//!   table does not know counts its `first`/`last` alone (one when absent),
//!   as every field does under [`check`], which has no table. A literal
//!   integer is taken as given; a variable uses the supplied value, else its
//!   declared integer default or [`DEFAULT_PAGE_SIZE`], whichever is larger;
//!   anything else (null, a float, a missing variable) counts as
//!   [`DEFAULT_PAGE_SIZE`]. Page sizes below 1 count as 1 so that every field
//!   costs at least one.
//!
//! Whatever the limits, selection sets may not nest more than
//! [`MAX_SELECTION_NESTING`] levels (inline fragments included) and input
//! values or list types more than [`MAX_VALUE_NESTING`] levels; both are
//! refused as `TOO_DEEP` so that neither this parser nor async-graphql's
//! recursive parser can be driven into a stack overflow.
//!
//! May import: `error_code` only; the engine runs it on every request it has not passed
//! before.

use std::collections::HashMap;

mod bounds;
mod lexer;
use bounds::Bound;
pub use bounds::{Bounds, Size};
use lexer::{Kind, LexEnd, Token};

use crate::error_code::ErrorCode;

/// Page size assumed for a `first`/`last` argument whose value is unknown, and for a
/// connection given neither (the paginator's default page).
pub const DEFAULT_PAGE_SIZE: u64 = 20;
/// The largest page a connection gives.
pub const MAX_PAGE_SIZE: u64 = 100;
/// Hard cap on nested selection sets, independent of `DocumentLimits::max_depth`.
pub const MAX_SELECTION_NESTING: usize = 128;
/// Hard cap on nested list/object values and list types.
pub const MAX_VALUE_NESTING: usize = 64;

const INTROSPECTION_ROOTS: [&str; 2] = ["__schema", "__type"];
const INTROSPECTION_LISTS: [&str; 8] = [
    "types",
    "directives",
    "fields",
    "args",
    "inputFields",
    "interfaces",
    "possibleTypes",
    "enumValues",
];

/// Every limit the guard enforces; `DocumentLimits::default()` is a safe setting for
/// a public endpoint.
#[derive(Clone, Debug)]
pub struct DocumentLimits {
    /// Length of the document in characters (not bytes).
    pub max_document_chars: usize,
    /// Lexical tokens (punctuators, names, numbers, strings).
    pub max_tokens: usize,
    /// Fields on the longest path of the measured operation, through fragments.
    pub max_depth: usize,
    /// Aliases written anywhere in the document.
    pub max_aliases: usize,
    /// Fields of the measured operation's root selection set, fragments expanded.
    pub max_root_fields: usize,
    /// Directive uses written anywhere in the document.
    pub max_directives: usize,
    /// Fragment spreads written anywhere in the document.
    pub max_fragment_spreads: usize,
    /// Fields as if every fragment spread were inlined.
    pub max_expanded_fields: usize,
    /// Node-count estimate of the measured operation.
    pub max_cost: u64,
    /// Nested introspection list fields on one path.
    pub max_introspection_depth: usize,
}

impl Default for DocumentLimits {
    fn default() -> Self {
        DocumentLimits {
            max_document_chars: 20_000,
            max_tokens: 2_000,
            max_depth: 12,
            max_aliases: 30,
            max_root_fields: 20,
            max_directives: 50,
            max_fragment_spreads: 100,
            max_expanded_fields: 2_000,
            max_cost: 50_000,
            max_introspection_depth: 3,
        }
    }
}

/// What the guard measured. When `parsed` is false only the document-level
/// counts gathered before the syntax error are meaningful.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub chars: usize,
    pub tokens: usize,
    pub depth: usize,
    pub aliases: usize,
    pub root_fields: usize,
    pub directives: usize,
    pub fragment_spreads: usize,
    pub expanded_fields: u64,
    pub cost: u64,
    pub introspection_depth: usize,
    pub parsed: bool,
}

/// A refusal: `code` says which limit (always one of the guard's codes), `message` is a
/// sentence for the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct Rejection {
    pub code: ErrorCode,
    pub message: String,
}

fn reject(code: ErrorCode, message: String) -> Rejection {
    Rejection { code, message }
}

fn to_usize(v: u64) -> usize {
    usize::try_from(v).unwrap_or(usize::MAX)
}

/// Measures `document` and refuses it when any limit is exceeded, costing
/// every field by its `first`/`last` alone (see [`check_with`]).
///
/// `variables` returns the integer value of a request variable, or `None`
/// when it is absent, null or not an integer.
pub fn check(
    document: &str,
    operation_name: Option<&str>,
    variables: &dyn Fn(&str) -> Option<i64>,
    limits: &DocumentLimits,
) -> Result<Stats, Rejection> {
    static NO_BOUNDS: std::sync::LazyLock<Bounds> = std::sync::LazyLock::new(Bounds::new);
    check_with(document, operation_name, variables, limits, &NO_BOUNDS)
}

/// Measures `document` and refuses it when any limit is exceeded, costing
/// each field by its real bound in `bounds` (see the module's opening comment).
pub fn check_with(
    document: &str,
    operation_name: Option<&str>,
    variables: &dyn Fn(&str) -> Option<i64>,
    limits: &DocumentLimits,
    bounds: &Bounds,
) -> Result<Stats, Rejection> {
    let chars = count_chars(document, limits.max_document_chars)?;
    let mut tokens = Vec::with_capacity(limits.max_tokens.min(document.len() / 2 + 1));
    let lexed = lexer::lex(document, limits.max_tokens, &mut tokens);
    if lexed == LexEnd::TooManyTokens {
        return Err(reject(
            ErrorCode::TooManyTokens,
            format!(
                "The document has more than {} tokens; the limit is {}.",
                limits.max_tokens, limits.max_tokens
            ),
        ));
    }
    let mut parser = Parser {
        src: document,
        toks: &tokens,
        pos: 0,
        limits,
        aliases: 0,
        directives: 0,
        spreads: 0,
        literal_depth: 0,
        nodes: Vec::new(),
        defs: Vec::new(),
    };
    let outcome = parser.parse_document();
    let mut stats = Stats {
        chars,
        tokens: tokens.len(),
        depth: parser.literal_depth,
        aliases: parser.aliases,
        directives: parser.directives,
        fragment_spreads: parser.spreads,
        ..Stats::default()
    };
    match outcome {
        Err(Stop::Reject(r)) => return Err(r),
        Err(Stop::Syntax) => return Ok(stats),
        Ok(()) if lexed != LexEnd::Done => return Ok(stats),
        Ok(()) => {}
    }
    analyse(
        &parser.nodes,
        &parser.defs,
        operation_name,
        variables,
        limits,
        bounds,
        &mut stats,
    )?;
    stats.parsed = true;
    Ok(stats)
}

/// Counts characters but gives up one past the limit, so a 10 MB document
/// costs only `max` characters of scanning before it is refused.
fn count_chars(doc: &str, max: usize) -> Result<usize, Rejection> {
    // A character is at least one byte, so a short enough byte length
    // settles the question without a bounded count.
    let n = if doc.len() <= max {
        doc.chars().count()
    } else {
        doc.chars().take(max.saturating_add(1)).count()
    };
    if n > max {
        return Err(reject(
            ErrorCode::DocumentTooLarge,
            format!("The document is longer than {max} characters; the limit is {max}."),
        ));
    }
    Ok(n)
}

// ---------------------------------------------------------------------------
// Parsing into a flat tree.

/// Why parsing stopped early.
enum Stop {
    Reject(Rejection),
    Syntax,
}

type PResult<T> = Result<T, Stop>;

/// The value of a `first`/`last` argument, kept symbolic until the variables
/// and their defaults are known.
#[derive(Clone, Copy, Debug)]
enum PageArg<'a> {
    Absent,
    Int(u64),
    Var(&'a str),
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum FieldClass {
    IntroRoot,
    IntroList,
    Plain,
}

#[derive(Clone, Copy, Debug)]
enum NodeKind<'a> {
    Field {
        name: &'a str,
        first: PageArg<'a>,
        last: PageArg<'a>,
        class: FieldClass,
    },
    Spread(&'a str),
    /// An inline fragment, with its type condition if it has one.
    Inline(Option<&'a str>),
}

/// A selection, stored in pre-order with a parent index so that analysis is
/// one forward pass without recursion.
#[derive(Clone, Copy, Debug)]
struct Node<'a> {
    parent: usize,
    kind: NodeKind<'a>,
}

const NO_PARENT: usize = usize::MAX;

/// An operation or fragment: its name and its nodes `start..end`.
struct Definition<'a> {
    name: Option<&'a str>,
    is_fragment: bool,
    /// The type its selections are on: the root type, or the fragment's type condition.
    on: &'a str,
    start: usize,
    end: usize,
    /// Integer defaults of the operation's variables.
    defaults: Vec<(&'a str, u64)>,
}

struct Parser<'a, 't> {
    src: &'a str,
    toks: &'t [Token],
    pos: usize,
    limits: &'t DocumentLimits,
    aliases: usize,
    directives: usize,
    spreads: usize,
    /// Deepest literal field nesting seen in an operation.
    literal_depth: usize,
    nodes: Vec<Node<'a>>,
    defs: Vec<Definition<'a>>,
}

fn classify(name: &str) -> FieldClass {
    if INTROSPECTION_ROOTS.contains(&name) {
        FieldClass::IntroRoot
    } else if INTROSPECTION_LISTS.contains(&name) {
        FieldClass::IntroList
    } else {
        FieldClass::Plain
    }
}

/// Parses an IntValue saturating; negative values become 0 and are raised
/// to 1 when used as a page size.
fn int_value(text: &str) -> u64 {
    if text.starts_with('-') {
        return 0;
    }
    text.bytes().fold(0u64, |acc, d| {
        acc.saturating_mul(10)
            .saturating_add(u64::from(d.wrapping_sub(b'0')))
    })
}

fn value_too_deep() -> Stop {
    Stop::Reject(reject(
        ErrorCode::TooDeep,
        format!(
            "The document nests input values or list types more than {MAX_VALUE_NESTING} levels deep; the limit is {MAX_VALUE_NESTING}."
        ),
    ))
}

impl<'a> Parser<'a, '_> {
    fn peek(&self) -> Option<Token> {
        self.toks.get(self.pos).copied()
    }

    fn text(&self, t: Token) -> &'a str {
        self.src.get(t.start..t.end).unwrap_or("")
    }

    fn at_punct(&self, c: u8) -> bool {
        matches!(self.peek(), Some(t) if t.kind == Kind::Punct(c))
    }

    fn eat_punct(&mut self, c: u8) -> bool {
        let hit = self.at_punct(c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn expect_punct(&mut self, c: u8) -> PResult<()> {
        if self.eat_punct(c) {
            Ok(())
        } else {
            Err(Stop::Syntax)
        }
    }

    fn at_name(&self) -> Option<&'a str> {
        self.peek()
            .filter(|t| t.kind == Kind::Name)
            .map(|t| self.text(t))
    }

    fn expect_name(&mut self) -> PResult<&'a str> {
        let name = self.at_name().ok_or(Stop::Syntax)?;
        self.pos += 1;
        Ok(name)
    }

    fn parse_document(&mut self) -> PResult<()> {
        if self.toks.is_empty() {
            return Err(Stop::Syntax);
        }
        while self.pos < self.toks.len() {
            self.parse_definition()?;
        }
        Ok(())
    }

    fn parse_definition(&mut self) -> PResult<()> {
        let start = self.nodes.len();
        let mut def = Definition {
            name: None,
            is_fragment: false,
            on: "Query",
            start,
            end: start,
            defaults: Vec::new(),
        };
        if !self.at_punct(b'{') {
            match self.expect_name()? {
                keyword @ ("query" | "mutation" | "subscription") => {
                    def.on = match keyword {
                        "query" => "Query",
                        "mutation" => "Mutation",
                        _ => "Subscription",
                    };
                    def.name = self.at_name();
                    if def.name.is_some() {
                        self.pos += 1;
                    }
                    if self.eat_punct(b'(') {
                        while !self.eat_punct(b')') {
                            self.parse_variable_definition(&mut def.defaults)?;
                        }
                    }
                }
                "fragment" => {
                    let name = self.expect_name()?;
                    if name == "on" || self.expect_name()? != "on" {
                        return Err(Stop::Syntax);
                    }
                    def.on = self.expect_name()?;
                    def.name = Some(name);
                    def.is_fragment = true;
                }
                _ => return Err(Stop::Syntax),
            }
            self.parse_directives()?;
        }
        let in_op = !def.is_fragment;
        self.parse_selection_set(NO_PARENT, 1, 0, false, in_op)?;
        def.end = self.nodes.len();
        self.defs.push(def);
        Ok(())
    }

    fn parse_variable_definition(&mut self, defaults: &mut Vec<(&'a str, u64)>) -> PResult<()> {
        self.expect_punct(b'$')?;
        let name = self.expect_name()?;
        self.expect_punct(b':')?;
        // List types are read iteratively: count the brackets, then close them.
        let mut open = 0;
        while self.eat_punct(b'[') {
            open += 1;
            if open > MAX_VALUE_NESTING {
                return Err(value_too_deep());
            }
        }
        self.expect_name()?;
        self.eat_punct(b'!');
        for _ in 0..open {
            self.expect_punct(b']')?;
            self.eat_punct(b'!');
        }
        if self.eat_punct(b'=')
            && let PageArg::Int(v) = self.parse_value(0)?
        {
            defaults.push((name, v));
        }
        self.parse_directives()
    }

    fn parse_directives(&mut self) -> PResult<()> {
        while self.eat_punct(b'@') {
            self.directives += 1;
            if self.directives > self.limits.max_directives {
                let max = self.limits.max_directives;
                return Err(Stop::Reject(reject(
                    ErrorCode::TooManyDirectives,
                    format!("The document uses more than {max} directives; the limit is {max}."),
                )));
            }
            self.expect_name()?;
            if self.at_punct(b'(') {
                self.parse_arguments()?;
            }
        }
        Ok(())
    }

    /// Parses `( name: value ... )` and returns the `first`/`last` values.
    fn parse_arguments(&mut self) -> PResult<(PageArg<'a>, PageArg<'a>)> {
        self.expect_punct(b'(')?;
        let (mut first, mut last) = (PageArg::Absent, PageArg::Absent);
        while !self.eat_punct(b')') {
            let name = self.expect_name()?;
            self.expect_punct(b':')?;
            let value = self.parse_value(0)?;
            match name {
                "first" => first = value,
                "last" => last = value,
                _ => {}
            }
        }
        Ok((first, last))
    }

    /// Parses one value; the recursion is bounded by `MAX_VALUE_NESTING`.
    fn parse_value(&mut self, depth: usize) -> PResult<PageArg<'a>> {
        let t = self.peek().ok_or(Stop::Syntax)?;
        self.pos += 1;
        match t.kind {
            Kind::Punct(b'$') => Ok(PageArg::Var(self.expect_name()?)),
            Kind::Int => Ok(PageArg::Int(int_value(self.text(t)))),
            Kind::Float | Kind::Str | Kind::Name => Ok(PageArg::Other),
            Kind::Punct(b'[') => {
                if depth >= MAX_VALUE_NESTING {
                    return Err(value_too_deep());
                }
                while !self.eat_punct(b']') {
                    self.parse_value(depth + 1)?;
                }
                Ok(PageArg::Other)
            }
            Kind::Punct(b'{') => {
                if depth >= MAX_VALUE_NESTING {
                    return Err(value_too_deep());
                }
                while !self.eat_punct(b'}') {
                    self.expect_name()?;
                    self.expect_punct(b':')?;
                    self.parse_value(depth + 1)?;
                }
                Ok(PageArg::Other)
            }
            _ => Err(Stop::Syntax),
        }
    }

    /// Parses a selection set. `nesting` counts selection sets (bounded by
    /// `MAX_SELECTION_NESTING`, which bounds the recursion); `depth` counts
    /// fields outside introspection, which in an operation is exactly the
    /// depth the analysis will find, so it can be refused here already.
    fn parse_selection_set(
        &mut self,
        parent: usize,
        nesting: usize,
        depth: usize,
        in_intro: bool,
        in_op: bool,
    ) -> PResult<()> {
        self.expect_punct(b'{')?;
        if nesting > MAX_SELECTION_NESTING {
            return Err(Stop::Reject(reject(
                ErrorCode::TooDeep,
                format!(
                    "The document nests selection sets more than {MAX_SELECTION_NESTING} levels deep; the limit is {MAX_SELECTION_NESTING}."
                ),
            )));
        }
        while !self.eat_punct(b'}') {
            if self.peek().is_some_and(|t| t.kind == Kind::Spread) {
                self.pos += 1;
                match self.at_name() {
                    Some(name) if name != "on" => {
                        self.pos += 1;
                        self.spreads += 1;
                        if self.spreads > self.limits.max_fragment_spreads {
                            let max = self.limits.max_fragment_spreads;
                            return Err(Stop::Reject(reject(
                                ErrorCode::TooManyFragmentSpreads,
                                format!(
                                    "The document contains more than {max} fragment spreads; the limit is {max}."
                                ),
                            )));
                        }
                        self.nodes.push(Node {
                            parent,
                            kind: NodeKind::Spread(name),
                        });
                        self.parse_directives()?;
                    }
                    on => {
                        let condition = if on.is_some() {
                            self.pos += 1;
                            Some(self.expect_name()?)
                        } else {
                            None
                        };
                        self.parse_directives()?;
                        let idx = self.nodes.len();
                        self.nodes.push(Node {
                            parent,
                            kind: NodeKind::Inline(condition),
                        });
                        self.parse_selection_set(idx, nesting + 1, depth, in_intro, in_op)?;
                    }
                }
                continue;
            }
            let mut name = self.expect_name()?;
            if self.eat_punct(b':') {
                self.aliases += 1;
                if self.aliases > self.limits.max_aliases {
                    let max = self.limits.max_aliases;
                    return Err(Stop::Reject(reject(
                        ErrorCode::TooManyAliases,
                        format!("The document uses more than {max} aliases; the limit is {max}."),
                    )));
                }
                name = self.expect_name()?;
            }
            let (first, last) = if self.at_punct(b'(') {
                self.parse_arguments()?
            } else {
                (PageArg::Absent, PageArg::Absent)
            };
            self.parse_directives()?;
            let class = classify(name);
            let idx = self.nodes.len();
            self.nodes.push(Node {
                parent,
                kind: NodeKind::Field {
                    name,
                    first,
                    last,
                    class,
                },
            });
            let (depth, child_intro) = if in_intro {
                (depth, true)
            } else {
                (depth + 1, class == FieldClass::IntroRoot)
            };
            if in_op {
                self.literal_depth = self.literal_depth.max(depth);
                if depth > self.limits.max_depth {
                    return Err(Stop::Reject(too_deep(depth as u64, self.limits.max_depth)));
                }
            }
            if self.at_punct(b'{') {
                self.parse_selection_set(idx, nesting + 1, depth, child_intro, in_op)?;
            }
        }
        Ok(())
    }
}

fn too_deep(depth: u64, max: usize) -> Rejection {
    reject(
        ErrorCode::TooDeep,
        format!("The document nests selections {depth} levels deep; the limit is {max}."),
    )
}

// ---------------------------------------------------------------------------
// Analysis with per-fragment memoisation.

/// Measurements of one definition, or of all fragments sharing a name.
/// Every value is relative to the definition's root: cost at page-size
/// multiplier 1 (cost is linear in the multiplier, so a spread scales it),
/// depth below the root.
#[derive(Clone, Copy, Debug, Default)]
struct Agg {
    /// Deepest field nesting outside introspection.
    depth: u64,
    fields: u64,
    cost: u64,
    /// Fields at the root level, through spreads and inline fragments.
    top: u64,
    /// Introspection depth when the root is outside introspection.
    intro_out: u64,
    /// Introspection depth when the root is already inside `__schema`/`__type`,
    /// which is how a fragment on `__Type` spread there is measured.
    intro_in: u64,
}

/// The context a node passes to its children during the forward pass.
#[derive(Clone, Copy)]
struct Ctx {
    depth: u64,
    mult: u64,
    top: bool,
    /// `Some(list levels)` once below `__schema`/`__type`.
    intro_out: Option<u64>,
    intro_in: u64,
    /// The type the node's selections are on, where the bounds table knows it.
    ty: Option<u32>,
}

const ROOT_CTX: Ctx = Ctx {
    depth: 0,
    mult: 1,
    top: true,
    intro_out: None,
    intro_in: 0,
    ty: None,
};

/// Turns page-size arguments into multipliers, asking the caller once per
/// variable name.
struct Pages<'a, 'v> {
    variables: &'v dyn Fn(&str) -> Option<i64>,
    defaults: HashMap<&'a str, u64>,
    cache: HashMap<&'a str, u64>,
}

impl<'a> Pages<'a, '_> {
    fn multiplier(&mut self, arg: PageArg<'a>) -> u64 {
        match arg {
            PageArg::Absent => 1,
            PageArg::Int(v) => v.max(1),
            PageArg::Other => DEFAULT_PAGE_SIZE,
            PageArg::Var(name) => {
                if let Some(&v) = self.cache.get(name) {
                    return v;
                }
                let v = match (self.variables)(name) {
                    Some(v) => u64::try_from(v).unwrap_or(0).max(1),
                    None => self
                        .defaults
                        .get(name)
                        .copied()
                        .unwrap_or(0)
                        .max(DEFAULT_PAGE_SIZE),
                };
                self.cache.insert(name, v);
                v
            }
        }
    }
}

/// Measures one definition in a single forward pass over its nodes, using
/// the memoised measurements of the fragments it spreads.
fn analyse_def<'a>(
    nodes: &[Node<'a>],
    def: &Definition<'a>,
    groups: &HashMap<&'a str, usize>,
    memo: &[Agg],
    pages: &mut Pages<'a, '_>,
    bounds: &Bounds,
    ctx: &mut Vec<Ctx>,
) -> Agg {
    ctx.clear();
    let mut agg = Agg::default();
    let root = Ctx {
        ty: bounds.type_named(def.on),
        ..ROOT_CTX
    };
    for node in nodes.get(def.start..def.end).unwrap_or(&[]) {
        // Parents precede children, so the parent's context is already known.
        let p = if node.parent == NO_PARENT {
            root
        } else {
            node.parent
                .checked_sub(def.start)
                .and_then(|i| ctx.get(i))
                .copied()
                .unwrap_or(root)
        };
        let here = match node.kind {
            NodeKind::Field {
                name,
                first,
                last,
                class,
            } => {
                let bound = bounds.field(p.ty, name);
                let own = match (bound, first, last) {
                    (
                        Some(Bound {
                            size: Size::List(n),
                            ..
                        }),
                        _,
                        _,
                    ) => n.max(1),
                    (
                        Some(Bound {
                            size: Size::Page, ..
                        }),
                        PageArg::Absent,
                        PageArg::Absent,
                    ) => DEFAULT_PAGE_SIZE,
                    _ => pages.multiplier(first).max(pages.multiplier(last)),
                };
                let mult = p.mult.saturating_mul(own);
                let list = u64::from(class == FieldClass::IntroList);
                let (depth, intro_out) = match p.intro_out {
                    Some(levels) => (p.depth, Some(levels.saturating_add(list))),
                    None => (
                        p.depth.saturating_add(1),
                        (class == FieldClass::IntroRoot).then_some(0),
                    ),
                };
                let intro_in = p.intro_in.saturating_add(list);
                agg.fields = agg.fields.saturating_add(1);
                agg.cost = agg.cost.saturating_add(mult);
                agg.top = agg.top.saturating_add(u64::from(p.top));
                agg.depth = agg.depth.max(depth);
                agg.intro_out = agg.intro_out.max(intro_out.unwrap_or(0));
                agg.intro_in = agg.intro_in.max(intro_in);
                Ctx {
                    depth,
                    mult,
                    top: false,
                    intro_out,
                    intro_in,
                    ty: bound.and_then(|b| b.ty),
                }
            }
            NodeKind::Inline(condition) => Ctx {
                ty: condition.map_or(p.ty, |c| bounds.type_named(c)),
                ..p
            },
            NodeKind::Spread(name) => {
                // Unknown fragments count as nothing; async-graphql reports them.
                if let Some(f) = groups.get(name).and_then(|&g| memo.get(g)) {
                    agg.fields = agg.fields.saturating_add(f.fields);
                    agg.cost = agg.cost.saturating_add(p.mult.saturating_mul(f.cost));
                    if p.top {
                        agg.top = agg.top.saturating_add(f.top);
                    }
                    match p.intro_out {
                        Some(levels) => {
                            agg.intro_out = agg.intro_out.max(levels.saturating_add(f.intro_in));
                        }
                        None => {
                            agg.depth = agg.depth.max(p.depth.saturating_add(f.depth));
                            agg.intro_out = agg.intro_out.max(f.intro_out);
                        }
                    }
                    agg.intro_in = agg.intro_in.max(p.intro_in.saturating_add(f.intro_in));
                }
                p
            }
        };
        ctx.push(here);
    }
    agg
}

fn analyse<'a>(
    nodes: &[Node<'a>],
    defs: &[Definition<'a>],
    operation_name: Option<&str>,
    variables: &dyn Fn(&str) -> Option<i64>,
    limits: &DocumentLimits,
    bounds: &Bounds,
    stats: &mut Stats,
) -> Result<(), Rejection> {
    // Fragments sharing a name (invalid, but async-graphql still validates
    // them) are measured as one fragment whose body is their concatenation,
    // which bounds whichever of them is used.
    let mut groups: HashMap<&'a str, usize> = HashMap::new();
    let mut group_defs: Vec<(&'a str, Vec<&Definition<'a>>)> = Vec::new();
    for def in defs.iter().filter(|d| d.is_fragment) {
        let name = def.name.unwrap_or("");
        let g = *groups.entry(name).or_insert_with(|| {
            group_defs.push((name, Vec::new()));
            group_defs.len() - 1
        });
        if let Some((_, members)) = group_defs.get_mut(g) {
            members.push(def);
        }
    }

    // Without a unique choice every operation might run, so all are measured.
    let named_exists =
        operation_name.is_some_and(|w| defs.iter().any(|d| !d.is_fragment && d.name == Some(w)));
    let is_measured = |d: &Definition<'a>| !named_exists || d.name == operation_name;

    let mut defaults: HashMap<&'a str, u64> = HashMap::new();
    let measured_defaults = defs
        .iter()
        .filter(|d| !d.is_fragment && is_measured(d))
        .flat_map(|d| d.defaults.iter());
    for &(name, v) in measured_defaults {
        let e = defaults.entry(name).or_insert(0);
        *e = (*e).max(v);
    }
    let mut pages = Pages {
        variables,
        defaults,
        cache: HashMap::new(),
    };

    // Depth-first search over fragment names with three colours, iterative
    // so that a long chain of fragments cannot overflow the stack; a
    // fragment is measured when it turns black, after everything it spreads.
    let edges: Vec<Vec<usize>> = group_defs
        .iter()
        .map(|(_, members)| {
            members
                .iter()
                .flat_map(|d| nodes.get(d.start..d.end).unwrap_or(&[]))
                .filter_map(|n| match n.kind {
                    NodeKind::Spread(name) => groups.get(name).copied(),
                    _ => None,
                })
                .collect()
        })
        .collect();
    const WHITE: u8 = 0;
    const GREY: u8 = 1;
    const BLACK: u8 = 2;
    let mut colour = vec![WHITE; group_defs.len()];
    let mut memo = vec![Agg::default(); group_defs.len()];
    let mut ctx = Vec::new();
    let mut stack: Vec<(usize, usize)> = Vec::new();
    for root in 0..group_defs.len() {
        if colour.get(root) != Some(&WHITE) {
            continue;
        }
        colour[root] = GREY;
        stack.push((root, 0));
        while let Some(top) = stack.last_mut() {
            let (g, next) = *top;
            if let Some(&t) = edges.get(g).and_then(|e| e.get(next)) {
                top.1 += 1;
                match colour.get(t) {
                    Some(&WHITE) => {
                        colour[t] = GREY;
                        stack.push((t, 0));
                    }
                    Some(&GREY) => {
                        let name = group_defs.get(t).map_or("", |(n, _)| n);
                        return Err(reject(
                            ErrorCode::FragmentCycle,
                            format!(
                                "The fragment \"{name}\" spreads itself, directly or through other fragments."
                            ),
                        ));
                    }
                    _ => {}
                }
            } else {
                stack.pop();
                colour[g] = BLACK;
                let mut total = Agg::default();
                for d in group_defs.get(g).map_or(&[][..], |(_, m)| m) {
                    let a = analyse_def(nodes, d, &groups, &memo, &mut pages, bounds, &mut ctx);
                    total = Agg {
                        depth: total.depth.max(a.depth),
                        fields: total.fields.saturating_add(a.fields),
                        cost: total.cost.saturating_add(a.cost),
                        top: total.top.saturating_add(a.top),
                        intro_out: total.intro_out.max(a.intro_out),
                        intro_in: total.intro_in.max(a.intro_in),
                    };
                }
                memo[g] = total;
            }
        }
    }

    let max_fields = limits.max_expanded_fields as u64;
    let mut run = Agg::default();
    for op in defs.iter().filter(|d| !d.is_fragment) {
        let a = analyse_def(nodes, op, &groups, &memo, &mut pages, bounds, &mut ctx);
        if is_measured(op) {
            run = Agg {
                depth: run.depth.max(a.depth),
                fields: run.fields.max(a.fields),
                cost: run.cost.max(a.cost),
                top: run.top.max(a.top),
                intro_out: run.intro_out.max(a.intro_out),
                intro_in: 0,
            };
        } else if a.fields > max_fields {
            let name = op.name.unwrap_or("(anonymous)");
            return Err(reject(
                ErrorCode::TooManyFields,
                format!(
                    "The operation \"{name}\" selects {} fields once fragments are expanded; the limit is {max_fields}.",
                    a.fields
                ),
            ));
        }
    }
    stats.depth = to_usize(run.depth);
    stats.root_fields = to_usize(run.top);
    stats.expanded_fields = run.fields;
    stats.cost = run.cost;
    stats.introspection_depth = to_usize(run.intro_out);

    // Expanded fields come first: they are what validation time tracks,
    // which is the attack this guard exists for.
    if run.fields > max_fields {
        return Err(reject(
            ErrorCode::TooManyFields,
            format!(
                "The operation selects {} fields once fragments are expanded; the limit is {max_fields}.",
                run.fields
            ),
        ));
    }
    if run.cost > limits.max_cost {
        return Err(reject(
            ErrorCode::TooCostly,
            format!(
                "The operation could return about {} nodes; the limit is {}.",
                run.cost, limits.max_cost
            ),
        ));
    }
    if run.depth > limits.max_depth as u64 {
        return Err(too_deep(run.depth, limits.max_depth));
    }
    if run.top > limits.max_root_fields as u64 {
        return Err(reject(
            ErrorCode::TooManyRootFields,
            format!(
                "The operation selects {} root fields; the limit is {}.",
                run.top, limits.max_root_fields
            ),
        ));
    }
    if run.intro_out > limits.max_introspection_depth as u64 {
        return Err(reject(
            ErrorCode::IntrospectionTooDeep,
            format!(
                "The introspection query nests list fields {} levels deep; the limit is {}.",
                run.intro_out, limits.max_introspection_depth
            ),
        ));
    }
    // Validation walks unused fragments too, so each must fit on its own.
    for ((name, _), a) in group_defs.iter().zip(&memo) {
        if a.fields > max_fields {
            return Err(reject(
                ErrorCode::TooManyFields,
                format!(
                    "The fragment \"{name}\" expands to {} fields; the limit is {max_fields}.",
                    a.fields
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
