package dev.burrow.vmm.kernel;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class InitramfsBuilderTest {
    private static final byte[] ALPHA = "alpha module bytes".getBytes(StandardCharsets.UTF_8);
    private static final byte[] BETA = "beta module, stored xz-compressed, of odd length!".getBytes(StandardCharsets.UTF_8);

    @TempDir
    Path tmp;
    private GuestKernel kernel;
    private Path agent;
    private final InitramfsBuilder builder = new InitramfsBuilder();

    @BeforeEach
    void fakeKernel() throws IOException {
        Path modules = Files.createDirectories(tmp.resolve("k/lib/modules/9.9.9-test"));
        Files.createDirectories(modules.resolve("kernel/a"));
        Files.createDirectories(modules.resolve("kernel/b"));
        Files.createDirectories(modules.resolve("kernel/z"));
        Files.write(modules.resolve("kernel/a/alpha.ko"), ALPHA);
        try (OutputStream out = new XZOutputStream(Files.newOutputStream(modules.resolve("kernel/b/beta-mod.ko.xz")),
                new LZMA2Options())) {
            out.write(BETA);
        }
        Files.write(modules.resolve("kernel/z/zeta.ko.zst"), new byte[] {0x28, (byte) 0xb5, 0x2f, (byte) 0xfd});
        Files.writeString(modules.resolve("modules.dep"), """
                kernel/a/alpha.ko: kernel/b/beta-mod.ko.xz
                kernel/b/beta-mod.ko.xz:
                kernel/z/zeta.ko.zst:
                """);
        Files.writeString(modules.resolve("modules.builtin"), "kernel/fs/ext4/ext4.ko\n");
        Path vmlinuz = Files.writeString(tmp.resolve("k/vmlinuz-9.9.9-test"), "kernel");
        kernel = new GuestKernel(vmlinuz, modules, "9.9.9-test", "linux-image-9.9.9-test", "9.9.9-1");
        agent = Files.write(tmp.resolve("agent"), new byte[] {0x7f, 'E', 'L', 'F', 1, 2, 3});
    }

    @Test
    void archiveHoldsInitDirectoriesConsoleAndModulesInLoadOrder() throws Exception {
        Path out = builder.build(kernel, agent, List.of("alpha", "ext4"), tmp.resolve("initrd.gz"));
        List<CpioReader.Entry> entries = CpioReader.readGzip(out);

        assertThat(entries).extracting(CpioReader.Entry::name).containsExactly(
                "burrow", "burrow/modules", "burrow/modules.order", "burrow/modules/01-beta_mod.ko",
                "burrow/modules/02-alpha.ko", "dev", "dev/console", "init", "newroot", "proc", "sys");
        CpioReader.Entry init = CpioReader.find(entries, "init");
        assertThat(init.mode()).isEqualTo(0100755);
        assertThat(init.data()).isEqualTo(Files.readAllBytes(agent));
        CpioReader.Entry console = CpioReader.find(entries, "dev/console");
        assertThat(console.type()).isEqualTo(0020000);
        assertThat(console.permissions()).isEqualTo(0600);
        assertThat(console.rdevMajor()).isEqualTo(5);
        assertThat(console.rdevMinor()).isEqualTo(1);
        assertThat(CpioReader.find(entries, "burrow/modules").mode()).isEqualTo(040755);
        assertThat(CpioReader.find(entries, "burrow/modules/01-beta_mod.ko").data()).isEqualTo(BETA);
        assertThat(CpioReader.find(entries, "burrow/modules/02-alpha.ko").data()).isEqualTo(ALPHA);
        assertThat(CpioReader.find(entries, "burrow/modules/02-alpha.ko").mode()).isEqualTo(0100644);
        assertThat(CpioReader.find(entries, "burrow/modules.order").text())
                .isEqualTo("/burrow/modules/01-beta_mod.ko\n/burrow/modules/02-alpha.ko\n");
        assertThat(entries).allSatisfy(e -> {
            assertThat(e.mtime()).isZero();
            assertThat(e.uid()).isZero();
            assertThat(e.gid()).isZero();
        });
        assertThat(entries).extracting(CpioReader.Entry::inode).doesNotHaveDuplicates();
    }

    @Test
    void sameInputsGiveTheSameBytes() throws Exception {
        Path a = builder.build(kernel, agent, List.of("alpha"), tmp.resolve("a.gz"));
        Path b = builder.build(kernel, agent, List.of("alpha"), tmp.resolve("b.gz"));
        assertThat(Files.readAllBytes(a)).isEqualTo(Files.readAllBytes(b));
    }

    @Test
    void zstdModulesAreRefusedNamingTheFile() {
        assertThatThrownBy(() -> builder.build(kernel, agent, List.of("zeta"), tmp.resolve("z.gz")))
                .isInstanceOf(KernelException.class)
                .hasMessageContaining("zeta.ko.zst")
                .hasMessageContaining("zstd");
        assertThat(tmp.resolve("z.gz")).doesNotExist();
    }

    @Test
    void ensureBuildsOnceAndKeysOnTheInputs() throws Exception {
        Path cache = tmp.resolve("cache");
        Path first = builder.ensure(kernel, agent, List.of("alpha"), cache);
        assertThat(first.getParent()).isEqualTo(cache.resolve("initramfs"));
        assertThat(first.getFileName().toString()).matches("[0-9a-f]{64}\\.cpio\\.gz");
        Files.setLastModifiedTime(first, java.nio.file.attribute.FileTime.fromMillis(1000));

        assertThat(builder.ensure(kernel, agent, List.of("alpha"), cache)).isEqualTo(first);
        assertThat(Files.getLastModifiedTime(first).toMillis()).as("not rebuilt").isEqualTo(1000);

        assertThat(builder.ensure(kernel, agent, List.of("beta-mod"), cache)).isNotEqualTo(first);
        Files.write(agent, new byte[] {9});
        assertThat(builder.ensure(kernel, agent, List.of("alpha"), cache)).isNotEqualTo(first);
        try (var files = Files.list(cache.resolve("initramfs"))) {
            assertThat(files.map(p -> p.getFileName().toString())).hasSize(3).noneMatch(n -> n.endsWith(".tmp"));
        }
    }

    @Test
    void aMissingAgentIsAnActionableError() {
        assertThatThrownBy(() -> builder.build(kernel, tmp.resolve("nope"), List.of(), tmp.resolve("x.gz")))
                .isInstanceOf(KernelException.class)
                .hasMessageContaining(tmp.resolve("nope").toString())
                .hasMessageContaining("make -C guest");
    }
}
