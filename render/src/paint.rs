//! Colour for the terminal tables: plain ANSI codes, only when the caller says so
//! (the CLI turns it on when stdout is a terminal and `NO_COLOR` is unset). Padding
//! is applied before colouring so that columns stay aligned.

/// Whether to colour, and how.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Paint {
    pub enabled: bool,
}

impl Paint {
    pub const PLAIN: Paint = Paint { enabled: false };
    pub const ANSI: Paint = Paint { enabled: true };

    fn wrap(self, code: &str, s: &str) -> String {
        if self.enabled && !s.is_empty() {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }

    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
    pub fn green(self, s: &str) -> String {
        self.wrap("32", s)
    }
    pub fn red(self, s: &str) -> String {
        self.wrap("31", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
    pub fn cyan(self, s: &str) -> String {
        self.wrap("36", s)
    }
    pub fn bold_green(self, s: &str) -> String {
        self.wrap("1;32", s)
    }

    /// An outcome in the colour of its meaning: green when the policy did its job,
    /// red when it did not, yellow when it never finished.
    pub fn outcome(self, o: reports::Outcome, s: &str) -> String {
        use reports::Outcome::*;
        match o {
            Succeeded | Caught => self.green(s),
            Escaped | FalseRollback => self.red(s),
            Stalled => self.yellow(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_adds_nothing() {
        assert_eq!(Paint::PLAIN.red("x"), "x");
        assert_eq!(Paint::ANSI.red("x"), "\x1b[31mx\x1b[0m");
        assert_eq!(Paint::ANSI.red(""), "");
    }
}
