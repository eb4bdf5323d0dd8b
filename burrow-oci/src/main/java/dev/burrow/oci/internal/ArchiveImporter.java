package dev.burrow.oci.internal;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Digest;
import dev.burrow.oci.ImageException;
import dev.burrow.oci.UnpackLimits;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;

/**
 * Reads an image archive (oci-archive or docker-archive tar, optionally gzip/zstd-compressed) in
 * one sequential pass: small top-level JSON files are kept in memory (size-capped), every other
 * regular file is streamed into the blob store while hashing. Nothing is written by archive path.
 * Header records are bounded by {@link BoundedTarInputStream}, names by
 * {@link UnpackLimits#MAX_PATH_BYTES} and the number of entries by {@link UnpackLimits#MAX_ARCHIVE_ENTRIES}.
 */
public final class ArchiveImporter {
    private static final Set<String> METADATA = Set.of("index.json", "oci-layout", "manifest.json", "repositories");
    private static final Pattern BLOB = Pattern.compile("blobs/sha256/([0-9a-f]{64})");
    private static final int MAX_LINK_HOPS = 40;

    /** What an archive held: its metadata files and the digest of every other file by path. */
    public record Imported(Map<String, byte[]> metadata, Map<String, Digest> paths) {
    }

    private ArchiveImporter() {
    }

    public static Imported importTar(InputStream in, BlobStore store) throws IOException {
        Map<String, byte[]> metadata = new HashMap<>();
        Map<String, Digest> paths = new HashMap<>();
        Map<String, String> links = new HashMap<>();
        BufferedInputStream buffered = new BufferedInputStream(in, 64 * 1024);
        InputStream plain = Decompression.open(buffered, Decompression.sniff(buffered));
        BoundedTarInputStream tar = BoundedTarInputStream.of(plain);
        TarArchiveEntry e;
        int entries = 0;
        while ((e = nextEntry(tar)) != null) {
            if (++entries > UnpackLimits.MAX_ARCHIVE_ENTRIES) {
                throw new ImageException("the archive has more than " + UnpackLimits.MAX_ARCHIVE_ENTRIES
                        + " entries; an image archive holds its blobs and a few metadata files");
            }
            checkLength(e.getName());
            checkLength(e.getLinkName());
            String path = normalize(e.getName());
            if (e.isSymbolicLink()) {
                links.put(path, resolveRelative(parentOf(path), e.getLinkName()));
            } else if (e.isLink()) {
                links.put(path, normalize(e.getLinkName()));
            } else if (e.isFile()) {
                if (METADATA.contains(path)) {
                    if (e.getSize() > Metadata.MAX_BYTES) {
                        throw Metadata.tooLarge(path + " in the archive", e.getSize());
                    }
                    metadata.put(path, Metadata.readCapped(tar, Metadata.MAX_BYTES, path + " in the archive"));
                } else {
                    Matcher m = BLOB.matcher(path);
                    Digest expected = m.matches() ? new Digest(m.group(1)) : null;
                    try {
                        paths.put(path, store.put(tar, expected));
                    } catch (ImageException ex) {
                        throw new ImageException("blob " + path + " in the archive: " + ex.getMessage(), ex);
                    } catch (IOException ex) {
                        if (ex.getMessage() != null && ex.getMessage().contains("runcated")) {
                            throw new ImageException("the archive is truncated (in " + path + ")", ex);
                        }
                        throw ex;
                    }
                }
            }
        }
        if (entries == 0) {
            throw new ImageException("the archive is empty or not a tar file");
        }
        resolveLinks(links, paths);
        return new Imported(metadata, paths);
    }

    private static void checkLength(String name) throws ImageException {
        if (name != null && name.length() > UnpackLimits.MAX_PATH_BYTES / 3
                && name.getBytes(StandardCharsets.UTF_8).length > UnpackLimits.MAX_PATH_BYTES) {
            throw new ImageException("the archive has a name of more than " + UnpackLimits.MAX_PATH_BYTES + " bytes");
        }
    }

    private static TarArchiveEntry nextEntry(BoundedTarInputStream tar) throws ImageException {
        try {
            return tar.getNextEntry();
        } catch (ImageException ex) {
            throw new ImageException("the archive: " + ex.getMessage(), ex);
        } catch (IOException ex) {
            throw new ImageException("the archive is not a valid tar file: " + ex.getMessage(), ex);
        }
    }

    private static void resolveLinks(Map<String, String> links, Map<String, Digest> paths) {
        for (Map.Entry<String, String> l : links.entrySet()) {
            String target = l.getValue();
            for (int hop = 0; hop < MAX_LINK_HOPS && target != null && !paths.containsKey(target); hop++) {
                target = links.get(target);
            }
            if (target != null && paths.containsKey(target)) {
                paths.put(l.getKey(), paths.get(target));
            }
        }
    }

    /** Archive member names: no leading {@code ./} or {@code /}, no empty or {@code .} components. */
    public static String normalize(String name) {
        List<String> parts = new ArrayList<>();
        for (String p : name.split("/")) {
            if (p.isEmpty() || p.equals(".")) {
                continue;
            }
            if (p.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.removeLast();
                }
                continue;
            }
            parts.add(p);
        }
        return String.join("/", parts);
    }

    private static String parentOf(String path) {
        int slash = path.lastIndexOf('/');
        return slash < 0 ? "" : path.substring(0, slash);
    }

    private static String resolveRelative(String dir, String target) {
        return target.startsWith("/") ? normalize(target) : normalize(dir + "/" + target);
    }
}
