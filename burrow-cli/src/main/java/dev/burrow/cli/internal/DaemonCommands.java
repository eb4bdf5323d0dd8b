package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.File;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code burrow up|down|daemon}: start burrowd in the background, stop it, or run it in the foreground. */
public final class DaemonCommands {
    static final String MAIN_CLASS = "dev.burrow.daemon.Burrowd";
    /** burrowd's heap unless BURROWD_JAVA_OPTS sets one: the daemon tests and the hostile tests run under the same bound. */
    static final String DEFAULT_HEAP = "512m";
    static final Duration READY_DEADLINE = Duration.ofMinutes(10);
    static final Duration STOP_DEADLINE = Duration.ofMinutes(2);

    private DaemonCommands() {}

    /** Where and how a daemon runs, resolved from the environment, the client config and defaults. */
    record Setup(String url, Path dataDir, Path cacheDir, String listen) {
        static Setup resolve(CliEnv env, ClientConfig config) {
            boolean root = Posix.uid() == 0;
            Path dataDir;
            if (env.getenv("BURROW_DATA_DIR") != null) dataDir = Path.of(env.getenv("BURROW_DATA_DIR"));
            else if (config.dataDir() != null) dataDir = Path.of(config.dataDir());
            else if (root) dataDir = Path.of("/var/lib/burrow");
            else dataDir = xdg(env, "XDG_DATA_HOME", ".local/share").resolve("burrow");
            Path cacheDir;
            if (env.getenv("BURROW_CACHE_DIR") != null) cacheDir = Path.of(env.getenv("BURROW_CACHE_DIR"));
            else if (root) cacheDir = Path.of("/var/cache/burrow");
            else cacheDir = xdg(env, "XDG_CACHE_HOME", ".cache").resolve("burrow");
            String listen = env.getenv("BURROW_LISTEN");
            if (listen == null) listen = listenFor(config.url());
            return new Setup(config.url(), dataDir.toAbsolutePath(), cacheDir.toAbsolutePath(), listen);
        }

        private static Path xdg(CliEnv env, String var, String fallback) {
            String v = env.getenv(var);
            return v != null && Path.of(v).isAbsolute() ? Path.of(v) : env.home().resolve(fallback);
        }

        /** {@code http://127.0.0.1:7070} → {@code 127.0.0.1:7070}. */
        static String listenFor(String url) {
            try {
                URI u = URI.create(url);
                String host = u.getHost() == null ? "127.0.0.1" : u.getHost();
                int port = u.getPort() > 0 ? u.getPort() : ("https".equals(u.getScheme()) ? 443 : 80);
                return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
            } catch (IllegalArgumentException e) {
                throw new BurrowException("invalid burrowd URL '" + url + "'");
            }
        }

        Path pidFile() { return dataDir.resolve("burrowd.pid"); }
        Path logFile() { return dataDir.resolve("logs").resolve("burrowd.log"); }
        /** What the JVM itself prints (a crash before logging starts); burrowd's own log is {@link #logFile}, rotated. */
        Path outFile() { return dataDir.resolve("logs").resolve("burrowd.out"); }

        Map<String, String> daemonEnv() {
            Map<String, String> m = new LinkedHashMap<>();
            m.put("BURROW_DATA_DIR", dataDir.toString());
            m.put("BURROW_CACHE_DIR", cacheDir.toString());
            m.put("BURROW_LISTEN", listen);
            m.put("BURROW_DEV", "1");
            m.put("BURROW_LOG_FILE", logFile().toString());
            return m;
        }
    }

    static List<String> javaCommand(CliEnv env) {
        String cp = env.property("burrow.daemon.classpath");
        if (cp == null) {
            throw new BurrowException("no daemon classpath (system property burrow.daemon.classpath): run burrow through the ./burrow launcher");
        }
        String javaHome = env.property("java.home");
        String java = javaHome == null ? "java" : Path.of(javaHome, "bin", "java").toString();
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED"));
        String opts = env.getenv("BURROWD_JAVA_OPTS");
        List<String> extra = opts == null || opts.isBlank() ? List.of() : List.of(opts.trim().split("\\s+"));
        // burrowd's heap is bounded explicitly (docs/SECURITY.md): every hostile case is tested under it
        if (extra.stream().noneMatch(o -> o.startsWith("-Xmx") || o.startsWith("-XX:MaxRAM"))) cmd.add("-Xmx" + DEFAULT_HEAP);
        if (extra.stream().noneMatch(o -> o.contains("OutOfMemoryError"))) cmd.add("-XX:+ExitOnOutOfMemoryError");
        cmd.addAll(extra);
        cmd.addAll(List.of("-cp", cp, MAIN_CLASS));
        return cmd;
    }

    static Path findOnPath(CliEnv env, String name) {
        String path = env.getenv("PATH");
        if (path == null) path = System.getenv("PATH");
        if (path == null) path = "/usr/local/bin:/usr/bin:/bin";
        for (String dir : path.split(File.pathSeparator)) {
            if (dir.isEmpty()) continue;
            Path p = Path.of(dir, name);
            if (Files.isExecutable(p)) return p;
        }
        return null;
    }

    @Command(name = "up", description = "Start burrowd in the background (or report the running one) and write the client config.")
    public static final class Up extends BaseCommand {
        @Override
        public Integer call() throws IOException {
            ClientConfig config = config();
            Setup setup = Setup.resolve(env, config);
            ApiClient probe = new ApiClient(setup.url(), null);
            if (probe.probe("/healthz", Duration.ofSeconds(3)) == 200) {
                String key = handOver(setup);
                out().println(describe(setup, key) + " is already running at " + setup.url() + pidNote(setup));
                return 0;
            }

            List<String> command = new ArrayList<>();
            Path setsid = findOnPath(env, "setsid");
            if (setsid != null) command.add(setsid.toString());
            command.addAll(javaCommand(env));
            createPrivate(setup.outFile());
            ProcessBuilder pb = new ProcessBuilder(command);
            pb.environment().putAll(env.environment());
            pb.environment().putAll(setup.daemonEnv());
            pb.redirectErrorStream(true);
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(setup.outFile().toFile()));
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
            pb.directory(setup.dataDir().toFile());
            Process process = pb.start();
            err().print("starting burrowd (data " + setup.dataDir() + ", log " + setup.logFile() + ") ");
            err().flush();

            long deadline = System.nanoTime() + READY_DEADLINE.toNanos();
            long lastDot = System.nanoTime();
            while (probe.probe("/readyz", Duration.ofSeconds(5)) != 200) {
                if (!process.isAlive()) {
                    err().println();
                    throw new BurrowException("burrowd exited with code " + process.exitValue() + " before it was ready; the end of "
                            + setup.logFile() + ":\n" + tail(setup.logFile(), 20) + tailIfAny(setup.outFile(), 20));
                }
                if (System.nanoTime() > deadline) {
                    err().println();
                    throw new BurrowException("burrowd (pid " + process.pid() + ") is not ready after "
                            + READY_DEADLINE.toMinutes() + " minutes; see " + setup.logFile());
                }
                if (System.nanoTime() - lastDot > 2_000_000_000L) {
                    err().print(".");
                    err().flush();
                    lastDot = System.nanoTime();
                }
                ImageCommands.sleep(250);
            }
            err().println(" ready");

            String key = handOver(setup);
            String desc = describe(setup, key);
            out().println(desc + " is running at " + setup.url() + " (pid " + process.pid() + ")");
            if (key != null) out().println("client config: " + ClientConfig.path(env));
            out().println();
            out().println("What to try next:");
            out().println("  ./burrow run demo");
            out().println("  ./burrow exec <id> -- python3 -c \"print(6*7)\"");
            out().println("  ./burrow ps");
            out().println("  ./burrow down");
            return 0;
        }

        private static String pidNote(Setup setup) {
            try {
                return " (pid " + Files.readString(setup.pidFile()).trim() + ")";
            } catch (IOException e) {
                return "";
            }
        }

        /**
         * Gives the client config a key of the development tenant (never the admin key) and returns
         * the key the config holds afterwards, or null; a handover that cannot happen is a warning:
         * burrowd itself is up.
         */
        private String handOver(Setup setup) {
            ClientConfig stored = ClientConfig.stored(env);
            DevKeyHandover.Outcome outcome = new DevKeyHandover(env, setup.url(), setup.dataDir()).handOver(stored.apiKey());
            if (outcome.warning() != null) {
                err().println("burrow: warning: " + outcome.warning());
                return stored.apiKey();
            }
            String key = outcome.key().orElseThrow();
            boolean same = key.equals(stored.apiKey()) && setup.url().equals(stored.url())
                    && setup.dataDir().toString().equals(stored.dataDir());
            if (!same) ClientConfig.write(env, setup.url(), key, setup.dataDir().toString());
            if (outcome.minted()) err().println("gave the client config a new key of tenant " + DevKeyHandover.DEV_TENANT);
            return key;
        }

        private String describe(Setup setup, String key) {
            try {
                return VersionCommand.describe(new ApiClient(setup.url(), key).get("/v1/version"));
            } catch (BurrowException e) {
                return "burrowd";
            }
        }

        private static String tailIfAny(Path file, int lines) {
            try {
                return Files.size(file) == 0 ? "" : "\nand of " + file + ":\n" + tail(file, lines);
            } catch (IOException e) {
                return "";
            }
        }

        /** The data and log directories 0700 and {@code file} 0600, before anything is written into them. */
        private static void createPrivate(Path file) throws IOException {
            FileAttribute<?> dirMode = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
            for (Path dir : List.of(file.getParent().getParent(), file.getParent())) {
                if (!Files.isDirectory(dir)) Files.createDirectories(dir, dirMode);
            }
            if (!Files.exists(file)) Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        }

        private static String tail(Path file, int lines) {
            try {
                List<String> all = Files.readAllLines(file);
                return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
            } catch (IOException e) {
                return "(cannot read the log: " + e.getMessage() + ")";
            }
        }
    }

    @Command(name = "down", description = "Stop burrowd; its microVMs are adopted at the next start (or suspended / terminated first).")
    public static final class Down extends BaseCommand {
        @Option(names = "--suspend-all", description = "Suspend every running microVM first (each resumes on request, or automatically with autoResume).")
        boolean suspendAll;

        @Option(names = "--terminate-all", description = "Terminate every microVM first.")
        boolean terminateAll;

        /** Suspends every RUNNING microVM, or terminates every one not yet ended; how many calls failed. */
        private int endAll(boolean suspend) {
            int done = 0;
            int failed = 0;
            for (JsonNode vm : api().listAll("/v1/microvms")) {
                String id = Json.text(vm, "id");
                String state = Json.text(vm, "state");
                boolean applies = suspend ? state.equals("RUNNING") : !state.equals("TERMINATED") && !state.equals("FAILED");
                if (!applies) {
                    continue;
                }
                try {
                    if (suspend) {
                        api().postEmpty("/v1/microvms/" + ApiClient.seg(id) + "/suspend");
                    } else {
                        api().delete("/v1/microvms/" + ApiClient.seg(id));
                    }
                    done++;
                } catch (BurrowException e) {
                    err().println("burrow: " + id + ": " + e.getMessage());
                    failed++;
                }
            }
            err().println((suspend ? "suspended " : "terminated ") + done + " microVM(s)" + (failed > 0 ? ", " + failed + " failed" : ""));
            return failed;
        }

        @Override
        public Integer call() throws IOException {
            if (suspendAll && terminateAll) {
                throw new BurrowException("--suspend-all and --terminate-all exclude each other: choose one");
            }
            Setup setup = Setup.resolve(env, config());
            Path pidFile = setup.pidFile();
            boolean answering = new ApiClient(setup.url(), null).probe("/healthz", Duration.ofSeconds(3)) > 0;
            int failed = 0;
            if (suspendAll || terminateAll) {
                if (!answering) {
                    throw new BurrowException("burrowd does not answer at " + setup.url() + ": its microVMs cannot be "
                            + (suspendAll ? "suspended" : "terminated") + "; start it (./burrow up) or stop without the flag");
                }
                failed = endAll(suspendAll);
            }
            if (!Files.isRegularFile(pidFile)) {
                if (answering) {
                    throw new BurrowException("burrowd answers at " + setup.url() + " but there is no " + pidFile
                            + ": it was not started with this data directory; stop it where it runs");
                }
                out().println("burrowd is not running");
                return 0;
            }
            long pid;
            try {
                pid = Long.parseLong(Files.readString(pidFile).trim());
            } catch (NumberFormatException e) {
                throw new BurrowException(pidFile + " does not hold a pid");
            }
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isEmpty() || !handle.get().isAlive()) {
                out().println("burrowd is not running (stale " + pidFile + ")");
                return 0;
            }
            ProcessHandle h = handle.get();
            Optional<String> cmdline = h.info().commandLine();
            if (cmdline.isPresent() && !cmdline.get().contains("Burrowd") && !cmdline.get().contains("burrowd")) {
                throw new BurrowException("pid " + pid + " in " + pidFile + " is not burrowd (" + cmdline.get() + "); not stopping it");
            }
            if (!h.destroy()) {
                throw new BurrowException("cannot signal burrowd (pid " + pid + "): not permitted? try sudo ./burrow down");
            }
            err().print("stopping burrowd (pid " + pid + ") ");
            err().flush();
            long deadline = System.nanoTime() + STOP_DEADLINE.toNanos();
            while (h.isAlive()) {
                try {
                    h.onExit().get(2, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    err().print(".");
                    err().flush();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new BurrowException("interrupted");
                } catch (ExecutionException e) {
                    break;
                }
                if (System.nanoTime() > deadline && h.isAlive()) {
                    err().println();
                    throw new BurrowException("burrowd (pid " + pid + ") did not stop within " + STOP_DEADLINE.toSeconds()
                            + "s; see " + setup.logFile());
                }
            }
            err().println(" stopped");
            return failed > 0 ? 125 : 0;
        }
    }

    @Command(name = "daemon", description = "Run burrowd in the foreground.")
    public static final class Daemon extends BaseCommand {
        @Override
        public Integer call() throws IOException {
            Setup setup = Setup.resolve(env, config());
            ProcessBuilder pb = new ProcessBuilder(javaCommand(env));
            pb.environment().putAll(env.environment());
            setup.daemonEnv().forEach((k, v) -> {
                if (env.getenv(k) == null) pb.environment().put(k, v);
            });
            pb.inheritIO();
            Process p = pb.start();
            try {
                return p.waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                p.destroy();
                return 125;
            }
        }
    }
}
