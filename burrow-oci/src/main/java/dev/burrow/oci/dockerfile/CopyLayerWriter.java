package dev.burrow.oci.dockerfile;

import dev.burrow.oci.Digest;
import dev.burrow.oci.ImageException;
import dev.burrow.oci.dockerfile.internal.DigestingOutputStream;
import dev.burrow.oci.dockerfile.internal.LayerArchives;
import dev.burrow.oci.dockerfile.internal.LayerEntry;
import dev.burrow.oci.dockerfile.internal.TreeSource;
import dev.burrow.oci.internal.BoundedTarInputStream;
import dev.burrow.oci.internal.Sha256;
import dev.burrow.oci.internal.TarWriting;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Predicate;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Writes the uncompressed OCI layer tar of a COPY or ADD, from a {@link BuildContext} or from
 * another stage's root on the host ({@code COPY --from}, resolved as the guest would: symlinks
 * relative to that root). Docker's rules: a directory source copies its contents; a destination
 * ending in {@code /} (or an existing directory, when the caller says so) receives the sources
 * by name; several sources need a directory destination; {@code --chown} applies to every entry
 * (a name resolved by the caller's {@link IdLookup}); {@code --chmod} to every file and directory;
 * ADD of a local tar archive (plain, gzip, bzip2, xz, zstd) extracts it into the destination.
 *
 * <p>Bytes are deterministic: entries sorted by name (extracted archives follow, in archive
 * order), each file's own mtime kept (heredoc files: the epoch), no user or group names. The
 * layer holds only what is copied: missing parent directories of the destination are not
 * entries (the layer's applier creates them 0755 root:root), so an existing parent such as
 * {@code /tmp} keeps its mode.
 */
public final class CopyLayerWriter {
    /** The layer written: {@code digest} is the sha256 of the tar; {@code inputsHash} is {@code sha256:…} of its inputs. */
    public record Written(Digest digest, long bytes, String inputsHash) {
    }

    /** Resolves {@code --chown} names in the target image ({@code /etc/passwd}, {@code /etc/group}). */
    public interface IdLookup {
        int uid(String user) throws IOException;

        int gid(String group) throws IOException;

        /** Only numeric ids: a name is an error. */
        IdLookup NUMERIC_ONLY = new IdLookup() {
            @Override
            public int uid(String user) throws IOException {
                throw new ImageException("--chown=" + user + ": user names are not resolved here; use a numeric uid");
            }

            @Override
            public int gid(String group) throws IOException {
                throw new ImageException("--chown=…:" + group + ": group names are not resolved here; use a numeric gid");
            }
        };
    }

    private static final Pattern NUMERIC = Pattern.compile("\\d{1,10}");
    private static final int HEREDOC_MODE = 0644;

    private final IdLookup ids;
    private final ContextLimits limits;
    private final Predicate<String> existingDirectory;

    /**
     * @param existingDirectory whether an absolute path is a directory in the image being built
     *     (Docker copies into an existing directory even without a trailing {@code /})
     */
    public CopyLayerWriter(IdLookup ids, ContextLimits limits, Predicate<String> existingDirectory) {
        this.ids = ids;
        this.limits = limits;
        this.existingDirectory = existingDirectory;
    }

    public CopyLayerWriter(IdLookup ids) {
        this(ids, ContextLimits.DEFAULT, path -> false);
    }

    /** Writes the layer of a COPY/ADD from the build context. */
    public Written write(Step.CopyStep step, BuildContext context, OutputStream out) throws IOException {
        return write(plan(step, context.tree()), out);
    }

    /** Writes the layer of a {@code COPY --from} whose stage root is {@code stageRoot} on the host. */
    public Written write(Step.CopyStep step, Path stageRoot, OutputStream out) throws IOException {
        return write(plan(step, stageTree(stageRoot)), out);
    }

    /** The inputs hash of a COPY/ADD from the context, without writing the layer. */
    public String inputsHash(Step.CopyStep step, BuildContext context) throws IOException {
        return hash(plan(step, context.tree()));
    }

    /** The inputs hash of a {@code COPY --from}, without writing the layer. */
    public String inputsHash(Step.CopyStep step, Path stageRoot) throws IOException {
        return hash(plan(step, stageTree(stageRoot)));
    }

    private static TreeSource stageTree(Path root) {
        return new TreeSource(root, TreeSource.Mode.ROOTFS, DockerIgnore.NONE, Map.of());
    }

    private record Plan(TreeMap<String, LayerEntry> entries, List<Extract> archives) {
    }

    private record Extract(Path archive, String destDir) {
    }

    private record Owner(long uid, long gid) {
    }

    private Plan plan(Step.CopyStep step, TreeSource tree) throws IOException {
        String dest = step.dest();
        String base = strip(dest);
        boolean destIsDir = dest.endsWith("/") || base.isEmpty() || existingDirectory.test("/" + base);
        List<ContextEntry> tops = new ArrayList<>();
        for (String s : step.sources()) {
            tops.addAll(tree.resolve(s));
        }
        int count = tops.size() + step.inline().size();
        if (count > 1 && !destIsDir) {
            throw new ImageException((step.add() ? "ADD" : "COPY") + " of several sources needs a directory destination "
                    + "ending in '/', not '" + dest + "'");
        }
        Owner owner = owner(step.chown());
        TreeMap<String, LayerEntry> entries = new TreeMap<>();
        List<Extract> archives = new ArrayList<>();
        long[] budget = {0};
        for (ContextEntry top : tops) {
            if (top.kind() == ContextEntry.Kind.DIRECTORY) {
                if (!base.isEmpty()) {
                    put(entries, entry(base, top, owner, step.chmod()), budget);
                }
                String prefix = top.path().isEmpty() ? "" : top.path() + "/";
                for (ContextEntry child : tree.walk(top)) {
                    String rel = child.path().substring(prefix.length());
                    put(entries, entry(join(base, rel), child, owner, step.chmod()), budget);
                }
            } else if (step.add() && LayerArchives.isArchive(top.hostPath())) {
                archives.add(new Extract(top.hostPath(), base));
            } else {
                String name = destIsDir ? join(base, top.name()) : base;
                put(entries, entry(name, top, owner, step.chmod()), budget);
            }
        }
        for (Heredoc h : step.inline()) {
            byte[] content = h.content().getBytes(StandardCharsets.UTF_8);
            String name = destIsDir ? join(base, h.name()) : base;
            put(entries, new LayerEntry(name, LayerEntry.Type.FILE, step.chmod() != null ? step.chmod() : HEREDOC_MODE,
                    owner != null ? owner.uid() : 0, owner != null ? owner.gid() : 0, Instant.EPOCH, null, content, null,
                    content.length), budget);
        }
        return new Plan(entries, archives);
    }

    private void put(TreeMap<String, LayerEntry> entries, LayerEntry e, long[] budget) throws ImageException {
        if (e.name().isEmpty()) {
            throw new ImageException("a COPY cannot replace the root directory");
        }
        entries.put(e.name(), e);
        budget[0] += e.size();
        if (entries.size() > limits.maxEntries()) {
            throw new ImageException("the layer would hold more than " + limits.maxEntries() + " entries");
        }
        if (budget[0] > limits.maxTotalBytes()) {
            throw new ImageException("the layer would hold more than " + limits.maxTotalBytes() + " bytes");
        }
    }

    private static LayerEntry entry(String name, ContextEntry c, Owner owner, Integer chmod) {
        long uid = owner != null ? owner.uid() : c.uid();
        long gid = owner != null ? owner.gid() : c.gid();
        return switch (c.kind()) {
            case DIRECTORY -> new LayerEntry(name, LayerEntry.Type.DIRECTORY, chmod != null ? chmod : c.mode(), uid, gid,
                    c.mtime(), null, null, null, 0);
            case FILE -> new LayerEntry(name, LayerEntry.Type.FILE, chmod != null ? chmod : c.mode(), uid, gid, c.mtime(),
                    c.hostPath(), null, null, c.size());
            case SYMLINK -> new LayerEntry(name, LayerEntry.Type.SYMLINK, 0777, uid, gid, c.mtime(), null, null,
                    c.linkTarget(), 0);
        };
    }

    private Owner owner(String chown) throws IOException {
        if (chown == null || chown.isEmpty()) {
            return null;
        }
        int colon = chown.indexOf(':');
        String user = colon < 0 ? chown : chown.substring(0, colon);
        String group = colon < 0 ? null : chown.substring(colon + 1);
        if (user.isEmpty()) {
            throw new ImageException("--chown=" + chown + " has no user");
        }
        long uid = NUMERIC.matcher(user).matches() ? Long.parseLong(user) : ids.uid(user);
        long gid = group == null || group.isEmpty() ? uid
                : NUMERIC.matcher(group).matches() ? Long.parseLong(group) : ids.gid(group);
        if (uid > 0xFFFF_FFFEL || gid > 0xFFFF_FFFEL) {
            throw new ImageException("--chown=" + chown + " is out of range");
        }
        return new Owner(uid, gid);
    }

    private Written write(Plan plan, OutputStream target) throws IOException {
        DigestingOutputStream out = new DigestingOutputStream(target);
        MessageDigest inputs = Sha256.newDigest();
        byte[] buffer = new byte[64 * 1024];
        try (TarArchiveOutputStream tar = TarWriting.open(out)) {
            for (LayerEntry e : plan.entries().values()) {
                MessageDigest content = Sha256.newDigest();
                TarArchiveEntry t = header(e.name(), e.type(), e.mode(), e.uid(), e.gid(), e.mtime(), e.linkTarget());
                t.setSize(e.type() == LayerEntry.Type.FILE ? e.size() : 0);
                tar.putArchiveEntry(t);
                if (e.content() != null) {
                    tar.write(e.content());
                    content.update(e.content());
                } else if (e.source() != null) {
                    copyExactly(e.source(), e.size(), tar, content, buffer);
                }
                tar.closeArchiveEntry();
                describe(inputs, e, content.digest());
            }
            for (Extract x : plan.archives()) {
                extractInto(x, tar, buffer);
                describeArchive(inputs, x);
            }
            tar.finish();
        }
        return new Written(out.digest(), out.count(), Digest.of(inputs.digest()).toString());
    }

    private String hash(Plan plan) throws IOException {
        MessageDigest inputs = Sha256.newDigest();
        byte[] buffer = new byte[64 * 1024];
        for (LayerEntry e : plan.entries().values()) {
            MessageDigest content = Sha256.newDigest();
            if (e.content() != null) {
                content.update(e.content());
            } else if (e.source() != null) {
                copyExactly(e.source(), e.size(), OutputStream.nullOutputStream(), content, buffer);
            }
            describe(inputs, e, content.digest());
        }
        for (Extract x : plan.archives()) {
            describeArchive(inputs, x);
        }
        return Digest.of(inputs.digest()).toString();
    }

    private static void describe(MessageDigest inputs, LayerEntry e, byte[] contentSha) {
        String line = e.name() + '\0' + e.type() + '\0' + Integer.toOctalString(e.mode()) + '\0' + e.uid() + '\0' + e.gid()
                + '\0' + (e.linkTarget() == null ? "" : e.linkTarget()) + '\0' + Digest.of(contentSha).hex() + '\n';
        inputs.update(line.getBytes(StandardCharsets.UTF_8));
    }

    private static void describeArchive(MessageDigest inputs, Extract x) throws IOException {
        MessageDigest content = Sha256.newDigest();
        try (InputStream in = Files.newInputStream(x.archive())) {
            byte[] b = new byte[64 * 1024];
            int n;
            while ((n = in.read(b)) > 0) {
                content.update(b, 0, n);
            }
        }
        String line = "archive\0" + x.destDir() + '\0' + Digest.of(content.digest()).hex() + '\n';
        inputs.update(line.getBytes(StandardCharsets.UTF_8));
    }

    private static void copyExactly(Path source, long size, OutputStream out, MessageDigest content, byte[] buffer)
            throws IOException {
        long left = size;
        try (InputStream in = Files.newInputStream(source)) {
            while (left > 0) {
                int n = in.read(buffer, 0, (int) Math.min(buffer.length, left));
                if (n < 0) {
                    throw new ImageException(source + " shrank while its layer was written");
                }
                out.write(buffer, 0, n);
                content.update(buffer, 0, n);
                left -= n;
            }
        }
    }

    /** Streams a local archive's entries into the layer under {@code destDir}, hostile names refused. */
    private void extractInto(Extract x, TarArchiveOutputStream tar, byte[] buffer) throws IOException {
        long entries = 0;
        long bytes = 0;
        try (InputStream in = LayerArchives.open(x.archive()); BoundedTarInputStream src = BoundedTarInputStream.of(in)) {
            TarArchiveEntry e;
            while ((e = src.getNextEntry()) != null) {
                if (++entries > limits.maxEntries()) {
                    throw new ImageException("ADD: the archive has more than " + limits.maxEntries() + " entries");
                }
                String name = archiveName(e.getName());
                if (name.isEmpty()) {
                    continue;
                }
                Instant mtime = e.getLastModifiedTime() == null ? Instant.EPOCH : e.getLastModifiedTime().toInstant();
                String full = join(x.destDir(), name);
                if (e.isCharacterDevice() || e.isBlockDevice() || e.isFIFO()) {
                    throw new ImageException("ADD: archive entry '" + e.getName() + "' is a device node or FIFO");
                } else if (e.isDirectory()) {
                    tar.putArchiveEntry(header(full, LayerEntry.Type.DIRECTORY, e.getMode(), e.getLongUserId(),
                            e.getLongGroupId(), mtime, null));
                } else if (e.isSymbolicLink()) {
                    tar.putArchiveEntry(header(full, LayerEntry.Type.SYMLINK, 0777, e.getLongUserId(), e.getLongGroupId(),
                            mtime, e.getLinkName()));
                } else if (e.isLink()) {
                    TarArchiveEntry h = new TarArchiveEntry(full, TarConstants.LF_LINK, true);
                    h.setLinkName(join(x.destDir(), archiveName(e.getLinkName())));
                    h.setMode(e.getMode() & 07777);
                    h.setUserId(e.getLongUserId());
                    h.setGroupId(e.getLongGroupId());
                    h.setUserName("");
                    h.setGroupName("");
                    h.setLastModifiedTime(FileTime.from(mtime));
                    tar.putArchiveEntry(h);
                } else {
                    bytes += e.getSize();
                    if (bytes > limits.maxTotalBytes()) {
                        throw new ImageException("ADD: the archive unpacks to more than " + limits.maxTotalBytes() + " bytes");
                    }
                    TarArchiveEntry h = header(full, LayerEntry.Type.FILE, e.getMode(), e.getLongUserId(),
                            e.getLongGroupId(), mtime, null);
                    h.setSize(e.getSize());
                    tar.putArchiveEntry(h);
                    long left = e.getSize();
                    while (left > 0) {
                        int n = src.read(buffer, 0, (int) Math.min(buffer.length, left));
                        if (n < 0) {
                            throw new ImageException("ADD: archive entry '" + e.getName() + "' is truncated");
                        }
                        tar.write(buffer, 0, n);
                        left -= n;
                    }
                }
                tar.closeArchiveEntry();
            }
        }
    }

    private static String archiveName(String raw) throws ImageException {
        List<String> parts = new ArrayList<>();
        for (String c : raw.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                throw new ImageException("ADD: archive entry '" + raw + "' has a '..' component");
            }
            parts.add(c);
        }
        return String.join("/", parts);
    }

    private static TarArchiveEntry header(String name, LayerEntry.Type type, int mode, long uid, long gid, Instant mtime,
            String link) {
        TarArchiveEntry t = switch (type) {
            case DIRECTORY -> new TarArchiveEntry(name + "/", TarConstants.LF_DIR, true);
            case FILE -> new TarArchiveEntry(name, TarConstants.LF_NORMAL, true);
            case SYMLINK -> new TarArchiveEntry(name, TarConstants.LF_SYMLINK, true);
        };
        t.setMode(mode & 07777);
        t.setUserId(uid);
        t.setGroupId(gid);
        t.setUserName("");
        t.setGroupName("");
        t.setLastModifiedTime(FileTime.from(mtime));
        if (link != null) {
            t.setLinkName(link);
        }
        return t;
    }

    private static String strip(String dest) {
        String s = dest;
        while (s.startsWith("/")) {
            s = s.substring(1);
        }
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return s;
    }

    private static String join(String base, String rel) {
        return base.isEmpty() ? rel : rel.isEmpty() ? base : base + "/" + rel;
    }
}
