package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code burrow admin tenant|key} and {@code burrow image publish} against the fake burrowd:
 * they use the admin key from {@code <dataDir>/admin.key} (or BURROW_ADMIN_KEY), never the
 * client config's key, and say so when the key in use is not an admin key.
 */
class AdminCommandsTest {
    private static final ObjectMapper M = new ObjectMapper();

    @TempDir
    Path tmp;

    FakeBurrowd fake;
    CliHarness cli;
    Path data;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeBurrowd();
        cli = new CliHarness(tmp).against(fake);
        data = tmp.resolve("data");
        Files.createDirectories(data);
        Files.createFile(data.resolve("admin.key"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        Files.writeString(data.resolve("admin.key"), FakeBurrowd.ADMIN_KEY + "\n");
        cli.env.put("BURROW_DATA_DIR", data.toString());
    }

    @AfterEach
    void stop() {
        fake.close();
        assertThat(fake.contractViolations).isEmpty();
    }

    @Test
    void tenantCreateSendsTheQuotasInMiBWithTheAdminKeyFromTheDataDirectory() throws Exception {
        var r = cli.run("admin", "tenant", "create", "acme", "--quota", "microvms=10,vcpus=8,memory=8G", "--quota", "suspended=20G,uploads=512M,builds=2");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("acme\n");
        JsonNode quotas = fake.requests("POST", "/v1/admin/tenants").getFirst().json().path("quotas");
        assertThat(quotas.toString()).isEqualTo(
                "{\"microvms\":10,\"vcpus\":8,\"memoryMiB\":8192,\"suspendedMiB\":20480,\"uploadsMiB\":512,\"builds\":2}");
        assertThat(fake.admin.tenants.get("acme").path("quotas").path("memoryMiB").asInt()).isEqualTo(8192);
        // the config's key is not the one that made the call, and nothing was written into the config
        assertThat(tmp.resolve("config/burrow/config.json")).doesNotExist();
    }

    @Test
    void tenantLsPrintsUsedOverLimitWithSizesInTheClisUnits() {
        fake.admin.addTenant("acme").withObject("quotas").put("vcpus", 8).put("memoryMiB", 8192);
        fake.admin.tenants.get("acme").withObject("usage").put("vcpus", 3).put("memoryMiB", 1536).put("microvms", 3);
        var r = cli.run("admin", "tenant", "ls");
        assertThat(r.code()).as(r.err()).isZero();
        var lines = r.out().lines().toList();
        assertThat(lines.getFirst()).matches("NAME +MICROVMS +VCPUS +MEMORY +SUSPENDED +UPLOADS +BUILDS +CREATED");
        assertThat(lines).hasSize(4);
        assertThat(lines.get(1)).matches("acme +3/∞ +3/8 +1536M/8G +0/∞ +0/∞ +0/∞ +.*ago");
        assertThat(lines.get(2)).startsWith("admin ");
        assertThat(lines.get(3)).startsWith("dev ");
    }

    @Test
    void tenantLsAndInspectPrintJson() throws Exception {
        JsonNode all = M.readTree(cli.run("admin", "tenant", "ls", "--json").out());
        assertThat(all.isArray()).isTrue();
        assertThat(all).extracting(t -> t.path("name").asText()).containsExactly("admin", "dev");
        var r = cli.run("admin", "tenant", "inspect", "dev");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(M.readTree(r.out()).path("usage").has("builds")).isTrue();
        r = cli.run("admin", "tenant", "inspect", "nobody");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("no tenant nobody");
    }

    @Test
    void tenantSetPatchesOnlyTheQuotasGivenAndUnlimitedSendsNull() throws Exception {
        fake.admin.addTenant("acme").withObject("quotas").put("vcpus", 8).put("builds", 2);
        var r = cli.run("admin", "tenant", "set", "acme", "--quota", "vcpus=16,builds=unlimited");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(new String(fake.requests("PATCH", "/v1/admin/tenants/acme").getFirst().body()))
                .isEqualTo("{\"quotas\":{\"vcpus\":16,\"builds\":null}}");
        assertThat(r.out().lines().skip(1).findFirst().orElseThrow()).matches("acme +0/∞ +0/16 .*");
        r = cli.run("admin", "tenant", "set", "acme");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("--quota");
    }

    @Test
    void tenantRmNamesForceWhenTheTenantStillHasMicroVms() {
        fake.admin.addTenant("acme");
        fake.admin.microvmsOf.put("acme", 2);
        var r = cli.run("admin", "tenant", "rm", "acme");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("still has 2 microVMs").contains("--force");
        r = cli.run("admin", "tenant", "rm", "acme", "--force", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().replaceAll("\\s", "")).isEqualTo("[\"acme\"]");
        assertThat(fake.requests("DELETE", "/v1/admin/tenants/acme").getLast().query()).isEqualTo("force=true");
        assertThat(fake.admin.tenants).doesNotContainKey("acme");
    }

    @Test
    void keyCreatePrintsTheSecretAloneOnStdoutAndLsNeverShowsIt() throws Exception {
        var r = cli.run("admin", "key", "create", "--tenant", "dev");
        assertThat(r.code()).as(r.err()).isZero();
        String secret = r.out().strip();
        assertThat(secret).startsWith("bk_minted_");
        assertThat(r.out()).isEqualTo(secret + "\n");
        assertThat(r.err()).contains("of tenant dev").contains("shown this once");
        assertThat(fake.requests("POST", "/v1/admin/keys").getFirst().json().toString()).isEqualTo("{\"tenant\":\"dev\"}");

        r = cli.run("admin", "key", "create", "--tenant", "dev", "--admin", "--json");
        assertThat(M.readTree(r.out()).path("admin").asBoolean()).isTrue();
        assertThat(fake.requests("POST", "/v1/admin/keys").getLast().json().path("admin").asBoolean()).isTrue();

        r = cli.run("admin", "key", "ls", "--tenant", "dev");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).doesNotContain(secret).doesNotContain(FakeBurrowd.KEY);
        assertThat(r.out().lines().toList()).hasSize(4);
        assertThat(r.out().lines().findFirst().orElseThrow()).matches("ID +TENANT +PREFIX +ADMIN +AWS ACCESS KEY +CREATED +LAST USED");
        assertThat(fake.requests("GET", "/v1/admin/keys").getLast().query()).startsWith("tenant=dev");
        JsonNode all = M.readTree(cli.run("admin", "key", "ls", "--json").out());
        assertThat(all).hasSize(4).allMatch(k -> !k.has("key"));
    }

    @Test
    void keyCreateWithAwsPrintsTheCredentialsOnceAsAProfileAndAsEnvironmentVariables() throws Exception {
        var r = cli.run("admin", "key", "create", "--tenant", "dev", "--aws");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(fake.requests("POST", "/v1/admin/keys").getFirst().json().toString()).isEqualTo("{\"tenant\":\"dev\",\"aws\":true}");
        JsonNode created = M.readTree(cli.run("admin", "key", "create", "--tenant", "dev", "--aws", "--json").out());
        String secret = created.path("aws").path("secretAccessKey").asText();
        assertThat(secret).hasSize(40);
        var lines = r.out().lines().toList();
        assertThat(lines.getFirst()).startsWith("bk_minted_");
        String first = secret.replaceAll("[0-9]+$", ""); // the secret of the first key, whose number differs
        assertThat(r.out())
                .contains("[burrow-dev]\naws_access_key_id = AKIAFAKEFAKEFAKEABCD\naws_secret_access_key = " + first)
                .contains("[profile burrow-dev]\nregion = us-east-1\nservices = burrow-dev\n[services burrow-dev]\nlambda_microvms =\n  endpoint_url = " + fake.url())
                .contains("export AWS_ACCESS_KEY_ID=AKIAFAKEFAKEFAKEABCD\n")
                .contains("export AWS_SECRET_ACCESS_KEY=" + first)
                .contains("export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1\n")
                .contains("export AWS_ENDPOINT_URL_LAMBDA_MICROVMS=" + fake.url() + "\n");
        assertThat(r.err()).contains("with AWS credentials").contains("shown this once");
        r = cli.run("admin", "key", "create", "--tenant", "dev");
        assertThat(r.out()).doesNotContain("aws_access_key_id");
    }

    @Test
    void keyRevokeDeletesEachKeyById() {
        var r = cli.run("admin", "key", "revoke", "key-dev");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("key-dev\n");
        assertThat(fake.admin.keys).doesNotContainKey(FakeBurrowd.KEY);
        r = cli.run("ps");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("invalid API key");

        r = cli.run("admin", "key", "revoke", "key-admin", "--json");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().replaceAll("\\s", "")).isEqualTo("[\"key-admin\"]");
        r = cli.run("admin", "key", "revoke", "key-admin");   // revoked with the call before: the admin key is gone
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("the admin key was not accepted");
    }

    @Test
    void aGroupWithoutASubcommandIsAUsageError() {
        for (String[] args : new String[][] {{"admin"}, {"admin", "tenant"}, {"admin", "key"}}) {
            var r = cli.run(args);
            assertThat(r.code()).as(String.join(" ", args)).isEqualTo(125);
            assertThat(r.err()).contains("missing subcommand");
        }
    }

    @Test
    void aQuotaExceededProblemShowsItsQuotaLimitAndCurrentAndExits125() {
        var r = cli.run("run", "over-quota");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).isEqualTo("burrow: the tenant's vcpus quota is exhausted (quota vcpus: limit 8, current 8, requested 1)\n");
    }

    @Test
    void imagePublishPatchesPublicAndPrivateTakesItBack() throws Exception {
        fake.images.put("app", new java.util.concurrent.CopyOnWriteArrayList<>());
        var r = cli.run("image", "publish", "app");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("app public\n");
        assertThat(new String(fake.requests("PATCH", "/v1/images/app").getFirst().body())).isEqualTo("{\"public\":true}");
        r = cli.run("image", "publish", "app", "--private", "--json");
        assertThat(M.readTree(r.out()).path("public").asBoolean()).isFalse();
        assertThat(fake.publicImages).isEmpty();
    }

    @Test
    void theClientConfigsKeyIsNeverUsedForAdminVerbsAndANonAdminKeyGetsAnExplanation() {
        Path noKeyHere = tmp.resolve("elsewhere");
        cli.env.put("BURROW_DATA_DIR", noKeyHere.toString());
        var r = cli.run("admin", "tenant", "ls");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("admin verbs need root or BURROW_ADMIN_KEY")
                .contains(noKeyHere.resolve("admin.key").toString());
        assertThat(fake.requests("GET", "/v1/admin")).isEmpty();

        cli.env.put("BURROW_ADMIN_KEY", FakeBurrowd.KEY);   // a dev key where the admin key belongs
        for (String[] verb : new String[][] {{"admin", "tenant", "ls"}, {"admin", "key", "create", "--tenant", "dev"}, {"image", "publish", "demo"}}) {
            r = cli.run(verb);
            assertThat(r.code()).as(String.join(" ", verb)).isEqualTo(125);
            assertThat(r.err()).contains("burrow admin needs the admin key").contains("needs an admin key").contains("BURROW_ADMIN_KEY");
        }

        cli.env.put("BURROW_ADMIN_KEY", "bk_revoked");
        r = cli.run("admin", "key", "ls");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("the admin key was not accepted");
    }

    @Test
    void badQuotasAreUsageErrorsBeforeAnyCall() {
        for (String bad : new String[] {"vcpus", "vcpus=", "cpus=4", "vcpus=-1", "memory=lots", "vcpus=4,vcpus=5", "vcpus=4,,builds=1"}) {
            var r = cli.run("admin", "tenant", "create", "acme", "--quota", bad);
            assertThat(r.code()).as(bad).isEqualTo(125);
            assertThat(r.err()).as(bad).contains("--quota");
        }
        assertThat(fake.requests("POST", "/v1/admin/tenants")).isEmpty();
    }
}
