#!/usr/bin/env bash
# Installs everything gram-admin needs on a Debian/Ubuntu machine. Idempotent: whatever is
# already there is left alone, so `make run` and `make test` can call it every time.
#
#   scripts/setup.sh          system packages, Rust check, the UI's npm packages
#   scripts/setup.sh --test   the same, plus what the test suites use (tauri-driver)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
[ "${1:-}" = "--test" ] && want_test=1

say() { printf '\033[1m==> %s\033[0m\n' "$*"; }

# Tauri 2's build dependencies, the GTK save dialog, a virtual display for GUI tests, and the
# keyring backends (Secret Service, kernel keyutils).
APT_PACKAGES=(
  build-essential pkg-config libssl-dev curl git
  libwebkit2gtk-4.1-dev libgtk-3-dev libsoup-3.0-dev libjavascriptcoregtk-4.1-dev
  librsvg2-dev libayatana-appindicator3-dev
  xvfb xauth xdotool imagemagick dbus-x11 at-spi2-core
  gnome-keyring libsecret-1-dev libsecret-tools keyutils
  webkit2gtk-driver
  # Every awk a teammate's machine may run the hook's awk programs with (Debian's mawk is the
  # default awk; gawk; BWK awk as on macOS; busybox as in small containers): the JSON reader's
  # and envelope's property tests run in each one present.
  gawk original-awk busybox
)
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  APT_PACKAGES+=(nodejs npm)
fi

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "Installing system packages: ${missing[*]}"
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null 2>&1 || { echo "error: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
    SUDO=sudo
  fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  if [ -x "$HOME/.cargo/bin/cargo" ]; then
    export PATH="$HOME/.cargo/bin:$PATH"
  else
    say "Installing Rust (rustup)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
fi

# The UI's packages at the locked versions; skipped when node_modules already matches the lock
# file. (`npm install`, not `npm ci`: ci insists on lock entries for every platform's optional
# packages, which some registry mirrors do not list.)
if [ ! -f ui/node_modules/.package-lock.json ] || ! cmp -s ui/package-lock.json ui/node_modules/.gram-admin-lock; then
  say "Installing the UI's npm packages"
  (cd ui && npm install --no-audit --no-fund --loglevel=error && cp package-lock.json node_modules/.gram-admin-lock)
fi

if [ "$want_test" = 1 ]; then
  # A first full test build needs ~5 GB (README.md); running out shows up much later as a
  # linker's "No space left on device", so say it now. A warning: a warm target/ needs less.
  free_kb=$(df -Pk . | awk 'NR == 2 { print $4 }')
  if [ -n "$free_kb" ] && [ "$free_kb" -lt $((5 * 1024 * 1024)) ] && [ ! -d target/debug ]; then
    printf '\033[1;33mwarning:\033[0m only %s MB free here; a first `make test` needs about 5 GB (target/ and the agent CLIs)\n' \
      "$((free_kb / 1024))" >&2
  fi
  if [ -f tests/e2e/Cargo.toml ] && ! command -v tauri-driver >/dev/null 2>&1; then
    say "Installing tauri-driver (WebDriver for the GUI tests)"
    cargo install tauri-driver --locked --version '^2.0'
  fi
fi
say "Setup complete"
