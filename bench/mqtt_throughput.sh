#!/bin/sh
# Receive throughput of one MQTTClient vs mosquitto_sub, fed by 4 `mosquitto_pub -l -q 1`.
# Needs the `mqtt-bench` executable target (bench/mqtt-bench). Usage:
#   bench/mqtt_throughput.sh            # live: subscribers listen while the publishers send
#   bench/mqtt_throughput.sh drain      # each subscriber drains 262,140 queued messages alone
set -eu
cd "$(dirname "$0")/.."
swift build -c release --product mqtt-bench >/dev/null
exec .build/release/mqtt-bench "${1:-live}" "${2:-4}" "${3:-65535}"
