package dev.burrow.daemon.images.builtin;

import dev.burrow.oci.TarEntrySpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The entries of the busybox root file system, built in memory from a static busybox binary. */
final class BusyboxImage {
    private static final Logger log = LoggerFactory.getLogger(BusyboxImage.class);
    static final String APT_PACKAGE = "busybox-static";
    private static final Pattern APPLET_PATH = Pattern.compile("[A-Za-z0-9_+\\[\\]-][A-Za-z0-9_.+\\[\\]-]*(/[A-Za-z0-9_+\\[\\]-][A-Za-z0-9_.+\\[\\]-]*)+");

    static final String PASSWD = """
            root:x:0:0:root:/root:/bin/sh
            burrow:x:1000:1000:burrow:/home/burrow:/bin/sh
            nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
            """;
    static final String GROUP = """
            root:x:0:
            burrow:x:1000:
            nogroup:x:65534:
            """;
    static final String SHADOW = """
            root:*:::::::
            burrow:!:::::::
            nobody:*:::::::
            """;
    static final String HOSTS = """
            127.0.0.1\tlocalhost
            ::1\tlocalhost ip6-localhost ip6-loopback
            """;

    private BusyboxImage() {
    }

    /**
     * Checks that {@code busybox} exists and is a statically linked x86-64 ELF executable (a
     * dynamically linked busybox would not run in a root without a C library).
     */
    static void checkStatic(Path busybox) throws IOException {
        if (!Files.isRegularFile(busybox)) {
            throw new NoSuchFileException(busybox.toString(), null,
                    "no busybox binary: install Debian's " + APT_PACKAGE + " (apt-get install " + APT_PACKAGE + ")");
        }
        try (FileChannel ch = FileChannel.open(busybox, StandardOpenOption.READ)) {
            ByteBuffer h = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            if (ch.size() >= h.capacity()) {
                readFully(ch, h, 0);
            }
            if (h.getInt(0) != 0x464c457f || h.get(4) != 2 || h.get(5) != 1 || (h.getShort(18) & 0xffff) != 62) {
                throw new IOException(busybox + " is not an x86-64 ELF executable; Burrow needs the one from "
                        + APT_PACKAGE + " (apt-get install " + APT_PACKAGE + ")");
            }
            long phoff = h.getLong(0x20);
            int phentsize = h.getShort(0x36) & 0xffff;
            int phnum = h.getShort(0x38) & 0xffff;
            if (phentsize < 4 || phnum > 4096 || phoff <= 0 || phoff + (long) phentsize * phnum > ch.size()) {
                throw new IOException(busybox + " has a malformed ELF program header table");
            }
            ByteBuffer type = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < phnum; i++) {
                type.clear();
                readFully(ch, type, phoff + (long) i * phentsize);
                if (type.getInt(0) == 3) { // PT_INTERP: it needs a dynamic loader
                    throw new IOException(busybox + " is dynamically linked; Burrow needs the static busybox from "
                            + APT_PACKAGE + " (apt-get install " + APT_PACKAGE + ")");
                }
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int n = ch.read(b, pos + b.position());
            if (n < 0) {
                throw new IOException("unexpected end of file reading ELF headers");
            }
        }
    }

    /** The applets' paths relative to the root ({@code bin/sh}, ...) from {@code busybox --list-full}. */
    static List<String> applets(Path busybox) throws IOException {
        Process p = new ProcessBuilder(busybox.toString(), "--list-full").redirectErrorStream(true).start();
        byte[] out;
        try (InputStream in = p.getInputStream()) {
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            in.transferTo(buf);
            out = buf.toByteArray();
        }
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(busybox + " --list-full did not finish");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted running " + busybox + " --list-full", e);
        }
        String text = new String(out, StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new IOException(busybox + " --list-full failed (exit " + p.exitValue() + "): " + text.strip());
        }
        TreeSet<String> applets = new TreeSet<>();
        for (String line : text.split("\n")) {
            String a = line.strip();
            if (a.isEmpty()) {
                continue;
            }
            if (a.startsWith("/")) {
                a = a.substring(1);
            }
            if (!APPLET_PATH.matcher(a).matches()) {
                // e.g. "linuxrc", installed at the root for initrds: not wanted in an image root
                log.debug("skipping busybox applet '{}'", a);
                continue;
            }
            applets.add(a);
        }
        if (applets.isEmpty()) {
            throw new IOException(busybox + " --list-full listed no applets");
        }
        return List.copyOf(applets);
    }

    /** The layer's entries, sorted by name (parents before children). */
    static List<TarEntrySpec> entries(Path busybox, List<String> applets) {
        Map<String, TarEntrySpec> tree = new TreeMap<>();
        for (String d : List.of("bin", "sbin", "usr", "usr/bin", "usr/sbin", "usr/local", "usr/local/bin", "etc", "home",
                "var", "run", "dev")) {
            tree.put(d, TarEntrySpec.dir(d));
        }
        tree.put("proc", TarEntrySpec.dir("proc").withMode(0555));
        tree.put("sys", TarEntrySpec.dir("sys").withMode(0555));
        tree.put("tmp", TarEntrySpec.dir("tmp").withMode(01777));
        tree.put("var/tmp", TarEntrySpec.dir("var/tmp").withMode(01777));
        tree.put("root", TarEntrySpec.dir("root").withMode(0700));
        tree.put("home/burrow", TarEntrySpec.dir("home/burrow").withMode(0755).withOwner(1000, 1000));

        tree.put("bin/busybox", TarEntrySpec.file("bin/busybox", busybox).withMode(0755));
        tree.put("etc/passwd", TarEntrySpec.file("etc/passwd", PASSWD));
        tree.put("etc/group", TarEntrySpec.file("etc/group", GROUP));
        tree.put("etc/shadow", TarEntrySpec.file("etc/shadow", SHADOW).withMode(0600));
        tree.put("etc/hostname", TarEntrySpec.file("etc/hostname", BuiltinImages.HOSTNAME + "\n"));
        tree.put("etc/hosts", TarEntrySpec.file("etc/hosts", HOSTS));

        List<String> skipped = new ArrayList<>();
        for (String applet : applets) {
            int slash = applet.lastIndexOf('/');
            String parent = applet.substring(0, slash);
            if (tree.containsKey(applet) || !tree.containsKey(parent)
                    || tree.get(parent).type() != TarEntrySpec.Type.DIRECTORY) {
                skipped.add(applet); // busybox itself, or a directory the image does not have
                continue;
            }
            tree.put(applet, TarEntrySpec.symlink(applet, "/bin/busybox"));
        }
        if (!skipped.isEmpty()) {
            log.debug("busybox applets not linked: {}", skipped);
        }
        return List.copyOf(tree.values());
    }
}
