import { fireEvent, render, screen, waitFor } from "@testing-library/svelte";
import { beforeEach, describe, expect, it, vi } from "vitest";
import { app } from "../lib/app.svelte";
import ConnectionsScreen from "./ConnectionsScreen.svelte";

vi.mock("../tauri", () => ({
  gramSignIn: vi.fn(),
  gramSignInWindow: vi.fn(),
  gramSignOut: vi.fn(),
  gramChooseProject: vi.fn(),
  githubSignInToken: vi.fn(),
  githubDeviceStart: vi.fn(),
  githubDeviceFinish: vi.fn(),
  githubDeviceCancel: vi.fn(),
  githubOpenVerification: vi.fn(),
  githubSignOut: vi.fn(),
  networkSettings: vi.fn(),
  setCaFile: vi.fn(),
}));
const tauri = await import("../tauri");

const account = {
  server: "https://gram.acme.test",
  email: "admin@acme.test",
  organization: "Acme Corp",
  organization_slug: "acme-corp",
  projects: [
    { id: "1", name: "Default", slug: "default" },
    { id: "2", name: "Staging", slug: "staging" },
  ],
  project: null,
};

beforeEach(() => {
  vi.mocked(tauri.networkSettings).mockResolvedValue({ ca_file: null, trust: "the system's certificate store" });
  app.gram = { state: "signed_out", server: "https://gram.acme.test" };
  app.github = { state: "signed_out" };
});

describe("connections", () => {
  it("signs in with a pasted session and clears the field whatever happens", async () => {
    vi.mocked(tauri.gramSignIn).mockRejectedValueOnce({ code: "not_signed_in", message: "Gram refused it.", problems: [] });
    vi.mocked(tauri.gramSignIn).mockResolvedValueOnce(account);
    render(ConnectionsScreen);
    await fireEvent.click(screen.getByText("Paste a session instead"));
    const field = document.querySelector<HTMLInputElement>("input[name='gram_session']")!;
    expect(field.type).toBe("password");
    await fireEvent.input(field, { target: { value: "bad" } });
    await fireEvent.click(screen.getByText("Sign in with this session"));
    await waitFor(() => expect(screen.getByTestId("gram-error").textContent).toContain("Gram refused it."));
    expect(field.value).toBe("");
    await fireEvent.input(field, { target: { value: "good" } });
    await fireEvent.click(screen.getByText("Sign in with this session"));
    await waitFor(() => expect(screen.getByTestId("gram-email").textContent).toBe("admin@acme.test"));
    expect(tauri.gramSignIn).toHaveBeenLastCalledWith("https://gram.acme.test", "good");
  });

  it("with several projects, asks for one and saves the choice", async () => {
    app.gram = { state: "signed_in", account };
    vi.mocked(tauri.gramChooseProject).mockResolvedValue({ ...account, project: "staging" });
    render(ConnectionsScreen);
    const picker = screen.getByTestId("project-picker") as HTMLSelectElement;
    expect(screen.getByText("Choose a project…")).toBeTruthy();
    await fireEvent.change(picker, { target: { value: "staging" } });
    await waitFor(() => expect(app.gram.state === "signed_in" && app.gram.account.project).toBe("staging"));
    expect(tauri.gramChooseProject).toHaveBeenCalledWith("staging");
  });

  it("GitHub's device flow shows the code and opens GitHub's page from the backend", async () => {
    let finish: (v: { state: "signed_in"; login: string; source: "keychain" }) => void = () => {};
    vi.mocked(tauri.githubDeviceStart).mockResolvedValue({
      user_code: "WDJB-MJHT",
      verification_uri: "https://github.com/login/device",
      expires_in: 900n,
      interval: 5n,
    });
    vi.mocked(tauri.githubDeviceFinish).mockReturnValue(new Promise((resolve) => (finish = resolve)));
    vi.mocked(tauri.githubOpenVerification).mockResolvedValue();
    render(ConnectionsScreen);
    await fireEvent.click(screen.getByText("Connect GitHub"));
    await waitFor(() => expect(screen.getByTestId("device-code").textContent).toContain("WDJB-MJHT"));
    await fireEvent.click(screen.getByText("Open https://github.com/login/device"));
    expect(tauri.githubOpenVerification).toHaveBeenCalled();
    finish({ state: "signed_in", login: "acme", source: "keychain" });
    await waitFor(() => expect(screen.getByTestId("github-login").textContent).toBe("acme"));
  });

  it("trusts the company's CA file, says what it trusts, shows a refusal and forgets it", async () => {
    vi.mocked(tauri.setCaFile)
      .mockRejectedValueOnce({
        code: "network",
        message: "gram-admin cannot use this network setting: the CA file /tmp/x.pem cannot be used (it holds no PEM certificate).",
        problems: [],
      })
      .mockResolvedValueOnce({ ca_file: "/etc/acme/ca.pem", trust: "the system's certificate store and /etc/acme/ca.pem" })
      .mockResolvedValueOnce({ ca_file: null, trust: "the system's certificate store" });
    render(ConnectionsScreen);
    await waitFor(() => expect(screen.getByTestId("network-trust").textContent).toContain("the system's certificate store."));
    const input = screen.getByTestId("ca-file") as HTMLInputElement;
    await fireEvent.input(input, { target: { value: "/tmp/x.pem" } });
    await fireEvent.click(screen.getByText("Trust this CA"));
    await waitFor(() => screen.getByTestId("network-error"));
    expect(screen.getByTestId("network-error").textContent).toContain("holds no PEM certificate");
    await fireEvent.input(input, { target: { value: " /etc/acme/ca.pem " } });
    await fireEvent.click(screen.getByText("Trust this CA"));
    await waitFor(() => expect(screen.getByTestId("network-trust").textContent).toContain("and /etc/acme/ca.pem"));
    expect(tauri.setCaFile).toHaveBeenLastCalledWith("/etc/acme/ca.pem");
    expect(screen.queryByTestId("network-error")).toBeNull();
    await fireEvent.click(screen.getByText("Forget it"));
    await waitFor(() => expect(tauri.setCaFile).toHaveBeenLastCalledWith(null));
    await waitFor(() => expect(screen.queryByText("Forget it")).toBeNull());
  });
});
