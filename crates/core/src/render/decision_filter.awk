# Gram's answer to a decision event, rebuilt with only what makes the agent stricter: a deny or a
# block, and its reason. Never an allow, an ask, added context, rewritten input or a message to
# the model: anything else in the answer is dropped, and Gram's bytes are never printed as such.
# Prints one JSON object, or nothing (an answer that is not a JSON object, or asks for nothing
# stricter). Reads the answer from ENVIRON["GRAM_ANSWER"]; -v agent=claude|codex|cursor,
# -v event=<the hook event>. Needs json_reader.awk.

BEGIN {
  json_max_depth = 3
  if (!json_read(ENVIRON["GRAM_ANSWER"]) || json_type[""] != "object") exit
  out = ""
  if (agent == "cursor") {
    # permission: "deny" (+ user_message, agent_message); continue: false.
    deny = decision_is(SUBSEP "permission", "deny")
    stop = json_type[SUBSEP "continue"] == "false"
    if (stop) decision_add("\"continue\":false")
    if (deny) decision_add("\"permission\":\"deny\"")
    if (deny || stop) {
      decision_add(decision_text(SUBSEP "user_message", "user_message"))
      decision_add(decision_text(SUBSEP "agent_message", "agent_message"))
    }
  } else {
    # Claude Code and Codex: continue: false (+ stopReason); decision: "block" (+ reason);
    # hookSpecificOutput.permissionDecision: "deny" (+ permissionDecisionReason);
    # hookSpecificOutput.decision.behavior: "deny" (+ message), for PermissionRequest.
    if (json_type[SUBSEP "continue"] == "false") {
      decision_add("\"continue\":false")
      decision_add(decision_text(SUBSEP "stopReason", "stopReason"))
    }
    if (decision_is(SUBSEP "decision", "block")) {
      decision_add("\"decision\":\"block\"")
      decision_add(decision_text(SUBSEP "reason", "reason"))
    }
    h = SUBSEP "hookSpecificOutput"
    inner = ""
    if (decision_is(h SUBSEP "permissionDecision", "deny")) {
      inner = ",\"permissionDecision\":\"deny\""
      m = decision_text(h SUBSEP "permissionDecisionReason", "permissionDecisionReason")
      if (m != "") inner = inner "," m
    }
    if (decision_is(h SUBSEP "decision" SUBSEP "behavior", "deny")) {
      m = decision_text(h SUBSEP "decision" SUBSEP "message", "message")
      inner = inner ",\"decision\":{\"behavior\":\"deny\"" (m != "" ? "," m : "") "}"
    }
    if (inner != "") decision_add("\"hookSpecificOutput\":{\"hookEventName\":\"" event "\"" inner "}")
  }
  if (out != "") print "{" out "}"
}

function decision_is(path, word) {
  return json_type[path] == "string" && json_string(json_raw[path]) == word
}

# "name":<the string at path>, if it is a string that prints safely; else "".
function decision_text(path, name) {
  if (json_type[path] != "string" || !json_safe_string(json_raw[path])) return ""
  return "\"" name "\":" json_raw[path]
}

function decision_add(member) {
  if (member != "") out = out (out == "" ? "" : ",") member
}
