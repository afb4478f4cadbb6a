"""Shared helpers for the bench/ scripts: build, start `iotgw serve` on free ports, stop it."""
import json, os, re, signal, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

def release_binary(product, given=None):
    """Path of a release binary, building it unless one was given."""
    if given:
        return given
    subprocess.run(["swift", "build", "-c", "release", "--product", product], cwd=ROOT, check=True)
    return os.path.join(ROOT, ".build", "release", product)

class Gateway:
    """`iotgw serve --mqtt-port 0 --http-port 0` in a temporary directory."""

    def __init__(self, binary, devices_yaml, rules=None, log_level="warning"):
        self.dir = tempfile.mkdtemp(prefix="iotgw-bench-")
        for d in ("devices", "rules"):
            os.makedirs(os.path.join(self.dir, d))
        with open(os.path.join(self.dir, "devices", "bench.yaml"), "w") as f:
            f.write(devices_yaml)
        for name, text in (rules or {}).items():
            with open(os.path.join(self.dir, "rules", name), "w") as f:
                f.write(text)
        self.data = os.path.join(self.dir, "data")
        self.binary = binary
        out = open(os.path.join(self.dir, "stdout.log"), "w+")
        self.proc = subprocess.Popen(
            [binary, "serve", "--mqtt-port", "0", "--http-port", "0", "--data", self.data,
             "--devices", os.path.join(self.dir, "devices"), "--rules", os.path.join(self.dir, "rules"),
             "--log-level", log_level],
            stdout=out, stderr=open(os.path.join(self.dir, "stderr.log"), "w"))
        deadline = time.time() + 60
        self.mqtt = self.http = None
        while (self.mqtt is None or self.http is None) and time.time() < deadline:
            text = open(out.name).read()
            m1 = re.search(r"MQTT broker listening on [\d.]+:(\d+)", text)
            m2 = re.search(r"HTTP API listening on http://[\d.]+:(\d+)", text)
            self.mqtt = int(m1.group(1)) if m1 else None
            self.http = int(m2.group(1)) if m2 else None
            if self.proc.poll() is not None:
                sys.exit("bench: iotgw exited:\n" + open(os.path.join(self.dir, "stderr.log")).read())
            time.sleep(0.05)
        if self.http is None:
            sys.exit("bench: iotgw did not print its ports within 60 s")
        admin = json.load(open(os.path.join(self.data, "admin.key")))
        self.key_id, self.secret = admin["keyId"], admin["secret"]

    def credentials(self, thing):
        c = json.loads(subprocess.check_output([self.binary, "things", "credentials", thing, "--data", self.data]))
        return c["username"], c["password"]

    def cpu(self):
        """CPU seconds (user + system) used so far by the gateway process and by its mosquitto."""
        tick = os.sysconf("SC_CLK_TCK")
        def used(pid):
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick
        kids = []
        for task in os.listdir(f"/proc/{self.proc.pid}/task"):
            kids += [int(k) for k in open(f"/proc/{self.proc.pid}/task/{task}/children").read().split()]
        return used(self.proc.pid), sum(used(k) for k in kids)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)
