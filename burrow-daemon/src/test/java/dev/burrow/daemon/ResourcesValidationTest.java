package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * SPEC §2: a resource outside its range is a 400 naming the field and the range — every faulty
 * field at once, at both ends of each range, on both routes that take resources (a new image and
 * a new version), before anything is looked up.
 */
class ResourcesValidationTest {

    private static TestDaemon d;

    @BeforeAll
    static void start() throws Exception {
        d = TestDaemon.start("resources");
    }

    @AfterAll
    static void stop() throws Exception {
        if (d != null) {
            d.close();
        }
    }

    private static Map<String, String> errors(String path, String resources) throws Exception {
        JsonNode p = d.call("POST", path, "{" + (path.equals("/v1/images") ? "\"name\":\"res\"," : "")
                + "\"source\":{\"type\":\"upload\",\"uploadId\":\"u\",\"format\":\"oci-archive\"},\"resources\":" + resources + "}", 400);
        Map<String, String> out = new LinkedHashMap<>();
        p.get("errors").forEach(e -> out.put(e.get("field").asText(), e.get("detail").asText()));
        return out;
    }

    @Test
    void everyResourceAboveItsRangeIsNamedWithTheRangeOnBothRoutes() throws Exception {
        for (String path : new String[] {"/v1/images", "/v1/images/res/versions"}) {
            Map<String, String> e = errors(path, "{\"vcpus\":17,\"memoryMiB\":32769,\"diskMiB\":32769}");

            assertThat(e).containsOnlyKeys("resources.vcpus", "resources.memoryMiB", "resources.diskMiB");
            assertThat(e.get("resources.vcpus")).contains("between 1 and 16").contains("17");
            assertThat(e.get("resources.memoryMiB")).contains("between 128 and 32768").contains("32769");
            assertThat(e.get("resources.diskMiB")).contains("between 1024 and 32768").contains("32769");
        }
    }

    @Test
    void everyResourceBelowItsRangeIsNamedOnBothRoutes() throws Exception {
        for (String path : new String[] {"/v1/images", "/v1/images/res/versions"}) {
            Map<String, String> e = errors(path, "{\"vcpus\":0,\"memoryMiB\":127,\"diskMiB\":1023}");

            assertThat(e).containsOnlyKeys("resources.vcpus", "resources.memoryMiB", "resources.diskMiB");
            assertThat(e.get("resources.diskMiB")).contains("between 1024 and 32768").contains("1023");
        }
    }

    @Test
    void theEdgesOfEachRangeAreAccepted() throws Exception {
        // only the upload is wrong: the resources pass the static checks, so the upload's lookup is what answers
        Map<String, String> e = errors("/v1/images", "{\"vcpus\":16,\"memoryMiB\":128,\"diskMiB\":32768}");
        Map<String, String> low = errors("/v1/images", "{\"vcpus\":1,\"memoryMiB\":32768,\"diskMiB\":1024}");

        assertThat(e).containsOnlyKeys("source.uploadId");
        assertThat(low).containsOnlyKeys("source.uploadId");
    }
}
