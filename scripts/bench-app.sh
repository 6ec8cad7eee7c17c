#!/usr/bin/env bash
# Measures the desktop app's release build (not a test: numbers are printed, nothing asserted):
#   - start to first paint under Xvfb (process start → the window shows more than a blank fill),
#     median of RUNS starts: cold (the page cache dropped first, as after a reboot, when allowed)
#     and warm (the libraries already in the page cache, as on a second launch);
#   - memory of the app and its WebKit processes (PSS and RSS, from /proc) after each screen has
#     been opened once (clicked in the sidebar);
#   - per process (the app, WebKitWebProcess, WebKitNetworkProcess): PSS, and how much of it is
#     private (anonymous) memory rather than shared library code;
#   - for comparison, the floor of the toolkit: a blank WebKitGTK window (PyGObject, when
#     python3-gi and gir1.2-webkit2-4.1 are installed), painted the way the app paints;
#   - release binary size (and stripped), and the .deb's size when `make bundle` made one.
# Usage: scripts/bench-app.sh            (builds the release binary if it is missing)
#        RUNS=5 scripts/bench-app.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if [ -z "${GRAM_ADMIN_BENCH_INNER:-}" ]; then
  export NO_AT_BRIDGE=1
  exec env GRAM_ADMIN_BENCH_INNER=1 xvfb-run -a -s '-screen 0 1280x800x24' dbus-run-session -- "$0" "$@"
fi

app=target/release/gram-admin-app
if [ ! -x "$app" ]; then
  (cd ui && npm run --silent build)
  cargo build --release --locked -p gram-admin-app
fi
runs=${RUNS:-9}
home=$(mktemp -d)
trap 'rm -rf "$home" "${blank_py:-}"' EXIT
export HOME="$home" XDG_CONFIG_HOME="$home/.config" XDG_DATA_HOME="$home/.local/share"
export GRAM_ADMIN_KEYCHAIN_SERVICE="gram-admin-bench-$$"

now_ms() { date +%s%3N; }

# The app's process and every descendant (WebKitWebProcess, WebKitNetworkProcess).
tree_pids() {
  local pids=("$1") i=0
  while [ $i -lt ${#pids[@]} ]; do
    for c in $(pgrep -P "${pids[$i]}" 2>/dev/null || true); do pids+=("$c"); done
    i=$((i + 1))
  done
  echo "${pids[@]}"
}

# "PSS_MB RSS_MB" summed over the app's processes.
memory() {
  local pss=0 rss=0
  for p in $(tree_pids "$1"); do
    [ -r "/proc/$p/smaps_rollup" ] || continue
    pss=$((pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup")))
    rss=$((rss + $(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup")))
  done
  echo "$((pss / 1024)) $((rss / 1024))"
}

# One line per process: PSS, and its private (anonymous) part.
per_process() {
  for p in $(tree_pids "$1"); do
    [ -r "/proc/$p/smaps_rollup" ] || continue
    awk -v name="$(cat "/proc/$p/comm")" '/^Pss:/ {pss=$2} /^Pss_Anon:/ {anon=$2}
      END {printf "    %-16s PSS %4d MB, of which private %3d MB\n", name, pss/1024, anon/1024}' \
      "/proc/$p/smaps_rollup"
  done
}

window_of() {
  xdotool search --sync --onlyvisible --name "^${1:-gram-admin}\$" 2>/dev/null | head -1
}

# A blank WebKitGTK window (PyGObject), the toolkit's floor; painted the way the app paints
# (without the DMA-BUF renderer, src-tauri/src/lib.rs) and with a gradient so a paint shows.
blank_py=$(mktemp --suffix .py)
cat >"$blank_py" <<'PY'
import gi
gi.require_version("Gtk", "3.0"); gi.require_version("WebKit2", "4.1")
from gi.repository import Gtk, WebKit2
w = Gtk.Window(title="blank-webkit"); w.set_default_size(1200, 800)
v = WebKit2.WebView(); w.add(v)
v.load_html('<body style="margin:0;height:100vh;background:linear-gradient(#fff,#36c)">', "about:blank")
w.show_all(); Gtk.main()
PY
have_blank() { /usr/bin/python3 -c "import gi; gi.require_version('WebKit2', '4.1')" 2>/dev/null; }
blank() { WEBKIT_DISABLE_DMABUF_RENDERER=1 exec /usr/bin/python3 "$blank_py"; }

# Waits until the window shows more than a blank fill (a painted UI has hundreds of colours).
wait_painted() {
  local win=$1 colours
  for _ in $(seq 1 400); do
    colours=$(import -window "$win" -format '%k' info: 2>/dev/null || echo 0)
    [ "${colours:-0}" -gt 100 ] && return 0
    sleep 0.02
  done
  return 1
}

# One start: prints the milliseconds from launch to a painted window. paint_once TITLE COMMAND...
paint_once() {
  local title=$1 start pid win
  shift
  start=$(now_ms)
  "$@" >/dev/null 2>&1 &
  pid=$!
  win=$(window_of "$title")
  wait_painted "$win" || echo "  no paint within 8 s" >&2
  echo $(( $(now_ms) - start ))
  kill "$pid"; wait "$pid" 2>/dev/null || true
  sleep 0.5
}

# Launches once and waits until it has settled (first-run work such as creating the keyring
# done), so that "warm" finds the libraries cached. settle TITLE COMMAND...
settle() {
  local title=$1 pid
  shift
  "$@" >/dev/null 2>&1 &
  pid=$!; window_of "$title" >/dev/null; sleep 2; kill "$pid"; wait "$pid" 2>/dev/null || true
}

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# The app and the blank window, started in turn (app, blank, app, blank, ...) so that whatever
# else the machine does at the time weighs on both alike; prints each median and their ratio.
# start_to_paint cold|warm
start_to_paint() {
  local cache=$1 app_times=() blank_times=() run a b
  for run in $(seq 1 "$runs"); do
    [ "$cache" = cold ] && { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
    app_times+=("$(paint_once gram-admin "$app")")
    if have_blank; then
      [ "$cache" = cold ] && { sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true; }
      blank_times+=("$(paint_once blank-webkit blank)")
    fi
  done
  a=$(median "${app_times[@]}")
  echo "  gram-admin, $cache: median ${a} ms (runs: ${app_times[*]})"
  if have_blank; then
    b=$(median "${blank_times[@]}")
    echo "  blank WebKitGTK window, $cache: median ${b} ms (runs: ${blank_times[*]})"
    echo "  ratio, $cache: $(awk -v a="$a" -v b="$b" 'BEGIN {printf "%.2f", a / b}')x"
  fi
}

echo "== start to first paint ($runs runs each, the app and the blank window in turn)"
settle gram-admin "$app"
have_blank && settle blank-webkit blank
start_to_paint warm
start_to_paint cold

echo "== memory after each screen (PSS / RSS of the app + WebKit processes)"
"$app" >/dev/null 2>&1 &
pid=$!
win=$(window_of)
wait_painted "$win" || true
sleep 2
read -r pss rss <<<"$(memory "$pid")"
echo "  start (Observability plugin): PSS ${pss} MB, RSS ${rss} MB"
# The sidebar's entries, top to bottom (the window is at 0,0: no window manager under Xvfb).
y=160
for screen in Connections Marketplace Keys "Check hook" "Roll out" "Observability plugin"; do
  [ "$screen" = "Observability plugin" ] && y=88
  xdotool mousemove --window "$win" 100 "$y" click 1
  sleep 2
  read -r pss rss <<<"$(memory "$pid")"
  echo "  after $screen: PSS ${pss} MB, RSS ${rss} MB"
  y=$((y + 55))
done
app_pss=$pss
per_process "$pid"
import -window "$win" target/bench-last-screen.png 2>/dev/null || true
kill "$pid"; wait "$pid" 2>/dev/null || true

echo "== a blank WebKitGTK window, for comparison"
if have_blank; then
  blank &
  pid=$!
  window_of blank-webkit >/dev/null
  sleep 3
  read -r pss rss <<<"$(memory "$pid")"
  echo "  blank window (python3 + WebKit): PSS ${pss} MB, RSS ${rss} MB"
  per_process "$pid"
  echo "  ratio, PSS after every screen: $(awk -v a="$app_pss" -v b="$pss" 'BEGIN {printf "%.2f", a / b}')x"
  kill "$pid"; wait "$pid" 2>/dev/null || true
else
  echo "  skipped: apt-get install python3-gi gir1.2-webkit2-4.1 to measure it"
fi

echo "== sizes"
size=$(stat -c %s "$app")
stripped=$(mktemp); strip -o "$stripped" "$app"
echo "  release binary: $((size / 1024 / 1024)).$(( (size / 1024 % 1024) * 10 / 1024 )) MB ($(( $(stat -c %s "$stripped") / 1024 / 1024 )) MB stripped)"
rm -f "$stripped"
deb=$(ls -t target/release/bundle/deb/*.deb 2>/dev/null | head -1 || true)
if [ -n "$deb" ]; then
  echo "  .deb: $(( $(stat -c %s "$deb") / 1024 )) KB ($deb)"
else
  echo "  .deb: none yet (make bundle)"
fi
