package dev.burrow.oci.dockerfile;

import dev.burrow.oci.dockerfile.internal.GoGlob;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code .dockerignore} file with Docker's semantics: one pattern per line ({@code #} lines and
 * blank lines skipped), Go {@code filepath.Match} syntax plus {@code **} for any number of
 * directories, {@code !} for an exception, paths cleaned and taken from the context root
 * (a leading {@code /} is dropped). A pattern matches a path or any of its parent directories;
 * the last matching line wins. Used by the CLI to skip files before an upload and by
 * {@link BuildContext} to hide them from COPY and ADD.
 */
public final class DockerIgnore {
    /** Patterns one file may hold (each is tried on every path of the context). */
    public static final int MAX_PATTERNS = 4096;

    /** Nothing is ignored. */
    public static final DockerIgnore NONE = new DockerIgnore(List.of());

    private record Rule(String pattern, GoGlob glob, boolean exception) {
    }

    private final List<Rule> rules;

    private DockerIgnore(List<Rule> rules) {
        this.rules = List.copyOf(rules);
    }

    /** Parses the file's text; a malformed pattern is an {@link IllegalArgumentException} naming its line. */
    public static DockerIgnore parse(String text) {
        List<Rule> rules = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String l = lines[i].strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            boolean exception = l.startsWith("!");
            if (exception) {
                l = l.substring(1).strip();
            }
            String cleaned = clean(l);
            if (cleaned.isEmpty()) {
                continue;
            }
            if (rules.size() >= MAX_PATTERNS) {
                throw new IllegalArgumentException(".dockerignore line " + (i + 1) + ": more than " + MAX_PATTERNS
                        + " patterns");
            }
            try {
                rules.add(new Rule(cleaned, GoGlob.compile(cleaned, true), exception));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(".dockerignore line " + (i + 1) + ": " + e.getMessage());
            }
        }
        return new DockerIgnore(rules);
    }

    /** True when the patterns exclude this path (relative to the context root, {@code /}-separated). */
    public boolean excluded(String relPath) {
        String path = clean(relPath);
        if (path.isEmpty()) {
            return false;
        }
        List<String> parents = new ArrayList<>();
        int slash = path.indexOf('/');
        while (slash >= 0) {
            parents.add(path.substring(0, slash));
            slash = path.indexOf('/', slash + 1);
        }
        boolean matched = false;
        for (Rule r : rules) {
            if (r.exception() != matched) {
                continue;
            }
            boolean m = r.glob().matches(path);
            for (int k = 0; !m && k < parents.size(); k++) {
                m = r.glob().matches(parents.get(k));
            }
            if (m) {
                matched = !r.exception();
            }
        }
        return matched;
    }

    /** True when an exception rule could re-include something under an excluded directory. */
    public boolean hasExceptions() {
        return rules.stream().anyMatch(Rule::exception);
    }

    /** Go's {@code filepath.Clean}, relative to the root: no leading {@code /}, {@code .}, or {@code ..} above it. */
    static String clean(String p) {
        List<String> parts = new ArrayList<>();
        for (String c : p.split("/")) {
            if (c.isEmpty() || c.equals(".")) {
                continue;
            }
            if (c.equals("..")) {
                if (!parts.isEmpty()) {
                    parts.removeLast();
                }
                continue;
            }
            parts.add(c);
        }
        return String.join("/", parts);
    }
}
