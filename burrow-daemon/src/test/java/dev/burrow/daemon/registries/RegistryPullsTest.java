package dev.burrow.daemon.registries;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.images.SourceResolver.SourceFailure;
import dev.burrow.daemon.store.Database;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.Platform;
import dev.burrow.oci.registry.RegistryClient;
import dev.burrow.oci.registry.RegistrySettings;
import dev.burrow.oci.registry.testing.TestImages;
import dev.burrow.oci.registry.testing.TestRegistry;
import dev.burrow.daemon.DaemonConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Registry pulls with each tenant's own login against Debian's docker-registry on loopback (no
 * microVM): the shared blob cache never lets a tenant past a manifest it may not read, and every
 * failure names the registry and why without a secret.
 */
class RegistryPullsTest {

    private static final String USER = "alice";
    private static final String PASSWORD = "registry-Pa55word-not-for-logs";

    @TempDir
    Path dir;

    Database db;
    RegistryCredentials logins;
    BlobStore store;
    RegistryClient client;
    RegistryPulls pulls;
    String a;
    String b;
    final List<String> log = new CopyOnWriteArrayList<>();
    final BuildLog buildLog = new BuildLog() {
        @Override
        public void warn(String message) {
            log.add("warn " + message);
        }

        @Override
        public void info(String message) {
            log.add(message);
        }
    };

    @BeforeEach
    void open() throws IOException {
        db = Database.open(dir.resolve("burrow.db"), Database.Durability.RELAXED);
        a = new Tenants(db).create("a", null).orElseThrow().id();
        b = new Tenants(db).create("b", null).orElseThrow().id();
        logins = new RegistryCredentials(db, SecretBox.open(dir), Clock.systemUTC());
        store = new BlobStore(Files.createDirectories(dir.resolve("blobs")));
        client = new RegistryClient(RegistrySettings.defaults());
        pulls = new RegistryPulls(client, logins, store);
    }

    @AfterEach
    void close() {
        client.close();
        db.close();
    }

    private Path image(String name, Map<String, String> files) throws IOException {
        return TestImages.layout(Files.createDirectories(dir.resolve(name)), files);
    }

    @Tag("hostile")
    @Test
    void aCachedPrivateImageIsStillRefusedToATenantWithoutTheRightLogin() throws Exception {
        try (TestRegistry registry = TestRegistry.basic(USER, PASSWORD)) {
            registry.push("team/private", "1", image("private", Map.of("secret.txt", "only for a")));
            String ref = registry.host() + "/team/private:1";
            logins.put(a, registry.host(), RegistryLogin.basic(USER, PASSWORD));
            Descriptor top = pulls.pull(a, ref, null, buildLog);
            assertThat(ImageSource.fromStore(store, top)).as("the pulled image resolves from the shared store").isNotNull();

            assertThatThrownBy(() -> pulls.pull(b, ref, null, buildLog)).isInstanceOf(SourceFailure.class)
                    .hasMessage("registry " + registry.host() + " refused an anonymous pull of " + ref + ": this tenant has no login for "
                            + registry.host() + " (burrow registry login " + registry.host() + ", or PUT /v1/registries/" + registry.host() + ")");
            logins.put(b, registry.host(), RegistryLogin.basic(USER, "a guess"));
            assertThatThrownBy(() -> pulls.pull(b, ref, null, buildLog)).isInstanceOf(SourceFailure.class)
                    .hasMessageStartingWith("registry " + registry.host() + " refused the credentials of user " + USER);
            String digestRef = registry.host() + "/team/private@" + top.digest();
            assertThatThrownBy(() -> pulls.pull(b, digestRef, null, buildLog)).as("by digest, the manifest being cached")
                    .isInstanceOf(SourceFailure.class).hasMessageContaining("refused the credentials");
        }
        assertThat(String.join("\n", log)).doesNotContain(PASSWORD).contains("user " + USER).contains("anonymous");
    }

    @Test
    void aSecondPullOfTheSameImageComesFromTheCacheAfterTheManifestIsFetchedAgain() throws Exception {
        try (TestRegistry registry = TestRegistry.anonymous()) {
            registry.push("lib/app", "latest", image("app", Map.of("hello.txt", "hello")));
            String ref = registry.host() + "/lib/app";
            Descriptor first = pulls.pull(a, ref, "linux/amd64", buildLog);
            log.clear();
            Descriptor second = pulls.pull(b, ref, null, buildLog);
            assertThat(second).isEqualTo(first);
            assertThat(String.join("\n", log)).contains("cached").contains("0 bytes fetched");
        }
    }

    @Test
    void aTokenLoginIsSentAsTheBearerAndAnArm64OnlyIndexFailsNamingItsPlatforms() throws Exception {
        try (TestRegistry registry = TestRegistry.token(USER, PASSWORD)) {
            Path multi = TestImages.multiPlatform(Files.createDirectories(dir.resolve("multi")), Platform.of("linux", "arm64"));
            registry.push("team/arm", "1", multi);
            String token = registry.tokens().mint(USER, "team/arm", List.of("pull"));
            logins.put(a, registry.host(), RegistryLogin.token(token));
            assertThatThrownBy(() -> pulls.pull(a, registry.host() + "/team/arm:1", null, buildLog))
                    .isInstanceOf(SourceFailure.class)
                    .hasMessageStartingWith("registry " + registry.host() + " has no linux/amd64 image")
                    .hasMessageContaining("linux/arm64");
            assertThat(String.join("\n", log)).contains("(token)").doesNotContain(token);
        }
    }

    @Tag("hostile")
    @Test
    void aRegistryNamedByAHostNameIsPulledOverPlainHttpOnlyWhenListedInsecure() throws Exception {
        String name = InetAddress.getLocalHost().getHostName();
        Assumptions.assumeTrue(!name.equals("localhost") && InetAddress.getByName(name).isLoopbackAddress(),
                "this host's name (" + name + ") does not resolve to loopback, where the test registry listens");
        try (TestRegistry registry = TestRegistry.anonymous()) {
            registry.push("lib/app", "1", image("app", Map.of("hello.txt", "hello")));
            String host = name + ":" + registry.port();
            String ref = host + "/lib/app:1";
            assertThatThrownBy(() -> pulls.pull(a, ref, null, buildLog)).as("a name is not loopback: HTTPS, which this registry does not speak")
                    .isInstanceOf(SourceFailure.class).hasMessageContaining("registry " + host);
            Set<String> insecure = DaemonConfig.fromEnvironment(Map.of("BURROW_INSECURE_REGISTRIES", host.toUpperCase(Locale.ROOT)))
                    .insecureRegistries();
            try (RegistryClient plain = new RegistryClient(RegistrySettings.defaults().withInsecureHosts(insecure))) {
                Descriptor top = new RegistryPulls(plain, logins, store).pull(a, ref, null, buildLog);
                assertThat(store.contains(top.digest())).isTrue();
            }
        }
    }

    @Test
    void aBadReferenceOrPlatformFailsNamingThePart() {
        assertThatThrownBy(() -> pulls.pull(a, "busybox:latest", null, buildLog)).isInstanceOf(SourceFailure.class)
                .hasMessageContaining("names no registry host");
        assertThatThrownBy(() -> pulls.pull(a, "r.example/Upper:1", null, buildLog)).isInstanceOf(SourceFailure.class)
                .hasMessageContaining("repository component 'Upper'");
        assertThatThrownBy(() -> RegistryPulls.platform("amd64")).isInstanceOf(SourceFailure.class)
                .hasMessageContaining("os/architecture");
        assertThat(log).isEmpty();
    }
}
