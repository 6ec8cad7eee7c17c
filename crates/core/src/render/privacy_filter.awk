# The privacy filter (issue #19): what of an agent's event leaves the machine. Every event goes
# through it before it is sent or kept in the spool, at every level. Needs json_reader.awk.
#
# privacy_filter(text) returns the event as compact JSON text, or "" when text is not exactly
# one JSON value (then nothing is sent). At level full every string value is scrubbed: each
# credential the pattern table knows becomes [redacted:<kind>]. At level metadata only the
# members the agent's table keeps go (whole; open ones are objects of which only their kept
# members go), scrubbed too; a root that is not an object becomes {}. Nothing is ever cut
# halfway through a value. Rendered from gram-admin's privacy module (crates/core/src/privacy.rs),
# which holds the pattern table and the reference this program is tested against.
#
# Scrubbing works on the JSON text of a string without decoding it: each escape becomes one
# byte no pattern's class holds (\n and \r the two a PEM body may hold, escapes of printable
# ASCII their character), so the patterns find what they would find in the decoded text.

function privacy_filter(text,    k, d, open) {
  if (!privacy_ready) privacy_init()
  json_keep = 1
  json_max_depth = 1
  if (!json_read(text)) return ""
  if (privacy_level == "full") return privacy_copy(1, json_n)
  if (json_tk[1] != "{") return "{}"
  # Where each object and array ends.
  d = 0
  for (k = 1; k <= json_n; k++) {
    if (json_tk[k] == "{" || json_tk[k] == "[") open[++d] = k
    else if (json_tk[k] == "}" || json_tk[k] == "]") privacy_close[open[d--]] = k
  }
  return privacy_object(1, "")
}

# The last token of the value that starts at token k.
function privacy_end(k) {
  return (json_tk[k] == "{" || json_tk[k] == "[") ? privacy_close[k] : k
}

# Tokens a..b as JSON text, string values scrubbed.
function privacy_copy(a, b,    k, m, o) {
  m = 0
  for (k = a; k <= b; k++) {
    if (json_tk[k] != "\"") o[++m] = json_tk[k]
    else if (json_tkey[k]) o[++m] = "\"" json_unplace(json_ts[k]) "\""
    else o[++m] = "\"" privacy_scrub(json_ts[k]) "\""
  }
  return json_join(o, m, "")
}

# The object at token a with only the members the table lets go (paths below prefix). A key
# that occurs twice counts once, with its last value (as JavaScript's JSON.parse).
function privacy_object(a, prefix,    k, e, key, path, o, sep, last) {
  for (k = a + 1; json_tk[k] != "}"; k = e + 1) {
    last[json_key(json_ts[k])] = k
    e = privacy_end(k + 2)
    if (json_tk[e + 1] == ",") e++
  }
  o = "{"; sep = ""
  for (k = a + 1; json_tk[k] != "}"; k = e + 1) {
    key = json_key(json_ts[k])
    path = prefix key
    e = privacy_end(k + 2)
    if (last[key] == k) {
      if (path in privacy_keep) {
        o = o sep privacy_copy(k, e); sep = ","
      } else if ((path in privacy_open) && json_tk[k + 2] == "{") {
        o = o sep "\"" json_unplace(json_ts[k]) "\":" privacy_object(k + 2, path "."); sep = ","
      }
    }
    if (json_tk[e + 1] == ",") e++
  }
  return o "}"
}

# A string's content (placeholders in) with credentials replaced, as JSON text. Linear in its
# length whatever it holds (pieces are joined pairwise).
function privacy_scrub(s,    n, parts, i, p, c, h, q, nq, o, m, b) {
  if (s !~ /\\/) {
    if (s ~ /@WORDS@/) s = privacy_patterns(s)
    return json_unplace(s)
  }
  # One byte per escape: \003 for \n, \004 for \r, printable ASCII as itself, and \005 for any
  # other (kept in q, in order).
  n = split(s, parts, /\\/)
  m = 0; nq = 0
  o[++m] = parts[1]
  for (i = 2; i <= n; i++) {
    p = parts[i]
    c = substr(p, 1, 1)
    if (c == "u") {
      h = tolower(substr(p, 2, 4))
      if (h == "000a") o[++m] = "\003"
      else if (h == "000d") o[++m] = "\004"
      else if (h == "005c") o[++m] = "\001"
      else if (h == "0022") o[++m] = "\002"
      else if (h in json_chr) o[++m] = json_chr[h]
      else { q[++nq] = "\\u" substr(p, 2, 4); o[++m] = "\005" }
      o[++m] = substr(p, 6)
    } else {
      if (c == "n") o[++m] = "\003"
      else if (c == "r") o[++m] = "\004"
      else if (c == "/") o[++m] = "/"
      else { q[++nq] = "\\" c; o[++m] = "\005" }
      o[++m] = substr(p, 2)
    }
  }
  s = json_join(o, m, "")
  if (s ~ /@WORDS@/) s = privacy_patterns(s)
  if (index(s, "\003")) { n = split(s, b, /\003/); s = json_join(b, n, "\\n") }
  if (index(s, "\004")) { n = split(s, b, /\004/); s = json_join(b, n, "\\r") }
  if (nq) {
    n = split(s, b, /\005/)
    m = 0
    for (i = 1; i <= n; i++) { o[++m] = b[i]; if (i < n) o[++m] = q[i] }
    s = json_join(o, m, "")
  }
  return json_unplace(s)
}

# The pattern table, in order, each match replaced (its first literal kept where the table says).
function privacy_patterns(s,    o) {
@PATTERNS@
  return s
}

function privacy_init() {
  privacy_ready = 1
  privacy_level = "@LEVEL@"
@POLICY@
}
