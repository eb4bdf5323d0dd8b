package dev.burrow.oci.internal;

import dev.burrow.oci.TarEntrySpec;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/** Writes {@link TarEntrySpec}s as a POSIX (PAX) tar, in the order given. */
public final class TarWriting {
    private TarWriting() {
    }

    public static TarArchiveOutputStream open(OutputStream out) {
        TarArchiveOutputStream tar = new TarArchiveOutputStream(out, "UTF-8");
        tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
        tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
        tar.setAddPaxHeadersForNonAsciiNames(true);
        return tar;
    }

    /** Writes the entries and finishes the archive (without closing {@code out}). */
    public static void write(List<TarEntrySpec> entries, OutputStream out, Instant defaultMtime) throws IOException {
        TarArchiveOutputStream tar = open(new NonClosing(out));
        for (TarEntrySpec s : entries) {
            write(tar, s, defaultMtime);
        }
        tar.finish();
        tar.close();
    }

    public static void write(TarArchiveOutputStream tar, TarEntrySpec s, Instant defaultMtime) throws IOException {
        TarArchiveEntry e = switch (s.type()) {
            case DIRECTORY -> new TarArchiveEntry(s.name().endsWith("/") ? s.name() : s.name() + "/", TarConstants.LF_DIR, true);
            case FILE -> new TarArchiveEntry(s.name(), TarConstants.LF_NORMAL, true);
            case SYMLINK -> new TarArchiveEntry(s.name(), TarConstants.LF_SYMLINK, true);
            case HARDLINK -> new TarArchiveEntry(s.name(), TarConstants.LF_LINK, true);
            case CHAR_DEVICE -> new TarArchiveEntry(s.name(), TarConstants.LF_CHR, true);
            case BLOCK_DEVICE -> new TarArchiveEntry(s.name(), TarConstants.LF_BLK, true);
            case FIFO -> new TarArchiveEntry(s.name(), TarConstants.LF_FIFO, true);
        };
        e.setMode(s.mode() & 07777);
        e.setUserId(s.uid());
        e.setGroupId(s.gid());
        e.setUserName("");
        e.setGroupName("");
        e.setLastModifiedTime(FileTime.from(s.mtime() != null ? s.mtime() : defaultMtime));
        if (s.linkTarget() != null) {
            e.setLinkName(s.linkTarget());
        }
        if (s.type() == TarEntrySpec.Type.CHAR_DEVICE || s.type() == TarEntrySpec.Type.BLOCK_DEVICE) {
            e.setDevMajor(s.devMajor());
            e.setDevMinor(s.devMinor());
        }
        for (Map.Entry<String, byte[]> x : s.xattrs().entrySet()) {
            String text = utf8OrNull(x.getValue());
            if (text != null) {
                e.addPaxHeader("SCHILY.xattr." + x.getKey(), text);
            } else {
                e.addPaxHeader("LIBARCHIVE.xattr." + URLEncoder.encode(x.getKey(), StandardCharsets.UTF_8),
                        Base64.getEncoder().encodeToString(x.getValue()));
            }
        }
        long size = 0;
        if (s.type() == TarEntrySpec.Type.FILE) {
            size = s.content() != null ? s.content().length : s.source() != null ? Files.size(s.source()) : 0;
        }
        e.setSize(size);
        tar.putArchiveEntry(e);
        if (size > 0) {
            if (s.content() != null) {
                tar.write(s.content());
            } else {
                try (InputStream in = Files.newInputStream(s.source())) {
                    long copied = in.transferTo(tar);
                    if (copied != size) {
                        throw new IOException(s.source() + " changed size while being written to a layer");
                    }
                }
            }
        }
        tar.closeArchiveEntry();
    }

    private static String utf8OrNull(byte[] bytes) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            return s.indexOf('\0') >= 0 ? null : s;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    private static final class NonClosing extends java.io.FilterOutputStream {
        NonClosing(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}
