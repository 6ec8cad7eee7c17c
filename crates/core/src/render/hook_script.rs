//! The hook script every observability plugin runs (SPEC §4), and the curl config it reads.
//!
//! Design, and why:
//! - **The key is never on a command line.** Everything secret or org-specific — endpoint,
//!   `Gram-Key`, `Gram-Project` — lives in a curl config file next to the script
//!   ([`HOOK_CONFIG_PATH`]), which curl reads with `--config`. No argv that `ps` shows ever
//!   holds the key, no temporary file is written, no extra process is started, and it works
//!   the same with Git Bash's native curl. `-q` makes curl ignore a teammate's `~/.curlrc`.
//! - **Data, never code.** The script contains no org value at all; the config file quotes
//!   each value in curl's syntax (`\` and `"` escaped, control characters refused upstream).
//! - **Decision events** (the agent reads stdout as allow/deny/block) wait for Gram's answer
//!   for at most [`DECISION_MAX_MS`] and print it only if it is a JSON object from a 2xx
//!   answer. Everything else prints nothing.
//! - **Other events are fire-and-forget**: curl starts in the background and reads the event
//!   from the hook's stdin by itself, so the agent does not wait for the network. It ignores
//!   SIGHUP/SIGINT so an agent that exits (or a Ctrl-C in its terminal) does not cut the
//!   delivery short, and is bounded by [`BACKGROUND_MAX_SECONDS`].
//! - **Fail-open**: every path exits 0 — never 2, which Claude reads as "block" — whether
//!   curl is missing, Gram is down, slow, or answers an error.

use crate::key::HooksKey;
use crate::org::Org;

use super::Platform;

/// Where the script lives inside every observability plugin.
pub const HOOK_SCRIPT_PATH: &str = "hooks/gram-hook.sh";
/// The curl config the script passes to curl: endpoint and headers, key included.
pub const HOOK_CONFIG_PATH: &str = "hooks/gram-hook.curlrc";

/// Longest a decision event may hold the agent up when Gram does not answer, in milliseconds
/// (a multiple of 100). Below 2 s with room for process start-up on a slow laptop.
pub const DECISION_MAX_MS: u32 = 1500;
/// Connection timeout on every request.
pub const CONNECT_TIMEOUT_SECONDS: u32 = 1;
/// Longest a background delivery may run.
pub const BACKGROUND_MAX_SECONDS: u32 = 10;
/// The `timeout` written into hooks.json: the agent's own backstop, above every bound above.
pub const HOOK_TIMEOUT_SECONDS: u32 = 5;

/// Quotes `s` as a double-quoted string in curl's config syntax.
pub fn curl_config_quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', r"\\").replace('"', "\\\""))
}

/// Renders the curl config for one platform: where to post and with which headers.
pub fn curl_config(org: &Org, key: &HooksKey, platform: Platform) -> String {
    let header = |name: &str, value: &str| {
        format!(
            "header = {}\n",
            curl_config_quote(&format!("{name}: {value}"))
        )
    };
    let mut config = format!(
        "# Gram hook request for {platform}. {note}\n\
         # Read by gram-hook.sh through `curl --config`: it holds the API key, so the key never\n\
         # appears on a command line.\n\
         silent\n\
         globoff\n\
         proto = \"=http,https\"\n\
         connect-timeout = {CONNECT_TIMEOUT_SECONDS}\n\
         request = \"POST\"\n\
         data-binary = \"@-\"\n",
        platform = platform.display_name(),
        note = super::GENERATOR_NOTE,
    );
    config.push_str(&header("Content-Type", "application/json"));
    // No `Expect: 100-continue` round trip before large events.
    config.push_str("header = \"Expect:\"\n");
    config.push_str(&header("Gram-Key", key.expose()));
    config.push_str(&header("Gram-Project", &org.project));
    config.push_str(&format!(
        "url = {}\n",
        curl_config_quote(&org.hooks_endpoint(platform.id()))
    ));
    config
}

/// Renders the hook script for one platform. It holds no org data: see [`curl_config`].
///
/// It is POSIX `sh`, not bash: on Debian and Ubuntu `sh` (dash) starts several times faster
/// than bash, which is most of what a hook costs the agent besides curl itself.
pub fn hook_script(platform: Platform) -> String {
    let decision_events = platform.decision_events().join("|");
    format!(
        r#"#!/bin/sh
# Gram observability hook for {platform_name}.
# {note}
#
# Forwards the agent's hook event (JSON on stdin) to Gram. Usage: sh gram-hook.sh <EventName>
# - Endpoint and API key are in gram-hook.curlrc beside this script: curl reads them from
#   there, so the key never appears on a command line.
# - Gram down, slow or failing never blocks the agent: this script always exits 0.
# - Only events the agent reads a decision from ({decision_events}) wait for Gram's answer,
#   for at most {decision_max} s; all other events are sent in the background.

command -v curl >/dev/null 2>&1 || exit 0
case "$0" in
  */*) config="${{0%/*}}/gram-hook.curlrc" ;;
  *) config=gram-hook.curlrc ;;
esac

case "${{1:-}}" in
  {decision_events})
    answer=$(curl -q --config "$config" --max-time {decision_max} --fail 2>/dev/null) || exit 0
    case "$answer" in
      '{{'*) printf '%s\n' "$answer" ;;
    esac
    exit 0
    ;;
esac

exec 3<&0
( trap '' HUP INT; exec curl -q --config "$config" --max-time {background_max} <&3 ) >/dev/null 2>&1 &
exit 0
"#,
        platform_name = platform.display_name(),
        note = super::GENERATOR_NOTE,
        decision_max = decision_max_seconds(),
        background_max = BACKGROUND_MAX_SECONDS,
    )
}

/// [`DECISION_MAX_MS`] as curl's `--max-time` wants it: `1.5`.
pub fn decision_max_seconds() -> String {
    format!(
        "{}.{}",
        DECISION_MAX_MS / 1000,
        (DECISION_MAX_MS % 1000) / 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn curl_quoting_escapes_backslashes_and_quotes() {
        assert_eq!(curl_config_quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(curl_config_quote("$(x) `y` 'z'"), "\"$(x) `y` 'z'\"");
    }
}
