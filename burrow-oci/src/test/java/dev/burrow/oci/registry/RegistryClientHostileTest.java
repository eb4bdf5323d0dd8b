package dev.burrow.oci.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.MediaTypes;
import dev.burrow.oci.internal.ManifestResolver;
import dev.burrow.oci.registry.RegistryException.Reason;
import dev.burrow.oci.registry.testing.FakeRegistry;
import dev.burrow.oci.registry.testing.FakeRegistry.Auth;
import dev.burrow.oci.registry.testing.FakeRegistry.CutAfter;
import dev.burrow.oci.registry.testing.FakeRegistry.Gate;
import dev.burrow.oci.registry.testing.FakeRegistry.Oversized;
import dev.burrow.oci.registry.testing.FakeRegistry.Redirect;
import dev.burrow.oci.registry.testing.FakeRegistry.Replace;
import dev.burrow.oci.registry.testing.FakeRegistry.StallAfter;
import dev.burrow.oci.registry.testing.TestImages;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A registry that lies, cuts connections, redirects and refuses: nothing unverified reaches the store. */
@Tag("hostile")
class RegistryClientHostileTest {
    private static final Duration DEADLINE = Duration.ofSeconds(20);
    /** Short for a fast test, long enough that a loaded machine still answers the manifest requests in time. */
    private static final Duration STALL_TIMEOUT = Duration.ofSeconds(3);

    @TempDir
    Path tmp;

    private FakeRegistry fake;
    private BlobStore store;
    private ImageReference ref;
    private Descriptor layer;

    @BeforeEach
    void serveAnImage() throws IOException {
        fake = new FakeRegistry();
        byte[] noise = new byte[256 * 1024];
        new Random(11).nextBytes(noise);
        // random bytes do not compress: the layer stays large enough to cut in the middle
        Path layout = TestImages.layout(tmp.resolve("img"),
                Map.of("noise", Base64Text.of(noise), "hello", "world"));
        fake.serve("team/app", "v1", layout);
        store = new BlobStore(tmp.resolve("store"));
        ref = ImageReference.parse(fake.host() + "/team/app:v1");
        layer = new RegistryClient(RegistrySettings.defaults())
                .pull(ref, null, Credentials.anonymous(), new BlobStore(tmp.resolve("probe")), BuildLog.NONE)
                .layers().get(0);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    private static RegistryClient client() {
        return new RegistryClient(RegistrySettings.defaults());
    }

    private Path partial(Digest d) {
        return store.root().resolve("partial/sha256").resolve(d.hex());
    }

    @Test
    void aBlobWhoseBytesDoNotMatchItsDigestIsRefusedAndLeavesNothing() throws IOException {
        byte[] wrong = Files.readAllBytes(tmp.resolve("probe/sha256").resolve(layer.digest().hex()));
        wrong[wrong.length / 2] ^= 1;
        fake.script(layer.digest().toString(), new Replace(wrong));
        assertThatThrownBy(() -> client().pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.PROTOCOL);
                    assertThat(e.getMessage()).contains(layer.digest().toString()).contains(fake.host() + "/team/app")
                            .contains("does not match its digest");
                });
        assertThat(store.contains(layer.digest())).isFalse();
        assertThat(partial(layer.digest())).doesNotExist();
    }

    @Test
    void aBlobLongerThanItsDescriptorIsRefusedAndLeavesNothing() throws IOException {
        byte[] longer = Arrays.copyOf(Files.readAllBytes(tmp.resolve("probe/sha256").resolve(layer.digest().hex())),
                (int) layer.size() + 1);
        fake.script(layer.digest().toString(), new Replace(longer));
        assertThatThrownBy(() -> client().pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.getMessage()).contains(layer.digest().toString()).contains("larger than"));
        assertThat(store.contains(layer.digest())).isFalse();
        assertThat(partial(layer.digest())).doesNotExist();
    }

    @Test
    void aDroppedConnectionKeepsOnlyAPartialFileAndTheNextPullResumesItWithRange() throws IOException {
        fake.script(layer.digest().toString(), new CutAfter(100_000));
        RegistryClient once = new RegistryClient(RegistrySettings.defaults().withTransferAttempts(1));
        assertThatThrownBy(() -> once.pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
                    assertThat(e.getMessage()).contains(layer.digest().toString()).contains("resumes");
                });
        assertThat(store.contains(layer.digest())).isFalse();
        assertThat(partial(layer.digest())).hasSize(100_000);

        PulledImage image = once.pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE);
        assertThat(store.contains(layer.digest())).isTrue();
        assertThat(partial(layer.digest())).doesNotExist();
        assertThat(image.bytesFetched()).isLessThan(layer.size());
        List<FakeRegistry.Request> gets = fake.requests().stream()
                .filter(r -> r.path().endsWith("/blobs/" + layer.digest())).toList();
        assertThat(gets.getLast().range()).isEqualTo("bytes=100000-");
    }

    @Test
    void aRegistryThatIgnoresRangeGetsTheBlobStartedOver() throws IOException {
        fake.rangeSupported(false).script(layer.digest().toString(), new CutAfter(100_000));
        PulledImage image = client().pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE);
        assertThat(store.contains(layer.digest())).isTrue();
        assertThat(image.bytesFetched()).isGreaterThan(100_000 + layer.size() - 1);
    }

    @Test
    void aTransferCutOffWithinAPullIsResumedInThatPull() throws IOException {
        fake.script(layer.digest().toString(), new CutAfter(50_000), new CutAfter(50_000));
        PulledImage image = client().pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE);
        assertThat(store.contains(layer.digest())).isTrue();
        assertThat(fake.requests().stream().filter(r -> r.path().endsWith("/blobs/" + layer.digest()))
                .map(FakeRegistry.Request::range)).endsWith("bytes=50000-", "bytes=100000-");
        assertThat(image.layers()).containsExactly(layer);
    }

    @Test
    void aBodyThatStallsFailsAfterTheReadTimeoutInsteadOfHanging() throws IOException {
        CountDownLatch release = new CountDownLatch(1);
        fake.script(layer.digest().toString(), new StallAfter(10_000, release));
        RegistryClient impatient = new RegistryClient(RegistrySettings.defaults()
                .withTimeouts(Duration.ofSeconds(5), STALL_TIMEOUT).withTransferAttempts(1));
        try {
            assertThatThrownBy(() -> impatient.pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE))
                    .isInstanceOfSatisfying(RegistryException.class,
                            e -> assertThat(e.getMessage()).contains("stalled").contains(layer.digest().toString()));
        } finally {
            release.countDown();
        }
        assertThat(store.contains(layer.digest())).isFalse();
    }

    @Test
    void aManifestDeclaredLargerThanTheCapIsRefusedBeforeItIsRead() {
        fake.script("team/app:v1", new Oversized(5L * 1024 * 1024, true));
        assertThatThrownBy(() -> client().pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.LIMIT);
                    assertThat(e.getMessage()).contains("manifest v1").contains(String.valueOf(5L * 1024 * 1024));
                });
    }

    @Test
    void aManifestWithoutALengthIsCutOffAtTheCap() {
        fake.script("team/app:v1", new Oversized(64L * 1024 * 1024, false));
        assertThatThrownBy(() -> client().pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.LIMIT);
                    assertThat(e.getMessage()).contains("more than " + RegistrySettings.DEFAULT_MAX_MANIFEST_BYTES);
                });
    }

    @Test
    void aManifestThatIsNotWhatTheRegistrySaysItIsIsRefused() {
        fake.digestHeader("sha256:" + "0".repeat(64));
        assertThatThrownBy(() -> client().pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.getMessage()).contains("does not match the digest sha256:" + "0".repeat(64)));
    }

    @Test
    void aManifestPulledByDigestMustHaveThatDigest() throws IOException {
        Digest claimed = Digest.parse("sha256:" + "a".repeat(64));
        fake.manifest("team/app", claimed.toString(), "application/vnd.oci.image.manifest.v1+json",
                "{\"schemaVersion\":2}".getBytes());
        assertThatThrownBy(() -> client().pull(ImageReference.parse(fake.host() + "/team/app@" + claimed), null,
                Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.getMessage()).contains(claimed.toString()).contains("does not match"));
    }

    @Test
    void aRedirectToAnotherHostDoesNotCarryTheAuthorization() throws IOException {
        try (FakeRegistry storage = new FakeRegistry()) {
            storage.blob(Files.readAllBytes(tmp.resolve("probe/sha256").resolve(layer.digest().hex())));
            fake.auth(Auth.BASIC, "alice", "pw-alice")
                    .script(layer.digest().toString(), new Redirect(URI.create("http://localhost:" + storage.port()
                            + "/storage/" + layer.digest())));
            client().pull(ref, null, Credentials.basic("alice", "pw-alice"), store, BuildLog.NONE);
            assertThat(store.contains(layer.digest())).isTrue();
            assertThat(storage.requests()).isNotEmpty().allSatisfy(r -> assertThat(r.authorization()).isNull());
            assertThat(fake.requests().getLast().authorization()).startsWith("Basic ");
        }
    }

    @Test
    void tooManyRedirectsAreRefused() {
        URI self = URI.create("http://" + fake.host() + "/v2/team/app/blobs/" + layer.digest());
        FakeRegistry.Behaviour[] loop = new FakeRegistry.Behaviour[RegistrySettings.DEFAULT_MAX_REDIRECTS + 1];
        Arrays.fill(loop, new Redirect(self));
        fake.script(layer.digest().toString(), loop);
        assertThatThrownBy(() -> client().pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.LIMIT);
                    assertThat(e.getMessage()).contains("more than " + RegistrySettings.DEFAULT_MAX_REDIRECTS);
                });
    }

    @Test
    void aRedirectToPlainHttpOffLoopbackIsRefusedWithoutContactingIt() {
        fake.script(layer.digest().toString(), new Redirect(URI.create("http://blobs.example.com/x")));
        assertThatThrownBy(() -> client().pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.getMessage()).contains("only HTTPS").contains("blobs.example.com"));
    }

    @Test
    void aRegistryThatRefusesEveryTokenFailsOnceInsteadOfLooping() {
        fake.auth(Auth.REFUSE_EVERY_TOKEN, "alice", "pw-alice");
        int before = fake.requests().size();
        assertThatThrownBy(() -> client().pull(ref, null, Credentials.basic("alice", "pw-alice"), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.UNAUTHORIZED);
                    assertThat(e.getMessage()).contains("registry refused the credentials for " + fake.host());
                });
        assertThat(fake.requests().size() - before).isEqualTo(3); // the try, the token, the retry
    }

    @Test
    void aBearerTokenIsFetchedOnceAndReusedForEveryRequestOfThePull() throws IOException {
        fake.auth(Auth.BEARER, "alice", "pw-alice");
        int before = fake.requests().size();
        client().pull(ref, null, Credentials.basic("alice", "pw-alice"), store, BuildLog.NONE);
        List<FakeRegistry.Request> mine = fake.requests().subList(before, fake.requests().size());
        assertThat(mine.stream().filter(r -> r.path().equals("/token"))).hasSize(1);
        assertThat(mine.stream().filter(r -> r.authorization() == null)).hasSize(1); // only the first try
    }

    @Test
    void twoConcurrentPullsOfOneBlobTransferItOnce() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        fake.script(layer.digest().toString(), new Gate(entered, release));
        long before = fake.blobRequests(layer.digest());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            RegistryClient a = client();
            RegistryClient b = client(); // another client, same store: the lock is per store and digest
            Future<PulledImage> first = pool.submit(() -> a.pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE));
            assertThat(entered.await(DEADLINE.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
            Thread[] second = new Thread[1];
            Future<PulledImage> other = pool.submit(() -> {
                second[0] = Thread.currentThread();
                return b.pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE);
            });
            awaitWaitingOnTheBlobLock(second);
            release.countDown();
            PulledImage one = first.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            PulledImage two = other.get(DEADLINE.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(fake.blobRequests(layer.digest()) - before).isEqualTo(1);
            assertThat(one.bytesFetched()).isPositive();
            assertThat(two.bytesFromCache()).isGreaterThanOrEqualTo(layer.size());
        } finally {
            release.countDown();
            pool.shutdownNow();
        }
    }

    private static void awaitWaitingOnTheBlobLock(Thread[] thread) throws InterruptedException {
        long deadline = System.nanoTime() + DEADLINE.toNanos();
        while (System.nanoTime() < deadline) {
            Thread t = thread[0];
            if (t != null && Arrays.stream(t.getStackTrace()).anyMatch(f -> f.getClassName().endsWith("KeyedLocks"))
                    && t.getState() == Thread.State.WAITING) {
                return;
            }
            Thread.onSpinWait();
            Thread.yield();
        }
        throw new AssertionError("the second pull never waited for the blob's lock");
    }

    @Test
    void partialFilesOlderThanADayAreCleanedAndNewerOnesKept() throws IOException {
        fake.script(layer.digest().toString(), new CutAfter(100_000));
        RegistryClient once = new RegistryClient(RegistrySettings.defaults().withTransferAttempts(1));
        assertThatThrownBy(() -> once.pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOf(RegistryException.class);
        PartialBlobs partials = new PartialBlobs(store);
        assertThat(partials.clean(Instant.now().minus(PartialBlobs.ABANDONED_AFTER))).isZero();
        assertThat(partial(layer.digest())).exists();
        Files.setLastModifiedTime(partial(layer.digest()),
                FileTime.from(Instant.now().minus(Duration.ofDays(2))));
        assertThat(partials.clean(Instant.now().minus(PartialBlobs.ABANDONED_AFTER))).isEqualTo(100_000);
        assertThat(partial(layer.digest())).doesNotExist();
    }

    @Test
    void aMissingTagIsNotFoundNamingTheRepositoryAndTag() {
        assertThatThrownBy(() -> client().pull(ImageReference.parse(fake.host() + "/team/app:v9"), null,
                Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.NOT_FOUND);
                    assertThat(e.getMessage()).contains("manifest v9").contains(fake.host() + "/team/app");
                });
    }

    @Test
    void aTokenRealmOverPlainHttpOffLoopbackNeverGetsThePassword() {
        fake.auth(Auth.BEARER, "alice", "pw-alice").realm(URI.create("http://auth.example.com/token"));
        assertThatThrownBy(() -> client().pull(ref, null, Credentials.basic("alice", "pw-alice"), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class,
                        e -> assertThat(e.getMessage()).contains("only HTTPS").contains("auth.example.com"));
    }

    @Test
    void aResumedBlobThatFailsItsDigestIsFetchedAfreshInTheSamePull() throws IOException {
        byte[] good = Files.readAllBytes(tmp.resolve("probe/sha256").resolve(layer.digest().hex()));
        Files.createDirectories(partial(layer.digest()).getParent());
        byte[] bad = Arrays.copyOf(good, 1000);
        bad[0] ^= 1;
        Files.write(partial(layer.digest()), bad); // an earlier transfer kept wrong bytes
        long before = fake.blobRequests(layer.digest());
        client().pull(ref, null, Credentials.anonymous(), store, BuildLog.NONE);
        assertThat(store.contains(layer.digest())).isTrue();
        assertThat(fake.blobRequests(layer.digest()) - before).isEqualTo(2);
        assertThat(fake.requests().getLast().range()).isNull();
    }

    @Test
    void anIndexListingMoreManifestsThanTheBoundIsRefusedBeforeAnyIsFetched() throws IOException {
        StringBuilder index = new StringBuilder("{\"schemaVersion\":2,\"mediaType\":\"" + MediaTypes.OCI_INDEX
                + "\",\"manifests\":[");
        for (int i = 0; i <= ManifestResolver.MAX_DESCRIPTORS_PER_INDEX; i++) {
            index.append(i == 0 ? "" : ",").append("{\"mediaType\":\"").append(MediaTypes.OCI_MANIFEST)
                    .append("\",\"digest\":\"sha256:").append("%064x".formatted(i)).append("\",\"size\":10}");
        }
        fake.manifest("team/app", "wide", MediaTypes.OCI_INDEX, index.append("]}").toString().getBytes());
        int before = fake.requests().size();
        assertThatThrownBy(() -> client().pull(ImageReference.parse(fake.host() + "/team/app:wide"), null,
                Credentials.anonymous(), store, BuildLog.NONE))
                .isInstanceOfSatisfying(RegistryException.class, e -> {
                    assertThat(e.reason()).isEqualTo(Reason.LIMIT);
                    assertThat(e.getMessage()).contains("at most " + ManifestResolver.MAX_DESCRIPTORS_PER_INDEX);
                });
        assertThat(fake.requests().size() - before).isEqualTo(1);
    }

    @Test
    void aSecondPullWithTheSameCredentialsReusesTheCachedTokenAndOtherCredentialsDoNot() throws IOException {
        fake.auth(Auth.BEARER, "alice", "pw-alice");
        try (RegistryClient shared = client()) {
            shared.pull(ref, null, Credentials.basic("alice", "pw-alice"), store, BuildLog.NONE);
            shared.pull(ref, null, Credentials.basic("alice", "pw-alice"), new BlobStore(tmp.resolve("s2")), BuildLog.NONE);
            assertThat(fake.issuedTokens()).hasSize(1);
            assertThatThrownBy(() -> shared.pull(ref, null, Credentials.basic("alice", "not-her-pw"),
                    new BlobStore(tmp.resolve("s3")), BuildLog.NONE))
                    .isInstanceOfSatisfying(RegistryException.class,
                            e -> assertThat(e.reason()).isEqualTo(Reason.UNAUTHORIZED));
        }
    }
}
