//! POSIX shell words: a job script carries the sweep's arguments through `sh` (Slurm's
//! batch script, `submit.sh`, a GitHub Actions `run:` step), so each one must reach
//! rollcage exactly as the user typed it, spaces, quotes and all.

/// Characters that mean nothing to `sh` anywhere in a word (no globbing, expansion,
/// quoting, redirection or word splitting), so a word made only of them needs no
/// quotes. `~` (tilde expansion at a word's start) and `=` (an assignment when it is
/// the first word) are not here: [`quote`] handles `=`, and `~` is always quoted.
fn plain(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_-./,:@%+".contains(c)
}

/// `word` as one `sh` word that expands to exactly `word`: bare when every character is
/// [`plain`] (or `=` after the first character), otherwise in single quotes, inside
/// which nothing is special but the quote itself, written `'\''`.
pub fn quote(word: &str) -> String {
    let bare =
        !word.is_empty() && word.chars().all(|c| plain(c) || c == '=') && !word.starts_with('=');
    if bare {
        // `NAME=value` as a command's first word would be an assignment; `quote_command`
        // quotes that case.
        return word.to_string();
    }
    format!("'{}'", word.replace('\'', r"'\''"))
}

/// A command's first word: quoted as [`quote`] does, and also when it holds `=`, which
/// would otherwise make it a variable assignment.
pub fn quote_command(word: &str) -> String {
    if word.contains('=') {
        format!("'{}'", word.replace('\'', r"'\''"))
    } else {
        quote(word)
    }
}

/// The words quoted and joined by spaces.
pub fn join<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .map(|w| quote(w.as_ref()))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn plain_words_stay_bare_and_others_are_single_quoted() {
        assert_eq!(quote("--seeds=4"), "--seeds=4");
        assert_eq!(
            quote("good-release,error-regression"),
            "good-release,error-regression"
        );
        assert_eq!(quote("a b"), "'a b'");
        assert_eq!(quote("it's"), r"'it'\''s'");
        assert_eq!(quote(""), "''");
        assert_eq!(quote("~/x"), "'~/x'");
        assert_eq!(quote("$HOME"), "'$HOME'");
        assert_eq!(quote("=x"), "'=x'");
        assert_eq!(quote_command("A=b"), "'A=b'");
        assert_eq!(quote_command("/usr/bin/rollcage"), "/usr/bin/rollcage");
    }

    /// The shell itself reads every quoted word back as the original, whatever it holds.
    #[test]
    fn sh_reads_every_quoted_word_back_unchanged() {
        let words = [
            "plain",
            "with space",
            "it's",
            "''",
            "\"double\"",
            "$HOME $(id) `id` ${x}",
            "back\\slash",
            "new\nline",
            "*?[a]{b,c}",
            "~root",
            "a=b",
            "-n",
            "",
            "tab\there;&|<>()!#",
        ];
        let script = format!("for w in {}; do printf '%s\\0' \"$w\"; done", join(&words));
        let out = Command::new("sh")
            .arg("-c")
            .arg(&script)
            .output()
            .expect("sh runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let got: Vec<String> = String::from_utf8(out.stdout)
            .unwrap()
            .split('\0')
            .map(String::from)
            .collect();
        let mut want: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        want.push(String::new());
        assert_eq!(got, want);
    }
}
