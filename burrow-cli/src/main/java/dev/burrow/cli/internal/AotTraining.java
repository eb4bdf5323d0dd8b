package dev.burrow.cli.internal;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.burrow.cli.Burrow;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The training run for the CLI's AOT cache (JEP 483/514/515): the launcher runs this class once
 * with {@code -XX:AOTCacheOutput} so the JVM records what {@code burrow version}, {@code ps},
 * {@code exec}, {@code run} and {@code --help} load and link (the first four on the CLI's own
 * parser, {@link HotVerbs}, as a user's plain command line runs them), against a canned burrowd on a loopback port
 * (no daemon needed, nothing leaves the machine). Every verb it runs must succeed: a training run
 * that only walks an error path would cache the wrong classes, so a failure is an exit code.
 */
public final class AotTraining {
    /** The microVM id the canned burrowd knows. */
    static final String VM_ID = "mvm_aot0training";
    /** The command lines the cache is trained on: the verbs people run most, each as it succeeds. */
    static final List<List<String>> TRAINED = List.of(
            List.of("--help"),
            List.of("version"),
            List.of("ps"),
            List.of("ps", "--json"),
            List.of("exec", VM_ID, "--", "true"),
            List.of("run", "demo"));
    /** How many times each command line runs: enough for the JIT profiles JEP 515 records. */
    static final int ROUNDS = 3;

    private AotTraining() {}

    public static void main(String[] args) throws IOException {
        System.exit(train() == 0 ? 0 : 1);
    }

    /** Runs every trained command line {@link #ROUNDS} times; answers how many did not exit 0 (each told on stderr). */
    static int train() throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/", AotTraining::answer);
        server.start();
        Path home = Files.createTempDirectory("burrow-aot");
        int failures = 0;
        try {
            String url = "http://127.0.0.1:" + server.getAddress().getPort();
            Map<String, String> vars = Map.of("BURROW_URL", url, "BURROW_API_KEY", "bk_aot_training",
                    "HOME", home.toString(), "XDG_CONFIG_HOME", home.toString());
            for (int round = 0; round < ROUNDS; round++) {
                for (List<String> line : TRAINED) {
                    ByteArrayOutputStream sink = new ByteArrayOutputStream();
                    PrintStream out = new PrintStream(sink, true, StandardCharsets.UTF_8);
                    CliEnv env = new CliEnv(vars, Map.of(), new ByteArrayInputStream(new byte[0]), out, out, true, false);
                    int code = Burrow.execute(env, line.toArray(String[]::new));
                    if (code != 0) {
                        failures++;
                        System.err.println("burrow AOT training: '" + String.join(" ", line) + "' exited " + code + ": "
                                + sink.toString(StandardCharsets.UTF_8).strip());
                    }
                }
            }
        } finally {
            server.stop(0);
            Files.deleteIfExists(home);
        }
        return failures;
    }

    private static void answer(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        ex.getRequestBody().readAllBytes();
        String type = "application/json";
        String body;
        String vm = "{\"id\":\"" + VM_ID + "\",\"image\":\"demo\",\"version\":\"1\",\"state\":\"RUNNING\","
                + "\"createdAt\":\"2026-12-01T00:00:00Z\",\"labels\":{\"app\":\"aot\"}}";
        if (path.equals("/v1/version")) {
            body = "{\"server\":\"0.1.0\",\"agentProtocol\":\"1\",\"vmm\":\"qemu\",\"accelerator\":\"TCG\",\"kernel\":\"6.1\"}";
        } else if (path.equals("/v1/microvms") && ex.getRequestMethod().equals("POST")) {
            send(ex, 201, type, vm);
            return;
        } else if (path.equals("/v1/microvms")) {
            body = "{\"items\":[" + vm + "],\"nextCursor\":null}";
        } else if (path.equals("/v1/microvms/" + VM_ID + "/exec")) {
            type = "application/x-ndjson";
            body = "{\"started\":{\"execId\":\"ex_1\"}}\n{\"stdout\":\"aGkK\"}\n{\"exit\":0}\n";
        } else {
            body = "{\"title\":\"Not Found\",\"status\":404,\"detail\":\"no such path\"}";
            send(ex, 404, "application/problem+json", body);
            return;
        }
        send(ex, 200, type, body);
    }

    private static void send(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }
}
