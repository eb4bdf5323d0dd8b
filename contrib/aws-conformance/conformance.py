"""Burrow's Lambda MicroVMs door driven by boto3, as a team on AWS's API would use it (SPEC §8).

Every response boto3 receives is checked against botocore's model (model_check.py); the count of
checked responses is printed at the end and any nonconforming one fails the run. Run by
AwsConformanceTest against a real burrowd; the settings come from the environment:

  BURROW_AWS_ENDPOINT            http://127.0.0.1:<port> of burrowd
  BURROW_AWS_ACCESS_KEY_ID / BURROW_AWS_SECRET_ACCESS_KEY         the tenant's AWS credentials
  BURROW_AWS_OTHER_ACCESS_KEY_ID / BURROW_AWS_OTHER_SECRET_ACCESS_KEY   another tenant's
  BURROW_AWS_BEARER              the tenant's bearer key (only for POST /v1/uploads)
  BURROW_AWS_REGION              default: us-east-1

Exit status 0 only when every step and every check passed.
"""

import datetime
import io
import json
import os
import sys
import time
import unittest.mock
import urllib.error
import urllib.request
import uuid
import zipfile

import boto3
import botocore.auth
import botocore.awsrequest
import botocore.credentials
import botocore.exceptions
from botocore.config import Config

from model_check import ModelChecker
import pty_socket

SERVICE = "lambda-microvms"
BASE = "minimal"  # the managed base app/Dockerfile starts FROM
POLL_SECONDS = 0.5
BUILD_DEADLINE_SECONDS = 600
STATE_DEADLINE_SECONDS = 120
HTTP_TIMEOUT_SECONDS = 60
APP_PORT = 8080
HOOKS_PORT = 9000
GREETING = "hello from a Burrow microVM"
CONNECTOR = "arn:aws:lambda:{region}:aws:network-connector:aws-network-connector:{name}"

APP_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "app")


class Failure(Exception):
    """A step whose answer was not what AWS's API promises."""


class Validated:
    """Checks every response a client receives against the model; counts them, keeps the problems."""

    def __init__(self, service_model):
        self.checker = ModelChecker(service_model)
        self.count = 0
        self.problems = []

    def attach(self, client):
        client.meta.events.register(f"after-call.{SERVICE}", self._after_call)
        return client

    def _after_call(self, http_response, parsed, model, **_):
        self.raw(model.name, http_response.status_code, http_response.headers, http_response.content)

    def raw(self, operation, status, headers, body):
        self.count += 1
        for p in self.checker.check(operation, status, headers, body):
            print(f"  MODEL: {p}", flush=True)
            self.problems.append(p)


def env(name, default=None):
    v = os.environ.get(name, default)
    if v is None:
        raise SystemExit(f"conformance: {name} is not set (AwsConformanceTest sets it)")
    return v


def check(cond, what):
    if not cond:
        raise Failure(what)


def step(what):
    print(f"- {what}", flush=True)


def expect_error(call, error_class, code, *mentions):
    """Runs ``call``; it must raise botocore's modeled ``error_class`` with ``code`` and a message naming each of ``mentions``."""
    try:
        call()
    except botocore.exceptions.ClientError as e:
        got = e.response["Error"]["Code"]
        check(got == code, f"expected {code}, got {got}: {e}")
        check(isinstance(e, error_class), f"{code} was not parsed into its modeled class {error_class.__name__}: {type(e)}")
        message = e.response["Error"].get("Message", "")
        for m in mentions:
            check(m in message, f"{code} message does not name {m!r}: {message!r}")
        return e
    raise Failure(f"expected {code}, the call succeeded")


def await_state(get, want, failed=(), deadline=STATE_DEADLINE_SECONDS):
    """Polls ``get`` (returning a state and the whole answer) until the state is ``want``; ``failed`` states end it at once."""
    end = time.monotonic() + deadline
    while True:
        state, answer = get()
        if state == want:
            return answer
        check(state not in failed, f"reached {state}, not {want}: {answer}")
        check(time.monotonic() < end, f"still {state} after {deadline} s, waiting for {want}: {answer}")
        time.sleep(POLL_SECONDS)


def code_zip():
    """app/ as AWS's codeArtifact: a zip with the Dockerfile (FROM minimal) at its root."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(os.listdir(APP_DIR)):
            z.write(os.path.join(APP_DIR, name), name)
    return buf.getvalue()


class Scenario:

    def __init__(self):
        self.endpoint = env("BURROW_AWS_ENDPOINT").rstrip("/")
        self.region = env("BURROW_AWS_REGION", "us-east-1")
        self.bearer = env("BURROW_AWS_BEARER")
        self.key_id = env("BURROW_AWS_ACCESS_KEY_ID")
        self.secret = env("BURROW_AWS_SECRET_ACCESS_KEY")
        self.session = boto3.session.Session()
        self.validated = Validated(self.session._session.get_service_model(SERVICE))
        self.aws = self.client(self.key_id, self.secret)
        self.unchecked = self.client(self.key_id, self.secret, parameter_validation=False)
        self.other = self.client(env("BURROW_AWS_OTHER_ACCESS_KEY_ID"), env("BURROW_AWS_OTHER_SECRET_ACCESS_KEY"))
        self.account = None

    def client(self, key_id, secret, **config):
        cfg = Config(retries={"max_attempts": 1, "mode": "standard"}, read_timeout=HTTP_TIMEOUT_SECONDS, **config)
        c = self.session.client(SERVICE, region_name=self.region, endpoint_url=self.endpoint,
                                aws_access_key_id=key_id, aws_secret_access_key=secret, config=cfg)
        return self.validated.attach(c)

    def connector(self, name):
        return CONNECTOR.format(region=self.region, name=name)

    # -- the main flow -------------------------------------------------------------------------

    def upload(self, data):
        r = urllib.request.Request(self.endpoint + "/v1/uploads", data=data, method="POST",
                                   headers={"Authorization": "Bearer " + self.bearer, "Content-Type": "application/zip"})
        with urllib.request.urlopen(r, timeout=HTTP_TIMEOUT_SECONDS) as resp:
            check(resp.status == 201, f"upload answered {resp.status}")
            return json.load(resp)["uploadId"]

    def image(self):
        step("upload a zip with a Dockerfile, the app and its ready hook; CreateMicrovmImage on the managed base")
        uri = f"burrow://uploads/{self.upload(code_zip())}"
        base_arn = f"arn:aws:lambda:{self.region}:aws:microvm-image:{BASE}"
        # an AWS name that is not a Burrow name: stored mapped, answered and run as spelled
        created = self.aws.create_microvm_image(
            name="ConformanceApp", baseImageArn=base_arn, codeArtifact={"uri": uri},
            buildRoleArn="arn:aws:iam::123456789012:role/burrow-build",
            hooks={"port": HOOKS_PORT, "microvmImageHooks": {"ready": "ENABLED", "readyTimeoutInSeconds": 120}},
            environmentVariables={"GREETING": GREETING}, resources=[{"minimumMemoryInMiB": 256}],
            clientToken=str(uuid.uuid4()))
        arn, version = created["imageArn"], created["imageVersion"]
        self.account = arn.split(":")[4]
        check(len(self.account) == 12 and self.account.isdigit(), f"the account in {arn} is not 12 digits")
        check(created["name"] == "ConformanceApp", f"name came back as {created['name']}")
        step(f"poll GetMicrovmImage until CREATED ({arn} version {version})")

        def image_state():
            v = self.aws.get_microvm_image_version(imageIdentifier=arn, imageVersion=version)
            if v["state"] == "FAILED":
                raise Failure(f"version {version} FAILED: {v.get('stateReason')}")
            i = self.aws.get_microvm_image(imageIdentifier=arn)
            return i["state"], i
        image = await_state(image_state, "CREATED", ("CREATE_FAILED",), BUILD_DEADLINE_SECONDS)
        check(image.get("latestActiveImageVersion") == version, f"latestActiveImageVersion: {image}")
        v = self.aws.get_microvm_image_version(imageIdentifier="ConformanceApp", imageVersion=version)
        check(v["state"] == "SUCCESSFUL" and v["status"] == "ACTIVE", f"version: {v}")
        check(v["environmentVariables"].get("GREETING") == GREETING, f"environment: {v.get('environmentVariables')}")
        step("the version's build: SUCCESSFUL with the snapshot's real sizes")
        builds = self.aws.list_microvm_image_builds(imageIdentifier=arn, imageVersion=version)["items"]
        check(len(builds) == 1, f"builds: {builds}")
        b = self.aws.get_microvm_image_build(imageIdentifier=arn, imageVersion=version, buildId=builds[0]["buildId"])
        check(b["buildState"] == "SUCCESSFUL", f"build: {b}")
        sizes = b.get("snapshotBuild", {})
        check(sizes.get("memorySnapshotSizeInBytes", 0) > 0 and sizes.get("diskSnapshotSizeInBytes", 0) > 0,
              f"snapshot sizes: {sizes}")
        names = [i["name"] for i in self.aws.list_microvm_images(nameFilter="Conformance")["items"]]
        check("ConformanceApp" in names, f"ListMicrovmImages(nameFilter): {names}")
        return arn, version

    def run(self, arn, shell=False):
        connectors = [self.connector("ALL_INGRESS")] + ([self.connector("SHELL_INGRESS")] if shell else [])
        token = str(uuid.uuid4())
        request = dict(imageIdentifier=arn, ingressNetworkConnectors=connectors, clientToken=token,
                       idlePolicy={"maxIdleDurationSeconds": 60, "suspendedDurationSeconds": 3600, "autoResumeEnabled": True},
                       maximumDurationInSeconds=3600, runHookPayload="conformance")
        vm = self.aws.run_microvm(**request)
        check(vm["imageArn"] == arn, f"RunMicrovm answered imageArn {vm['imageArn']}, the image is {arn}")
        again = self.aws.run_microvm(**request)
        check(again["microvmId"] == vm["microvmId"], f"the same clientToken ran a second microVM: {again['microvmId']}")
        self.await_vm(vm["microvmId"], "RUNNING")
        return vm

    def await_vm(self, vm_id, want):
        def state():
            g = self.aws.get_microvm(microvmIdentifier=vm_id)
            return g["state"], g
        return await_state(state, want, ("TERMINATED",))

    def fetch(self, endpoint, token_parts, path="/hello"):
        r = urllib.request.Request(endpoint.rstrip("/") + path, headers=dict(token_parts))
        try:
            with urllib.request.urlopen(r, timeout=HTTP_TIMEOUT_SECONDS) as resp:
                return resp.status, resp.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(errors="replace")

    def main_flow(self):
        arn, version = self.image()
        step("RunMicrovm with an idle policy (a clientToken replay answers the same microVM)")
        vm = self.run(arn, shell=True)
        vm_id, endpoint = vm["microvmId"], vm["endpoint"]
        check(vm["idlePolicy"]["autoResumeEnabled"] is True, f"idlePolicy: {vm.get('idlePolicy')}")
        step("CreateMicrovmAuthToken, then an HTTP request to the endpoint with the token parts")
        parts = self.aws.create_microvm_auth_token(microvmIdentifier=vm_id, expirationInMinutes=5,
                                                   allowedPorts=[{"port": APP_PORT}])["authToken"]
        status, body = self.fetch(endpoint, parts)
        check(status == 200 and body.startswith(GREETING + " GET /hello"), f"endpoint answered {status}: {body!r}")
        status, _ = self.fetch(endpoint, {})
        check(status in (401, 403), f"the endpoint without the token answered {status}")
        step("SuspendMicrovm, GetMicrovm shows SUSPENDED, a request to the endpoint resumes it")
        self.aws.suspend_microvm(microvmIdentifier=vm_id)
        self.aws.suspend_microvm(microvmIdentifier=vm_id)
        self.await_vm(vm_id, "SUSPENDED")
        status, body = self.fetch(endpoint, parts, "/again")
        check(status == 200 and body.startswith(GREETING + " GET /again"), f"after suspend the endpoint answered {status}: {body!r}")
        check(self.aws.get_microvm(microvmIdentifier=vm_id)["state"] == "RUNNING", "the endpoint request did not resume it")
        self.shell(vm_id)
        step("a second microVM; ListMicrovms one per page, by hand and with the paginator")
        second = self.run(arn)["microvmId"]
        seen, token = [], None
        while True:
            page = self.aws.list_microvms(maxResults=1, **({"nextToken": token} if token else {}))
            check(len(page["items"]) <= 1, f"maxResults=1 answered {len(page['items'])} items")
            seen += [i["microvmId"] for i in page["items"]]
            token = page.get("nextToken")
            if not token:
                break
        check({vm_id, second} <= set(seen) and len(seen) == len(set(seen)), f"pages: {seen}")
        pages = self.aws.get_paginator("list_microvms").paginate(PaginationConfig={"PageSize": 1})
        check({vm_id, second} <= {i["microvmId"] for p in pages for i in p["items"]}, "the paginator missed one")
        mine = self.aws.list_microvms(imageIdentifier=arn, imageVersion=version)["items"]
        check({i["microvmId"] for i in mine} >= {vm_id, second}, f"filtered list: {mine}")
        self.negative(vm_id, arn)
        step("TerminateMicrovm twice (both answer), GetMicrovm shows TERMINATED")
        for v in (vm_id, second):
            self.aws.terminate_microvm(microvmIdentifier=v)
            self.aws.terminate_microvm(microvmIdentifier=v)
            self.await_vm_terminated(v)
        step("DeleteMicrovmImage twice (both answer)")
        self.aws.delete_microvm_image(imageIdentifier=arn)
        self.aws.delete_microvm_image(imageIdentifier=arn)

    def await_vm_terminated(self, vm_id):
        def state():
            g = self.aws.get_microvm(microvmIdentifier=vm_id)
            return g["state"], g
        g = await_state(state, "TERMINATED")
        check("terminatedAt" in g, f"no terminatedAt: {g}")

    def shell(self, vm_id):
        step("CreateMicrovmShellAuthToken opens the PTY WebSocket, and a command runs in it")
        parts = self.aws.create_microvm_shell_auth_token(microvmIdentifier=vm_id, expirationInMinutes=5)["authToken"]
        out = pty_socket.run_command(parts, "echo shell-$((6*7))", "shell-42")
        check("shell-42" in out, f"the shell printed {out!r}")

    # -- refusals ------------------------------------------------------------------------------

    def negative(self, vm_id, arn):
        ex = self.aws.exceptions
        step("another account's microVM is not found")
        expect_error(lambda: self.other.get_microvm(microvmIdentifier=vm_id),
                     self.other.exceptions.ResourceNotFoundException, "ResourceNotFoundException")
        expect_error(lambda: self.other.terminate_microvm(microvmIdentifier=vm_id),
                     self.other.exceptions.ResourceNotFoundException, "ResourceNotFoundException")
        step("out-of-range fields are a ValidationException naming them")
        # botocore checks minimums client-side (maxIdleDurationSeconds=10 never leaves it) but no
        # maximums: `unchecked` turns its parameter validation off so the server is what refuses
        expect_error(lambda: self.unchecked.list_microvms(maxResults=51), ex.ValidationException, "ValidationException", "maxResults")
        expect_error(lambda: self.aws.create_microvm_auth_token(microvmIdentifier=vm_id, expirationInMinutes=61,
                                                                allowedPorts=[{"port": APP_PORT}]),
                     ex.ValidationException, "ValidationException", "expirationInMinutes")
        expect_error(lambda: self.unchecked.run_microvm(imageIdentifier=arn, idlePolicy={
            "maxIdleDurationSeconds": 10, "suspendedDurationSeconds": 0, "autoResumeEnabled": True}),
                     ex.ValidationException, "ValidationException", "maxIdleDurationSeconds")
        expect_error(lambda: self.aws.get_microvm(microvmIdentifier="mvm-does-not-exist"),
                     ex.ResourceNotFoundException, "ResourceNotFoundException")
        self.signatures()

    def signatures(self):
        step("a wrong secret, a body changed after signing and a 10-minute-old signature are refused")
        wrong = self.client(self.key_id, "x" * 40)
        e = expect_error(lambda: wrong.list_microvms(), botocore.exceptions.ClientError, "InvalidSignatureException")
        check(e.response["ResponseMetadata"]["HTTPStatusCode"] == 403, f"wrong secret: {e.response['ResponseMetadata']}")
        body = json.dumps({"imageIdentifier": "ConformanceApp"}).encode()
        status, code = self.signed("RunMicrovm", "POST", "/2025-09-09/microvms", body,
                                   send=json.dumps({"imageIdentifier": "ConformanceApp", "maximumDurationInSeconds": 60}).encode())
        check((status, code) == (403, "InvalidSignatureException"), f"a changed body answered {status} {code}")
        old = datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None) - datetime.timedelta(minutes=10)
        status, code = self.signed("ListMicrovms", "GET", "/2025-09-09/microvms", b"", at=old)
        check((status, code) == (403, "InvalidSignatureException"), f"a 10-minute-old signature answered {status} {code}")
        status, code = self.signed("ListMicrovms", "GET", "/2025-09-09/microvms", b"")
        check(status == 200, f"the same request signed now answered {status} {code}")

    def signed(self, operation, method, path, body, send=None, at=None):
        """Signs a request by hand (botocore's SigV4Auth), sends ``send`` (default: the signed body); status and error type."""
        req = botocore.awsrequest.AWSRequest(method=method, url=self.endpoint + path, data=body,
                                             headers={"Content-Type": "application/json"} if body else {})
        creds = botocore.credentials.Credentials(self.key_id, self.secret)
        if at is None:
            botocore.auth.SigV4Auth(creds, "lambda", self.region).add_auth(req)
        else:
            with unittest.mock.patch("botocore.auth.get_current_datetime", return_value=at):
                botocore.auth.SigV4Auth(creds, "lambda", self.region).add_auth(req)
        headers = {k: v for k, v in req.headers.items()}
        data = body if send is None else send
        if data:
            headers["Content-Length"] = str(len(data))
        r = urllib.request.Request(self.endpoint + path, data=data or None, method=method, headers=headers)
        try:
            with urllib.request.urlopen(r, timeout=HTTP_TIMEOUT_SECONDS) as resp:
                self.validated.raw(operation, resp.status, resp.headers, resp.read())
                return resp.status, None
        except urllib.error.HTTPError as e:
            raw = e.read()
            self.validated.raw(operation, e.code, e.headers, raw)
            return e.code, e.headers.get("x-amzn-ErrorType")


def main():
    s = Scenario()
    try:
        s.main_flow()
    except (Failure, botocore.exceptions.ClientError) as e:
        print(f"FAILED: {e}", flush=True)
        print(f"validated responses: {s.validated.count}", flush=True)
        return 1
    print(f"validated responses: {s.validated.count}", flush=True)
    if s.validated.problems:
        print(f"FAILED: {len(s.validated.problems)} responses do not conform to the model", flush=True)
        return 1
    print("conformance: boto3 scenario passed", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
