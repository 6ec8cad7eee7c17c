// What a screen loads from the backend for its current input: loaded once per input, debounced
// while the admin types, and an answer for an input that is no longer current never lands (a
// slow plugin list of the previous project, a preview of what was typed before).
import { untrack } from "svelte";
import type { AppError } from "../bindings/AppError";
import { asAppError } from "./errors";

export interface Resource<T> {
  /** The answer for the current input; null before it arrives (or, with `keep`, the last one). */
  readonly value: T | null;
  /** Why the last load failed; null once one succeeds. */
  readonly error: AppError | null;
  /** A load for the current input is waiting or running. */
  readonly loading: boolean;
  /** Loads the current input again, now (a Refresh button); nothing without an input. */
  reload(): void;
  /** Replaces the value after a change the screen made itself (a revoked key removed). */
  set(value: T): void;
}

export interface ResourceOptions {
  /** Wait this long after the input last changed before loading (typing); 0: load at once. */
  debounceMs?: number;
  /** Keep showing the last value and error while the next input loads (a preview). */
  keep?: boolean;
}

/**
 * Loads `load(input())` whenever the input changes (compared by value), for the component that
 * calls it (during its setup). `input()` returning null means "nothing to load": the value and
 * error are cleared. When the component goes away, nothing pending lands.
 */
export function resource<I, T>(
  input: () => I | null,
  load: (input: I) => Promise<T>,
  options: ResourceOptions = {},
): Resource<T> {
  const state = $state({ value: null as T | null, error: null as AppError | null, loading: false });
  // Each load's number; only the latest may write its answer.
  let generation = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let current: { input: I; id: string } | null = null;

  function stop() {
    generation += 1;
    clearTimeout(timer);
    timer = undefined;
  }

  function start(delayMs: number) {
    stop();
    if (!current) return;
    const mine = generation;
    const { input: what } = current;
    state.loading = true;
    if (!options.keep) {
      state.value = null;
      state.error = null;
    }
    const run = () => {
      timer = undefined;
      load(what).then(
        (value) => {
          if (mine !== generation) return;
          state.value = value;
          state.error = null;
          state.loading = false;
        },
        (err: unknown) => {
          if (mine !== generation) return;
          state.error = asAppError(err);
          state.loading = false;
        },
      );
    };
    if (delayMs > 0) timer = setTimeout(run, delayMs);
    else run();
  }

  $effect(() => {
    const next = input();
    untrack(() => {
      const id = next === null ? null : JSON.stringify(next);
      if (id === (current?.id ?? null)) return;
      if (next === null || id === null) {
        stop();
        current = null;
        state.value = null;
        state.error = null;
        state.loading = false;
        return;
      }
      current = { input: next, id };
      start(options.debounceMs ?? 0);
    });
  });

  // Torn down with the component: an answer still on its way is dropped.
  $effect(() => stop);

  return {
    get value() {
      return state.value;
    },
    get error() {
      return state.error;
    },
    get loading() {
      return state.loading;
    },
    reload() {
      start(0);
    },
    set(value: T) {
      state.value = value;
    },
  };
}
