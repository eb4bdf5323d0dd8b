"""Checks a raw HTTP response of Burrow's Lambda MicroVMs door against AWS's own service model.

The model is botocore's ``lambda-microvms`` (the one the SDKs are generated from). A success must
carry the operation's ``responseCode`` and a JSON body that is exactly the output shape: every
required member, no member outside it, every value of its declared type, within its lengths,
ranges, pattern and enum. An error must name, in ``x-amzn-ErrorType``, one of the operation's
declared errors (or one of the SigV4 authentication errors every AWS endpoint may answer), carry
that shape's ``httpStatusCode`` and only that shape's members in its body.

Burrow's documented deviations (docs/aws-compat.md) are an explicit allowlist, nothing else:
the Architecture and Chipset enums also accept the host's (the model knows only ARM_64/GRAVITON):
X86_64, and INTEL, AMD or UNKNOWN from /proc/cpuinfo's vendor, as GetMicrovmImageBuild answers them.
"""

import json
import os
import platform
import re
import sys

# Errors any SigV4 endpoint answers before an operation runs (AWS's common errors); body: a message.
AUTH_ERRORS = {
    "UnrecognizedClientException": {403},
    "InvalidSignatureException": {403},
    "IncompleteSignatureException": {400, 403},
    "MissingAuthenticationTokenException": {403},
}
AUTH_ERROR_MEMBERS = {"message", "Message"}

# Unicode classes of Java/ECMAScript patterns that Python's re lacks, close enough for checking.
# (\w also takes digits and _, which the tag patterns allow anyway)
_UNICODE_CLASSES = {r"\p{L}": r"\w", r"\p{N}": r"\d", r"\p{Z}": r"\s"}


def host_deviations():
    """The enum values Burrow answers beside the model's: its host's architecture and chipset."""
    arch = {"x86_64": "X86_64", "amd64": "X86_64", "aarch64": "ARM_64", "arm64": "ARM_64"}.get(platform.machine().lower(), platform.machine().upper())
    chipset = os.environ.get("BURROW_AWS_CHIPSET") or _cpu_vendor_chipset()
    deviations = {"Architecture": {arch}}
    if chipset:
        deviations["Chipset"] = {chipset}
    return deviations


def _cpu_vendor_chipset():
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("vendor_id"):
                    vendor = line.split(":", 1)[1].strip()
                    return {"GenuineIntel": "INTEL", "AuthenticAMD": "AMD"}.get(vendor, "UNKNOWN")
    except OSError:
        pass
    return "UNKNOWN"


def _pattern(p):
    for k, v in _UNICODE_CLASSES.items():
        p = p.replace(k, v)
    return re.compile(p)


class ModelChecker:
    """Validates responses of one service model; ``deviations`` maps a string shape name to extra enum values."""

    def __init__(self, service_model, deviations=None):
        self.model = service_model
        self.deviations = host_deviations() if deviations is None else deviations
        self._patterns = {}

    # -- entry point ---------------------------------------------------------------------------

    def check(self, operation, status, headers, body):
        """The problems (a list of sentences, empty when the response conforms) of one response.

        ``headers`` is any mapping (looked up case-insensitively), ``body`` the raw bytes or text.
        """
        op = self.model.operation_model(operation)
        h = {k.lower(): v for k, v in dict(headers).items()}
        error_type = h.get("x-amzn-errortype")
        if isinstance(body, (bytes, bytearray)):
            body = body.decode("utf-8")
        problems = []
        if error_type is not None or status >= 300:
            return self._check_error(op, status, error_type, body, problems)
        want = op.http.get("responseCode", 200)
        if status != want:
            problems.append(f"{operation}: status {status}, the model says {want}")
        shape = op.output_shape
        if shape is None:
            if body and body.strip() not in ("", "{}"):
                problems.append(f"{operation}: a body where the model declares no output: {body[:200]}")
            return problems
        parsed = self._json(operation, body, problems)
        if parsed is not None:
            self._value(shape, parsed, operation, problems, top=True)
        return problems

    # -- errors --------------------------------------------------------------------------------

    def _check_error(self, op, status, error_type, body, problems):
        name = op.name
        if error_type is None:
            problems.append(f"{name}: status {status} without x-amzn-ErrorType")
            return problems
        code = error_type.split(":", 1)[0]
        parsed = self._json(name, body, problems) if body and body.strip() else {}
        if parsed is None:
            return problems
        declared = {e.name: e for e in op.error_shapes}
        if code in declared:
            shape = declared[code]
            want = shape.metadata.get("error", {}).get("httpStatusCode")
            if status != want:
                problems.append(f"{name}: {code} with status {status}, the model says {want}")
            self._value(shape, parsed, f"{name}.{code}", problems, top=True)
        elif code in AUTH_ERRORS:
            if status not in AUTH_ERRORS[code]:
                problems.append(f"{name}: {code} with status {status}, AWS answers {sorted(AUTH_ERRORS[code])}")
            extra = set(parsed) - AUTH_ERROR_MEMBERS if isinstance(parsed, dict) else {"<not an object>"}
            if extra:
                problems.append(f"{name}: {code} has members outside the error: {sorted(extra)}")
        else:
            problems.append(f"{name}: {code} is not an error the model declares for it ({sorted(declared)})")
        return problems

    # -- values --------------------------------------------------------------------------------

    @staticmethod
    def _json(where, body, problems):
        try:
            return json.loads(body) if body and body.strip() else {}
        except ValueError as e:
            problems.append(f"{where}: body is not JSON ({e}): {body[:200]}")
            return None

    def _value(self, shape, v, path, problems, top=False):
        t = shape.type_name
        if t == "structure":
            self._structure(shape, v, path, problems, top)
        elif t == "list":
            if not isinstance(v, list):
                problems.append(f"{path}: {type(v).__name__}, the model says list")
                return
            self._size(shape, len(v), path, problems, "entries")
            for i, item in enumerate(v):
                self._value(shape.member, item, f"{path}[{i}]", problems)
        elif t == "map":
            if not isinstance(v, dict):
                problems.append(f"{path}: {type(v).__name__}, the model says map")
                return
            self._size(shape, len(v), path, problems, "entries")
            for k, item in v.items():
                self._value(shape.key, k, f"{path} key {k!r}", problems)
                self._value(shape.value, item, f"{path}[{k!r}]", problems)
        elif t == "string":
            if not isinstance(v, str):
                problems.append(f"{path}: {type(v).__name__} {v!r}, the model says string")
                return
            self._size(shape, len(v), path, problems, "characters")
            self._enum(shape, v, path, problems)
            p = shape.metadata.get("pattern")
            if p is not None and not self._compiled(p).search(v):
                problems.append(f"{path}: {v!r} does not match the model's pattern {p}")
        elif t in ("integer", "long"):
            if isinstance(v, bool) or not isinstance(v, int):
                problems.append(f"{path}: {type(v).__name__} {v!r}, the model says {t}")
                return
            m = shape.metadata
            if "min" in m and v < m["min"] or "max" in m and v > m["max"]:
                problems.append(f"{path}: {v} outside the model's range [{m.get('min')}, {m.get('max')}]")
        elif t == "boolean":
            if not isinstance(v, bool):
                problems.append(f"{path}: {type(v).__name__} {v!r}, the model says boolean")
        elif t == "timestamp":
            # rest-json's default for a body timestamp: epoch seconds as a JSON number
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                problems.append(f"{path}: {type(v).__name__} {v!r}, the model says a timestamp (epoch seconds)")
        elif t in ("double", "float"):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                problems.append(f"{path}: {type(v).__name__} {v!r}, the model says {t}")
        else:
            problems.append(f"{path}: the checker does not know the model type {t}")

    def _structure(self, shape, v, path, problems, top):
        if not isinstance(v, dict):
            problems.append(f"{path}: {type(v).__name__}, the model says structure {shape.name}")
            return
        body_members = {n: m for n, m in shape.members.items() if m.serialization.get("location") is None}
        for n in shape.required_members:
            if n in body_members and n not in v:
                problems.append(f"{path}: required member {n} is missing")
        for n in v:
            if n not in body_members:
                problems.append(f"{path}: member {n} is not in the model's {shape.name}")
        if shape.metadata.get("union"):
            present = [n for n in v if v[n] is not None]
            if len(present) != 1:
                problems.append(f"{path}: union {shape.name} with {len(present)} members set, the model says exactly one")
        for n, item in v.items():
            if n in body_members:
                self._value(body_members[n], item, f"{path}.{n}", problems)

    def _size(self, shape, n, path, problems, unit):
        m = shape.metadata
        if "min" in m and n < m["min"] or "max" in m and n > m["max"]:
            problems.append(f"{path}: {n} {unit}, the model allows [{m.get('min')}, {m.get('max')}]")

    def _enum(self, shape, v, path, problems):
        enum = shape.metadata.get("enum")
        if enum is not None and v not in enum and v not in self.deviations.get(shape.name, ()):
            problems.append(f"{path}: {v!r} is not in the model's {shape.name} enum {enum}")

    def _compiled(self, p):
        if p not in self._patterns:
            self._patterns[p] = _pattern(p)
        return self._patterns[p]


def check_log(path, service_model):
    """Checks a log of raw responses, one JSON object a line: {operation, status, headers, body}.

    The JavaScript SDK's scenario writes one (conformance.mjs); returns (count, problems).
    """
    checker = ModelChecker(service_model)
    count, problems = 0, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            if line.strip():
                r = json.loads(line)
                count += 1
                problems += checker.check(r["operation"], r["status"], r["headers"], r["body"])
    return count, problems


def main(argv):
    import botocore.session
    if len(argv) != 2:
        print("usage: model_check.py RESPONSES.jsonl", file=sys.stderr)
        return 2
    count, problems = check_log(argv[1], botocore.session.get_session().get_service_model("lambda-microvms"))
    for p in problems:
        print(f"  MODEL: {p}")
    print(f"validated responses: {count}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
