package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A {@code dockerfile} source's body is checked before anything is looked up; every faulty field is named at once. */
class DockerfileSourceValidationTest {

    private static TestDaemon d;

    @BeforeAll
    static void start() throws Exception {
        d = TestDaemon.start("dfvalid");
    }

    @AfterAll
    static void stop() throws Exception {
        if (d != null) {
            d.close();
        }
    }

    private static Map<String, String> errors(String source) throws Exception {
        JsonNode p = d.call("POST", "/v1/images", "{\"name\":\"df\",\"source\":" + source + "}", 400);
        Map<String, String> out = new LinkedHashMap<>();
        p.get("errors").forEach(e -> out.put(e.get("field").asText(), e.get("detail").asText()));
        return out;
    }

    @Test
    void everyFaultyFieldOfADockerfileSourceIsNamed() throws Exception {
        Map<String, String> e = errors("""
                {"type":"dockerfile","format":"oci-archive","buildArgs":{"1BAD":"x","GOOD":"y"},"target":"../x",
                 "network":{"egress":"sometimes"}}""");
        assertThat(e).containsOnlyKeys("source.uploadId", "source.format", "source.buildArgs.1BAD", "source.target",
                "source.network.egress");
        assertThat(e.get("source.uploadId")).contains("build context");
        assertThat(e.get("source.network.egress")).startsWith("source.network.egress must be none, internet or allowlist");
    }

    @Test
    void aWellFormedDockerfileSourceIsLookedUpAndAnUnknownUploadNamed() throws Exception {
        Map<String, String> e = errors("""
                {"type":"dockerfile","uploadId":"up-missing","buildArgs":{"VERSION":"1.2"},"target":"build","noCache":true,
                 "network":{"egress":"allowlist","allow":["pypi.org"]}}""");
        assertThat(e).containsOnlyKeys("source.uploadId");
        assertThat(e.get("source.uploadId")).contains("no upload up-missing");
    }

    @Test
    void anUnknownSourceTypeListsTheTypesThereAre() throws Exception {
        assertThat(errors("{\"type\":\"ftp\"}").get("source.type")).isEqualTo("source.type must be upload, path, registry or dockerfile; got ftp");
    }
}
