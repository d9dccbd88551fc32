//! The part of expr-lang, the language of Argo's `successCondition` and
//! `failureCondition`, that conditions on a Prometheus result are written in: numbers,
//! `result` and `result[i]`, comparisons, `&&`/`and`, `||`/`or`, `!`/`not`,
//! parentheses, and the functions `len`, `isNaN`, `isInf`, `isNil`, `default`,
//! `asFloat`, `asInt`, `max`, `min` and `all`/`any`/`none`/`one` with a predicate
//! (`{# < 0.01}` or `# < 0.01`).
//!
//! A condition is read, checked for types as expr-lang compiles it (Argo's provider
//! hands an instant vector to the condition as a list of numbers and a scalar as a
//! number, and expr-lang refuses to compile a list compared with a number, so such a
//! condition is an Error at every measurement), and evaluated against a result as
//! expr-lang runs it (short-circuit, a NaN compares false, an index past the end is an
//! error). Anything else (strings, field access, arithmetic, other functions) is
//! refused with what it was. Bounded like the PromQL parser: length and tree depth.

use std::fmt;

use crate::import::lexer::{Lexeme, Lexer, Lexicon};

/// Longest condition read.
pub const MAX_CONDITION_BYTES: usize = 4096;
/// Deepest condition tree accepted.
pub const MAX_DEPTH: usize = 32;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

impl CmpOp {
    fn text(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Cond {
    Num(f64),
    Bool(bool),
    Nil,
    Result,
    /// `#`: the element a predicate is evaluated for.
    Hash,
    Index(Box<Cond>, i64),
    Call(String, Vec<Cond>),
    /// `{...}`, a predicate argument.
    Predicate(Box<Cond>),
    Not(Box<Cond>),
    And(Box<Cond>, Box<Cond>),
    Or(Box<Cond>, Box<Cond>),
    Cmp(CmpOp, Box<Cond>, Box<Cond>),
}

/// A value while evaluating.
#[derive(Clone, Debug, PartialEq)]
pub enum V {
    Num(f64),
    List(Vec<f64>),
    Bool(bool),
    Nil,
}

/// The static types expr-lang's checker sees. `Any` is what a function returning an
/// interface gives (`max`, `default`): compared with anything at compile time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    Num,
    List,
    Bool,
    Nil,
    Any,
}

impl Ty {
    fn words(self) -> &'static str {
        match self {
            Ty::Num => "a number",
            Ty::List => "a list",
            Ty::Bool => "a boolean",
            Ty::Nil => "nil",
            Ty::Any => "a value",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CondError(pub String);

impl fmt::Display for CondError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn err<T>(what: impl Into<String>) -> Result<T, CondError> {
    Err(CondError(what.into()))
}

#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Num(f64),
    Ident(String),
    Hash,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Minus,
    Not,
    And,
    Or,
    Cmp(CmpOp),
    End,
}

/// expr-lang's operators and brackets that a condition may hold; `=` alone, `&` and
/// `|` are none of them, and are refused as characters rollcage does not read.
static LEXICON: Lexicon<Tok> = Lexicon {
    symbols: &[
        ("(", Tok::LParen),
        (")", Tok::RParen),
        ("[", Tok::LBracket),
        ("]", Tok::RBracket),
        ("{", Tok::LBrace),
        ("}", Tok::RBrace),
        (",", Tok::Comma),
        ("#", Tok::Hash),
        ("-", Tok::Minus),
        ("&&", Tok::And),
        ("||", Tok::Or),
        ("<", Tok::Cmp(CmpOp::Lt)),
        ("<=", Tok::Cmp(CmpOp::Le)),
        (">", Tok::Cmp(CmpOp::Gt)),
        (">=", Tok::Cmp(CmpOp::Ge)),
        ("==", Tok::Cmp(CmpOp::Eq)),
        ("!=", Tok::Cmp(CmpOp::Ne)),
        ("!", Tok::Not),
    ],
    word_start: b"$",
    word_more: b"$",
    comment: None,
    digit_separator: true,
};

fn lex(src: &str) -> Result<Vec<Tok>, CondError> {
    let mut out = Vec::new();
    let mut lexer = Lexer::new(src, &LEXICON);
    while let Some((lexeme, at)) = lexer.next_lexeme() {
        out.push(match lexeme {
            Lexeme::Symbol(t) => t,
            Lexeme::Word("and") => Tok::And,
            Lexeme::Word("or") => Tok::Or,
            Lexeme::Word("not") => Tok::Not,
            Lexeme::Word(w) => Tok::Ident(w.to_string()),
            Lexeme::Number(text) => number(src, at, text)?,
            Lexeme::Template(_) => {
                return err(
                    "a template placeholder `{{...}}` is left in it: resolve the analysis arguments first",
                );
            }
            Lexeme::Quote(_) => {
                return err("it compares strings, which a number result never is");
            }
            Lexeme::Other('.') => {
                return err("it reads a field (`.`), which a Prometheus result has none of");
            }
            Lexeme::Other('?' | ':') => return err("it uses `?`/`:`, which rollcage does not read"),
            Lexeme::Other(c @ ('+' | '*' | '/' | '%' | '^')) => {
                return err(format!(
                    "it computes with the result (`{c}`): rollcage reads a comparison of the result with a number"
                ));
            }
            Lexeme::Other(ch) => {
                return err(format!(
                    "it holds the character {ch:?}, which rollcage does not read"
                ));
            }
        });
    }
    out.push(Tok::End);
    Ok(out)
}

/// The number `text` the lexer found at `at`: a letter right after it is refused, as
/// expr-lang refuses `2e` or `1x`; `_` separators are dropped.
fn number(src: &str, at: usize, text: &str) -> Result<Tok, CondError> {
    let j = at + text.len();
    let b = src.as_bytes();
    if j < b.len() && (b[j].is_ascii_alphabetic() || b[j] == b'_') {
        return err(format!("`{}` is no number", &src[at..=j]));
    }
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    let Ok(v) = digits.parse::<f64>() else {
        return err(format!("`{text}` is no number"));
    };
    Ok(Tok::Num(v))
}

struct Parser {
    toks: Vec<Tok>,
    pos: usize,
    nesting: usize,
}

type Node = (Cond, usize);

const FUNCTIONS: &str =
    "len, isNaN, isInf, isNil, default, asFloat, asInt, max, min, all, any, none, one";

impl Parser {
    fn peek(&self) -> &Tok {
        &self.toks[self.pos.min(self.toks.len() - 1)]
    }

    fn bump(&mut self) -> Tok {
        let t = self.peek().clone();
        if self.pos < self.toks.len() - 1 {
            self.pos += 1;
        }
        t
    }

    fn height(h: usize) -> Result<usize, CondError> {
        if h > MAX_DEPTH {
            err(format!("it nests deeper than {MAX_DEPTH} levels"))
        } else {
            Ok(h)
        }
    }

    fn enter(&mut self) -> Result<(), CondError> {
        self.nesting += 1;
        if self.nesting > MAX_DEPTH {
            return err(format!("it nests deeper than {MAX_DEPTH} levels"));
        }
        Ok(())
    }

    fn or(&mut self) -> Result<Node, CondError> {
        self.enter()?;
        let r = self.or_inner();
        self.nesting -= 1;
        r
    }

    fn or_inner(&mut self) -> Result<Node, CondError> {
        let (mut l, mut h) = self.and()?;
        while self.peek() == &Tok::Or {
            self.bump();
            let (r, rh) = self.and()?;
            h = Self::height(h.max(rh) + 1)?;
            l = Cond::Or(Box::new(l), Box::new(r));
        }
        Ok((l, h))
    }

    fn and(&mut self) -> Result<Node, CondError> {
        let (mut l, mut h) = self.cmp()?;
        while self.peek() == &Tok::And {
            self.bump();
            let (r, rh) = self.cmp()?;
            h = Self::height(h.max(rh) + 1)?;
            l = Cond::And(Box::new(l), Box::new(r));
        }
        Ok((l, h))
    }

    fn cmp(&mut self) -> Result<Node, CondError> {
        let (l, lh) = self.unary()?;
        let Tok::Cmp(op) = *self.peek() else {
            return Ok((l, lh));
        };
        self.bump();
        let (r, rh) = self.unary()?;
        if matches!(self.peek(), Tok::Cmp(_)) {
            return err("it chains comparisons (`a < b < c`)");
        }
        let h = Self::height(lh.max(rh) + 1)?;
        Ok((Cond::Cmp(op, Box::new(l), Box::new(r)), h))
    }

    fn unary(&mut self) -> Result<Node, CondError> {
        if self.peek() == &Tok::Not {
            self.bump();
            self.enter()?;
            let r = self.unary();
            self.nesting -= 1;
            let (e, h) = r?;
            return Ok((Cond::Not(Box::new(e)), Self::height(h + 1)?));
        }
        self.postfix()
    }

    fn postfix(&mut self) -> Result<Node, CondError> {
        let (mut e, mut h) = self.primary()?;
        while self.peek() == &Tok::LBracket {
            self.bump();
            let neg = self.peek() == &Tok::Minus;
            if neg {
                self.bump();
            }
            let i = match self.bump() {
                Tok::Num(n) if n.fract() == 0.0 && n.abs() < 1e9 => n as i64,
                _ => {
                    return err(
                        "it indexes with something other than a whole number (`result[0]`)",
                    );
                }
            };
            if self.bump() != Tok::RBracket {
                return err("an index without its `]`");
            }
            h = Self::height(h + 1)?;
            e = Cond::Index(Box::new(e), if neg { -i } else { i });
        }
        Ok((e, h))
    }

    fn primary(&mut self) -> Result<Node, CondError> {
        match self.bump() {
            Tok::Num(n) => Ok((Cond::Num(n), 1)),
            Tok::Minus => match self.bump() {
                Tok::Num(n) => Ok((Cond::Num(-n), 1)),
                _ => err("it negates something other than a number"),
            },
            Tok::Hash => Ok((Cond::Hash, 1)),
            Tok::LParen => {
                let (e, h) = self.or()?;
                if self.bump() != Tok::RParen {
                    return err("a `(` without its `)`");
                }
                Ok((e, h))
            }
            Tok::LBrace => {
                let (e, h) = self.or()?;
                if self.bump() != Tok::RBrace {
                    return err("a `{` without its `}`");
                }
                Ok((Cond::Predicate(Box::new(e)), Self::height(h + 1)?))
            }
            Tok::Ident(w) => match w.as_str() {
                "result" => Ok((Cond::Result, 1)),
                "true" => Ok((Cond::Bool(true), 1)),
                "false" => Ok((Cond::Bool(false), 1)),
                "nil" => Ok((Cond::Nil, 1)),
                "results" => err(
                    "it reads `results`; the measurement's value is `result` (Argo names nothing else)",
                ),
                _ if self.peek() == &Tok::LParen => {
                    self.bump();
                    let mut args = Vec::new();
                    let mut h = 0;
                    if self.peek() == &Tok::RParen {
                        self.bump();
                    } else {
                        loop {
                            let (a, ah) = self.or()?;
                            h = h.max(ah);
                            args.push(a);
                            match self.bump() {
                                Tok::Comma => {}
                                Tok::RParen => break,
                                _ => return err(format!("the call {w}( without its `)`")),
                            }
                        }
                    }
                    Ok((Cond::Call(w, args), Self::height(h + 1)?))
                }
                _ => err(format!(
                    "it reads `{w}`, which is neither `result` nor one of the functions rollcage reads ({FUNCTIONS})"
                )),
            },
            Tok::End => err("it ends where a value should be"),
            t => err(format!("it has {} where a value should be", describe(&t))),
        }
    }
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => format!("the number {n}"),
        Tok::Ident(w) => format!("`{w}`"),
        Tok::Hash => "`#`".into(),
        Tok::LParen => "`(`".into(),
        Tok::RParen => "`)`".into(),
        Tok::LBracket => "`[`".into(),
        Tok::RBracket => "`]`".into(),
        Tok::LBrace => "`{`".into(),
        Tok::RBrace => "`}`".into(),
        Tok::Comma => "`,`".into(),
        Tok::Minus => "`-`".into(),
        Tok::Not => "`!`".into(),
        Tok::And => "`&&`".into(),
        Tok::Or => "`||`".into(),
        Tok::Cmp(c) => format!("`{}`", c.text()),
        Tok::End => "the end".into(),
    }
}

impl Cond {
    /// Reads and type-checks a condition whose `result` has type `result` (a list for
    /// an instant vector, a number for a scalar).
    pub fn read(src: &str, result: Ty) -> Result<Cond, CondError> {
        if src.len() > MAX_CONDITION_BYTES {
            return err(format!(
                "it is {} bytes long, more than the {MAX_CONDITION_BYTES} read",
                src.len()
            ));
        }
        let toks = lex(src)?;
        let mut p = Parser {
            toks,
            pos: 0,
            nesting: 0,
        };
        if p.peek() == &Tok::End {
            return err("it is empty");
        }
        let (c, _) = p.or()?;
        if p.peek() != &Tok::End {
            return err(format!(
                "it goes on after a whole condition, at {}",
                describe(p.peek())
            ));
        }
        match c.check(result, false)? {
            Ty::Bool | Ty::Any => Ok(c),
            t => err(format!("it is {}, not true or false", t.words())),
        }
    }

    fn check(&self, result: Ty, in_pred: bool) -> Result<Ty, CondError> {
        Ok(match self {
            Cond::Num(_) => Ty::Num,
            Cond::Bool(_) => Ty::Bool,
            Cond::Nil => Ty::Nil,
            Cond::Result => result,
            Cond::Hash if in_pred => Ty::Num,
            Cond::Hash => {
                return err("it reads `#` outside a predicate of all(), any(), none() or one()");
            }
            Cond::Predicate(_) => {
                return err("a `{...}` predicate stands outside all(), any(), none() or one()");
            }
            Cond::Index(base, _) => match base.check(result, in_pred)? {
                Ty::List => Ty::Num,
                Ty::Any => Ty::Any,
                Ty::Num if matches!(**base, Cond::Result) => {
                    return err(
                        "it indexes `result`, which is a number here (the query returns a scalar): an Error at every measurement; compare `result` itself",
                    );
                }
                t => return err(format!("it indexes {}", t.words())),
            },
            Cond::Not(e) => match e.check(result, in_pred)? {
                Ty::Bool | Ty::Any => Ty::Bool,
                t => return err(format!("it negates {} with `!`", t.words())),
            },
            Cond::And(a, b) | Cond::Or(a, b) => {
                for e in [a, b] {
                    let t = e.check(result, in_pred)?;
                    if !matches!(t, Ty::Bool | Ty::Any) {
                        return err(format!("it joins {} with `&&`/`||`", t.words()));
                    }
                }
                Ty::Bool
            }
            Cond::Cmp(op, a, b) => {
                let (ta, tb) = (a.check(result, in_pred)?, b.check(result, in_pred)?);
                let equality = matches!(op, CmpOp::Eq | CmpOp::Ne);
                // expr-lang's checker: `==` needs comparable types (the same, or one
                // unknown or nil), the orderings two numbers (or an unknown).
                let fits = if equality {
                    ta == tb || matches!(ta, Ty::Any | Ty::Nil) || matches!(tb, Ty::Any | Ty::Nil)
                } else {
                    matches!(ta, Ty::Num | Ty::Any) && matches!(tb, Ty::Num | Ty::Any)
                };
                if !fits {
                    if ta == Ty::List || tb == Ty::List {
                        return err(
                            "it compares the list `result` with a number: Argo's Prometheus provider hands an instant vector to the condition as a list, and expr-lang does not compile a list compared with a number, so every measurement is an Error; write result[0]",
                        );
                    }
                    return err(format!(
                        "it compares {} and {} with `{}`",
                        ta.words(),
                        tb.words(),
                        op.text()
                    ));
                }
                Ty::Bool
            }
            Cond::Call(f, args) => return self.check_call(f, args, result, in_pred),
        })
    }

    fn check_call(
        &self,
        f: &str,
        args: &[Cond],
        result: Ty,
        in_pred: bool,
    ) -> Result<Ty, CondError> {
        let arity = |n: usize| {
            if args.len() == n {
                Ok(())
            } else {
                err(format!("{f}() takes {n} argument(s), found {}", args.len()))
            }
        };
        match f {
            "len" => {
                arity(1)?;
                match args[0].check(result, in_pred)? {
                    Ty::List | Ty::Any => Ok(Ty::Num),
                    t => err(format!("it takes len() of {}", t.words())),
                }
            }
            "isNaN" | "isInf" => {
                arity(1)?;
                match args[0].check(result, in_pred)? {
                    Ty::Num | Ty::Any => Ok(Ty::Bool),
                    Ty::List => err(format!(
                        "it takes {f}() of the list `result`, which expr-lang does not compile (an Error at every measurement): write {f}(result[0])"
                    )),
                    t => err(format!("it takes {f}() of {}", t.words())),
                }
            }
            "isNil" => {
                arity(1)?;
                args[0].check(result, in_pred)?;
                Ok(Ty::Bool)
            }
            "default" => {
                arity(2)?;
                args[0].check(result, in_pred)?;
                args[1].check(result, in_pred)?;
                Ok(Ty::Any)
            }
            "asFloat" | "asInt" => {
                arity(1)?;
                match args[0].check(result, in_pred)? {
                    Ty::Num | Ty::Any => Ok(Ty::Num),
                    t => err(format!("it takes {f}() of {}", t.words())),
                }
            }
            "max" | "min" => {
                arity(1)?;
                match args[0].check(result, in_pred)? {
                    Ty::List | Ty::Any => Ok(Ty::Any),
                    Ty::Num => Ok(Ty::Num),
                    t => err(format!("it takes {f}() of {}", t.words())),
                }
            }
            "all" | "any" | "none" | "one" => {
                arity(2)?;
                match args[0].check(result, in_pred)? {
                    Ty::List | Ty::Any => {}
                    t => return err(format!("it takes {f}() over {}", t.words())),
                }
                let pred = match &args[1] {
                    Cond::Predicate(p) => p,
                    p => p,
                };
                match pred.check(result, true)? {
                    Ty::Bool | Ty::Any => Ok(Ty::Bool),
                    t => err(format!("the predicate of {f}() is {}", t.words())),
                }
            }
            _ => err(format!(
                "it calls {f}(), which is not one of the functions rollcage reads ({FUNCTIONS})"
            )),
        }
    }

    /// The numbers the result is compared with (not those compared with `len()`).
    pub fn constants(&self, out: &mut Vec<f64>) {
        match self {
            Cond::Cmp(_, a, b) => {
                let is_len = |c: &Cond| matches!(c, Cond::Call(f, _) if f == "len");
                let value = |c: &Cond| match c {
                    Cond::Num(n) => Some(*n),
                    _ => None,
                };
                if let Some(n) = value(a).filter(|_| !is_len(b)) {
                    out.push(n);
                }
                if let Some(n) = value(b).filter(|_| !is_len(a)) {
                    out.push(n);
                }
                a.constants(out);
                b.constants(out);
            }
            Cond::Index(e, _) | Cond::Predicate(e) | Cond::Not(e) => e.constants(out),
            Cond::And(a, b) | Cond::Or(a, b) => {
                a.constants(out);
                b.constants(out);
            }
            Cond::Call(_, args) => args.iter().for_each(|a| a.constants(out)),
            Cond::Num(_) | Cond::Bool(_) | Cond::Nil | Cond::Result | Cond::Hash => {}
        }
    }

    /// Whether the condition holds for `result`, or the error expr-lang would raise.
    pub fn holds(&self, result: &V) -> Result<bool, CondError> {
        match self.eval(result, None)? {
            V::Bool(b) => Ok(b),
            v => err(format!("it gives {v:?}, not true or false")),
        }
    }

    fn eval(&self, result: &V, hash: Option<f64>) -> Result<V, CondError> {
        Ok(match self {
            Cond::Num(n) => V::Num(*n),
            Cond::Bool(b) => V::Bool(*b),
            Cond::Nil => V::Nil,
            Cond::Result => result.clone(),
            Cond::Hash => V::Num(hash.unwrap_or(f64::NAN)),
            Cond::Predicate(p) => return p.eval(result, hash),
            Cond::Index(base, i) => match base.eval(result, hash)? {
                V::List(l) => {
                    let at = if *i < 0 { l.len() as i64 + i } else { *i };
                    match usize::try_from(at).ok().and_then(|k| l.get(k)) {
                        Some(v) => V::Num(*v),
                        None if l.is_empty() => {
                            return err(
                                "the result is empty (no series), so it has no element to index",
                            );
                        }
                        None => {
                            return err(format!(
                                "index {i} is past the result's {} values",
                                l.len()
                            ));
                        }
                    }
                }
                v => return err(format!("it indexes {v:?}")),
            },
            Cond::Not(e) => match e.eval(result, hash)? {
                V::Bool(b) => V::Bool(!b),
                v => return err(format!("it negates {v:?}")),
            },
            Cond::And(a, b) => match a.eval(result, hash)? {
                V::Bool(false) => V::Bool(false),
                V::Bool(true) => match b.eval(result, hash)? {
                    V::Bool(x) => V::Bool(x),
                    v => return err(format!("`&&` of {v:?}")),
                },
                v => return err(format!("`&&` of {v:?}")),
            },
            Cond::Or(a, b) => match a.eval(result, hash)? {
                V::Bool(true) => V::Bool(true),
                V::Bool(false) => match b.eval(result, hash)? {
                    V::Bool(x) => V::Bool(x),
                    v => return err(format!("`||` of {v:?}")),
                },
                v => return err(format!("`||` of {v:?}")),
            },
            Cond::Cmp(op, a, b) => {
                let (x, y) = (a.eval(result, hash)?, b.eval(result, hash)?);
                V::Bool(match (op, &x, &y) {
                    (CmpOp::Eq, _, _) => x == y && !matches!(x, V::Num(n) if n.is_nan()),
                    (CmpOp::Ne, _, _) => x != y || matches!(x, V::Num(n) if n.is_nan()),
                    (_, V::Num(p), V::Num(q)) => match op {
                        CmpOp::Lt => p < q,
                        CmpOp::Le => p <= q,
                        CmpOp::Gt => p > q,
                        _ => p >= q,
                    },
                    _ => return err(format!("it orders {x:?} and {y:?}")),
                })
            }
            Cond::Call(f, args) => return call(f, args, result, hash),
        })
    }
}

fn call(f: &str, args: &[Cond], result: &V, hash: Option<f64>) -> Result<V, CondError> {
    let arg = |k: usize| match args.get(k) {
        Some(a) => a.eval(result, hash),
        None => err(format!("{f}() without its argument")),
    };
    Ok(match f {
        "len" => match arg(0)? {
            V::List(l) => V::Num(l.len() as f64),
            v => return err(format!("len() of {v:?}")),
        },
        "isNaN" | "isInf" => match arg(0)? {
            V::Num(n) => V::Bool(if f == "isNaN" {
                n.is_nan()
            } else {
                n.is_infinite()
            }),
            v => return err(format!("{f}() of {v:?}")),
        },
        // Argo's isNil asks whether the measurement itself is nil, which a Prometheus
        // result (a list, maybe empty, or a number) never is.
        "isNil" => V::Bool(false),
        "default" => match arg(0)? {
            V::Nil => arg(1)?,
            v => v,
        },
        "asFloat" | "asInt" => match arg(0)? {
            V::Num(n) if f == "asInt" => V::Num(n.trunc()),
            V::Num(n) => V::Num(n),
            v => return err(format!("{f}() of {v:?}")),
        },
        "max" | "min" => match arg(0)? {
            V::List(l) if l.is_empty() => V::Nil,
            V::List(l) => {
                // expr-lang keeps the first element unless a later one compares past it.
                let mut m = l[0];
                for &x in &l[1..] {
                    if (f == "max" && m < x) || (f == "min" && m > x) {
                        m = x;
                    }
                }
                V::Num(m)
            }
            V::Num(n) => V::Num(n),
            v => return err(format!("{f}() of {v:?}")),
        },
        "all" | "any" | "none" | "one" => {
            let V::List(l) = arg(0)? else {
                return err(format!("{f}() over something other than a list"));
            };
            let pred = &args[1];
            let mut count = 0usize;
            for &x in &l {
                match pred.eval(result, Some(x))? {
                    V::Bool(true) => count += 1,
                    V::Bool(false) => {}
                    v => return err(format!("the predicate of {f}() gives {v:?}")),
                }
            }
            V::Bool(match f {
                "all" => count == l.len(),
                "any" => count > 0,
                "none" => count == 0,
                _ => count == 1,
            })
        }
        _ => return err(format!("{f}() is not read")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str) -> Cond {
        Cond::read(s, Ty::List).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn at(c: &Cond, v: f64) -> Result<bool, CondError> {
        c.holds(&V::List(vec![v]))
    }

    #[test]
    fn comparisons_short_circuit_and_nan_compares_false() {
        let c = read("result[0] < 0.01");
        assert_eq!(at(&c, 0.005), Ok(true));
        assert_eq!(at(&c, 0.01), Ok(false));
        assert_eq!(at(&c, f64::NAN), Ok(false));
        assert!(c.holds(&V::List(vec![])).is_err());
        let c = read("len(result) == 0 || result[0] < 1");
        assert_eq!(c.holds(&V::List(vec![])), Ok(true));
        let c = read("isNaN(result[0]) or result[0] < 0.01");
        assert_eq!(at(&c, f64::NAN), Ok(true));
        let c = read("not isNaN(result[0]) and result[0] >= 0.95");
        assert_eq!(at(&c, f64::NAN), Ok(false));
        assert_eq!(at(&c, 0.95), Ok(true));
        let c = read("result[0] != 1");
        assert_eq!(at(&c, f64::NAN), Ok(true));
        let c = read("result[-1] == 2");
        assert_eq!(c.holds(&V::List(vec![1.0, 2.0])), Ok(true));
    }

    #[test]
    fn predicates_max_min_and_default() {
        for s in ["all(result, {# < 0.01})", "all(result, # < 0.01)"] {
            let c = read(s);
            assert_eq!(c.holds(&V::List(vec![])), Ok(true), "{s}");
            assert_eq!(c.holds(&V::List(vec![0.0, 0.02])), Ok(false), "{s}");
        }
        assert_eq!(
            read("any(result, {# > 1})").holds(&V::List(vec![])),
            Ok(false)
        );
        assert_eq!(
            read("none(result, {# > 1})").holds(&V::List(vec![0.5])),
            Ok(true)
        );
        assert_eq!(
            read("one(result, {# > 1})").holds(&V::List(vec![2.0, 3.0])),
            Ok(false)
        );
        let c = read("max(result) < 0.05");
        assert_eq!(c.holds(&V::List(vec![0.01, 0.04])), Ok(true));
        assert!(
            c.holds(&V::List(vec![])).is_err(),
            "max() of nothing is nil"
        );
        // A list is never nil, so default() gives the list, which does not order.
        let c = read("default(result, 0) < 5");
        assert!(at(&c, 1.0).is_err());
        let s = Cond::read("default(result, 0) < 5", Ty::Num).unwrap();
        assert_eq!(s.holds(&V::Num(1.0)), Ok(true));
    }

    #[test]
    fn types_are_checked_as_expr_lang_compiles() {
        for (s, ty, want) in [
            ("result < 0.01", Ty::List, "compares the list"),
            ("result[0] < 0.01", Ty::Num, "is a number here"),
            (
                "isNaN(result) || result[0] < 1",
                Ty::List,
                "isNaN() of the list",
            ),
            ("result[0]", Ty::List, "not true or false"),
            ("len(result) < 1 && 1", Ty::List, "joins a number"),
            ("# < 1", Ty::List, "outside a predicate"),
            ("foo(result)", Ty::List, "calls foo()"),
            ("len(result, 1) > 0", Ty::List, "takes 1 argument"),
        ] {
            let e = Cond::read(s, ty).expect_err(s);
            assert!(e.0.contains(want), "{s}: {e}");
        }
        assert!(Cond::read("result < 0.01", Ty::Num).is_ok());
        assert!(
            Cond::read("result == 0", Ty::List)
                .unwrap_err()
                .0
                .contains("compares the list")
        );
        assert!(Cond::read("result[0] == 0", Ty::List).is_ok());
        assert!(
            Cond::read("default(result, 0) == 0", Ty::List).is_ok(),
            "an unknown compares with anything"
        );
    }

    #[test]
    fn what_is_not_read_says_what_it_is() {
        for (s, want) in [
            ("result == 'ok'", "strings"),
            ("result.ok", "field"),
            ("result[0] * 100 < 1", "computes"),
            ("result[0] > 0 ? true : false", "`?`"),
            ("result[0] < {{args.max}}", "template"),
            ("results[0] >= 90", "`results`"),
            ("bogus < 1", "neither `result`"),
            ("result[0] < 1 < 2", "chains"),
            ("result[0.5] < 1", "whole number"),
            ("(result[0] < 1", "without its `)`"),
            ("", "empty"),
            ("result[0] < 1 result", "goes on"),
            ("result[0] < 1x", "no number"),
            ("result[0] ~ 1", "character"),
        ] {
            let e = Cond::read(s, Ty::List).expect_err(s);
            assert!(e.0.contains(want), "{s}: {e}");
        }
    }

    #[test]
    fn constants_are_those_the_result_is_compared_with() {
        let mut c = Vec::new();
        read("len(result) == 0 || (result[0] >= 0.5 && all(result, {# < 2}))").constants(&mut c);
        assert_eq!(c, vec![0.5, 2.0]);
    }

    #[test]
    fn size_and_depth_are_bounded() {
        let long = format!("result[0] < {}", "1".repeat(MAX_CONDITION_BYTES));
        assert!(
            Cond::read(&long, Ty::List)
                .unwrap_err()
                .0
                .contains("bytes long")
        );
        let deep = format!(
            "{}result[0] < 1{}",
            "(".repeat(MAX_DEPTH + 1),
            ")".repeat(MAX_DEPTH + 1)
        );
        assert!(
            Cond::read(&deep, Ty::List)
                .unwrap_err()
                .0
                .contains("deeper")
        );
        let chain = vec!["result[0] < 1"; MAX_DEPTH + 1].join(" || ");
        assert!(
            Cond::read(&chain, Ty::List)
                .unwrap_err()
                .0
                .contains("deeper")
        );
        let nots = format!("{}result[0] < 1", "!".repeat(MAX_DEPTH + 1));
        assert!(
            Cond::read(&nots, Ty::List)
                .unwrap_err()
                .0
                .contains("deeper")
        );
    }
}
