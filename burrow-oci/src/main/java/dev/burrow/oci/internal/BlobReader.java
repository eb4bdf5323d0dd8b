package dev.burrow.oci.internal;

import dev.burrow.oci.Digest;
import java.io.IOException;
import java.io.InputStream;

/** Where the blobs of one image source are read from (a layout directory or the blob store). */
public interface BlobReader {
    /** The blob's size on disk, or -1 when it is absent. */
    long size(Digest digest) throws IOException;

    /** Opens the blob's raw bytes. The caller verifies them. */
    InputStream open(Digest digest) throws IOException;
}
