package dev.burrow.oci.registry.testing;

import dev.burrow.oci.Descriptor;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/**
 * Debian's {@code docker-registry} (distribution 2.8) on a free loopback port, with filesystem
 * storage in a temporary directory that {@link #close()} removes with the process. Three modes:
 * no auth, htpasswd Basic auth (bcrypt hashes made by {@code htpasswd -B} from apache2-utils),
 * and token auth through a {@link TokenServer}. A test is skipped (an assumption, with the
 * reason) when the binaries are not installed: CI installs {@code docker-registry} and
 * {@code apache2-utils}.
 */
public final class TestRegistry implements AutoCloseable {
    public static final Path BINARY = Path.of("/usr/bin/docker-registry");
    public static final Path HTPASSWD = Path.of("/usr/bin/htpasswd");
    /** The registry's start-up, from exec to listening. */
    public static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    /** The registry's exit after SIGTERM before it is killed. */
    public static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final Pattern LISTENING = Pattern.compile("listening on (?:127\\.0\\.0\\.1|\\[::1\\]):([0-9]+)");

    /** How clients must authenticate. */
    public enum Auth { NONE, BASIC, TOKEN }

    private final Auth auth;
    private final Path dir;
    private final Process process;
    private final int port;
    private final String user;
    private final String password;
    private final TokenServer tokens;
    private final RegistryPusher pusher;

    private TestRegistry(Auth auth, Path dir, Process process, int port, String user, String password,
            TokenServer tokens) {
        this.auth = auth;
        this.dir = dir;
        this.process = process;
        this.port = port;
        this.user = user;
        this.password = password;
        this.tokens = tokens;
        this.pusher = new RegistryPusher(URI.create("http://127.0.0.1:" + port), this::pushAuthorization);
    }

    /** A registry anyone may pull from and push to. */
    public static TestRegistry anonymous() throws IOException {
        return start(Auth.NONE, null, null);
    }

    /** A registry that wants {@code user}/{@code password} by Basic auth. */
    public static TestRegistry basic(String user, String password) throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(HTPASSWD),
                HTPASSWD + " is not installed (apt-get install apache2-utils): skipping the basic-auth registry test");
        return start(Auth.BASIC, user, password);
    }

    /** A registry that wants a bearer token from a {@link TokenServer} that knows {@code user}/{@code password}. */
    public static TestRegistry token(String user, String password) throws IOException {
        return start(Auth.TOKEN, user, password);
    }

    private static TestRegistry start(Auth auth, String user, String password) throws IOException {
        Assumptions.assumeTrue(Files.isExecutable(BINARY),
                BINARY + " is not installed (apt-get install docker-registry): skipping the registry test");
        Path dir = Files.createTempDirectory("burrow-test-registry-");
        TokenServer tokens = null;
        Process process = null;
        try {
            StringBuilder authYaml = new StringBuilder();
            if (auth == Auth.BASIC) {
                Path htpasswd = dir.resolve("htpasswd");
                Files.writeString(htpasswd, htpasswdLine(user, password));
                authYaml.append("auth:\n  htpasswd:\n    realm: burrow-test\n    path: ").append(htpasswd).append('\n');
            } else if (auth == Auth.TOKEN) {
                tokens = new TokenServer(dir, user, password);
                authYaml.append("auth:\n  token:\n    realm: ").append(tokens.realm())
                        .append("\n    service: ").append(TokenServer.SERVICE)
                        .append("\n    issuer: ").append(TokenServer.ISSUER)
                        .append("\n    rootcertbundle: ").append(tokens.certificateBundle()).append('\n');
            }
            Path config = dir.resolve("config.yml");
            Files.writeString(config, """
                    version: 0.1
                    log:
                      level: info
                      formatter: text
                    storage:
                      filesystem:
                        rootdirectory: %s
                      delete:
                        enabled: true
                      maintenance:
                        uploadpurging:
                          enabled: false
                    http:
                      addr: 127.0.0.1:0
                      secret: burrow-test-secret
                    %s""".formatted(dir.resolve("storage"), authYaml));
            process = new ProcessBuilder(BINARY.toString(), "serve", config.toString())
                    .redirectErrorStream(true).start();
            int port = awaitListening(process, dir.resolve("registry.log"));
            return new TestRegistry(auth, dir, process, port, user, password, tokens);
        } catch (IOException | RuntimeException e) {
            if (process != null) {
                process.destroyForcibly();
            }
            if (tokens != null) {
                tokens.close();
            }
            deleteTree(dir);
            throw e;
        }
    }

    private static String htpasswdLine(String user, String password) throws IOException {
        Process p = new ProcessBuilder(HTPASSWD.toString(), "-nbB", user, password).start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!p.waitFor(START_TIMEOUT.toSeconds(), TimeUnit.SECONDS) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new IOException("htpasswd failed");
            }
            return out.strip() + "\n";
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while hashing the test password", e);
        }
    }

    /** Copies the registry's output to {@code log} and returns the port once it is listening. */
    private static int awaitListening(Process process, Path log) throws IOException {
        CompletableFuture<Integer> port = new CompletableFuture<>();
        Writer logOut = Files.newBufferedWriter(log);
        Thread.ofVirtual().name("test-registry-log").start(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
                 logOut) {
                String line;
                while ((line = r.readLine()) != null) {
                    logOut.write(line);
                    logOut.write('\n');
                    logOut.flush();
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        port.complete(Integer.parseInt(m.group(1)));
                    }
                }
            } catch (IOException e) {
                // the process is gone; the future says so below
            }
            port.completeExceptionally(new IOException("docker-registry exited before listening; see " + log));
        });
        try {
            return port.get(START_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            throw new IOException("docker-registry did not listen within " + START_TIMEOUT.toSeconds() + " s; see " + log);
        } catch (ExecutionException e) {
            throw new IOException(e.getCause().getMessage() + ": " + tail(log), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting docker-registry", e);
        }
    }

    private static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 5), lines.size()));
        } catch (IOException e) {
            return "";
        }
    }

    public Auth auth() {
        return auth;
    }

    /** {@code 127.0.0.1:port}: the host part of references to this registry. */
    public String host() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** The token server (token mode only). */
    public TokenServer tokens() {
        return tokens;
    }

    /** The directory holding the registry's config, storage and log. */
    public Path directory() {
        return dir;
    }

    /** Pushes an OCI layout as {@code repo:tag} (a multi-manifest layout as an index); see {@link RegistryPusher}. */
    public Descriptor push(String repo, String tag, Path layout) throws IOException {
        return pusher.push(repo, tag, layout);
    }

    /** The pusher, for blobs and manifests pushed one by one. */
    public RegistryPusher pusher() {
        return pusher;
    }

    private String pushAuthorization(String repo) {
        try {
            return switch (auth) {
                case NONE -> null;
                case BASIC -> "Basic " + Base64.getEncoder().encodeToString(
                        (user + ":" + password).getBytes(StandardCharsets.UTF_8));
                case TOKEN -> "Bearer " + tokens.mint(user, repo, List.of("pull", "push"));
            };
        } catch (IOException e) {
            throw new IllegalStateException("cannot mint a push token", e);
        }
    }

    @Override
    public void close() throws IOException {
        process.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        if (tokens != null) {
            tokens.close();
        }
        deleteTree(dir);
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
