"""RunMicrovm → first byte from the endpoint through boto3, beside the same through /v1 (scripts/bench-aws).

One image (app/, built once through /v1: the build is not what is measured, and both doors then
run the very same image version), then ROUNDS rounds, each timing both
doors back to back in alternating order (so drift in the machine's load hits both alike):

  aws: RunMicrovm → CreateMicrovmAuthToken → GET <endpoint>/ with the token parts, to its first byte
  v1:  POST /v1/microvms → POST /v1/microvms/{id}/tokens → GET /proxy/{id}/ with X-Burrow-Token, to its first byte

A GET that is not yet answered 200 (the microVM still starting) is tried again, within the same
clock. Each microVM is terminated after its round, outside the clock. Prints medians, p90s and
the ratio aws/v1. Settings: conformance.py's environment plus BURROW_AWS_BENCH_ROUNDS.
"""

import json
import os
import statistics
import sys
import time
import urllib.error
import urllib.request

import conformance

IMAGE = "bench-app"
BUILD_DEADLINE_SECONDS = 600
FIRST_BYTE_DEADLINE_SECONDS = 120
RETRY_PAUSE_SECONDS = 0.05


def first_byte(url, headers):
    """Seconds until the first byte of a 200 answer from ``url`` (retrying anything else until the deadline)."""
    end = time.monotonic() + FIRST_BYTE_DEADLINE_SECONDS
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=FIRST_BYTE_DEADLINE_SECONDS) as r:
                if r.status == 200 and r.read(1):
                    return
        except (urllib.error.HTTPError, urllib.error.URLError, ConnectionError) as e:
            if time.monotonic() > end:
                raise conformance.Failure(f"{url}: no 200 within {FIRST_BYTE_DEADLINE_SECONDS} s: {e}")
        time.sleep(RETRY_PAUSE_SECONDS)


class Bench(conformance.Scenario):

    def v1(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        r = urllib.request.Request(self.endpoint + path, data=data, method=method,
                                   headers={"Authorization": "Bearer " + self.bearer, "Content-Type": "application/json"})
        with urllib.request.urlopen(r, timeout=conformance.HTTP_TIMEOUT_SECONDS) as resp:
            raw = resp.read()
            return json.loads(raw) if raw else None

    def build(self):
        """app/ as a /v1 Dockerfile build with the same settings CreateMicrovmImage gives it in conformance.py."""
        upload = self.upload(conformance.code_zip())
        self.v1("POST", "/v1/images", {"name": IMAGE, "source": {"type": "dockerfile", "uploadId": upload},
                                       "env": {"GREETING": conformance.GREETING}, "resources": {"memoryMiB": 256, "diskMiB": 1024},
                                       "hooks": {"port": conformance.HOOKS_PORT, "ready": {"enabled": True, "timeoutSeconds": 120}}})

        def state():
            v = self.v1("GET", f"/v1/images/{IMAGE}/versions/1")
            return v["state"], v
        conformance.await_state(state, "READY", ("FAILED",), BUILD_DEADLINE_SECONDS)

    def through_aws(self, arn):
        t0 = time.perf_counter()
        vm = self.aws.run_microvm(imageIdentifier=arn)
        parts = self.aws.create_microvm_auth_token(microvmIdentifier=vm["microvmId"], expirationInMinutes=5,
                                                   allowedPorts=[{"port": conformance.APP_PORT}])["authToken"]
        first_byte(vm["endpoint"].rstrip("/") + "/", parts)
        elapsed = time.perf_counter() - t0
        self.aws.terminate_microvm(microvmIdentifier=vm["microvmId"])
        return elapsed

    def through_v1(self, image):
        t0 = time.perf_counter()
        vm_id = self.v1("POST", "/v1/microvms", {"image": image})["id"]
        token = self.v1("POST", f"/v1/microvms/{vm_id}/tokens", {"ports": [conformance.APP_PORT]})["token"]
        first_byte(f"{self.endpoint}/proxy/{vm_id}/", {"X-Burrow-Token": token})
        elapsed = time.perf_counter() - t0
        self.v1("DELETE", f"/v1/microvms/{vm_id}")
        return elapsed


def p90(xs):
    s = sorted(xs)
    return s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]


def main():
    rounds = int(os.environ.get("BURROW_AWS_BENCH_ROUNDS", "10"))
    b = Bench()
    b.build()
    arn = image = IMAGE  # imageIdentifier takes the name as well as the ARN
    # one untimed round each: the template's pages into the page cache for both doors alike
    b.through_aws(arn)
    b.through_v1(image)
    times = {"aws": [], "v1": []}
    for i in range(rounds):
        order = ("aws", "v1") if i % 2 == 0 else ("v1", "aws")
        for door in order:
            times[door].append(b.through_aws(arn) if door == "aws" else b.through_v1(image))
        print(f"round {i + 1}: aws {times['aws'][-1] * 1000:.0f} ms, v1 {times['v1'][-1] * 1000:.0f} ms", flush=True)
    b.v1("DELETE", f"/v1/images/{IMAGE}")
    med = {d: statistics.median(t) for d, t in times.items()}
    print(f"RunMicrovm→first byte over {rounds} rounds (ms): "
          f"aws median {med['aws'] * 1000:.0f} p90 {p90(times['aws']) * 1000:.0f}; "
          f"v1 median {med['v1'] * 1000:.0f} p90 {p90(times['v1']) * 1000:.0f}; "
          f"ratio aws/v1 {med['aws'] / med['v1']:.3f} (target ≤ 1.1)", flush=True)
    print(f"validated responses: {b.validated.count}", flush=True)
    return 1 if b.validated.problems else 0


if __name__ == "__main__":
    sys.exit(main())
