package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.util.List;
import java.util.Set;
import java.util.function.LongConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code burrow cp SRC DST}: copies a file or a directory tree into or out of a microVM through
 * the files API; one side is {@code ID:/absolute/path}. A directory comes down as a tar that is
 * extracted safely ({@link TarExtractor}: the guest is not trusted) and goes up as one mkdir or
 * write per entry. Like cp, a destination that is an existing directory receives the source
 * under its own name. {@code -} as DST writes a download to stdout (a directory as its tar).
 */
@Command(name = "cp", description = {"Copy files or directories between this machine and a microVM.",
        "One of SRC and DST is ID:/path (an id or unique prefix, an absolute path in the microVM); - as DST is stdout."})
public final class CpCommand extends BaseCommand {
    private static final Pattern REMOTE = Pattern.compile("([a-z0-9]{1,40}):(.*)", Pattern.DOTALL);
    private static final int BUFFER = 1 << 16;

    @Parameters(index = "0", paramLabel = "SRC", description = "A local path or ID:/path.")
    String src;

    @Parameters(index = "1", paramLabel = "DST", description = "A local path, - (stdout) or ID:/path.")
    String dst;

    private record Remote(String id, String path) {}

    @Override
    public Integer call() throws IOException {
        Remote from = remote(src);
        Remote to = remote(dst);
        if (from != null && to != null) {
            throw new BurrowException("cp: copying from one microVM to another is not supported; copy through this machine");
        }
        if (from == null && to == null) {
            throw new BurrowException("cp: one of SRC and DST must be ID:/path (use ./" + src + " for a local path with a colon)");
        }
        Progress progress = new Progress(env);
        if (from != null) {
            download(from, dst, progress);
        } else {
            upload(Path.of(src), to, progress);
        }
        return 0;
    }

    private static Remote remote(String arg) {
        Matcher m = REMOTE.matcher(arg);
        if (!m.matches()) {
            return null;
        }
        if (!m.group(2).startsWith("/")) {
            throw new BurrowException("cp: " + arg + ": the path in the microVM must be absolute (ID:/path)");
        }
        return new Remote(m.group(1), m.group(2));
    }

    private static String filesPath(String id, String suffix, String path) {
        return "/v1/microvms/" + ApiClient.seg(id) + "/files" + suffix + "?path=" + ApiClient.q(path);
    }

    /** The last name of a guest path ("" for /). */
    private static String baseName(String path) {
        String p = path;
        while (p.length() > 1 && p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        return p.substring(p.lastIndexOf('/') + 1);
    }

    // ---- download ----

    private void download(Remote from, String dst, Progress progress) throws IOException {
        String id = IdResolver.resolve(api(), from.id());
        HttpResponse<InputStream> resp = api().getStreaming(filesPath(id, "", from.path()));
        boolean tar = resp.headers().firstValue("Content-Type").orElse("").startsWith("application/x-tar");
        String label = from.id() + ":" + from.path();
        LongConsumer shown = n -> progress.show(line("downloading", label, n, -1), false);
        long[] got = {0};
        LongConsumer count = n -> {
            got[0] = n;
            shown.accept(n);
        };
        try (InputStream in = resp.body()) {
            if (dst.equals("-")) {
                copy(in, out(), count);
                out().flush();
            } else if (tar) {
                Path local = Path.of(dst);
                String base = baseName(from.path());
                Path into = Files.isDirectory(local) && !base.isEmpty() ? local.resolve(base) : local;
                Files.createDirectories(into);
                for (String warning : TarExtractor.extract(in, into, count)) {
                    progress.clear();
                    err().println("cp: " + warning);
                }
            } else {
                Path local = Path.of(dst);
                Path target = Files.isDirectory(local) ? local.resolve(baseName(from.path())) : local;
                writeAtomically(in, target, count);
            }
        } catch (IOException e) {
            progress.clear();
            throw new BurrowException("cp: " + label + ": " + e.getMessage(), e);
        }
        progress.done(line("downloaded", label, got[0], -1));
    }

    /** Writes the file next to its target and renames it into place: a cut transfer leaves the old file as it was. */
    private static void writeAtomically(InputStream in, Path target, LongConsumer count) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Path part = Files.createTempFile(dir, "." + target.getFileName() + ".", ".part");
        try {
            try (OutputStream out = Files.newOutputStream(part)) {
                copy(in, out, count);
            }
            Files.move(part, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private static void copy(InputStream in, OutputStream out, LongConsumer count) throws IOException {
        byte[] buf = new byte[BUFFER];
        long total = 0;
        int n;
        while ((n = in.read(buf)) >= 0) {
            out.write(buf, 0, n);
            total += n;
            count.accept(total);
        }
    }

    // ---- upload ----

    private enum Kind { MISSING, FILE, DIR }

    private void upload(Path local, Remote to, Progress progress) throws IOException {
        if (!Files.exists(local)) {
            throw new BurrowException("cp: " + local + ": no such file or directory");
        }
        String id = IdResolver.resolve(api(), to.id());
        String target = to.path();
        if (to.path().endsWith("/") || kind(id, to.path()) == Kind.DIR) {
            target = join(to.path(), local.toAbsolutePath().normalize().getFileName().toString());
        }
        String label = local + " → " + to.id() + ":" + target;
        if (!Files.isDirectory(local)) {
            long size = Files.size(local);
            put(id, target, local, size, n -> progress.show(line("uploading", label, n, size), false));
            progress.done(line("uploaded", label, size, size));
            return;
        }
        List<Path> entries;
        try (Stream<Path> walk = Files.walk(local)) {
            entries = walk.sorted().toList();
        }
        long total = 0;
        for (Path p : entries) {
            if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
                total += Files.size(p);
            }
        }
        long all = total;
        long[] done = {0};
        for (Path p : entries) {
            String rel = local.relativize(p).toString().replace('\\', '/');
            String remote = rel.isEmpty() ? target : join(target, rel);
            PosixFileAttributes attrs = Files.readAttributes(p, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
            if (attrs.isDirectory()) {
                api().send(api().request(filesPath(id, "", remote) + "&type=dir&mode=" + mode(attrs.permissions()))
                        .header("Accept", "application/json").PUT(HttpRequest.BodyPublishers.noBody()).build(),
                        HttpResponse.BodyHandlers.ofString());
            } else if (attrs.isRegularFile()) {
                long before = done[0];
                put(id, remote, p, attrs.size(), n -> progress.show(line("uploading", label, before + n, all), false));
                done[0] += attrs.size();
            } else {
                progress.clear();
                err().println("cp: " + p + ": skipped (" + (attrs.isSymbolicLink() ? "symlinks are not copied into a microVM" : "not a regular file") + ")");
            }
        }
        progress.done(line("uploaded", label, done[0], all));
    }

    /** What is at a guest path, from its listing: a file lists itself; a directory its entries (maybe none). */
    private Kind kind(String id, String path) {
        HttpResponse<InputStream> resp;
        try {
            resp = api().getStreaming(filesPath(id, "/list", path));
        } catch (BurrowException e) {
            if (e.status() == 404) {
                return Kind.MISSING;
            }
            throw e;
        }
        try (InputStream in = resp.body();
             BufferedReader lines = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String first;
            do {
                first = lines.readLine();
            } while (first != null && first.isBlank());
            if (first == null) {
                return Kind.DIR;
            }
            JsonNode entry = Json.parse(first);
            return path.equals(Json.text(entry, "path")) && !"dir".equals(Json.text(entry, "type")) ? Kind.FILE : Kind.DIR;
        } catch (IOException e) {
            throw new BurrowException("cp: listing " + path + ": " + e.getMessage(), e);
        }
    }

    private void put(String id, String remote, Path file, long size, LongConsumer count) {
        String mode;
        try {
            mode = mode(Files.getPosixFilePermissions(file));
        } catch (IOException | UnsupportedOperationException e) {
            mode = null;
        }
        HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(() -> {
            try {
                return new Counting(Files.newInputStream(file), count);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }), size);
        api().send(api().request(filesPath(id, "", remote) + (mode == null ? "" : "&mode=" + mode))
                .header("Content-Type", "application/octet-stream").header("Accept", "application/json").PUT(body).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static String join(String dir, String rel) {
        return dir.endsWith("/") ? dir + rel : dir + "/" + rel;
    }

    static String mode(Set<PosixFilePermission> perms) {
        int m = 0;
        for (PosixFilePermission p : perms) {
            m |= 1 << (8 - p.ordinal());
        }
        return String.format("%04o", m);
    }

    private static String line(String verb, String label, long n, long total) {
        if (total > 0) {
            return String.format("%s %s  %s / %s (%d%%)", verb, label, Units.humanBytes(n), Units.humanBytes(total), n * 100 / total);
        }
        return verb + " " + label + "  " + Units.humanBytes(n);
    }

    /** Counts what the HTTP client reads. */
    private static final class Counting extends FilterInputStream {
        private final LongConsumer count;
        private long n;

        Counting(InputStream in, LongConsumer count) {
            super(in);
            this.count = count;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0) {
                count.accept(++n);
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int r = super.read(b, off, len);
            if (r > 0) {
                n += r;
                count.accept(n);
            }
            return r;
        }
    }
}
