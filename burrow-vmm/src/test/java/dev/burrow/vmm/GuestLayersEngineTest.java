package dev.burrow.vmm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Compression;
import dev.burrow.oci.Digest;
import dev.burrow.oci.Layer;
import dev.burrow.oci.LayerUnpacker;
import dev.burrow.oci.MediaTypes;
import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.GuestLayerException;
import dev.burrow.vmm.agent.GuestLayers;
import dev.burrow.vmm.testing.Restores;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The layer builtins (agent 0.6.0) in a real microVM restored from the busybox template: a tar
 * made on the host goes in, a RUN's changes come out as an OCI layer, and the guest's root as it
 * was at the mark plus that layer, unpacked by burrow-oci's {@link LayerUnpacker}, is exactly
 * the guest's root after the RUN.
 */
class GuestLayersEngineTest {

    private static final Duration T = Duration.ofSeconds(60);
    private static final FileTime MTIME = FileTime.fromMillis(1_700_000_000_000L);
    /** The guest's mounts on its root filesystem (guest/agent/boot.c). */
    private static final List<String> MOUNT_POINTS = List.of("dev/", "proc/", "run/", "sys/");

    @RegisterExtension
    final Restores vms = new Restores();
    @TempDir
    Path tmp;

    @Test
    void aRunsChangesComeBackAsALayerThatUnpacksOverTheMarkedRootToWhatTheGuestSees() throws Exception {
        AgentConnection agent = vms.restore().agent();

        byte[] copy = tar(out -> {
            put(out, dir("etc/app/", 0755));
            put(out, file("etc/app/config", "key=value\n", 0640, 1000), "key=value\n");
            put(out, file("opt/tool", "#!/bin/sh\necho tool\n", 04755, 0), "#!/bin/sh\necho tool\n");
            put(out, link("opt/tool-again", "opt/tool", TarConstants.LF_LINK));
            put(out, link("opt/current", "tool", TarConstants.LF_SYMLINK));
            put(out, file("var/.wh.tmp", "", 0644, 0), "");
        });
        assertThat(GuestLayers.apply(agent, new ByteArrayInputStream(copy), T)).isEqualTo(6);
        ExecResult seen = agent.run(ExecRequest.of("sh", "-c", "stat -c '%a %u %g %h' /opt/tool /etc/app/config;"
                + " cat /etc/app/config; /opt/current; test -e /var/tmp || echo no-var-tmp"), T);
        assertThat(seen.stdoutText()).isEqualTo("4755 0 0 2\n640 1000 1000 1\nkey=value\ntool\nno-var-tmp\n");

        byte[] before = readRoot(agent);
        assertThat(GuestLayers.mark(agent, T)).isGreaterThan(100);
        ExecResult run = agent.run(ExecRequest.of("sh", "-c", "echo hi > /x; rm -r /etc/app; mkdir -p /a/b"), T);
        assertThat(run.exitCode()).as(run.stderrText()).isZero();
        ByteArrayOutputStream layer = new ByteArrayOutputStream();
        GuestLayers.DiffStats stats = GuestLayers.diff(agent, layer, T);

        Map<String, String> entries = list(layer.toByteArray());
        assertThat(entries).containsEntry("x", "file hi\n").containsEntry("a/", "dir").containsEntry("a/b/", "dir")
                .containsEntry("etc/", "dir").containsEntry("etc/.wh.app", "file ");
        assertThat(entries.keySet()).noneMatch(n -> n.startsWith("etc/app/"))
                .noneMatch(n -> n.matches("(proc|sys|dev|run)/.*"));
        assertThat(stats.bytes()).isEqualTo(layer.size());
        assertThat(stats.whiteouts()).isEqualTo(entries.keySet().stream().filter(n -> n.contains(".wh.")).count());
        assertThat(stats.entries() + stats.whiteouts()).isEqualTo(entries.size());

        byte[] after = readRoot(agent);
        Map<String, String> rebuilt = unpack(tmp.resolve("rebuilt"), before, layer.toByteArray());
        Map<String, String> seenByGuest = unpack(tmp.resolve("after"), after);
        // `read` stores a mount point as the mounted filesystem's root (whose times move, /run's
        // as the mark is written there); a layer never holds another filesystem
        for (String mountPoint : MOUNT_POINTS) {
            assertThat(rebuilt.remove(mountPoint)).isNotNull();
            assertThat(seenByGuest.remove(mountPoint)).isNotNull();
        }
        assertThat(differences(rebuilt, seenByGuest)).as("the marked root + the layer, against the guest's root").isEmpty();
        assertThat(rebuilt).containsKeys("x", "a/b/", "opt/tool").doesNotContainKeys("etc/app/", "var/tmp/");
    }

    /** Path -> "what a has | what b has" wherever they differ. */
    private static Map<String, String> differences(Map<String, String> a, Map<String, String> b) {
        Map<String, String> diff = new TreeMap<>();
        for (String k : a.keySet()) {
            if (!a.get(k).equals(b.get(k))) {
                diff.put(k, a.get(k) + " | " + b.get(k));
            }
        }
        for (String k : b.keySet()) {
            if (!a.containsKey(k)) {
                diff.put(k, "null | " + b.get(k));
            }
        }
        return diff;
    }

    @Test
    void aDiffWithoutAMarkAndATarEntryWithDotDotAreRefusedWithTheGuestsReason() throws Exception {
        AgentConnection agent = vms.restore().agent();

        assertThatThrownBy(() -> GuestLayers.diff(agent, ByteArrayOutputStream.nullOutputStream(), T))
                .isInstanceOfSatisfying(GuestLayerException.class, e -> assertThat(e.stderr()).contains("run layer-mark first"));

        byte[] escape = tar(out -> put(out, file("../escaped", "x", 0644, 0), "x"));
        assertThatThrownBy(() -> GuestLayers.apply(agent, new ByteArrayInputStream(escape), T))
                .isInstanceOfSatisfying(GuestLayerException.class, e -> {
                    assertThat(e.exitCode()).isEqualTo(GuestLayerException.EXIT_REFUSED);
                    assertThat(e.stderr()).contains("'../escaped'");
                });
        assertThat(agent.run(ExecRequest.of("sh", "-c", "test -e /escaped && echo written || echo absent"), T).stdoutText())
                .isEqualTo("absent\n");
    }

    // ---- tars ----

    private interface TarBody {
        void write(TarArchiveOutputStream out) throws IOException;
    }

    private static byte[] tar(TarBody body) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream out = new TarArchiveOutputStream(bytes)) {
            out.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            body.write(out);
        }
        return bytes.toByteArray();
    }

    private static TarArchiveEntry dir(String name, int mode) {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setMode(040000 | mode);
        e.setModTime(MTIME);
        return e;
    }

    private static TarArchiveEntry file(String name, String content, int mode, int owner) {
        TarArchiveEntry e = new TarArchiveEntry(name, true);
        e.setMode(0100000 | mode);
        e.setSize(content.getBytes(StandardCharsets.UTF_8).length);
        e.setUserId(owner);
        e.setGroupId(owner);
        e.setModTime(MTIME);
        return e;
    }

    private static TarArchiveEntry link(String name, String target, byte type) {
        TarArchiveEntry e = new TarArchiveEntry(name, type, true);
        e.setLinkName(target);
        e.setModTime(MTIME);
        return e;
    }

    private static void put(TarArchiveOutputStream out, TarArchiveEntry e) throws IOException {
        put(out, e, null);
    }

    private static void put(TarArchiveOutputStream out, TarArchiveEntry e, String content) throws IOException {
        out.putArchiveEntry(e);
        if (content != null) {
            out.write(content.getBytes(StandardCharsets.UTF_8));
        }
        out.closeArchiveEntry();
    }

    /** Name -> "dir", "file CONTENT", "symlink TARGET" or "link TARGET", in the tar's order. */
    private static Map<String, String> list(byte[] tar) throws IOException {
        Map<String, String> entries = new LinkedHashMap<>();
        try (TarArchiveInputStream in = new TarArchiveInputStream(new ByteArrayInputStream(tar))) {
            TarArchiveEntry e;
            while ((e = in.getNextEntry()) != null) {
                String what = e.isDirectory() ? "dir" : e.isSymbolicLink() ? "symlink " + e.getLinkName()
                        : e.isLink() ? "link " + e.getLinkName() : "file " + new String(in.readAllBytes(), StandardCharsets.UTF_8);
                assertThat(entries.put(e.getName(), what)).as("entry " + e.getName() + " twice").isNull();
            }
        }
        return entries;
    }

    /** The guest's root filesystem (no other mounts) as the `read` builtin tars it. */
    private static byte[] readRoot(AgentConnection agent) throws Exception {
        ExecResult r = agent.run(ExecRequest.of("read", "/").asBuiltin(), T);
        assertThat(r.exitCode()).as(r.stderrText()).isZero();
        assertThat(r.truncated()).isFalse();
        return r.stdout();
    }

    /** Unpacks the tars in order as image layers and describes every entry of the result. */
    private static Map<String, String> unpack(Path staging, byte[]... layers) throws Exception {
        LayerUnpacker unpacker = new LayerUnpacker(staging, BuildLog.NONE);
        for (byte[] tar : layers) {
            Digest digest = Digest.of(MessageDigest.getInstance("SHA-256").digest(tar));
            unpacker.apply(new Layer(digest, tar.length, MediaTypes.OCI_LAYER, Compression.NONE, null), new ByteArrayInputStream(tar));
        }
        unpacker.finish();
        Path root = unpacker.root();
        Map<String, String> tree = new TreeMap<>();
        try {
            describeTree(root, tree);
        } finally {
            LayerUnpacker.discard(root); // its symlinks point outside the test's directory
        }
        return tree;
    }

    private static void describeTree(Path root, Map<String, String> tree) throws IOException {
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes a) throws IOException {
                if (!d.equals(root)) {
                    tree.put(root.relativize(d) + "/", describe(d, a));
                }
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes a) throws IOException {
                tree.put(root.relativize(f).toString(), describe(f, a));
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static String describe(Path p, BasicFileAttributes a) throws IOException {
        Map<String, Object> u = Files.readAttributes(p, "unix:mode,uid,gid", LinkOption.NOFOLLOW_LINKS);
        String owner = Integer.toOctalString((Integer) u.get("mode") & 07777) + " " + u.get("uid") + ":" + u.get("gid");
        if (a.isSymbolicLink()) {
            return "symlink " + owner + " -> " + Files.readSymbolicLink(p);
        }
        String mtime = " t=" + a.lastModifiedTime().toMillis() / 1000;
        if (a.isDirectory()) {
            return "dir " + owner + mtime;
        }
        try {
            byte[] sha = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p));
            return "file " + owner + mtime + " " + a.size() + " " + HexFormat.of().formatHex(sha);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
