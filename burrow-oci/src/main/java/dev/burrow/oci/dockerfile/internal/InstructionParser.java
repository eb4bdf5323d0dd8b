package dev.burrow.oci.dockerfile.internal;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.burrow.oci.dockerfile.DockerfileException;
import dev.burrow.oci.dockerfile.Heredoc;
import dev.burrow.oci.dockerfile.Instruction;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Pattern;

/** Parses one logical line into instructions (an {@code ARG a b=2} gives one {@code Arg} per name). */
public final class InstructionParser {
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final Pattern STAGE_NAME = Pattern.compile("[a-z][a-z0-9_.-]*");
    private static final Pattern HEREDOC_WORD = Pattern.compile("^\\d*<<-?[^<]+$");
    private static final Pattern FLAG = Pattern.compile("--([a-zA-Z][a-zA-Z0-9-]*)(=(.*))?", Pattern.DOTALL);

    private final char escape;
    private final Consumer<String> warnings;

    public InstructionParser(char escape, Consumer<String> warnings) {
        this.escape = escape;
        this.warnings = warnings;
    }

    public List<Instruction> parse(LogicalLines.Logical l) throws DockerfileException {
        return parse(l.line(), l.text(), l.text(), l.heredocs(), false);
    }

    private List<Instruction> parse(int line, String text, String whole, List<Heredoc> heredocs, boolean onbuild)
            throws DockerfileException {
        int sp = 0;
        while (sp < text.length() && !Character.isWhitespace(text.charAt(sp))) {
            sp++;
        }
        String word = text.substring(0, sp);
        String name = word.toUpperCase(Locale.ROOT);
        String args = text.substring(sp).strip();
        if (!word.chars().allMatch(Character::isLetter)) {
            throw new DockerfileException(line, "unknown instruction '" + shorten(word) + "'");
        }
        return switch (name) {
            case "FROM" -> List.of(from(line, whole, args));
            case "RUN" -> List.of(run(line, whole, args, heredocs));
            case "COPY" -> List.of(copy(line, whole, args, heredocs, false));
            case "ADD" -> List.of(copy(line, whole, args, heredocs, true));
            case "ENV" -> List.of(new Instruction.Env(line, whole, pairs(line, "ENV", args)));
            case "LABEL" -> List.of(new Instruction.Label(line, whole, pairs(line, "LABEL", args)));
            case "ARG" -> arg(line, whole, args);
            case "WORKDIR" -> List.of(new Instruction.Workdir(line, whole, required(line, name, args)));
            case "USER" -> List.of(new Instruction.User(line, whole, required(line, name, args)));
            case "EXPOSE" -> List.of(new Instruction.Expose(line, whole, words(line, name, args)));
            case "ENTRYPOINT" -> {
                Form f = form(line, name, args, false);
                yield List.of(new Instruction.Entrypoint(line, whole, f.exec, f.shell));
            }
            case "CMD" -> {
                Form f = form(line, name, args, true);
                yield List.of(new Instruction.Cmd(line, whole, f.exec, f.shell));
            }
            case "SHELL" -> {
                Form f = form(line, name, args, false);
                if (f.exec == null || f.exec.isEmpty()) {
                    throw new DockerfileException(line, "SHELL takes a JSON array such as [\"/bin/bash\", \"-c\"]");
                }
                yield List.of(new Instruction.Shell(line, whole, f.exec));
            }
            case "VOLUME" -> {
                Form f = form(line, name, args, false);
                yield List.of(new Instruction.Volume(line, whole, f.exec != null ? f.exec : Words.split(f.shell, escape)));
            }
            case "STOPSIGNAL" -> List.of(new Instruction.StopSignal(line, whole, required(line, name, args)));
            case "MAINTAINER" -> List.of(new Instruction.Maintainer(line, whole, required(line, name, args)));
            case "HEALTHCHECK" -> List.of(healthcheck(line, whole, args));
            case "ONBUILD" -> {
                if (onbuild) {
                    throw new DockerfileException(line, "ONBUILD ONBUILD is not allowed");
                }
                String inner = required(line, name, args);
                String innerName = inner.split("\\s+", 2)[0].toUpperCase(Locale.ROOT);
                if (innerName.equals("FROM") || innerName.equals("MAINTAINER")) {
                    throw new DockerfileException(line, "ONBUILD " + innerName + " is not allowed");
                }
                List<Instruction> trigger = parse(line, inner, inner, List.of(), true);
                yield List.of(new Instruction.Onbuild(line, whole, trigger.getFirst()));
            }
            default -> throw new DockerfileException(line, "unknown instruction '" + shorten(word) + "'");
        };
    }

    private Instruction.From from(int line, String whole, String args) throws DockerfileException {
        Flags flags = flags(line, "FROM", args, Set.of("platform"));
        List<String> w = Words.split(flags.rest, escape);
        String alias = null;
        if (w.size() == 3 && w.get(1).equalsIgnoreCase("AS")) {
            alias = w.get(2).toLowerCase(Locale.ROOT);
            if (!STAGE_NAME.matcher(alias).matches()) {
                throw new DockerfileException(line, "invalid stage name '" + shorten(w.get(2))
                        + "' (letters, digits, '-', '_' and '.', starting with a letter)");
            }
        } else if (w.size() != 1) {
            throw new DockerfileException(line, w.isEmpty() ? "FROM needs an image"
                    : "FROM takes an image and optionally AS <name>");
        }
        return new Instruction.From(line, whole, w.getFirst(), flags.values.get("platform"), alias);
    }

    private Instruction.Run run(int line, String whole, String args, List<Heredoc> heredocs) throws DockerfileException {
        Flags flags = flags(line, "RUN", args, Set.of("mount", "network", "security"));
        for (String flag : flags.raw) {
            checkRunFlag(line, flag);
        }
        Form f = form(line, "RUN", flags.rest, false);
        return new Instruction.Run(line, whole, f.exec, f.shell, f.exec == null ? heredocs : List.of(), flags.raw);
    }

    /**
     * A cache mount only speeds Docker up (its files land in the layer here instead): warned and
     * ignored. Every other mount, a host network or an insecure sandbox would change what the
     * command sees: refused.
     */
    private void checkRunFlag(int line, String flag) throws DockerfileException {
        boolean[] quoted = new boolean[1];
        String f = Words.unquote(flag, escape, quoted);
        String lower = f.toLowerCase(Locale.ROOT);
        if (lower.startsWith("--mount=")) {
            List<String> options = List.of(lower.substring("--mount=".length()).split(","));
            if (options.contains("type=cache")) {
                warnings.accept("Dockerfile line " + line + ": RUN " + shorten(f)
                        + " is ignored: Burrow has no cache mounts, the directory is part of the layer");
                return;
            }
            throw new DockerfileException(line, "RUN " + shorten(f) + " is not supported by Burrow (only type=cache "
                    + "mounts are accepted, and ignored)");
        }
        if (lower.startsWith("--network=")) {
            String v = lower.substring("--network=".length());
            if (!v.equals("none") && !v.equals("default")) {
                throw new DockerfileException(line, "RUN --network=" + shorten(v)
                        + " is not supported by Burrow (none or default)");
            }
            return;
        }
        if (lower.startsWith("--security=")) {
            if (!lower.equals("--security=sandbox")) {
                throw new DockerfileException(line, "RUN " + shorten(f) + " is not supported by Burrow");
            }
            return;
        }
        throw new DockerfileException(line, "RUN: malformed flag '" + shorten(f) + "'");
    }

    private Instruction copy(int line, String whole, String args, List<Heredoc> heredocs, boolean add)
            throws DockerfileException {
        String name = add ? "ADD" : "COPY";
        Flags flags = flags(line, name, args, add ? Set.of("chown", "chmod", "link", "checksum", "keep-git-dir")
                : Set.of("from", "chown", "chmod", "link", "parents", "exclude"));
        for (String refused : List.of("checksum", "keep-git-dir", "parents", "exclude")) {
            if (flags.values.containsKey(refused)) {
                throw new DockerfileException(line, name + " --" + refused + " is not supported by Burrow");
            }
        }
        Form f = form(line, name, flags.rest, false);
        List<String> w = f.exec != null ? f.exec : Words.split(f.shell, escape);
        List<String> sources = new ArrayList<>();
        List<Heredoc> inline = new ArrayList<>();
        int next = 0;
        for (String s : w.subList(0, Math.max(0, w.size() - 1))) {
            if (f.exec == null && HEREDOC_WORD.matcher(s).matches() && next < heredocs.size()) {
                inline.add(heredocs.get(next++));
            } else {
                sources.add(s);
            }
        }
        if (w.size() < 2) {
            throw new DockerfileException(line, name + " needs at least one source and a destination");
        }
        String dest = w.getLast();
        if (add) {
            for (String s : sources) {
                String lower = s.toLowerCase(Locale.ROOT);
                if (lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("git@")) {
                    throw new DockerfileException(line, "ADD of a URL (" + shorten(s) + ") is not supported: Burrow builds "
                            + "run offline; download it in a RUN step or add it to the build context");
                }
            }
            if (flags.values.containsKey("link")) {
                warnings.accept("Dockerfile line " + line + ": ADD --link is accepted and has no effect");
            }
            return new Instruction.Add(line, whole, sources, dest, flags.values.get("chown"), flags.values.get("chmod"),
                    inline);
        }
        return new Instruction.Copy(line, whole, sources, dest, flags.values.get("from"), flags.values.get("chown"),
                flags.values.get("chmod"), inline, flags.values.containsKey("link"));
    }

    private List<Instruction> arg(int line, String whole, String args) throws DockerfileException {
        List<String> w = Words.split(args, escape);
        if (w.isEmpty()) {
            throw new DockerfileException(line, "ARG needs a name");
        }
        List<Instruction> out = new ArrayList<>();
        for (String word : w) {
            int eq = word.indexOf('=');
            String n = eq < 0 ? word : word.substring(0, eq);
            if (n.isEmpty()) {
                throw new DockerfileException(line, "ARG names can not be blank");
            }
            out.add(new Instruction.Arg(line, whole, n, eq < 0 ? null : word.substring(eq + 1)));
        }
        return out;
    }

    /** {@code k=v k2=v2} or legacy {@code k v…}; keys and values raw. */
    private Map<String, String> pairs(int line, String name, String args) throws DockerfileException {
        List<String> w = Words.split(args, escape);
        if (w.isEmpty()) {
            throw new DockerfileException(line, name + " needs at least one name=value");
        }
        Map<String, String> out = new LinkedHashMap<>();
        if (w.getFirst().indexOf('=') < 0) {
            String rest = Words.afterWords(args, 1, escape);
            if (rest.isEmpty()) {
                throw new DockerfileException(line, name + " " + shorten(w.getFirst()) + " needs a value (" + name
                        + " name=value)");
            }
            out.put(w.getFirst(), rest);
            return out;
        }
        for (String word : w) {
            int eq = word.indexOf('=');
            if (eq < 0) {
                throw new DockerfileException(line, name + ": '" + shorten(word) + "' has no '=' (expected name=value)");
            }
            if (eq == 0) {
                throw new DockerfileException(line, name + " names can not be blank");
            }
            out.put(word.substring(0, eq), word.substring(eq + 1));
        }
        return out;
    }

    private Instruction.Healthcheck healthcheck(int line, String whole, String args) throws DockerfileException {
        if (args.equalsIgnoreCase("NONE")) {
            return new Instruction.Healthcheck(line, whole, true, List.of(), null, null);
        }
        Flags flags = flags(line, "HEALTHCHECK", args,
                Set.of("interval", "timeout", "start-period", "start-interval", "retries"));
        List<String> w = Words.split(flags.rest, escape);
        if (w.isEmpty() || !w.getFirst().equalsIgnoreCase("CMD")) {
            throw new DockerfileException(line, "HEALTHCHECK takes NONE or [options] CMD <command>");
        }
        Form f = form(line, "HEALTHCHECK CMD", Words.afterWords(flags.rest, 1, escape), false);
        return new Instruction.Healthcheck(line, whole, false, flags.raw, f.exec, f.shell);
    }

    private List<String> words(int line, String name, String args) throws DockerfileException {
        List<String> w = Words.split(args, escape);
        if (w.isEmpty()) {
            throw new DockerfileException(line, name + " needs an argument");
        }
        return w;
    }

    private static String required(int line, String name, String args) throws DockerfileException {
        if (args.isEmpty()) {
            throw new DockerfileException(line, name + " needs an argument");
        }
        return args;
    }

    private record Form(List<String> exec, String shell) {
    }

    /** Exec form (a JSON array of strings) or shell form (the text as written). */
    private Form form(int line, String name, String args, boolean emptyAllowed) throws DockerfileException {
        if (args.isEmpty()) {
            if (emptyAllowed) {
                return new Form(List.of(), null);
            }
            throw new DockerfileException(line, name + " needs an argument");
        }
        if (args.startsWith("[")) {
            JsonNode node;
            try {
                node = JSON.readTree(args);
            } catch (JsonProcessingException e) {
                node = null; // not JSON: shell form, as in Docker ("RUN [ -f x ]" is a test command)
            }
            if (node != null) {
                if (!node.isArray()) {
                    throw new DockerfileException(line, name + ": the JSON form must be an array of strings");
                }
                List<String> exec = new ArrayList<>();
                for (JsonNode e : node) {
                    if (!e.isTextual()) {
                        throw new DockerfileException(line, name + ": the JSON form must be an array of strings, found "
                                + shorten(e.toString()));
                    }
                    exec.add(e.asText());
                }
                if (exec.isEmpty() && !emptyAllowed) {
                    throw new DockerfileException(line, name + " needs a command (the JSON array is empty)");
                }
                return new Form(exec, null);
            }
        }
        return new Form(null, args);
    }

    private record Flags(Map<String, String> values, List<String> raw, String rest) {
    }

    /** Leading {@code --name[=value]} words; a name not in {@code allowed} is an error naming the line. */
    private Flags flags(int line, String name, String args, Set<String> allowed) throws DockerfileException {
        Map<String, String> values = new LinkedHashMap<>();
        List<String> raw = new ArrayList<>();
        if (!args.startsWith("--")) {
            return new Flags(values, raw, args);
        }
        for (String word : Words.split(args, escape)) { // split once: a line of many flags stays linear
            if (!word.startsWith("--")) {
                break;
            }
            var m = FLAG.matcher(word);
            if (!m.matches()) {
                throw new DockerfileException(line, name + ": malformed flag '" + shorten(word) + "'");
            }
            String flag = m.group(1).toLowerCase(Locale.ROOT);
            if (!allowed.contains(flag)) {
                throw new DockerfileException(line, name + ": unknown flag --" + shorten(flag));
            }
            String value = m.group(3) == null ? "" : m.group(3);
            if (values.containsKey(flag) && !flag.equals("mount")) {
                throw new DockerfileException(line, name + ": the flag --" + flag + " is given twice");
            }
            values.put(flag, value);
            raw.add(word);
        }
        String rest = Words.afterWords(args, raw.size(), escape);
        return new Flags(values, raw, rest);
    }

    static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "…";
    }
}
