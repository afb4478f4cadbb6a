#!/usr/bin/env bash
# iotsim scale benchmark (issue 6): N devices (default 10,000) publishing 1 msg/s each against a
# local mosquitto. Prints the peak total RSS of all iotsim processes (parent + workers; target
# < 1 GiB) and their CPU time. Loopback only; stops by itself.
#
# Usage: bench/iotsim_scale.sh [IOTSIM_BINARY]   (default .build/release/iotsim)
# Env:   DEVICES=10000 DURATION=30s RATE=1/s
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/iotsim}
DEVICES=${DEVICES:-10000}
DURATION=${DURATION:-30s}
RATE=${RATE:-1/s}
[ -x "$BIN" ] || { echo "bench: build iotsim first (swift build -c release --product iotsim) or pass its path" >&2; exit 1; }

TMP=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$TMP/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
max_connections -1
user root
CONF
mosquitto -c "$TMP/mosquitto.conf" > "$TMP/mosquitto.log" 2>&1 &
BROKER=$!
trap 'kill $BROKER 2>/dev/null; [ -n "${SIM:-}" ] && kill $SIM 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

# Total RSS (kB) of a process and its direct children (the workers).
tree_rss() {
    local total=0 pid kb
    for pid in "$1" $(pgrep -P "$1" 2>/dev/null || true); do
        # A process that just exited has no status file, a zombie one without VmRSS.
        kb=$(awk '/^VmRSS/ {print $2}' /proc/$pid/status 2>/dev/null || true)
        total=$((total + ${kb:-0}))
    done
    echo $total
}

TIMEFORMAT='%U %S %R'
{ time "$BIN" run --broker "mqtt://127.0.0.1:$PORT" --devices devices --fleet pumps --count "$DEVICES" \
      --rate "$RATE" --duration "$DURATION" --connect-rate 2000/s --quiet --json "$TMP/report.json" > "$TMP/summary.txt" ; } 2> "$TMP/time.txt" &
SIM=$!
sleep 0.5
SIMPID=$(pgrep -f -n "^$BIN run" || echo "$SIM")
PEAK=0
while kill -0 $SIM 2>/dev/null; do
    RSS=$(tree_rss "$SIMPID")
    [ "$RSS" -gt "$PEAK" ] && PEAK=$RSS
    sleep 0.5
done
wait $SIM || { cat "$TMP/summary.txt" "$TMP/time.txt" >&2; exit 1; }
read -r USER_S SYS_S REAL_S < <(tail -1 "$TMP/time.txt")
cat "$TMP/summary.txt"
python3 - "$TMP/report.json" "$PEAK" "$USER_S" "$SYS_S" "$REAL_S" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); peak_kb = int(sys.argv[2]); user, sys_, real = map(float, sys.argv[3:6])
d, m = r["devices"], r["messages"]
print(f"scale: {d['connected']}/{d['requested']} devices connected in {r['connectSeconds']:.1f} s, {r['config']['workers']} iotsim processes")
print(f"scale: {m['acked']} messages acked, {m['ackedPerSecond']:.0f}/s, failed {m['failed']}, "
      f"publish->ack p50 {r['latencyMs']['publishAck']['p50']:.2f} ms p99 {r['latencyMs']['publishAck']['p99']:.2f} ms")
print(f"scale: peak total RSS of iotsim processes {peak_kb/1024:.0f} MiB (target < 1024 MiB) -> {'OK' if peak_kb < 1024*1024 else 'OVER'}")
print(f"scale: CPU time user {user:.1f} s + sys {sys_:.1f} s over {real:.1f} s wall ({(user+sys_)/real*100:.0f}% of one core)")
PY
