package dev.burrow.vmm.kernel.internal;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** Reads the {@code .modinfo} section ({@code key=value} strings) of a 64-bit little-endian ELF kernel module. */
public final class ElfModinfo {
    private ElfModinfo() {
    }

    /** The {@code key=value} entries of the module's {@code .modinfo} section, in file order. */
    public static List<Map.Entry<String, String>> read(byte[] elf) {
        ByteBuffer b = ByteBuffer.wrap(elf).order(ByteOrder.LITTLE_ENDIAN);
        if (elf.length < 64 || b.getInt(0) != 0x464C457F || elf[4] != 2 || elf[5] != 1) {
            throw new IllegalArgumentException("not a 64-bit little-endian ELF file");
        }
        long shoff = b.getLong(0x28);
        int shentsize = Short.toUnsignedInt(b.getShort(0x3A));
        int shnum = Short.toUnsignedInt(b.getShort(0x3C));
        int shstrndx = Short.toUnsignedInt(b.getShort(0x3E));
        if (shentsize < 64 || shstrndx >= shnum || shoff < 0 || shoff + (long) shnum * shentsize > elf.length) {
            throw new IllegalArgumentException("ELF section headers out of bounds");
        }
        int namesOffset = (int) section(b, shoff, shentsize, shstrndx, 0x18);
        for (int i = 0; i < shnum; i++) {
            int nameIndex = b.getInt((int) (shoff + (long) i * shentsize));
            if (".modinfo".equals(cString(elf, namesOffset + nameIndex))) {
                long offset = section(b, shoff, shentsize, i, 0x18);
                long size = section(b, shoff, shentsize, i, 0x20);
                if (offset < 0 || size < 0 || offset + size > elf.length) {
                    throw new IllegalArgumentException(".modinfo section out of bounds");
                }
                return entries(elf, (int) offset, (int) size);
            }
        }
        return List.of();
    }

    private static long section(ByteBuffer b, long shoff, int shentsize, int index, int field) {
        return b.getLong((int) (shoff + (long) index * shentsize + field));
    }

    private static String cString(byte[] data, int start) {
        int end = start;
        while (end < data.length && data[end] != 0) {
            end++;
        }
        return new String(data, start, end - start, StandardCharsets.UTF_8);
    }

    private static List<Map.Entry<String, String>> entries(byte[] elf, int offset, int size) {
        List<Map.Entry<String, String>> result = new ArrayList<>();
        int start = offset;
        for (int i = offset; i <= offset + size; i++) {
            if (i == offset + size || elf[i] == 0) {
                if (i > start) {
                    String entry = new String(elf, start, i - start, StandardCharsets.UTF_8);
                    int eq = entry.indexOf('=');
                    if (eq > 0) {
                        result.add(Map.entry(entry.substring(0, eq), entry.substring(eq + 1)));
                    }
                }
                start = i + 1;
            }
        }
        return result;
    }
}
