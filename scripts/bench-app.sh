#!/usr/bin/env bash
# Measures the desktop app's release build (not a test: numbers are printed, nothing asserted):
#   - cold start to first paint under Xvfb (process start → the window shows more than a blank
#     fill), median of RUNS starts;
#   - memory of the app and its WebKit processes (PSS and RSS, from /proc) after each screen has
#     been opened once (clicked in the sidebar);
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
runs=${RUNS:-5}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
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

window_of() {
  xdotool search --sync --onlyvisible --name '^gram-admin$' 2>/dev/null | head -1
}

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

echo "== cold start to first paint ($runs runs)"
times=()
for run in $(seq 1 "$runs"); do
  sync; echo 3 > /proc/sys/vm/drop_caches 2>/dev/null || true   # truly cold when allowed
  start=$(now_ms)
  "$app" >/dev/null 2>&1 &
  pid=$!
  win=$(window_of)
  wait_painted "$win" || echo "  run $run: no paint within 8 s"
  t=$(( $(now_ms) - start ))
  times+=("$t")
  echo "  run $run: ${t} ms"
  kill "$pid"; wait "$pid" 2>/dev/null || true
done
median=$(printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
echo "  median: ${median} ms"

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
for screen in Connections Marketplace Keys "Check hook" "Settings snippet" "Observability plugin"; do
  [ "$screen" = "Observability plugin" ] && y=88
  xdotool mousemove --window "$win" 100 "$y" click 1
  sleep 2
  read -r pss rss <<<"$(memory "$pid")"
  echo "  after $screen: PSS ${pss} MB, RSS ${rss} MB"
  y=$((y + 55))
done
import -window "$win" target/bench-last-screen.png 2>/dev/null || true
kill "$pid"; wait "$pid" 2>/dev/null || true

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
