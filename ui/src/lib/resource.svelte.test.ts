// resource(): one load per input, debounced, and an answer for an old input never lands.
import { flushSync } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { resource, type Resource, type ResourceOptions } from "./resource.svelte";

/** A promise the test settles when it chooses. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** A resource over `input` outside any component, as a screen would hold it. */
function setup<T>(load: (input: string) => Promise<T>, options: ResourceOptions = {}) {
  const input = $state({ project: "default" as string | null });
  let res!: Resource<T>;
  const destroy = $effect.root(() => {
    res = resource(() => input.project, load, options);
  });
  flushSync();
  return { input, res, destroy };
}

/** Lets settled promises run their callbacks. */
const settle = () => new Promise((r) => setTimeout(r, 0));

beforeEach(() => vi.useRealTimers());
afterEach(() => vi.useRealTimers());

describe("resource", () => {
  it("loads the input, and an answer for the input before a switch never lands", async () => {
    const answers = new Map([
      ["default", deferred<string[]>()],
      ["staging", deferred<string[]>()],
    ]);
    const load = vi.fn((project: string) => answers.get(project)!.promise);
    const { input, res, destroy } = setup(load);
    expect(load).toHaveBeenLastCalledWith("default");
    expect(res.loading).toBe(true);

    input.project = "staging";
    flushSync();
    expect(load).toHaveBeenLastCalledWith("staging");
    answers.get("staging")!.resolve(["staging-tools"]);
    await settle();
    expect(res.value).toEqual(["staging-tools"]);
    expect(res.loading).toBe(false);

    answers.get("default")!.resolve(["default-tools"]);
    await settle();
    expect(res.value).toEqual(["staging-tools"]);
    destroy();
  });

  it("an old answer arriving first does not land either: it waits for the current one", async () => {
    const old = deferred<string>();
    const now = deferred<string>();
    const load = vi.fn().mockReturnValueOnce(old.promise).mockReturnValueOnce(now.promise);
    const { input, res, destroy } = setup(load);
    input.project = "staging";
    flushSync();
    old.resolve("default's");
    await settle();
    expect(res.value).toBeNull();
    expect(res.loading).toBe(true);
    now.resolve("staging's");
    await settle();
    expect(res.value).toBe("staging's");
    destroy();
  });

  it("waits until the input stops changing, then loads only the last one", async () => {
    vi.useFakeTimers();
    const load = vi.fn(async (text: string) => text.toUpperCase());
    const { input, res, destroy } = setup(load, { debounceMs: 200 });
    input.project = "ac";
    flushSync();
    vi.advanceTimersByTime(150);
    input.project = "acme";
    flushSync();
    vi.advanceTimersByTime(150);
    expect(load).not.toHaveBeenCalled();
    expect(res.loading).toBe(true);
    vi.advanceTimersByTime(50);
    expect(load).toHaveBeenCalledTimes(1);
    expect(load).toHaveBeenCalledWith("acme");
    await vi.runAllTimersAsync();
    expect(res.value).toBe("ACME");
    destroy();
  });

  it("loads an equal input once, and again on reload", async () => {
    const load = vi.fn(async (p: string) => p);
    const { input, res, destroy } = setup(load);
    input.project = "default";
    flushSync();
    expect(load).toHaveBeenCalledTimes(1);
    res.reload();
    expect(load).toHaveBeenCalledTimes(2);
    await settle();
    expect(res.value).toBe("default");
    destroy();
  });

  it("clears without loading when there is nothing to load", async () => {
    const load = vi.fn(async (p: string) => p);
    const { input, res, destroy } = setup(load);
    await settle();
    expect(res.value).toBe("default");
    input.project = null;
    flushSync();
    expect(res.value).toBeNull();
    expect(res.loading).toBe(false);
    expect(load).toHaveBeenCalledTimes(1);
    res.reload();
    expect(load).toHaveBeenCalledTimes(1);
    destroy();
  });

  it("turns a rejection into an AppError, keeping the last value only when asked", async () => {
    const load = vi
      .fn()
      .mockResolvedValueOnce("first")
      .mockRejectedValueOnce({ code: "invalid_input", message: "Fix the slug.", problems: [] })
      .mockRejectedValueOnce(new Error("IPC lost"));
    const { input, res, destroy } = setup(load, { keep: true });
    await settle();
    input.project = "bad slug";
    flushSync();
    expect(res.value).toBe("first");
    await settle();
    expect(res.error).toEqual({ code: "invalid_input", message: "Fix the slug.", problems: [] });
    expect(res.value).toBe("first");

    const plain = setup(load);
    await settle();
    expect(plain.res.error).toEqual({ code: "internal", message: "IPC lost", problems: [] });
    expect(plain.res.value).toBeNull();
    destroy();
    plain.destroy();
  });

  it("drops what is pending when its component goes away", async () => {
    vi.useFakeTimers();
    const pending = deferred<string>();
    const load = vi.fn().mockReturnValueOnce(pending.promise);
    const { input, res, destroy } = setup(load, { debounceMs: 100 });
    vi.advanceTimersByTime(100);
    input.project = "staging";
    flushSync();
    destroy();
    vi.advanceTimersByTime(500);
    expect(load).toHaveBeenCalledTimes(1);
    pending.resolve("late");
    await vi.runAllTimersAsync();
    expect(res.value).toBeNull();
  });

  it("can be told the value after the screen changed it", async () => {
    const load = vi.fn(async () => ["k1", "k2"]);
    const { res, destroy } = setup(load);
    await settle();
    res.set(["k2"]);
    expect(res.value).toEqual(["k2"]);
    destroy();
  });
});
