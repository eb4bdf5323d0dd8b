package dev.burrow.vmm.kernel.internal;

import dev.burrow.vmm.kernel.ModuleResolver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.tukaani.xz.LZMA2Options;
import org.tukaani.xz.XZOutputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class ModuleIndexerTest {
    @TempDir
    Path dir;

    /** A minimal ELF64 LE object whose only content is a .modinfo section. */
    static byte[] elf(String... modinfo) {
        byte[] names = "\0.shstrtab\0.modinfo\0".getBytes(StandardCharsets.US_ASCII);
        byte[] info = (String.join("\0", modinfo) + "\0").getBytes(StandardCharsets.UTF_8);
        int infoOff = 64 + names.length;
        int shoff = (infoOff + info.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(shoff + 3 * 64).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[] {0x7f, 'E', 'L', 'F', 2, 1, 1});
        b.putShort(0x10, (short) 1).putShort(0x12, (short) 62).putLong(0x28, shoff)
                .putShort(0x34, (short) 64).putShort(0x3A, (short) 64).putShort(0x3C, (short) 3)
                .putShort(0x3E, (short) 1);
        b.put(64, names).put(infoOff, info);
        section(b, shoff + 64, 1, 3, 64, names.length);
        section(b, shoff + 128, 11, 1, infoOff, info.length);
        return b.array();
    }

    private static void section(ByteBuffer b, int at, int name, int type, long offset, long size) {
        b.putInt(at, name).putInt(at + 4, type).putLong(at + 0x18, offset).putLong(at + 0x20, size);
    }

    private void module(String path, String... modinfo) throws IOException {
        Path file = dir.resolve(path);
        Files.createDirectories(file.getParent());
        if (path.endsWith(".xz")) {
            try (OutputStream out = new XZOutputStream(Files.newOutputStream(file), new LZMA2Options())) {
                out.write(elf(modinfo));
            }
        } else {
            Files.write(file, elf(modinfo));
        }
    }

    @Test
    void writesDepmodStyleFilesFromModinfo() throws Exception {
        module("kernel/fs/ext4/ext4.ko.xz", "softdep=pre: crypto-crc32c", "alias=fs-ext4",
                "depends=jbd2,mbcache,crc16", "name=ext4");
        module("kernel/fs/jbd2/jbd2.ko.xz", "softdep=pre: crypto-crc32c", "depends=", "name=jbd2");
        module("kernel/fs/mbcache.ko", "depends=", "name=mbcache");
        module("kernel/lib/crc16.ko", "depends=", "name=crc16");
        module("kernel/crypto/crc32c_generic.ko", "alias=crypto-crc32c", "alias=crc32c", "depends=",
                "name=crc32c_generic");
        module("kernel/arch/x86/crypto/crc32c-intel.ko", "alias=crypto-crc32c", "depends=", "name=crc32c_intel");
        module("kernel/drivers/char/hw_random/virtio-rng.ko", "depends=virtio_ring,virtio", "name=virtio_rng");
        module("kernel/drivers/virtio/virtio.ko", "depends=", "name=virtio");
        module("kernel/drivers/virtio/virtio_ring.ko", "depends=virtio", "name=virtio_ring");
        Files.write(dir.resolve("modules.builtin.modinfo"),
                "crc32.file=lib/crc32\0crc32.alias=crc32-builtin\0".getBytes(StandardCharsets.UTF_8));

        ModuleIndexer.index(dir);

        assertThat(Files.readAllLines(dir.resolve("modules.dep"))).contains(
                "kernel/fs/ext4/ext4.ko.xz: kernel/lib/crc16.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko.xz",
                "kernel/drivers/char/hw_random/virtio-rng.ko: kernel/drivers/virtio/virtio_ring.ko"
                        + " kernel/drivers/virtio/virtio.ko",
                "kernel/fs/mbcache.ko:");
        assertThat(Files.readAllLines(dir.resolve("modules.softdep")))
                .containsExactly("softdep ext4 pre: crypto-crc32c", "softdep jbd2 pre: crypto-crc32c");
        assertThat(Files.readAllLines(dir.resolve("modules.alias")))
                .contains("alias fs-ext4 ext4", "alias crypto-crc32c crc32c_intel", "alias crc32c crc32c_generic");
        assertThat(Files.readAllLines(dir.resolve("modules.builtin.alias"))).contains("alias crc32-builtin crc32");

        List<String> order = ModuleResolver.load(dir).loadOrder(List.of("ext4", "virtio-rng")).stream()
                .map(ModuleResolver.Module::name).toList();
        assertThat(order).containsExactly("crc32c_generic", "jbd2", "mbcache", "crc16", "ext4", "virtio",
                "virtio_ring", "virtio_rng");
    }

    @Test
    void readsOnlyTheModinfoSection() {
        assertThat(ElfModinfo.read(elf("license=GPL", "name=x")))
                .containsExactly(java.util.Map.entry("license", "GPL"), java.util.Map.entry("name", "x"));
    }
}
