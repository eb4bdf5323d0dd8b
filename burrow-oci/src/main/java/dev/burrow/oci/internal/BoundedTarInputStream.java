package dev.burrow.oci.internal;

import dev.burrow.oci.ImageException;
import dev.burrow.oci.UnpackLimits;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;

/**
 * A tar reader whose header records cannot run the JVM out of memory.
 *
 * <p>commons-compress 1.28 reads a PAX extended header or a GNU long name/link whole into memory
 * (a byte array, then strings) before it returns the entry it describes. This subclass checks such
 * a record's declared size on the first read of its data, so one larger than
 * {@link UnpackLimits#MAX_HEADER_BYTES} is refused before any of it is read. Everything read from
 * the underlying stream while one entry's headers are parsed (chains of long names, sparse maps)
 * is also counted and capped at {@link UnpackLimits#MAX_HEADER_CHAIN_BYTES}. PAX global headers,
 * which the reader merges and keeps for the rest of the stream, are capped at
 * {@link UnpackLimits#MAX_HEADER_BYTES} in all.
 */
public final class BoundedTarInputStream extends TarArchiveInputStream {
    private final HeaderBudget budget;
    private final byte[] skipBuffer = new byte[8192];
    private int depth;
    private TarArchiveEntry countedGlobal;
    private long globalBytes;

    private BoundedTarInputStream(HeaderBudget budget) {
        super(budget, "UTF-8");
        this.budget = budget;
    }

    public static BoundedTarInputStream of(InputStream in) {
        return new BoundedTarInputStream(new HeaderBudget(in));
    }

    @Override
    public TarArchiveEntry getNextEntry() throws IOException {
        if (depth > 0) {
            return super.getNextEntry(); // the header records of the entry being read
        }
        skipData();
        depth++;
        budget.arm(UnpackLimits.MAX_HEADER_CHAIN_BYTES);
        try {
            return super.getNextEntry();
        } finally {
            budget.disarm();
            depth--;
        }
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        TarArchiveEntry e = getCurrentEntry();
        if (depth > 0 && e != null && e.isGlobalPaxHeader() && e != countedGlobal) {
            countedGlobal = e;
            globalBytes += e.getSize();
            if (globalBytes > UnpackLimits.MAX_HEADER_BYTES) {
                throw new ImageException("PAX global headers of " + globalBytes + " bytes in all exceed the limit of "
                        + UnpackLimits.MAX_HEADER_BYTES + " bytes; the image was not made by a normal tar writer");
            }
        }
        if (depth > 0 && e != null && e.getSize() > UnpackLimits.MAX_HEADER_BYTES) {
            String kind = kind(e);
            if (kind != null) {
                throw new ImageException("a " + kind + " of " + e.getSize() + " bytes exceeds the limit of "
                        + UnpackLimits.MAX_HEADER_BYTES + " bytes; the image was not made by a normal tar writer");
            }
        }
        return super.read(b, off, len);
    }

    private static String kind(TarArchiveEntry e) {
        return e.isPaxHeader() ? "PAX extended header"
                : e.isGlobalPaxHeader() ? "PAX global header"
                : e.isGNULongNameEntry() ? "GNU long name"
                : e.isGNULongLinkEntry() ? "GNU long link name" : null;
    }

    /** Reads what the caller left of the current entry, outside the header budget. */
    private void skipData() throws IOException {
        if (getCurrentEntry() == null) {
            return;
        }
        while (read(skipBuffer, 0, skipBuffer.length) >= 0) {
            // discarded, as the tar reader would
        }
    }

    /** Counts bytes while armed and fails past the limit. */
    private static final class HeaderBudget extends FilterInputStream {
        private long left = -1;
        private long limit;

        HeaderBudget(InputStream in) {
            super(in);
        }

        void arm(long bytes) {
            limit = bytes;
            left = bytes;
        }

        void disarm() {
            left = -1;
        }

        @Override
        public int read() throws IOException {
            int b = in.read();
            if (b >= 0) {
                count(1);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                count(n);
            }
            return n;
        }

        @Override
        public long skip(long n) throws IOException {
            long s = in.skip(n);
            if (s > 0) {
                count(s);
            }
            return s;
        }

        private void count(long n) throws ImageException {
            if (left < 0) {
                return;
            }
            left -= n;
            if (left < 0) {
                throw new ImageException("the header records of one tar entry (PAX headers, GNU long names, sparse maps) exceed "
                        + limit + " bytes");
            }
        }
    }
}
