#!/usr/bin/env bash
# Runs every test: the workspace's Rust tests (core, CLI, app shell, real-agent conformance)
# inside a virtual display and a private D-Bus session with a throwaway unlocked keyring, so
# GUI and keychain tests run on a headless machine and never touch the user's real keychain.
# Extra arguments go to `cargo test` (e.g. `scripts/test.sh -p gram-admin-core`).
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${GRAM_ADMIN_TEST_INNER:-}" ]; then
  export NO_AT_BRIDGE=1
  exec env GRAM_ADMIN_TEST_INNER=1 xvfb-run -a -s '-screen 0 1280x800x24' \
    dbus-run-session -- "$0" "$@"
fi

keyring_home=$(mktemp -d)
trap 'rm -rf "$keyring_home"' EXIT
echo -n test | HOME="$keyring_home" gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1 || true
# The GUI test drives the real app binary, which `cargo test` does not build for another crate.
cargo build --workspace --locked
# The whole workspace, unless packages were named (`-p gram-admin-e2e` runs only the GUI tests).
scope=(--workspace)
for arg in "$@"; do
  case "$arg" in -p | -p* | --package | --package=*) scope=() ;; esac
done
keyctl session - cargo test "${scope[@]}" --locked --no-fail-fast "$@"
