#!/usr/bin/env python3
"""Writes SigV4 test vectors signed by botocore itself, for burrowd's SigV4 tests.

Each vector is one request exactly as botocore sends it (method, path and query as on the wire,
headers, body) with what botocore computed while signing it: the canonical request, the string
to sign and the Authorization header. Most come from a real botocore client of the
lambda-microvms model (so paths with ARNs, repeated query names and JSON bodies are serialised
as a team's boto3 would); a few are hand-made requests signed with botocore's SigV4Auth; the S3
ones come from botocore's S3 client (path-style, S3's canonical URI rules).

Run with a Python that has botocore (e.g. python3 -m venv /work/venv-a &&
/work/venv-a/bin/pip install boto3), from the repository root:
    python3 contrib/aws/sigv4_vectors.py > burrow-daemon/src/test/resources/aws/sigv4-vectors.json
"""
import datetime
import json
import logging
import sys
from urllib.parse import urlsplit

import botocore
import botocore.auth
import botocore.session
from botocore.awsrequest import AWSRequest
from botocore.config import Config
from botocore.credentials import Credentials

ACCESS_KEY_ID = "AKIAQBURROWTESTKEY23"
SECRET = "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"
REGION = "eu-west-1"
ENDPOINT = "http://127.0.0.1:8089"
NOW = datetime.datetime(2026, 12, 1, 22, 30, 0, tzinfo=datetime.timezone.utc)
ARN = "arn:aws:lambda:eu-west-1:123456789012:microvm-image:my-app"

botocore.auth.get_current_datetime = lambda: NOW.replace(tzinfo=None)


class Captured(Exception):
    def __init__(self, request):
        self.request = request


class SigningLog(logging.Handler):
    """Keeps the canonical request and string to sign botocore logs while it signs."""

    def __init__(self):
        super().__init__(logging.DEBUG)
        self.parts = {}

    def emit(self, record):
        if record.msg.startswith("CanonicalRequest:"):
            self.parts["canonicalRequest"] = record.args[0]
        elif record.msg.startswith("StringToSign:"):
            self.parts["stringToSign"] = record.args[0]


LOG = SigningLog()
auth_logger = logging.getLogger("botocore.auth")
auth_logger.setLevel(logging.DEBUG)
auth_logger.addHandler(LOG)


def vector(name, service, method, url, headers, body):
    parts = urlsplit(url)
    if isinstance(body, str):
        body = body.encode()
    return {
        "name": name,
        "service": service,
        "region": REGION,
        "accessKeyId": ACCESS_KEY_ID,
        "secretAccessKey": SECRET,
        "method": method,
        "rawPath": parts.path,
        "rawQuery": parts.query,
        "headers": [[k, v if isinstance(v, str) else v.decode()] for k, v in headers.items()],
        "body": (body or b"").decode(),
        "canonicalRequest": LOG.parts.pop("canonicalRequest"),
        "stringToSign": LOG.parts.pop("stringToSign"),
        "authorization": headers["Authorization"] if isinstance(headers["Authorization"], str) else headers["Authorization"].decode(),
    }


def client_vectors(service, calls, **client_args):
    session = botocore.session.get_session()
    client = session.create_client(service, region_name=REGION, endpoint_url=ENDPOINT,
                                   aws_access_key_id=ACCESS_KEY_ID, aws_secret_access_key=SECRET, **client_args)

    def capture(request, **_):
        raise Captured(request)

    client.meta.events.register("before-send", capture)
    out = []
    for name, op, params in calls:
        try:
            getattr(client, op)(**params)
        except Captured as c:
            r = c.request
            # the Host header is what urllib3 sends: the URL's netloc
            headers = dict(r.headers.items())
            headers.setdefault("Host", urlsplit(r.url).netloc)
            out.append(vector(name, client.meta.service_model.signing_name, r.method, r.url, headers, r.body))
    return out


def hand_vector(name, method, url, headers, body=b""):
    request = AWSRequest(method=method, url=url, headers=headers, data=body)
    botocore.auth.SigV4Auth(Credentials(ACCESS_KEY_ID, SECRET), "lambda", REGION).add_auth(request)
    hdrs = dict(request.headers.items())
    hdrs.setdefault("Host", urlsplit(url).netloc)
    return vector(name, "lambda", method, url, hdrs, body)


def main():
    vectors = client_vectors("lambda-microvms", [
        ("run microvm: POST with a JSON body", "run_microvm",
         {"imageIdentifier": "my-app", "clientToken": "token-1", "maximumDurationInSeconds": 600,
          "runHookPayload": json.dumps({"greeting": "grüß dich"})}),
        ("get image by ARN: the path's %3A is signed as %253A", "get_microvm_image", {"imageIdentifier": ARN}),
        ("list microvms: GET with maxResults and nextToken", "list_microvms", {"maxResults": 2, "nextToken": "a b/c+d=="}),
        ("untag: DELETE with a repeated query name", "untag_resource", {"Resource": ARN, "TagKeys": ["team", "cost center", "a&b"]}),
        ("tag: POST to a /2017-03-31 path with an ARN", "tag_resource", {"Resource": ARN, "Tags": {"team": "burrow"}}),
        ("terminate: DELETE with no body", "terminate_microvm", {"microvmIdentifier": "mvm-0123456789abcdef"}),
    ])
    vectors.append(hand_vector("GET with encoded query names and values, repeated names, empty values",
                               "GET", ENDPOINT + "/2025-09-09/microvms?z=1&a%20b=x%2Fy&a=2&a=1&empty=&flag&%E2%82%AC=~",
                               {"X-Amz-Meta-Note": "  several   spaces  inside  "}))
    vectors.append(hand_vector("a path with a space, a tilde and dot segments", "GET",
                               ENDPOINT + "/2025-09-09/./microvm-images/a%20b~c/../x", {}))
    vectors.extend(client_vectors("s3", [
        ("s3 get object: path-style, the path as sent", "get_object", {"Bucket": "artifacts", "Key": "apps/my app:v1.zip"}),
    ], config=Config(s3={"addressing_style": "path"}, signature_version="s3v4")))
    json.dump({"generator": "contrib/aws/sigv4_vectors.py", "botocore": botocore.__version__,
               "signedAt": NOW.strftime("%Y%m%dT%H%M%SZ"), "vectors": vectors}, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
