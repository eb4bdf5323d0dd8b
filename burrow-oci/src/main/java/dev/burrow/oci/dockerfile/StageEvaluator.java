package dev.burrow.oci.dockerfile;

import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.dockerfile.internal.Expander;
import dev.burrow.oci.dockerfile.internal.RunHeredocs;
import dev.burrow.oci.dockerfile.internal.Vars;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Docker's variable rules, applied to one stage at a time in order: {@link #fromImage} for the
 * stage's FROM, {@link #begin} with the base image's config, then {@link #next} per instruction.
 *
 * <p>Global ARGs (before the first FROM) are visible to FROM lines only, and inside a stage when
 * it declares the same ARG without a value. A build arg overrides an ARG's default; ENV overrides
 * an ARG of the same name. ADD, COPY, ENV, EXPOSE, FROM, LABEL, STOPSIGNAL, USER, VOLUME and
 * WORKDIR are expanded; RUN, CMD and ENTRYPOINT are not (the shell expands them), RUN gets the
 * variables as its environment instead. Not thread-safe.
 */
public final class StageEvaluator {
    /** The shell of shell-form commands until a SHELL instruction changes it. */
    public static final List<String> DEFAULT_SHELL = List.of("/bin/sh", "-c");
    /** The platform Burrow builds for; the automatic TARGET and BUILD args describe it. */
    public static final String PLATFORM = "linux/amd64";

    private static final Pattern PORT = Pattern.compile("(\\d{1,5})(?:-(\\d{1,5}))?(?:/(tcp|udp|sctp))?");
    private static final Pattern CHMOD = Pattern.compile("[0-7]{1,4}");

    private final Map<String, String> buildArgs;
    private final List<Instruction.Arg> globalArgDecls;
    private Map<String, String> globals;
    private char escape = '\\';
    private final List<String> warnings = new ArrayList<>();

    private Vars env;
    private Vars args;
    private List<String> shell;
    private String user;
    private String workdir;
    private List<String> entrypoint;
    private List<String> cmd;
    private boolean cmdSet;
    private TreeSet<String> exposed;
    private Set<String> knownDirectories;
    private Map<String, String> labels;

    public StageEvaluator(Map<String, String> buildArgs, List<Instruction.Arg> globalArgs) {
        this.buildArgs = Map.copyOf(buildArgs);
        this.globalArgDecls = List.copyOf(globalArgs);
    }

    /** The stage's FROM image with the global ARGs expanded; also selects the stage's escape character. */
    public String fromImage(Stage s) throws DockerfileException {
        escape = s.escape();
        String image = expandGlobal(s.from().image(), s.from().line());
        if (image.isEmpty()) {
            throw new DockerfileException(s.from().line(), "FROM " + s.from().image() + " expands to an empty image name");
        }
        return image;
    }

    /** The stage's {@code --platform} with the global ARGs expanded, or null when it has none. */
    public String fromPlatform(Stage s) throws DockerfileException {
        escape = s.escape();
        return s.from().platform() == null ? null : expandGlobal(s.from().platform(), s.from().line());
    }

    private String expandGlobal(String raw, int line) throws DockerfileException {
        Map<String, String> g = globals(line);
        return new Expander(escape, g::get, line, false).expand(raw);
    }

    private Map<String, String> globals(int line) throws DockerfileException {
        if (globals == null) {
            Map<String, String> g = new LinkedHashMap<>();
            String[] os = PLATFORM.split("/");
            for (String prefix : List.of("TARGET", "BUILD")) {
                g.put(prefix + "PLATFORM", PLATFORM);
                g.put(prefix + "OS", os[0]);
                g.put(prefix + "ARCH", os[1]);
                g.put(prefix + "VARIANT", "");
            }
            for (Instruction.Arg a : globalArgDecls) {
                if (buildArgs.containsKey(a.name())) {
                    g.put(a.name(), buildArgs.get(a.name()));
                } else if (a.defaultValue() != null) {
                    g.put(a.name(), new Expander(escape, g::get, a.line(), false).expand(a.defaultValue()));
                }
            }
            globals = g;
        }
        return globals;
    }

    /** Starts {@code stage} on its base image's config (with the stage's escape character). */
    public void begin(Stage stage, ImageConfig base) {
        escape = stage.escape();
        begin(base);
    }

    /** Starts a stage on its base image's config (use {@link #fromImage} first for the escape character). */
    public void begin(ImageConfig base) {
        env = new Vars();
        for (Map.Entry<String, String> e : base.envMap().entrySet()) {
            env.putUnchecked(e.getKey(), e.getValue());
        }
        args = new Vars();
        shell = DEFAULT_SHELL;
        user = base.user();
        workdir = base.workingDir();
        entrypoint = base.entrypoint();
        cmd = base.cmd();
        cmdSet = false;
        exposed = new TreeSet<>(base.exposedPorts());
        knownDirectories = new HashSet<>();
        if (workdir != null) {
            knowDirectory(workdir);
        }
        labels = new TreeMap<>(base.labels());
    }

    /** What was accepted but has no effect in Burrow, each naming its line. */
    public List<String> warnings() {
        return List.copyOf(warnings);
    }

    /** The stage's image config so far. */
    public ImageConfig config() {
        requireBegun();
        List<String> envList = new ArrayList<>();
        env.map().forEach((k, v) -> envList.add(k + "=" + v));
        return new ImageConfig(entrypoint, cmd, envList, workdir, user, new ArrayList<>(exposed), labels);
    }

    /** The variables a RUN sees: the visible ARGs, then ENV (which wins). */
    public Map<String, String> runEnvironment() {
        requireBegun();
        Map<String, String> m = new LinkedHashMap<>(args.map());
        for (String k : env.map().keySet()) {
            m.remove(k);
        }
        m.putAll(env.map());
        return m;
    }

    /** Resolves one instruction of the stage and applies it to the stage's config. */
    public Step next(Instruction i) throws DockerfileException {
        requireBegun();
        return switch (i) {
            case Instruction.Run r -> run(r);
            case Instruction.Copy c -> copy(c.line(), "COPY", c.sources(), c.dest(), c.from(), c.chown(), c.chmod(),
                    c.heredocs(), false);
            case Instruction.Add a -> copy(a.line(), "ADD", a.sources(), a.dest(), null, a.chown(), a.chmod(),
                    a.heredocs(), true);
            case Instruction.Env e -> env(e);
            case Instruction.Arg a -> arg(a);
            case Instruction.Workdir w -> {
                String dir = absolute(expand(w.path(), w.line()), w.line());
                workdir = dir.length() > 1 && dir.endsWith("/") ? dir.substring(0, dir.length() - 1) : dir;
                knowDirectory(workdir);
                yield new Step.ConfigStep("WORKDIR " + workdir, workdir);
            }
            case Instruction.User u -> {
                user = expand(u.user(), u.line());
                yield new Step.ConfigStep("USER " + user);
            }
            case Instruction.Expose e -> expose(e);
            case Instruction.Entrypoint e -> {
                entrypoint = e.exec() != null ? e.exec() : withShell(e.shell());
                if (!cmdSet) {
                    cmd = null;
                }
                yield new Step.ConfigStep("ENTRYPOINT " + Json.list(entrypoint));
            }
            case Instruction.Cmd c -> {
                cmd = c.exec() != null ? c.exec() : withShell(c.shell());
                cmdSet = true;
                yield new Step.ConfigStep("CMD " + Json.list(cmd));
            }
            case Instruction.Label l -> {
                Map<String, String> add = new LinkedHashMap<>();
                for (Map.Entry<String, String> e : l.labels().entrySet()) {
                    add.put(expand(e.getKey(), l.line()), expand(e.getValue(), l.line()));
                }
                labels.putAll(add);
                yield new Step.ConfigStep("LABEL " + Json.map(add));
            }
            case Instruction.Shell s -> {
                shell = s.argv();
                yield new Step.ConfigStep("SHELL " + Json.list(shell));
            }
            case Instruction.Volume v -> {
                List<String> paths = new ArrayList<>();
                for (String p : v.paths()) {
                    paths.add(expand(p, v.line()));
                }
                warn(v.line(), "VOLUME " + paths + " is recorded nowhere: a Burrow microVM has one disk");
                yield new Step.ConfigStep("VOLUME " + Json.list(paths));
            }
            case Instruction.StopSignal s -> {
                String sig = expand(s.signal(), s.line());
                warn(s.line(), "STOPSIGNAL " + sig + " has no effect: Burrow suspends or ends microVMs, it does not "
                        + "signal the entrypoint");
                yield new Step.ConfigStep("STOPSIGNAL " + sig);
            }
            case Instruction.Healthcheck h -> {
                warn(h.line(), "HEALTHCHECK has no effect: use the image's ready hook");
                yield new Step.ConfigStep(h.text());
            }
            case Instruction.Onbuild o -> {
                warn(o.line(), "ONBUILD triggers are not recorded in Burrow images");
                yield new Step.ConfigStep(o.text());
            }
            case Instruction.Maintainer m -> {
                warn(m.line(), "MAINTAINER is deprecated and not recorded (use LABEL maintainer=…)");
                yield new Step.ConfigStep(m.text());
            }
            case Instruction.From f -> throw new DockerfileException(f.line(), "FROM starts a new stage; it is not a step");
        };
    }

    private Step run(Instruction.Run r) throws DockerfileException {
        List<String> argv;
        if (r.exec() != null) {
            argv = r.exec();
        } else if (r.heredocs().isEmpty()) {
            argv = withShell(r.shell());
        } else {
            argv = withShell(RunHeredocs.command(r.shell(), r.heredocs()));
        }
        String network = "default";
        for (String f : r.flags()) {
            String lower = f.toLowerCase(Locale.ROOT).replace("\"", "").replace("'", "");
            if (lower.startsWith("--network=")) {
                network = lower.substring("--network=".length());
            }
        }
        Map<String, String> runEnv = runEnvironment();
        String wd = workdir == null ? "/" : workdir;
        String key = "RUN " + Json.list(argv) + " env=" + Json.map(new TreeMap<>(runEnv)) + " user=" + user
                + " workdir=" + wd + " network=" + network;
        return new Step.RunStep(argv, runEnv, user, wd, key, network);
    }

    private Step copy(int line, String name, List<String> rawSources, String rawDest, String rawFrom, String rawChown,
            String rawChmod, List<Heredoc> heredocs, boolean add) throws DockerfileException {
        List<String> sources = new ArrayList<>();
        for (String s : rawSources) {
            String x = expand(s, line);
            String lower = x.toLowerCase(Locale.ROOT);
            if (add && (lower.startsWith("http://") || lower.startsWith("https://") || lower.startsWith("git@"))) {
                throw new DockerfileException(line, "ADD of a URL (" + x + ") is not supported: Burrow builds run "
                        + "offline; download it in a RUN step or add it to the build context");
            }
            if (x.isEmpty()) {
                throw new DockerfileException(line, name + ": the source " + s + " expands to nothing");
            }
            sources.add(x);
        }
        String destWord = expand(rawDest, line);
        boolean dir = destWord.endsWith("/") || destWord.equals(".") || destWord.endsWith("/.")
                || destWord.equals("..") || destWord.endsWith("/..");
        String dest = absolute(destWord, line);
        if (knownDirectories.contains(dest)) {
            dir = true; // a WORKDIR exists: Docker copies into it even without a trailing '/'
        }
        if (dir && !dest.endsWith("/")) {
            dest = dest + "/";
        }
        String from = rawFrom == null ? null : expand(rawFrom, line);
        if (from != null && from.isEmpty()) {
            throw new DockerfileException(line, "COPY --from expands to nothing");
        }
        String chown = rawChown == null ? null : expand(rawChown, line);
        Integer chmod = null;
        if (rawChmod != null) {
            String m = expand(rawChmod, line);
            if (!CHMOD.matcher(m).matches()) {
                throw new DockerfileException(line, name + " --chmod=" + m + " is not an octal mode such as 0755");
            }
            chmod = Integer.parseInt(m, 8);
        }
        List<Heredoc> inline = new ArrayList<>();
        for (Heredoc h : heredocs) {
            String content = h.expand()
                    ? new Expander(escape, this::lookup, line, true).expand(h.content()) : h.content();
            inline.add(new Heredoc(h.name(), content, h.expand(), h.stripTabs()));
        }
        StringBuilder key = new StringBuilder(name).append(' ').append(Json.list(sources)).append(" dest=").append(dest);
        key.append(" from=").append(from).append(" chown=").append(chown).append(" chmod=")
                .append(chmod == null ? "null" : Integer.toOctalString(chmod));
        for (Heredoc h : inline) {
            key.append(" heredoc=").append(Json.list(List.of(h.name(), h.content())));
        }
        return new Step.CopyStep(sources, dest, from, chown, chmod, add, inline, key.toString());
    }

    private Step env(Instruction.Env e) throws DockerfileException {
        Map<String, String> add = new LinkedHashMap<>();
        for (Map.Entry<String, String> kv : e.vars().entrySet()) {
            String k = expand(kv.getKey(), e.line());
            if (k.isEmpty()) {
                throw new DockerfileException(e.line(), "ENV names can not be blank");
            }
            add.put(k, expand(kv.getValue(), e.line()));
        }
        for (Map.Entry<String, String> kv : add.entrySet()) {
            env.put(kv.getKey(), kv.getValue(), args, e.line());
        }
        return new Step.ConfigStep("ENV " + Json.map(add));
    }

    private Step arg(Instruction.Arg a) throws DockerfileException {
        String value;
        if (buildArgs.containsKey(a.name())) {
            value = buildArgs.get(a.name());
        } else if (a.defaultValue() != null) {
            value = expand(a.defaultValue(), a.line());
        } else {
            value = globals(a.line()).get(a.name());
        }
        if (value != null) {
            args.put(a.name(), value, env, a.line());
        }
        return new Step.ConfigStep("ARG " + a.name() + (value == null ? "" : "=" + value));
    }

    private Step expose(Instruction.Expose e) throws DockerfileException {
        List<String> added = new ArrayList<>();
        for (String raw : e.ports()) {
            String p = expand(raw, e.line()).toLowerCase(Locale.ROOT);
            Matcher m = PORT.matcher(p);
            if (!m.matches()) {
                throw new DockerfileException(e.line(), "EXPOSE " + p + " is not a port such as 80, 80/udp or 8000-8010");
            }
            int lo = Integer.parseInt(m.group(1));
            int hi = m.group(2) == null ? lo : Integer.parseInt(m.group(2));
            String proto = m.group(3) == null ? "tcp" : m.group(3);
            if (lo < 1 || hi > 65535 || hi < lo) {
                throw new DockerfileException(e.line(), "EXPOSE " + p + " is not a valid port or range (1-65535)");
            }
            if (hi - lo + 1 + exposed.size() > DockerfileLimits.MAX_EXPOSED_PORTS) {
                throw new DockerfileException(e.line(), "more than " + DockerfileLimits.MAX_EXPOSED_PORTS
                        + " exposed ports");
            }
            for (int port = lo; port <= hi; port++) {
                exposed.add(port + "/" + proto);
                added.add(port + "/" + proto);
            }
        }
        return new Step.ConfigStep("EXPOSE " + Json.list(added));
    }

    /** A directory and its parents exist (a WORKDIR creates them). */
    private void knowDirectory(String dir) {
        for (String d = dir; d.length() > 1; d = d.substring(0, Math.max(1, d.lastIndexOf('/')))) {
            knownDirectories.add(d);
        }
    }

    private List<String> withShell(String command) {
        List<String> argv = new ArrayList<>(shell);
        argv.add(command);
        return argv;
    }

    private String absolute(String path, int line) throws DockerfileException {
        String base = workdir == null ? "/" : workdir;
        String cleaned = DockerIgnore.clean(path.startsWith("/") ? path : base + "/" + path);
        if (cleaned.isEmpty() && path.isEmpty()) {
            throw new DockerfileException(line, "an empty path");
        }
        return "/" + cleaned;
    }

    private String lookup(String name) {
        String v = env.map().get(name);
        return v != null ? v : args.map().get(name);
    }

    private String expand(String raw, int line) throws DockerfileException {
        return new Expander(escape, this::lookup, line, false).expand(raw);
    }

    private void warn(int line, String message) {
        warnings.add("Dockerfile line " + line + ": " + message);
    }

    private void requireBegun() {
        if (env == null) {
            throw new IllegalStateException("begin(ImageConfig) was not called for this stage");
        }
    }

    /** Compact JSON for cache-key texts (deterministic: keys in the order given). */
    private static final class Json {
        private Json() {
        }

        static String list(List<String> l) {
            StringBuilder b = new StringBuilder("[");
            for (int k = 0; k < l.size(); k++) {
                b.append(k == 0 ? "" : ",").append(quote(l.get(k)));
            }
            return b.append(']').toString();
        }

        static String map(Map<String, String> m) {
            StringBuilder b = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<String, String> e : m.entrySet()) {
                b.append(first ? "" : ",").append(quote(e.getKey())).append(':').append(quote(e.getValue()));
                first = false;
            }
            return b.append('}').toString();
        }

        private static String quote(String s) {
            StringBuilder b = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> b.append("\\\"");
                    case '\\' -> b.append("\\\\");
                    case '\n' -> b.append("\\n");
                    default -> {
                        if (c < 0x20) {
                            b.append(String.format("\\u%04x", (int) c));
                        } else {
                            b.append(c);
                        }
                    }
                }
            }
            return b.append('"').toString();
        }
    }
}
