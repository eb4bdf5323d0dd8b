package dev.burrow.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Platform;
import dev.burrow.oci.registry.testing.TestImages;
import dev.burrow.oci.registry.testing.TestRegistry;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pulls from a real registry (Debian's docker-registry) in each of its auth modes. */
class RegistryPullTest {
    @TempDir
    Path tmp;

    private final RegistryClient client = new RegistryClient(RegistrySettings.defaults());

    @Test
    void anAnonymousPullStoresTheManifestConfigAndLayers() throws IOException {
        try (TestRegistry registry = TestRegistry.anonymous()) {
            Descriptor pushed = registry.push("team/app", "v1", TestImages.layout(tmp.resolve("img"), Map.of("hello", "world")));
            BlobStore store = new BlobStore(tmp.resolve("store"));
            PulledImage image = client.pull(ImageReference.parse(registry.host() + "/team/app:v1"), null,
                    Credentials.anonymous(), store, BuildLog.NONE);
            assertThat(image.top().digest()).isEqualTo(pushed.digest());
            assertThat(store.contains(image.top().digest())).isTrue();
            assertThat(store.contains(image.config())).isTrue();
            assertThat(image.layers()).hasSize(1).allSatisfy(l -> assertThat(store.contains(l.digest())).isTrue());
            assertThat(image.bytesFetched()).isPositive();
            assertThat(image.bytesFromCache()).isZero();

            PulledImage again = client.pull(ImageReference.parse(registry.host() + "/team/app@" + pushed.digest()),
                    null, Credentials.anonymous(), store, BuildLog.NONE);
            assertThat(again.bytesFetched()).isZero();
            assertThat(again.bytesFromCache()).isEqualTo(image.layers().get(0).size() + store.size(image.config()));
        }
    }

    @Test
    void aBasicAuthPullWorksWithThePasswordAndNamesTheRegistryWithoutIt() throws IOException {
        try (TestRegistry registry = TestRegistry.basic("alice", "s3cret-pw")) {
            registry.push("private/app", "v1", TestImages.layout(tmp.resolve("img"), Map.of("a", "b")));
            BlobStore store = new BlobStore(tmp.resolve("store"));
            ImageReference ref = ImageReference.parse(registry.host() + "/private/app:v1");
            PulledImage image = client.pull(ref, null, Credentials.basic("alice", "s3cret-pw"), store, BuildLog.NONE);
            assertThat(image.layers()).hasSize(1);

            assertThatThrownBy(() -> client.pull(ref, null, Credentials.basic("alice", "wrong-pw"),
                    new BlobStore(tmp.resolve("s2")), BuildLog.NONE))
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e.reason()).isEqualTo(RegistryException.Reason.UNAUTHORIZED);
                        assertThat(e.getMessage()).contains("registry refused the credentials for " + registry.host())
                                .doesNotContain("wrong-pw");
                    });
        }
    }

    @Test
    void aTokenAuthPullGetsABearerFromTheTokenServerOnce() throws IOException {
        try (TestRegistry registry = TestRegistry.token("bob", "tok-pw")) {
            registry.push("private/app", "v1", TestImages.layout(tmp.resolve("img"), Map.of("a", "b")));
            BlobStore store = new BlobStore(tmp.resolve("store"));
            ImageReference ref = ImageReference.parse(registry.host() + "/private/app:v1");
            PulledImage image = client.pull(ref, null, Credentials.basic("bob", "tok-pw"), store, BuildLog.NONE);
            assertThat(image.layers()).hasSize(1);
            assertThat(registry.tokens().issued()).isEqualTo(1);

            assertThatThrownBy(() -> client.pull(ref, null, Credentials.anonymous(), new BlobStore(tmp.resolve("s2")),
                    BuildLog.NONE))
                    .isInstanceOfSatisfying(RegistryException.class,
                            e -> assertThat(e.reason()).isEqualTo(RegistryException.Reason.UNAUTHORIZED));
        }
    }

    @Test
    void aMultiPlatformIndexResolvesToAmd64AndAnArm64OnlyIndexNamesItsPlatforms() throws IOException {
        try (TestRegistry registry = TestRegistry.anonymous()) {
            Platform arm64 = new Platform("linux", "arm64", "v8");
            registry.push("multi/app", "v1", TestImages.multiPlatform(tmp.resolve("multi"), arm64, Platform.LINUX_AMD64));
            registry.push("arm/app", "v1", TestImages.multiPlatform(tmp.resolve("arm"), arm64, Platform.of("linux", "s390x")));
            BlobStore store = new BlobStore(tmp.resolve("store"));
            PulledImage image = client.pull(ImageReference.parse(registry.host() + "/multi/app:v1"), null,
                    Credentials.anonymous(), store, BuildLog.NONE);
            assertThat(image.manifest().platform()).isEqualTo(Platform.LINUX_AMD64);
            assertThat(image.top().digest()).isNotEqualTo(image.manifest().digest());

            assertThatThrownBy(() -> client.pull(ImageReference.parse(registry.host() + "/arm/app:v1"), null,
                    Credentials.anonymous(), store, BuildLog.NONE))
                    .isInstanceOfSatisfying(RegistryException.class, e -> {
                        assertThat(e.reason()).isEqualTo(RegistryException.Reason.PLATFORM);
                        assertThat(e.getMessage()).contains("linux/amd64").contains("linux/arm64/v8").contains("linux/s390x");
                    });
        }
    }
}
