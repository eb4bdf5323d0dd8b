package dev.burrow.oci.dockerfile;

import static dev.burrow.oci.TarEntrySpec.dir;
import static dev.burrow.oci.TarEntrySpec.file;
import static dev.burrow.oci.TarEntrySpec.hardlink;
import static dev.burrow.oci.TarEntrySpec.symlink;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.burrow.oci.ImageException;
import dev.burrow.oci.internal.Sha256;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CopyLayerWriterTest {
    @TempDir
    Path tmp;

    private static final CopyLayerWriter.IdLookup NAMES = new CopyLayerWriter.IdLookup() {
        @Override
        public int uid(String user) throws IOException {
            if (user.equals("app")) {
                return 1000;
            }
            throw new ImageException("no user " + user);
        }

        @Override
        public int gid(String group) throws IOException {
            if (group.equals("staff")) {
                return 50;
            }
            throw new ImageException("no group " + group);
        }
    };

    /** One layer entry read back: name, type flag, mode, owner, mtime, content. */
    private record E(String name, char type, int mode, long uid, long gid, Instant mtime, String content, String link) {
    }

    private static List<E> read(byte[] layer) throws IOException {
        List<E> out = new ArrayList<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(layer))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                char type = e.isDirectory() ? 'd' : e.isSymbolicLink() ? 'l' : e.isLink() ? 'h' : 'f';
                String content = type == 'f' ? new String(in.readAllBytes(), StandardCharsets.UTF_8) : null;
                out.add(new E(e.getName(), type, e.getMode() & 07777, e.getLongUserId(), e.getLongGroupId(),
                        e.getLastModifiedTime().toInstant(), content, e.isSymbolicLink() || e.isLink() ? e.getLinkName() : null));
            }
        }
        return out;
    }

    private BuildContext context(byte[] tar) throws IOException {
        return BuildContext.extract(Archives.write(tmp.resolve("ctx.tar"), tar), tmp.resolve("ctx"), ContextLimits.DEFAULT);
    }

    private static Step.CopyStep copy(String dest, String... sources) {
        return new Step.CopyStep(List.of(sources), dest, null, null, null, false, List.of(), "COPY");
    }

    private static byte[] write(CopyLayerWriter w, Step.CopyStep step, BuildContext ctx) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        CopyLayerWriter.Written written = w.write(step, ctx, out);
        assertThat(written.bytes()).isEqualTo(out.size());
        assertThat(written.digest()).isEqualTo(Sha256.of(out.toByteArray()));
        assertThat(written.inputsHash()).isEqualTo(w.inputsHash(step, ctx));
        return out.toByteArray();
    }

    private BuildContext appContext() throws IOException {
        return context(Archives.tar(file("Dockerfile", "FROM x\n"), dir("src"), file("src/b.py", "b").withMode(0755),
                file("src/a.py", "a"), dir("src/pkg"), file("src/pkg/m.py", "m"), symlink("src/link", "a.py"),
                file("README", "r")));
    }

    @Test
    void aDirectorySourceCopiesItsContentsSortedWithModesAndMtimesKept() throws Exception {
        List<E> layer = read(write(new CopyLayerWriter(NAMES), copy("/app/", "src"), appContext()));
        assertThat(layer).extracting(E::name).containsExactly("app/", "app/a.py", "app/b.py", "app/link", "app/pkg/",
                "app/pkg/m.py");
        assertThat(layer.get(2)).isEqualTo(new E("app/b.py", 'f', 0755, 0, 0, Archives.MTIME, "b", null));
        assertThat(layer.get(3)).isEqualTo(new E("app/link", 'l', 0777, 0, 0, Archives.MTIME, null, "a.py"));
    }

    @Test
    void aFileGoesToTheDestinationPathOrIntoADirectoryDestination() throws Exception {
        BuildContext ctx = appContext();
        CopyLayerWriter w = new CopyLayerWriter(NAMES);
        assertThat(read(write(w, copy("/etc/readme.txt", "README"), ctx))).extracting(E::name)
                .containsExactly("etc/readme.txt");
        assertThat(read(write(w, copy("/etc/", "README"), ctx))).extracting(E::name).containsExactly("etc/README");
        CopyLayerWriter existing = new CopyLayerWriter(NAMES, ContextLimits.DEFAULT, p -> p.equals("/etc"));
        assertThat(read(write(existing, copy("/etc", "README"), ctx))).extracting(E::name).containsExactly("etc/README");
        assertThat(read(write(w, copy("/srv/", "src/*.py", "README"), ctx))).extracting(E::name)
                .containsExactly("srv/README", "srv/a.py", "srv/b.py");
    }

    @Test
    void severalSourcesNeedADirectoryDestination() throws Exception {
        BuildContext ctx = appContext();
        assertThatThrownBy(() -> write(new CopyLayerWriter(NAMES), copy("/srv", "README", "src/a.py"), ctx))
                .isInstanceOf(ImageException.class)
                .hasMessage("COPY of several sources needs a directory destination ending in '/', not '/srv'");
    }

    @Test
    void chownAndChmodApplyToEveryEntry() throws Exception {
        BuildContext ctx = appContext();
        Step.CopyStep step = new Step.CopyStep(List.of("src/pkg"), "/app", null, "app:staff", 0640, false, List.of(), "k");
        assertThat(read(write(new CopyLayerWriter(NAMES), step, ctx)))
                .extracting(e -> e.name() + " " + Integer.toOctalString(e.mode()) + " " + e.uid() + ":" + e.gid())
                .containsExactly("app/ 640 1000:50", "app/m.py 640 1000:50");
        Step.CopyStep numeric = new Step.CopyStep(List.of("README"), "/r", null, "7", null, false, List.of(), "k");
        assertThat(read(write(new CopyLayerWriter(CopyLayerWriter.IdLookup.NUMERIC_ONLY), numeric, ctx)).getFirst())
                .extracting(E::uid, E::gid).containsExactly(7L, 7L);
        Step.CopyStep named = new Step.CopyStep(List.of("README"), "/r", null, "nobody", null, false, List.of(), "k");
        assertThatThrownBy(() -> write(new CopyLayerWriter(NAMES), named, ctx)).hasMessage("no user nobody");
    }

    @Test
    void heredocFilesAreWrittenInline() throws Exception {
        Step.CopyStep step = new Step.CopyStep(List.of(), "/etc/", null, null, null, false,
                List.of(new Heredoc("motd", "hello\n", true, false), new Heredoc("issue", "burrow\n", false, false)), "k");
        assertThat(read(write(new CopyLayerWriter(NAMES), step, appContext()))).containsExactly(
                new E("etc/issue", 'f', 0644, 0, 0, Instant.EPOCH, "burrow\n", null),
                new E("etc/motd", 'f', 0644, 0, 0, Instant.EPOCH, "hello\n", null));
    }

    @Test
    void theBytesAreDeterministicAndTheInputsHashIgnoresMtimesOnly() throws Exception {
        byte[] one = write(new CopyLayerWriter(NAMES), copy("/app/", "src"), appContext());
        Path other = tmp.resolve("other");
        Files.createDirectory(other);
        BuildContext again = BuildContext.extract(Archives.write(other.resolve("c.tar"), Archives.tar(
                file("README", "r"), dir("src"), file("src/a.py", "a"), file("src/b.py", "b").withMode(0755), dir("src/pkg"),
                file("src/pkg/m.py", "m"), symlink("src/link", "a.py"))), other.resolve("ctx"), ContextLimits.DEFAULT);
        assertThat(write(new CopyLayerWriter(NAMES), copy("/app/", "src"), again)).isEqualTo(one);

        String base = new CopyLayerWriter(NAMES).inputsHash(copy("/app/", "src"), again);
        Files.setLastModifiedTime(again.root().resolve("src/a.py"), FileTime.from(Instant.EPOCH));
        assertThat(new CopyLayerWriter(NAMES).inputsHash(copy("/app/", "src"), again)).isEqualTo(base);
        Files.writeString(again.root().resolve("src/a.py"), "A");
        assertThat(new CopyLayerWriter(NAMES).inputsHash(copy("/app/", "src"), again)).isNotEqualTo(base);
        Step.CopyStep chowned = new Step.CopyStep(List.of("src"), "/app/", null, "1", null, false, List.of(), "k");
        assertThat(new CopyLayerWriter(NAMES).inputsHash(chowned, again))
                .isNotEqualTo(new CopyLayerWriter(NAMES).inputsHash(copy("/app/", "src"), again));
    }

    @Test
    void copyFromAStageResolvesSymlinksInsideThatRoot() throws Exception {
        Path root = Files.createDirectory(tmp.resolve("stage"));
        Files.createDirectories(root.resolve("usr/bin"));
        Files.writeString(root.resolve("usr/bin/tool"), "tool");
        Files.createSymbolicLink(root.resolve("bin"), Path.of("usr/bin"));
        Files.createDirectories(root.resolve("opt"));
        Files.createSymbolicLink(root.resolve("opt/abs"), Path.of("/usr/bin/tool"));
        Files.createSymbolicLink(root.resolve("opt/up"), Path.of("../../../../usr/bin/tool"));
        Path hostDecoy = Files.writeString(tmp.resolve("decoy"), "host file");
        Files.createSymbolicLink(root.resolve("opt/host"), hostDecoy);
        CopyLayerWriter w = new CopyLayerWriter(NAMES);
        for (String source : List.of("/bin/tool", "opt/abs", "/opt/up")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            w.write(new Step.CopyStep(List.of(source), "/x", "build", null, null, false, List.of(), "k"), root, out);
            assertThat(read(out.toByteArray())).extracting(E::name, E::content).containsExactly(
                    tuple("x", "tool"));
        }
        assertThatThrownBy(() -> w.write(new Step.CopyStep(List.of("/opt/host"), "/x", "build", null, null, false, List.of(),
                "k"), root, new ByteArrayOutputStream())).isInstanceOf(ImageException.class)
                .hasMessage("the source '/opt/host' matches no file in the stage");
        ByteArrayOutputStream dirOut = new ByteArrayOutputStream();
        w.write(new Step.CopyStep(List.of("/bin/"), "/b/", "build", null, null, false, List.of(), "k"), root, dirOut);
        assertThat(read(dirOut.toByteArray())).extracting(E::name).containsExactly("b/", "b/tool");
    }

    @Test
    void addOfALocalTarGzExtractsItIntoTheDestination() throws Exception {
        byte[] inner = Archives.gzip(Archives.tar(dir("pkg"), file("pkg/a", "A").withOwner(5, 6), symlink("pkg/l", "a"),
                hardlink("pkg/h", "pkg/a")));
        BuildContext ctx = context(Archives.tar(file("pkg.tar.gz", inner), file("plain.gz.txt", "not an archive")));
        Step.CopyStep add = new Step.CopyStep(List.of("pkg.tar.gz", "plain.gz.txt"), "/opt/", null, null, null, true,
                List.of(), "k");
        List<E> layer = read(write(new CopyLayerWriter(NAMES), add, ctx));
        assertThat(layer).extracting(E::name, E::type).containsExactly(
                tuple("opt/plain.gz.txt", 'f'),
                tuple("opt/pkg/", 'd'), tuple("opt/pkg/a", 'f'),
                tuple("opt/pkg/l", 'l'), tuple("opt/pkg/h", 'h'));
        assertThat(layer.get(2)).extracting(E::uid, E::gid, E::content).containsExactly(5L, 6L, "A");
        assertThat(layer.get(4).link()).isEqualTo("opt/pkg/a");
        Step.CopyStep copy = new Step.CopyStep(List.of("pkg.tar.gz"), "/opt/", null, null, null, false, List.of(), "k");
        assertThat(read(write(new CopyLayerWriter(NAMES), copy, ctx))).extracting(E::name).containsExactly("opt/pkg.tar.gz");
    }

    @Tag("hostile")
    @Test
    void anAddedArchiveCannotClimbOutOfItsDestination() throws Exception {
        BuildContext ctx = context(Archives.tar(file("evil.tar", Archives.tar(file("../../etc/passwd", "x")))));
        Step.CopyStep add = new Step.CopyStep(List.of("evil.tar"), "/opt/", null, null, null, true, List.of(), "k");
        assertThatThrownBy(() -> new CopyLayerWriter(NAMES).write(add, ctx, new ByteArrayOutputStream()))
                .isInstanceOf(ImageException.class).hasMessage("ADD: archive entry '../../etc/passwd' has a '..' component");
    }

    @Tag("hostile")
    @Test
    void aLayerIsBoundedByTheLimits() throws Exception {
        BuildContext ctx = appContext();
        CopyLayerWriter small = new CopyLayerWriter(NAMES, new ContextLimits(3, 1 << 20, 4096), p -> false);
        assertThatThrownBy(() -> small.write(copy("/app/", "src"), ctx, new ByteArrayOutputStream()))
                .hasMessage("the layer would hold more than 3 entries");
    }
}
