//! The `powershell` entry of a hook: what an agent runs on Windows (GitHub Copilot CLI runs it
//! instead of `bash`). PowerShell cannot run the `.sh` hook script, so the entry runs the same
//! tested script through Git for Windows' `sh.exe`, found from `git.exe`'s location
//! (`<Git>\cmd\git.exe` → `<Git>\bin\sh.exe`). Without Git for Windows it says so on stderr and
//! exits 0: the agent is never blocked. One template for every agent and event; the plugin root
//! comes from the agent's environment at run time and is only ever expanded inside a
//! double-quoted string (its value is never parsed as code), the event is a single-quoted
//! literal. Not run on these machines (no PowerShell here): the text is tested, and the Windows
//! conformance job runs it.

use super::hook_script::HOOK_SCRIPT_PATH;

/// The template: `@ROOT@` is the plugin-root variable's name, `@EVENT@` the quoted event.
const TEMPLATE: &str = "$r = $env:@ROOT@; $g = Get-Command git.exe -ErrorAction SilentlyContinue; \
$sh = if ($g) { Join-Path (Split-Path (Split-Path $g.Source)) 'bin\\sh.exe' }; \
if ($sh -and (Test-Path -LiteralPath $sh)) { & $sh \"$r/@SCRIPT@\" @EVENT@ } \
else { [Console]::Error.WriteLine('gram-hook: Git for Windows was not found (no git.exe on PATH), so this event was not sent to Gram. Install Git for Windows to report agent activity.') }; \
exit 0";

/// `s` as a PowerShell single-quoted literal: nothing in it is expanded; `'` is doubled.
pub fn single_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// The PowerShell command that runs [`HOOK_SCRIPT_PATH`] for `event` under `$env:<root_var>`.
pub fn hook_command(root_var: &str, event: &str) -> String {
    debug_assert!(root_var
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_'));
    TEMPLATE
        .replace("@ROOT@", root_var)
        .replace("@SCRIPT@", HOOK_SCRIPT_PATH)
        .replace("@EVENT@", &single_quote(event))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_is_a_literal_and_the_root_is_only_expanded_inside_quotes() {
        let command = hook_command("COPILOT_PLUGIN_ROOT", "preToolUse");
        assert!(
            command.starts_with("$r = $env:COPILOT_PLUGIN_ROOT;"),
            "{command}"
        );
        assert!(
            command.contains("& $sh \"$r/hooks/gram-hook.sh\" 'preToolUse' }"),
            "{command}"
        );
        assert!(command.ends_with("exit 0"), "{command}");
        // The only variable expanded inside a string is $r, and nothing is ever evaluated.
        assert_eq!(command.matches("\"$r/").count(), 1);
        for word in [
            "Invoke-Expression",
            "iex ",
            "$(",
            " -Command",
            "-EncodedCommand",
        ] {
            assert!(!command.contains(word), "{word} in {command}");
        }
        assert_eq!(single_quote("it's \"$x\""), "'it''s \"$x\"'");
    }
}
