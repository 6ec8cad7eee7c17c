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
//! - **Every request carries `Idempotency-Key`** (one per event, reused for every resend: a
//!   random UUID's 32 hex digits from `/proc/sys/kernel/random/uuid`, read without starting a
//!   process; elsewhere 128 bits from `/dev/urandom` through `od`) and `X-Gram-Hook-Hostname`,
//!   so Gram stores a resent event once. Neither is secret, so both may be on curl's command
//!   line.
//! - **Decision events** (the agent reads stdout as allow/deny/block) wait for Gram's answer
//!   for at most [`DECISION_MAX_MS`]. Gram's bytes are never printed: from a 2xx answer the
//!   script prints only what makes the agent stricter — a deny or a block and its reason —
//!   rebuilt by `decision_filter.awk` on the JSON reader `json_reader.awk` (portable awk; never
//!   an allow, an ask, added context or rewritten input; see their heads, and
//!   [`decision_filter`]). The reader starts only for an answer of at most 64 KiB that could
//!   hold a deny (it names `deny`, `block` or `continue`, or has an escape), so Gram's usual
//!   `{}` costs no process. After one got no answer in time, the next ones for
//!   [`HUNG_WINDOW_SECONDS`] do not wait at all (state: `gram-hung` in the spool directory, an
//!   epoch second, written aside and renamed); one background drain at a time checks on Gram
//!   meanwhile.
//! - **Other events are handed to a process in a new session** (`setsid`; stock macOS has no
//!   `setsid`, so `perl`'s `POSIX::setsid`, which macOS ships; with neither, a plain background
//!   process that ignores SIGHUP/SIGINT). The hook waits, through a pipe, until that process
//!   has left the hook's process group and the time is noted (the event's place in the spool:
//!   the hook reads the kernel's uptime itself and passes it on; elsewhere the sender asks
//!   `date` before it lets go), so
//!   an agent that kills the hook's process group the instant it exits, or exits itself, or
//!   closes its terminal, loses nothing. Detaching from inside an already-started background child
//!   instead races the kill and loses most events. Both ends of that handover are at the top of
//!   the script, so neither shell reads the rest of it first.
//! - **The clock** (a spool entry's name begins with it, so name order is arrival order): 19
//!   digits, epoch seconds, centiseconds, then the process id (events within a centisecond keep
//!   their order: a later hook has a higher pid). On Linux from `/proc/uptime` (no process) and
//!   the second the machine booted, which the spool keeps per boot id in `clock` (from `date`
//!   once; background senders correct it when it disagrees with `date` by more than 5 s).
//!   Elsewhere `date +%s`.
//! - **Write-ahead spool.** Every event is written to the spool before it is sent (one file
//!   per event, `<time>-<bytes>-<token>.ev` once kept, mode 0600 in a 0700 directory: the
//!   agent's plugin data directory (`CLAUDE_PLUGIN_DATA`), else `$XDG_STATE_HOME` or
//!   `~/.local/state`, under `gram-hooks/`; relative paths are ignored, as the XDG spec says).
//!   While it is being sent, `.<pid>.live`: a sender writes `<time>-<bytes>-<token>.<pid>.live`;
//!   a decision event's is `<time>-<token>.<pid>.live`, written by the privacy filter on the way to curl and
//!   emptied (a shell builtin) once Gram took it, then removed by the next background sender.
//!   A 2xx or a definitive 4xx settles it; anything else keeps it (401, 408, 429, 5xx, no
//!   answer). The next successful send starts one drain (lock: `drain.lock`, a dead or
//!   hour-old holder is replaced) that resends oldest first and stops at the first failure.
//!   Caps as Gram's own relay: [`SPOOL_MAX_ENTRIES`], [`SPOOL_MAX_BYTES`],
//!   [`SPOOL_MAX_ENTRY_BYTES`], [`SPOOL_MAX_DAYS`]; oldest dropped first.
//!   `sh gram-hook.sh --drain` drains in the foreground and prints what became of each event.
//!   An unwritable spool or a full disk changes nothing for the agent: the event is sent from
//!   memory (or from the pipe) as before.
//! - **The spool trusts only what is the teammate's own.** The directory is used only if it is
//!   theirs (`test -O`), not a symlink and mode 0700 (`ls -ld`; a yes is remembered in
//!   `.private`, a file only they can have put there, so decision events start no process for
//!   it; background senders ask `ls` every time and take the mark away when the mode
//!   changed); else the event is sent from memory and `--drain` says what to fix. A drain
//!   sends only regular files of theirs, never a symlink, named as the script names entries;
//!   names are split with globbing off. A sender is alive only if `kill -0` says so and, on
//!   Linux, `/proc/<pid>/stat` is not a zombie's (a killed sender's parent may reap it late).
//! - **The curl config is private**: mode 0600 in the ZIP and a rendered directory; git keeps
//!   only 0644, so the script runs `chmod go-rwx` on it the first time a copy of it runs
//!   (mark: `.curlrc-private` in the spool, newer than the config).
//! - **Privacy** (issue #19): every event goes through the privacy filter before it is sent or
//!   kept ([`privacy_program`]: awk, on the same JSON reader; see [`crate::privacy`]). At every
//!   level credentials become `[redacted:<kind>]`; at `metadata` only the agent's metadata fields
//!   go. An event that is not one JSON value is neither sent nor kept. The level is in the
//!   script's header. Copilot's envelope program runs the same filter before it builds the
//!   envelope.
//! - **Fail-open**: every path exits 0 — never 2, which Claude reads as "block" — whether
//!   curl is missing, Gram is down, slow, or answers an error.
//! - **Cheap** (the hook-cost benchmark measures it). On Linux, before the hook returns: a
//!   non-decision event costs one `sh` (which reads `/proc/uptime` with a builtin and passes it
//!   on), the two forks of `$( … &)`, `setsid` (under `LC_ALL=C`: no locale files) and a second
//!   `sh`, whose first act is to let go; everything else happens after. A decision event Gram
//!   answers costs one `sh` and the privacy filter (awk) + `curl` (the awk reader, and sh's
//!   reading of it, only when the answer could deny); the first one per boot also `date` and
//!   `mv` (the clock), the first one per spool `ls`, the first per copy of the config `chmod`.

use crate::key::HooksKey;
use crate::org::Org;
use crate::privacy::Content;

use super::Platform;

/// Where the script lives inside every observability plugin.
pub const HOOK_SCRIPT_PATH: &str = "hooks/gram-hook.sh";
/// The curl config the script passes to curl: endpoint and headers, key included.
pub const HOOK_CONFIG_PATH: &str = "hooks/gram-hook.curlrc";
/// The company CA(s) the admin gave (`--ca-file`), when there are any: beside the script, the
/// script points curl at it with `CURL_CA_BUNDLE` (curl then trusts it instead of its default
/// bundle, as `--cacert` would; a relative `cacert` in the curl config would be relative to the
/// agent's working directory, not to the plugin).
pub const HOOK_CA_PATH: &str = "hooks/gram-ca.pem";

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
pub fn hook_script(platform: Platform, content: Content) -> String {
    let package = platform
        .package()
        .expect("the hook script is rendered for package agents");
    let envelope = super::envelope::ScriptParts::for_package(package);
    // Copilot's envelope program filters the payload itself (it is in the same awk process).
    let privacy = if envelope.is_some() {
        String::new()
    } else {
        format!("privacy_filter='{}'\n", privacy_program(platform, content))
    };
    let filter = if envelope.is_some() {
        copilot_decision_filter()
    } else {
        decision_filter()
    };
    let envelope = envelope.unwrap_or_default();
    SCRIPT
        .replace("@ENVELOPE_FUNCTIONS@", envelope.functions)
        .replace("@ENVELOPE_DECISION@", envelope.decision)
        .replace("@HUNG_KEEP@", envelope.hung_keep)
        .replace("@DECISION_WRITE@", envelope.decision_write)
        .replace("@DECISION_SEND@", envelope.decision_send)
        .replace("@READ_EVENT@", envelope.read_event)
        .replace("@PLATFORM_NAME@", platform.display_name())
        .replace("@CONTENT@", content.sentence())
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
        .replace("@AGENT@", platform.id())
        // Last: the readers' text is not searched for placeholders.
        .replace("@DECISION_FILTER@", &filter)
        .replace("@PRIVACY_FILTER@\n", &privacy)
}

/// The JSON reader every awk program in the hook script builds on (see its head).
pub const JSON_READER_AWK: &str = include_str!("json_reader.awk");
/// The awk program that rebuilds Gram's answer to a decision event (see its head).
pub const DECISION_FILTER_AWK: &str = include_str!("decision_filter.awk");

/// The awk program that rewrites Gram's `IngestHookResult` into Copilot CLI's deny (see its head).
pub const COPILOT_DECISION_AWK: &str = include_str!("copilot_decision.awk");

/// The decision filter as the script holds it: the filter and the reader as one awk program in
/// a single-quoted shell word, without their comments (the sources above have them), indented
/// to sit in the script. No code line may hold a `'` (a test checks).
pub fn decision_filter() -> String {
    one_program(DECISION_FILTER_AWK)
}

/// Copilot CLI's decision filter ([`COPILOT_DECISION_AWK`] on the same reader), as the script
/// holds it: see [`decision_filter`].
pub fn copilot_decision_filter() -> String {
    one_program(COPILOT_DECISION_AWK)
}

/// The privacy filter as the script holds it ([`crate::privacy`]): reads the event on stdin,
/// prints it filtered, and writes it to the file `GRAM_LIVE` names first (the write-ahead spool
/// entry) when set; prints nothing and exits 1 when the event is not one JSON value.
pub fn privacy_program(platform: Platform, content: Content) -> String {
    one_program(&format!(
        "{PRIVACY_MAIN}{}",
        crate::privacy::awk_filter(platform, content)
    ))
}

const PRIVACY_MAIN: &str = r#"{ doc = (NR == 1) ? $0 : doc "\n" $0 }
END {
  o = privacy_filter(doc)
  if (o == "") exit 1
  live = ENVIRON["GRAM_LIVE"]
  if (live != "") { printf "%s", o > live; close(live) }
  printf "%s", o
}
"#;

fn one_program(filter: &str) -> String {
    let mut program = String::new();
    for line in filter.lines().chain(JSON_READER_AWK.lines()) {
        let code = line.trim_start();
        if code.is_empty() || code.starts_with('#') {
            continue;
        }
        if !program.is_empty() {
            program.push_str("\n  ");
        }
        program.push_str(line);
    }
    program
}

/// The script, with `@NAME@` placeholders for the platform and the bounds above.
const SCRIPT: &str = r#"#!/bin/sh
# Gram observability hook for @PLATFORM_NAME@.
# @NOTE@
# @CONTENT@
#
# Forwards the agent's hook event (JSON on stdin) to Gram. Usage: sh gram-hook.sh <EventName>
# - Endpoint and API key are in gram-hook.curlrc beside this script: curl reads them from
#   there, so the key never appears on a command line. This script makes that file readable
#   only by you.
# - Gram down, slow or failing never blocks the agent: this script always exits 0.
# - Only events the agent reads a decision from (@DECISION_EVENTS@) wait for Gram's answer,
#   for at most @DECISION_MAX@ s, and only a deny or a block (with its reason) is passed on to the
#   agent: never an allow, added context or anything else Gram's answer holds. All other events
#   are sent by a process in its own session, which outlives the hook, the agent and its terminal.
# - While Gram is down, slow or failing, every event is kept on disk and sent again, oldest
#   first, as soon as Gram answers: in the agent's plugin data directory, or else in
#   ~/.local/state/gram-hooks/ (only the event and a random per-event token, readable only by
#   you; a folder that is not yours alone is never used), at most @MAX_ENTRIES@ events and
#   @MAX_MIB@ MiB, each for @MAX_DAYS@ days. Gram stores a resent event once, and dates it on
#   arrival. After a decision event gets no answer, the next ones for @HUNG_WINDOW@ s do not wait
#   (one background request checks on Gram meanwhile).
#   `sh gram-hook.sh --drain` sends what is kept now and prints what became of it.

case "${1:-}" in
  --deliver)
    # The sender, started below in a new session: the hook read the kernel's uptime for it ($3,
    # when the hook found one); it notes when the event came (else the clock) and lets the hook
    # return at once. All else comes after.
    up=${3:-} now=
    [ -n "$up" ] || { read -r up _ < /proc/uptime; } 2>/dev/null || now=$(date +%s 2>/dev/null)
    exec >/dev/null
    ;;
  --drain-quietly) exec >/dev/null ;;
  --drain|@DECISION_EVENTS@) ;;
  *)
    # Any other event: handed to a process in its own session (setsid; stock macOS has none, so
    # perl's POSIX::setsid; else a plain background process). The hook waits only until that
    # process has left the hook's process group, through the pipe of $(…). The hook reads the
    # kernel's uptime itself (a builtin, no process) and hands it over, so the sender lets go
    # as soon as it starts; LC_ALL=C spares setsid loading the locale (the sender sets it anyway).
    if command -v setsid >/dev/null 2>&1; then
      detach=setsid
    elif command -v perl >/dev/null 2>&1; then
      detach='perl -MPOSIX -ePOSIX::setsid;exec@ARGV'
    else
      detach=
    fi
    up=
    { read -r up _ < /proc/uptime; } 2>/dev/null
    exec 3<&0
    : "$(LC_ALL=C $detach sh "$0" --deliver "${1:-}" "$up" <&3 3<&- 2>/dev/null &)"
    exit 0
    ;;
esac

command -v curl >/dev/null 2>&1 || exit 0
case "$0" in
  /*) config="${0%/*}/gram-hook.curlrc" ;;
  */*) config="$PWD/${0%/*}/gram-hook.curlrc" ;;
  *) config="$PWD/gram-hook.curlrc" ;;
esac
[ -f "${config%/*}/gram-ca.pem" ] && { CURL_CA_BUNDLE="${config%/*}/gram-ca.pem"; export CURL_CA_BUNDLE; }
LC_ALL=C
export LC_ALL
umask 077
nl='
'
host= refused=

# The spool directory, $S: the agent's plugin data directory, else a per-user state directory
# (absolute paths only: a relative one would spool into the project), under the name on the
# first line of the curl config (org, project, agent). Used only if it is the teammate's own:
# owned by them, not a symlink, mode 0700 (see private). Else $S is empty and the event is sent
# from memory.
spool_dir() {
  S=
  { IFS= read -r S < "$config"; } 2>/dev/null
  S=${S#'# spool: '}
  case "$S" in ''|.*|*[!a-z0-9.-]*) S=; return 1 ;; esac
  case "${CLAUDE_PLUGIN_DATA:-}" in
    /*) S="$CLAUDE_PLUGIN_DATA/$S" ;;
    *)
      case "${XDG_STATE_HOME:-}" in
        /*) S="$XDG_STATE_HOME/gram-hooks/$S" ;;
        *)
          case "${HOME:-}" in
            /*) S="$HOME/.local/state/gram-hooks/$S" ;;
            *) S=; return 1 ;;
          esac
          ;;
      esac
      ;;
  esac
  [ -d "$S" ] || mkdir -p "$S" 2>/dev/null
  [ -d "$S" ] && [ ! -h "$S" ] && [ -O "$S" ] && private "${1:-}" && return 0
  [ -e "$S" ] && refused=$S
  S=
  return 1
}

# Is $S mode 0700 (nobody else can read it or plant entries)? `ls` says; its yes is remembered in
# $S/.private (a file only the teammate can have put in their own 0700 directory), so a decision
# event starts no process for it. Senders in the background ask `ls` again every time ($1 =
# again) and take the mark away if the mode changed. Git Bash and Cygwin (/proc/cygdrive) have no
# Unix modes to ask: there the profile folder's Windows permissions decide.
private() {
  [ -e /proc/cygdrive ] && return 0
  if [ "$1" != again ] && [ -f "$S/.private" ] && [ ! -h "$S/.private" ] && [ -O "$S/.private" ]; then
    return 0
  fi
  m=$(ls -ld "$S" 2>/dev/null)
  case "$m" in
    'drwx------ '*|drwx------.*|drwx------@*)
      [ -f "$S/.private" ] || { : > "$S/.private"; } 2>/dev/null
      return 0
      ;;
  esac
  [ -e "$S/.private" ] && rm -f "$S/.private"
  return 1
}

# git cannot keep the curl config's mode 0600: make it private the first time this copy of it
# runs (again after it changed: the mark $S/.curlrc-private is then older than the config).
private_config() {
  [ -n "$S" ] && [ "$S/.curlrc-private" -nt "$config" ] && return 0
  chmod go-rwx "$config" 2>/dev/null
  [ -n "$S" ] && { : > "$S/.curlrc-private"; } 2>/dev/null
}

# Starts `sh gram-hook.sh --drain-quietly` in a new session, as the top of this script does.
start_drain() {
  if command -v setsid >/dev/null 2>&1; then
    : "$(setsid sh "$0" --drain-quietly </dev/null 2>/dev/null &)"
  elif command -v perl >/dev/null 2>&1; then
    : "$(perl -MPOSIX '-ePOSIX::setsid;exec@ARGV' sh "$0" --drain-quietly </dev/null 2>/dev/null &)"
  else
    : "$(sh "$0" --drain-quietly </dev/null 2>/dev/null &)"
  fi
}

# The event's place in time, $t (19 digits): epoch seconds, centiseconds, then the process id, so
# that events within one centisecond keep their order (a later hook has a higher pid). On Linux
# from the kernel's uptime ($up, read without starting a process) and the second the machine
# booted, which the spool keeps per boot ($S/clock) so that every process counts alike;
# elsewhere from `date` ($now, whole seconds).
clock() {
  t=
  p=000000$$
  p=${p#"${p%???????}"}
  case "$up" in *[!0-9.]*|*.*.*) up= ;; [0-9]*.[0-9][0-9]) ;; *) up= ;; esac
  if [ -n "$up" ] && boot_time; then
    t=$((boot + ${up%.*}))${up#*.}$p
  else
    [ -n "$now" ] || now=$(date +%s 2>/dev/null)
    t=${now}00$p
  fi
  case "$t" in *[!0-9]*) t= ;; ???????????????????) ;; *) t= ;; esac
}

# $boot: the epoch second this boot began, as $S/clock keeps it (boot id and second); written
# once per boot from `date` (or again with $1 = again, when it disagrees with `date`).
boot_time() {
  [ -n "$S" ] || return 1
  { read -r id < /proc/sys/kernel/random/boot_id; } 2>/dev/null || return 1
  kept= boot=
  if [ "${1:-}" != again ] && [ -f "$S/clock" ] && [ ! -h "$S/clock" ]; then
    { read -r kept boot < "$S/clock"; } 2>/dev/null
  fi
  case "$kept:$boot" in
    "$id":[0-9]*) case "$boot" in *[!0-9]*) ;; *) return 0 ;; esac ;;
  esac
  { read -r u _ < /proc/uptime; } 2>/dev/null
  n=$(date +%s 2>/dev/null)
  case "$n:$u" in *[!0-9.:]*|:*|*:) return 1 ;; esac
  boot=$((n - ${u%.*}))
  { printf '%s %s\n' "$id" "$boot" > "$S/.clock.$$"; } 2>/dev/null &&
    mv -f "$S/.clock.$$" "$S/clock" 2>/dev/null
}

# The event's Idempotency-Key, $tok: a random UUID's 32 hex digits from the kernel (no process
# started), else 128 bits from /dev/urandom.
token() {
  tok=
  { IFS=- read -r a b c d e < /proc/sys/kernel/random/uuid; } 2>/dev/null && tok=$a$b$c$d$e
  case "$tok" in
    *[!0-9a-f]*) tok= ;;
    ????????????????????????????????) return 0 ;;
  esac
  set -- $(od -An -N16 -tx4 /dev/urandom 2>/dev/null)
  tok=$1$2$3$4
  case "$tok" in
    *[!0-9a-f]*) tok= ;;
    ????????????????????????????????) ;;
    *) tok= ;;
  esac
}

host_name() {
  if [ -r /proc/sys/kernel/hostname ]; then
    { read -r host < /proc/sys/kernel/hostname; } 2>/dev/null
  else
    host=$(uname -n 2>/dev/null)
  fi
  case "$host" in *[!A-Za-z0-9._-]*) host= ;; esac
}

# Splits curl's output ($out: the answer, a newline, the status) and classifies the status.
answered() {
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
  [ -f "$S/gram-hung" ] && [ ! -h "$S/gram-hung" ] || return 1
  { read -r until < "$S/gram-hung"; } 2>/dev/null
  case "$until" in ''|*[!0-9]*) return 1 ;; esac
  [ "${t%?????????}" -lt "$until" ]
}
# Written aside and renamed into place: never through a symlink someone left there.
set_hung() {
  [ -n "$S" ] && [ -n "$t" ] || return 0
  { printf '%s\n' $((${t%?????????} + @HUNG_WINDOW@)) > "$S/.gram-hung.$$"; } 2>/dev/null &&
    mv -f "$S/.gram-hung.$$" "$S/gram-hung" 2>/dev/null
}

# Is process $1 running? A killed sender that its parent has not reaped yet (a zombie: PID 1 in
# many containers reaps late) still answers `kill -0`; on Linux /proc tells it apart.
alive() {
  kill -0 "$1" 2>/dev/null || return 1
  [ -d /proc/self ] || return 0
  s=
  { read -r s < "/proc/$1/stat"; } 2>/dev/null || return 1
  case "${s##*) }" in Z*|X*|x*) return 1 ;; esac
}

# A spool entry this script wrote: a regular file of the teammate's (never a symlink), named
# <time>-<size>-<token>.ev, or .<pid>.live while a sender has it. Nothing else is ever sent.
entry_ok() {
  case "${1##*/}" in
    *[!0-9a-z.-]*) return 1 ;;
    ???????????????????-*-????????????????????????????????.ev) ;;
    ???????????????????-*????????????????????????????????.*.live) ;;
    *) return 1 ;;
  esac
  [ -f "$1" ] && [ ! -h "$1" ] && [ -O "$1" ]
}

# Is anything kept that nobody is sending? (entries, or .live ones whose sender is gone)
backlog() {
  for f in "$S"/[0-9]*; do
    case "$f" in
      *.ev) [ -s "$f" ] && entry_ok "$f" && return 0 ;;
      *.live)
        p=${f%.live}; p=${p##*.}
        [ -s "$f" ] && entry_ok "$f" && ! alive "$p" && return 0 ;;
    esac
  done
  return 1
}

# Keeps the write-ahead file $live of a decision event as <time>-<size>-<token>.ev.
keep_live() {
  size=$(wc -c < "$live" 2>/dev/null)
  size=${size##*[!0-9]}
  case "$size" in
    ''|*[!0-9]*|0) rm -f "$live" ;;
    *) if [ "$size" -le @MAX_ENTRY@ ]; then mv -f "$live" "$S/$t-$size-$tok.ev" 2>/dev/null; else rm -f "$live"; fi ;;
  esac
}

# Gram's answer to a decision event ($out) through decision_filter (event $1), for an answer that
# could hold a deny or a block (the decision path checks first, so the reader starts only then).
relay() {
  GRAM_ANSWER=$out awk -v agent=@AGENT@ -v event="$1" "$decision_filter" 2>/dev/null
}
@ENVELOPE_FUNCTIONS@
@PRIVACY_FILTER@
# A decision event (@DECISION_EVENTS@): sent from stdin, filtered and written ahead to the spool
# on the way (the privacy filter writes the entry), Gram's answer awaited for at most
# @DECISION_MAX@ s. No process but the filter (awk) and curl starts when Gram answers (the reader only for an answer that could deny). It comes before what
# only the background paths need, so sh never reads that for it.
case "$1" in
  --deliver|--drain|--drain-quietly) ;;
  *)
    up= now= t= live=
    token
    spool_dir
    if [ -n "$S" ]; then
      private_config
      { read -r up _ < /proc/uptime; } 2>/dev/null
      clock
      [ -n "$t" ] && [ -n "$tok" ] && live="$S/$t-$tok.$$.live"
    fi
@ENVELOPE_DECISION@    if [ -n "$live" ] && hung; then
      # Gram did not answer a moment ago: do not wait. Keep the event; one drain checks on Gram.
      @HUNG_KEEP@ > "$live" 2>/dev/null
      keep_live
      [ -e "$S/drain.lock" ] || start_drain
      exit 0
    fi
    host_name
    if [ -n "$live" ]; then
      # Gram's answer goes to a file beside the entry and is read back with builtins: one
      # process fewer than $( … ). The next background sender removes it.
      ans="${live%.live}.answer"
      @DECISION_WRITE@ | curl -q --config "$config" --data-binary @- --max-time @DECISION_MAX@ -H "Idempotency-Key: $tok" ${host:+-H} ${host:+"X-Gram-Hook-Hostname: $host"} -w "$nl%{http_code}" > "$ans" 2>/dev/null
      rc=$?
      out= line=
      { while IFS= read -r line; do out="$out$line$nl"; done; } < "$ans" 2>/dev/null
      out="$out$line"
    else
      out=$(@DECISION_SEND@ | curl -q --config "$config" --data-binary @- --max-time @DECISION_MAX@ ${tok:+-H} ${tok:+"Idempotency-Key: $tok"} ${host:+-H} ${host:+"X-Gram-Hook-Hostname: $host"} -w "$nl%{http_code}" 2>/dev/null)
      rc=$?
    fi
    answered
    r=$?
    if [ -n "$live" ]; then
      case "$r" in
        0) : > "$live"; [ -e "$S/gram-hung" ] && rm -f "$S/gram-hung" ;;
        2) : > "$live" ;;
        *) keep_live; [ "$rc" = 28 ] && set_hung ;;
      esac
      [ "$r" = 0 ] && backlog && start_drain
    fi
    # Only an answer that could make the agent stricter goes on to the filter below (so sh
    # reads that only then): at most 64 KiB, naming deny, block or continue, or with an escape.
    [ "$r" = 0 ] && [ ${#out} -le 65536 ] || exit 0
    case "$out" in *deny*|*block*|*continue*|*\\*) ;; *) exit 0 ;; esac
    ;;
esac

# Gram's answer to a decision event, passed on only if it makes the agent stricter: the JSON
# object decision_filter rebuilds from it (a deny or a block, and its reason), or nothing.
case "$1" in
  --deliver|--drain|--drain-quietly) ;;
  *)
    decision_filter='@DECISION_FILTER@'
    relay "$1"
    exit 0
    ;;
esac

# Reads the event into memory and writes it ahead to the spool as <time>-<size>-<token>.<pid>.live
# (the pid marks it as being sent).
capture() {
@READ_EVENT@  live=
  [ -n "$S" ] && [ -n "$t" ] && [ -n "$tok" ] && [ ${#ev} -le @MAX_ENTRY@ ] || return 0
  entry="$S/$t-${#ev}-$tok"
  { printf '%s' "$ev" > "$entry.$$.live"; } 2>/dev/null && live="$entry.$$.live" && return 0
  rm -f "$entry.$$.live"
}

# POSTs the event ($1: the file, or empty to send $ev) for at most $2 s. Sets $rc (curl's exit
# status), $code (HTTP status, 000 if none) and $out (the answer); returns 0 when Gram took it, 1
# to keep it, 2 when Gram refused it for good.
post() {
  if [ -n "$1" ]; then
    out=$(curl -q --config "$config" --data-binary @- --max-time "$2" ${tok:+-H} ${tok:+"Idempotency-Key: $tok"} ${host:+-H} ${host:+"X-Gram-Hook-Hostname: $host"} -w "$nl%{http_code}" < "$1" 2>/dev/null)
  else
    out=$(printf '%s' "$ev" | curl -q --config "$config" --data-binary @- --max-time "$2" ${tok:+-H} ${tok:+"Idempotency-Key: $tok"} ${host:+-H} ${host:+"X-Gram-Hook-Hostname: $host"} -w "$nl%{http_code}" 2>/dev/null)
  fi
  rc=$?
  answered
}

# After a send: delete the entry when Gram took it (or refused it for good), else keep it.
settle() {
  case "$1" in
    0) [ -n "$live" ] && rm -f "$live"; [ -e "$S/gram-hung" ] && rm -f "$S/gram-hung" ;;
    2) [ -n "$live" ] && rm -f "$live" ;;
    *) [ -n "$live" ] && mv -f "$live" "$entry.ev" 2>/dev/null; [ "$rc" = 28 ] && set_hung ;;
  esac
}

# Removes what decision events left behind: their write-ahead files, emptied once Gram took the
# event (so the agent waits for no `rm`), once their hook has exited.
sweep() {
  gone=
  for f in "$S"/[0-9]*.live; do
    [ -e "$f" ] && [ ! -s "$f" ] || continue
    p=${f%.live}; p=${p##*.}
    entry_ok "$f" && ! alive "$p" && gone="$gone ${f##*/}"
  done
  # The files decision events read Gram's answer from, once their hook has exited.
  for f in "$S"/[0-9]*.answer; do
    case "${f##*/}" in
      *[!0-9a-z.-]*) continue ;;
      ???????????????????-????????????????????????????????.*.answer) ;;
      *) continue ;;
    esac
    [ -f "$f" ] && [ ! -h "$f" ] && [ -O "$f" ] || continue
    p=${f%.answer}; p=${p##*.}
    alive "$p" || gone="$gone ${f##*/}"
  done
  [ -n "$gone" ] || return 0
  set -f
  (cd "$S" && exec rm -f -- $gone)
  set +f
}

# Drops expired entries, then the oldest ones over the caps. Needs $now. Cheap when nothing is
# over: the glob sorts by name (= age); `du` tells whether the exact byte count is needed.
trim() {
  set -- "$S"/[0-9]*.ev
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
# stopped at a failure (keep the rest), 0 to go on. The names are checked (entry_ok) and word
# splitting runs with globbing off (set -f).
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
  [ -n "$done" ] && (cd "$S" && exec rm -f -- $done)
  [ "$replayed" -gt 0 ] && [ -e "$S/gram-hung" ] && rm -f "$S/gram-hung"
  [ "$rc" = 28 ] && set_hung
  [ "$go" = 0 ] && [ -n "$done" ]
}

# Sends what is kept, oldest first, under each event's own Idempotency-Key; stops at the first
# sign Gram is down. One drain at a time (drain.lock; a dead or hour-old holder is replaced).
drain() {
  replayed=0 dropped=0 expired=0 kept=0 busy=
  now=$(date +%s 2>/dev/null)
  case "$now" in ''|*[!0-9]*) return 0 ;; esac
  [ -n "$t" ] || t=${now}000000000
  lock="$S/drain.lock"
  if ! { set -C; printf '%s %s\n' $$ "$now" > "$lock"; } 2>/dev/null; then
    set +C
    p= since=
    [ -h "$lock" ] || { read -r p since < "$lock"; } 2>/dev/null
    case "$p$since" in
      ''|*[!0-9]*) ;;
      *) if alive "$p" && [ $((now - since)) -lt 3600 ]; then busy=$p; fi ;;
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
    sweep
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
            alive "$p" && [ $((now - ${ft%?????????})) -lt @ORPHAN_AGE@ ] && continue ;;
          *) continue ;;
        esac
        [ -s "$f" ] && entry_ok "$f" || continue
        batch="$batch $b" k=$((k + 1))
        [ "$k" -lt @BATCH@ ] || break
      done
      [ "$k" -gt 0 ] || break
      set -f
      replay $batch
      r=$?
      set +f
      [ "$r" = 0 ] || break
    done
    { read -r p _ < "$lock"; } 2>/dev/null
    [ "$p" = $$ ] && rm -f "$lock"
  fi
  set -- "$S"/[0-9]*.ev
  [ -e "$1" ] && kept=$#
}

case "$1" in
  --deliver)
    trap '' HUP INT
    spool_dir again
    private_config
    clock
    if [ -n "$up" ] && [ -n "$t" ]; then
      # Is the kept boot second still right (a container restarted, the clock was set)?
      now=$(date +%s 2>/dev/null)
      case "$now" in
        ''|*[!0-9]*) ;;
        *) d=$((now - ${t%?????????}))
           if [ "$d" -gt 5 ] || [ "$d" -lt -5 ]; then boot_time again && clock; fi ;;
      esac
    fi
    token
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
    if [ "$r" = 0 ] && [ -n "$S" ]; then
      if backlog; then drain; else sweep; fi
    elif [ "$r" = 1 ] && [ -n "$S" ]; then
      now=${t%?????????} expired=0 dropped=0
      trim
    fi
    exit 0
    ;;
  --drain|--drain-quietly)
    spool_dir again
    if [ -z "$S" ]; then
      if [ -n "$refused" ]; then
        echo "gram-hook: not using $refused: it is not a folder of yours alone (yours, not a symlink, mode 0700). Events are sent without being kept; run chmod 700 on it if it is yours, else remove it."
      else
        echo "gram-hook: nothing kept (no spool directory)"
      fi
      exit 0
    fi
    t=
    drain
    if [ "$1" = --drain ]; then
      [ -n "$busy" ] && echo "gram-hook: another drain is running (process $busy)"
      echo "gram-hook: replayed $replayed, dropped $dropped, expired $expired, kept $kept ($S)"
    fi
    exit 0
    ;;
esac
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
    fn the_awk_program_fits_in_a_single_quoted_shell_word() {
        for platform in Platform::HOOK_SCRIPT {
            let program = if platform == Platform::Copilot {
                copilot_decision_filter()
            } else {
                decision_filter()
            };
            assert!(!program.contains('\''), "a ' would end the shell word");
            assert!(!program.contains('#'), "comments stay in the sources");
            let script = hook_script(platform, Content::Full);
            assert!(script.contains(&format!("decision_filter='{program}'")));
            assert!(!script.contains("@DECISION_FILTER@") && !script.contains("@AGENT@"));
        }
    }

    /// sh reads a whole top-level command before it runs any of it: the decision filter (the
    /// JSON reader's several KiB) is a command of its own after the decision path, so sh reads
    /// it only for an answer that could deny, never before curl starts.
    #[test]
    fn sh_reads_the_decision_filter_only_for_an_answer_that_could_deny() {
        for platform in Platform::HOOK_SCRIPT {
            let script = hook_script(platform, Content::Full);
            let curl = script.find("| curl -q").expect("the decision path's curl");
            let filter = script.find("decision_filter='").expect("the filter");
            assert!(curl < filter, "{platform:?}");
            let between = &script[curl..filter];
            assert!(
                between.contains("\nesac\n"),
                "{platform:?}: the filter must be in a command after the decision path's"
            );
            assert!(
                between.contains("*continue*|*\\\\*) ;; *) exit 0 ;; esac"),
                "{platform:?}: only an answer that could deny goes on"
            );
        }
    }

    #[test]
    fn curl_quoting_escapes_backslashes_and_quotes() {
        assert_eq!(curl_config_quote(r#"a"b\c"#), r#""a\"b\\c""#);
        assert_eq!(curl_config_quote("$(x) `y` 'z'"), "\"$(x) `y` 'z'\"");
    }
}
