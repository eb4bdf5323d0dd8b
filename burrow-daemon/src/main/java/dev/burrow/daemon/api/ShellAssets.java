package dev.burrow.daemon.api;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.zip.GZIPOutputStream;

/**
 * The browser terminal's files, read once from the classpath: the page and error templates, its
 * own script and style, and xterm.js with its fit addon (fetched with npm by the build, see
 * {@code src/build/fetch-xterm.sh}). Each asset has a content hash: pages link
 * {@code /shell/assets/<name>?v=<hash>}, so a link can be cached for good and a new daemon's
 * files are new links.
 */
final class ShellAssets {

    static final String PREFIX = "/shell/assets/";
    private static final String RESOURCES = "/dev/burrow/daemon/shell/";
    private static final String JS = "text/javascript; charset=utf-8";
    private static final String CSS = "text/css; charset=utf-8";
    private static final String TEXT = "text/plain; charset=utf-8";
    /** The only names served: nothing else on the classpath is reachable through {@code /shell/assets/}. */
    private static final Map<String, String> SERVED = Map.of(
            "xterm.js", JS, "addon-fit.js", JS, "shell.js", JS,
            "xterm.css", CSS, "shell.css", CSS,
            "xterm.LICENSE.txt", TEXT, "addon-fit.LICENSE.txt", TEXT);
    /** Hex digits of the content hash in a link (64 bits: enough to tell versions apart). */
    private static final int VERSION_DIGITS = 16;

    /** An asset; {@code gzipped} is its gzip encoding, or null when that would not be smaller. */
    record Asset(String name, String contentType, byte[] bytes, byte[] gzipped, String version) {

        /** The entity tag of one encoding (each representation has its own). */
        String etag(boolean gzip) {
            return "\"" + version + (gzip ? "-gzip" : "") + "\"";
        }
    }

    private final Map<String, Asset> assets = new LinkedHashMap<>();
    private final String page;
    private final String errorPage;

    private ShellAssets() {
        SERVED.forEach((name, type) -> {
            byte[] bytes = read(name);
            byte[] gz = gzip(bytes);
            assets.put(name, new Asset(name, type, bytes, gz.length < bytes.length ? gz : null, hash(bytes)));
        });
        page = new String(read("page.html"), StandardCharsets.UTF_8);
        errorPage = new String(read("error.html"), StandardCharsets.UTF_8);
    }

    /** Reads every file; a build that did not bundle xterm.js fails here, not in a user's browser. */
    static ShellAssets load() {
        return new ShellAssets();
    }

    Optional<Asset> get(String name) {
        return Optional.ofNullable(assets.get(name));
    }

    /** The terminal page of microVM {@code id}. */
    String page(String id) {
        return fill(page, Map.of("title", "Burrow terminal: " + id, "id", id));
    }

    /** A small page for an error, e.g. a missing or expired credential. */
    String errorPage(String title, String detail) {
        return fill(errorPage, Map.of("title", title, "detail", detail));
    }

    /** Replaces {@code {{name}}} by an asset's versioned link, or by an escaped value. */
    private String fill(String template, Map<String, String> values) {
        String out = template;
        for (Asset a : assets.values()) {
            out = out.replace("{{" + a.name() + "}}", PREFIX + a.name() + "?v=" + a.version());
        }
        for (Map.Entry<String, String> e : values.entrySet()) {
            out = out.replace("{{" + e.getKey() + "}}", escape(e.getValue()));
        }
        return out;
    }

    static String escape(String s) {
        StringBuilder b = new StringBuilder(s.length());
        for (char c : s.toCharArray()) {
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    private static byte[] read(String name) {
        try (InputStream in = ShellAssets.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("the browser terminal's " + name + " is not on the classpath: build burrow-daemon"
                        + " with Maven, which fetches xterm.js with npm (apt-get install npm)");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Compressed once at start: xterm.js is ~480 KB as it comes, a quarter of that gzipped. */
    private static byte[] gzip(byte[] bytes) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(bytes.length / 2);
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    private static String hash(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, VERSION_DIGITS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
