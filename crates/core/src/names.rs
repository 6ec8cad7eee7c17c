//! Names as Gram, Claude Code and Cursor accept them.

/// Gram's slug: keep ASCII letters, digits, whitespace and `-`; lowercase; collapse runs of
/// `-`/whitespace into one `-`; trim `-`. May return an empty string — callers must refuse it.
///
/// ```
/// use gram_admin_core::names::slug;
/// assert_eq!(slug("Acme Corp"), "acme-corp");
/// assert_eq!(slug("Foo_Bar"), "foobar");
/// assert_eq!(slug("Café Ünï"), "caf-n");
/// assert_eq!(slug("A & B"), "a-b");
/// assert_eq!(slug("!!!"), "");
/// ```
pub fn slug(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut pending_dash = false;
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !out.is_empty() {
                out.push('-');
            }
            pending_dash = false;
            out.push(c.to_ascii_lowercase());
        } else if c == '-' || c.is_ascii_whitespace() {
            pending_dash = true;
        }
    }
    out
}

/// Names every agent accepts for plugins and marketplaces: kebab-case,
/// `^[a-z0-9]([a-z0-9-]*[a-z0-9])?$`.
///
/// Claude Code and Cursor document `^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$`, but
/// `claude plugin validate --strict` (2.1.x) refuses a name with a dot, so we refuse dots too.
pub fn is_valid_plugin_name(name: &str) -> bool {
    let b = name.as_bytes();
    let inner = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match b {
        [] => false,
        [only] => inner(only),
        [first, middle @ .., last] => {
            inner(first) && inner(last) && middle.iter().all(|c| inner(c) || *c == b'-')
        }
    }
}

/// The longest plugin name we produce; longer names make unwieldy directories and settings keys.
pub const MAX_NAME_LEN: usize = 64;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_matches_the_spec_examples() {
        assert_eq!(slug("Acme Corp"), "acme-corp");
        assert_eq!(slug("Foo_Bar"), "foobar");
        assert_eq!(slug("Café Ünï"), "caf-n");
        assert_eq!(slug("A & B"), "a-b");
        assert_eq!(slug("!!!"), "");
        assert_eq!(slug("  --Acme -- Corp--  "), "acme-corp");
        assert_eq!(slug("a\t\nb"), "a-b");
    }

    #[test]
    fn plugin_names_follow_the_claude_and_cursor_pattern() {
        for ok in ["a", "acme-observability", "x1", "1x", "a-b-c"] {
            assert!(is_valid_plugin_name(ok), "{ok}");
        }
        for bad in ["", "-a", "a-", "A", "a b", "a_b", ".a", "a.", "a.b", "é"] {
            assert!(!is_valid_plugin_name(bad), "{bad}");
        }
    }
}
