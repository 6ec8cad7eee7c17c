import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { CheckHookResult } from "../bindings/CheckHookResult";
import { app } from "../lib/app.svelte";
import CheckHookScreen from "./CheckHookScreen.svelte";

vi.mock("../tauri", () => ({ checkHook: vi.fn() }));
const tauri = await import("../tauri");

const base = {
  platform: "claude",
  endpoint: "https://gram.acme.test/rpc/hooks.claude",
  event: "Notification",
  trust: "curl's default CA bundle",
  proxy: null,
  content: "metadata",
  sent: '{"hook_event_name":"Notification","session_id":"gram-admin-check-1","notification_type":"gram-admin-check"}',
} as const;

const ok: CheckHookResult = {
  ...base,
  status: 200,
  latency_ms: 42,
  answer: "{}",
  verdict: "ok",
  explanation: 'Gram accepted the test event (HTTP 200): Claude Code\'s hook reaches project "default" with this key.',
};

const refused: CheckHookResult = {
  ...base,
  status: 401,
  latency_ms: 17,
  answer: '{"name":"unauthorized","message":"unknown api key"}',
  verdict: "unauthorized",
  explanation: "Gram refused the key gram_live_1a2b3… (HTTP 401): it was revoked, or it is wrong for this server.",
};

beforeEach(() => {
  vi.mocked(tauri.checkHook).mockReset();
  app.platforms = [
    { platform: "claude", display_name: "Claude Code" },
    { platform: "cursor", display_name: "Cursor" },
  ] as typeof app.platforms;
  app.platformsError = null;
  app.gram = {
    state: "signed_in",
    account: {
      server: "https://gram.acme.test",
      email: "admin@acme.test",
      organization: "Acme Corp",
      organization_slug: "acme-corp",
      projects: [{ id: "p", name: "Default", slug: "default" }],
      project: "default",
    },
  };
});

describe("the check hook screen", () => {
  it("asks for the organisation when there is none", () => {
    app.gram = { state: "signed_out", server: null };
    app.manual = { org_name: "", project_slug: "", server_url: "", org_email: "" };
    render(CheckHookScreen, { go: () => {} });
    expect(screen.getByText("Your organisation first")).toBeTruthy();
    expect(screen.queryByTestId("send-check")).toBeNull();
  });

  it("shows an accepted check: status, latency, Gram's answer and the explanation", async () => {
    vi.mocked(tauri.checkHook).mockResolvedValue(ok);
    render(CheckHookScreen, { go: () => {} });
    expect(screen.getByText("No check yet")).toBeTruthy();
    await fireEvent.click(screen.getByTestId("send-check"));
    await waitFor(() => screen.getByTestId("check-result"));
    expect(tauri.checkHook).toHaveBeenCalledWith(
      { org_name: "Acme Corp", server_url: "https://gram.acme.test", project_slug: "default" },
      "claude",
      null,
    );
    expect(screen.getByTestId("check-result").dataset.verdict).toBe("ok");
    expect(screen.getByTestId("check-verdict").textContent).toBe("Accepted");
    expect(screen.getByTestId("check-verdict").classList.contains("good")).toBe(true);
    expect(screen.getByTestId("check-status").textContent).toBe("HTTP 200");
    expect(screen.getByTestId("check-latency").textContent).toBe("42 ms");
    expect(screen.getByTestId("check-answer").textContent).toBe("{}");
    expect(screen.getByTestId("check-explanation").textContent).toBe(ok.explanation);
    expect(screen.getByTestId("check-trust").textContent).toBe("curl's default CA bundle");
    expect(screen.getByTestId("check-proxy").textContent).toBe("none (a direct connection)");
    // The exact body the test event sent, after the privacy filter.
    expect(screen.getByTestId("check-sent").textContent).toBe(ok.sent);
  });

  it("says which CA and proxy the check used", async () => {
    vi.mocked(tauri.checkHook).mockResolvedValue({
      ...ok,
      trust: "the company CA the plugin carries (hooks/gram-ca.pem), instead of curl's default CA bundle",
      proxy: "http://proxy.acme.test:3128 (from HTTPS_PROXY)",
    });
    render(CheckHookScreen, { go: () => {} });
    await fireEvent.click(screen.getByTestId("send-check"));
    await waitFor(() => screen.getByTestId("check-result"));
    expect(screen.getByTestId("check-trust").textContent).toContain("hooks/gram-ca.pem");
    expect(screen.getByTestId("check-proxy").textContent).toBe("http://proxy.acme.test:3128 (from HTTPS_PROXY)");
  });

  it("sends at the privacy level chosen for the project", async () => {
    vi.mocked(tauri.checkHook).mockResolvedValue(ok);
    app.content = "metadata";
    render(CheckHookScreen, { go: () => {} });
    await fireEvent.click(screen.getByTestId("send-check"));
    await waitFor(() => screen.getByTestId("check-result"));
    expect(tauri.checkHook).toHaveBeenCalledWith(
      expect.objectContaining({ project_slug: "default", content: "metadata" }),
      "claude",
      null,
    );
    app.content = "full";
  });

  it("shows a 401 as a refused key with what to do, and clears the pasted key", async () => {
    vi.mocked(tauri.checkHook).mockResolvedValue(refused);
    render(CheckHookScreen, { go: () => {} });
    await fireEvent.click(screen.getByText("Cursor"));
    const input = screen.getByLabelText(/Hooks key to check/) as HTMLInputElement;
    await fireEvent.input(input, { target: { value: " gram_local_abc " } });
    await fireEvent.click(screen.getByTestId("send-check"));
    await waitFor(() => screen.getByTestId("check-result"));
    expect(tauri.checkHook).toHaveBeenCalledWith(expect.anything(), "cursor", "gram_local_abc");
    expect(input.value).toBe("");
    expect(screen.getByTestId("check-verdict").textContent).toBe("Key refused");
    expect(screen.getByTestId("check-verdict").classList.contains("bad")).toBe(true);
    expect(screen.getByTestId("check-status").textContent).toBe("HTTP 401");
    expect(screen.getByTestId("check-answer").textContent).toContain("unknown api key");
    expect(screen.getByTestId("check-explanation").textContent).toContain("revoked");
  });

  it("with no answer at all says so and shows curl's words", async () => {
    vi.mocked(tauri.checkHook).mockResolvedValue({
      ...base,
      status: null,
      latency_ms: 3,
      answer: "curl: (7) Failed to connect",
      verdict: "refused",
      explanation: "Gram is not reachable at https://gram.acme.test: the connection was refused.",
    });
    render(CheckHookScreen, { go: () => {} });
    await fireEvent.click(screen.getByTestId("send-check"));
    await waitFor(() => screen.getByTestId("check-result"));
    expect(screen.getByTestId("check-status").textContent).toBe("no answer");
    expect(screen.getByText("curl said")).toBeTruthy();
    expect(screen.getByTestId("check-verdict").textContent).toBe("Connection refused");
  });

  it("bad input is an error state, never a blank panel", async () => {
    vi.mocked(tauri.checkHook).mockRejectedValue({
      code: "invalid_input",
      message: "That is not a Gram API key.",
      problems: [],
    });
    render(CheckHookScreen, { go: () => {} });
    await fireEvent.click(screen.getByTestId("send-check"));
    await waitFor(() => screen.getByText("The test event was not sent"));
    expect(screen.getByText("That is not a Gram API key.")).toBeTruthy();
  });
});
