# Gram's answer to a Copilot CLI decision event (Gram's IngestHookResult from /rpc/hooks.ingest),
# rewritten into Copilot's deny: only a deny, and its message (else its reason). Never an allow
# (it would skip Copilot's own permission prompt), never anything else the answer holds, and
# Gram's bytes are never printed as such.
#   preToolUse         {"permissionDecision":"deny","permissionDecisionReason":<message>}
#   permissionRequest  {"behavior":"deny","message":<message>}
# Prints one JSON object, or nothing. Reads the answer from ENVIRON["GRAM_ANSWER"];
# -v event=<the hook event>. Needs json_reader.awk.

BEGIN {
  json_max_depth = 1
  if (!json_read(ENVIRON["GRAM_ANSWER"]) || json_type[""] != "object") exit
  if (json_type[SUBSEP "decision"] != "string" || json_string(json_raw[SUBSEP "decision"]) != "deny") exit
  if (event == "preToolUse") out = "{\"permissionDecision\":\"deny\",\"permissionDecisionReason\":"
  else if (event == "permissionRequest") out = "{\"behavior\":\"deny\",\"message\":"
  else exit
  m = copilot_text(SUBSEP "message")
  if (m == "") m = copilot_text(SUBSEP "reason")
  if (m == "") m = "\"Gram denied this tool call.\""
  print out m "}"
}

# The string at path as JSON text, if it is one that prints safely; else "".
function copilot_text(path) {
  if (json_type[path] != "string" || !json_safe_string(json_raw[path])) return ""
  return json_raw[path]
}
