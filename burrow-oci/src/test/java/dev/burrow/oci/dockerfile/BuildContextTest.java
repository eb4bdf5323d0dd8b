package dev.burrow.oci.dockerfile;

import static dev.burrow.oci.TarEntrySpec.dir;
import static dev.burrow.oci.TarEntrySpec.file;
import static dev.burrow.oci.TarEntrySpec.hardlink;
import static dev.burrow.oci.TarEntrySpec.symlink;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.oci.ImageException;
import dev.burrow.oci.TarEntrySpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BuildContextTest {
    @TempDir
    Path tmp;

    private BuildContext extract(byte[] archive) throws IOException {
        return extract(archive, ContextLimits.DEFAULT);
    }

    private BuildContext extract(byte[] archive, ContextLimits limits) throws IOException {
        Path a = Archives.write(tmp.resolve("ctx.archive"), archive);
        return BuildContext.extract(a, tmp.resolve("ctx"), limits);
    }

    private static List<String> paths(List<ContextEntry> entries) {
        return entries.stream().map(ContextEntry::path).toList();
    }

    @Test
    void aGzippedTarIsExtractedPrivatelyWithModesAndMtimesKept() throws Exception {
        BuildContext ctx = extract(Archives.gzip(Archives.tar(file("Dockerfile", "FROM busybox\n"),
                dir("src"), file("src/run.sh", "#!/bin/sh\n").withMode(04755), symlink("src/link", "run.sh"))));
        assertThat(ctx.dockerfile(null)).isEqualTo("FROM busybox\n");
        assertThat(Files.getAttribute(ctx.root(), "unix:mode")).isEqualTo(040700);
        ContextEntry run = ctx.resolve("src/run.sh").getFirst();
        assertThat(run.mode()).isEqualTo(04755);
        assertThat(run.mtime()).isEqualTo(Archives.MTIME);
        assertThat(run.uid()).isZero();
        assertThat(paths(ctx.walk(ctx.resolve("src").getFirst()))).containsExactly("src/link", "src/run.sh");
        assertThat(Files.isSymbolicLink(ctx.root().resolve("src/link"))).isTrue();
    }

    @Test
    void aZipIsExtractedWithItsSymlinks() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Archives.zip(out, Archives.Z.file("Dockerfile", "FROM x\n"), Archives.Z.file("app/main.py", "print(1)\n"),
                Archives.Z.symlink("app/alias.py", "main.py"));
        BuildContext ctx = extract(out.toByteArray());
        assertThat(ctx.dockerfile("Dockerfile")).isEqualTo("FROM x\n");
        assertThat(Files.readString(ctx.resolve("app/alias.py").getFirst().hostPath())).isEqualTo("print(1)\n");
        assertThat(Files.readSymbolicLink(ctx.root().resolve("app/alias.py")).toString()).isEqualTo("main.py");
    }

    @Test
    void globsMatchInNameOrderAndNothingMatchingNamesTheSource() throws Exception {
        BuildContext ctx = extract(Archives.tar(file("b.txt", "b"), file("a.txt", "a"), file("c.md", "c"),
                dir("d"), file("d/x.txt", "x")));
        assertThat(paths(ctx.resolve("*.txt"))).containsExactly("a.txt", "b.txt");
        assertThat(paths(ctx.resolve("/?/*.txt"))).containsExactly("d/x.txt");
        assertThatThrownBy(() -> ctx.resolve("*.py")).isInstanceOf(ImageException.class)
                .hasMessage("the source '*.py' matches no file in the build context");
        assertThatThrownBy(() -> ctx.resolve("missing")).hasMessageStartingWith("the source 'missing' matches no file");
    }

    @Test
    void dockerignoreHidesFilesButNotTheDockerfile() throws Exception {
        BuildContext ctx = extract(Archives.tar(file(".dockerignore", "Dockerfile\n*.log\nsecrets\n!secrets/public.pem\n"),
                file("Dockerfile", "FROM a\n"), file("app.log", "l"), file("app.py", "p"), dir("secrets"),
                file("secrets/key", "k"), file("secrets/public.pem", "pub")));
        assertThat(ctx.dockerfile(null)).isEqualTo("FROM a\n");
        assertThatThrownBy(() -> ctx.resolve("app.log")).hasMessageContaining(".dockerignore excludes it");
        assertThat(paths(ctx.resolve("*"))).containsExactly(".dockerignore", "app.py", "secrets");
        assertThat(paths(ctx.walk(ctx.resolve("secrets").getFirst()))).containsExactly("secrets/public.pem");
    }

    @Test
    void aSymlinkNamedAsSourceIsFollowedInsideTheContextOnly() throws Exception {
        BuildContext ctx = extract(Archives.tar(dir("real"), file("real/f", "data"), symlink("inside", "real"),
                symlink("out", "../../etc"), symlink("abs", "/etc/passwd"), symlink("loop", "loop")));
        assertThat(ctx.resolve("inside/f").getFirst().hostPath()).isEqualTo(ctx.root().resolve("real/f"));
        assertThat(ctx.resolve("inside").getFirst().kind()).isEqualTo(ContextEntry.Kind.DIRECTORY);
        assertThatThrownBy(() -> ctx.resolve("out/passwd")).isInstanceOf(ImageException.class)
                .hasMessage("the source 'out/passwd' goes through the symlink 'out' pointing outside the build context");
        assertThatThrownBy(() -> ctx.resolve("abs")).hasMessageContaining("pointing outside the build context");
        assertThatThrownBy(() -> ctx.resolve("../x")).hasMessage("the source '../x' is outside the build context");
        assertThatThrownBy(() -> ctx.resolve("loop")).hasMessageContaining("too many levels of symbolic links");
    }

    @Test
    void aHardLinkIsExtractedAsTheSameFile() throws Exception {
        BuildContext ctx = extract(Archives.tar(file("a", "same"), hardlink("b", "a")));
        assertThat(Files.readString(ctx.resolve("b").getFirst().hostPath())).isEqualTo("same");
    }

    @Test
    void theDockerfileIsRequiredAndBounded() throws Exception {
        BuildContext ctx = extract(Archives.tar(file("Dockerfile.big", "#".repeat(ContextLimits.MAX_DOCKERFILE_BYTES + 1))));
        assertThatThrownBy(() -> ctx.dockerfile(null)).hasMessage("the build context has no file 'Dockerfile'");
        assertThatThrownBy(() -> ctx.dockerfile("Dockerfile.big")).hasMessageContaining("larger than the limit");
    }

    @Tag("hostile")
    @Test
    void zipSlipAndAbsoluteNamesAreRefusedNamingTheEntry() {
        assertThatThrownBy(() -> extract(Archives.tar(file("../evil", "x"))))
                .isInstanceOf(ImageException.class).hasMessage("context entry '../evil' has a '..' component");
        assertThatThrownBy(() -> extract(Archives.tar(file("a/../../evil", "x"))))
                .hasMessage("context entry 'a/../../evil' has a '..' component");
        assertThatThrownBy(() -> extract(Archives.tar(file("/etc/cron.d/evil", "x"))))
                .hasMessage("context entry '/etc/cron.d/evil' has an absolute name");
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        assertThatThrownBy(() -> {
            Archives.zip(zip, Archives.Z.file("../../zipslip", "x"));
            extract(zip.toByteArray());
        }).hasMessage("context entry '../../zipslip' has a '..' component");
        assertThat(tmp.getParent().resolve("evil")).doesNotExist();
    }

    @Tag("hostile")
    @Test
    void anEntryIsNeverWrittenThroughASymlink() throws Exception {
        Path outside = Files.createDirectory(tmp.resolve("outside"));
        assertThatThrownBy(() -> extract(Archives.tar(symlink("esc", outside.toString()), file("esc/pwned", "x"))))
                .isInstanceOf(ImageException.class)
                .hasMessage("context entry 'esc/pwned' would be written through the symlink 'esc'");
        assertThat(outside.resolve("pwned")).doesNotExist();
        Path target = Files.writeString(tmp.resolve("victim"), "keep");
        BuildContext ctx = extract2(Archives.tar(symlink("f", target.toString()), file("f", "replaced")));
        assertThat(Files.readString(target)).isEqualTo("keep");
        assertThat(Files.isSymbolicLink(ctx.root().resolve("f"))).isFalse();
    }

    private BuildContext extract2(byte[] archive) throws IOException {
        Path a = Archives.write(tmp.resolve("ctx2.archive"), archive);
        return BuildContext.extract(a, tmp.resolve("ctx2"), ContextLimits.DEFAULT);
    }

    @Test
    void somethingThatIsNotAnArchiveIsRefused() {
        assertThatThrownBy(() -> extract("just text, no tar header here".repeat(40).getBytes()))
                .isInstanceOf(ImageException.class)
                .hasMessageStartingWith("the build context could not be extracted (is it a tar or zip archive?)");
    }

    @Tag("hostile")
    @Test
    void globsThroughSymlinkLoopsAreBounded() throws Exception {
        List<TarEntrySpec> entries = new ArrayList<>();
        for (int i = 0; i < 60; i++) {
            entries.add(symlink("l" + i, "."));
        }
        BuildContext ctx = extract(Archives.tar(entries.toArray(new TarEntrySpec[0])));
        assertThatThrownBy(() -> ctx.resolve("*/*/*/*/x")).isInstanceOf(ImageException.class)
                .hasMessage("the source '*/*/*/*/x' matches more than 100000 paths");
        assertThatThrownBy(() -> ctx.resolve("*".repeat(5000))).hasMessageContaining("pattern longer than 4096");
    }

    @Tag("hostile")
    @Test
    void deviceNodesAreRefused() {
        assertThatThrownBy(() -> extract(Archives.tar(TarEntrySpec.charDevice("dev/mem", 1, 1))))
                .hasMessageStartingWith("context entry 'dev/mem' is a device node");
        assertThatThrownBy(() -> extract(Archives.tar(TarEntrySpec.fifo("p"))))
                .hasMessageStartingWith("context entry 'p' is a device node, FIFO");
    }

    @Tag("hostile")
    @Test
    void aZipBombCannotPassTheTotal() throws Exception {
        Path bomb = tmp.resolve("bomb.zip");
        try (OutputStream out = Files.newOutputStream(bomb); ZipArchiveOutputStream zip = new ZipArchiveOutputStream(out)) {
            byte[] zeros = new byte[1 << 20];
            for (int i = 0; i < 4; i++) {
                zip.putArchiveEntry(new ZipArchiveEntry("zeros" + i));
                for (int k = 0; k < 16; k++) {
                    zip.write(zeros);
                }
                zip.closeArchiveEntry();
            }
        }
        assertThat(Files.size(bomb)).isLessThan(1 << 20);
        ContextLimits limits = new ContextLimits(100, 40L << 20, 4096);
        assertThatThrownBy(() -> BuildContext.extract(bomb, tmp.resolve("b"), limits)).isInstanceOf(ImageException.class)
                .hasMessage("the build context is larger than the limit of " + (40L << 20) + " bytes (at 'zeros2')");
    }

    @Tag("hostile")
    @Test
    void aTarDeclaringMoreThanTheTotalIsRefusedBeforeReading() {
        ContextLimits limits = new ContextLimits(100, 1000, 4096);
        assertThatThrownBy(() -> extract(Archives.tar(file("big", new byte[1001])), limits))
                .hasMessage("the build context is larger than the limit of 1000 bytes (at 'big')");
    }

    @Tag("hostile")
    @Test
    void twoHundredThousandEntriesAreRefusedAtTheLimit() throws Exception {
        Path many = tmp.resolve("many.tar.gz");
        try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(many));
                TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            for (int i = 0; i < 200_000; i++) {
                TarArchiveEntry e = new TarArchiveEntry("d/" + i + "/");
                tar.putArchiveEntry(e);
                tar.closeArchiveEntry();
            }
        }
        // the default (100 000) works the same way; a lower limit keeps the test from creating 100 000 directories
        ContextLimits limits = new ContextLimits(1000, ContextLimits.DEFAULT_MAX_TOTAL_BYTES, 4096);
        assertThatThrownBy(() -> BuildContext.extract(many, tmp.resolve("m"), limits))
                .hasMessage("the build context has more than 1000 entries (at 'd/1000/')");
    }

    @Tag("hostile")
    @Test
    void overLongNamesAndSymlinkTargetsAreRefused() {
        String longName = "a/".repeat(2100) + "f";
        assertThatThrownBy(() -> extract(Archives.tar(file(longName, "x"))))
                .hasMessageContaining("has a name longer than 4096 characters");
        assertThatThrownBy(() -> extract(Archives.tar(symlink("l", "x".repeat(5000)))))
                .hasMessage("context entry 'l' has an empty, over-long or NUL symlink target");
    }
}
