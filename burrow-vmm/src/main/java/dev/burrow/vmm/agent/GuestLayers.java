package dev.burrow.vmm.agent;

import dev.burrow.vmm.agent.internal.AgentVersion;
import dev.burrow.vmm.agent.internal.BoundedOutput;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Filesystem layers of a builder microVM through the agent's layer builtins (agent 0.6.0,
 * guest/agent/fs_layer.h, docs/PROTOCOL.md "Builtins"): {@link #mark} records the guest's root,
 * {@link #diff} streams what changed since as an uncompressed OCI layer tar (whiteouts
 * {@code .wh.<name>}), {@link #apply} extracts a layer tar made on the host into the root.
 *
 * <p>Each call is one builtin exec as root. The guest is not trusted: the diff goes to the
 * caller's stream as it arrives (never held whole) and stops at a byte limit; what the builtin
 * says on stdout and stderr is kept only up to a few KiB; every wait ends at the caller's
 * timeout, after which the exec is killed. A non-zero exit becomes a {@link GuestLayerException}
 * with the builtin's stderr; an agent before 0.6.0 an {@link AgentTooOldException}. The diff
 * tar is the guest's word (a RUN runs as root beside the agent): store it and unpack it with
 * burrow-oci's LayerUnpacker like any pulled layer, never trust its names.
 */
public final class GuestLayers {

    /** Bytes of a builtin's stderr kept for its error or warnings. */
    public static final int MAX_STDERR_BYTES = 16 * 1024;
    /** Bytes of a builtin's stdout kept where it is a count, not a tar. */
    public static final int MAX_STDOUT_BYTES = 4 * 1024;
    /** Bytes of the tar read from the caller per STDIN frame. */
    public static final int STDIN_CHUNK_BYTES = 64 * 1024;
    /** The largest diff taken by default: the largest disk an image may have (burrow-oci UnpackLimits.MAX_DISK_MIB). */
    public static final long DEFAULT_MAX_DIFF_BYTES = 32768L << 20;

    static final String MARK = "layer-mark";
    static final String DIFF = "layer-diff";
    static final String UNTAR = "untar";

    private static final Pattern ENTRIES = Pattern.compile("\\{\"entries\":(\\d{1,18})}");
    private static final Pattern SUMMARY = Pattern.compile("\\{\"entries\":(\\d{1,18}),\"whiteouts\":(\\d{1,18})}");

    /**
     * What a diff wrote: {@code bytes} of tar, {@code entries} added or changed and {@code whiteouts}
     * (-1 when the guest did not say), and the builtin's {@code warnings} (entries it left out), if any.
     */
    public record DiffStats(long bytes, long entries, long whiteouts, String warnings) {
        public DiffStats {
            warnings = Objects.requireNonNull(warnings, "warnings");
        }
    }

    private GuestLayers() {}

    /** Marks the guest's root (its own filesystem only) as the base of the next {@link #diff}; returns the entries recorded. */
    public static long mark(AgentConnection agent, Duration timeout) throws IOException, InterruptedException {
        BoundedOutput out = new BoundedOutput(MAX_STDOUT_BYTES);
        long deadline = deadline(timeout);
        ExecSession s = start(agent, MARK, false);
        String err = collect(s, MARK, deadline, timeout, out::write);
        return count(MARK, out, err);
    }

    /** {@link #diff(AgentConnection, OutputStream, Duration, long)} up to {@link #DEFAULT_MAX_DIFF_BYTES}. */
    public static DiffStats diff(AgentConnection agent, OutputStream tar, Duration timeout)
            throws IOException, InterruptedException {
        return diff(agent, tar, timeout, DEFAULT_MAX_DIFF_BYTES);
    }

    /**
     * Writes what changed in the guest's root since the {@link #mark} to {@code tar} as an
     * uncompressed OCI layer tar, as it arrives; the mark is gone afterwards. A diff larger than
     * {@code maxBytes} is killed and fails (what was written stays in {@code tar}: discard it).
     * An IOException of {@code tar} kills the diff and is thrown as is.
     */
    public static DiffStats diff(AgentConnection agent, OutputStream tar, Duration timeout, long maxBytes)
            throws IOException, InterruptedException {
        Objects.requireNonNull(tar, "tar");
        long deadline = deadline(timeout);
        ExecSession s = start(agent, DIFF, false);
        long[] bytes = {0};
        String err = collect(s, DIFF, deadline, timeout, data -> {
            bytes[0] += data.length;
            if (bytes[0] > maxBytes) {
                throw new AgentException(DIFF + " sent more than " + maxBytes + " bytes; killed it");
            }
            tar.write(data);
        });
        return summary(bytes[0], err);
    }

    /**
     * Extracts the uncompressed OCI layer tar read from {@code tar} into the guest's root
     * (whiteouts and opaque directories applied); returns the entries applied. A tar entry the
     * guest refuses (an absolute name, a {@code ..} component) fails with exit
     * {@link GuestLayerException#EXIT_REFUSED} and a message naming it.
     */
    public static long apply(AgentConnection agent, InputStream tar, Duration timeout) throws IOException, InterruptedException {
        Objects.requireNonNull(tar, "tar");
        long deadline = deadline(timeout);
        BoundedOutput out = new BoundedOutput(MAX_STDOUT_BYTES);
        ExecSession s = start(agent, UNTAR, true);
        AgentException stdinFailed = null;
        try {
            byte[] buf = new byte[STDIN_CHUNK_BYTES];
            int n;
            while ((n = tar.read(buf)) >= 0) {
                if (n > 0) {
                    s.writeStdin(buf, 0, n, left(deadline, timeout));
                }
            }
            s.closeStdin();
        } catch (AgentException e) {
            stdinFailed = e; // the guest may have ended the exec (a refused entry): its exit says why
        } catch (IOException | RuntimeException e) {
            s.kill();
            throw e;
        }
        String err = collect(s, UNTAR, deadline, timeout, out::write);
        if (stdinFailed != null) {
            throw new AgentException(UNTAR + " stopped taking the tar: " + stdinFailed.getMessage(), stdinFailed);
        }
        return count(UNTAR, out, err);
    }

    private interface Sink {
        void accept(byte[] data) throws IOException;
    }

    private static ExecSession start(AgentConnection agent, String builtin, boolean stdin) throws AgentException {
        agent.requireAgent(AgentVersion.LAYER_BUILTINS, "the " + builtin + " builtin");
        ExecRequest req = ExecRequest.of(builtin).asBuiltin();
        return agent.exec(stdin ? req.withStdin() : req);
    }

    /**
     * Passes stdout to {@code sink} until the exec ends; returns its stderr (bounded). Kills the
     * exec on a timeout, on an exception of the sink and when interrupted.
     */
    private static String collect(ExecSession s, String builtin, long deadline, Duration timeout, Sink sink)
            throws IOException, InterruptedException {
        BoundedOutput err = new BoundedOutput(MAX_STDERR_BYTES);
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AgentException(builtin + " did not finish within " + timeout.toMillis() + " ms; killed it");
                }
                switch (s.next(Duration.ofNanos(left))) {
                    case null -> { }
                    case ExecEvent.Started started -> { }
                    case ExecEvent.Stdout o -> sink.accept(o.data());
                    case ExecEvent.Stderr o -> err.write(o.data());
                    case ExecEvent.Failed f -> throw new AgentException(builtin + " failed: " + f.message());
                    case ExecEvent.Exit x -> {
                        String text = new String(err.bytes(), StandardCharsets.UTF_8);
                        if (x.exitCode() != 0 || x.signal() != 0) {
                            throw new GuestLayerException(builtin, x.exitCode(), text);
                        }
                        return text;
                    }
                }
            }
        } finally {
            if (!s.isDone()) {
                s.kill();
            }
        }
    }

    private static long count(String builtin, BoundedOutput out, String err) throws AgentException {
        String text = new String(out.bytes(), StandardCharsets.UTF_8).strip();
        Matcher m = ENTRIES.matcher(text);
        if (!m.matches()) {
            throw new AgentException(builtin + " answered " + abbreviate(text) + " instead of its entry count"
                    + (err.isBlank() ? "" : " (stderr: " + abbreviate(err.strip()) + ")"));
        }
        return Long.parseLong(m.group(1));
    }

    /** The diff's last stderr line is its summary; the lines before are warnings. */
    private static DiffStats summary(long bytes, String err) {
        String text = err.stripTrailing();
        int nl = text.lastIndexOf('\n');
        Matcher m = SUMMARY.matcher(text.substring(nl + 1));
        if (!m.matches()) {
            return new DiffStats(bytes, -1, -1, text);
        }
        return new DiffStats(bytes, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)), nl < 0 ? "" : text.substring(0, nl));
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? "'" + s + "'" : "'" + s.substring(0, 200) + "…'";
    }

    private static long deadline(Duration timeout) {
        if (timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("timeout must be positive: " + timeout);
        }
        return System.nanoTime() + timeout.toNanos();
    }

    private static Duration left(long deadline, Duration timeout) throws AgentException {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
            throw new AgentException("the tar was not taken within " + timeout.toMillis() + " ms");
        }
        return Duration.ofNanos(left);
    }
}
