package dev.burrow.api;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ApiContractTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());
    private final ApiContract contract = ApiContract.get();

    private static JsonNode json(String s) {
        try {
            return JSON.readTree(s);
        } catch (Exception e) {
            throw new IllegalArgumentException(s, e);
        }
    }

    private static JsonNode raw() {
        return ApiContract.readResource(ApiContract.OPENAPI_RESOURCE, YAML);
    }

    // ---- the document ----

    @Test
    void yamlParsesAsOpenApi31() {
        JsonNode doc = raw();
        assertThat(doc.path("openapi").asText()).startsWith("3.1.");
        assertThat(doc.path("paths").size()).isGreaterThan(30);
        assertThat(contract.openApiJson().path("openapi").asText()).isEqualTo(doc.path("openapi").asText());
    }

    @Test
    void everyRefResolvesInTheYamlAndTheSchemaFiles() {
        List<String> broken = new ArrayList<>();
        JsonNode doc = raw();
        checkRefs(doc, doc, "", broken);
        for (String file : List.of("problem.json", "exec-frame.json", "event.json", "file-watch.json", "pty-control.json", "log-line.json")) {
            JsonNode schema = ApiContract.readResource(ApiContract.RESOURCE_DIR + "schemas/" + file, JSON);
            assertThat(schema.path("$schema").asText()).isEqualTo("https://json-schema.org/draft/2020-12/schema");
            checkRefs(schema, schema, "schemas/", broken);
        }
        assertThat(broken).isEmpty();
    }

    /** {@code base} is the folder of the file holding {@code root}, relative to the contract's folder. */
    private static void checkRefs(JsonNode node, JsonNode root, String base, List<String> broken) {
        if (node.isObject()) {
            JsonNode ref = node.get("$ref");
            if (ref != null) {
                String r = ref.asText();
                int hash = r.indexOf('#');
                String file = hash < 0 ? r : r.substring(0, hash);
                String pointer = hash < 0 ? "" : r.substring(hash + 1);
                JsonNode target = root;
                if (!file.isEmpty()) {
                    String resource = ApiContract.RESOURCE_DIR + base + file;
                    if (ApiContract.class.getResource(resource) == null) {
                        broken.add(r + " (no file " + resource + ")");
                        return;
                    }
                    target = ApiContract.readResource(resource, JSON);
                }
                if (target.at(pointer).isMissingNode()) {
                    broken.add(r);
                }
            }
            node.elements().forEachRemaining(c -> checkRefs(c, root, base, broken));
        } else if (node.isArray()) {
            node.elements().forEachRemaining(c -> checkRefs(c, root, base, broken));
        }
    }

    @Test
    void servedDocumentIsSelfContained() {
        JsonNode doc = contract.openApiJson();
        List<String> external = new ArrayList<>();
        collectRefs(doc, external);
        assertThat(external).allSatisfy(r -> {
            assertThat(r).startsWith("#/");
            assertThat(doc.at(r.substring(1)).isMissingNode()).as(r).isFalse();
        });
        assertThat(doc.at("/components/schemas/ExecFrame/oneOf").size()).isEqualTo(5);
        assertThat(doc.at("/components/schemas/Problem/properties/quota").isMissingNode()).isFalse();
        assertThat(contract.streamSchemas()).containsKeys("exec-frame", "event", "file-watch", "pty-control", "problem");
    }

    private static void collectRefs(JsonNode node, List<String> out) {
        if (node.isObject() && node.has("$ref")) {
            out.add(node.get("$ref").asText());
        }
        node.elements().forEachRemaining(c -> collectRefs(c, out));
    }

    /** Every call of SPEC §3's table (PTY and registries included). */
    private static final String[][] SPEC_CALLS = {
        {"post", "/v1/uploads"},
        {"post", "/v1/images"}, {"get", "/v1/images"},
        {"get", "/v1/images/{name}"}, {"delete", "/v1/images/{name}"}, {"patch", "/v1/images/{name}"},
        {"post", "/v1/images/{name}/versions"}, {"get", "/v1/images/{name}/versions"},
        {"get", "/v1/images/{name}/versions/{v}"}, {"patch", "/v1/images/{name}/versions/{v}"},
        {"delete", "/v1/images/{name}/versions/{v}"},
        {"get", "/v1/images/{name}/versions/{v}/logs"},
        {"post", "/v1/microvms"}, {"get", "/v1/microvms"}, {"get", "/v1/microvms/{id}"},
        {"delete", "/v1/microvms/{id}"},
        {"post", "/v1/microvms/{id}/suspend"}, {"post", "/v1/microvms/{id}/resume"},
        {"post", "/v1/microvms/{id}/fork"},
        {"post", "/v1/microvms/{id}/exec"},
        {"post", "/v1/microvms/{id}/execs/{execId}/stdin"}, {"post", "/v1/microvms/{id}/execs/{execId}/signal"},
        {"get", "/v1/microvms/{id}/execs"},
        {"get", "/v1/microvms/{id}/pty"},
        {"get", "/v1/microvms/{id}/files"}, {"put", "/v1/microvms/{id}/files"}, {"delete", "/v1/microvms/{id}/files"},
        {"post", "/v1/microvms/{id}/files/move"}, {"get", "/v1/microvms/{id}/files/list"},
        {"get", "/v1/microvms/{id}/files/watch"},
        {"post", "/v1/microvms/{id}/tokens"},
        {"get", "/v1/registries/{host}"}, {"put", "/v1/registries/{host}"}, {"delete", "/v1/registries/{host}"},
        {"get", "/v1/microvms/{id}/logs"},
        {"get", "/v1/events"},
        {"get", "/v1/admin/tenants"}, {"post", "/v1/admin/tenants"},
        {"get", "/v1/admin/tenants/{tenant}"}, {"patch", "/v1/admin/tenants/{tenant}"}, {"delete", "/v1/admin/tenants/{tenant}"},
        {"get", "/v1/admin/keys"}, {"post", "/v1/admin/keys"}, {"delete", "/v1/admin/keys/{keyId}"},
        {"get", "/v1/version"}, {"get", "/v1/openapi.json"},
        {"get", "/metrics"}, {"get", "/healthz"}, {"get", "/readyz"},
    };

    @Test
    void everyCallOfTheSpecIsPresent() {
        JsonNode paths = raw().path("paths");
        List<String> missing = new ArrayList<>();
        for (String[] call : SPEC_CALLS) {
            if (paths.path(call[1]).get(call[0]) == null) {
                missing.add(call[0].toUpperCase() + " " + call[1]);
            }
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void securityIsBearerOnV1AndNoneOnProbes() {
        JsonNode doc = raw();
        assertThat(doc.at("/components/securitySchemes/bearerAuth/scheme").asText()).isEqualTo("bearer");
        assertThat(doc.at("/security/0/bearerAuth").isArray()).isTrue();
        doc.path("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op -> {
            if (op.getKey().equals("parameters")) {
                return;
            }
            JsonNode security = op.getValue().get("security");
            if (p.getKey().startsWith("/v1/")) {
                assertThat(security == null || !security.isEmpty()).as(p.getKey()).isTrue();
            } else {
                assertThat(security).as(p.getKey()).isNotNull();
                assertThat(security.isEmpty()).as(p.getKey()).isTrue();
            }
        }));
    }

    @Test
    void everyResponseDocumentsXRequestIdAndEveryErrorIsAProblem() {
        JsonNode doc = raw();
        List<String> bad = new ArrayList<>();
        doc.path("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op -> {
            if (op.getKey().equals("parameters")) {
                return;
            }
            op.getValue().path("responses").fields().forEachRemaining(r -> {
                JsonNode response = r.getValue();
                if (response.has("$ref")) {
                    response = doc.at(response.get("$ref").asText().substring(1));
                }
                String where = op.getKey() + " " + p.getKey() + " " + r.getKey();
                if (response.at("/headers/X-Request-Id").isMissingNode()) {
                    bad.add(where + ": no X-Request-Id");
                }
                boolean error = r.getKey().equals("default") || (r.getKey().compareTo("400") >= 0 && !p.getKey().equals("/readyz"));
                if (error && !response.at("/content/application~1problem+json/schema/$ref").asText().equals("#/components/schemas/Problem")) {
                    bad.add(where + ": not a Problem");
                }
            });
        }));
        assertThat(bad).isEmpty();
    }

    @Test
    void creatingPostsTakeIdempotencyKey() {
        JsonNode paths = raw().path("paths");
        // not POST …/tokens nor /v1/admin/keys: a replay would have to store the secret's plaintext (ADR 0015)
        for (String secret : List.of("/v1/microvms/{id}/tokens", "/v1/admin/keys")) {
            assertThat(paths.path(secret).path("post").path("parameters").toString()).as(secret).doesNotContain("IdempotencyKey");
        }
        for (String path : List.of("/v1/uploads", "/v1/images", "/v1/images/{name}/versions", "/v1/microvms",
                "/v1/microvms/{id}/fork", "/v1/admin/tenants")) {
            List<String> refs = new ArrayList<>();
            paths.path(path).path("post").path("parameters").forEach(p -> refs.add(p.path("$ref").asText()));
            assertThat(refs).as(path).contains("#/components/parameters/IdempotencyKey");
        }
    }

    @Test
    void everyJsonRequestBodyIsClosed() {
        JsonNode doc = contract.openApiJson();
        List<String> open = new ArrayList<>();
        doc.path("paths").fields().forEachRemaining(p -> p.getValue().fields().forEachRemaining(op -> {
            JsonNode schema = op.getValue().at("/requestBody/content/application~1json/schema");
            if (!schema.isMissingNode()) {
                checkClosed(doc, schema, op.getKey() + " " + p.getKey(), new HashSet<>(), open);
            }
        }));
        assertThat(open).isEmpty();
    }

    /** Every object schema reachable from a request body (through $ref, properties, items, compositions) has additionalProperties false. */
    private static void checkClosed(JsonNode doc, JsonNode schema, String where, Set<String> seen, List<String> open) {
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            if (seen.add(ref)) {
                checkClosed(doc, doc.at(ref.substring(1)), where + " → " + ref, seen, open);
            }
            return;
        }
        JsonNode additional = schema.path("additionalProperties");
        if (schema.has("properties") && !(additional.isBoolean() && !additional.asBoolean())) {
            open.add(where);
        }
        schema.path("properties").fields().forEachRemaining(f -> checkClosed(doc, f.getValue(), where + "." + f.getKey(), seen, open));
        for (String k : List.of("oneOf", "anyOf", "allOf")) {
            schema.path(k).forEach(s -> checkClosed(doc, s, where, seen, open));
        }
        if (schema.has("items")) {
            checkClosed(doc, schema.get("items"), where + "[]", seen, open);
        }
    }

    // ---- path matching ----

    @Test
    void concretePathsMatchTheirTemplates() {
        assertThat(contract.matchPath("/v1/microvms/vm01abc/exec")).contains("/v1/microvms/{id}/exec");
        assertThat(contract.matchPath("/v1/microvms/vm01abc")).contains("/v1/microvms/{id}");
        assertThat(contract.matchPath("/v1/microvms")).contains("/v1/microvms");
        assertThat(contract.matchPath("/v1/microvms?state=RUNNING&label=team=a")).contains("/v1/microvms");
        assertThat(contract.matchPath("/v1/microvms/vm01abc/files/list?path=/etc")).contains("/v1/microvms/{id}/files/list");
        assertThat(contract.matchPath("/v1/microvms/vm01abc/files?path=/etc/hosts")).contains("/v1/microvms/{id}/files");
        assertThat(contract.matchPath("/v1/microvms/vm01abc/execs/ex01/signal")).contains("/v1/microvms/{id}/execs/{execId}/signal");
        assertThat(contract.matchPath("/v1/images/demo/versions/2/logs")).contains("/v1/images/{name}/versions/{v}/logs");
        assertThat(contract.matchPath("/v1/registries/registry.local:5000")).contains("/v1/registries/{host}");
        assertThat(contract.matchPath("/v1/images/{name}/versions")).contains("/v1/images/{name}/versions");
        assertThat(contract.matchPath("/v1/openapi.json")).contains("/v1/openapi.json");
        assertThat(contract.matchPath("/healthz")).contains("/healthz");
        assertThat(contract.matchPath("/v1/nothing/here")).isEmpty();
        assertThat(contract.matchPath("/v1/microvms//exec")).isEmpty();
        assertThat(contract.validateRequest("GET", "/v1/nope", null)).singleElement().asString().contains("/v1/nope");
        assertThat(contract.validateRequest("PUT", "/v1/microvms/vm01", null)).singleElement().asString().contains("PUT");
    }

    // ---- requests: samples from docs/API.md ----

    @Test
    void requestSamplesFromApiDocValidate() {
        assertThat(contract.validateRequest("POST", "/v1/images", json("""
                {"name": "demo",
                 "source": {"type": "upload", "uploadId": "up01", "format": "oci-archive"},
                 "resources": {"vcpus": 1, "memoryMiB": 512, "diskMiB": 2048},
                 "hooks": {"port": 9000, "ready": {"enabled": true, "timeoutSeconds": 30}},
                 "entrypoint": ["python3"], "cmd": ["-m", "http.server"], "env": {"K": "V"},
                 "workdir": "/root", "user": "root", "ingressPort": 8080}"""))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/images", json("""
                {"name": "busybox", "source": {"type": "path", "path": "/srv/images/busybox", "format": "oci-layout"}}"""))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/images/demo/versions", json("""
                {"source": {"type": "registry", "ref": "docker.io/library/python:3.12"}, "resources": {"memoryMiB": 1024}}"""))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/microvms", json("""
                {"image": "demo", "version": 1, "maxDurationSeconds": 3600, "env": {"K": "V"},
                 "labels": {"team": "a"}, "idlePolicy": {"maxIdleSeconds": 300, "suspendedSeconds": 3600, "autoResume": true},
                 "runHookPayload": "{}", "network": {"egress": "none"}, "wait": true}"""))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01abc/exec", json("""
                {"cmd": ["sh", "-c", "echo hi"], "env": {}, "cwd": "/", "user": "root",
                 "stdinMode": "once", "stdin": "aGkK", "timeoutSeconds": 60, "detach": false}"""))).isEmpty();
        assertThat(contract.validateRequest("PATCH", "/v1/images/demo/versions/1", json("{\"status\": \"INACTIVE\"}"))).isEmpty();
        assertThat(contract.validateRequest("PATCH", "/v1/images/demo", json("{\"public\": true}"))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/execs/ex01/signal", json("{\"signal\": \"TERM\"}"))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/fork", json("{\"count\": 64}"))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/fork", null)).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/tokens", json("{\"ports\": [8080], \"expiresInSeconds\": 900}"))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/tokens", json("{\"scope\": \"pty\", \"expiresInSeconds\": 60}"))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/files/move", json("{\"from\": \"/a\", \"to\": \"/b/c\"}"))).isEmpty();
        assertThat(contract.validateRequest("PUT", "/v1/registries/ghcr.io", json("{\"username\": \"u\", \"password\": \"p\"}"))).isEmpty();
        assertThat(contract.validateRequest("PUT", "/v1/registries/ghcr.io", json("{\"token\": \"t\"}"))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/admin/tenants", json("{\"name\": \"acme\", \"quotas\": {\"microvms\": 10, \"vcpus\": 16, \"memoryMiB\": 8192, \"suspendedMiB\": null}}"))).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/admin/keys", json("{\"tenant\": \"acme\"}"))).isEmpty();
        assertThat(contract.validateRequest("GET", "/v1/microvms", null)).isEmpty();
        assertThat(contract.validateRequest("POST", "/v1/uploads", null)).isEmpty();
    }

    @Test
    void unknownFieldIsRejectedNamingIt() {
        List<String> v = contract.validateRequest("POST", "/v1/microvms", json("{\"image\": \"demo\", \"colour\": \"red\"}"));
        assertThat(v).isNotEmpty().anySatisfy(m -> assertThat(m).contains("colour"));
        v = contract.validateRequest("POST", "/v1/images", json("""
                {"name": "demo", "source": {"type": "upload", "uploadId": "up1", "format": "oci-archive"},
                 "resources": {"vcpus": 1, "gpus": 1}}"""));
        assertThat(v).anySatisfy(m -> assertThat(m).contains("gpus"));
    }

    @Test
    void outOfRangeValuesNameTheField() {
        List<String> v = contract.validateRequest("POST", "/v1/images", json("""
                {"name": "demo", "source": {"type": "upload", "uploadId": "up1", "format": "oci-archive"},
                 "resources": {"vcpus": 99}}"""));
        assertThat(v).anySatisfy(m -> assertThat(m).contains("resources.vcpus").contains("16"));
        assertThat(contract.validateRequest("POST", "/v1/images/demo/versions", json("""
                {"source": {"type": "upload", "uploadId": "up1", "format": "oci-archive"}, "resources": {"memoryMiB": 64, "diskMiB": 40000}}""")))
                .anySatisfy(m -> assertThat(m).contains("memoryMiB").contains("128"))
                .anySatisfy(m -> assertThat(m).contains("diskMiB").contains("32768"));
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/fork", json("{\"count\": 65}")))
                .anySatisfy(m -> assertThat(m).contains("count").contains("64"));
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/fork", json("{\"count\": 0}")))
                .anySatisfy(m -> assertThat(m).contains("count"));
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/tokens", json("{\"ports\": [8080], \"expiresInSeconds\": 59}")))
                .anySatisfy(m -> assertThat(m).contains("expiresInSeconds").contains("60"));
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/tokens", json("{\"ports\": [8080], \"expiresInSeconds\": 3601}")))
                .anySatisfy(m -> assertThat(m).contains("expiresInSeconds").contains("3600"));
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/tokens", json("{\"ports\": [70000]}")))
                .anySatisfy(m -> assertThat(m).contains("ports"));
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/tokens", json("{\"ports\": [{\"from\": 1, \"to\": 2, \"x\": 3}]}")))
                .anySatisfy(m -> assertThat(m).contains("ports"));
    }

    @Test
    void badNamesAndLabelsAreRejected() {
        assertThat(contract.validateRequest("POST", "/v1/images", json("""
                {"name": "Bad_Name!", "source": {"type": "upload", "uploadId": "up1", "format": "oci-archive"}}""")))
                .anySatisfy(m -> assertThat(m).contains("name"));
        assertThat(contract.validateRequest("POST", "/v1/images", json("""
                {"name": "-leading-dash", "source": {"type": "upload", "uploadId": "up1", "format": "oci-archive"}}""")))
                .anySatisfy(m -> assertThat(m).contains("name"));
        assertThat(contract.validateRequest("POST", "/v1/microvms", json("{\"image\": \"demo\", \"labels\": {\"Team\": \"a\"}}")))
                .anySatisfy(m -> assertThat(m).contains("labels").contains("Team"));
        assertThat(contract.validateRequest("POST", "/v1/microvms", json("{\"image\": \"demo\", \"labels\": {\"team\": \"" + "x".repeat(256) + "\"}}")))
                .anySatisfy(m -> assertThat(m).contains("labels.team"));
        StringBuilder many = new StringBuilder("{\"image\": \"demo\", \"labels\": {");
        for (int i = 0; i < 33; i++) {
            many.append(i == 0 ? "" : ",").append("\"k").append(i).append("\": \"v\"");
        }
        assertThat(contract.validateRequest("POST", "/v1/microvms", json(many + "}}")))
                .anySatisfy(m -> assertThat(m).contains("labels").contains("32"));
        assertThat(contract.validateRequest("POST", "/v1/images", json("{\"name\": \"demo\", \"source\": {\"type\": \"ftp\", \"url\": \"x\"}}")))
                .isNotEmpty();
        assertThat(contract.validateRequest("POST", "/v1/microvms", json("{\"version\": 1}")))
                .anySatisfy(m -> assertThat(m).contains("image"));
        assertThat(contract.validateRequest("POST", "/v1/microvms/vm01/exec", json("{\"cmd\": []}")))
                .anySatisfy(m -> assertThat(m).contains("cmd"));
        assertThat(contract.validateRequest("PUT", "/v1/registries/ghcr.io", json("{\"username\": \"u\", \"password\": \"p\", \"token\": \"t\"}")))
                .isNotEmpty();
        assertThat(contract.validateRequest("POST", "/v1/microvms", null)).singleElement().asString().contains("needs a JSON");
        assertThat(contract.validateRequest("GET", "/v1/microvms/vm01", json("{}"))).singleElement().asString().contains("no request body");
        assertThat(contract.validateRequest("POST", "/v1/uploads", json("{}"))).singleElement().asString().contains("streamed");
    }

    // ---- responses ----

    private static final String MICROVM = """
            {"id": "vm01jq8a3k", "image": "demo", "version": 1, "state": "RUNNING", "stateReason": null,
             "createdAt": "2026-11-29T10:00:00Z", "updatedAt": "2026-11-29T10:00:01Z", "expiresAt": "2026-11-29T18:00:00Z",
             "labels": {"team": "a"}, "resources": {"vcpus": 1, "memoryMiB": 512, "diskMiB": 2048}, "network": {"egress": "none"}}""";

    @Test
    void responseSamplesFromApiDocValidate() {
        assertThat(contract.validateResponse("POST", "/v1/uploads", 201, "application/json", json("""
                {"uploadId": "up01", "bytes": 123, "sha256": "%s", "expiresAt": "2026-11-30T10:00:00Z"}""".formatted("ab".repeat(32))))).isEmpty();
        assertThat(contract.validateResponse("GET", "/v1/images/demo", 200, "application/json", json("""
                {"name": "demo", "public": true, "createdAt": "2026-11-29T10:00:00Z", "latestVersion": 2,
                 "versions": [{"version": 1, "state": "READY", "status": "ACTIVE"}, {"version": 2, "state": "BUILDING", "status": "ACTIVE"}]}""")))
                .isEmpty();
        String version = """
                {"image": "demo", "version": 1, "state": "READY", "stateReason": null, "status": "ACTIVE",
                 "source": "upload:up01 (oci-archive)", "createdAt": "2026-11-29T10:00:00Z", "updatedAt": "2026-11-29T10:01:00Z",
                 "resources": {"vcpus": 1, "memoryMiB": 512, "diskMiB": 2048},
                 "hooks": {"port": 9000, "ready": {"enabled": true, "timeoutSeconds": 30}, "validate": {"enabled": false, "timeoutSeconds": 1},
                           "run": {"enabled": false, "timeoutSeconds": 1}, "resume": {"enabled": false, "timeoutSeconds": 1},
                           "suspend": {"enabled": false, "timeoutSeconds": 1}, "terminate": {"enabled": false, "timeoutSeconds": 1}},
                 "entrypoint": ["python3"], "cmd": ["-m", "http.server"], "env": {"K": "V"}, "workdir": "/", "user": "",
                 "ingressPort": 8080,
                 "entrypointStatus": {"state": "RUNNING", "exitCode": null, "exitedAt": null},
                 "buildPhasesMillis": {"unpack": 5398, "mkfs": 361, "boot": 7042, "ready": 0, "snapshot": 70, "validate": 0}}""";
        assertThat(contract.validateResponse("GET", "/v1/images/demo/versions/1", 200, "application/json", json(version))).isEmpty();
        assertThat(contract.validateResponse("POST", "/v1/images", 202, "application/json; charset=utf-8", json(version))).isEmpty();
        assertThat(contract.validateResponse("GET", "/v1/images/demo/versions", 200, "application/json",
                json("{\"items\": [" + version + "], \"nextCursor\": null}"))).isEmpty();
        assertThat(contract.validateResponse("POST", "/v1/microvms", 201, "application/json", json(MICROVM))).isEmpty();
        assertThat(contract.validateResponse("GET", "/v1/microvms?state=RUNNING", 200, "application/json",
                json("{\"items\": [" + MICROVM + "], \"nextCursor\": \"c2\"}"))).isEmpty();
        assertThat(contract.validateResponse("POST", "/v1/microvms/vm01jq8a3k/fork", 201, "application/json",
                json("{\"items\": [" + MICROVM + "]}"))).isEmpty();
        assertThat(contract.validateResponse("DELETE", "/v1/microvms/vm01jq8a3k", 202, "application/json", json(MICROVM))).isEmpty();
        assertThat(contract.validateResponse("GET", "/v1/microvms/vm01jq8a3k/execs", 200, "application/json",
                json("{\"items\": [{\"execId\": \"ex01\", \"cmd\": [\"sleep\", \"9\"], \"startedAt\": \"2026-11-29T10:00:00Z\", \"pid\": 42}]}"))).isEmpty();
        assertThat(contract.validateResponse("GET", "/v1/version", 200, "application/json",
                json("{\"server\": \"0.1.0\", \"agentProtocol\": 1, \"vmm\": \"qemu 7.2.22\", \"accelerator\": \"TCG\", \"kernel\": \"6.1.0\"}"))).isEmpty();
        assertThat(contract.validateResponse("GET", "/healthz", 200, "application/json", json("{\"status\": \"ok\"}"))).isEmpty();
        assertThat(contract.validateResponse("GET", "/readyz", 503, "application/json",
                json("{\"status\": \"not-ready\", \"checks\": {\"database\": \"ok\", \"storage\": \"ok\", \"kernel\": \"missing\", \"accelerator\": \"TCG\"}}"))).isEmpty();
        assertThat(contract.validateResponse("POST", "/v1/microvms/vm01/tokens", 201, "application/json", json("""
                {"token": "q0-x_Zk0123456789abcdefghijklmnopqrstuvwxyz", "scope": "ingress", "ports": [8080], "expiresAt": "2026-11-29T10:15:00Z",
                 "url": "http://8080-vm01.localhost:7070/"}"""))).isEmpty();
        assertThat(contract.validateResponse("DELETE", "/v1/images/demo", 204, null, null)).isEmpty();
        assertThat(contract.validateResponse("POST", "/v1/microvms/vm01/execs/ex01/stdin", 200, "application/json", json("{\"bytes\": 12}"))).isEmpty();
        assertThat(contract.validateResponse("POST", "/v1/microvms/vm01/execs/ex01/signal", 202, "application/json", json("{\"signal\": \"TERM\"}"))).isEmpty();
        assertThat(contract.validateResponse("GET", "/metrics", 200, "text/plain; version=0.0.4", null)).isEmpty();
        assertThat(contract.validateResponse("GET", "/v1/microvms/vm01/files?path=/etc", 200, "application/x-tar", null)).isEmpty();
    }

    @Test
    void problemsValidateWithTheirExtraMembers() {
        assertThat(contract.validateResponse("POST", "/v1/images", 400, "application/problem+json", json("""
                {"type": "https://burrow.dev/problems/invalid-request", "title": "Invalid request", "status": 400,
                 "detail": "resources.memoryMiB must be between 128 and 32768; got 64", "instance": "req-1",
                 "field": "resources.memoryMiB"}"""))).isEmpty();
        assertThat(contract.validateResponse("POST", "/v1/microvms", 429, "application/problem+json", json("""
                {"type": "https://burrow.dev/problems/quota-exceeded", "title": "Quota exceeded", "status": 429,
                 "instance": "req-2", "quota": "vcpus", "limit": 16, "current": 16}"""))).isEmpty();
        assertThat(contract.validateResponse("POST", "/v1/microvms", 422, "application/problem+json", json("""
                {"type": "https://burrow.dev/problems/run-hook-failed", "title": "Run hook failed", "status": 422,
                 "instance": "req-3", "microvmId": "vm01abc"}"""))).isEmpty();
        assertThat(contract.validateResponse("GET", "/v1/microvms/vm01", 500, "application/problem+json", json("""
                {"type": "https://burrow.dev/problems/internal", "title": "Internal error", "status": 500}"""))).isEmpty();
        assertThat(contract.validateResponse("DELETE", "/v1/images/demo", 409, "application/problem+json", json("""
                {"type": "https://burrow.dev/problems/conflict", "title": "Conflict", "status": 409, "counts": {"microvms": 2}}"""))).isEmpty();
        // an error sent as plain JSON, or a Problem missing its status
        assertThat(contract.validateResponse("GET", "/v1/microvms/vm01", 404, "application/json", json("{}")))
                .singleElement().asString().contains("problem+json");
        assertThat(contract.validateResponse("GET", "/v1/microvms/vm01", 404, "application/problem+json",
                json("{\"type\": \"https://burrow.dev/problems/not-found\", \"title\": \"Not found\"}")))
                .anySatisfy(m -> assertThat(m).contains("status"));
    }

    @Test
    void badResponsesAreReported() {
        assertThat(contract.validateResponse("GET", "/v1/microvms/vm01", 200, "application/json",
                json(MICROVM.replace("\"RUNNING\"", "\"SLEEPING\"")))).anySatisfy(m -> assertThat(m).contains("state"));
        assertThat(contract.validateResponse("GET", "/v1/microvms/vm01", 200, "application/json",
                json(MICROVM.replace("\"expiresAt\": \"2026-11-29T18:00:00Z\",", "")))).anySatisfy(m -> assertThat(m).contains("expiresAt"));
        assertThat(contract.validateResponse("GET", "/v1/microvms/vm01", 200, "application/json",
                json(MICROVM.replace("2026-11-29T10:00:00Z", "yesterday")))).anySatisfy(m -> assertThat(m).contains("createdAt"));
        assertThat(contract.validateResponse("GET", "/v1/microvms", 200, "application/json", json("{\"items\": []}")))
                .anySatisfy(m -> assertThat(m).contains("nextCursor"));
        assertThat(contract.validateResponse("POST", "/v1/microvms/vm01/suspend", 201, "application/json", json(MICROVM)))
                .singleElement().asString().contains("status 201");
        assertThat(contract.validateResponse("GET", "/v1/microvms/vm01", 418, "application/problem+json",
                json("{\"type\": \"about:blank\", \"title\": \"Teapot\", \"status\": 418}"))).isEmpty();
        assertThat(contract.validateResponse("DELETE", "/v1/images/demo", 204, "application/json", json("{}")))
                .singleElement().asString().contains("no body");
    }

    // ---- streams ----

    @Test
    void execFramesValidate() {
        for (String line : List.of("{\"started\": {\"execId\": \"ex01\"}}", "{\"stdout\": \"aGkK\"}", "{\"stderr\": \"\"}",
                "{\"exit\": 0}", "{\"exit\": 137, \"signal\": \"KILL\", \"timedOut\": true}",
                "{\"error\": {\"type\": \"https://burrow.dev/problems/unavailable\", \"title\": \"Agent gone\", \"status\": 503}}")) {
            assertThat(contract.validateFrame("exec-frame", json(line))).as(line).isEmpty();
        }
        assertThat(contract.validateResponse("POST", "/v1/microvms/vm01/exec", 200, "application/x-ndjson",
                json("[{\"started\": {\"execId\": \"ex01\"}}, {\"stdout\": \"aGkK\"}, {\"exit\": 0}]"))).isEmpty();
    }

    @Test
    void badExecFramesAreReported() {
        assertThat(contract.validateFrame("exec-frame", json("{\"stdout\": \"aGk=\", \"stderr\": \"aGk=\"}")))
                .anySatisfy(m -> assertThat(m).contains("stderr"));
        assertThat(contract.validateFrame("exec-frame.json", json("{\"stdout\": 12}")))
                .anySatisfy(m -> assertThat(m).contains("stdout").contains("string"));
        assertThat(contract.validateFrame("exec-frame", json("{\"stdout\": \"not base64!\"}")))
                .anySatisfy(m -> assertThat(m).contains("stdout"));
        assertThat(contract.validateFrame("exec-frame", json("{\"exit\": 0, \"stdout\": \"aGk=\"}"))).isNotEmpty();
        assertThat(contract.validateFrame("exec-frame", json("{\"error\": {\"title\": \"x\"}}")))
                .anySatisfy(m -> assertThat(m).contains("error"));
        assertThat(contract.validateFrame("exec-frame", json("{}"))).isNotEmpty();
        assertThat(contract.validateResponse("POST", "/v1/microvms/vm01/exec", 200, "application/x-ndjson",
                json("[{\"started\": {\"execId\": \"ex01\"}}, {\"stdout\": 1}]")))
                .anySatisfy(m -> assertThat(m).startsWith("line 2"));
    }

    @Test
    void largeStdoutChunkValidates() {
        String b64 = java.util.Base64.getEncoder().encodeToString(new byte[64 * 1024]);
        assertThat(contract.validateFrame("exec-frame", JSON.createObjectNode().put("stdout", b64))).isEmpty();
    }

    @Test
    void otherStreamSchemasValidate() {
        assertThat(contract.validateFrame("event", json("""
                {"seq": 17, "time": "2026-11-29T10:00:00Z", "kind": "microvm.state", "id": "vm01abc",
                 "from": "RUNNING", "to": "SUSPENDING", "reason": "idle for 300 s", "requestId": null}"""))).isEmpty();
        assertThat(contract.validateFrame("event", json("{\"seq\": 0, \"time\": \"now\", \"kind\": \"x\"}")))
                .anySatisfy(m -> assertThat(m).contains("seq"))
                .anySatisfy(m -> assertThat(m).contains("time"))
                .anySatisfy(m -> assertThat(m).contains("requestId"));
        assertThat(contract.validateFrame("file-watch", json("{\"path\": \"/tmp/a\", \"op\": \"create\", \"isDir\": false}"))).isEmpty();
        assertThat(contract.validateFrame("file-watch", json("{\"path\": \"/tmp/a\", \"op\": \"explode\", \"isDir\": false}")))
                .anySatisfy(m -> assertThat(m).contains("op"));
        assertThat(contract.validateFrame("pty-control", json("{\"resize\": {\"cols\": 120, \"rows\": 40}}"))).isEmpty();
        assertThat(contract.validateFrame("pty-control", json("{\"signal\": \"INT\"}"))).isEmpty();
        assertThat(contract.validateFrame("pty-control", json("{\"exit\": 0}"))).isEmpty();
        assertThat(contract.validateFrame("pty-control", json("{\"resize\": {\"cols\": 0, \"rows\": 40}}"))).isNotEmpty();
        assertThat(contract.validateFrame("pty-control", json("{\"signal\": \"INT\", \"exit\": 0}"))).isNotEmpty();
        assertThat(contract.validateFrame("log-line", json("{\"time\": \"2026-11-29T10:00:00Z\", \"stream\": \"console\", \"text\": \"booted\\n\"}"))).isEmpty();
        assertThat(contract.validateFrame("log-line", json("{\"time\": \"2026-11-29T10:00:00Z\", \"stream\": \"burrow\", \"text\": \"ended\", \"state\": \"TERMINATED\"}"))).isEmpty();
        assertThat(contract.validateFrame("log-line", json("{\"time\": \"2026-11-29T10:00:00Z\", \"stream\": \"stdout\", \"text\": \"x\"}")))
                .anySatisfy(m -> assertThat(m).contains("stream"));
        assertThat(contract.validateResponse("GET", "/v1/events?follow=true", 200, "application/x-ndjson", json("""
                {"seq": 1, "time": "2026-11-29T10:00:00Z", "kind": "version.state", "id": "demo:1",
                 "from": "BUILDING", "to": "READY", "reason": null, "requestId": "req-9"}"""))).isEmpty();
    }

    @Test
    void everyComponentSchemaCompiles() {
        Map<String, String> streams = contract.streamSchemas();
        assertThat(streams).hasSize(6);
        contract.openApiJson().path("components").path("schemas").fieldNames()
                .forEachRemaining(name -> assertThat(contract.validateSchema(name, JSON.nullNode())).as(name).isNotNull());
    }
}
