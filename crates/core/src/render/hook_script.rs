//! The hook script every observability plugin runs (SPEC §4), and the curl config it reads.
//!
//! Design, and why:
//! - **The key is never on a command line.** Everything secret or org-specific — endpoint,
//!   `Gram-Key`, `Gram-Project` — lives in a curl config file next to the script
//!   ([`HOOK_CONFIG_PATH`]), which curl reads with `--config`. No argv that `ps` shows ever
//!   holds the key, and no file the script writes does. It works the same with Git Bash's
//!   native curl. `-q` makes curl ignore a teammate's `~/.curlrc`.
//! - **Data, never code.** The script contains no org value at all; the config file quotes
//!   each value in curl's syntax (`\` and `"` escaped, control characters refused upstream).
//!   Its first line names the spool directory ([`spool_name`]: `[a-z0-9.-]` only, and the
//!   script refuses anything else).
//! - **Every request carries `Idempotency-Key`** (128 random bits from `/dev/urandom`, one per
//!   event, reused for every resend) and `X-Gram-Hook-Hostname`, so Gram stores a resent event
//!   once. Neither is secret, so both may be on curl's command line.
//! - **Decision events** (the agent reads stdout as allow/deny/block) wait for Gram's answer
//!   for at most [`DECISION_MAX_MS`] and print it only if it is a JSON object from a 2xx
//!   answer. Everything else prints nothing. After one got no answer in time, the next ones
//!   for [`HUNG_WINDOW_SECONDS`] do not wait at all (state: `gram-hung` in the spool
//!   directory, an epoch second); one background drain at a time checks on Gram meanwhile.
//! - **Other events are handed to a process in a new session** (`setsid`; stock macOS has no
//!   `setsid`, so `perl`'s `POSIX::setsid`, which macOS ships; with neither, a plain background
//!   process that ignores SIGHUP/SIGINT). The hook waits, through a pipe, until that process
//!   has left the hook's process group and read the clock (the event's place in the spool), so
//!   an agent that kills the hook's process group the instant it exits, or exits itself, or
//!   closes its terminal, loses nothing. Detaching from inside an already-started background child
//!   instead races the kill and loses most events.
//! - **Write-ahead spool.** Every event is written to the spool before it is sent (one file
//!   per event, `<epoch ns>-<bytes>-<token>`, `.<pid>.live` while its sender runs, `.ev` once
//!   kept; mode 0600 in a 0700 directory: the agent's plugin data directory
//!   (`CLAUDE_PLUGIN_DATA`), else `$XDG_STATE_HOME` or `~/.local/state`, under `gram-hooks/`).
//!   A 2xx or a definitive 4xx deletes it; anything else keeps it (401, 408, 429, 5xx, no
//!   answer). The next successful send starts one drain (lock: `drain.lock`, a dead or
//!   hour-old holder is replaced) that resends oldest first and stops at the first failure.
//!   Caps as Gram's own relay: [`SPOOL_MAX_ENTRIES`], [`SPOOL_MAX_BYTES`],
//!   [`SPOOL_MAX_ENTRY_BYTES`], [`SPOOL_MAX_DAYS`]; oldest dropped first.
//!   `sh gram-hook.sh --drain` drains in the foreground and prints what became of each event.
//!   An unwritable spool or a full disk changes nothing for the agent: the event is sent from
//!   memory as before.
//! - **Fail-open**: every path exits 0 — never 2, which Claude reads as "block" — whether
//!   curl is missing, Gram is down, slow, or answers an error.
//! - **Cheap**: a non-decision event costs the agent one `sh`, and, before the hook returns,
//!   two forks, `setsid`, a second `sh` and `date`; reading the event, its token (`od`), the
//!   spool write and the network happen after (the hook-cost benchmark measures it).

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
/// After a decision event got no answer in time, how long later decision events do not wait.
pub const HUNG_WINDOW_SECONDS: u32 = 60;
/// Spool caps, as Gram's own hook relay: entries, total bytes, bytes per entry, age in days.
pub const SPOOL_MAX_ENTRIES: u32 = 2000;
pub const SPOOL_MAX_BYTES: u64 = 64 << 20;
pub const SPOOL_MAX_ENTRY_BYTES: u64 = 8 << 20;
pub const SPOOL_MAX_DAYS: u32 = 14;

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
        "# spool: {spool}\n\
         # Gram hook request for {platform}. {note}\n\
         # Read by gram-hook.sh through `curl --config`: it holds the API key, so the key never\n\
         # appears on a command line.\n\
         silent\n\
         globoff\n\
         proto = \"=http,https\"\n\
         connect-timeout = {CONNECT_TIMEOUT_SECONDS}\n\
         request = \"POST\"\n\
",
        spool = spool_name(org, platform),
        platform = platform.display_name(),
        note = super::GENERATOR_NOTE,
    );
    config.push_str(&header("Content-Type", "application/json"));
    // No `Expect: 100-continue` round trip before large events.
    config.push_str("header = \"Expect:\"\n");
    config.push_str(&header("Gram-Key", key.expose()));
    config.push_str(&header("Gram-Project", org.project.as_str()));
    config.push_str(&format!(
        "url = {}\n",
        curl_config_quote(&org.hooks_endpoint(platform))
    ));
    config
}

/// The name of the plugin's spool directory: org, project and agent, and a hash of server and
/// project so two plugins never share a spool (a drain resends with its own plugin's config).
/// Only `[a-z0-9.-]`, whatever the project slug holds.
pub fn spool_name(org: &Org, platform: Platform) -> String {
    use sha2::{Digest, Sha256};
    let mut hash = Sha256::new();
    hash.update(org.server.as_str().as_bytes());
    hash.update([0]);
    hash.update(org.project.as_str().as_bytes());
    let hex: String = hash.finalize()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let mut project = crate::names::slug(org.project.as_str());
    project.truncate(40);
    let project = project.trim_end_matches('-');
    let project = if project.is_empty() {
        "project"
    } else {
        project
    };
    format!("{}.{project}.{}.{hex}", org.slug(), platform.id())
}

/// Renders the hook script for one platform. It holds no org data: see [`curl_config`].
///
/// It is POSIX `sh`, not bash: on Debian and Ubuntu `sh` (dash) starts several times faster
/// than bash, which is most of what a hook costs the agent besides curl itself.
pub fn hook_script(platform: Platform) -> String {
    let package = platform
        .package()
        .expect("the hook script is rendered for package agents");
    SCRIPT
        .replace(
            "@ENVELOPE_FUNCTIONS@",
            super::envelope::script_functions(package),
        )
        .replace(
            "@ENVELOPE_TRANSFORM@",
            super::envelope::script_transform(package),
        )
        .replace(
            "@PRINT_DECISION@",
            super::envelope::script_print_decision(package),
        )
        .replace("@PLATFORM_NAME@", platform.display_name())
        .replace("@NOTE@", super::GENERATOR_NOTE)
        .replace("@DECISION_EVENTS@", &platform.decision_events().join("|"))
        .replace("@DECISION_MAX@", &decision_max_seconds())
        .replace("@BACKGROUND_MAX@", &BACKGROUND_MAX_SECONDS.to_string())
        .replace("@HUNG_WINDOW@", &HUNG_WINDOW_SECONDS.to_string())
        .replace("@MAX_ENTRIES@", &SPOOL_MAX_ENTRIES.to_string())
        .replace("@MAX_BYTES@", &SPOOL_MAX_BYTES.to_string())
        .replace("@MAX_MIB@", &(SPOOL_MAX_BYTES >> 20).to_string())
        .replace("@MAX_ENTRY@", &SPOOL_MAX_ENTRY_BYTES.to_string())
        .replace("@MAX_DAYS@", &SPOOL_MAX_DAYS.to_string())
        .replace("@MAX_AGE@", &(SPOOL_MAX_DAYS * 86_400).to_string())
        .replace("@ORPHAN_AGE@", &(12 * BACKGROUND_MAX_SECONDS).to_string())
        .replace("@BATCH@", "50")
}

/// The script, with `@NAME@` placeholders for the platform and the bounds above.
const SCRIPT: &str = r#"#!/bin/sh
# Gram observability hook for @PLATFORM_NAME@.
# @NOTE@
#
# Forwards the agent's hook event (JSON on stdin) to Gram. Usage: sh gram-hook.sh <EventName>
# - Endpoint and API key are in gram-hook.curlrc beside this script: curl reads them from
#   there, so the key never appears on a command line.
# - Gram down, slow or failing never blocks the agent: this script always exits 0.
# - Only events the agent reads a decision from (@DECISION_EVENTS@) wait for Gram's answer,
#   for at most @DECISION_MAX@ s; all other events are sent by a process in its own session,
#   which outlives the hook, the agent and its terminal.
# - While Gram is down, slow or failing, every event is kept on disk and sent again, oldest
#   first, as soon as Gram answers: in the agent's plugin data directory, or else in
#   ~/.local/state/gram-hooks/ (only the event and a random per-event token, readable only by
#   you), at most @MAX_ENTRIES@ events and @MAX_MIB@ MiB, each for @MAX_DAYS@ days. Gram stores a
#   resent event once, and dates it on arrival. After a decision event gets no answer, the next
#   ones for @HUNG_WINDOW@ s do not wait (one background request checks on Gram meanwhile).
#   `sh gram-hook.sh --drain` sends what is kept now and prints what became of it.

command -v curl >/dev/null 2>&1 || exit 0
case "$0" in
  /*) config="${0%/*}/gram-hook.curlrc" ;;
  */*) config="$PWD/${0%/*}/gram-hook.curlrc" ;;
  *) config="$PWD/gram-hook.curlrc" ;;
esac
LC_ALL=C
umask 077
nl='
'

@ENVELOPE_FUNCTIONS@# The spool directory: the agent's plugin data directory, else a per-user state directory, under
# the name on the first line of the curl config (org, project, agent). Empty: no spool.
spool_dir() {
  S=
  { IFS= read -r S < "$config"; } 2>/dev/null
  S=${S#'# spool: '}
  case "$S" in ''|.*|*[!a-z0-9.-]*) S=; return 1 ;; esac
  if [ -n "${CLAUDE_PLUGIN_DATA:-}" ]; then
    S="$CLAUDE_PLUGIN_DATA/$S"
  elif [ -n "${XDG_STATE_HOME:-}" ]; then
    S="$XDG_STATE_HOME/gram-hooks/$S"
  elif [ -n "${HOME:-}" ]; then
    S="$HOME/.local/state/gram-hooks/$S"
  else
    S=; return 1
  fi
  [ -d "$S" ] || mkdir -p "$S" 2>/dev/null || { S=; return 1; }
}

# The event's arrival time in epoch nanoseconds: its spool entry's name, so name order is arrival
# order (where `date` has no %N, as on macOS: seconds, then the process id).
clock() {
  t=$(date +%s%N 2>/dev/null)
  case "$t" in
    *N) p=000000000$$; t=${t%N}${p#"${p%?????????}"} ;;
  esac
}

# Reads the event into memory and writes it ahead to the spool as <time>-<size>-<token>.<pid>.live
# (the pid marks it as being sent). $tok is the event's Idempotency-Key.
capture() {
  set -- $(od -An -N16 -tx4 /dev/urandom 2>/dev/null)
  tok=$1$2$3$4
  case "$tok" in ????????????????????????????????) ;; *) tok= ;; esac
  ev=$(cat; echo .)
  ev=${ev%.}
@ENVELOPE_TRANSFORM@  live=
  case "$t" in ???????????????????) ;; *) return 0 ;; esac
  [ -n "$S" ] && [ -n "$tok" ] && [ ${#ev} -le @MAX_ENTRY@ ] || return 0
  entry="$S/$t-${#ev}-$tok"
  { printf '%s' "$ev" > "$entry.$$.live"; } 2>/dev/null && live="$entry.$$.live" && return 0
  rm -f "$entry.$$.live"
}

host=
host_name() {
  if [ -r /proc/sys/kernel/hostname ]; then
    { read -r host < /proc/sys/kernel/hostname; } 2>/dev/null
  else
    host=$(uname -n 2>/dev/null)
  fi
  case "$host" in *[!A-Za-z0-9._-]*) host= ;; esac
}

# POSTs the event ($1: the file, or empty to send $ev) for at most $2 s. Sets $rc (curl's exit
# status), $code (HTTP status, 000 if none) and $out (the answer).
post() {
  if [ -n "$1" ]; then
    out=$(curl -q --config "$config" --data-binary @- --max-time "$2" ${tok:+-H} ${tok:+"Idempotency-Key: $tok"} ${host:+-H} ${host:+"X-Gram-Hook-Hostname: $host"} -w "$nl%{http_code}" < "$1" 2>/dev/null)
  else
    out=$(printf '%s' "$ev" | curl -q --config "$config" --data-binary @- --max-time "$2" ${tok:+-H} ${tok:+"Idempotency-Key: $tok"} ${host:+-H} ${host:+"X-Gram-Hook-Hostname: $host"} -w "$nl%{http_code}" 2>/dev/null)
  fi
  rc=$?
  code=${out##*"$nl"}
  out=${out%"$nl"*}
  case "$code" in
    2??) return 0 ;;        # accepted
    401|408|429) return 1 ;; # keep: a new key, or Gram busy
    4??) return 2 ;;        # definitive: a replay would fail the same way
    *) return 1 ;;          # unreachable, timed out, 5xx: keep
  esac
}

# The window after Gram did not answer, during which decision events do not wait.
hung() {
  [ -f "$S/gram-hung" ] || return 1
  { read -r until < "$S/gram-hung"; } 2>/dev/null
  case "$until" in ''|*[!0-9]*) return 1 ;; esac
  [ "${t%?????????}" -lt "$until" ]
}
set_hung() {
  [ -n "$S" ] || return 0
  now=$(date +%s 2>/dev/null)
  case "$now" in ''|*[!0-9]*) return 0 ;; esac
  { printf '%s\n' $((now + @HUNG_WINDOW@)) > "$S/gram-hung"; } 2>/dev/null
}

# After a send: delete the entry when Gram took it (or refused it for good), else keep it.
settle() {
  case "$1" in
    0) [ -n "$live" ] && rm -f "$live"; [ -f "$S/gram-hung" ] && rm -f "$S/gram-hung" ;;
    2) [ -n "$live" ] && rm -f "$live" ;;
    *) [ -n "$live" ] && mv -f "$live" "$entry.ev" 2>/dev/null; [ "$rc" = 28 ] && set_hung ;;
  esac
}

# Is anything kept that nobody is sending? (entries, or .live ones whose sender is gone)
backlog() {
  for f in "$S"/[0-9]*; do
    case "$f" in
      *.ev) return 0 ;;
      *.live) p=${f%.live}; p=${p##*.}; kill -0 "$p" 2>/dev/null || return 0 ;;
    esac
  done
  return 1
}

# Starts a command in a new session (its own process group) and returns once it has left ours.
if command -v setsid >/dev/null 2>&1; then
  detach=setsid
elif command -v perl >/dev/null 2>&1; then
  detach='perl -MPOSIX -ePOSIX::setsid;exec@ARGV'
else
  detach=
fi

# Drops expired entries, then the oldest ones over the caps. Needs $now. Cheap when nothing is
# over: the glob sorts by name (= age); `du` tells whether the exact byte count is needed.
trim() {
  set -- "$S"/[0-9]*
  [ -e "$1" ] || return 0
  old=$((now - @MAX_AGE@))
  while [ $# -gt 0 ]; do
    b=${1##*/}; ft=${b%%-*}
    case "$ft" in ???????????????????) ;; *) shift; continue ;; esac
    [ "${ft%?????????}" -lt "$old" ] || break
    rm -f "$1" && expired=$((expired + 1))
    shift
  done
  while [ $# -gt @MAX_ENTRIES@ ]; do
    rm -f "$1" && dropped=$((dropped + 1))
    shift
  done
  [ $# -gt $((@MAX_BYTES@ / @MAX_ENTRY@)) ] || return 0
  kib=$(du -sk "$S" 2>/dev/null)
  [ "${kib%%[!0-9]*}" -gt $((@MAX_BYTES@ / 1024)) ] 2>/dev/null || return 0
  total=0
  for f; do b=${f##*/}; r=${b#*-}; total=$((total + ${r%%-*})); done
  while [ $# -gt 0 ] && [ "$total" -gt @MAX_BYTES@ ]; do
    b=${1##*/}; r=${b#*-}
    rm -f "$1" && dropped=$((dropped + 1))
    total=$((total - ${r%%-*}))
    shift
  done
}

# Sends the named entries (in $S) in one curl, oldest first, each under its own Idempotency-Key;
# curl stops at the first failure. Deletes what Gram took or refused for good. Returns 1 when it
# stopped at a failure (keep the rest), 0 to go on.
replay() {
  n=$#
  for b; do
    r=${b%%.*}
    set -- "$@" --next --config "$config" --max-time @BACKGROUND_MAX@ --fail --data-binary "@$b" \
      -H "Idempotency-Key: ${r##*-}" ${host:+-H} ${host:+"X-Gram-Hook-Hostname: $host"} \
      -o /dev/null -w '%{http_code}\n'
  done
  names=
  while [ "$n" -gt 0 ]; do names="$names $1"; shift; n=$((n - 1)); done
  shift
  codes=$(cd "$S" 2>/dev/null && curl -q --fail-early "$@" 2>/dev/null)
  rc=$?
  set -- $names
  done= go=0
  for code in $codes; do
    [ $# -gt 0 ] || break
    case "$code" in
      2??) done="$done $1" replayed=$((replayed + 1)) ;;
      401|408|429) go=1; break ;;
      4??) done="$done $1" dropped=$((dropped + 1)) ;;
      *) go=1; break ;;
    esac
    shift
  done
  [ -n "$done" ] && (cd "$S" && exec rm -f $done)
  [ "$replayed" -gt 0 ] && [ -f "$S/gram-hung" ] && rm -f "$S/gram-hung"
  [ "$rc" = 28 ] && set_hung
  [ "$go" = 0 ] && [ -n "$done" ]
}

# Sends what is kept, oldest first, under each event's own Idempotency-Key; stops at the first
# sign Gram is down. One drain at a time (drain.lock; a dead or hour-old holder is replaced).
drain() {
  replayed=0 dropped=0 expired=0 kept=0 busy=
  now=$(date +%s 2>/dev/null)
  case "$now" in ''|*[!0-9]*) return 0 ;; esac
  lock="$S/drain.lock"
  if ! { set -C; printf '%s %s\n' $$ "$now" > "$lock"; } 2>/dev/null; then
    set +C
    { read -r p since < "$lock"; } 2>/dev/null
    case "$p$since" in
      ''|*[!0-9]*) ;;
      *) if kill -0 "$p" 2>/dev/null && [ $((now - since)) -lt 3600 ]; then busy=$p; fi ;;
    esac
    if [ -z "$busy" ] && mv -f "$lock" "$lock.$$" 2>/dev/null; then
      rm -f "$lock.$$"
      { set -C; printf '%s %s\n' $$ "$now" > "$lock"; } 2>/dev/null || busy=?
    else
      busy=${busy:-?}
    fi
  fi
  set +C
  if [ -z "$busy" ]; then
    trim
    host_name
    # Batches of up to @BATCH@ entries, one curl each (one connection), re-listing the spool
    # before each so that events kept meanwhile are sent too.
    while :; do
      { read -r p _ < "$lock"; } 2>/dev/null
      [ "$p" = $$ ] || break
      batch= k=0
      for f in "$S"/[0-9]*; do
        b=${f##*/}
        case "$b" in
          *.ev) ;;
          *.live)
            p=${b%.live}; p=${p##*.}; ft=${b%%-*}
            kill -0 "$p" 2>/dev/null && [ $((now - ${ft%?????????})) -lt @ORPHAN_AGE@ ] && continue ;;
          *) continue ;;
        esac
        batch="$batch $b" k=$((k + 1))
        [ "$k" -lt @BATCH@ ] || break
      done
      [ "$k" -gt 0 ] && replay $batch || break
    done
    { read -r p _ < "$lock"; } 2>/dev/null
    [ "$p" = $$ ] && rm -f "$lock"
  fi
  set -- "$S"/[0-9]*
  [ -e "$1" ] && kept=$#
}

case "${1:-}" in
  --deliver)
    # In its own session, started by the hook below, which returns once the clock is read.
    trap '' HUP INT
    spool_dir
    clock
    exec >/dev/null
    capture
    host_name
    if [ -n "$live" ] && hung; then
      mv -f "$live" "$entry.ev" 2>/dev/null
      drain
      exit 0
    fi
    post "$live" @BACKGROUND_MAX@
    r=$?
    settle $r
    if [ "$r" = 0 ] && [ -n "$S" ] && backlog; then
      drain
    elif [ "$r" = 1 ] && [ -n "$S" ]; then
      now=${t%?????????} expired=0 dropped=0
      trim
    fi
    exit 0
    ;;
  --drain|--drain-quietly)
    [ "$1" = --drain-quietly ] && exec >/dev/null
    spool_dir
    if [ -z "$S" ]; then
      [ "$1" = --drain ] && echo "gram-hook: nothing kept (no spool directory)"
      exit 0
    fi
    drain
    if [ "$1" = --drain ]; then
      [ -n "$busy" ] && echo "gram-hook: another drain is running (process $busy)"
      echo "gram-hook: replayed $replayed, dropped $dropped, expired $expired, kept $kept ($S)"
    fi
    exit 0
    ;;
  @DECISION_EVENTS@)
    spool_dir
    clock
    capture
    if [ -n "$live" ] && hung; then
      # Gram did not answer a moment ago: do not wait. Keep the event; one drain checks on Gram.
      mv -f "$live" "$entry.ev" 2>/dev/null
      [ -e "$S/drain.lock" ] || : "$($detach sh "$0" --drain-quietly </dev/null 2>/dev/null &)"
      exit 0
    fi
    host_name
    post "$live" @DECISION_MAX@
    r=$?
    if [ "$r" = 0 ]; then
@PRINT_DECISION@    fi
    settle $r
    if [ "$r" = 0 ] && [ -n "$S" ] && backlog; then
      : "$($detach sh "$0" --drain-quietly </dev/null 2>/dev/null &)"
    fi
    exit 0
    ;;
esac

# Any other event: sent by a process in its own session. The hook waits only until that process
# has left the hook's process group and taken the event's arrival time; it then writes the event
# to the spool before it sends it.
exec 3<&0
: "$($detach sh "$0" --deliver "${1:-}" <&3 3<&- 2>/dev/null &)"
exit 0
"#;

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
