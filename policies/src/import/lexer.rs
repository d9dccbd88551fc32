//! The tokenizer of the two expression languages a manifest holds: PromQL queries
//! (`query::parse`) and expr-lang conditions (`condition::expr`). Both are read from
//! the same lexemes (white space, brackets and operators, words, decimal numbers,
//! quotes, `{{ }}` template placeholders), which this module scans once; what a lexeme
//! means, and what is an error, stays with each grammar's own parser.
//!
//! A language says how it spells its lexemes with a [`Lexicon`]: its operators and
//! brackets (the longest that matches wins, so `<=` is never `<` then `=`), the bytes
//! its words may hold beside letters, digits and `_`, its line comment, and whether `_`
//! may separate digits. Whatever it does not spell is handed back as it stands
//! ([`Lexeme::Quote`], [`Lexeme::Other`]) for the grammar to read or refuse in its own
//! words.

/// How one language spells its lexemes.
pub struct Lexicon<T: 'static> {
    /// Operators and brackets, each with the grammar's token for it.
    pub symbols: &'static [(&'static str, T)],
    /// Bytes a word may start with beside letters and `_` (expr-lang's `$`).
    pub word_start: &'static [u8],
    /// Bytes a word may hold after its first beside letters, digits and `_` (PromQL's
    /// `:` of recording rules, expr-lang's `$`).
    pub word_more: &'static [u8],
    /// The byte that starts a comment to the end of the line (PromQL's `#`).
    pub comment: Option<u8>,
    /// Whether `_` may stand between digits (expr-lang's `1_000`).
    pub digit_separator: bool,
}

/// One lexeme, as the grammar receives it.
#[derive(Clone, Debug, PartialEq)]
pub enum Lexeme<'s, T> {
    /// One of the lexicon's symbols.
    Symbol(T),
    /// A word: a name, a keyword or a function.
    Word(&'s str),
    /// A decimal number as written (digits, a fraction, an exponent; `.5` too), up to
    /// the first byte that cannot continue it: the grammar reads its value and refuses
    /// what follows it.
    Number(&'s str),
    /// A template placeholder `{{ ... }}` (Flagger's variables, an Argo argument not
    /// resolved): what is inside, without Go's trim markers (`{{- x -}}`). `None`: a
    /// `{{` without its `}}`.
    Template(Option<&'s str>),
    /// The opening quote of a string; the lexer is past it, and the grammar reads the
    /// string (`Lexer::seek` past its end) or refuses it.
    Quote(u8),
    /// A character the lexicon does not spell.
    Other(char),
}

/// Where decimal digits starting at `at` end (`_` included when `separator`).
fn digits_end(b: &[u8], mut at: usize, separator: bool) -> usize {
    while at < b.len() && (b[at].is_ascii_digit() || (separator && b[at] == b'_')) {
        at += 1;
    }
    at
}

/// Where the decimal number starting at `at` ends: digits, then `.` and digits, then
/// `e` or `E`, a sign and digits (the exponent only when it has digits, so `2e` is the
/// number `2` followed by a letter). The same rule in both languages; a PromQL number
/// starting with `.` and no digit is scanned by it too, to be refused as a number.
pub fn decimal_end(src: &str, at: usize, separator: bool) -> usize {
    let b = src.as_bytes();
    let mut i = digits_end(b, at, separator);
    if i < b.len() && b[i] == b'.' {
        i = digits_end(b, i + 1, separator);
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        let mut j = i + 1;
        if j < b.len() && matches!(b[j], b'+' | b'-') {
            j += 1;
        }
        let k = digits_end(b, j, separator);
        if k > j {
            i = k;
        }
    }
    i
}

/// The lexemes of a text, each with its byte offset, white space and comments passed
/// over.
pub struct Lexer<'s, T: 'static> {
    src: &'s str,
    pos: usize,
    lexicon: &'static Lexicon<T>,
}

impl<'s, T: Clone> Lexer<'s, T> {
    pub fn new(src: &'s str, lexicon: &'static Lexicon<T>) -> Lexer<'s, T> {
        Lexer {
            src,
            pos: 0,
            lexicon,
        }
    }

    /// Goes on from `to` (past a string the grammar read, a number it read further).
    pub fn seek(&mut self, to: usize) {
        self.pos = to;
    }

    fn is_word_byte(&self, c: u8, first: bool) -> bool {
        let extra = if first {
            self.lexicon.word_start
        } else {
            self.lexicon.word_more
        };
        c.is_ascii_alphabetic() || c == b'_' || (!first && c.is_ascii_digit()) || extra.contains(&c)
    }

    /// The next lexeme and its offset; `None` at the end.
    pub fn next_lexeme(&mut self) -> Option<(Lexeme<'s, T>, usize)> {
        let src = self.src;
        let b = src.as_bytes();
        loop {
            match b.get(self.pos) {
                None => return None,
                Some(b' ' | b'\t' | b'\n' | b'\r') => self.pos += 1,
                Some(&c) if Some(c) == self.lexicon.comment => {
                    while self.pos < b.len() && b[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                Some(_) => break,
            }
        }
        let at = self.pos;
        let rest = &src[at..];
        let c = b[at];
        if let Some(after) = rest.strip_prefix("{{") {
            let Some(end) = after.find("}}") else {
                self.pos = b.len();
                return Some((Lexeme::Template(None), at));
            };
            let inner = after[..end].trim();
            let inner = inner.trim_start_matches('-').trim_end_matches('-').trim();
            self.pos = at + 2 + end + 2;
            return Some((Lexeme::Template(Some(inner)), at));
        }
        let longest = self
            .lexicon
            .symbols
            .iter()
            .filter(|(text, _)| rest.starts_with(text))
            .max_by_key(|(text, _)| text.len());
        if let Some((text, tok)) = longest {
            self.pos = at + text.len();
            return Some((Lexeme::Symbol(tok.clone()), at));
        }
        let lexeme = match c {
            b'"' | b'\'' | b'`' => {
                self.pos = at + 1;
                Lexeme::Quote(c)
            }
            b'0'..=b'9' => self.number(at),
            b'.' if b.get(at + 1).is_some_and(u8::is_ascii_digit) => self.number(at),
            c if self.is_word_byte(c, true) => {
                let mut i = at + 1;
                while i < b.len() && self.is_word_byte(b[i], false) {
                    i += 1;
                }
                self.pos = i;
                Lexeme::Word(&src[at..i])
            }
            _ => {
                let ch = rest.chars().next().unwrap_or('?');
                self.pos = at + ch.len_utf8();
                Lexeme::Other(ch)
            }
        };
        Some((lexeme, at))
    }

    fn number(&mut self, at: usize) -> Lexeme<'s, T> {
        let end = decimal_end(self.src, at, self.lexicon.digit_separator);
        self.pos = end;
        Lexeme::Number(&self.src[at..end])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, PartialEq)]
    enum T {
        Lt,
        Le,
        Open,
    }

    static LEXICON: Lexicon<T> = Lexicon {
        symbols: &[("<", T::Lt), ("<=", T::Le), ("(", T::Open)],
        word_start: b"$",
        word_more: b":",
        comment: Some(b'#'),
        digit_separator: true,
    };

    fn all(src: &str) -> Vec<(Lexeme<'_, T>, usize)> {
        let mut l = Lexer::new(src, &LEXICON);
        std::iter::from_fn(|| l.next_lexeme()).collect()
    }

    #[test]
    fn the_longest_symbol_wins_and_space_and_comments_are_passed_over() {
        assert_eq!(
            all(" <= < ( # a comment\n<"),
            vec![
                (Lexeme::Symbol(T::Le), 1),
                (Lexeme::Symbol(T::Lt), 4),
                (Lexeme::Symbol(T::Open), 6),
                (Lexeme::Symbol(T::Lt), 20),
            ]
        );
    }

    #[test]
    fn words_numbers_quotes_templates_and_other_characters() {
        assert_eq!(
            all("$a:b1 a$ 1_000.5e-3 .5 2e x 'q {{- args.w -}} {{ open"),
            vec![
                (Lexeme::Word("$a:b1"), 0),
                (Lexeme::Word("a"), 6),
                (Lexeme::Word("$"), 7),
                (Lexeme::Number("1_000.5e-3"), 9),
                (Lexeme::Number(".5"), 20),
                (Lexeme::Number("2"), 23),
                (Lexeme::Word("e"), 24),
                (Lexeme::Word("x"), 26),
                (Lexeme::Quote(b'\''), 28),
                (Lexeme::Word("q"), 29),
                (Lexeme::Template(Some("args.w")), 31),
                (Lexeme::Template(None), 46),
            ]
        );
        assert_eq!(
            all(":é"),
            vec![(Lexeme::Other(':'), 0), (Lexeme::Other('é'), 1)]
        );
    }

    #[test]
    fn numbers_end_where_their_digits_do() {
        for (src, sep, end) in [
            ("12", false, 2),
            ("1_2", false, 1),
            ("1_2", true, 3),
            ("1.", false, 2),
            ("1.5", false, 3),
            ("1e5", false, 3),
            ("1e+5", false, 4),
            ("1e+", false, 1),
            ("1E-0x", false, 4),
            (".e5", false, 3),
            (".", false, 1),
        ] {
            assert_eq!(decimal_end(src, 0, sep), end, "{src}");
        }
    }
}
