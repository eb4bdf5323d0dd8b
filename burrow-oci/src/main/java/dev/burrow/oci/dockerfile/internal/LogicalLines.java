package dev.burrow.oci.dockerfile.internal;

import dev.burrow.oci.dockerfile.DockerfileException;
import dev.burrow.oci.dockerfile.DockerfileLimits;
import dev.burrow.oci.dockerfile.Heredoc;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns a Dockerfile's text into logical lines: parser directives read, comments and blank lines
 * dropped, continuations joined (comment and blank lines inside a continuation skipped, as Docker
 * does), and the bodies of the heredocs a RUN, COPY or ADD line opens collected.
 */
public final class LogicalLines {
    /** One instruction's text with its first line number and heredoc bodies. */
    public record Logical(int line, String text, List<Heredoc> heredocs) {
    }

    /** The parsed file: the escape character and the logical lines. */
    public record Result(char escape, String syntax, List<Logical> lines) {
    }

    private static final Pattern DIRECTIVE = Pattern.compile("^#\\s*([a-zA-Z][a-zA-Z0-9_-]*)\\s*=\\s*(.*?)\\s*$");
    private static final Pattern HEREDOC = Pattern.compile("^(\\d*)<<(-?)([^<]+)$");
    private static final Set<String> DIRECTIVES = Set.of("escape", "syntax", "check");
    private static final Set<String> HEREDOC_INSTRUCTIONS = Set.of("RUN", "COPY", "ADD");

    private LogicalLines() {
    }

    public static Result split(String text) throws DockerfileException {
        if (text.length() > DockerfileLimits.MAX_BYTES
                || text.getBytes(StandardCharsets.UTF_8).length > DockerfileLimits.MAX_BYTES) {
            throw new DockerfileException(0, "the file is larger than the limit of " + DockerfileLimits.MAX_BYTES
                    + " bytes");
        }
        String[] physical = text.split("\n", -1);
        for (int i = 0; i < physical.length; i++) {
            if (physical[i].endsWith("\r")) {
                physical[i] = physical[i].substring(0, physical[i].length() - 1);
            }
        }
        if (physical.length > 0 && physical[0].startsWith("\uFEFF")) {
            physical[0] = physical[0].substring(1);
        }
        char escape = '\\';
        String syntax = null;
        int i = 0;
        Set<String> seen = new HashSet<>();
        for (; i < physical.length; i++) {
            Matcher m = DIRECTIVE.matcher(physical[i].strip());
            if (!m.matches()) {
                break;
            }
            String key = m.group(1).toLowerCase(Locale.ROOT);
            if (!DIRECTIVES.contains(key)) {
                break; // an unknown directive is a comment, and a comment ends the directives (as in BuildKit)
            }
            if (!seen.add(key)) {
                throw new DockerfileException(i + 1, "the parser directive '" + key + "' is given twice");
            }
            if (key.equals("escape")) {
                String v = m.group(2);
                if (!v.equals("\\") && !v.equals("`")) {
                    throw new DockerfileException(i + 1, "invalid escape character '" + v + "' (must be \\ or `)");
                }
                escape = v.charAt(0);
            } else if (key.equals("syntax")) {
                syntax = m.group(2);
            }
        }
        List<Logical> out = new ArrayList<>();
        while (i < physical.length) {
            String first = physical[i];
            String stripped = first.strip();
            if (stripped.isEmpty() || stripped.startsWith("#")) {
                i++;
                continue;
            }
            int line = i + 1;
            StringBuilder joined = new StringBuilder();
            String cur = first.stripLeading();
            i++;
            while (true) {
                String body = withoutContinuation(cur, escape);
                if (body == null) {
                    append(joined, cur, line);
                    break;
                }
                append(joined, body, line);
                while (i < physical.length && (physical[i].isBlank() || physical[i].strip().startsWith("#"))) {
                    i++;
                }
                if (i >= physical.length) {
                    break;
                }
                cur = physical[i++];
            }
            if (out.size() >= DockerfileLimits.MAX_INSTRUCTIONS) {
                throw new DockerfileException(line, "more than " + DockerfileLimits.MAX_INSTRUCTIONS + " instructions");
            }
            String joinedText = joined.toString().strip();
            List<Heredoc> heredocs = new ArrayList<>();
            List<String[]> markers = heredocMarkers(joinedText, escape);
            for (String[] mk : markers) {
                boolean strip = mk[1].equals("-");
                String name = mk[0];
                StringBuilder content = new StringBuilder();
                boolean closed = false;
                while (i < physical.length) {
                    String l = physical[i++];
                    String cmp = strip ? stripTabs(l) : l;
                    if (cmp.equals(name)) {
                        closed = true;
                        break;
                    }
                    content.append(cmp).append('\n');
                    if (content.length() > DockerfileLimits.MAX_HEREDOC_BYTES) {
                        throw new DockerfileException(line, "the heredoc <<" + name + " is larger than the limit of "
                                + DockerfileLimits.MAX_HEREDOC_BYTES + " bytes");
                    }
                }
                if (!closed) {
                    throw new DockerfileException(line, "the heredoc <<" + name + " is never closed (no line '"
                            + name + "' follows)");
                }
                heredocs.add(new Heredoc(name, content.toString(), mk[2] == null, strip));
            }
            out.add(new Logical(line, joinedText, heredocs));
        }
        return new Result(escape, syntax, out);
    }

    /** The heredoc markers of a RUN/COPY/ADD line in shell form: {name, "-" or "", quoted-or-null}. */
    private static List<String[]> heredocMarkers(String text, char escape) throws DockerfileException {
        List<String[]> out = new ArrayList<>();
        int sp = 0;
        while (sp < text.length() && !Character.isWhitespace(text.charAt(sp))) {
            sp++;
        }
        if (!HEREDOC_INSTRUCTIONS.contains(text.substring(0, sp).toUpperCase(Locale.ROOT))) {
            return out;
        }
        String rest = text.substring(sp).strip();
        if (rest.startsWith("[")) {
            return out;
        }
        for (String w : Words.split(rest, escape)) {
            Matcher m = HEREDOC.matcher(w);
            if (!m.matches()) {
                continue;
            }
            boolean[] quoted = new boolean[1];
            String name = Words.unquote(m.group(3), escape, quoted);
            if (name.isEmpty()) {
                continue;
            }
            out.add(new String[] {name, m.group(2), quoted[0] ? "quoted" : null});
        }
        return out;
    }

    private static String stripTabs(String l) {
        int k = 0;
        while (k < l.length() && l.charAt(k) == '\t') {
            k++;
        }
        return l.substring(k);
    }

    /** The line without its trailing escape (and the blanks after it), or null when it does not continue. */
    private static String withoutContinuation(String l, char escape) {
        int end = l.length();
        while (end > 0 && (l.charAt(end - 1) == ' ' || l.charAt(end - 1) == '\t')) {
            end--;
        }
        if (end > 0 && l.charAt(end - 1) == escape) {
            return l.substring(0, end - 1);
        }
        return null;
    }

    private static void append(StringBuilder joined, String part, int line) throws DockerfileException {
        if (joined.length() + part.length() > DockerfileLimits.MAX_INSTRUCTION_BYTES) {
            throw new DockerfileException(line, "the instruction is longer than the limit of "
                    + DockerfileLimits.MAX_INSTRUCTION_BYTES + " bytes");
        }
        joined.append(part);
    }
}
