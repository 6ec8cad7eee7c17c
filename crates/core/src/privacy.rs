//! What leaves a teammate's machine (issue #19): the privacy level an admin picks per plugin
//! ([`Content`]), the one secret-pattern table ([`PATTERNS`]) every hook scrubs with, which
//! fields each agent's events keep at each level ([`policy`]), and [`filter`], the reference
//! every generated filter (the hook script's awk, OpenCode's JavaScript) is property-tested
//! against, and what Check hook sends.
//!
//! **One table, three renderings.** A pattern is data ([`Part`]s: literal alternatives and
//! character classes with a minimum count), never a regex written by hand. It is rendered
//! into POSIX ERE for awk ([`ere`]: intervals `{n}` expanded, since mawk and BWK awk may lack
//! them), into JavaScript ([`js_regex`]) and into Rust's `regex` ([`rust_regex`]). The patterns
//! are built so that the leftmost-longest match (POSIX) and the leftmost-first one (JS, Rust)
//! are the same: every class is followed by something it cannot hold.
//!
//! **What the patterns see.** A string's decoded text. Every class holds printable ASCII only
//! (and, for a PEM body, line breaks), so a quote, a backslash, a control character or a
//! non-ASCII character ends any match: the awk filter, which works on the JSON text, turns each
//! escape into one byte no class holds (and `\n`, `\r` into the bytes a PEM body may hold), so
//! it finds exactly the same matches without decoding.
//!
//! **Scrubbing is always on**: at [`Content::Full`] every string value (not the keys) is
//! scrubbed; at [`Content::Metadata`] only the fields [`policy`] keeps go at all, scrubbed too.
//! Fields are removed whole, never cut halfway through a value.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::platform::Platform;

/// What a plugin's hook sends of each event.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize, ts_rs::TS)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[ts(export)]
pub enum Content {
    /// The agent's whole payload (prompts, tool input and output, assistant text), with secrets
    /// scrubbed.
    #[default]
    Full,
    /// Event name, session, timestamps, cwd, model, tool and MCP names, exit status and sizes:
    /// no prompt, tool input or output, assistant or thinking text.
    Metadata,
}

impl Content {
    pub const ALL: [Content; 2] = [Content::Full, Content::Metadata];

    /// `full`, `metadata`: the CLI's and the settings' word.
    pub fn as_str(self) -> &'static str {
        match self {
            Content::Full => "full",
            Content::Metadata => "metadata",
        }
    }

    /// One short sentence for a plugin's description.
    pub fn short(self) -> &'static str {
        match self {
            Content::Full => "Privacy level: full (credentials are redacted on the device).",
            Content::Metadata => {
                "Privacy level: metadata (no prompts, tool input or output, or assistant text; \
                 credentials are redacted on the device)."
            }
        }
    }

    /// One sentence for a script header, a plugin description and the README.
    pub fn sentence(self) -> &'static str {
        match self {
            Content::Full => {
                "Privacy level: full (the whole event: prompts, tool input and output, assistant \
                 text; credentials are replaced by [redacted:<kind>] before anything is sent or kept)."
            }
            Content::Metadata => {
                "Privacy level: metadata (event names, session, time, folder, model, tool and MCP \
                 names, exit status and sizes; no prompt, tool input or output, assistant or \
                 thinking text; credentials are replaced by [redacted:<kind>])."
            }
        }
    }
}

impl std::fmt::Display for Content {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One piece of a pattern.
#[derive(Debug, Clone, Copy)]
pub enum Part {
    /// One of these literal strings (printable ASCII).
    Lit(&'static [&'static str]),
    /// At least `min` characters of the class: `set` as a bracket expression's inside
    /// (ranges `a-z`, a `-` only last), plus line breaks when `breaks`.
    Class {
        set: &'static str,
        min: usize,
        breaks: bool,
    },
    /// The parts, or nothing.
    Optional(&'static [Part]),
}

/// A credential shape: what it is called in `[redacted:<kind>]`, whether the first part (a
/// literal, such as `password=`) stays in front of the mark, and its parts.
#[derive(Debug, Clone, Copy)]
pub struct Pattern {
    pub kind: &'static str,
    pub keep_first: bool,
    pub parts: &'static [Part],
    /// What it catches, for the README and the report.
    pub what: &'static str,
}

const fn class(set: &'static str, min: usize) -> Part {
    Part::Class {
        set,
        min,
        breaks: false,
    }
}

const B64URL: &str = "A-Za-z0-9_-";
/// What an assignment's value may hold: printable ASCII but space and `"'\&;,<>()[]{}|` and
/// the backtick.
const VALUE: &str = "A-Za-z0-9!#$%*+./:=?@^_~-";

/// The one pattern table, applied in this order (each to what the ones before left).
pub const PATTERNS: &[Pattern] = &[
    Pattern {
        kind: "private_key",
        keep_first: false,
        what: "PEM private keys (-----BEGIN … PRIVATE KEY----- to its END line)",
        parts: &[
            Part::Lit(&["-----BEGIN"]),
            class("A-Z ", 0),
            Part::Lit(&["PRIVATE KEY-----"]),
            Part::Class {
                set: "A-Za-z0-9+/= ",
                min: 0,
                breaks: true,
            },
            Part::Optional(&[
                Part::Lit(&["-----END"]),
                class("A-Z ", 0),
                Part::Lit(&["PRIVATE KEY-----"]),
            ]),
        ],
    },
    Pattern {
        kind: "jwt",
        keep_first: false,
        what: "JSON Web Tokens (eyJ….….…)",
        parts: &[
            Part::Lit(&["eyJ"]),
            class(B64URL, 8),
            Part::Lit(&["."]),
            class(B64URL, 8),
            Part::Lit(&["."]),
            class(B64URL, 0),
        ],
    },
    Pattern {
        kind: "aws_access_key",
        keep_first: false,
        what: "AWS access key ids (AKIA…, ASIA…)",
        parts: &[Part::Lit(&["AKIA", "ASIA"]), class("0-9A-Z", 16)],
    },
    Pattern {
        kind: "github_token",
        keep_first: false,
        what: "GitHub tokens (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)",
        parts: &[
            Part::Lit(&["ghp_", "gho_", "ghu_", "ghs_", "ghr_"]),
            class("A-Za-z0-9", 36),
        ],
    },
    Pattern {
        kind: "github_token",
        keep_first: false,
        what: "",
        parts: &[Part::Lit(&["github_pat_"]), class("A-Za-z0-9_", 22)],
    },
    Pattern {
        kind: "gitlab_token",
        keep_first: false,
        what: "GitLab personal access tokens (glpat-…)",
        parts: &[Part::Lit(&["glpat-"]), class(B64URL, 20)],
    },
    Pattern {
        kind: "slack_token",
        keep_first: false,
        what: "Slack tokens (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxo-)",
        parts: &[
            Part::Lit(&["xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxo-"]),
            class("A-Za-z0-9-", 10),
        ],
    },
    Pattern {
        kind: "gram_key",
        keep_first: false,
        what: "Gram API keys (gram_, the environment, _ and 64 hex digits)",
        parts: &[
            Part::Lit(&["gram_"]),
            class("a-z", 1),
            Part::Lit(&["_"]),
            class("0-9a-f", 64),
        ],
    },
    Pattern {
        kind: "bearer",
        keep_first: true,
        what: "bearer credentials (Bearer …, at least 8 characters)",
        parts: &[
            Part::Lit(&["Bearer ", "bearer "]),
            class("A-Za-z0-9._~+/=-", 8),
        ],
    },
    Pattern {
        kind: "password",
        keep_first: true,
        what: "password= and token= assignments (the name stays, the value goes)",
        parts: &[
            Part::Lit(&["password=", "Password=", "PASSWORD="]),
            class(VALUE, 1),
        ],
    },
    Pattern {
        kind: "password",
        keep_first: true,
        what: "",
        parts: &[Part::Lit(&["passwd=", "PASSWD="]), class(VALUE, 1)],
    },
    Pattern {
        kind: "token",
        keep_first: true,
        what: "",
        parts: &[Part::Lit(&["token=", "Token=", "TOKEN="]), class(VALUE, 1)],
    },
    Pattern {
        kind: "secret",
        keep_first: true,
        what: "",
        parts: &[Part::Lit(&["secret=", "SECRET="]), class(VALUE, 1)],
    },
];

/// The replacement for a match of `pattern`.
pub fn mark(pattern: &Pattern) -> String {
    format!("[redacted:{}]", pattern.kind)
}

// --- renderings ------------------------------------------------------------------------------

/// The bytes the awk filter puts for `\n` and `\r` escapes (what a PEM body may hold); every other
/// escape becomes a byte no class holds.
pub const AWK_LINE_BREAKS: &str = r"\003\004";

fn literal(s: &str, escape: impl Fn(char) -> String) -> String {
    s.chars().map(escape).collect()
}

/// `s` as POSIX ERE inside an awk regex literal `/…/`.
fn ere_char(c: char) -> String {
    match c {
        '.' | '[' | ']' | '(' | ')' | '*' | '+' | '?' | '{' | '}' | '|' | '^' | '$' => {
            format!("[{c}]")
        }
        '/' => r"\/".to_owned(),
        '\\' => r"\\".to_owned(),
        c => c.to_string(),
    }
}

fn re_char(c: char) -> String {
    match c {
        '.' | '[' | ']' | '(' | ')' | '*' | '+' | '?' | '{' | '}' | '|' | '^' | '$' | '\\'
        | '/' | '-' => format!("\\{c}"),
        c => c.to_string(),
    }
}

fn alternatives(words: &[&str], quote: &dyn Fn(char) -> String) -> String {
    let words: Vec<String> = words.iter().map(|w| literal(w, quote)).collect();
    if words.len() == 1 {
        words[0].clone()
    } else {
        format!("({})", words.join("|"))
    }
}

/// The bracket expression of a class (`/` escaped, for an awk regex literal and JavaScript).
fn bracket(set: &str, breaks: bool, awk: bool) -> String {
    let set = set.replace('/', r"\/");
    let (body, dash) = match set.strip_suffix('-') {
        Some(body) => (body.to_owned(), "-"),
        None => (set, ""),
    };
    let breaks = match (breaks, awk) {
        (false, _) => "",
        (true, true) => AWK_LINE_BREAKS,
        (true, false) => r"\n\r",
    };
    format!("[{body}{breaks}{dash}]")
}

fn render(parts: &[Part], awk: bool) -> String {
    let quote: &dyn Fn(char) -> String = if awk { &ere_char } else { &re_char };
    let mut out = String::new();
    for part in parts {
        match part {
            Part::Lit(words) => out.push_str(&alternatives(words, quote)),
            Part::Class { set, min, breaks } => {
                let b = bracket(set, *breaks, awk);
                if awk {
                    // No intervals: mawk and BWK awk may lack them.
                    for _ in 0..*min {
                        out.push_str(&b);
                    }
                    out.push_str(&b);
                    out.push('*');
                } else if *min == 0 {
                    out.push_str(&b);
                    out.push('*');
                } else {
                    out.push_str(&format!("{b}{{{min},}}"));
                }
            }
            Part::Optional(inner) => {
                out.push('(');
                out.push_str(&render(inner, awk));
                out.push_str(")?");
            }
        }
    }
    out
}

/// The pattern as POSIX ERE for an awk regex literal (between `/` and `/`), on the awk
/// filter's text (line breaks as [`AWK_LINE_BREAKS`]).
pub fn ere(pattern: &Pattern) -> String {
    render(pattern.parts, true)
}

/// The pattern as a JavaScript regex source (for `new RegExp(source, "g")`).
pub fn js_regex(pattern: &Pattern) -> String {
    render(pattern.parts, false)
}

/// The pattern as Rust `regex` syntax.
pub fn rust_regex(pattern: &Pattern) -> String {
    render(pattern.parts, false)
}

/// The first literal's alternatives: a string none of them is in needs no pattern at all.
pub fn first_words(pattern: &Pattern) -> &'static [&'static str] {
    match pattern.parts.first() {
        Some(Part::Lit(words)) => words,
        _ => &[],
    }
}

/// How many bytes of a match stay in front of the mark (the first literal, when kept).
pub fn kept_prefix(pattern: &Pattern) -> usize {
    if pattern.keep_first {
        first_words(pattern).first().map_or(0, |w| w.len())
    } else {
        0
    }
}

/// One ERE that any string holding a credential matches (the first literals of all
/// patterns), so most strings cost one regex test.
pub fn ere_prefilter() -> String {
    let mut words: Vec<String> = Vec::new();
    for p in PATTERNS {
        for w in first_words(p) {
            let w = literal(w, ere_char);
            if !words.contains(&w) {
                words.push(w);
            }
        }
    }
    words.join("|")
}

/// The privacy filter's awk functions for `platform` at `content` (see its head): the pattern
/// table and the agent's policy rendered into `privacy_filter.awk`. Needs the JSON reader.
pub fn awk_filter(platform: Platform, content: Content) -> String {
    // Dynamic regexes (strings), compiled only when a string passes the prefilter: a regex
    // literal would be compiled each time the hook starts awk.
    let mut patterns = String::new();
    let mut regexes = String::new();
    for (i, p) in PATTERNS.iter().enumerate() {
        let re = ere(p).replace(r"\/", "/");
        assert!(!re.contains('"') && !re.contains(r"\\"), "{re}");
        regexes.push_str(&format!("  privacy_re[{i}] = \"{re}\"\n"));
        patterns.push_str(&format!(
            "  o = \"\"; while (match(s, privacy_re[{i}])) {{ o = o substr(s, 1, RSTART - 1{}) \"{}\"; s = substr(s, RSTART + RLENGTH) }}; s = o s\n",
            match kept_prefix(p) {
                0 => String::new(),
                n => format!(" + {n}"),
            },
            mark(p)
        ));
    }
    let mut lines = regexes;
    if let Some(policy) = policy(platform, content) {
        for k in policy.keep {
            lines.push_str(&format!("  privacy_keep[\"{k}\"] = 1\n"));
        }
        for k in policy.open {
            lines.push_str(&format!("  privacy_open[\"{k}\"] = 1\n"));
        }
    }
    AWK_FILTER
        .replace("@PATTERNS@\n", &patterns)
        .replace("@POLICY@\n", &lines)
        .replace("@WORDS@", &ere_prefilter())
        .replace("@LEVEL@", content.as_str())
}

const AWK_FILTER: &str = include_str!("render/privacy_filter.awk");

/// The pattern table and OpenCode's metadata policy as JavaScript: the generated block of the
/// OpenCode module (between its `privacy table` marks; a test keeps the module's copy equal).
pub fn js_table() -> String {
    let mut out =
        String::from("/** @type {Array<[string, number, RegExp]>} */\nconst PATTERNS = [\n");
    for p in PATTERNS {
        out.push_str(&format!(
            "  [\"{}\", {}, /{}/g],\n",
            p.kind,
            kept_prefix(p),
            js_regex(p)
        ));
    }
    out.push_str("];\n");
    let policy = policy(Platform::OpenCode, Content::Metadata).expect("a metadata policy");
    let list = |items: &[&str]| {
        items
            .iter()
            .map(|k| format!("\"{k}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    out.push_str(&format!(
        "const METADATA_KEEP = new Set([{}]);\n",
        list(policy.keep)
    ));
    out.push_str(&format!(
        "const METADATA_OPEN = new Set([{}]);\n",
        list(policy.open)
    ));
    out
}

// --- the reference -----------------------------------------------------------------------------

fn compiled() -> &'static [(regex::Regex, usize, String)] {
    static RES: std::sync::OnceLock<Vec<(regex::Regex, usize, String)>> =
        std::sync::OnceLock::new();
    RES.get_or_init(|| {
        PATTERNS
            .iter()
            .map(|p| {
                (
                    regex::Regex::new(&rust_regex(p)).expect("the pattern table compiles"),
                    kept_prefix(p),
                    mark(p),
                )
            })
            .collect()
    })
}

/// `text` with every credential the table knows replaced by `[redacted:<kind>]`.
pub fn scrub(text: &str) -> String {
    let mut text = text.to_owned();
    for (re, keep, mark) in compiled() {
        if re.is_match(&text) {
            text = re
                .replace_all(&text, |c: &regex::Captures| {
                    format!("{}{mark}", &c[0][..*keep])
                })
                .into_owned();
        }
    }
    text
}

/// Every string in `value` scrubbed (keys stay).
pub fn scrub_value(value: &Value) -> Value {
    match value {
        Value::String(s) => Value::String(scrub(s)),
        Value::Array(items) => Value::Array(items.iter().map(scrub_value).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), scrub_value(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Which fields of an agent's event go at [`Content::Metadata`]: `keep` members are kept whole
/// (dotted paths: `toolResult.resultType` is a member of the top-level `toolResult`); `open`
/// members are objects of which only their `keep` members go. Everything else is removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Policy {
    pub keep: &'static [&'static str],
    pub open: &'static [&'static str],
}

/// Claude Code's payload (Gram's `ClaudeHookPayload` and what Claude Code adds).
const CLAUDE_METADATA: Policy = Policy {
    keep: &[
        "hook_event_name",
        "session_id",
        "transcript_path",
        "cwd",
        "model",
        "permission_mode",
        "tool_name",
        "tool_use_id",
        "source",
        "reason",
        "trigger",
        "notification_type",
        "stop_hook_active",
        "is_interrupt",
        "agent_id",
        "agent_type",
        "duration_ms",
        "user_email",
    ],
    open: &[],
};

/// Cursor's payload (Gram's `CursorHookPayload`): `url` and `command` name the MCP server.
const CURSOR_METADATA: Policy = Policy {
    keep: &[
        "hook_event_name",
        "conversation_id",
        "generation_id",
        "session_id",
        "transcript_path",
        "cwd",
        "workspace_roots",
        "model",
        "cursor_version",
        "composer_mode",
        "user_email",
        "tool_name",
        "tool_use_id",
        "url",
        "command",
        "status",
        "is_interrupt",
        "failure_type",
        "loop_count",
        "duration",
        "duration_ms",
        "input_tokens",
        "output_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
    ],
    open: &[],
};

/// Codex posts its payload raw to Gram's provider endpoint: only what Gram's `CodexHookPayload`
/// names, and of that only metadata.
const CODEX_METADATA: Policy = Policy {
    keep: &[
        "hook_event_name",
        "session_id",
        "transcript_path",
        "cwd",
        "model",
        "permission_type",
        "tool_name",
        "user_email",
    ],
    open: &[],
};

/// Copilot CLI's camelCase payload, before the hook builds the envelope from it.
const COPILOT_METADATA: Policy = Policy {
    keep: &[
        "sessionId",
        "timestamp",
        "cwd",
        "toolName",
        "reason",
        "stopReason",
        "notification_type",
        "notificationType",
        "type",
        "toolResult.resultType",
        "error.name",
    ],
    open: &["toolResult", "error"],
};

/// A `hook.ingest.v1` envelope (OpenCode's module builds them; so does Check hook for Copilot
/// and OpenCode): no prompt, message or tool content, no raw event.
const ENVELOPE_METADATA: Policy = Policy {
    keep: &[
        "schema_version",
        "source",
        "session",
        "event",
        "data.tool_call.name",
        "data.tool_call.status",
        "data.tool_call.permission_type",
        "data.mcp",
        "data.usage",
        "data.notification.type",
        "data.skill",
    ],
    open: &["data", "data.tool_call", "data.notification"],
};

/// What goes at `content` for `platform`; `None`: everything (scrubbed).
pub fn policy(platform: Platform, content: Content) -> Option<&'static Policy> {
    match content {
        Content::Full => None,
        Content::Metadata => Some(match platform {
            Platform::Claude => &CLAUDE_METADATA,
            Platform::Cursor => &CURSOR_METADATA,
            Platform::Codex => &CODEX_METADATA,
            Platform::Copilot => &COPILOT_METADATA,
            Platform::OpenCode => &ENVELOPE_METADATA,
        }),
    }
}

fn keep_members(map: &Map<String, Value>, prefix: &str, policy: &Policy) -> Map<String, Value> {
    let mut out = Map::new();
    for (key, value) in map {
        let path = format!("{prefix}{key}");
        if policy.keep.contains(&path.as_str()) {
            out.insert(key.clone(), scrub_value(value));
        } else if policy.open.contains(&path.as_str()) {
            if let Value::Object(inner) = value {
                out.insert(
                    key.clone(),
                    Value::Object(keep_members(inner, &format!("{path}."), policy)),
                );
            }
        }
    }
    out
}

/// A `hook.ingest.v1` envelope as it may leave the machine at `content`.
pub fn filter_envelope(content: Content, envelope: &Value) -> Value {
    filter(Platform::OpenCode, content, envelope)
}

/// The event as `platform`'s hook sends it at `content`: the reference the awk and JavaScript
/// filters are tested against. At `metadata` anything but an object becomes `{}`.
pub fn filter(platform: Platform, content: Content, event: &Value) -> Value {
    match policy(platform, content) {
        None => scrub_value(event),
        Some(policy) => match event {
            Value::Object(map) => Value::Object(keep_members(map, "", policy)),
            _ => Value::Object(Map::new()),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn every_pattern_catches_its_credential_and_leaves_prose() {
        let aws = "AKIAIOSFODNN7EXAMPLE";
        // Obviously fake: a token's shape, all zeros.
        let github = format!("ghp_{}", "0".repeat(36));
        let cases = [
            (
                "-----BEGIN RSA PRIVATE KEY-----\nMIIEow+/=\nabc\n-----END RSA PRIVATE KEY----- after",
                "[redacted:private_key] after",
            ),
            (
                "-----BEGIN PRIVATE KEY-----\nMIIE",
                "[redacted:private_key]",
            ),
            (
                "t eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U x",
                "t [redacted:jwt] x",
            ),
            (&format!("key {aws}!") as &str, "key [redacted:aws_access_key]!"),
            ("ASIAY34FZKBOKMUTVV7A", "[redacted:aws_access_key]"),
            (&format!("{github} ok") as &str, "[redacted:github_token] ok"),
            (
                "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
                "[redacted:github_token]",
            ),
            ("glpat-abcdefghij0123456789", "[redacted:gitlab_token]"),
            ("xoxb-1234567890-abcdef", "[redacted:slack_token]"),
            (
                &format!("gram_live_{}", "a1".repeat(32)) as &str,
                "[redacted:gram_key]",
            ),
            (
                "Authorization: Bearer abc.def-123456",
                "Authorization: Bearer [redacted:bearer]",
            ),
            ("url?password=hunter2&x=1", "url?password=[redacted:password]&x=1"),
            ("PASSWD=s3cr3t ok", "PASSWD=[redacted:password] ok"),
            ("access_token=abc123;", "access_token=[redacted:token];"),
            ("SECRET=xyz", "SECRET=[redacted:secret]"),
        ];
        for (input, want) in cases {
            assert_eq!(scrub(input), want, "{input}");
        }
        for prose in [
            "The password is in the vault; ask for a token.",
            "AKIA is a prefix",
            "Bearer short",
            "eyJ only",
            "gh_pages",
            "token= (empty)",
        ] {
            assert_eq!(scrub(prose), prose);
        }
    }

    #[test]
    fn regexes_have_no_intervals_in_awk_and_no_quote() {
        for p in PATTERNS {
            let ere = ere(p);
            assert!(!ere.contains('{') && !ere.contains('\''), "{ere}");
            assert!(regex::Regex::new(&js_regex(p)).is_ok());
        }
    }

    #[test]
    fn metadata_keeps_names_and_drops_content() {
        let event = json!({
            "hook_event_name": "PostToolUse",
            "session_id": "s1",
            "tool_name": "Bash",
            "tool_input": {"command": "echo AKIAIOSFODNN7EXAMPLE"},
            "tool_response": {"stdout": "the canary sentence"},
            "prompt": "p"
        });
        assert_eq!(
            filter(Platform::Claude, Content::Metadata, &event),
            json!({"hook_event_name": "PostToolUse", "session_id": "s1", "tool_name": "Bash"})
        );
        let full = filter(Platform::Claude, Content::Full, &event);
        assert_eq!(
            full["tool_input"]["command"],
            "echo [redacted:aws_access_key]"
        );
        assert_eq!(full["tool_response"]["stdout"], "the canary sentence");
        let copilot = json!({"sessionId": "s", "toolName": "bash", "toolArgs": {"command": "x"},
            "toolResult": {"resultType": "success", "textResultForLlm": "out"}, "error": "e"});
        assert_eq!(
            filter(Platform::Copilot, Content::Metadata, &copilot),
            json!({"sessionId": "s", "toolName": "bash", "toolResult": {"resultType": "success"}})
        );
    }
}
