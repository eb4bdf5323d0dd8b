package dev.burrow.daemon.api;

import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.microvms.RunRequest;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.store.Page;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Duration;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;

/** microVMs: run, list, get, terminate, and exec as NDJSON (SPEC §3). */
final class MicroVmRoutes {

    private static final Map<String, Integer> SIGNALS = Map.of("HUP", 1, "INT", 2, "QUIT", 3, "KILL", 9, "USR1", 10, "USR2", 12, "TERM", 15);

    private final MicroVmService microvms;
    /** Running execs with stdin open, by microVM id + exec id (for …/stdin and …/signal). */
    private final Map<String, ExecSession> execs = new ConcurrentHashMap<>();

    MicroVmRoutes(MicroVmService microvms) {
        this.microvms = microvms;
    }

    void register(ApiServer api) {
        api.idempotentRoute("POST", "/v1/microvms", this::run);
        api.route("GET", "/v1/microvms/{id}/execs", this::listExecs);
        api.route("GET", "/v1/microvms", this::list);
        api.route("GET", "/v1/microvms/{id}", c -> c.send(200, view(microvms.get(c.tenant(), c.param("id")))));
        api.route("DELETE", "/v1/microvms/{id}", c -> c.send(202, view(microvms.terminate(c.tenant(), c.param("id"), c.requestId))));
        api.route("POST", "/v1/microvms/{id}/suspend", c -> c.send(200, view(microvms.suspend(c.tenant(), c.param("id"), c.requestId))));
        api.route("POST", "/v1/microvms/{id}/resume", c -> c.send(200, view(microvms.resume(c.tenant(), c.param("id"), c.requestId))));
        api.route("POST", "/v1/microvms/{id}/exec", this::exec);
        api.route("POST", "/v1/microvms/{id}/execs/{execId}/stdin", this::stdin);
        api.route("POST", "/v1/microvms/{id}/execs/{execId}/signal", this::signal);
    }

    private void run(Call c) throws Exception {
        Dtos.RunMicroVm req = c.json(Dtos.RunMicroVm.class);
        if (req.image() == null) {
            throw ApiException.badRequest("image", "image is required");
        }
        if (req.network() != null && !"none".equals(req.network().get("egress"))) {
            throw ApiException.badRequest("network.egress", "only network.egress \"none\" is supported yet");
        }
        if (req.idlePolicy() != null) {
            throw ApiException.badRequest("idlePolicy", "idlePolicy is not supported yet (suspend arrives with the lifecycle work)");
        }
        MicroVmRecord r = microvms.run(c.tenant(), new RunRequest(req.image(), req.version(), req.maxDurationSeconds(), req.env(), req.labels()), c.requestId);
        c.send(201, view(r));
    }

    private Dtos.MicroVmView view(MicroVmRecord r) {
        return Dtos.MicroVmView.of(r, microvms.resources(r));
    }

    private void list(Call c) throws Exception {
        int limit = 100;
        if (c.query("limit") != null) {
            try {
                limit = Integer.parseInt(c.query("limit"));
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("limit", "limit must be a number between 1 and 500");
            }
            if (limit < 1 || limit > 500) {
                throw ApiException.badRequest("limit", "limit must be between 1 and 500; got " + limit);
            }
        }
        Page<MicroVmRecord> page = microvms.list(c.tenant(), c.query("state"), c.query("label"), limit, c.query("cursor"));
        c.send(200, new Dtos.ListOf<>(page.items().stream().map(this::view).toList(), page.nextCursor()));
    }

    private void exec(Call c) throws Exception {
        Dtos.ExecBody body = c.json(Dtos.ExecBody.class);
        if (body.cmd() == null || body.cmd().isEmpty()) {
            throw ApiException.badRequest("cmd", "cmd must name a command, e.g. [\"sh\", \"-c\", \"echo hi\"]");
        }
        String mode = body.stdinMode() == null ? "none" : body.stdinMode();
        if (!List.of("none", "once", "stream").contains(mode)) {
            throw ApiException.badRequest("stdinMode", "stdinMode must be none, once or stream; got " + mode);
        }
        byte[] stdin = new byte[0];
        if (body.stdin() != null) {
            if (!mode.equals("once")) {
                throw ApiException.badRequest("stdin", "stdin is only accepted with stdinMode \"once\"");
            }
            try {
                stdin = Base64.getDecoder().decode(body.stdin());
            } catch (IllegalArgumentException e) {
                throw ApiException.badRequest("stdin", "stdin must be base64");
            }
        }
        int timeout = body.timeoutSeconds() == null ? 0 : body.timeoutSeconds();
        if (timeout < 0 || timeout > 86400) {
            throw ApiException.badRequest("timeoutSeconds", "timeoutSeconds must be between 1 and 86400");
        }
        ExecRequest req = new ExecRequest(body.cmd(), body.env() == null ? Map.of() : body.env(), body.cwd(), body.user(),
                !mode.equals("none"), false);
        ExecSession session = microvms.exec(c.tenant(), c.param("id"), req);
        String execId = "ex" + session.id();
        String key = c.param("id") + "/" + execId;
        if (mode.equals("once")) {
            session.writeStdin(stdin, 0, stdin.length, Duration.ofSeconds(30));
            session.closeStdin();
        } else if (mode.equals("stream")) {
            execs.put(key, session);
        }
        c.response.setStatus(200);
        c.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson");
        long deadline = timeout == 0 ? Long.MAX_VALUE : System.nanoTime() + timeout * 1_000_000_000L;
        boolean finished = false;
        try (OutputStream out = Content.Sink.asOutputStream(c.response)) {
            line(out, Map.of("started", Map.of("execId", execId)));
            while (!finished) {
                if (System.nanoTime() > deadline) {
                    session.kill();
                    line(out, Map.of("exit", 137, "signal", "KILL", "timedOut", true));
                    finished = true;
                    break;
                }
                ExecEvent e = session.next(Duration.ofMillis(500));
                switch (e) {
                    case null -> { }
                    case ExecEvent.Started s -> { }
                    case ExecEvent.Stdout o -> line(out, Map.of("stdout", Base64.getEncoder().encodeToString(o.data())));
                    case ExecEvent.Stderr o -> line(out, Map.of("stderr", Base64.getEncoder().encodeToString(o.data())));
                    case ExecEvent.Exit x -> {
                        Map<String, Object> exit = new LinkedHashMap<>();
                        exit.put("exit", x.exitCode());
                        if (x.signal() != 0) {
                            exit.put("signal", signalName(x.signal()));
                        }
                        line(out, exit);
                        finished = true;
                    }
                    case ExecEvent.Failed f -> {
                        line(out, Map.of("error", Map.of("type", "https://burrow.dev/problems/exec-failed", "title", "exec failed",
                                "status", 500, "detail", f.message(), "instance", c.requestId)));
                        finished = true;
                    }
                }
            }
        } catch (IOException clientGone) {
            // the client disconnected: its exec's process group goes too (SPEC §3), unless detached
        } finally {
            execs.remove(key);
            if (!finished && !Boolean.TRUE.equals(body.detach())) {
                session.kill();
            }
        }
    }

    private static void line(OutputStream out, Map<String, ?> frame) throws IOException {
        out.write(Json.MAPPER.writeValueAsBytes(frame));
        out.write('\n');
        out.flush();
    }

    private void listExecs(Call c) throws Exception {
        microvms.get(c.tenant(), c.param("id"));
        String prefix = c.param("id") + "/";
        c.send(200, new Dtos.ListOf<>(execs.keySet().stream().filter(k -> k.startsWith(prefix))
                .map(k -> Map.of("execId", k.substring(prefix.length()))).toList(), null));
    }

    private ExecSession session(Call c) {
        microvms.get(c.tenant(), c.param("id")); // 404 for other tenants' microVMs
        ExecSession s = execs.get(c.param("id") + "/" + c.param("execId"));
        if (s == null) {
            throw new NotFoundException("no running exec " + c.param("execId") + " with stdinMode \"stream\" in " + c.param("id"));
        }
        return s;
    }

    private void stdin(Call c) throws Exception {
        ExecSession s = session(c);
        byte[] buf = new byte[1 << 16];
        long total = 0;
        try (InputStream in = c.body()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                s.writeStdin(buf, 0, n, Duration.ofSeconds(60));
                total += n;
            }
        } catch (AgentException e) {
            throw new dev.burrow.daemon.microvms.ConflictException("the exec no longer accepts input: " + e.getMessage());
        }
        s.closeStdin();
        c.send(200, Map.of("bytes", total));
    }

    private void signal(Call c) throws Exception {
        ExecSession s = session(c);
        Dtos.SignalBody body = c.json(Dtos.SignalBody.class);
        Integer sig = body.signal() == null ? null : SIGNALS.get(body.signal().toUpperCase().replaceFirst("^SIG", ""));
        if (sig == null) {
            throw ApiException.badRequest("signal", "signal must be one of " + SIGNALS.keySet());
        }
        s.signal(sig);
        c.send(202, Map.of("signal", body.signal()));
    }

    private static String signalName(int sig) {
        return SIGNALS.entrySet().stream().filter(e -> e.getValue() == sig).map(Map.Entry::getKey).findFirst().orElse(Integer.toString(sig));
    }
}
