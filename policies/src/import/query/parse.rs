//! A PromQL parser for the recogniser: the expression grammar (selectors with label
//! matchers, range and subquery selectors, `offset` and `@`, function calls,
//! aggregations with `by`/`without` before or after their arguments and a parameter,
//! binary operators with `bool`, `on`/`ignoring` and `group_left`/`group_right`, unary
//! signs, numbers, durations, strings, comments) into a small tree.
//!
//! Template placeholders (`{{ interval }}`, Flagger's; an unresolved Argo
//! `{{args.window}}`) are one token, so a range selector may hold one; inside a string
//! they are part of the string.
//!
//! It never panics and always ends: the text is at most [`MAX_QUERY_BYTES`], every token
//! is consumed once, and every node of the tree is at most [`MAX_DEPTH`] deep (a long
//! `a + b + c + ...` chain is deep too, so the bound is on the tree, not only on the
//! parser's recursion), which also bounds the recursion of whatever walks the tree.

use std::fmt;

use crate::import::lexer::{self, Lexeme, Lexer, Lexicon};

/// Longest query read. Real queries hold a few hundred bytes; rollcage's own longest
/// export (a relative latency gate with traffic guards) under 1 KiB.
pub const MAX_QUERY_BYTES: usize = 16 * 1024;
/// Deepest tree accepted (rollcage's own exports reach about 20).
pub const MAX_DEPTH: usize = 96;

/// A duration: a range, a subquery step or an offset.
#[derive(Clone, Debug, PartialEq)]
pub enum Dur {
    Seconds(f64),
    /// A template placeholder, by its inner text (`interval`, `args.window`).
    Template(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatchOp {
    Eq,
    Ne,
    Re,
    Nre,
}

impl MatchOp {
    fn text(self) -> &'static str {
        match self {
            MatchOp::Eq => "=",
            MatchOp::Ne => "!=",
            MatchOp::Re => "=~",
            MatchOp::Nre => "!~",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Matcher {
    pub label: String,
    pub op: MatchOp,
    pub value: String,
}

impl fmt::Display for Matcher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}{:?}", self.label, self.op.text(), self.value)
    }
}

/// A vector selector: the metric name (absent in `{__name__="x"}`, which keeps it as a
/// matcher) and its label matchers.
#[derive(Clone, Debug, PartialEq)]
pub struct Selector {
    pub name: Option<String>,
    pub matchers: Vec<Matcher>,
}

impl Selector {
    /// The metric name, from the name or from a `__name__=` matcher.
    pub fn metric(&self) -> Option<&str> {
        self.name.as_deref().or_else(|| {
            self.matchers
                .iter()
                .find(|m| m.label == "__name__" && m.op == MatchOp::Eq)
                .map(|m| m.value.as_str())
        })
    }

    /// The label matchers other than the name.
    pub fn labels(&self) -> impl Iterator<Item = &Matcher> {
        self.matchers.iter().filter(|m| m.label != "__name__")
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Grouping {
    pub without: bool,
    pub labels: Vec<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Agg {
    pub op: String,
    pub grouping: Option<Grouping>,
    /// `topk(3, ...)`'s 3.
    pub param: Option<Box<Expr>>,
    pub expr: Box<Expr>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Or,
    And,
    Unless,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Add,
    Sub,
    Mul,
    Div,
    Mod,
    Pow,
    Atan2,
}

impl BinOp {
    fn precedence(self) -> u8 {
        match self {
            BinOp::Or => 1,
            BinOp::And | BinOp::Unless => 2,
            BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge => 3,
            BinOp::Add | BinOp::Sub => 4,
            BinOp::Mul | BinOp::Div | BinOp::Mod | BinOp::Atan2 => 5,
            BinOp::Pow => 6,
        }
    }

    pub fn is_comparison(self) -> bool {
        self.precedence() == 3
    }

    pub fn text(self) -> &'static str {
        match self {
            BinOp::Or => "or",
            BinOp::And => "and",
            BinOp::Unless => "unless",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Mod => "%",
            BinOp::Pow => "^",
            BinOp::Atan2 => "atan2",
        }
    }
}

/// `on(...)`/`ignoring(...)` and `group_left(...)`/`group_right(...)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Matching {
    pub on: bool,
    pub labels: Vec<String>,
    /// `Some((left, labels))` for a many-to-one match.
    pub group: Option<(bool, Vec<String>)>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Binary {
    pub op: BinOp,
    pub lhs: Expr,
    pub rhs: Expr,
    /// The `bool` modifier of a comparison.
    pub bool_mod: bool,
    pub matching: Option<Matching>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    Num(f64),
    Str(String),
    /// A template placeholder where an expression stands (`{{ args.threshold }}`).
    Template(String),
    Selector(Selector),
    Range(Selector, Dur),
    Subquery {
        expr: Box<Expr>,
        range: Dur,
        step: Option<Dur>,
    },
    Call(String, Vec<Expr>),
    Agg(Agg),
    Binary(Box<Binary>),
    Neg(Box<Expr>),
    Paren(Box<Expr>),
    /// `offset` or `@`, with the modifier as written.
    Shifted(Box<Expr>, String),
}

impl Expr {
    /// The expression inside any parentheses.
    pub fn unparen(&self) -> &Expr {
        let mut e = self;
        while let Expr::Paren(inner) = e {
            e = inner;
        }
        e
    }
}

/// A parse error: what was expected, and where (a byte offset).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    pub at: usize,
    pub what: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (at byte {})", self.what, self.at)
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Ident(String),
    Num(f64),
    Dur(f64),
    Str(String),
    Template(String),
    LParen,
    RParen,
    LBrace,
    RBrace,
    LBracket,
    RBracket,
    Comma,
    Colon,
    At,
    /// `=`, only in label matchers.
    Assign,
    /// `=~` and `!~`.
    Match(MatchOp),
    Op(BinOp),
    End,
}

impl Tok {
    fn describe(&self) -> String {
        match self {
            Tok::Ident(s) => format!("`{s}`"),
            Tok::Num(n) => format!("the number {n}"),
            Tok::Dur(_) => "a duration".into(),
            Tok::Str(s) => format!("the string {s:?}"),
            Tok::Template(t) => format!("the template {{{{ {t} }}}}"),
            Tok::LParen => "`(`".into(),
            Tok::RParen => "`)`".into(),
            Tok::LBrace => "`{`".into(),
            Tok::RBrace => "`}`".into(),
            Tok::LBracket => "`[`".into(),
            Tok::RBracket => "`]`".into(),
            Tok::Comma => "`,`".into(),
            Tok::Colon => "`:`".into(),
            Tok::At => "`@`".into(),
            Tok::Assign => "`=`".into(),
            Tok::Match(m) => format!("`{}`", m.text()),
            Tok::Op(o) => format!("`{}`", o.text()),
            Tok::End => "the end of the query".into(),
        }
    }
}

fn err<T>(at: usize, what: impl Into<String>) -> Result<T, ParseError> {
    Err(ParseError {
        at,
        what: what.into(),
    })
}

/// The seconds of one unit of a PromQL duration.
fn unit_seconds(u: &str) -> Option<f64> {
    Some(match u {
        "ms" => 0.001,
        "s" => 1.0,
        "m" => 60.0,
        "h" => 3600.0,
        "d" => 86_400.0,
        "w" => 604_800.0,
        "y" => 31_536_000.0,
        _ => return None,
    })
}

/// PromQL's operators and brackets. `!` alone is none of them: it is refused as such.
static LEXICON: Lexicon<Tok> = Lexicon {
    symbols: &[
        ("(", Tok::LParen),
        (")", Tok::RParen),
        ("{", Tok::LBrace),
        ("}", Tok::RBrace),
        ("[", Tok::LBracket),
        ("]", Tok::RBracket),
        (",", Tok::Comma),
        (":", Tok::Colon),
        ("@", Tok::At),
        ("+", Tok::Op(BinOp::Add)),
        ("-", Tok::Op(BinOp::Sub)),
        ("*", Tok::Op(BinOp::Mul)),
        ("/", Tok::Op(BinOp::Div)),
        ("%", Tok::Op(BinOp::Mod)),
        ("^", Tok::Op(BinOp::Pow)),
        ("==", Tok::Op(BinOp::Eq)),
        ("!=", Tok::Op(BinOp::Ne)),
        ("<", Tok::Op(BinOp::Lt)),
        ("<=", Tok::Op(BinOp::Le)),
        (">", Tok::Op(BinOp::Gt)),
        (">=", Tok::Op(BinOp::Ge)),
        ("=", Tok::Assign),
        ("=~", Tok::Match(MatchOp::Re)),
        ("!~", Tok::Match(MatchOp::Nre)),
    ],
    word_start: b"",
    word_more: b":",
    comment: Some(b'#'),
    digit_separator: false,
};

fn lex(src: &str) -> Result<Vec<(Tok, usize)>, ParseError> {
    let mut out = Vec::new();
    let mut lexer = Lexer::new(src, &LEXICON);
    while let Some((lexeme, at)) = lexer.next_lexeme() {
        let tok = match lexeme {
            Lexeme::Symbol(t) => t,
            Lexeme::Word(w) => Tok::Ident(w.to_string()),
            Lexeme::Template(Some(inner)) => Tok::Template(inner.to_string()),
            Lexeme::Template(None) => return err(at, "a template `{{` without its `}}`"),
            Lexeme::Quote(_) => {
                let (s, next) = string(src, at)?;
                lexer.seek(next);
                Tok::Str(s)
            }
            Lexeme::Number(decimal) => {
                let (t, next) = number_or_duration(src, at, at + decimal.len())?;
                lexer.seek(next);
                t
            }
            // A `.` without a digit is where PromQL reads a number too, and is refused
            // as one.
            Lexeme::Other('.') => {
                let (t, next) = number_or_duration(src, at, lexer::decimal_end(src, at, false))?;
                lexer.seek(next);
                t
            }
            Lexeme::Other('!') => return err(at, "`!` alone (PromQL has `!=` and `!~`)"),
            Lexeme::Other(ch) => return err(at, format!("unexpected character {ch:?}")),
        };
        out.push((tok, at));
    }
    out.push((Tok::End, src.len()));
    Ok(out)
}

/// A quoted string from `at` (its opening quote): the text and the offset after it.
fn string(src: &str, at: usize) -> Result<(String, usize), ParseError> {
    let b = src.as_bytes();
    let q = b[at];
    let mut out = String::new();
    let mut i = at + 1;
    loop {
        let Some(ch) = src[i..].chars().next() else {
            return err(at, "a string without its closing quote");
        };
        if ch as u32 == u32::from(q) {
            return Ok((out, i + 1));
        }
        if ch == '\\' && q != b'`' {
            let Some(e) = src[i + 1..].chars().next() else {
                return err(at, "a string without its closing quote");
            };
            let simple = match e {
                'n' => Some('\n'),
                't' => Some('\t'),
                'r' => Some('\r'),
                'a' => Some('\u{7}'),
                'b' => Some('\u{8}'),
                'f' => Some('\u{c}'),
                'v' => Some('\u{b}'),
                '\\' | '"' | '\'' => Some(e),
                _ => None,
            };
            if let Some(s) = simple {
                out.push(s);
                i += 1 + e.len_utf8();
                continue;
            }
            let digits = match e {
                'x' => 2,
                'u' => 4,
                'U' => 8,
                _ => return err(i, format!("unknown escape `\\{e}` in a string")),
            };
            let hex = src.get(i + 2..i + 2 + digits).unwrap_or("");
            let Some(c) = u32::from_str_radix(hex, 16).ok().and_then(char::from_u32) else {
                return err(i, format!("a bad `\\{e}` escape in a string"));
            };
            if hex.len() != digits || !hex.bytes().all(|h| h.is_ascii_hexdigit()) {
                return err(i, format!("a bad `\\{e}` escape in a string"));
            }
            out.push(c);
            i += 2 + digits;
            continue;
        }
        out.push(ch);
        i += ch.len_utf8();
    }
}

/// A number from `at`: hexadecimal (`0x1F`), a duration (`1h30m`), or the decimal
/// number the lexer found, which ends at `decimal_end`.
fn number_or_duration(
    src: &str,
    at: usize,
    decimal_end: usize,
) -> Result<(Tok, usize), ParseError> {
    let b = src.as_bytes();
    let digits_end = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    // Hexadecimal.
    if b[at] == b'0' && matches!(b.get(at + 1), Some(b'x' | b'X')) {
        let mut i = at + 2;
        while i < b.len() && b[i].is_ascii_hexdigit() {
            i += 1;
        }
        let Ok(v) = u64::from_str_radix(&src[at + 2..i], 16) else {
            return err(at, "a bad hexadecimal number");
        };
        return Ok((Tok::Num(v as f64), i));
    }
    let int_end = digits_end(at);
    // A duration: digits and a unit, repeated (`1h30m`).
    if int_end > at && int_end < b.len() && b"smhdwy".contains(&b[int_end]) {
        let mut total = 0.0;
        let mut i = at;
        loop {
            let d_end = digits_end(i);
            if d_end == i {
                break;
            }
            let u_len = if src[d_end..].starts_with("ms") {
                2
            } else if d_end < b.len() && b"smhdwy".contains(&b[d_end]) {
                1
            } else {
                return err(d_end, "a duration part without its unit");
            };
            let n: f64 = src[i..d_end].parse().unwrap_or(f64::INFINITY);
            total += n * unit_seconds(&src[d_end..d_end + u_len]).unwrap_or(1.0);
            i = d_end + u_len;
        }
        if i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
            return err(i, "a duration followed by letters");
        }
        return Ok((Tok::Dur(total), i));
    }
    let i = decimal_end;
    if i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
        return err(i, "a number followed by letters");
    }
    match src[at..i].parse::<f64>() {
        Ok(v) => Ok((Tok::Num(v), i)),
        Err(_) => err(at, format!("a bad number `{}`", &src[at..i])),
    }
}

const AGGREGATIONS: [&str; 14] = [
    "sum",
    "avg",
    "count",
    "min",
    "max",
    "group",
    "stddev",
    "stdvar",
    "topk",
    "bottomk",
    "quantile",
    "count_values",
    "limitk",
    "limit_ratio",
];

struct Parser {
    toks: Vec<(Tok, usize)>,
    pos: usize,
    /// How deep the parser's recursion is, bounded like the tree.
    nesting: usize,
}

/// A parsed expression and the height of its tree.
type Node = (Expr, usize);

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)].0
    }

    fn at(&self) -> usize {
        self.toks[self.pos.min(self.toks.len() - 1)].1
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn expect(&mut self, want: &Tok, what: &str) -> Result<(), ParseError> {
        if self.peek() == want {
            self.bump();
            Ok(())
        } else {
            err(
                self.at(),
                format!("expected {what}, found {}", self.peek().describe()),
            )
        }
    }

    fn height(&self, h: usize) -> Result<usize, ParseError> {
        if h > MAX_DEPTH {
            err(
                self.at(),
                format!("the query nests deeper than {MAX_DEPTH} levels"),
            )
        } else {
            Ok(h)
        }
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return err(
                self.at(),
                format!("the query nests deeper than {MAX_DEPTH} levels"),
            );
        }
        Ok(())
    }

    fn binop(&self) -> Option<BinOp> {
        match self.peek() {
            Tok::Op(o) => Some(*o),
            Tok::Ident(w) => match w.to_ascii_lowercase().as_str() {
                "or" => Some(BinOp::Or),
                "and" => Some(BinOp::And),
                "unless" => Some(BinOp::Unless),
                "atan2" => Some(BinOp::Atan2),
                _ => None,
            },
            _ => None,
        }
    }

    fn expr(&mut self, min_prec: u8) -> Result<Node, ParseError> {
        self.enter()?;
        let r = self.expr_inner(min_prec);
        self.nesting -= 1;
        r
    }

    fn expr_inner(&mut self, min_prec: u8) -> Result<Node, ParseError> {
        let (mut lhs, mut lh) = self.unary()?;
        while let Some(op) = self.binop() {
            let prec = op.precedence();
            if prec < min_prec {
                break;
            }
            self.bump();
            let mut bool_mod = false;
            if matches!(self.peek(), Tok::Ident(w) if w == "bool") {
                if !op.is_comparison() {
                    return err(self.at(), "`bool` after an operator that is no comparison");
                }
                self.bump();
                bool_mod = true;
            }
            let matching = self.matching()?;
            // `^` is right-associative, every other operator left-associative.
            let next = if op == BinOp::Pow { prec } else { prec + 1 };
            let (rhs, rh) = self.expr(next)?;
            lh = self.height(lh.max(rh) + 1)?;
            lhs = Expr::Binary(Box::new(Binary {
                op,
                lhs,
                rhs,
                bool_mod,
                matching,
            }));
        }
        Ok((lhs, lh))
    }

    fn matching(&mut self) -> Result<Option<Matching>, ParseError> {
        let on = match self.peek() {
            Tok::Ident(w) if w == "on" => true,
            Tok::Ident(w) if w == "ignoring" => false,
            _ => return Ok(None),
        };
        self.bump();
        let labels = self.labels()?;
        let group = match self.peek() {
            Tok::Ident(w) if w == "group_left" || w == "group_right" => {
                let left = w == "group_left";
                self.bump();
                let labels = if self.peek() == &Tok::LParen {
                    self.labels()?
                } else {
                    Vec::new()
                };
                Some((left, labels))
            }
            _ => None,
        };
        Ok(Some(Matching { on, labels, group }))
    }

    /// `(a, b, c)`, a trailing comma allowed.
    fn labels(&mut self) -> Result<Vec<String>, ParseError> {
        self.expect(&Tok::LParen, "`(` before a list of labels")?;
        let mut out = Vec::new();
        loop {
            match self.bump() {
                Tok::RParen => return Ok(out),
                Tok::Ident(l) | Tok::Str(l) => out.push(l),
                t => {
                    return err(
                        self.at(),
                        format!("expected a label name, found {}", t.describe()),
                    );
                }
            }
            match self.bump() {
                Tok::Comma => {}
                Tok::RParen => return Ok(out),
                t => {
                    return err(
                        self.at(),
                        format!(
                            "expected `,` or `)` in a label list, found {}",
                            t.describe()
                        ),
                    );
                }
            }
        }
    }

    fn unary(&mut self) -> Result<Node, ParseError> {
        match self.peek() {
            Tok::Op(BinOp::Sub) | Tok::Op(BinOp::Add) => {
                let neg = self.peek() == &Tok::Op(BinOp::Sub);
                self.bump();
                // A sign binds looser than `^` (`-2 ^ 2` is -4), tighter than the rest.
                let (e, h) = self.expr(BinOp::Pow.precedence())?;
                if neg {
                    let h = self.height(h + 1)?;
                    Ok((Expr::Neg(Box::new(e)), h))
                } else {
                    Ok((e, h))
                }
            }
            _ => self.postfix(),
        }
    }

    fn duration(&mut self) -> Result<Dur, ParseError> {
        match self.bump() {
            Tok::Dur(s) => Ok(Dur::Seconds(s)),
            Tok::Template(t) => Ok(Dur::Template(t)),
            t => err(
                self.at(),
                format!("expected a duration, found {}", t.describe()),
            ),
        }
    }

    fn postfix(&mut self) -> Result<Node, ParseError> {
        let (mut e, mut h) = self.primary()?;
        loop {
            match self.peek() {
                Tok::LBracket => {
                    self.bump();
                    let range = self.duration()?;
                    if self.peek() == &Tok::Colon {
                        self.bump();
                        let step = if self.peek() == &Tok::RBracket {
                            None
                        } else {
                            Some(self.duration()?)
                        };
                        self.expect(&Tok::RBracket, "`]` after a subquery")?;
                        h = self.height(h + 1)?;
                        e = Expr::Subquery {
                            expr: Box::new(e),
                            range,
                            step,
                        };
                    } else {
                        self.expect(&Tok::RBracket, "`]` after a range")?;
                        match e {
                            Expr::Selector(s) => e = Expr::Range(s, range),
                            _ => {
                                return err(
                                    self.at(),
                                    "a range `[...]` after something that is no series selector",
                                );
                            }
                        }
                    }
                }
                Tok::Ident(w) if w == "offset" => {
                    self.bump();
                    let neg = self.peek() == &Tok::Op(BinOp::Sub);
                    if neg {
                        self.bump();
                    }
                    let text = match self.duration()? {
                        Dur::Seconds(s) => format!("offset {}{s}s", if neg { "-" } else { "" }),
                        Dur::Template(t) => format!("offset {{{{ {t} }}}}"),
                    };
                    h = self.height(h + 1)?;
                    e = Expr::Shifted(Box::new(e), text);
                }
                Tok::At => {
                    self.bump();
                    let text = match self.bump() {
                        Tok::Num(n) => format!("@ {n}"),
                        Tok::Ident(w) if w == "start" || w == "end" => {
                            self.expect(&Tok::LParen, "`(`")?;
                            self.expect(&Tok::RParen, "`)`")?;
                            format!("@ {w}()")
                        }
                        t => {
                            return err(
                                self.at(),
                                format!("expected a time after `@`, found {}", t.describe()),
                            );
                        }
                    };
                    h = self.height(h + 1)?;
                    e = Expr::Shifted(Box::new(e), text);
                }
                _ => return Ok((e, h)),
            }
        }
    }

    fn primary(&mut self) -> Result<Node, ParseError> {
        let at = self.at();
        match self.bump() {
            Tok::Num(n) => Ok((Expr::Num(n), 1)),
            Tok::Str(s) => Ok((Expr::Str(s), 1)),
            Tok::Template(t) => Ok((Expr::Template(t), 1)),
            Tok::LParen => {
                let (e, h) = self.expr(1)?;
                self.expect(&Tok::RParen, "`)`")?;
                let h = self.height(h + 1)?;
                Ok((Expr::Paren(Box::new(e)), h))
            }
            Tok::LBrace => {
                let matchers = self.matchers()?;
                Ok((
                    Expr::Selector(Selector {
                        name: None,
                        matchers,
                    }),
                    1,
                ))
            }
            Tok::Ident(w) => self.word(w),
            t => err(
                at,
                format!("expected an expression, found {}", t.describe()),
            ),
        }
    }

    fn word(&mut self, w: String) -> Result<Node, ParseError> {
        let lower = w.to_ascii_lowercase();
        let next = self.peek().clone();
        if (lower == "inf" || lower == "nan") && !matches!(next, Tok::LParen | Tok::LBrace) {
            let v = if lower == "inf" {
                f64::INFINITY
            } else {
                f64::NAN
            };
            return Ok((Expr::Num(v), 1));
        }
        let grouping_word = |t: &Tok| matches!(t, Tok::Ident(g) if g == "by" || g == "without");
        if AGGREGATIONS.contains(&lower.as_str()) && (next == Tok::LParen || grouping_word(&next)) {
            return self.aggregation(lower);
        }
        if next == Tok::LParen {
            self.bump();
            let (args, h) = self.args()?;
            let h = self.height(h + 1)?;
            return Ok((Expr::Call(w, args), h));
        }
        let matchers = if next == Tok::LBrace {
            self.bump();
            self.matchers()?
        } else {
            Vec::new()
        };
        Ok((
            Expr::Selector(Selector {
                name: Some(w),
                matchers,
            }),
            1,
        ))
    }

    /// Arguments after `(`, through `)`.
    fn args(&mut self) -> Result<(Vec<Expr>, usize), ParseError> {
        let mut out = Vec::new();
        let mut h = 0;
        if self.peek() == &Tok::RParen {
            self.bump();
            return Ok((out, h));
        }
        loop {
            let (e, eh) = self.expr(1)?;
            h = h.max(eh);
            out.push(e);
            match self.bump() {
                Tok::Comma if self.peek() == &Tok::RParen => {
                    self.bump();
                    return Ok((out, h));
                }
                Tok::Comma => {}
                Tok::RParen => return Ok((out, h)),
                t => {
                    return err(
                        self.at(),
                        format!(
                            "expected `,` or `)` after an argument, found {}",
                            t.describe()
                        ),
                    );
                }
            }
        }
    }

    fn grouping(&mut self) -> Result<Option<Grouping>, ParseError> {
        let without = match self.peek() {
            Tok::Ident(g) if g == "by" => false,
            Tok::Ident(g) if g == "without" => true,
            _ => return Ok(None),
        };
        self.bump();
        Ok(Some(Grouping {
            without,
            labels: self.labels()?,
        }))
    }

    fn aggregation(&mut self, op: String) -> Result<Node, ParseError> {
        let before = self.grouping()?;
        self.expect(&Tok::LParen, "`(` after an aggregation")?;
        let (mut args, h) = self.args()?;
        let grouping = match (before, self.grouping()?) {
            (Some(_), Some(_)) => {
                return err(self.at(), "an aggregation grouped twice");
            }
            (b, a) => b.or(a),
        };
        let (param, expr) = match args.len() {
            1 => (None, args.remove(0)),
            2 => {
                let e = args.remove(1);
                (Some(Box::new(args.remove(0))), e)
            }
            n => {
                return err(
                    self.at(),
                    format!("{op}() takes one or two arguments, found {n}"),
                );
            }
        };
        let h = self.height(h + 1)?;
        Ok((
            Expr::Agg(Agg {
                op,
                grouping,
                param,
                expr: Box::new(expr),
            }),
            h,
        ))
    }

    /// Label matchers after `{`, through `}`, a trailing comma allowed.
    fn matchers(&mut self) -> Result<Vec<Matcher>, ParseError> {
        let mut out = Vec::new();
        loop {
            let label = match self.bump() {
                Tok::RBrace => return Ok(out),
                Tok::Ident(l) => l,
                // Prometheus 3: a quoted name, alone (the metric name) or as a label.
                Tok::Str(s) => {
                    if matches!(self.peek(), Tok::Comma | Tok::RBrace) {
                        out.push(Matcher {
                            label: "__name__".into(),
                            op: MatchOp::Eq,
                            value: s,
                        });
                        if self.bump() == Tok::RBrace {
                            return Ok(out);
                        }
                        continue;
                    }
                    s
                }
                t => {
                    return err(
                        self.at(),
                        format!("expected a label name, found {}", t.describe()),
                    );
                }
            };
            let op = match self.bump() {
                Tok::Assign => MatchOp::Eq,
                Tok::Op(BinOp::Ne) => MatchOp::Ne,
                Tok::Match(m) => m,
                t => {
                    return err(
                        self.at(),
                        format!(
                            "expected `=`, `!=`, `=~` or `!~` after label {label}, found {}",
                            t.describe()
                        ),
                    );
                }
            };
            let value = match self.bump() {
                Tok::Str(s) => s,
                t => {
                    return err(
                        self.at(),
                        format!(
                            "expected a quoted value for label {label}, found {}",
                            t.describe()
                        ),
                    );
                }
            };
            out.push(Matcher { label, op, value });
            match self.bump() {
                Tok::Comma => {}
                Tok::RBrace => return Ok(out),
                t => {
                    return err(
                        self.at(),
                        format!("expected `,` or `}}` in a selector, found {}", t.describe()),
                    );
                }
            }
        }
    }
}

/// Parses a whole query.
pub fn parse(src: &str) -> Result<Expr, ParseError> {
    if src.len() > MAX_QUERY_BYTES {
        return err(
            0,
            format!(
                "the query is {} bytes long, more than the {MAX_QUERY_BYTES} read",
                src.len()
            ),
        );
    }
    let toks = lex(src)?;
    let mut p = Parser {
        toks,
        pos: 0,
        nesting: 0,
    };
    if p.peek() == &Tok::End {
        return err(0, "the query is empty");
    }
    let (e, _) = p.expr(1)?;
    if p.peek() != &Tok::End {
        return err(
            p.at(),
            format!(
                "expected the end of the query, found {}",
                p.peek().describe()
            ),
        );
    }
    Ok(e)
}

/// A short rendering of an expression for messages: PromQL, whitespace normalised,
/// cut at `max` characters.
pub fn show(e: &Expr, max: usize) -> String {
    let mut s = String::new();
    write_expr(&mut s, e);
    if s.chars().count() > max {
        let cut: String = s.chars().take(max.saturating_sub(3)).collect();
        format!("{cut}...")
    } else {
        s
    }
}

fn write_dur(out: &mut String, d: &Dur) {
    match d {
        Dur::Seconds(s) if s.fract() != 0.0 => out.push_str(&format!("{}ms", s * 1000.0)),
        Dur::Seconds(s) => out.push_str(&sim_core::duration_text::format(
            *s,
            sim_core::duration_text::Style::Go { hours: true },
        )),
        Dur::Template(t) => {
            out.push_str("{{ ");
            out.push_str(t);
            out.push_str(" }}");
        }
    }
}

fn write_selector(out: &mut String, s: &Selector) {
    if let Some(n) = &s.name {
        out.push_str(n);
    }
    if !s.matchers.is_empty() || s.name.is_none() {
        out.push('{');
        let m: Vec<String> = s.matchers.iter().map(|m| m.to_string()).collect();
        out.push_str(&m.join(", "));
        out.push('}');
    }
}

fn write_expr(out: &mut String, e: &Expr) {
    // Stop growing a message far past anything shown.
    if out.len() > 4096 {
        return;
    }
    match e {
        Expr::Num(n) => out.push_str(&n.to_string()),
        Expr::Str(s) => out.push_str(&format!("{s:?}")),
        Expr::Template(t) => {
            out.push_str("{{ ");
            out.push_str(t);
            out.push_str(" }}");
        }
        Expr::Selector(s) => write_selector(out, s),
        Expr::Range(s, d) => {
            write_selector(out, s);
            out.push('[');
            write_dur(out, d);
            out.push(']');
        }
        Expr::Subquery { expr, range, step } => {
            write_expr(out, expr);
            out.push('[');
            write_dur(out, range);
            out.push(':');
            if let Some(s) = step {
                write_dur(out, s);
            }
            out.push(']');
        }
        Expr::Call(f, args) => {
            out.push_str(f);
            out.push('(');
            for (i, a) in args.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_expr(out, a);
            }
            out.push(')');
        }
        Expr::Agg(a) => {
            out.push_str(&a.op);
            if let Some(g) = &a.grouping {
                out.push_str(if g.without { " without (" } else { " by (" });
                out.push_str(&g.labels.join(", "));
                out.push_str(") ");
            }
            out.push('(');
            if let Some(p) = &a.param {
                write_expr(out, p);
                out.push_str(", ");
            }
            write_expr(out, &a.expr);
            out.push(')');
        }
        Expr::Binary(b) => {
            write_expr(out, &b.lhs);
            out.push(' ');
            out.push_str(b.op.text());
            if b.bool_mod {
                out.push_str(" bool");
            }
            if let Some(m) = &b.matching {
                out.push_str(if m.on { " on(" } else { " ignoring(" });
                out.push_str(&m.labels.join(", "));
                out.push(')');
                if let Some((left, l)) = &m.group {
                    out.push_str(if *left {
                        " group_left("
                    } else {
                        " group_right("
                    });
                    out.push_str(&l.join(", "));
                    out.push(')');
                }
            }
            out.push(' ');
            write_expr(out, &b.rhs);
        }
        Expr::Neg(e) => {
            out.push('-');
            write_expr(out, e);
        }
        Expr::Paren(e) => {
            out.push('(');
            write_expr(out, e);
            out.push(')');
        }
        Expr::Shifted(e, m) => {
            write_expr(out, e);
            out.push(' ');
            out.push_str(m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Expr {
        parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn precedence_and_associativity_follow_promql() {
        // `*` binds tighter than `-`, and `a / b * 100` is `(a / b) * 100`.
        let e = p("a / b * 100");
        let Expr::Binary(b) = &e else { panic!() };
        assert_eq!(b.op, BinOp::Mul);
        assert_eq!(b.rhs, Expr::Num(100.0));
        let e = p("1 - a * 2");
        let Expr::Binary(b) = &e else { panic!() };
        assert_eq!(b.op, BinOp::Sub);
        // `or` is the loosest, `and` next.
        let e = p("a and b or c");
        let Expr::Binary(b) = &e else { panic!() };
        assert_eq!(b.op, BinOp::Or);
        // `^` is right-associative and binds tighter than a sign.
        let e = p("-2 ^ 3 ^ 2");
        let Expr::Neg(inner) = &e else {
            panic!("{e:?}")
        };
        let Expr::Binary(b) = inner.as_ref() else {
            panic!()
        };
        assert_eq!(b.op, BinOp::Pow);
        assert!(matches!(&b.rhs, Expr::Binary(r) if r.op == BinOp::Pow));
    }

    #[test]
    fn selectors_ranges_subqueries_and_modifiers() {
        let e = p(r#"sum by (le) (rate(x_bucket{a="1", b!~"2",}[1h30m]))"#);
        let Expr::Agg(a) = &e else { panic!() };
        assert_eq!(a.op, "sum");
        assert_eq!(a.grouping.as_ref().unwrap().labels, vec!["le".to_string()]);
        let Expr::Call(f, args) = a.expr.as_ref() else {
            panic!()
        };
        assert_eq!(f, "rate");
        let Expr::Range(s, Dur::Seconds(w)) = &args[0] else {
            panic!()
        };
        assert_eq!(*w, 5400.0);
        assert_eq!(s.matchers.len(), 2);
        assert_eq!(s.matchers[1].op, MatchOp::Nre);
        // Grouping after the arguments; a subquery; offset; `@`; a template window.
        let e = p("sum(rate(x[{{ interval }}])) by (le)");
        let Expr::Agg(a) = &e else { panic!() };
        assert!(a.grouping.is_some());
        let Expr::Call(_, args) = a.expr.as_ref() else {
            panic!()
        };
        assert!(matches!(&args[0], Expr::Range(_, Dur::Template(t)) if t == "interval"));
        assert!(matches!(
            p("last_over_time((x)[1h:1m])"),
            Expr::Call(_, a) if matches!(&a[0], Expr::Subquery { step: Some(Dur::Seconds(s)), .. } if *s == 60.0)
        ));
        assert!(matches!(p("x offset 5m"), Expr::Shifted(_, m) if m == "offset 300s"));
        assert!(matches!(p("x @ end()"), Expr::Shifted(_, m) if m == "@ end()"));
        assert!(matches!(p("x[500ms]"), Expr::Range(_, Dur::Seconds(s)) if s == 0.5));
    }

    #[test]
    fn binary_modifiers_numbers_strings_and_comments() {
        let e = p("a > bool 0");
        assert!(matches!(&e, Expr::Binary(b) if b.bool_mod));
        let e = p("a and on() (b)");
        assert!(
            matches!(&e, Expr::Binary(b) if b.matching == Some(Matching { on: true, labels: vec![], group: None }))
        );
        let e = p("a * ignoring(code) group_left b");
        assert!(
            matches!(&e, Expr::Binary(b) if b.matching.as_ref().unwrap().group == Some((true, vec![])))
        );
        assert_eq!(p("0x1f"), Expr::Num(31.0));
        assert_eq!(p("1e3"), Expr::Num(1000.0));
        assert_eq!(p(".5"), Expr::Num(0.5));
        assert!(matches!(p("NaN"), Expr::Num(n) if n.is_nan()));
        assert_eq!(p("Inf"), Expr::Num(f64::INFINITY));
        let e = p("x{a=\"5\\\\d\\\\d\", b='q', c=`r\\n`} # a comment\n");
        let Expr::Selector(s) = e else { panic!() };
        assert_eq!(s.matchers[0].value, "5\\d\\d");
        assert_eq!(s.matchers[1].value, "q");
        assert_eq!(s.matchers[2].value, "r\\n");
        let Expr::Selector(s) = p("{\"my.metric\", a=\"b\"}") else {
            panic!()
        };
        assert_eq!(s.metric(), Some("my.metric"));
        assert_eq!(s.labels().count(), 1);
    }

    #[test]
    fn bad_queries_say_where_and_what() {
        for (q, want) in [
            ("", "empty"),
            ("sum(rate(x[5m])", "expected `,` or `)`"),
            ("x{a=1}", "quoted value"),
            ("x{a=\"1}", "closing quote"),
            ("rate(x)[5m]", "no series selector"),
            ("x[5]", "expected a duration"),
            ("x[5m", "`]`"),
            ("a !b", "`!` alone"),
            ("1.5m", "followed by letters"),
            ("x $ y", "unexpected character"),
            ("{{ interval", "without its `}}`"),
            ("a + bool b", "`bool`"),
            ("sum by (a) (x) by (b)", "grouped twice"),
            ("x ) ", "end of the query"),
        ] {
            let e = parse(q).expect_err(q);
            assert!(e.what.contains(want), "{q}: {e}");
        }
    }

    #[test]
    fn size_and_depth_are_bounded() {
        let long = "x".repeat(MAX_QUERY_BYTES + 1);
        assert!(parse(&long).unwrap_err().what.contains("bytes long"));
        let deep = format!(
            "{}x{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(parse(&deep).unwrap_err().what.contains("deeper"));
        let chain = vec!["x"; MAX_DEPTH + 2].join(" + ");
        assert!(parse(&chain).unwrap_err().what.contains("deeper"));
        let signs = format!("{}x", "-".repeat(MAX_DEPTH + 1));
        assert!(parse(&signs).unwrap_err().what.contains("deeper"));
        // Just inside the bound.
        let ok = vec!["x"; MAX_DEPTH - 1].join(" + ");
        assert!(parse(&ok).is_ok());
    }

    #[test]
    fn show_writes_promql_back_and_cuts_it() {
        let q = r#"histogram_quantile(0.99, sum by (le) (rate(x_bucket{a="b"}[5m])))"#;
        assert_eq!(show(&p(q), 200), q);
        assert_eq!(show(&p(q), 10), "histogr...");
    }
}
