package dev.burrow.daemon.images.builtin;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Where a Debian root file system comes from: a suite (a codename such as {@code bookworm}) and
 * an http(s) mirror of the Debian archive.
 *
 * <p>{@link #host()} takes both from the host, so the image matches the Debian the host runs and
 * is fetched from the mirror the host already uses: the suite is {@code VERSION_CODENAME} of
 * {@code /etc/os-release}; the mirror is the first {@code deb} source of the host's apt
 * configuration ({@code /etc/apt/sources.list}, then {@code /etc/apt/sources.list.d/*.list} and
 * {@code *.sources} in name order, as apt reads them) whose suite is that codename, else one
 * whose suite is a Debian alias such as {@code stable}, else {@link #DEFAULT_MIRROR}.
 */
public record DebianSource(String suite, String mirror) {
    public static final String DEFAULT_MIRROR = "http://deb.debian.org/debian";

    private static final Pattern SUITE = Pattern.compile("[a-z][a-z0-9-]{0,63}");
    /** Suites that name a Debian release without being its codename. */
    private static final Set<String> ALIASES = Set.of("stable", "oldstable", "oldoldstable", "testing", "unstable", "sid");

    public DebianSource {
        Objects.requireNonNull(suite, "suite");
        Objects.requireNonNull(mirror, "mirror");
        if (!SUITE.matcher(suite).matches()) {
            throw new IllegalArgumentException("not a Debian suite name: '" + suite + "'");
        }
        String given = mirror;
        mirror = normalizeMirror(given)
                .orElseThrow(() -> new IllegalArgumentException("not an http(s) mirror URL without credentials: '" + given + "'"));
    }

    /** The host's suite and mirror, from {@code /etc/os-release} and {@code /etc/apt}. */
    public static DebianSource host() throws IOException {
        return fromHost(Path.of("/etc/os-release"), Path.of("/etc/apt"));
    }

    /** As {@link #host()}, reading the given {@code os-release} file and apt configuration directory. */
    static DebianSource fromHost(Path osRelease, Path etcApt) throws IOException {
        String text;
        try {
            text = Files.readString(osRelease, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw new IOException("cannot tell the host's Debian release: " + osRelease + " does not exist");
        }
        String suite = suiteFromOsRelease(text);
        return new DebianSource(suite, mirrorFromApt(etcApt, suite).orElse(DEFAULT_MIRROR));
    }

    /**
     * The codename of a Debian {@code os-release}: {@code VERSION_CODENAME}, else the name in
     * parentheses of {@code VERSION} (older releases). Fails when the host is not Debian.
     */
    static String suiteFromOsRelease(String osRelease) throws IOException {
        Map<String, String> fields = parseOsRelease(osRelease);
        String id = fields.getOrDefault("ID", "");
        if (!id.equals("debian")) {
            throw new IOException("the host is not Debian (os-release ID='" + id + "'): pass a DebianSource"
                    + " with an explicit suite and mirror instead of using the host's");
        }
        String codename = fields.getOrDefault("VERSION_CODENAME", "");
        if (codename.isEmpty()) {
            String version = fields.getOrDefault("VERSION", "");
            int open = version.indexOf('(');
            int close = version.indexOf(')', open + 1);
            if (open >= 0 && close > open) {
                codename = version.substring(open + 1, close).trim();
            }
        }
        codename = codename.toLowerCase(Locale.ROOT);
        if (!SUITE.matcher(codename).matches()) {
            throw new IOException("os-release names no usable Debian codename (VERSION_CODENAME='" + codename + "')");
        }
        return codename;
    }

    static Map<String, String> parseOsRelease(String text) {
        Map<String, String> m = new LinkedHashMap<>();
        for (String raw : text.split("\n")) {
            String line = raw.strip();
            int eq = line.indexOf('=');
            if (line.isEmpty() || line.startsWith("#") || eq <= 0) {
                continue;
            }
            String value = line.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')
                    && value.charAt(value.length() - 1) == value.charAt(0)) {
                value = value.substring(1, value.length() - 1).replace("\\\"", "\"").replace("\\\\", "\\");
            }
            m.put(line.substring(0, eq).strip(), value);
        }
        return m;
    }

    /** One {@code deb} source: a URI and the suites it serves. */
    record AptSource(String uri, List<String> suites) {
    }

    /** The mirror to use for {@code suite} from an apt configuration directory, if it names one. */
    static Optional<String> mirrorFromApt(Path etcApt, String suite) throws IOException {
        return chooseMirror(readSources(etcApt), suite);
    }

    static Optional<String> chooseMirror(List<AptSource> sources, String suite) {
        for (AptSource s : sources) {
            if (s.suites().contains(suite)) {
                Optional<String> m = normalizeMirror(s.uri());
                if (m.isPresent()) {
                    return m;
                }
            }
        }
        for (AptSource s : sources) {
            if (s.suites().stream().anyMatch(ALIASES::contains)) {
                Optional<String> m = normalizeMirror(s.uri());
                if (m.isPresent()) {
                    return m;
                }
            }
        }
        return Optional.empty();
    }

    /** Every {@code deb} source in apt's reading order. Unreadable files are skipped. */
    static List<AptSource> readSources(Path etcApt) throws IOException {
        List<AptSource> out = new ArrayList<>();
        Path list = etcApt.resolve("sources.list");
        if (Files.isRegularFile(list)) {
            out.addAll(parseOneLineStyle(Files.readString(list, StandardCharsets.UTF_8)));
        }
        Path dir = etcApt.resolve("sources.list.d");
        if (Files.isDirectory(dir)) {
            List<Path> files;
            try (Stream<Path> s = Files.list(dir)) {
                files = s.filter(Files::isRegularFile)
                        .sorted((a, b) -> a.getFileName().toString().compareTo(b.getFileName().toString()))
                        .toList();
            }
            for (Path f : files) {
                String name = f.getFileName().toString();
                if (name.endsWith(".list")) {
                    out.addAll(parseOneLineStyle(Files.readString(f, StandardCharsets.UTF_8)));
                } else if (name.endsWith(".sources")) {
                    out.addAll(parseDeb822(Files.readString(f, StandardCharsets.UTF_8)));
                }
            }
        }
        return out;
    }

    /** {@code deb [options] uri suite [component...]} lines; {@code deb-src} and comments ignored. */
    static List<AptSource> parseOneLineStyle(String text) {
        List<AptSource> out = new ArrayList<>();
        for (String raw : text.split("\n")) {
            String line = raw;
            int hash = line.indexOf('#');
            if (hash >= 0) {
                line = line.substring(0, hash);
            }
            line = line.strip();
            if (!line.startsWith("deb") || line.length() < 4 || !Character.isWhitespace(line.charAt(3))) {
                continue; // blank, deb-src or something else
            }
            String rest = line.substring(3).strip();
            if (rest.startsWith("[")) {
                int close = rest.indexOf(']');
                if (close < 0) {
                    continue;
                }
                rest = rest.substring(close + 1).strip();
            }
            String[] words = rest.split("\\s+");
            if (words.length >= 2) {
                out.add(new AptSource(words[0], List.of(words[1])));
            }
        }
        return out;
    }

    /** deb822 stanzas ({@code Types}, {@code URIs}, {@code Suites}, {@code Enabled}). */
    static List<AptSource> parseDeb822(String text) {
        List<AptSource> out = new ArrayList<>();
        Map<String, String> stanza = new LinkedHashMap<>();
        String lastKey = null;
        for (String raw : text.split("\n")) {
            if (raw.strip().isEmpty()) {
                addStanza(stanza, out);
                stanza.clear();
                lastKey = null;
                continue;
            }
            if (raw.startsWith("#")) {
                continue;
            }
            if (Character.isWhitespace(raw.charAt(0))) {
                if (lastKey != null) { // continuation line
                    stanza.merge(lastKey, " " + raw.strip(), String::concat);
                }
                continue;
            }
            int colon = raw.indexOf(':');
            if (colon <= 0) {
                continue;
            }
            lastKey = raw.substring(0, colon).strip().toLowerCase(Locale.ROOT);
            stanza.put(lastKey, raw.substring(colon + 1).strip());
        }
        addStanza(stanza, out);
        return out;
    }

    private static void addStanza(Map<String, String> stanza, List<AptSource> out) {
        if (stanza.isEmpty() || stanza.getOrDefault("enabled", "yes").equalsIgnoreCase("no")) {
            return;
        }
        List<String> types = words(stanza.get("types"));
        if (!types.contains("deb")) {
            return;
        }
        List<String> suites = words(stanza.get("suites"));
        for (String uri : words(stanza.get("uris"))) {
            out.add(new AptSource(uri, suites));
        }
    }

    private static List<String> words(String value) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        return List.of(value.strip().split("\\s+"));
    }

    /** An http(s) URL without credentials, query or fragment, without its trailing slash. */
    static Optional<String> normalizeMirror(String uri) {
        URI u;
        try {
            u = new URI(uri);
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || u.getHost() == null || u.getRawUserInfo() != null
                || u.getRawQuery() != null || u.getRawFragment() != null) {
            return Optional.empty();
        }
        String s = u.toString();
        while (s.endsWith("/")) {
            s = s.substring(0, s.length() - 1);
        }
        return Optional.of(s);
    }
}
