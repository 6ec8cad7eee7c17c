# A small, strict JSON reader in portable awk (POSIX awk, mawk, gawk, BusyBox, the one true awk),
# for the hook script, which may rely on nothing but sh, awk and curl. No recursion: any depth.
#
# json_read(text) returns 1 when text is exactly one JSON value (RFC 8259; surrounding
# whitespace allowed), else 0. On success, for each value at most json_max_depth levels deep
# (0: no limit), it sets
#   json_type[path]  "object", "array", "string", "number", "true", "false" or "null"
#   json_raw[path]   a scalar's JSON text as it was (a string with its quotes and escapes)
# The root's path is ""; a member's path is its object's path, SUBSEP and its key; an element's,
# its array's path, SUBSEP and its index (from 0). Keys are decoded where that is exact (escapes
# of ASCII characters); other escapes are kept as written, so "\u00e9" and a raw "é" differ.
# A key that occurs twice counts once, with its last value (as JavaScript's JSON.parse).
#
# json_string(raw) decodes a string's JSON text for comparisons: ASCII escapes are decoded,
# other \u escapes become "\001". json_safe_string(raw) says whether raw can be printed as is
# into JSON that strict readers accept: no lone surrogate escapes, only valid UTF-8 (on an awk
# that reads bytes; where awk reads characters, only ASCII).
#
# With json_keep set, it also keeps every token in order, for filters that copy the text:
# json_n of them; json_tk[k] is a structural character, a literal or number, or "\"" for a
# string whose content (placeholders in, see below) is json_ts[k]; json_tkey[k] is 1 for a key.
#
# Placeholders: the reader turns \\ into \001 and \" into \002 before it splits the text at the
# remaining quotes; no valid JSON holds those bytes raw.

function json_read(text,    s, parts, np, i, seg, toks, nt, j, t, k) {
  split("", json_type); split("", json_raw)
  json_n = 0
  if (!json_ready) json_init()
  # Raw control characters are never valid (JSON's whitespace is checked below).
  if (text ~ /[\001-\010\013\014\016-\037]/) return 0
  s = text
  gsub(/\\\\/, "\001", s)
  gsub(/\\"/, "\002", s)
  np = split(s, parts, /"/)
  if (np % 2 == 0) return 0
  json_depth = 0; json_state = "value"; json_path = ""
  for (i = 1; i <= np; i++) {
    if (i % 2 == 0) {
      if (!json_token("\"", parts[i])) return 0
      continue
    }
    seg = parts[i]
    if (seg ~ /\\/) return 0
    gsub(/[][{}:,]/, " & ", seg)
    gsub(/[\t\r\n]/, " ", seg)
    nt = split(seg, toks, " ")
    for (j = 1; j <= nt; j++) {
      t = toks[j]
      if (t == "") continue
      if (!json_token(t, "")) return 0
    }
  }
  return json_state == "end"
}

function json_init(    i) {
  json_ready = 1
  for (i = 32; i < 127; i++) json_chr[sprintf("%04x", i)] = sprintf("%c", i)
  json_esc["\""] = "\""; json_esc["\\"] = "\\"; json_esc["/"] = "/"
  json_esc["b"] = "\b"; json_esc["f"] = "\f"; json_esc["n"] = "\n"
  json_esc["r"] = "\r"; json_esc["t"] = "\t"
  json_bytes = length("\303\251") == 2
}

# One token: a structural character, a literal or number, or (t = "\"") a string whose content,
# with placeholders, is s.
function json_token(t, s,    raw, key, p) {
  if (json_keep) {
    json_tk[++json_n] = t
    json_ts[json_n] = s
    json_tkey[json_n] = t == "\"" && (json_state == "key" || json_state == "key or end")
  }
  if (t == "\"") {
    if (s ~ /[\t\r\n]/) return 0
    raw = s
    gsub(/\\u[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]/, "", raw)
    gsub(/\\[\/bfnrt]/, "", raw)
    if (raw ~ /\\/) return 0
    raw = "\"" json_unplace(s) "\""
    if (json_state == "key" || json_state == "key or end") {
      key = json_key(s)
      json_member[json_depth] = key
      p = json_container[json_depth] SUBSEP key
      # A repeated key: its last value is the one that counts.
      if ((json_max_depth == 0 || json_depth <= json_max_depth) && (p in json_type)) json_forget(p)
      json_path = p
      json_state = "colon"
      return 1
    }
    return json_scalar("string", raw)
  }
  if (t == "{" || t == "[") {
    if (json_state != "value" && json_state != "value or end") return 0
    json_store(json_path, t == "{" ? "object" : "array", "")
    json_depth++
    # Below the depth kept, paths are not built (they would grow with the depth).
    json_container[json_depth] = json_max_depth > 0 && json_depth > json_max_depth ? "\001" : json_path
    json_kind[json_depth] = t
    if (t == "[") {
      json_index[json_depth] = 0
      json_path = json_path SUBSEP 0
      json_state = "value or end"
    } else {
      json_state = "key or end"
    }
    return 1
  }
  if (t == "}" || t == "]") {
    if (json_depth == 0) return 0
    if (json_kind[json_depth] != (t == "}" ? "{" : "[")) return 0
    if (json_state != "comma or end" && json_state != (t == "}" ? "key or end" : "value or end")) return 0
    json_depth--
    json_after_value()
    return 1
  }
  if (t == ":") {
    if (json_state != "colon") return 0
    json_state = "value"
    return 1
  }
  if (t == ",") {
    if (json_state != "comma or end") return 0
    if (json_kind[json_depth] == "{") {
      json_state = "key"
    } else {
      json_index[json_depth]++
      json_path = json_container[json_depth] SUBSEP json_index[json_depth]
      json_state = "value"
    }
    return 1
  }
  if (t == "true" || t == "false" || t == "null") return json_scalar(t, t)
  if (t ~ /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$/) return json_scalar("number", t)
  return 0
}

function json_scalar(type, raw) {
  if (json_state != "value" && json_state != "value or end") return 0
  json_store(json_path, type, raw)
  json_after_value()
  return 1
}

function json_after_value() {
  json_state = json_depth == 0 ? "end" : "comma or end"
}

# A value at path, json_depth levels deep (the depth of the containers around it).
function json_store(path, type, raw) {
  if (json_max_depth > 0 && json_depth > json_max_depth) return
  json_type[path] = type
  if (raw != "") json_raw[path] = raw
}

# Drops path and everything below it (a repeated key's earlier value).
function json_forget(path,    p, prefix) {
  prefix = path SUBSEP
  for (p in json_type) {
    if (p == path || index(p, prefix) == 1) {
      delete json_type[p]
      delete json_raw[p]
    }
  }
}

# The placeholders back to the escapes they stand for.
function json_unplace(s,    n, a) {
  if (index(s, "\001")) { n = split(s, a, "\001"); s = json_join(a, n, "\\\\") }
  if (index(s, "\002")) { n = split(s, a, "\002"); s = json_join(a, n, "\\\"") }
  return s
}

# a[1] sep a[2] sep ... a[n], joined pairwise (a string of many pieces is copied log n times,
# not n times). Overwrites a.
function json_join(a, n, sep,    i, m) {
  while (n > 1) {
    m = 0
    for (i = 1; i <= n; i += 2) a[++m] = (i < n) ? a[i] sep a[i + 1] : a[i]
    n = m
  }
  return a[1]
}

# A key, decoded where exact. s has placeholders.
function json_key(s,    out, i, c, h) {
  out = ""
  s = json_unplace(s)
  while ((i = index(s, "\\")) > 0) {
    out = out substr(s, 1, i - 1)
    c = substr(s, i + 1, 1)
    if (c == "u") {
      h = tolower(substr(s, i + 2, 4))
      if (h in json_chr) out = out json_chr[h]
      else out = out "\\u" h
      s = substr(s, i + 6)
    } else {
      if (c == "\"" || c == "\\" || c == "/") out = out c
      else out = out "\\" c
      s = substr(s, i + 2)
    }
  }
  return out s
}

# A string's JSON text (with quotes), decoded for comparisons.
function json_string(raw,    s, out, i, c, h) {
  s = substr(raw, 2, length(raw) - 2)
  out = ""
  while ((i = index(s, "\\")) > 0) {
    out = out substr(s, 1, i - 1)
    c = substr(s, i + 1, 1)
    if (c == "u") {
      h = tolower(substr(s, i + 2, 4))
      out = out ((h in json_chr) ? json_chr[h] : "\001")
      s = substr(s, i + 6)
    } else {
      out = out json_esc[c]
      s = substr(s, i + 2)
    }
  }
  return out s
}

# Whether a string's JSON text can be printed as is: valid UTF-8 and no lone surrogate.
function json_safe_string(raw,    s) {
  s = raw
  gsub(/\\\\/, "", s)
  gsub(/\\u[dD][89abAB][0-9a-fA-F][0-9a-fA-F]\\u[dD][c-fC-F][0-9a-fA-F][0-9a-fA-F]/, "", s)
  if (s ~ /\\u[dD][89a-fA-F]/) return 0
  if (s !~ /[^ -~]/) return 1
  if (!json_bytes) return 0
  gsub(/[\302-\337][\200-\277]|\340[\240-\277][\200-\277]|[\341-\354\356\357][\200-\277][\200-\277]|\355[\200-\237][\200-\277]|\360[\220-\277][\200-\277][\200-\277]|[\361-\363][\200-\277][\200-\277][\200-\277]|\364[\200-\217][\200-\277][\200-\277]/, "", s)
  return s !~ /[^ -~]/
}
