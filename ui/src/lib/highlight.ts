// Syntax highlighting for the preview: text → lines of typed tokens. No HTML is produced, so
// nothing in a file can become markup; components render each token as a text span.

export type TokenKind =
  | "plain"
  | "key"
  | "string"
  | "number"
  | "literal"
  | "punct"
  | "comment"
  | "keyword"
  | "variable"
  | "secret";

export interface Token {
  kind: TokenKind;
  text: string;
}

export type Language = "json" | "shell" | "markdown" | "plain";

/** The language a file is highlighted as, from its name. */
export function languageOf(path: string): Language {
  const name = path.split("/").pop() ?? path;
  if (name.endsWith(".json")) return "json";
  if (name.endsWith(".sh") || name.endsWith(".curlrc") || name.endsWith(".bash")) return "shell";
  if (name.endsWith(".md")) return "markdown";
  return "plain";
}

/** A Gram key, masked (`gram_live_1a2b3…`) or in full (`gram_live_` + 64 hex). */
const KEY_PATTERN = /gram_[a-z]+_(?:[0-9a-f]{64}|[0-9a-f]{1,63}…)/g;

const SHELL_KEYWORDS = new Set([
  "if", "then", "else", "elif", "fi", "case", "esac", "for", "while", "until", "do", "done",
  "in", "function", "return", "exit", "set", "export", "local", "readonly", "exec", "trap",
]);

function json(line: string): Token[] {
  const tokens: Token[] = [];
  const re = /("(?:[^"\\]|\\.)*")(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b|([{}[\],:])|(\s+)|(.)/g;
  for (const m of line.matchAll(re)) {
    if (m[1] !== undefined) {
      tokens.push({ kind: m[2] !== undefined ? "key" : "string", text: m[1] });
      if (m[2] !== undefined) tokens.push({ kind: "punct", text: m[2] });
    } else if (m[3] !== undefined) tokens.push({ kind: "number", text: m[3] });
    else if (m[4] !== undefined) tokens.push({ kind: "literal", text: m[4] });
    else if (m[5] !== undefined) tokens.push({ kind: "punct", text: m[5] });
    else tokens.push({ kind: "plain", text: m[0] });
  }
  return tokens;
}

function shell(line: string): Token[] {
  const tokens: Token[] = [];
  const re = /(#.*$)|("(?:[^"\\]|\\.)*"?|'[^']*'?)|(\$\{[^}]*\}|\$[A-Za-z_][A-Za-z0-9_]*|\$[0-9@#?*$!-])|([A-Za-z_][A-Za-z0-9_-]*)|(\s+)|(.)/g;
  for (const m of line.matchAll(re)) {
    if (m[1] !== undefined) tokens.push({ kind: "comment", text: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: "string", text: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: "variable", text: m[3] });
    else if (m[4] !== undefined)
      tokens.push({ kind: SHELL_KEYWORDS.has(m[4]) ? "keyword" : "plain", text: m[4] });
    else tokens.push({ kind: "plain", text: m[0] });
  }
  return tokens;
}

function markdown(line: string): Token[] {
  if (/^#{1,6}\s/.test(line)) return [{ kind: "keyword", text: line }];
  if (/^```/.test(line)) return [{ kind: "comment", text: line }];
  return [{ kind: "plain", text: line }];
}

/** Splits every token around Gram keys, so a key is always its own `secret` token. */
function markSecrets(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (const token of tokens) {
    let last = 0;
    for (const m of token.text.matchAll(KEY_PATTERN)) {
      const at = m.index ?? 0;
      if (at > last) out.push({ kind: token.kind, text: token.text.slice(last, at) });
      out.push({ kind: "secret", text: m[0] });
      last = at + m[0].length;
    }
    if (last === 0) out.push(token);
    else if (last < token.text.length) out.push({ kind: token.kind, text: token.text.slice(last) });
  }
  return merge(out);
}

/** Joins neighbouring tokens of the same kind (fewer spans, same text). */
function merge(tokens: Token[]): Token[] {
  const out: Token[] = [];
  for (const token of tokens) {
    const prev = out[out.length - 1];
    if (prev && prev.kind === token.kind && token.kind !== "secret") prev.text += token.text;
    else out.push({ ...token });
  }
  return out;
}

/** Every line of `text` as tokens; joining every token's text gives the line back exactly. */
export function highlight(text: string, language: Language): Token[][] {
  const lex = { json, shell, markdown, plain: (l: string): Token[] => [{ kind: "plain", text: l }] }[
    language
  ];
  return text.split("\n").map((line) => (line === "" ? [] : markSecrets(lex(line))));
}
