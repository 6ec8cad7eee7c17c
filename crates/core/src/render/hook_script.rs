//! The hook script every observability plugin runs (SPEC §4).
//!
//! Design, and why:
//! - **Data, never code.** The endpoint, project and key are baked in as single-quoted bash
//!   strings (`'` written as `'\''`), so no value can end the string or expand anything.
//!   The org name is not in the script at all.
//! - **The key is never on a command line.** curl reads its headers from a file descriptor
//!   (`-H @<(printf …)`): `printf` is a bash builtin, so the key never reaches any argv that
//!   `ps` can show. `-q` makes curl ignore a teammate's `~/.curlrc`.
//! - **Decision events** (the agent reads our stdout as allow/deny/block) wait for Gram's
//!   answer for at most [`DECISION_MAX_SECONDS`] and print it only if it is a JSON object from
//!   a 2xx response. Everything else prints nothing.
//! - **Other events are fire-and-forget**: curl is started in the background and reads the
//!   event from the hook's stdin on its own, so the agent does not wait for the network. It
//!   ignores SIGHUP/SIGINT so an agent that exits (or a Ctrl-C in its terminal) does not cut
//!   the delivery short, and is bounded by [`BACKGROUND_MAX_SECONDS`].
//! - **Fail-open**: every path exits 0 — never 2, which Claude reads as "block" — whether
//!   curl is missing, Gram is down, slow, or answers an error.

use crate::key::HooksKey;
use crate::org::Org;

use super::Platform;

/// Where the script lives inside every observability plugin.
pub const HOOK_SCRIPT_PATH: &str = "hooks/gram-hook.sh";

/// Longest a decision event may hold the agent up when Gram does not answer.
pub const DECISION_MAX_SECONDS: u32 = 2;
/// Connection timeout on every request.
pub const CONNECT_TIMEOUT_SECONDS: u32 = 1;
/// Longest a background delivery may run.
pub const BACKGROUND_MAX_SECONDS: u32 = 10;
/// The `timeout` written into hooks.json: the agent's own backstop, above every bound above.
pub const HOOK_TIMEOUT_SECONDS: u32 = 5;

/// Quotes `s` as one bash word that expands to exactly `s`.
pub fn shell_single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// Renders the hook script for one platform.
pub fn hook_script(org: &Org, key: &HooksKey, platform: Platform) -> String {
    let decision_events = platform.decision_events().join("|");
    let endpoint = shell_single_quote(&org.hooks_endpoint(platform.id()));
    let project = shell_single_quote(&org.project);
    let key = shell_single_quote(key.expose());
    format!(
        r#"#!/usr/bin/env bash
# Gram observability hook for {platform_name}.
# {note}
#
# Forwards the agent's hook event (JSON on stdin) to Gram. Usage: gram-hook.sh <EventName>
# - The API key never appears on a command line: curl reads its headers from a file descriptor.
# - Gram down, slow or failing never blocks the agent: this script always exits 0.
# - Only events the agent reads a decision from ({decision_events}) wait for Gram's answer,
#   for at most {decision_max} s; all other events are sent in the background.

GRAM_HOOK_URL={endpoint}
GRAM_PROJECT={project}
GRAM_KEY={key}

command -v curl >/dev/null 2>&1 || exit 0

gram_post() {{
  # $1: total time limit in seconds; further arguments go to curl. The event is read from stdin.
  local max_time=$1
  shift
  curl -q --silent --globoff --proto '=http,https' \
    --connect-timeout {connect} --max-time "$max_time" \
    -X POST -H 'Content-Type: application/json' \
    -H @<(printf 'Gram-Key: %s\nGram-Project: %s\n' "$GRAM_KEY" "$GRAM_PROJECT") \
    --data-binary @- --url "$GRAM_HOOK_URL" "$@"
}}

case "${{1:-}}" in
  {decision_events})
    answer=$(gram_post {decision_max} --fail 2>/dev/null) || exit 0
    case "$answer" in
      '{{'*) printf '%s\n' "$answer" ;;
    esac
    exit 0
    ;;
esac

exec 3<&0
( trap '' HUP INT; gram_post {background_max} <&3 >/dev/null 2>&1 ) >/dev/null 2>&1 &
exit 0
"#,
        platform_name = platform.display_name(),
        note = super::GENERATOR_NOTE,
        connect = CONNECT_TIMEOUT_SECONDS,
        decision_max = DECISION_MAX_SECONDS,
        background_max = BACKGROUND_MAX_SECONDS,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_quoting_survives_quotes() {
        assert_eq!(shell_single_quote("a'b"), r"'a'\''b'");
        assert_eq!(shell_single_quote(""), "''");
        assert_eq!(shell_single_quote("$(x)`y`"), "'$(x)`y`'");
    }
}
