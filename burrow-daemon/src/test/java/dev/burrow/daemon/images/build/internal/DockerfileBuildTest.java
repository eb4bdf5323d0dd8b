package dev.burrow.daemon.images.build.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.daemon.images.SourceResolver.SourceFailure;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.ResolvedImage;
import dev.burrow.oci.TarEntrySpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DockerfileBuildTest {
    @TempDir
    Path tmp;
    FakeBuild b;

    @BeforeEach
    void setUp() throws Exception {
        b = new FakeBuild(tmp);
    }

    private static final String SIMPLE = """
            FROM minimal
            ENV GREETING=hello
            COPY app.sh /app/
            RUN make
            WORKDIR /app
            CMD ["/app/app.sh"]
            """;

    @Test
    void anUnchangedRebuildTakesEveryLayerFromTheCacheAndGivesTheSameManifest() throws Exception {
        b.files.put("Dockerfile", SIMPLE);
        b.files.put("app.sh", "echo hi\n");
        Descriptor first = b.build("t1");
        assertThat(b.commands).containsExactly("/bin/sh -c make");
        assertThat(b.boots).isEqualTo(1);

        b.log.clear();
        Descriptor second = b.build("t1");
        assertThat(second).isEqualTo(first);
        assertThat(b.commands).hasSize(1);
        assertThat(b.boots).isEqualTo(1);
        assertThat(b.logged("  cached")).hasSize(2); // COPY and RUN; /app exists (COPY made it), so WORKDIR is config only
        assertThat(b.log.getLast()).startsWith("6 steps, 2 cached, 0 run, 3 config-only in");
    }

    @Test
    void theImageHasTheStagesConfigAndALayerPerFileStep() throws Exception {
        b.files.put("Dockerfile", SIMPLE);
        b.files.put("app.sh", "echo hi\n");
        ResolvedImage img = ImageSource.fromStore(b.blobs, b.build("t1")).resolve();
        ImageConfig c = img.config();
        assertThat(c.cmd()).containsExactly("/app/app.sh");
        assertThat(c.workingDir()).isEqualTo("/app");
        assertThat(c.envMap()).containsEntry("GREETING", "hello").containsEntry("PATH", "/usr/bin:/bin");
        assertThat(img.layers()).hasSize(1 + 2); // the base's, COPY, RUN
    }

    @Test
    void aChangedCopyInputRebuildsThatStepAndEveryLaterOne() throws Exception {
        b.files.put("Dockerfile", """
                FROM minimal
                RUN first
                COPY app.sh /app/
                RUN second
                """);
        b.files.put("app.sh", "echo hi\n");
        Descriptor before = b.build("t1");
        b.files.put("app.sh", "echo changed\n");
        b.log.clear();
        Descriptor after = b.build("t1");
        assertThat(after).isNotEqualTo(before);
        assertThat(b.commands).containsExactly("/bin/sh -c first", "/bin/sh -c second", "/bin/sh -c second");
        assertThat(b.logged("  cached")).hasSize(1);
        assertThat(b.log).anyMatch(l -> l.startsWith("4 steps, 1 cached, 2 run"));
    }

    @Test
    void onceTheBuilderRunsLaterLayersMadeOnTheHostAreAppliedIntoIt() throws Exception {
        b.files.put("Dockerfile", """
                FROM minimal
                COPY a /
                RUN one
                COPY b /
                RUN two
                """);
        b.files.put("a", "a");
        b.files.put("b", "b");
        b.build("t1");
        assertThat(b.boots).isEqualTo(1);
        assertThat(b.applied).hasSize(1); // COPY b; COPY a was on the builder's disk
    }

    @Test
    void aCachedRunBeforeTheFirstExecutedOneIsOnTheBuildersDiskNotApplied() throws Exception {
        b.files.put("Dockerfile", "FROM minimal\nRUN one\n");
        b.build("t1");
        b.files.put("Dockerfile", "FROM minimal\nRUN one\nRUN two\n");
        b.applied.clear();
        b.build("t1");
        assertThat(b.boots).isEqualTo(2);
        assertThat(b.applied).isEmpty();
        assertThat(b.commands).containsExactly("/bin/sh -c one", "/bin/sh -c two");
    }

    @Test
    void noCacheRunsEveryStepAgainButStillRecordsItsLayers() throws Exception {
        b.files.put("Dockerfile", "FROM minimal\nRUN one\n");
        b.build("t1");
        b.build("t1", null, true);
        assertThat(b.commands).containsExactly("/bin/sh -c one", "/bin/sh -c one");
        b.build("t1");
        assertThat(b.commands).hasSize(2);
    }

    @Test
    void theCacheIsPerTenant() throws Exception {
        b.files.put("Dockerfile", "FROM minimal\nRUN secret\n");
        b.build("t1");
        b.build("t2");
        assertThat(b.commands).containsExactly("/bin/sh -c secret", "/bin/sh -c secret");
    }

    @Test
    void aFailingRunNamesItsStepLineExitCodeAndLastOutputLines() throws Exception {
        b.files.put("Dockerfile", "FROM minimal\nENV A=1\n\nRUN make\n");
        b.exitCodes.put("make", 2);
        assertThatThrownBy(() -> b.build("t1"))
                .isInstanceOf(SourceFailure.class)
                .hasMessageStartingWith("step 3/3 (Dockerfile line 4) RUN make: exit code 2\n")
                .hasMessageContaining("line 50 of make")
                .hasMessageContaining("line 11 of make")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("line 10 of make"));
        assertThat(b.log).contains("  | line 1 of make");
    }

    @Test
    void aSyntaxErrorFailsNamingItsLineBeforeAnythingBoots() throws Exception {
        b.files.put("Dockerfile", "FROM minimal\nRUNN make\n");
        assertThatThrownBy(() -> b.build("t1")).isInstanceOf(SourceFailure.class).hasMessageStartingWith("Dockerfile line 2: ");
        assertThat(b.boots).isZero();
    }

    @Test
    void stagesTheTargetDoesNotNeedAreSkipped() throws Exception {
        b.files.put("Dockerfile", """
                FROM minimal AS build
                COPY app.sh /out/
                RUN compile
                FROM minimal AS unused
                RUN never
                FROM minimal
                COPY --from=build /out/app.sh /bin/
                """);
        b.files.put("app.sh", "echo built\n");
        b.build("t1");
        assertThat(b.commands).containsExactly("/bin/sh -c compile");
        assertThat(b.log).contains("stage 1 (unused) skipped: the target does not need it");
    }

    @Test
    void aTargetBuildsOnlyItsStageAndWhatItNeeds() throws Exception {
        b.files.put("Dockerfile", """
                FROM minimal AS base
                RUN base
                FROM base AS test
                RUN test
                FROM base
                RUN release
                """);
        b.build("t1", "test", false);
        assertThat(b.commands).containsExactly("/bin/sh -c base", "/bin/sh -c test");
    }

    @Test
    void copyFromAStageReadsThatStagesUnpackedRoot() throws Exception {
        b.files.put("Dockerfile", """
                FROM minimal AS build
                COPY app.sh /out/
                FROM minimal
                COPY --from=build /out/app.sh /bin/
                """);
        b.files.put("app.sh", "echo built\n");
        ResolvedImage img = ImageSource.fromStore(b.blobs, b.build("t1")).resolve();
        assertThat(b.lastCopyTree).isNotNull();
        assertThat(img.layers()).hasSize(2);
        assertThat(b.boots).isZero();
    }

    @Test
    void aStageBuiltFromAnotherStartsFromItsLayersAndConfig() throws Exception {
        b.files.put("Dockerfile", """
                FROM minimal AS base
                ENV FROM_BASE=yes
                RUN base
                FROM base
                RUN more
                """);
        ResolvedImage img = ImageSource.fromStore(b.blobs, b.build("t1")).resolve();
        assertThat(img.layers()).hasSize(3);
        assertThat(img.config().envMap()).containsEntry("FROM_BASE", "yes");
    }

    @Test
    void theTenantsOwnImageIsABase() throws Exception {
        b.ownImages.put("web", b.image("web", ImageConfig.builder().user("1000").build(), List.of(TarEntrySpec.dir("srv"))));
        b.files.put("Dockerfile", "FROM web\nRUN x\n");
        ResolvedImage img = ImageSource.fromStore(b.blobs, b.build("t1")).resolve();
        assertThat(img.config().user()).isEqualTo("1000");
        assertThatThrownBy(() -> b.build("t2")).isInstanceOf(SourceFailure.class)
                .hasMessageStartingWith("Dockerfile line 1: FROM web: no such image; tried your images and public images");
    }

    @Test
    void aWorkdirTheImageHasMakesNoLayer() throws Exception {
        b.files.put("Dockerfile", "FROM minimal\nWORKDIR /etc\nWORKDIR /srv/app\n");
        ResolvedImage img = ImageSource.fromStore(b.blobs, b.build("t1")).resolve();
        assertThat(img.layers()).hasSize(2);
        assertThat(b.log).anyMatch(l -> l.startsWith("3 steps, 0 cached, 1 run, 1 config-only"));
    }

    @Test
    void theWorkDirectoryIsGoneAfterTheBuild() throws Exception {
        b.files.put("Dockerfile", "FROM minimal\nRUN x\n");
        b.build("t1");
        assertThat(Files.exists(tmp.resolve("work"))).isFalse();
    }

    @Test
    void aCopyToADirectoryTheImageHasGoesIntoItEvenWithoutATrailingSlash() throws Exception {
        b.files.put("Dockerfile", "FROM minimal\nCOPY app.sh /etc\nCOPY app.sh /srv/new\n");
        b.files.put("app.sh", "x");
        ResolvedImage img = ImageSource.fromStore(b.blobs, b.build("t1")).resolve();
        assertThat(entries(img.layers().get(1).digest())).contains("etc/app.sh");
        assertThat(entries(img.layers().get(2).digest())).contains("srv/new").doesNotContain("srv/new/app.sh");
    }

    @Test
    void layerPathsHonourWhiteoutsOpaqueDirectoriesAndImpliedParents() throws Exception {
        Descriptor d = b.image("paths", ImageConfig.EMPTY, List.of(TarEntrySpec.dir("a"), TarEntrySpec.file("a/f", "x"),
                TarEntrySpec.file("b/c/g", "y"), TarEntrySpec.dir("gone"), TarEntrySpec.dir("o"), TarEntrySpec.dir("o/in")));
        Descriptor top = b.image("paths-top", ImageConfig.EMPTY, List.of(TarEntrySpec.file(".wh.gone", ""),
                TarEntrySpec.file("o/.wh..wh..opq", ""), TarEntrySpec.file("a/f2", "z")));
        List<StageImage.LayerRef> layers = new java.util.ArrayList<>(StageImage.load(b.blobs, d).image().layers());
        layers.addAll(StageImage.load(b.blobs, top).image().layers());
        LayerPaths p = new LayerPaths(b.blobs);
        assertThat(p.isDirectory(layers, "/a")).isTrue();
        assertThat(p.isDirectory(layers, "/a/f")).isFalse();
        assertThat(p.isDirectory(layers, "/b/c")).isTrue();
        assertThat(p.isDirectory(layers, "/gone")).isFalse();
        assertThat(p.isDirectory(layers, "/o")).isTrue();
        assertThat(p.isDirectory(layers, "/o/in")).isFalse();
        assertThat(p.missing(layers, "/a/x/y")).containsExactly("a/x", "a/x/y");
    }

    private List<String> entries(dev.burrow.oci.Digest layer) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (var in = new org.apache.commons.compress.archivers.tar.TarArchiveInputStream(b.blobs.open(layer))) {
            for (var e = in.getNextEntry(); e != null; e = in.getNextEntry()) {
                out.add(e.getName());
            }
        }
        return out;
    }
}
