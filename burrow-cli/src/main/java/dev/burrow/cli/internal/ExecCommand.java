package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code burrow exec ID -- CMD…}: runs a command in a microVM, streaming its stdout and stderr
 * as they arrive and exiting with its exit code. When our stdin is not a terminal it is streamed
 * to the command ({@code stdinMode: "stream"}); otherwise the command gets EOF at once.
 */
@Command(name = "exec", description = {"Run a command in a microVM; exits with the command's exit code.",
        "Options go before ID; everything after ID is the command."})
public final class ExecCommand extends BaseCommand {
    private static final Map<String, Integer> SIGNALS = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("ILL", 4),
            Map.entry("TRAP", 5), Map.entry("ABRT", 6), Map.entry("BUS", 7), Map.entry("FPE", 8),
            Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("SEGV", 11), Map.entry("USR2", 12),
            Map.entry("PIPE", 13), Map.entry("ALRM", 14), Map.entry("TERM", 15));

    @Parameters(index = "0", paramLabel = "ID", description = "An id or any unique prefix.")
    String id;

    @Parameters(index = "1..*", arity = "1..*", paramLabel = "CMD", description = "The command and its arguments (a leading -- is optional).")
    List<String> cmd = new ArrayList<>();

    @Option(names = {"-e", "--env"}, paramLabel = "K=V", description = "An environment variable (repeatable).")
    List<String> envs = new ArrayList<>();

    @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "The working directory.")
    String cwd;

    @Option(names = {"-u", "--user"}, paramLabel = "USER", description = "The user to run as.")
    String user;

    @Option(names = "--timeout", paramLabel = "DURATION", description = "Kill the command after this long, e.g. 60s.")
    String timeout;

    @Option(names = "--no-stdin", description = "Give the command EOF on stdin even when ours is not a terminal.")
    boolean noStdin;

    @Option(names = "--json", description = "Print the NDJSON lines as they arrive.")
    boolean json;

    @Override
    public Integer call() throws IOException {
        if (!cmd.isEmpty() && cmd.getFirst().equals("--")) cmd = cmd.subList(1, cmd.size());
        if (cmd.isEmpty()) throw new BurrowException("exec: no command given (burrow exec [OPTIONS] ID -- CMD...)");
        String full = IdResolver.resolve(api(), id);
        boolean streamStdin = !noStdin && !env.stdinTty();
        ObjectNode body = Json.object();
        ArrayNode argv = body.putArray("cmd");
        cmd.forEach(argv::add);
        Map<String, String> envMap = pairs(envs, "--env");
        if (!envMap.isEmpty()) {
            ObjectNode e = body.putObject("env");
            envMap.forEach(e::put);
        }
        if (cwd != null) body.put("cwd", cwd);
        if (user != null) body.put("user", user);
        if (timeout != null) body.put("timeoutSeconds", seconds("--timeout", timeout));
        body.put("stdinMode", streamStdin ? "stream" : "none");

        String vmPath = "/v1/microvms/" + ApiClient.seg(full);
        HttpResponse<InputStream> resp = api().postStreaming(vmPath + "/exec", body);
        PrintStream out = out();
        PrintStream err = err();
        Base64.Decoder b64 = Base64.getDecoder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(resp.body(), StandardCharsets.UTF_8))) {
            String line;
            while ((line = lines.readLine()) != null) {
                if (line.isBlank()) continue;
                JsonNode msg = Json.parse(line);
                if (json) {
                    out.println(line);
                    out.flush();
                }
                if (msg.has("started")) {
                    String execId = Json.text(msg.get("started"), "execId");
                    if (streamStdin && !execId.isEmpty()) pumpStdin(vmPath + "/execs/" + ApiClient.seg(execId) + "/stdin");
                } else if (msg.has("stdout")) {
                    if (!json) {
                        out.write(b64.decode(msg.get("stdout").asText()));
                        out.flush();
                    }
                } else if (msg.has("stderr")) {
                    if (!json) {
                        err.write(b64.decode(msg.get("stderr").asText()));
                        err.flush();
                    }
                } else if (msg.has("exit") || msg.has("signal")) {
                    return exitCode(msg, err);
                } else if (msg.has("error")) {
                    JsonNode p = msg.get("error");
                    String detail = Json.text(p, "detail");
                    if (detail.isEmpty()) detail = Json.text(p, "title");
                    throw new BurrowException(detail.isEmpty() ? "exec failed" : detail);
                }
                // anything else: a line type this CLI does not know yet; ignore it
            }
        } catch (IOException e) {
            throw new BurrowException("exec stream from burrowd broke: " + e.getMessage(), e);
        }
        throw new BurrowException("exec stream from burrowd ended without an exit status");
    }

    private int exitCode(JsonNode msg, PrintStream err) {
        boolean timedOut = msg.path("timedOut").asBoolean(false);
        String signal = Json.text(msg, "signal");
        if (timedOut) {
            err.println("burrow: the command timed out" + (signal.isEmpty() ? "" : " and was killed with SIG" + signal));
        }
        JsonNode exit = msg.get("exit");
        if (exit != null && exit.canConvertToInt()) return exit.asInt();
        if (!signal.isEmpty()) {
            Integer n = SIGNALS.get(signal.toUpperCase().replaceFirst("^SIG", ""));
            return 128 + (n == null ? 0 : n);
        }
        throw new BurrowException("exec ended with no exit code");
    }

    /** Streams our stdin to the exec in the background; the exec's end ends us, whatever the pump is doing. */
    private void pumpStdin(String path) {
        InputStream in = new FilterInputStream(env.in()) {
            @Override
            public void close() {
                // stdin is not ours to close
            }
        };
        Thread t = new Thread(() -> {
            try {
                api().postStream(path, () -> in, -1);
            } catch (BurrowException e) {
                // the exec may have ended before its stdin did: nothing to tell
                if (e.status() != 404 && e.status() != 409 && e.status() != 410 && env.getenv("BURROW_DEBUG") != null) {
                    env.err().println("burrow: streaming stdin: " + e.getMessage());
                }
            }
        }, "burrow-stdin");
        t.setDaemon(true);
        t.start();
    }
}
