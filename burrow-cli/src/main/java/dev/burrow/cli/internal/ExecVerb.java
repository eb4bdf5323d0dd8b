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
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * {@code burrow exec [OPTIONS] ID [--] CMD…}: runs a command in a microVM, streaming its stdout
 * and stderr as they arrive and exiting with its exit code. When our stdin is not a terminal it
 * is streamed to the command ({@code stdinMode: "stream"}); otherwise the command gets EOF at
 * once. The exec is tried on the id as given first; only a 404 makes it resolve a prefix
 * ({@link IdResolver}, one list call) and try again, so a full id costs one request.
 */
public record ExecVerb(String id, List<String> cmd, List<String> envs, String cwd, String user, String timeout,
                       boolean noStdin, boolean json) implements HotVerb {
    private static final Map<String, Integer> SIGNALS = Map.ofEntries(
            Map.entry("HUP", 1), Map.entry("INT", 2), Map.entry("QUIT", 3), Map.entry("ILL", 4),
            Map.entry("TRAP", 5), Map.entry("ABRT", 6), Map.entry("BUS", 7), Map.entry("FPE", 8),
            Map.entry("KILL", 9), Map.entry("USR1", 10), Map.entry("SEGV", 11), Map.entry("USR2", 12),
            Map.entry("PIPE", 13), Map.entry("ALRM", 14), Map.entry("TERM", 15));

    /** What may be tried as a path segment before resolving: a prefix or id, never {@code .}, {@code ..} or a separator. */
    private static final Pattern LITERAL_ID = Pattern.compile("[A-Za-z0-9_-]+");

    /** An exec request under way: the microVM's full path and burrowd's streamed answer. */
    private record Started(String vmPath, InputStream response) {}

    @Override
    public int run(VerbContext context) {
        List<String> command = !cmd.isEmpty() && cmd.getFirst().equals("--") ? cmd.subList(1, cmd.size()) : cmd;
        if (command.isEmpty()) throw new BurrowException("exec: no command given (burrow exec [OPTIONS] ID -- CMD...)");
        CliEnv env = context.env();
        boolean streamStdin = !noStdin && !env.stdinTty();
        ObjectNode body = Json.object();
        ArrayNode argv = body.putArray("cmd");
        command.forEach(argv::add);
        Args.putPairs(body, "env", envs, "--env");
        if (cwd != null) body.put("cwd", cwd);
        if (user != null) body.put("user", user);
        if (timeout != null) body.put("timeoutSeconds", Args.seconds("--timeout", timeout));
        body.put("stdinMode", streamStdin ? "stream" : "none");

        Started started = start(context.api(), body);
        PrintStream out = env.out();
        PrintStream err = env.err();
        Base64.Decoder b64 = Base64.getDecoder();
        try (BufferedReader lines = new BufferedReader(new InputStreamReader(started.response(), StandardCharsets.UTF_8))) {
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
                    if (streamStdin && !execId.isEmpty()) {
                        pumpStdin(context, started.vmPath() + "/execs/" + ApiClient.seg(execId) + "/stdin");
                    }
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

    /**
     * The exec on the id as given; on a 404 the id is resolved as a prefix or name (the same
     * errors as before: ambiguous, no match) and, when that names another microVM, tried there.
     */
    private Started start(ApiClient api, ObjectNode body) {
        if (id != null && LITERAL_ID.matcher(id).matches()) {
            String vmPath = "/v1/microvms/" + ApiClient.seg(id);
            try {
                return new Started(vmPath, api.postForStream(vmPath + "/exec", body));
            } catch (BurrowException e) {
                if (e.status() != 404) throw e;
                String full = IdResolver.resolve(api, id);
                if (full.equals(id)) throw e;
                return post(api, full, body);
            }
        }
        return post(api, IdResolver.resolve(api, id), body);
    }

    private static Started post(ApiClient api, String fullId, ObjectNode body) {
        String vmPath = "/v1/microvms/" + ApiClient.seg(fullId);
        return new Started(vmPath, api.postForStream(vmPath + "/exec", body));
    }

    private static int exitCode(JsonNode msg, PrintStream err) {
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
    private static void pumpStdin(VerbContext context, String path) {
        CliEnv env = context.env();
        InputStream in = new FilterInputStream(env.in()) {
            @Override
            public void close() {
                // stdin is not ours to close
            }
        };
        Thread t = new Thread(() -> {
            try {
                context.api().postStream(path, () -> in, -1);
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
