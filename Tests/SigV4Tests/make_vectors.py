#!/usr/bin/env python3
"""Generates SigV4Vectors.swift: requests signed by botocore, captured as they appear on the wire.

botocore is the reference signer for boto3's `iot-data` and `iot` clients and for `aws --endpoint-url`, so
every positive vector comes from it:

* "client" and "cli" vectors: real boto3 clients and the aws CLI (run in-process) send their requests to a
  tiny local HTTP server that records the request line, headers (order and case kept) and body exactly as
  received, i.e. what the gateway's HTTP layer sees.
* "sigv4auth" vectors: `botocore.auth.SigV4Auth` / `SigV4QueryAuth` applied to hand-made `AWSRequest`s,
  for edge cases no client operation produces (dot segments, repeated headers, odd whitespace, a `Date`
  header, an `X-Amz-Content-SHA256` header, a query string that is not RFC 3986 encoded).

botocore's own canonical request (from its debug log) is stored with each vector so the Swift tests can
compare canonicalization, not only the verdict. Negative vectors are mutations of positive ones (or
requests signed with the wrong secret, key, service or time) with the error code the verifier must give.

Time is frozen by patching `botocore.auth.get_current_datetime`, as botocore's own tests patch datetime.
The port of the capture server, the User-Agent and the amz-sdk-invocation-id vary between runs; every run
produces valid vectors. Usage (from the repository root):

    python3 Tests/SigV4Tests/make_vectors.py > Tests/SigV4Tests/SigV4Vectors.swift
"""

import contextlib
import datetime
import hashlib
import io
import json
import logging
import os
import socket
import sys
import threading
from unittest import mock
from urllib.parse import urlsplit

import boto3
import botocore
import botocore.auth
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials
from botocore.utils import percent_encode_sequence

KEY_ID = "IOTGWABCDEFGHIJ234567"
SECRET = "q8Zr2Jw-1xN0vH_5kLmP3sT7uYbC9dEfGhIjKlMn"
OTHER_KEY_ID = "IOTGWUNKNOWNKEY000000"
WRONG_SECRET = "wrong-secret-wrong-secret-wrong-secret00"
SIGNING_TIME = datetime.datetime(2026, 11, 27, 12, 34, 56)
SIGNING_EPOCH = int(SIGNING_TIME.replace(tzinfo=datetime.timezone.utc).timestamp())


class CaptureServer:
    """Accepts HTTP/1.1 requests on loopback and records them byte for byte; answers 200 `{}`."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.requests = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()

    def _connection(self, conn):
        """Serves one keep-alive connection; each client keeps its own open."""
        with conn:
            data = b""
            while True:
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, rest = data.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = lines[0].split(" ", 2)
                headers = [tuple(line.split(":", 1)) for line in lines[1:]]
                headers = [(n, v.strip(" \t")) for n, v in headers]
                length = next((int(v) for n, v in headers if n.lower() == "content-length"), 0)
                while len(rest) < length:
                    rest += conn.recv(65536)
                body, data = rest[:length], rest[length:]
                self.requests.append((method, target, headers, body))
                reply = b"{}"
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                    + str(len(reply)).encode() + b"\r\n\r\n" + reply)

    def take(self):
        assert len(self.requests) == 1, self.requests
        return self.requests.pop()


class CanonicalLog(logging.Handler):
    """Collects the canonical requests botocore logs while signing."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.records = []

    def emit(self, record):
        if record.msg.startswith("CanonicalRequest:"):
            self.records.append(record.args[0] if isinstance(record.args, tuple) else record.args)

    def take(self):
        assert len(self.records) == 1, self.records
        return self.records.pop()


def wire(method, target, headers, body, canonical, source, name, now=SIGNING_EPOCH, expect=None):
    path, _, query = target.partition("?")
    return {
        "name": name, "source": source, "method": method, "path": path,
        "query": query if "?" in target else None, "headers": list(headers), "body": bytes(body),
        "now": now, "expect": expect or ("accept", KEY_ID), "canonical": canonical,
    }


def client_vectors(server, log):
    url = f"http://127.0.0.1:{server.port}"
    config = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=5, connect_timeout=5)

    def client(service, region):
        return boto3.client(
            service, endpoint_url=url, region_name=region, aws_access_key_id=KEY_ID,
            aws_secret_access_key=SECRET, config=config)

    data = client("iot-data", "us-east-1")
    data_eu = client("iot-data", "eu-west-1")
    iot = client("iot", "us-west-2")
    calls = [
        ("iotdata GET named shadow", lambda: data.get_thing_shadow(thingName="my-thing", shadowName="x")),
        ("iotdata GET classic shadow", lambda: data.get_thing_shadow(thingName="my-thing")),
        ("iotdata POST named shadow JSON body", lambda: data.update_thing_shadow(
            thingName="my-thing", shadowName="x",
            payload=json.dumps({"state": {"desired": {"color": "red", "on": True}}}).encode())),
        ("iotdata POST classic shadow non-ASCII body", lambda: data.update_thing_shadow(
            thingName="my-thing", payload='{"state":{"reported":{"name":"caf\u00e9 \u00fcber"}}}'.encode())),
        ("iotdata DELETE named shadow", lambda: data.delete_thing_shadow(thingName="my-thing", shadowName="x")),
        ("iotdata list named shadows with encoded nextToken", lambda: data.list_named_shadows_for_thing(
            thingName="t", pageSize=5, nextToken="a/b")),
        ("iotdata publish topic with slashes", lambda: data.publish(topic="a/b/c", qos=1, payload=b'{"x":1}')),
        ("iotdata publish topic with space and tilde, empty body", lambda: data.publish(
            topic="sensors/room 1/~temp", qos=0, payload=b"")),
        ("iotdata thing name with colon, eu-west-1", lambda: data_eu.get_thing_shadow(
            thingName="pump:0001_a-b", shadowName="cfg:v1")),
        ("iotdata get retained message", lambda: data.get_retained_message(topic="dt/plant 1/#")),
        ("iot describe thing", lambda: iot.describe_thing(thingName="x")),
        ("iot get topic rule", lambda: iot.get_topic_rule(ruleName="y")),
        ("iot list things with attribute filter", lambda: iot.list_things(
            maxResults=5, attributeName="color", attributeValue="red blue*")),
        ("iot create thing with JSON body", lambda: iot.create_thing(
            thingName="z", attributePayload={"attributes": {"site": "north"}})),
        ("iot delete thing with expected version", lambda: iot.delete_thing(thingName="x", expectedVersion=3)),
    ]
    vectors = []
    for name, call in calls:
        call()
        vectors.append(wire(*server.take(), log.take(), "boto3", name))
    presigned = data.generate_presigned_url(
        "get_thing_shadow", Params={"thingName": "my-thing", "shadowName": "x"}, ExpiresIn=300)
    log.take()
    parts = urlsplit(presigned)
    vectors.append(wire("GET", parts.path + "?" + parts.query, [("Host", f"127.0.0.1:{server.port}")], b"",
                        None, "boto3", "iotdata presigned URL (generate_presigned_url)"))
    return vectors


def cli_vectors(server, log):
    from awscli.clidriver import create_clidriver

    url = f"http://127.0.0.1:{server.port}"
    env = {"AWS_ACCESS_KEY_ID": KEY_ID, "AWS_SECRET_ACCESS_KEY": SECRET, "AWS_CONFIG_FILE": "/dev/null",
           "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_MAX_ATTEMPTS": "1", "AWS_PAGER": ""}
    commands = [
        ("aws iot-data get-thing-shadow", ["iot-data", "get-thing-shadow", "--thing-name", "cli-thing",
                                           "--shadow-name", "s1", "/dev/null"]),
        ("aws iot-data update-thing-shadow", ["iot-data", "update-thing-shadow", "--thing-name", "cli-thing",
                                              "--payload", '{"state":{"desired":{"on":false}}}', "/dev/null"]),
        ("aws iot-data publish", ["iot-data", "publish", "--topic", "cmd/cli thing/set", "--qos", "1",
                                  "--payload", "hello"]),
        ("aws iot describe-thing", ["iot", "describe-thing", "--thing-name", "cli-thing"]),
        ("aws iot get-topic-rule", ["iot", "get-topic-rule", "--rule-name", "rule_1"]),
        ("aws iot list-things", ["iot", "list-things", "--max-items", "2", "--thing-type-name", "pump"]),
    ]
    vectors = []
    with mock.patch.dict(os.environ, env):
        for name, args in commands:
            with contextlib.redirect_stdout(io.StringIO()):
                rc = create_clidriver().main(args + ["--endpoint-url", url, "--region", "ap-southeast-2"])
            assert rc == 0, (name, rc)
            vectors.append(wire(*server.take(), log.take(), "aws-cli", name))
    return vectors


def sign(log, method, url, headers=(), body=b"", service="iotdata", region="us-east-1",
         key_id=KEY_ID, secret=SECRET, presign_expires=None, extra_wire_headers=()):
    """Signs an AWSRequest with SigV4Auth and returns it as the wire would carry it."""
    request = AWSRequest(method=method, url=url, data=body)
    for header_name, value in headers:
        request.headers[header_name] = value  # email.message semantics: a repeated name adds a field
    credentials = Credentials(key_id, secret)
    if presign_expires is None:
        botocore.auth.SigV4Auth(credentials, service, region).add_auth(request)
    else:
        botocore.auth.SigV4QueryAuth(credentials, service, region, expires=presign_expires).add_auth(request)
    canonical = log.take()
    prepared = request.prepare()
    parts = urlsplit(prepared.url)
    # The signed AWSRequest keeps repeated fields (email.message semantics); prepare() folds them into one,
    # so the wire carries the signed request's fields plus what prepare() adds (Content-Length).
    wire_headers = list(request.headers.items())
    signed_names = {n.lower() for n, _ in wire_headers}
    wire_headers += [(n, v) for n, v in prepared.headers.items() if n.lower() not in signed_names]
    if not any(n.lower() == "host" for n, _ in wire_headers):
        wire_headers.insert(0, ("Host", botocore.auth._host_from_url(prepared.url)))
    wire_headers += list(extra_wire_headers)
    target = parts.path + ("?" + parts.query if parts.query else "")
    return (prepared.method, target, wire_headers, prepared.body or b""), canonical


def sigv4auth_vectors(log):
    base = "http://127.0.0.1:8443"
    cases = [
        ("path with encoded space, colon and tilde", dict(
            method="GET", url=base + "/things/a%20b%3Ac~d/shadow")),
        ("path with dot segments and double slashes", dict(
            method="GET", url=base + "/things/./x//y/../my-thing/shadow")),
        ("path with trailing slash", dict(method="GET", url=base + "/things/my-thing/shadow/")),
        ("path with UTF-8 percent-encoded", dict(method="GET", url=base + "/things/caf%C3%A9/shadow")),
        ("root path", dict(method="GET", url=base + "/")),
        # Clients put the query in the URL with percent_encode_sequence; AWSRequest(params=...) would
        # send a space as '+', which no client does and which the gateway reads as a literal '+'.
        ("query params needing encoding", dict(
            method="GET", url=base + "/things/my-thing/shadow?" + percent_encode_sequence(
                [("name", "a b/c"), ("z", "\u00e9*'()!"), ("a", "1+1=2")]))),
        ("repeated query names sorted by value", dict(
            method="GET", url=base + "/api/things/shadow/ListNamedShadowsForThing/t?" + percent_encode_sequence(
                [("k", "b"), ("k", "a"), ("pageSize", "5")]))),
        ("raw query not RFC 3986 encoded", dict(
            method="GET", url=base + "/things/my-thing/shadow?name=x,y&b=%2f&a")),
        ("repeated and whitespace-padded headers", dict(
            method="POST", url=base + "/things/my-thing/shadow", body=b'{"state":{}}',
            headers=[("X-Meta", "  first   value\t"), ("x-meta", "second"), ("X-Other", "a  b\t c")])),
        ("Date header instead of X-Amz-Date", dict(
            method="GET", url=base + "/things/my-thing/shadow", headers=[("Date", "placeholder")])),
        ("X-Amz-Content-SHA256 header matching the body", dict(
            method="POST", url=base + "/things/my-thing/shadow?name=x", body=b'{"state":{"reported":{"t":1}}}',
            headers=[("X-Amz-Content-SHA256", hashlib.sha256(b'{"state":{"reported":{"t":1}}}').hexdigest())])),
        ("default HTTP port omitted from Host", dict(method="GET", url="http://gateway.local/things/t/shadow")),
        ("service execute-api in ap-southeast-2", dict(
            method="GET", url=base + "/things/my-thing/shadow", service="execute-api", region="ap-southeast-2")),
        ("unsigned headers may change", dict(
            method="GET", url=base + "/things/my-thing/shadow",
            extra_wire_headers=[("User-Agent", "curl/8.0"), ("Accept-Encoding", "identity")])),
        ("presigned query, SigV4QueryAuth", dict(
            method="GET", url=base + "/things/my-thing/shadow?name=x", presign_expires=300)),
    ]
    vectors = []
    for name, kwargs in cases:
        request, canonical = sign(log, **kwargs)
        vectors.append(wire(*request, canonical, "SigV4Auth", name))
    return vectors


def replace_header(vector, name, value):
    headers = [(n, value if n.lower() == name.lower() else v) for n, v in vector["headers"]]
    return dict(vector, headers=headers)


def auth_header(vector):
    return next(v for n, v in vector["headers"] if n.lower() == "authorization")


def negative_vectors(by_name, log):
    get = by_name["iotdata GET named shadow"]
    post = by_name["iotdata POST named shadow JSON body"]
    sha_post = by_name["X-Amz-Content-SHA256 header matching the body"]
    headers_case = by_name["repeated and whitespace-padded headers"]
    topic = by_name["iotdata publish topic with slashes"]
    presigned = by_name["presigned query, SigV4QueryAuth"]
    base = "http://127.0.0.1:8443"
    mismatch, invalid, incomplete = "SignatureDoesNotMatch", "InvalidSignatureException", "IncompleteSignatureException"

    def reject(vector, name, code, **changes):
        return dict(vector, name=name, expect=("reject", code), canonical=None, **changes)

    def signed(name, code, **kwargs):
        request, _ = sign(log, **kwargs)
        return wire(*request, None, "SigV4Auth", name, expect=("reject", code))

    authorization = auth_header(get)
    credential_date = SIGNING_TIME.strftime("%Y%m%d")
    out = [
        signed("wrong secret", mismatch, method="GET", url=base + "/things/my-thing/shadow?name=x",
               secret=WRONG_SECRET),
        signed("unknown access key", "UnrecognizedClientException", method="GET",
               url=base + "/things/my-thing/shadow", key_id=OTHER_KEY_ID),
        signed("unsupported service s3", invalid, method="GET", url=base + "/things/my-thing/shadow", service="s3"),
        reject(post, "altered body", mismatch, body=post["body"].replace(b"red", b"blue")),
        reject(sha_post, "altered body under X-Amz-Content-SHA256", "XAmzContentSHA256Mismatch",
               body=sha_post["body"] + b" "),
        reject(get, "altered query value", mismatch, query="name=y"),
        reject(get, "added query parameter", mismatch, query="name=x&version=2"),
        reject(get, "altered method", mismatch, method="DELETE"),
        reject(get, "altered path", mismatch, path="/things/my-thinG/shadow"),
        reject(topic, "decoded slashes in topic path", mismatch, path=topic["path"].replace("%2F", "/")),
        reject(replace_header(headers_case, "X-Other", "a b c d"), "altered signed header", mismatch),
        reject(replace_header(get, "Host", "127.0.0.1:1"), "altered Host header", mismatch),
        reject(dict(get, headers=[h for h in get["headers"] if h[0].lower() != "host"]),
               "Host header not passed to the verifier", incomplete),
        reject(dict(get, headers=[h for h in get["headers"] if h[0].lower() != "x-amz-date"]),
               "missing X-Amz-Date and Date", incomplete),
        reject(get, "expired: 15 min and 1 s after signing", invalid, now=SIGNING_EPOCH + 15 * 60 + 1),
        reject(get, "not yet current: 15 min and 1 s before signing", invalid, now=SIGNING_EPOCH - 15 * 60 - 1),
        reject(presigned, "presigned URL used after X-Amz-Expires", invalid, now=SIGNING_EPOCH + 301),
        reject(presigned, "presigned URL with altered X-Amz-Signature", mismatch,
               query=presigned["query"][:-1] + ("0" if presigned["query"][-1] != "0" else "1")),
        reject(replace_header(get, "Authorization", authorization.replace(
            ", SignedHeaders=" + authorization.split("SignedHeaders=")[1].split(",")[0], "")),
            "missing SignedHeaders", incomplete),
        reject(replace_header(get, "Authorization", "AWS4-HMAC-SHA256 garbage"), "malformed Authorization", incomplete),
        reject(replace_header(get, "Authorization", authorization.replace("/aws4_request", "")),
               "Credential without terminator", incomplete),
        reject(replace_header(get, "Authorization", authorization.replace("AWS4-HMAC-SHA256", "AWS4-ECDSA-P256-SHA256")),
               "SigV4a algorithm", incomplete),
        reject(replace_header(get, "Authorization", authorization.replace("host;", "")),
               "Host not among SignedHeaders", incomplete),
        reject(replace_header(get, "Authorization", authorization.replace(
            "/" + credential_date + "/", "/20261126/")), "Credential date differs from X-Amz-Date", invalid),
    ]
    accepted_edges = [
        dict(get, name="accepted exactly 15 min after signing", now=SIGNING_EPOCH + 15 * 60, canonical=None),
        dict(get, name="accepted exactly 15 min before signing", now=SIGNING_EPOCH - 15 * 60, canonical=None),
        dict(replace_header(get, "User-Agent", "something-else/1.0"), name="altered unsigned header",
             canonical=None),
    ]
    return out + accepted_edges


def swift_string(value):
    out = []
    for ch in value:
        if ch == "\\":
            out.append("\\\\")
        elif ch == '"':
            out.append('\\"')
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif 0x20 <= ord(ch) < 0x7F:
            out.append(ch)
        else:
            out.append("\\u{%X}" % ord(ch))
    return '"' + "".join(out) + '"'


def swift_vector(vector):
    headers = ", ".join(f"({swift_string(n)}, {swift_string(v)})" for n, v in vector["headers"])
    body = vector["body"]
    try:
        body_literal = f"Array({swift_string(body.decode('utf-8'))}.utf8)"
    except UnicodeDecodeError:
        body_literal = "[" + ", ".join(str(b) for b in body) + "]"
    kind, detail = vector["expect"]
    expect = f".accept(keyId: {swift_string(detail)})" if kind == "accept" else f".reject(code: {swift_string(detail)})"
    query = "nil" if vector["query"] is None else swift_string(vector["query"])
    canonical = "nil" if vector["canonical"] is None else swift_string(vector["canonical"])
    return (
        "        SigV4Vector(\n"
        f"            name: {swift_string(vector['name'])}, source: {swift_string(vector['source'])},\n"
        f"            method: {swift_string(vector['method'])}, path: {swift_string(vector['path'])}, query: {query},\n"
        f"            headers: [{headers}],\n"
        f"            body: {body_literal}, now: {vector['now']}, expect: {expect},\n"
        f"            canonicalRequest: {canonical}),\n")


def main():
    log = CanonicalLog()
    auth_logger = logging.getLogger("botocore.auth")
    auth_logger.setLevel(logging.DEBUG)
    auth_logger.addHandler(log)
    server = CaptureServer()
    with mock.patch("botocore.auth.get_current_datetime", return_value=SIGNING_TIME):
        vectors = client_vectors(server, log) + cli_vectors(server, log) + sigv4auth_vectors(log)
        vectors += negative_vectors({v["name"]: v for v in vectors}, log)
    server.sock.close()
    sys.stdout.write(
        "// Generated by make_vectors.py with botocore " + botocore.__version__ + ". Do not edit by hand.\n"
        "// Requests signed by boto3, the aws CLI and botocore's SigV4Auth, as captured on the wire.\n\n"
        "extension SigV4Vector {\n"
        f"    static let keyId = {swift_string(KEY_ID)}\n"
        f"    static let secret = {swift_string(SECRET)}\n"
        f"    static let unknownKeyId = {swift_string(OTHER_KEY_ID)}\n\n"
        "    static let all: [SigV4Vector] = [\n")
    for vector in vectors:
        sys.stdout.write(swift_vector(vector))
    sys.stdout.write("    ]\n}\n")


if __name__ == "__main__":
    main()
