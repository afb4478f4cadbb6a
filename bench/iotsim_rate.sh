#!/usr/bin/env bash
# iotsim publish capacity (issue 6): 1,000 devices publishing QoS 1 as fast as iotsim can (a rate
# set above what the machine sustains), then the same number of QoS 1 messages sent by 1,000
# mosquitto_pub processes (one per device, -l from a file), against the same local mosquitto in
# the same run. Prints both rates and iotsim/mosquitto_pub (target >= 1).
#
# Usage: bench/iotsim_rate.sh [IOTSIM_BINARY]   (default .build/release/iotsim)
# Env:   DEVICES=1000 RATE=100/s DURATION=10s
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${1:-.build/release/iotsim}
DEVICES=${DEVICES:-1000}
RATE=${RATE:-100/s}
DURATION=${DURATION:-10s}
[ -x "$BIN" ] || { echo "bench: build iotsim first (swift build -c release --product iotsim) or pass its path" >&2; exit 1; }

TMP=$(mktemp -d)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat > "$TMP/mosquitto.conf" <<CONF
listener $PORT 127.0.0.1
allow_anonymous true
max_connections -1
max_queued_messages 0
user root
CONF
mosquitto -c "$TMP/mosquitto.conf" > "$TMP/mosquitto.log" 2>&1 &
BROKER=$!
PUBS=()
trap 'kill $BROKER "${PUBS[@]}" 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 50); do (echo > /dev/tcp/127.0.0.1/$PORT) 2>/dev/null && break; sleep 0.1; done

"$BIN" run --broker "mqtt://127.0.0.1:$PORT" --devices devices --fleet pumps --count "$DEVICES" --qos 1 \
    --rate "$RATE" --duration "$DURATION" --connect-rate 2000/s --quiet --json "$TMP/report.json" > "$TMP/summary.txt"
cat "$TMP/summary.txt"
read -r ACKED SIM_SECONDS < <(python3 -c "
import json; r = json.load(open('$TMP/report.json'))
print(r['messages']['acked'], r['config']['durationSeconds'] + r['drainSeconds'])")

PER=$(( (ACKED + DEVICES - 1) / DEVICES ))
python3 - "$TMP/payload.txt" "$PER" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write('{"seq":%d,"ts":1795742214630,"temperature":64.39,"pressure":2.2,"vibration":0.2,"status":"running"}\n' % (i + 1))
PY
START=$(date +%s.%N)
for i in $(seq 0 $((DEVICES - 1))); do
    mosquitto_pub -h 127.0.0.1 -p "$PORT" -i "pub-$i" -q 1 -t "devices/pub-$i/telemetry" -l < "$TMP/payload.txt" &
    PUBS+=($!)
done
wait "${PUBS[@]}"
PUBS=()
END=$(date +%s.%N)
python3 - "$ACKED" "$SIM_SECONDS" "$((PER * DEVICES))" "$START" "$END" "$DEVICES" <<'PY'
import sys
acked, secs, pub_n, start, end, n = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
sim = acked / secs
pub = pub_n / (end - start)
print(f"rate: iotsim        {n} devices: {acked} QoS 1 messages acked in {secs:.2f} s = {sim:,.0f} msg/s")
print(f"rate: mosquitto_pub {n} processes: {pub_n} QoS 1 messages in {end - start:.2f} s = {pub:,.0f} msg/s")
print(f"rate: iotsim / mosquitto_pub = {sim / pub:.2f} (target >= 1)")
PY
