package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.api.ApiContract;
import dev.burrow.daemon.images.builtin.BuiltinImages;
import dev.burrow.daemon.space.internal.Allocation;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.vmm.internal.FileTrees;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 11's acceptance of space: a data directory grows with images, versions and a microVM, and
 * after they are deleted a prune brings it back to within 1 MiB of what it was after start-up
 * (allocated bytes of the whole tree). Real burrowd, real builds under QEMU.
 */
class SpaceEndToEndTest {

    private static final long MIB = 1024 * 1024;
    /** What may stay after everything is deleted and pruned: database rows (events), the log. */
    private static final long SLACK = MIB;
    private static final Duration TERMINATE_DEADLINE = Duration.ofMinutes(1);
    private static final HttpClient HTTP = HttpClient.newHttpClient();
    private static final ApiContract CONTRACT = ApiContract.get();

    private static TestDaemon d;
    private static Path fixtures;
    private static Path archive;

    @BeforeAll
    static void start() throws Exception {
        d = TestDaemon.start("space");
        // the image archive lives outside the data directory: only what burrowd writes is measured
        fixtures = Files.createTempDirectory("space-fixtures-");
        archive = fixtures.resolve("busybox.tar");
        OciLayoutWriter.toArchive(BuiltinImages.busybox(fixtures.resolve("layout")), archive);
    }

    @AfterAll
    static void stop() throws Exception {
        if (d != null) {
            d.close();
        }
        FileTrees.deleteQuietly(fixtures);
    }

    @Test
    void afterEveryImageAndMicroVmIsDeletedAPruneBringsTheDataDirectoryBackWithinOneMebibyteOfStartUp() throws Exception {
        long before = Allocation.ofTree(d.dataDir);
        Map<String, Long> topBefore = topLevel();
        JsonNode dfBefore = checked("GET", "/v1/system/df", 200);

        build("one", 1);
        build("two", 1);
        addVersion("two", 2);
        String vm = d.run("one", "");
        long grown = Allocation.ofTree(d.dataDir);
        JsonNode dfFull = checked("GET", "/v1/system/df", 200);

        d.call("DELETE", "/v1/microvms/" + vm, null, 202);
        awaitTerminated(vm);
        d.call("DELETE", "/v1/images/one", null, 204);
        d.call("DELETE", "/v1/images/two", null, 204);
        JsonNode dfDeleted = checked("GET", "/v1/system/df", 200);
        JsonNode pruned = checked("POST", "/v1/system/prune", 200);
        long after = Allocation.ofTree(d.dataDir);
        Map<String, Long> topAfter = topLevel();
        JsonNode dfAfter = checked("GET", "/v1/system/df", 200);

        System.out.printf("space: start-up %d B, grown %d B, after prune %d B (difference %d B); freed %s; df after %s%n",
                before, grown, after, after - before, pruned.get("totalBytes"), byCategory(dfAfter));
        System.out.printf("space: df at start %s%nspace: df full %s%nspace: df deleted %s%n", byCategory(dfBefore), byCategory(dfFull),
                byCategory(dfDeleted));
        System.out.printf("space: top-level entries at start-up %s%nspace: after the prune %s%n", topBefore, topAfter);
        assertThat(grown - before).as("the builds and the microVM took space").isGreaterThan(4 * MIB);
        assertThat(pruned.get("deferred")).isEmpty();
        assertThat(pruned.get("totalBytes").asLong()).isEqualTo(dfDeleted.get("reclaimableBytes").asLong());
        assertThat(Math.abs(after - before)).as("allocated bytes after the prune against start-up").isLessThanOrEqualTo(SLACK);
        assertThat(dfAfter.get("reclaimableBytes").asLong()).isZero();
    }

    @Test
    void aTenantKeyIsRefusedBothCallsNamingTheAdminKey() throws Exception {
        d.call("POST", "/v1/admin/tenants", "{\"name\":\"spacetenant\"}", 201);
        String key = d.call("POST", "/v1/admin/keys", "{\"tenant\":\"spacetenant\"}", 201).get("key").asText();
        for (String[] call : new String[][] {{"GET", "/v1/system/df"}, {"POST", "/v1/system/prune"}}) {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(d.base + call[1])).header("Authorization", "Bearer " + key)
                    .method(call[0], HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as(r.body()).isEqualTo(403);
            assertThat(TestDaemon.JSON.readTree(r.body()).get("detail").asText()).contains("admin key");
        }
    }

    private static void build(String name, int version) throws Exception {
        d.call("POST", "/v1/images", "{\"name\":\"" + name + "\",\"source\":{\"type\":\"upload\",\"uploadId\":\"" + upload()
                + "\",\"format\":\"oci-archive\"},\"resources\":{\"memoryMiB\":256,\"diskMiB\":1024}}", 202);
        d.awaitVersion(name, version, TestDaemon.BUILD_DEADLINE);
    }

    private static void addVersion(String name, int version) throws Exception {
        d.call("POST", "/v1/images/" + name + "/versions", "{\"source\":{\"type\":\"upload\",\"uploadId\":\"" + upload()
                + "\",\"format\":\"oci-archive\"}}", 202);
        d.awaitVersion(name, version, TestDaemon.BUILD_DEADLINE);
    }

    private static String upload() throws Exception {
        HttpResponse<String> up = d.send("POST", "/v1/uploads", HttpRequest.BodyPublishers.ofFile(archive));
        assertThat(up.statusCode()).as(up.body()).isEqualTo(201);
        return TestDaemon.JSON.readTree(up.body()).get("uploadId").asText();
    }

    private static void awaitTerminated(String id) throws Exception {
        long deadline = System.nanoTime() + TERMINATE_DEADLINE.toNanos();
        String state = d.call("GET", "/v1/microvms/" + id, null, 200).get("state").asText();
        while (!state.equals("TERMINATED") && System.nanoTime() < deadline) {
            Thread.sleep(100);
            state = d.call("GET", "/v1/microvms/" + id, null, 200).get("state").asText();
        }
        assertThat(state).isEqualTo("TERMINATED");
    }

    /** A call whose answer must have {@code status} and match the OpenAPI document. */
    private static JsonNode checked(String method, String path, int status) throws Exception {
        HttpResponse<String> r = d.send(method, path, HttpRequest.BodyPublishers.noBody());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode body = TestDaemon.JSON.readTree(r.body());
        assertThat(CONTRACT.validateResponse(method, path, status, "application/json", body)).as("%s %s against openapi.yaml", method, path)
                .isEmpty();
        return body;
    }

    /** Allocated bytes of each entry directly under the data directory: what stays after a prune, and where. */
    private static Map<String, Long> topLevel() throws Exception {
        Map<String, Long> out = new TreeMap<>();
        try (var entries = Files.list(d.dataDir)) {
            for (Path p : entries.toList()) {
                out.put(p.getFileName().toString(), Allocation.ofTree(p));
            }
        }
        return out;
    }

    private static Map<String, String> byCategory(JsonNode df) {
        Map<String, String> out = new TreeMap<>();
        for (JsonNode c : df.get("categories")) {
            out.put(c.get("name").asText(), c.get("count").asLong() + "/" + c.get("bytes").asLong() + "B/"
                    + c.get("reclaimableBytes").asLong() + "Br");
        }
        return out;
    }
}
