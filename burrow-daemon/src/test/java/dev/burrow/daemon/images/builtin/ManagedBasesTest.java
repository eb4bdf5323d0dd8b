package dev.burrow.daemon.images.builtin;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.ImageUnpacker;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.oci.ResolvedImage;
import dev.burrow.oci.TarEntrySpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ManagedBasesTest {
    private static final DebianSource BOOKWORM = new DebianSource("bookworm", "http://deb.debian.org/debian");
    private static final Duration DEADLINE = Duration.ofSeconds(30);

    @TempDir
    Path tmp;

    /** Bases whose layouts a fake writes (one tiny layer), counting how often it is asked. */
    private ManagedBases fake(AtomicInteger builds, ManagedBases.LayoutMaker before) {
        return new ManagedBases(tmp.resolve("cache"), tmp.resolve("work"), () -> BOOKWORM, BuiltinImages.HOST_BUSYBOX,
                (base, target) -> {
                    builds.incrementAndGet();
                    if (before != null) {
                        before.make(base, target);
                    }
                    new OciLayoutWriter(base.config()).addLayer(List.of(TarEntrySpec.file("etc/base", base.name() + "\n")))
                            .writeLayout(target);
                    return target;
                });
    }

    @Test
    void theFamilyIsMinimalPythonAndNodeInThatOrder() {
        ManagedBases bases = new ManagedBases(tmp, tmp);
        assertThat(bases.all()).extracting(ManagedBase::name).containsExactly("minimal", "python", "node");
        assertThat(bases.find("python")).get().extracting(ManagedBase::debianPackages).isEqualTo(List.of("python3"));
        assertThat(bases.find("node")).get().extracting(ManagedBase::debianPackages).isEqualTo(List.of("nodejs"));
        assertThat(bases.find("minimal")).get().extracting(ManagedBase::kind).isEqualTo(ManagedBase.Kind.BUSYBOX);
        assertThat(bases.find("Python")).isEmpty();
        assertThat(bases.find("ubuntu")).isEmpty();
    }

    @Test
    void eachBaseRunsItsInterpreterAsCmdInTheRootWithTheBurrowPath() {
        for (ManagedBase b : ManagedBases.select("")) {
            ImageConfig c = b.config();
            assertThat(c.workingDir()).isEqualTo("/");
            assertThat(c.envMap()).containsEntry("PATH", BuiltinImages.PATH).containsEntry("LANG", "C.UTF-8");
            assertThat(c.labels()).containsEntry("dev.burrow.managed-base", b.name());
        }
        assertThat(ManagedBases.named("minimal").orElseThrow().config().cmd()).containsExactly("/bin/sh");
        assertThat(ManagedBases.named("python").orElseThrow().config().cmd()).containsExactly("python3");
        assertThat(ManagedBases.named("node").orElseThrow().config().cmd()).containsExactly("node");
    }

    @Test
    void theArnOfABaseIsAwsOwnedAndEndsWithItsName() {
        ManagedBase python = ManagedBases.named("python").orElseThrow();
        assertThat(python.arn("us-east-1")).isEqualTo("arn:aws:lambda:us-east-1:aws:microvm-image:python");
        assertThatThrownBy(() -> python.arn("us east")).isInstanceOf(IllegalArgumentException.class);
        assertThat(python.stamp()).isEqualTo("python/r" + python.recipeVersion());
    }

    @Test
    void aSettingSelectsBasesByNameOnceEachAndNoneSelectsNothing() {
        assertThat(ManagedBases.select(null)).extracting(ManagedBase::name).containsExactly("minimal", "python", "node");
        assertThat(ManagedBases.select(" node, minimal ,node")).extracting(ManagedBase::name).containsExactly("node", "minimal");
        assertThat(ManagedBases.select("NONE")).isEmpty();
        assertThatThrownBy(() -> ManagedBases.select("minimal,ruby"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("BURROW_MANAGED_BASES")
                .hasMessageContaining("'ruby'")
                .hasMessageContaining("minimal, python, node, or none");
    }

    @Test
    void cacheEntriesAreKeyedByRecipeVersionSuiteAndMirror() throws Exception {
        ManagedBases bases = fake(new AtomicInteger(), null);
        ManagedBase python = bases.find("python").orElseThrow();
        String name = bases.cachePath(python).getFileName().toString();
        assertThat(name).startsWith("base-python-bookworm-r" + python.recipeVersion() + "-");
        // the demo's cache entry (same suite and mirror) is another one: its config differs
        assertThat(name).isNotEqualTo(DebianPythonImage.cacheName(BOOKWORM));
        ManagedBases otherMirror = new ManagedBases(tmp.resolve("cache"), tmp.resolve("work"),
                new DebianSource("bookworm", "http://mirror.example/debian"));
        assertThat(otherMirror.cachePath(python)).isNotEqualTo(bases.cachePath(python));
        ManagedBase newer = new ManagedBase("python", python.description(), python.recipeVersion() + 1, python.kind(),
                python.debianPackages(), python.config());
        assertThat(bases.cachePath(newer)).isNotEqualTo(bases.cachePath(python));
    }

    @Test
    void aBaseIsBuiltOnceAndThenReadFromTheCacheEvenByAnotherInstance() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        Path first = fake(builds, null).layout("node");
        assertThat(first.resolve("index.json")).isRegularFile();
        assertThat(fake(builds, null).layout("node")).isEqualTo(first);
        assertThat(builds).hasValue(1);
        assertThatThrownBy(() -> fake(builds, null).layout("ruby"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no managed base 'ruby'");
    }

    @Test
    void concurrentCallersForOneBaseWaitForASingleBuild() throws Exception {
        int callers = 6;
        AtomicInteger builds = new AtomicInteger();
        ManagedBases[] bases = new ManagedBases[1];
        // the one build holds on until every other caller is queued behind it
        bases[0] = fake(builds, (base, target) -> {
            long deadline = System.nanoTime() + DEADLINE.toNanos();
            while (bases[0].waiting(base.name()) < callers - 1) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("only " + bases[0].waiting(base.name()) + " callers queued");
                }
                Thread.onSpinWait();
            }
            return target;
        });
        List<Future<Path>> answers = new ArrayList<>();
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (int i = 0; i < callers; i++) {
                answers.add(pool.submit(() -> bases[0].layout("python")));
            }
        }
        Path expected = bases[0].cachePath(bases[0].find("python").orElseThrow());
        for (Future<Path> a : answers) {
            assertThat(a.get()).isEqualTo(expected);
        }
        assertThat(builds).hasValue(1);
    }

    @Test
    void aFailedBuildIsTriedAgainByTheNextCaller() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        ManagedBases failing = fake(builds, (base, target) -> {
            if (builds.get() == 1) {
                throw new IOException("mirror unreachable");
            }
            return target;
        });
        assertThatThrownBy(() -> failing.layout("python")).hasMessageContaining("mirror unreachable");
        assertThat(failing.layout("python").resolve("index.json")).isRegularFile();
        assertThat(builds).hasValue(2);
    }

    @Test
    void aBaseGoesIntoABlobStoreAsAManifestThatOpensAgainAndAnUnknownNameIsEmpty() throws Exception {
        AtomicInteger builds = new AtomicInteger();
        ManagedBases bases = fake(builds, null);
        BlobStore store = new BlobStore(Files.createDirectories(tmp.resolve("blobs")));
        Descriptor manifest = bases.manifest("python", store).orElseThrow();
        assertThat(store.contains(manifest.digest())).isTrue();
        ResolvedImage image = ImageSource.fromStore(store, manifest).resolve();
        assertThat(image.config()).isEqualTo(bases.find("python").orElseThrow().config());
        assertThat(bases.manifest("python", store)).contains(manifest); // the same bytes: the same digest
        assertThat(bases.manifest("ruby", store)).isEmpty();
        assertThat(builds).hasValue(1);
    }

    @Test
    void theMinimalBaseIsTheBusyboxRootWithTheBaseConfig() throws Exception {
        assumeTrue(Files.isRegularFile(BuiltinImages.HOST_BUSYBOX), "the host has no /bin/busybox: apt-get install busybox-static");
        ManagedBases bases = new ManagedBases(tmp.resolve("cache"), tmp.resolve("work"), BOOKWORM);
        Path layout = bases.layout("minimal");
        assertThat(layout.getParent()).isEqualTo(tmp.resolve("cache"));
        assertThat(layout.getFileName().toString()).matches("base-minimal-r1-[0-9a-f]{8}");
        assertThat(bases.layout("minimal")).isEqualTo(layout);
        List<String> warnings = new ArrayList<>();
        ImageUnpacker.Result r = BuiltinTestSupport.unpack(layout, tmp, tmp.resolve("root"), warnings);
        assertThat(warnings).isEmpty();
        assertThat(r.config()).isEqualTo(ManagedBases.named("minimal").orElseThrow().config());
        assertThat(Files.readSymbolicLink(tmp.resolve("root/bin/sh"))).hasToString("/bin/busybox");
        // nothing is left behind in the cache but the layout
        try (var s = Files.list(tmp.resolve("cache"))) {
            assertThat(s.toList()).containsExactly(layout);
        }
    }
}
