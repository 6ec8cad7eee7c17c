# Gram observability hook: Copilot CLI's events as Gram hook.ingest.v1 envelopes.
# @NOTE@
# @CONTENT@
#
# Run by gram-hook.sh beside it: awk -v event=<event> -v host=<hostname> -v now=<epoch ms>
# -f gram-envelope.awk, the agent's payload on stdin. POSIX awk, bytes (LC_ALL=C); no other
# program. It prints one envelope, or nothing and exits 1 when stdin is not exactly one JSON
# object (so nothing is sent). Gram's answer is read by the hook's decision filter, not here.
#
# The reader: the hook's one JSON reader (json_reader.awk, below) splits the text into tokens;
# this program checks them in order against JSON's grammar with a stack of open brackets (no
# recursion: any nesting is fine) and what each value may hold. Values are copied into the
# envelope token by token, never decoded, so what is copied is exactly what was checked. A string with a bad escape, a lone surrogate, a control
# character or bytes that are not UTF-8, a number a double cannot hold, or a value nested deeper
# than @MAX_DEPTH@ levels is valid for no JSON reader Gram runs: the field holding it is left out
# of the envelope (and so is the raw payload), the rest is sent.
#
# Copilot event         -> Gram event.type        data
@TABLE_COMMENT@

BEGIN {
@EVENT_TYPES@
  MAX_DEPTH = @MAX_DEPTH@
  RAW_MAX = @RAW_MAX@
  H = "[0-9A-Fa-f]"
  HEX4 = "^" H H H H
  LOW = "^u[Dd][C-Fc-f]" H H
  # Printable ASCII without the quote and the backslash, and DEL; then also UTF-8 sequences.
  ASCII = "[] !#-Z[^-~\177]"
  C = "[\200-\277]"
  UTF8 = "[\302-\337]" C "|\340[\240-\277]" C "|[\341-\354\356\357]" C C "|\355[\200-\237]" C "|\360[\220-\277]" C C "|[\361-\363]" C C C "|\364[\200-\217]" C C
  PLAIN = "^" ASCII "*$"
  TEXT = "^(" ASCII "|" UTF8 ")*$"
  NUMBER = "^-?(0|[1-9][0-9]*)([.][0-9]+)?([eE][-+]?[0-9]+)?$"
  doc = ""
}

{ doc = (NR == 1) ? $0 : doc "\n" $0 }

END {
  if (!(event in TYPE)) exit 1
  # The privacy filter first (below): the envelope is built from what it lets go.
  doc = privacy_filter(doc)
  if (doc == "" || !read_json(doc)) exit 1
  envelope()
}

# --- the reader -----------------------------------------------------------------------------

# Is s (a string's contents, without its quotes) what a JSON string may hold?
# One pass over the text (a regex match), then one per escape: no gsub, which is quadratic in
# mawk. Split at backslashes, part k is what follows the (k-1)th one.
function string_ok(s,   n, i, parts, p, c, h) {
  if (s ~ PLAIN) return 1
  if (!index(s, "\\")) return s ~ TEXT
  n = split(s, parts, /\\/)
  if (parts[1] !~ TEXT) return 0
  for (i = 2; i <= n; i++) {
    p = parts[i]
    if (p == "") {                          # an escaped backslash; then text
      if (++i > n || parts[i] !~ TEXT) return 0
      continue
    }
    c = substr(p, 1, 1)
    if (c ~ /^["\/bfnrt]$/) { if (substr(p, 2) !~ TEXT) return 0; continue }
    h = substr(p, 2, 4)
    if (c != "u" || h !~ HEX4 || h ~ /^[Dd][C-Fc-f]/) return 0   # a low surrogate alone
    if (h ~ /^[Dd][89ABab]/) {              # a high surrogate: a low one must follow at once
      if (length(p) != 5 || i == n || parts[i + 1] !~ LOW) return 0
      p = parts[++i]
    }
    if (substr(p, 6) !~ TEXT) return 0
  }
  return 1
}

# Is s a number every JSON reader takes as a double (no overflow to infinity)? Its decimal
# exponent decides; at 308, the value itself (awk's strtod rounds as the readers do).
function number_ok(s,   mant, e, i, whole, frac, mag) {
  e = 0
  i = index(s, "e"); if (!i) i = index(s, "E")
  mant = s
  if (i) { e = substr(s, i + 1) + 0; mant = substr(s, 1, i - 1) }
  sub(/^-/, "", mant)
  whole = mant; frac = ""
  i = index(mant, ".")
  if (i) { whole = substr(mant, 1, i - 1); frac = substr(mant, i + 1) }
  if (whole != "0") mag = length(whole) - 1 + e
  else if (match(frac, /[1-9]/)) mag = e - RSTART
  else return 1                   # zero
  if (mag < 308) return 1
  if (mag > 308) return 0
  return (mant "e" e) + 0 <= 1.7976931348623157e308
}

# Reads doc with the hook's one JSON reader (json_reader.awk, below) and takes its tokens: NT
# of them; TOK[k] is the token, or "\"" for a string whose text (as written, escapes kept) is
# STR[k]. Then checks them. 1 when doc is one JSON object.
function read_json(doc,   k) {
  json_keep = 1
  json_max_depth = 1
  if (!json_read(doc)) return 0
  NT = json_n
  for (k = 1; k <= NT; k++) {
    TOK[k] = json_tk[k]
    if (TOK[k] == "\"") STR[k] = json_unplace(json_ts[k])
  }
  return parse()
}

# Checks the string token k; 1 when its text may be copied.
function token_string_ok(k) { return string_ok(STR[k]) }

# The text of string token k when it has no escaped quote (keys, short values); else "".
function raw_text(k) { return index(STR[k], "\\\"") ? "" : STR[k] }

# The grammar, token by token. Records the top-level members (VS/VE[key]: first and last token;
# BAD[key]: left out) and the members of top-level objects ("key.inner").
function parse(   k, t, d, want, st, key1, key2, start1, start2, bad1, bad2, peak, peak1, peak2, bads, path) {
  if (NT == 0 || TOK[1] != "{") return 0
  d = 0; want = "value"; bads = 0; peak = 0
  for (k = 1; k <= NT; k++) {
    t = TOK[k]
    if (want == "end") return 0
    if (want == "colon") {
      if (t != ":") return 0
      want = "value"
      if (d == 1) { start1 = k + 1; bad1 = bads; peak1 = 1 }
      if (d == 2) { start2 = k + 1; bad2 = bads; peak2 = 2 }
      continue
    }
    if (want == "key" || want == "key_or_close") {
      if (t == "\"") {
        if (!token_string_ok(k)) bads++
        if (d == 1) key1 = raw_text(k)
        if (d == 2) key2 = raw_text(k)
        want = "colon"
        continue
      }
      if (t != "}" || want != "key_or_close") return 0
      d--
    } else if (want == "comma_or_close") {
      if (t == ",") { want = (st[d] == "{") ? "key" : "value"; continue }
      if (!((t == "}" && st[d] == "{") || (t == "]" && st[d] == "["))) return 0
      d--
    } else if (t == "]" && want == "value_or_close") {
      d--
    } else if (t == "{" || t == "[") {
      st[++d] = t
      if (d > peak) peak = d
      if (d > peak1) peak1 = d
      if (d > peak2) peak2 = d
      want = (t == "{") ? "key_or_close" : "value_or_close"
      continue
    } else if (t == "\"") {
      if (!token_string_ok(k)) bads++
    } else if (t ~ NUMBER) {
      if (!number_ok(t)) bads++
    } else if (t != "true" && t != "false" && t != "null") return 0
    # A value ended at depth d: a scalar, or a container that closed back to d.
    if (d == 0) { want = "end"; continue }
    want = "comma_or_close"
    if (d == 1 && key1 != "") {
      VS[key1] = start1; VE[key1] = k; BAD[key1] = (bads > bad1 || peak1 - 1 > MAX_DEPTH)
      key1 = ""
    } else if (d == 2 && st[2] == "{" && key2 != "" && key1 != "") {
      path = key1 "." key2
      VS[path] = start2; VE[path] = k; BAD[path] = (bads > bad2 || peak2 - 2 > MAX_DEPTH)
      key2 = ""
    }
  }
  DOC_BAD = (bads > 0 || peak - 1 > MAX_DEPTH)
  return want == "end"
}

# --- what is read -----------------------------------------------------------------------------

function has(key) { return (key in VS) && !BAD[key] }
function is_string(key) { return has(key) && TOK[VS[key]] == "\"" && VS[key] == VE[key] }

# Prints tokens a..b as JSON (compact).
function emit(a, b,   k, p) {
  for (k = a; k <= b; k++) {
    if (TOK[k] == "\"") printf "\"%s\"", STR[k]
    else printf "%s", TOK[k]
  }
}
function emit_key(key) { emit(VS[key], VE[key]) }

# Prints `,"name":<value of key>` when key holds a usable value (of the wanted kind).
function field(name, key, kind) {
  if (kind == "string" ? !is_string(key) : !has(key)) return 0
  printf "%s\"%s\":", SEP, name
  emit_key(key)
  SEP = ","
  return 1
}

# --- the envelope -----------------------------------------------------------------------------

function envelope(   type, ms) {
  type = TYPE[event]
  printf "{\"schema_version\":\"hook.ingest.v1\",\"source\":{\"adapter\":\"@ADAPTER@\",\"adapter_version\":\"@ADAPTER_VERSION@\",\"raw_event_name\":\"%s\"", event
  if (host ~ /^[A-Za-z0-9._-]+$/) printf ",\"hostname\":\"%s\"", host
  printf "}"
  if (is_string("sessionId") || is_string("cwd")) {
    printf ",\"session\":{"; SEP = ""
    field("id", "sessionId", "string")
    field("cwd", "cwd", "string")
    printf "}"
  }
  ms = ""
  if (has("timestamp") && TOK[VS["timestamp"]] ~ /^[0-9]+([.][0-9]+)?$/) ms = TOK[VS["timestamp"]] + 0
  else if (now ~ /^[0-9]+$/) ms = now + 0
  printf ",\"event\":{\"type\":\"%s\"", type
  if (ms != "" && ms < 253402300800000) printf ",\"occurred_at\":\"%s\"", rfc3339(ms)
  printf "}"
  data(type)
  if (!DOC_BAD && length(doc) <= RAW_MAX) { printf ",\"raw\":"; emit(1, NT) }
  printf "}"
}

function data(type) {
  if (type == "prompt.submitted") {
    if (is_string("prompt")) { printf ",\"data\":{\"prompt\":{\"text\":"; emit_key("prompt"); printf "}}" }
  } else if (type ~ /^tool[.]/) {
    printf ",\"data\":{\"tool_call\":{"; SEP = ""
    field("name", "toolName", "string")
    if (!field("input", "toolArgs", "any")) field("input", "toolInput", "any")   # permissionRequest
    if (event == "permissionRequest") { printf "%s\"permission_type\":\"permissionRequest\"", SEP; SEP = "," }
    if (event == "postToolUse") {
      field("output", "toolResult", "any")
      field("status", "toolResult.resultType", "string")
    }
    if (event == "postToolUseFailure") field("error", "error", "any")
    printf "}}"
  } else if (type == "notification.reported") {
    printf ",\"data\":{\"notification\":{"; SEP = ""
    if (event == "errorOccurred") {
      printf "\"type\":\"error\""; SEP = ","
      if (!field("message", "error.message", "string")) field("message", "error", "string")
      field("title", "error.name", "string")
    } else {
      if (!field("type", "notification_type", "string") && !field("type", "notificationType", "string")) field("type", "type", "string")
      field("title", "title", "string")
      field("message", "message", "string")
    }
    printf "}}"
  } else if (type == "session.ended" || type == "session.updated") {
    printf ",\"data\":{\"usage\":{"; SEP = ""
    # A subagent's own status says which; the session's, why it stopped or ended.
    if (event ~ /^subagent/ || (!field("status", "reason", "string") && !field("status", "stopReason", "string")))
      printf "\"status\":\"%s\"", STATUS[event]
    printf "}}"
  }
}

# Epoch milliseconds as RFC 3339 in UTC (days to civil date: Howard Hinnant's algorithm).
function rfc3339(ms,   s, frac, days, rem, z, era, doe, yoe, y, doy, mp, d, m) {
  s = int(ms / 1000); frac = int(ms - s * 1000)
  days = int(s / 86400); rem = s - days * 86400
  z = days + 719468
  era = int(z / 146097)
  doe = z - era * 146097
  yoe = int((doe - int(doe / 1460) + int(doe / 36524) - int(doe / 146096)) / 365)
  y = yoe + era * 400
  doy = doe - (365 * yoe + int(yoe / 4) - int(yoe / 100))
  mp = int((5 * doy + 2) / 153)
  d = doy - int((153 * mp + 2) / 5) + 1
  m = (mp < 10) ? mp + 3 : mp - 9
  if (m <= 2) y++
  return sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", y, m, d, int(rem / 3600), int(rem % 3600 / 60), rem % 60, frac)
}
