//! The hook's envelope builder for agents whose events go to `/rpc/hooks.ingest`
//! ([`Delivery::IngestEnvelope`]: GitHub Copilot CLI): a POSIX awk program,
//! `hooks/gram-envelope.awk`, that reads the agent's JSON payload and prints a `hook.ingest.v1`
//! envelope, and the `sh` pieces of the hook script that run it ([`ScriptParts`]). Gram's answer
//! (its `IngestHookResult`) is read by the hook's decision filter, like every agent's
//! (`copilot_decision.awk` on `json_reader.awk`). No binary: a teammate can read all of it.
//!
//! The awk program reads the payload with the hook's one JSON reader (`json_reader.awk`, which it
//! carries, with the privacy filter that runs first), checks the tokens against JSON's grammar
//! without recursion (any nesting), copies values token by token without decoding them,
//! and leaves out any field that no JSON reader Gram runs would take (a lone surrogate escape,
//! bytes that are not UTF-8, a number out of a double's range, nesting deeper than
//! [`MAX_DEPTH`]). So the envelope is always JSON the contract accepts, or nothing is sent.
//! The property tests (`crates/core/tests/core/envelope.rs`) run it in mawk, gawk, BWK awk and
//! busybox awk against hostile input and check every envelope with serde_json and the contract.

use crate::platform::{Delivery, Package, Platform};
use crate::privacy::Content;

/// Where the program lives in the observability plugin, beside the hook script.
pub const ENVELOPE_PATH: &str = "hooks/gram-envelope.awk";
/// `source.adapter_version` of every envelope gram-admin's hooks build.
pub const ADAPTER_VERSION: &str = "gram-admin-1.0.0";
/// Values nested deeper than this are left out (serde_json reads at most 128 levels; the
/// envelope adds three).
pub const MAX_DEPTH: u32 = 100;
/// The raw payload rides along (for Gram's debugging) only up to this many bytes.
pub const RAW_MAX_BYTES: u32 = 65_536;

/// One row of the canonical mapping: a Copilot event, its Gram `event.type`, the `data` block it
/// fills, and the `usage.status` it reports when the payload names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventType {
    pub event: &'static str,
    pub event_type: &'static str,
    pub data: &'static str,
    pub status: &'static str,
}

const fn row(
    event: &'static str,
    event_type: &'static str,
    data: &'static str,
    status: &'static str,
) -> EventType {
    EventType {
        event,
        event_type,
        data,
        status,
    }
}

/// Copilot CLI's events → Gram's canonical `event.type`: the one table (the awk program's
/// `TYPE` and `STATUS` and its header comment are rendered from it).
pub const COPILOT_EVENT_TYPES: &[EventType] = &[
    row("sessionStart", "session.started", "-", ""),
    row("userPromptSubmitted", "prompt.submitted", "prompt.text", ""),
    row("preToolUse", "tool.requested", "tool_call name, input", ""),
    row(
        "permissionRequest",
        "tool.requested",
        "tool_call name, input, permission_type",
        "",
    ),
    row(
        "postToolUse",
        "tool.completed",
        "tool_call name, input, output, status",
        "",
    ),
    row(
        "postToolUseFailure",
        "tool.failed",
        "tool_call name, input, error",
        "",
    ),
    row(
        "agentStop",
        "session.updated",
        "usage.status (stopReason or agent_stopped)",
        "agent_stopped",
    ),
    row(
        "subagentStart",
        "session.updated",
        "usage.status subagent_started",
        "subagent_started",
    ),
    row(
        "subagentStop",
        "session.updated",
        "usage.status subagent_stopped",
        "subagent_stopped",
    ),
    row(
        "errorOccurred",
        "notification.reported",
        "notification type error, message, title",
        "",
    ),
    row(
        "sessionEnd",
        "session.ended",
        "usage.status (reason or ended)",
        "ended",
    ),
    row(
        "notification",
        "notification.reported",
        "notification type, title, message",
        "",
    ),
];

/// The awk program for `adapter`, rendered from [`COPILOT_EVENT_TYPES`].
pub fn envelope_program(adapter: &str, content: Content) -> String {
    let mut types = String::new();
    let mut comment = String::new();
    for r in COPILOT_EVENT_TYPES {
        types.push_str(&format!("  TYPE[\"{}\"] = \"{}\"\n", r.event, r.event_type));
        if !r.status.is_empty() {
            types.push_str(&format!("  STATUS[\"{}\"] = \"{}\"\n", r.event, r.status));
        }
        comment.push_str(&format!(
            "# {:<21} -> {:<22} {}\n",
            r.event, r.event_type, r.data
        ));
    }
    let program = PROGRAM
        .replace("@NOTE@", super::GENERATOR_NOTE)
        .replace("@CONTENT@", content.sentence())
        .replace("@TABLE_COMMENT@\n", &comment)
        .replace("@EVENT_TYPES@\n", &types)
        .replace("@MAX_DEPTH@", &MAX_DEPTH.to_string())
        .replace("@RAW_MAX@", &RAW_MAX_BYTES.to_string())
        .replace("@ADAPTER_VERSION@", ADAPTER_VERSION)
        .replace("@ADAPTER@", adapter);
    // The privacy filter and the JSON reader it runs on, with their comments.
    format!(
        "{program}\n{}\n{}",
        crate::privacy::awk_filter(Platform::Copilot, content),
        super::hook_script::JSON_READER_AWK
    )
}

const PROGRAM: &str = include_str!("envelope.awk");

/// The pieces of the hook script that differ for an envelope agent: each replaces one
/// placeholder of the script (see `hook_script.rs`). [`Default`] is what every other agent's
/// script holds, so their scripts stay as they are.
pub(crate) struct ScriptParts {
    /// Functions and variables: `$event` (the script's argument: Copilot's payloads name no
    /// event) and `to_envelope`.
    pub functions: &'static str,
    /// Run on the decision path before anything is kept or sent: stdin becomes `$ev`.
    pub decision: &'static str,
    /// What writes the event to the spool when a decision event does not wait.
    pub hung_keep: &'static str,
    /// The decision path's pipeline head that writes the spool entry `$live` and feeds curl.
    pub decision_write: &'static str,
    /// The decision path's pipeline head that feeds curl when nothing is kept.
    pub decision_send: &'static str,
    /// How `capture` (the background path) reads the event into `$ev`.
    pub read_event: &'static str,
}

impl Default for ScriptParts {
    fn default() -> Self {
        ScriptParts {
            functions: "",
            decision: "",
            hung_keep: "awk \"$privacy_filter\" 2>/dev/null",
            decision_write: "GRAM_LIVE=$live awk \"$privacy_filter\" 2>/dev/null",
            decision_send: "awk \"$privacy_filter\" 2>/dev/null",
            read_event: "  ev=$(awk \"$privacy_filter\" 2>/dev/null) || exit 0\n",
        }
    }
}

impl ScriptParts {
    /// The envelope agent's pieces; `None` for agents Gram has an endpoint for.
    pub(crate) fn for_package(package: &Package) -> Option<ScriptParts> {
        match package.delivery {
            Delivery::ProviderEndpoint => None,
            Delivery::IngestEnvelope { .. } => Some(ScriptParts {
                functions: SCRIPT_FUNCTIONS,
                decision: "    to_envelope\n",
                hung_keep: "printf '%s' \"$ev\"",
                // The envelope is in memory: written ahead with the shell's own printf (no
                // tee), then piped to curl.
                decision_write: "{ printf '%s' \"$ev\" > \"$live\"; } 2>/dev/null || { rm -f \"$live\"; live=; }\n      printf '%s' \"$ev\"",
                decision_send: "printf '%s' \"$ev\"",
                read_event: "  to_envelope\n",
            }),
        }
    }
}

const SCRIPT_FUNCTIONS: &str = r#"
# Gram has no endpoint for this agent's own payloads, and they name no event (it is this script's
# argument): gram-envelope.awk beside this script turns each into a hook.ingest.v1 envelope, $ev,
# before it is kept or sent, on both paths. A payload that is not one JSON object is not kept or
# sent at all. Gram's answer to a decision event is its IngestHookResult: decision_filter
# rewrites a deny (only a deny) into the agent's words.
envelope_program="${config%gram-hook.curlrc}gram-envelope.awk"
case "${1:-}" in
  --deliver) event=${2:-} ;;
  *) event=${1:-} ;;
esac
to_envelope() {
  host_name
  ms=
  case "$t" in ???????????????????) ms=${t%???????}0 ;; esac
  ev=$(awk -v event="$event" -v host="$host" -v now="$ms" -f "$envelope_program" 2>/dev/null) || exit 0
  [ -n "$ev" ] || exit 0
}
"#;
