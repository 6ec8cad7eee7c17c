//! Markdown escaping for text that came from users (plugin names, descriptions).

/// Makes `s` safe as one GitHub-flavoured Markdown table cell: line breaks become spaces,
/// `|` cannot end the cell, and no markup (links, emphasis, HTML, code) is interpreted.
pub fn escape_table_cell(s: &str) -> String {
    // `escape_inline` already escapes `|` and folds line breaks.
    escape_inline(s)
}

/// Escapes inline Markdown and HTML so `s` renders as the literal text.
pub fn escape_inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut last_space = false;
    for c in s.chars() {
        if c == '\r' || c == '\n' || c.is_control() {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = c == ' ';
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '\\' | '`' | '*' | '_' | '[' | ']' | '(' | ')' | '#' | '!' | '~' | '{' | '}' | '+'
            | '-' | '.' | '|' | '"' | ':' | '=' | '@' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_cannot_break_the_table_or_inject_markup() {
        assert_eq!(escape_table_cell("a|b"), r"a\|b");
        assert_eq!(escape_table_cell("line1\nline2\r\n"), "line1 line2");
        assert_eq!(
            escape_table_cell("[x](javascript:alert(1))"),
            r"\[x\]\(javascript\:alert\(1\)\)"
        );
        assert_eq!(escape_table_cell("<img src=x>"), r"&lt;img src\=x&gt;");
        assert_eq!(escape_table_cell("`code` *b* _i_"), r"\`code\` \*b\* \_i\_");
    }
}
