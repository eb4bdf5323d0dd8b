package dev.burrow.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.cli.internal.TarWriter;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code burrow cp} both ways against a fake files API, including a hostile guest's tars. */
class CpCommandTest {

    @TempDir
    Path home;
    @TempDir
    Path work;
    private FakeFiles fake;
    private CliHarness cli;

    @BeforeEach
    void start() throws Exception {
        fake = new FakeFiles();
        cli = new CliHarness(home);
        cli.env.put("BURROW_URL", fake.url());
        cli.env.put("BURROW_API_KEY", FakeBurrowd.KEY);
    }

    @AfterEach
    void stop() {
        fake.close();
    }

    @Test
    void aFileComesDownIntoAnExistingDirectoryUnderItsOwnName() throws Exception {
        fake.files.put("/etc/motd", "hello\n".getBytes());
        CliHarness.Result r = cli.run("cp", "vm01:/etc/motd", work.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readString(work.resolve("motd"))).isEqualTo("hello\n");
        r = cli.run("cp", "vm01:/etc/motd", "-");
        assertThat(r.out()).isEqualTo("hello\n");
    }

    @Test
    void aDirectoryComesDownAsATarExtractedUnderTheDestination() throws Exception {
        Path tree = Files.createDirectories(work.resolve("src/app/sub"));
        Files.writeString(tree.resolve("deep.txt"), "deep");
        Files.writeString(work.resolve("src/app/top.txt"), "top");
        Files.setPosixFilePermissions(work.resolve("src/app/top.txt"), PosixFilePermissions.fromString("rwxr-x---"));
        Files.createSymbolicLink(work.resolve("src/app/link"), Path.of("top.txt"));
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        TarWriter.writeTree(work.resolve("src/app"), tar);
        fake.tars.put("/srv/app", tar.toByteArray());

        Path out = Files.createDirectories(work.resolve("out"));
        CliHarness.Result r = cli.run("cp", "vm01files:/srv/app", out.toString());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(Files.readString(out.resolve("app/sub/deep.txt"))).isEqualTo("deep");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(out.resolve("app/top.txt")))).isEqualTo("rwxr-x---");
        assertThat(Files.readSymbolicLink(out.resolve("app/link"))).isEqualTo(Path.of("top.txt"));
    }

    @Test
    @Tag("hostile")
    void aHostileTarNeverWritesOutsideTheDestination() throws Exception {
        Path outside = Files.createDirectories(work.resolve("outside"));
        Path out = work.resolve("out");
        String[][] attacks = {
            {"../escaped", "0"}, {"/tmp/absolute-" + work.getFileName(), "0"}, {"a/../../escaped", "0"},
        };
        for (String[] attack : attacks) {
            ByteArrayOutputStream tar = new ByteArrayOutputStream();
            TarWriter w = new TarWriter(tar);
            w.entry(attack[0], '0', 0644, 3, 0, "", new ByteArrayInputStream("bad".getBytes()));
            w.finish();
            fake.tars.put("/d", tar.toByteArray());
            CliHarness.Result r = cli.run("cp", "vm01files:/d", out.toString());
            assertThat(r.code()).as(attack[0]).isEqualTo(125);
            assertThat(r.err()).as(attack[0]).contains("refusing");
        }
        // a symlink to the outside, then a file "through" it
        ByteArrayOutputStream tar = new ByteArrayOutputStream();
        TarWriter w = new TarWriter(tar);
        w.entry("link", '2', 0777, 0, 0, outside.toString(), null);
        w.entry("link/pwned", '0', 0644, 3, 0, "", new ByteArrayInputStream("bad".getBytes()));
        w.finish();
        fake.tars.put("/d", tar.toByteArray());
        CliHarness.Result r = cli.run("cp", "vm01files:/d", out.toString());
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("symlink");
        try (Stream<Path> left = Files.list(outside)) {
            assertThat(left).isEmpty();
        }
        assertThat(work.resolve("escaped")).doesNotExist();
        assertThat(Path.of("/tmp/absolute-" + work.getFileName())).doesNotExist();
    }

    @Test
    void aCutDownloadFailsAndLeavesTheOldFileAsItWas() throws Exception {
        fake.files.put("/big", "x".repeat(100_000).getBytes());
        fake.cutAfter.put("/big", 1000);
        Path old = Files.writeString(work.resolve("big"), "old");
        CliHarness.Result r = cli.run("cp", "vm01files:/big", old.toString());
        assertThat(r.code()).isEqualTo(125);
        assertThat(Files.readString(old)).isEqualTo("old");
        try (Stream<Path> left = Files.list(work)) {
            assertThat(left).containsExactly(old);
        }
    }

    @Test
    void aDirectoryGoesUpAsOneMkdirOrWritePerEntryWithItsModes() throws Exception {
        Path src = Files.createDirectories(work.resolve("proj/bin"));
        Files.writeString(work.resolve("proj/readme"), "read me");
        Path tool = Files.writeString(src.resolve("tool"), "#!/bin/sh\n");
        Files.setPosixFilePermissions(tool, PosixFilePermissions.fromString("rwxr-xr-x"));
        fake.dirs.put("/home/u", true);

        CliHarness.Result r = cli.run("cp", work.resolve("proj").toString(), "vm01files:/home/u");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(fake.puts).extracting(FakeFiles.Put::path).containsExactly("/home/u/proj", "/home/u/proj/bin", "/home/u/proj/bin/tool",
                "/home/u/proj/readme");
        assertThat(fake.puts.get(0).query()).contains("type=dir");
        FakeFiles.Put put = fake.puts.get(2);
        assertThat(new String(put.body(), StandardCharsets.UTF_8)).isEqualTo("#!/bin/sh\n");
        assertThat(put.query()).contains("mode=0755");
        assertThat(put.contentLength()).isEqualTo("10");
    }

    @Test
    void aFileGoesUpToTheExactPathWhenNothingIsThere() throws Exception {
        Path f = Files.writeString(work.resolve("notes.txt"), "n");
        CliHarness.Result r = cli.run("cp", f.toString(), "vm01files:/root/renamed.txt");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(fake.files.get("/root/renamed.txt")).isEqualTo("n".getBytes());
    }

    @Test
    void oneSideMustBeAMicroVmWithAnAbsolutePath() {
        assertThat(cli.run("cp", "a", "b").err()).contains("one of SRC and DST must be ID:/path");
        CliHarness.Result r = cli.run("cp", "vm01files:relative", "b");
        assertThat(r.code()).isEqualTo(125);
        assertThat(r.err()).contains("must be absolute");
        assertThat(cli.run("cp", "vm01files:/a", "vm01files:/b").err()).contains("not supported");
    }
}
