#!/usr/bin/env python3
"""Drives a running gateway with unmodified AWS SDK and MQTT client code (issue 4).

boto3's iot-data client (SigV4-signed, endpoint_url pointed at the gateway) gets, updates,
deletes and lists shadows; a paho-mqtt device sees the delta published after a REST update.
Exit 0 when everything holds; prints what failed otherwise. Run by ShadowSDKTests.
"""
import argparse, json, sys, threading

import boto3
import botocore
import paho.mqtt.client as mqtt

ap = argparse.ArgumentParser()
ap.add_argument("--http-port", type=int, required=True)
ap.add_argument("--mqtt-port", type=int, required=True)
ap.add_argument("--key-id", required=True)
ap.add_argument("--secret", required=True)
ap.add_argument("--thing", required=True)
ap.add_argument("--thing-password", required=True)
a = ap.parse_args()

def check(cond, what):
    if not cond:
        print("FAILED:", what, flush=True)
        sys.exit(1)
    print("ok:", what, flush=True)

data = boto3.client("iot-data", endpoint_url=f"http://127.0.0.1:{a.http_port}", region_name="us-east-1",
                    aws_access_key_id=a.key_id, aws_secret_access_key=a.secret)

# paho: the device subscribes to its delta topic before the REST update.
got_delta = threading.Event()
delta_doc = {}
def on_message(client, userdata, msg):
    delta_doc.update(json.loads(msg.payload))
    got_delta.set()
subscribed = threading.Event()
dev = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id=a.thing)
dev.username_pw_set(a.thing, a.thing_password)
dev.on_message = on_message
dev.on_subscribe = lambda *args: subscribed.set()
dev.connect("127.0.0.1", a.mqtt_port)
dev.loop_start()
dev.subscribe(f"$aws/things/{a.thing}/shadow/update/delta", qos=1)
check(subscribed.wait(10), "paho subscribed to the delta topic")

try:
    data.get_thing_shadow(thingName=a.thing)
    check(False, "get of a missing shadow raises")
except data.exceptions.ResourceNotFoundException as e:
    check(True, f"get of a missing shadow raises ResourceNotFoundException ({e.response['Error'].get('Message')})")

r = data.update_thing_shadow(thingName=a.thing, payload=json.dumps({"state": {"desired": {"speed": 7}}, "clientToken": "sdk-1"}))
doc = json.loads(r["payload"].read())
check(doc.get("version") == 1 and doc.get("clientToken") == "sdk-1", f"update_thing_shadow accepted: {doc}")
check(got_delta.wait(10), "paho received update/delta after the REST update")
check(delta_doc.get("state") == {"speed": 7} and delta_doc.get("version") == 1, f"delta document: {delta_doc}")

doc = json.loads(data.get_thing_shadow(thingName=a.thing)["payload"].read())
check(doc["state"]["desired"] == {"speed": 7} and doc["state"]["delta"] == {"speed": 7}, f"get_thing_shadow: {doc}")

for name in ["cfg", "fw"]:
    data.update_thing_shadow(thingName=a.thing, shadowName=name, payload=json.dumps({"state": {"reported": {"n": name}}}))
names = data.list_named_shadows_for_thing(thingName=a.thing)["results"]
check(sorted(names) == ["cfg", "fw"], f"list_named_shadows_for_thing: {names}")
doc = json.loads(data.get_thing_shadow(thingName=a.thing, shadowName="cfg")["payload"].read())
check(doc["state"]["reported"] == {"n": "cfg"}, "named shadow get")

try:
    data.update_thing_shadow(thingName=a.thing, payload=json.dumps({"state": {"reported": {"a": 1}}, "version": 99}))
    check(False, "a stale version raises")
except data.exceptions.ConflictException:
    check(True, "a stale version raises ConflictException")

r = json.loads(data.delete_thing_shadow(thingName=a.thing)["payload"].read())
check(r.get("version") == 1, f"delete_thing_shadow: {r}")

bad = boto3.client("iot-data", endpoint_url=f"http://127.0.0.1:{a.http_port}", region_name="eu-west-1",
                   aws_access_key_id=a.key_id, aws_secret_access_key=a.secret + "x")
try:
    bad.get_thing_shadow(thingName=a.thing, shadowName="cfg")
    check(False, "a wrong secret is refused")
except botocore.exceptions.ClientError as e:
    check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 403, f"a wrong secret is refused with 403 ({e.response['Error']})")

dev.loop_stop()
dev.disconnect()
print("all checks passed")
