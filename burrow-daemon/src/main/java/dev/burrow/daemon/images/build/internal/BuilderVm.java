package dev.burrow.daemon.images.build.internal;

import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.images.Resources;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The builder microVM of one stage: runs RUN commands and captures or applies layers in its own
 * root filesystem. Nothing it does reaches the host's files: its disk is a copy made for it.
 */
public interface BuilderVm extends AutoCloseable {

    /** Boots builder microVMs. */
    @FunctionalInterface
    interface Factory {
        /** Boots {@code disk} (an ext4 root holding the stage so far) as microVM {@code id}. */
        BuilderVm boot(String id, Resources resources, Path disk, EgressPolicy network) throws IOException, InterruptedException;
    }

    /**
     * Runs a command to its end, handing every output line to {@code out}; returns its exit
     * code. Past {@code timeout} the command is killed and this throws.
     */
    int run(List<String> argv, Map<String, String> env, String user, String workdir, Duration timeout, OutputLines out)
            throws IOException, InterruptedException;

    /** Records the root filesystem's state: the next {@link #diff} reports what changed since. */
    void mark(Duration timeout) throws IOException, InterruptedException;

    /** Writes what changed since {@link #mark} as an uncompressed OCI layer tar; returns its bytes. */
    long diff(OutputStream tar, Duration timeout) throws IOException, InterruptedException;

    /** Applies an OCI layer tar (uncompressed) to the root filesystem. */
    void apply(InputStream tar, Duration timeout) throws IOException, InterruptedException;

    /**
     * The egress decisions made for this builder so far, one line each, oldest first (empty
     * without a network): read before {@link #close}, which forgets them.
     */
    default List<String> egress() {
        return List.of();
    }

    @Override
    void close();
}
