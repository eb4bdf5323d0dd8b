"""The model checker itself: conforming responses pass, each kind of bad one is caught.

Run: python -m unittest test_model_check (AwsConformanceTest runs it before the scenarios).
"""

import json
import os
import tempfile
import unittest

import botocore.session

from model_check import ModelChecker, check_log

MODEL = botocore.session.get_session().get_service_model("lambda-microvms")
ARN = "arn:aws:lambda:us-east-1:123456789012:microvm-image:app"
JSON_HEADERS = {"Content-Type": "application/json"}


def microvm(**over):
    vm = {"microvmId": "mvm-1", "state": "RUNNING", "endpoint": "https://mvm-1.example", "imageArn": ARN,
          "imageVersion": "1", "maximumDurationInSeconds": 3600, "startedAt": 1764633600}
    vm.update(over)
    return vm


def item(**over):
    vm = {k: v for k, v in microvm(**over).items() if k in ("microvmId", "state", "imageArn", "imageVersion", "startedAt")}
    return vm


def build(**over):
    b = {"imageArn": ARN, "imageVersion": "1", "buildId": "b-1", "buildState": "SUCCESSFUL", "architecture": "X86_64",
         "chipset": "AMD", "chipsetGeneration": "1", "createdAt": 1764633600}
    b.update(over)
    return b


class ModelCheckTest(unittest.TestCase):

    def setUp(self):
        self.checker = ModelChecker(MODEL, deviations={"Architecture": {"X86_64"}, "Chipset": {"AMD"}})

    def problems(self, op, status, body, headers=None):
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body)
        return self.checker.check(op, status, headers or JSON_HEADERS, raw)

    def assertOneProblemMentioning(self, problems, text):
        self.assertEqual(1, len(problems), problems)
        self.assertIn(text, problems[0])

    def test_a_conforming_run_answer_passes(self):
        self.assertEqual([], self.problems("RunMicrovm", 200, microvm(idlePolicy={
            "maxIdleDurationSeconds": 60, "suspendedDurationSeconds": 0, "autoResumeEnabled": True})))

    def test_a_missing_required_member_is_named(self):
        vm = microvm()
        del vm["endpoint"]
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 200, vm), "required member endpoint")

    def test_a_member_outside_the_shape_is_named(self):
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 200, microvm(id="mvm-1")), "member id is not in")

    def test_a_timestamp_as_text_is_refused(self):
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 200, microvm(startedAt="2026-12-01T00:00:00Z")),
                                        "timestamp")

    def test_an_integer_as_text_is_refused(self):
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 200, microvm(maximumDurationInSeconds="3600")),
                                        "the model says integer")

    def test_a_boolean_is_not_an_integer(self):
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 200, microvm(maximumDurationInSeconds=True)),
                                        "the model says integer")

    def test_a_value_outside_its_enum_is_refused(self):
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 200, microvm(state="READY")), "MicrovmState enum")

    def test_a_range_below_its_minimum_is_refused(self):
        vm = microvm(idlePolicy={"maxIdleDurationSeconds": 10, "suspendedDurationSeconds": 0, "autoResumeEnabled": True})
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 200, vm), "maxIdleDurationSeconds: 10 outside")

    def test_a_string_that_misses_its_pattern_is_refused(self):
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 200, microvm(imageArn="arn:aws:s3:::bucket/key/x")),
                                        "pattern")

    def test_a_string_too_long_is_refused(self):
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 200, microvm(microvmId="m" * 257)), "257 characters")

    def test_the_hosts_architecture_is_an_allowed_deviation_and_another_is_not(self):
        self.assertEqual([], self.problems("GetMicrovmImageBuild", 200, build()))
        self.assertOneProblemMentioning(self.problems("GetMicrovmImageBuild", 200, build(architecture="RISCV")),
                                        "Architecture enum")

    def test_nested_lists_and_maps_are_walked(self):
        page = {"items": [item(), item(state="SLEEPING")]}
        self.assertOneProblemMentioning(self.problems("ListMicrovms", 200, page), "items[1].state")
        tokens = {"authToken": {"X-aws-proxy-auth": 7}}
        self.assertOneProblemMentioning(self.problems("CreateMicrovmAuthToken", 200, tokens), "the model says string")

    def test_a_status_other_than_the_operations_response_code_is_refused(self):
        image = {"imageArn": ARN, "name": "app", "state": "CREATING", "createdAt": 1, "baseImageArn": "arn:b",
                 "buildRoleArn": "arn:aws:iam::123456789012:role/build", "codeArtifact": {"uri": "burrow://uploads/u"},
                 "imageVersion": "1"}
        self.assertEqual([], self.problems("CreateMicrovmImage", 201, image))
        self.assertOneProblemMentioning(self.problems("CreateMicrovmImage", 200, image), "the model says 201")

    def test_an_empty_output_accepts_an_empty_object(self):
        self.assertEqual([], self.problems("SuspendMicrovm", 200, {}))
        self.assertOneProblemMentioning(self.problems("SuspendMicrovm", 200, {"state": "SUSPENDING"}), "member state")

    def test_a_body_that_is_not_json_is_refused(self):
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 200, "<html>"), "not JSON")

    def test_a_declared_error_with_its_status_and_members_passes(self):
        headers = {"x-amzn-ErrorType": "ResourceNotFoundException", "Content-Type": "application/json"}
        self.assertEqual([], self.problems("GetMicrovm", 404, {"message": "no", "resourceType": "microvm", "resourceId": "m"},
                                           headers))

    def test_an_error_the_operation_does_not_declare_is_refused(self):
        headers = {"x-amzn-ErrorType": "ServiceQuotaExceededException"}
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 402, {"message": "full"}, headers),
                                        "not an error the model declares")

    def test_an_error_with_the_wrong_status_is_refused(self):
        headers = {"x-amzn-ErrorType": "ValidationException"}
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 422, {"message": "bad"}, headers), "the model says 400")

    def test_an_error_with_a_member_outside_its_shape_is_refused(self):
        headers = {"x-amzn-ErrorType": "ValidationException"}
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 400, {"message": "bad", "field": "x"}, headers),
                                        "member field")

    def test_an_error_without_its_type_header_is_refused(self):
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 404, {"message": "no"}), "without x-amzn-ErrorType")

    def test_signature_errors_are_allowed_on_every_operation_with_their_status(self):
        self.assertEqual([], self.problems("ListMicrovms", 403, {"message": "bad signature"},
                                           {"x-amzn-ErrorType": "InvalidSignatureException"}))
        self.assertOneProblemMentioning(self.problems("ListMicrovms", 401, {"message": "bad"},
                                                      {"x-amzn-ErrorType": "UnrecognizedClientException"}), "status 401")

    def test_a_required_error_member_is_checked(self):
        headers = {"x-amzn-ErrorType": "ResourceNotFoundException"}
        self.assertOneProblemMentioning(self.problems("GetMicrovm", 404, {}, headers), "required member message")

    def test_a_response_log_is_checked_line_by_line(self):
        lines = [{"operation": "SuspendMicrovm", "status": 200, "headers": {}, "body": "{}"},
                 {"operation": "GetMicrovm", "status": 200, "headers": {}, "body": json.dumps(microvm(state="ASLEEP"))}]
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
            f.write("".join(json.dumps(line) + "\n" for line in lines))
        try:
            count, problems = check_log(f.name, MODEL)
        finally:
            os.unlink(f.name)
        self.assertEqual(2, count)
        self.assertOneProblemMentioning(problems, "ASLEEP")


if __name__ == "__main__":
    unittest.main()
