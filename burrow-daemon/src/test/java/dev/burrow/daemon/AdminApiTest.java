package dev.burrow.daemon;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The admin API (SPEC §3, issue 10 contract 4) against a real burrowd: tenants, quotas, keys, and who may call it. */
@Tag("security")
class AdminApiTest {

    private static final Duration BUILD_END = Duration.ofMinutes(2);
    private static final Duration POLL = Duration.ofMillis(200);
    private static TestDaemon daemon;
    private static KeyClient admin;

    @BeforeAll
    static void start() throws Exception {
        daemon = TestDaemon.start("admin-api");
        admin = new KeyClient(daemon.base, daemon.key);
    }

    @AfterAll
    static void stop() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static String keyFor(String tenant) throws Exception {
        return admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"" + tenant + "\"}", 201).get("key").asText();
    }

    @Test
    void aTenantIsCreatedWithItsQuotasAndUsageAndItsNameIsTakenOnce() throws Exception {
        JsonNode t = admin.call("POST", "/v1/admin/tenants", "{\"name\":\"acme\",\"quotas\":{\"microvms\":3,\"vcpus\":null}}", 201);
        assertThat(t.get("id").asText()).isNotEmpty();
        assertThat(t.get("name").asText()).isEqualTo("acme");
        assertThat(t.get("createdAt").asText()).endsWith("Z");
        assertThat(t.get("quotas").get("microvms").asInt()).isEqualTo(3);
        assertThat(t.get("quotas").get("vcpus").isNull()).isTrue();
        assertThat(t.get("quotas").has("uploadsMiB")).isTrue();
        assertThat(t.get("usage").get("microvms").asInt()).isZero();
        assertThat(admin.call("POST", "/v1/admin/tenants", "{\"name\":\"acme\"}", 409).get("type").asText()).endsWith("conflict");
        assertThat(admin.call("GET", "/v1/admin/tenants/acme", null, 200).get("id").asText()).isEqualTo(t.get("id").asText());
        List<String> names = new ArrayList<>();
        admin.call("GET", "/v1/admin/tenants", null, 200).get("items").forEach(i -> names.add(i.get("name").asText()));
        assertThat(names).contains("admin", "acme");
        assertThat(admin.call("GET", "/v1/admin/tenants/nosuch", null, 404).get("type").asText()).endsWith("not-found");
    }

    @Test
    void faultyTenantBodiesAreRefusedNamingEveryFieldAndItsRange() throws Exception {
        JsonNode p = admin.call("POST", "/v1/admin/tenants", "{\"name\":\"Bad_Name\",\"quotas\":{\"vcpus\":-1,\"gpus\":2},\"x\":1}", 400);
        List<String> fields = new ArrayList<>();
        p.get("errors").forEach(e -> fields.add(e.get("field").asText()));
        assertThat(fields).containsExactlyInAnyOrder("x", "name", "quotas.gpus", "quotas.vcpus");
        assertThat(p.toString()).contains("[a-z0-9][a-z0-9-]{0,62}").contains("between 0 and");
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"ok\",\"quotas\":{\"memoryMiB\":1.5}}", 400);
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"ok\",\"quotas\":{\"memoryMiB\":\"512\"}}", 400);
        admin.call("POST", "/v1/admin/tenants", "[]", 400);
        admin.call("POST", "/v1/admin/tenants", "", 400);
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"" + "a".repeat(64) + "\"}", 400);
        admin.call("GET", "/v1/admin/tenants/ok", null, 404); // nothing was created by a refused call
    }

    @Test
    void aPatchReplacesTheQuotasItGivesAndNullMakesOneUnlimited() throws Exception {
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"patched\",\"quotas\":{\"microvms\":2,\"vcpus\":4}}", 201);
        JsonNode t = admin.call("PATCH", "/v1/admin/tenants/patched", "{\"quotas\":{\"vcpus\":null,\"builds\":1}}", 200);
        assertThat(t.get("quotas").get("microvms").asInt()).isEqualTo(2);
        assertThat(t.get("quotas").get("vcpus").isNull()).isTrue();
        assertThat(t.get("quotas").get("builds").asInt()).isEqualTo(1);
        admin.call("PATCH", "/v1/admin/tenants/patched", "{}", 400);
        admin.call("PATCH", "/v1/admin/tenants/patched", "{\"quotas\":{\"builds\":-2}}", 400);
        admin.call("PATCH", "/v1/admin/tenants/nosuch", "{\"quotas\":{}}", 404);
    }

    @Test
    void aKeySpeaksForItsTenantUntilItIsRevokedAndItsSecretIsShownOnce() throws Exception {
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"keyed\"}", 201);
        JsonNode created = admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"keyed\"}", 201);
        String key = created.get("key").asText();
        String id = created.get("id").asText();
        assertThat(created.get("tenant").asText()).isEqualTo("keyed");
        assertThat(created.get("admin").asBoolean()).isFalse();
        assertThat(key).startsWith(created.get("prefix").asText());
        KeyClient keyed = new KeyClient(daemon.base, key);
        keyed.call("GET", "/v1/microvms", null, 200);
        JsonNode listed = admin.call("GET", "/v1/admin/keys?tenant=keyed", null, 200);
        assertThat(listed.get("items")).hasSize(1);
        assertThat(listed.toString()).doesNotContain(key).contains(id);
        assertThat(admin.call("GET", "/v1/admin/keys/" + id, null, 200).has("key")).isFalse();
        admin.call("DELETE", "/v1/admin/keys/" + id, null, 204);
        keyed.call("GET", "/v1/microvms", null, 401); // the very next call
        admin.call("DELETE", "/v1/admin/keys/" + id, null, 404);
        assertThat(admin.call("GET", "/v1/admin/keys?tenant=keyed", null, 200).get("items")).isEmpty();
        admin.call("GET", "/v1/admin/keys?tenant=nosuch", null, 404);
        admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"nosuch\"}", 404);
    }

    @Test
    void onlyTheAdminTenantHoldsAdminKeysAndItsLastOneCannotBeRevoked() throws Exception {
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"plain\"}", 201);
        assertThat(admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"plain\",\"admin\":true}", 400).get("field").asText()).isEqualTo("admin");
        admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"plain\",\"admin\":\"yes\"}", 400);
        admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"plain\",\"scope\":\"all\"}", 400);
        JsonNode second = admin.call("POST", "/v1/admin/keys", "{\"tenant\":\"admin\",\"admin\":true}", 201);
        KeyClient secondAdmin = new KeyClient(daemon.base, second.get("key").asText());
        secondAdmin.call("GET", "/v1/admin/tenants", null, 200);
        String firstId = null;
        for (JsonNode k : admin.call("GET", "/v1/admin/keys?tenant=admin", null, 200).get("items")) {
            if (!k.get("id").asText().equals(second.get("id").asText())) {
                firstId = k.get("id").asText();
            }
        }
        admin.call("DELETE", "/v1/admin/keys/" + second.get("id").asText(), null, 204);
        assertThat(admin.call("DELETE", "/v1/admin/keys/" + firstId, null, 409).get("detail").asText()).contains("last admin key");
        admin.call("GET", "/v1/admin/tenants", null, 200);
    }

    @Test
    void aTenantKeyAndNoKeyAreTurnedAwayFromEveryAdminCall() throws Exception {
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"outsider\"}", 201);
        KeyClient outsider = new KeyClient(daemon.base, keyFor("outsider"));
        KeyClient nobody = new KeyClient(daemon.base, null);
        String[][] calls = {
            {"GET", "/v1/admin/tenants", null}, {"POST", "/v1/admin/tenants", "{\"name\":\"sneaky\"}"},
            {"GET", "/v1/admin/tenants/outsider", null}, {"PATCH", "/v1/admin/tenants/outsider", "{\"quotas\":{}}"},
            {"DELETE", "/v1/admin/tenants/admin", null}, {"GET", "/v1/admin/keys", null},
            {"POST", "/v1/admin/keys", "{\"tenant\":\"outsider\",\"admin\":true}"}, {"DELETE", "/v1/admin/keys/x", null},
            {"GET", "/v1/admin/keys/x", null}, {"PATCH", "/v1/images/demo", "{\"public\":true}"},
        };
        for (String[] c : calls) {
            assertThat(outsider.call(c[0], c[1], c[2], 403).get("type").asText()).as(c[1]).endsWith("forbidden");
            nobody.call(c[0], c[1], c[2], 401);
        }
        admin.call("GET", "/v1/admin/tenants/sneaky", null, 404);
    }

    @Test
    void theAdminTenantCannotBeDeletedAndATenantWithImagesOnlyWithForce() throws Exception {
        admin.call("DELETE", "/v1/admin/tenants/admin", null, 409);
        admin.call("POST", "/v1/admin/tenants", "{\"name\":\"doomed\"}", 201);
        KeyClient doomed = new KeyClient(daemon.base, keyFor("doomed"));
        String upload = doomed.call("POST", "/v1/uploads", "this is not an image archive", 201).get("uploadId").asText();
        doomed.call("POST", "/v1/images", "{\"name\":\"broken\",\"source\":{\"type\":\"upload\",\"uploadId\":\"" + upload
                + "\",\"format\":\"oci-archive\"}}", 202);
        awaitBuildEnd(doomed, "/v1/images/broken/versions/1");
        JsonNode refused = admin.call("DELETE", "/v1/admin/tenants/doomed", null, 409);
        assertThat(refused.get("counts").get("images").asInt()).isEqualTo(1);
        assertThat(refused.get("counts").get("microvms").asInt()).isZero();
        admin.call("DELETE", "/v1/admin/tenants/doomed?force=maybe", null, 400);
        admin.call("DELETE", "/v1/admin/tenants/doomed?force=true", null, 204);
        doomed.call("GET", "/v1/images", null, 401); // its keys went with it
        admin.call("GET", "/v1/admin/tenants/doomed", null, 404);
        assertThat(daemon.dataDir.resolve("uploads").resolve(upload)).doesNotExist();
        String log = admin.send("GET", "/v1/events?limit=10000", (String) null).body();
        assertThat(log).contains("\"tenant-created\"").contains("\"tenant-deleted\"").contains("\"key-created\"");
    }

    private static void awaitBuildEnd(KeyClient client, String path) throws Exception {
        long deadline = System.nanoTime() + BUILD_END.toNanos();
        String state = client.call("GET", path, null, 200).get("state").asText();
        while (!state.matches("READY|FAILED") && System.nanoTime() < deadline) {
            Thread.sleep(POLL.toMillis()); // the build log's follow is no stream yet: poll against the deadline
            state = client.call("GET", path, null, 200).get("state").asText();
        }
        assertThat(state).isIn("READY", "FAILED");
    }
}
