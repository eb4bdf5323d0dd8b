package dev.burrow.daemon.microvms.files;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecEvent;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The files API's operations, each one builtin in the microVM (see the package doc). Small
 * operations answer the guest's JSON for the entry; transfers stream to a {@link Sink} as the
 * guest produces, so what is in flight is bounded by the exec stream's window.
 */
public final class GuestFiles {

    /** Where a streamed result goes (the HTTP response). */
    public interface Sink {
        /** Once, before the first byte, when the operation started well: send the status and headers. */
        void begin() throws IOException;

        void write(byte[] data) throws IOException;

        /** The guest was quiet for a poll: answer false to end the stream (burrowd stopping); may send a keep-alive. */
        boolean idle() throws IOException;
    }

    private static final Logger LOG = LoggerFactory.getLogger(GuestFiles.class);
    private static final Pattern MODE = Pattern.compile("[0-7]{3,4}");
    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS).build();

    private final BuiltinRun.Launcher launcher;
    private final FileLimits limits;

    public GuestFiles(BuiltinRun.Launcher launcher, FileLimits limits) {
        this.launcher = launcher;
        this.limits = limits;
    }

    public FileLimits limits() {
        return limits;
    }

    /** {@code value} when it is an absolute path without NUL of at most {@link FileLimits#maxPathBytes}; else a 400 naming {@code field}. */
    public String checkPath(String field, String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidRequestException(field, field + " is required: an absolute path in the microVM, e.g. /root/notes.txt");
        }
        if (value.charAt(0) != '/') {
            throw new InvalidRequestException(field, field + " must be an absolute path (start with /)");
        }
        if (value.indexOf('\0') >= 0) {
            throw new InvalidRequestException(field, field + " must not contain NUL characters");
        }
        int bytes = value.getBytes(StandardCharsets.UTF_8).length;
        if (bytes > limits.maxPathBytes()) {
            throw new InvalidRequestException(field, field + " must be at most " + limits.maxPathBytes() + " bytes of UTF-8; got " + bytes);
        }
        return value;
    }

    /** The entry at {@code path} (a symlink's target with {@code follow}). */
    public Map<String, Object> stat(String tenantId, String id, String path, boolean follow, String requestId) throws IOException, InterruptedException {
        checkPath("path", path);
        return small(tenantId, id, follow ? List.of("stat", path, "follow") : List.of("stat", path), requestId);
    }

    /** mkdir -p ({@code mode}, when given, is the last directory's if this makes it); the directory's entry. */
    public Map<String, Object> mkdir(String tenantId, String id, String path, String mode, String requestId) throws IOException, InterruptedException {
        checkPath("path", path);
        checkMode(mode);
        return small(tenantId, id, mode == null ? List.of("mkdir", path) : List.of("mkdir", path, mode), requestId);
    }

    private static void checkMode(String mode) {
        if (mode != null && !MODE.matcher(mode).matches()) {
            throw new InvalidRequestException("mode", "mode must be 3 or 4 octal digits (e.g. 644 or 0755); got '" + printable(mode) + "'");
        }
    }

    /** Removes a file, a symlink or a whole tree (never crossing into another mount). */
    public void remove(String tenantId, String id, String path, String requestId) throws IOException, InterruptedException {
        checkPath("path", path);
        small(tenantId, id, List.of("rm", path), requestId);
    }

    /** Renames {@code from} to {@code to} (parents of {@code to} created); the moved entry. */
    public Map<String, Object> move(String tenantId, String id, String from, String to, String requestId) throws IOException, InterruptedException {
        checkPath("from", from);
        checkPath("to", to);
        return small(tenantId, id, List.of("mv", from, to), requestId);
    }

    /**
     * Writes {@code body} to {@code path} atomically (a temporary file, fsync, rename; parents
     * created 0755); without {@code mode} a replaced file keeps its mode, a new one gets 0644. With {@code length}, a body of another length changes nothing. A body that
     * fails to arrive kills the builtin, so no partial file is ever renamed into place.
     */
    public Map<String, Object> write(String tenantId, String id, String path, String mode, Long length, InputStream body,
                                     String requestId) throws IOException, InterruptedException {
        checkPath("path", path);
        checkMode(mode);
        List<String> argv = new ArrayList<>(List.of("write", path, mode == null ? "-" : mode));
        if (length != null) {
            argv.add(Long.toString(length));
        }
        try (BuiltinRun run = launcher.start(tenantId, id, argv, true, requestId)) {
            boolean exited = false;
            try {
                byte[] buf = new byte[limits.chunkBytes()];
                boolean guestGone = false;
                int n;
                while (!guestGone && (n = body.read(buf)) > 0) {
                    try {
                        run.writeStdin(buf, 0, n, limits.stdinWait());
                    } catch (AgentException ended) {
                        guestGone = true; // it failed early (e.g. permission denied): its exit says why
                    }
                }
                if (!guestGone) {
                    try {
                        run.closeStdin();
                    } catch (AgentException ended) {
                        // likewise
                    }
                }
                Map<String, Object> entry = finish("write", run);
                exited = true;
                return entry;
            } finally {
                if (!exited) {
                    run.kill();
                }
            }
        }
    }

    /** Streams the bytes of a file, or a tar of a directory (see {@link #stat} to tell which first). */
    public void read(String tenantId, String id, String path, String requestId, Sink sink) throws IOException, InterruptedException {
        checkPath("path", path);
        stream(tenantId, id, List.of("read", path), requestId, sink, false);
    }

    /** Streams one NDJSON line per entry of a directory (a file lists itself). */
    public void list(String tenantId, String id, String path, String requestId, Sink sink) throws IOException, InterruptedException {
        checkPath("path", path);
        stream(tenantId, id, List.of("list", path), requestId, sink, true);
    }

    /** Streams NDJSON change events until the sink ends it (or the watched root is deleted). */
    public void watch(String tenantId, String id, String path, boolean recursive, String requestId, Sink sink) throws IOException, InterruptedException {
        checkPath("path", path);
        stream(tenantId, id, recursive ? List.of("watch", path, "recursive") : List.of("watch", path), requestId, sink, true);
    }

    // ---- running builtins ----

    private Map<String, Object> small(String tenantId, String id, List<String> argv, String requestId) throws IOException, InterruptedException {
        try (BuiltinRun run = launcher.start(tenantId, id, argv, false, requestId)) {
            boolean exited = false;
            try {
                Map<String, Object> entry = finish(argv.getFirst(), run);
                exited = true;
                return entry;
            } finally {
                if (!exited) {
                    run.kill();
                }
            }
        }
    }

    /** Collects the builtin's (small) output to its exit within the op timeout: its JSON object, or null when it printed none. */
    private Map<String, Object> finish(String op, BuiltinRun run) throws InterruptedException {
        Bounded out = new Bounded(limits.maxResultBytes());
        Bounded err = new Bounded(limits.maxMessageBytes());
        long deadline = System.nanoTime() + limits.opTimeout().toNanos();
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new GuestFileException(GuestFileException.Kind.OTHER, op + " did not finish within " + limits.opTimeout().toSeconds() + " s");
            }
            ExecEvent e = run.next(Duration.ofNanos(Math.min(left, limits.poll().toNanos())));
            switch (e) {
                case null -> { }
                case ExecEvent.Started s -> { }
                case ExecEvent.Stdout o -> out.add(o.data());
                case ExecEvent.Stderr o -> err.add(o.data());
                case ExecEvent.Exit x -> {
                    if (x.exitCode() != BuiltinExit.OK || x.signal() != 0) {
                        throw BuiltinExit.failure(op, x.exitCode(), x.signal(), err.bytes());
                    }
                    if (out.overflowed()) {
                        throw new GuestFileException(GuestFileException.Kind.OTHER, op + " answered more than " + limits.maxResultBytes() + " bytes");
                    }
                    return out.size() == 0 ? null : object(op, out.bytes());
                }
                case ExecEvent.Failed f -> throw failed(f);
            }
        }
    }

    private void stream(String tenantId, String id, List<String> argv, String requestId, Sink sink, boolean lines)
            throws IOException, InterruptedException {
        String op = argv.getFirst();
        try (BuiltinRun run = launcher.start(tenantId, id, argv, false, requestId)) {
            boolean exited = false;
            try {
                Bounded err = new Bounded(limits.maxMessageBytes());
                LineCoder coder = lines ? new LineCoder(op) : null;
                boolean begun = false;
                while (true) {
                    ExecEvent e = run.next(limits.poll());
                    switch (e) {
                        case null -> {
                            if (begun && !sink.idle()) {
                                return;
                            }
                        }
                        case ExecEvent.Started s -> { }
                        case ExecEvent.Stderr o -> err.add(o.data());
                        case ExecEvent.Stdout o -> {
                            if (!begun) {
                                sink.begin();
                                begun = true;
                            }
                            byte[] data = coder == null ? o.data() : coder.take(o.data());
                            if (data.length > 0) {
                                sink.write(data);
                            }
                        }
                        case ExecEvent.Exit x -> {
                            exited = true;
                            if (x.exitCode() != BuiltinExit.OK || x.signal() != 0) {
                                GuestFileException failure = BuiltinExit.failure(op, x.exitCode(), x.signal(), err.bytes());
                                if (begun) {
                                    throw new IOException(op + " failed after the response started: " + failure.getMessage());
                                }
                                throw failure;
                            }
                            if (coder != null) {
                                coder.end();
                            }
                            if (err.size() > 0) {
                                // entries a tar skipped, a watch limit reached: the guest's warnings, cleaned
                                LOG.info("request {}: {} {} in {} warned: {}", requestId, op, printable(argv.get(1)), id,
                                        BuiltinExit.firstLine(err.bytes()));
                            }
                            if (!begun) {
                                sink.begin();
                            }
                            return;
                        }
                        case ExecEvent.Failed f -> {
                            exited = true;
                            if (begun) {
                                throw new IOException(op + " failed after the response started: " + f.message());
                            }
                            throw failed(f);
                        }
                    }
                }
            } finally {
                if (!exited) {
                    run.kill();
                }
            }
        }
    }

    private static GuestFileException failed(ExecEvent.Failed f) {
        if (f.message().contains("unknown builtin")) {
            return BuiltinExit.failure("", BuiltinExit.UNKNOWN_BUILTIN, 0, new byte[0]);
        }
        return new GuestFileException(GuestFileException.Kind.OTHER, "the file operation failed in the guest: " + f.message());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> object(String op, byte[] json) {
        try {
            JsonNode node = JSON.readTree(json);
            if (node == null || !node.isObject()) {
                throw new GuestFileException(GuestFileException.Kind.OTHER, op + " answered something other than a JSON object");
            }
            return JSON.convertValue(node, Map.class);
        } catch (IOException e) {
            throw new GuestFileException(GuestFileException.Kind.OTHER, op + " answered invalid JSON");
        }
    }

    static String printable(String s) {
        String cut = s.length() > 64 ? s.substring(0, 64) + "…" : s;
        StringBuilder b = new StringBuilder(cut.length());
        cut.codePoints().forEach(cp -> b.appendCodePoint(Character.isISOControl(cp) ? '?' : cp));
        return b.toString();
    }

    /** The first {@code cap} bytes of what was added, and whether more came. */
    private static final class Bounded {
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private final int cap;
        private boolean overflowed;

        Bounded(int cap) {
            this.cap = cap;
        }

        void add(byte[] data) {
            int room = cap - bytes.size();
            if (data.length > room) {
                overflowed = true;
            }
            bytes.write(data, 0, Math.max(0, Math.min(room, data.length)));
        }

        boolean overflowed() {
            return overflowed;
        }

        int size() {
            return bytes.size();
        }

        byte[] bytes() {
            return bytes.toByteArray();
        }
    }

    /**
     * Splits the guest's NDJSON into lines of at most {@link FileLimits#maxLineBytes} and
     * re-encodes each as a JSON object: what reaches the client is valid NDJSON whatever the
     * guest sent (a line that is not a JSON object ends the stream). Bare newlines are dropped.
     */
    private final class LineCoder {
        private final String op;
        private final ByteArrayOutputStream partial = new ByteArrayOutputStream();

        LineCoder(String op) {
            this.op = op;
        }

        byte[] take(byte[] data) throws IOException {
            ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 64);
            int start = 0;
            for (int i = 0; i < data.length; i++) {
                if (data[i] == '\n') {
                    partial.write(data, start, i - start);
                    line(partial.toByteArray(), out);
                    partial.reset();
                    start = i + 1;
                }
            }
            if (partial.size() + data.length - start > limits.maxLineBytes()) {
                throw new IOException(op + " sent a line longer than " + limits.maxLineBytes() + " bytes");
            }
            partial.write(data, start, data.length - start);
            return out.toByteArray();
        }

        void end() throws IOException {
            if (partial.size() > 0) {
                throw new IOException(op + " ended in the middle of a line");
            }
        }

        private void line(byte[] line, ByteArrayOutputStream out) throws IOException {
            if (line.length == 0) {
                return;
            }
            if (line.length > limits.maxLineBytes()) {
                throw new IOException(op + " sent a line longer than " + limits.maxLineBytes() + " bytes");
            }
            try {
                JsonNode node = JSON.readTree(line);
                if (node == null || !node.isObject()) {
                    throw new IOException(op + " sent a line that is not a JSON object");
                }
                out.write(JSON.writeValueAsBytes(node));
                out.write('\n');
            } catch (JsonProcessingException e) {
                throw new IOException(op + " sent a line that is not JSON");
            }
        }
    }
}
