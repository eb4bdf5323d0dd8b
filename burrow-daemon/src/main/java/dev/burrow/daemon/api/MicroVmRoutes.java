package dev.burrow.daemon.api;

import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.metrics.RunMetrics;
import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.MicroVmService;
import dev.burrow.daemon.microvms.lifecycle.IdlePolicy;
import dev.burrow.daemon.microvms.lifecycle.MicroVmState;
import dev.burrow.daemon.microvms.lifecycle.PolicyJson;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.microvms.RunRequest;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.store.Page;
import dev.burrow.daemon.trace.Spans;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jetty.http.HttpHeader;

/** microVMs: run, list, get, terminate, and exec as NDJSON (SPEC §3). */
final class MicroVmRoutes {

    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 500;
    private static final int MAX_EXEC_TIMEOUT = 86_400;
    /** How often an exec stream looks at the clock and at a stopping daemon while the guest is quiet. */
    private static final Duration POLL = Duration.ofMillis(500);
    /** After a write stall, how long the client has to take the pending output and get the last line. */
    private static final Duration STALL_GRACE = Duration.ofSeconds(5);
    private static final Duration STDIN_ONCE_WAIT = Duration.ofSeconds(30);
    private static final Duration STDIN_STREAM_WAIT = Duration.ofSeconds(60);
    private static final int MAX_RUN_HOOK_PAYLOAD = 64 * 1024;
    /** The response header of a run that says how the microVM came to run. */
    static final String START_HEADER = "Burrow-Start";
    private static final int MAX_SUSPENDED_SECONDS = 30 * 86_400;
    private static final int MAX_FORKS = 64;
    private static final Map<String, Integer> SIGNALS = Map.of("HUP", 1, "INT", 2, "QUIT", 3, "KILL", 9, "USR1", 10, "USR2", 12, "TERM", 15);

    private final MicroVmService microvms;
    /** Running execs with stdin open, by microVM id + exec id (for …/stdin and …/signal). */
    /** Execs with stdinMode "stream", by microVM id + "/" + exec id: what stdin, signal and the exec list reach. */
    private final Map<String, RunningExec> execs = new ConcurrentHashMap<>();

    private record RunningExec(ExecSession session, List<String> cmd, Instant startedAt) {}

    MicroVmRoutes(MicroVmService microvms) {
        this.microvms = microvms;
    }

    void register(ApiServer api) {
        api.idempotentRoute("POST", "/v1/microvms", this::run);
        api.route("GET", "/v1/microvms/{id}/execs", this::listExecs);
        api.route("GET", "/v1/microvms", this::list);
        api.route("GET", "/v1/microvms/{id}", c -> c.send(200, view(microvms.get(c.tenant(), c.param("id")))));
        api.route("DELETE", "/v1/microvms/{id}", c -> c.send(202, view(microvms.terminate(c.tenant(), c.param("id"), c.requestId))));
        // ?wait is checked (a boolean) though both calls always answer once the state is reached
        api.route("POST", "/v1/microvms/{id}/suspend", c -> {
            Queries.bool(c, "wait");
            c.send(200, view(microvms.suspend(c.tenant(), c.param("id"), c.requestId)));
        });
        api.route("POST", "/v1/microvms/{id}/resume", c -> {
            Queries.bool(c, "wait");
            c.send(200, view(microvms.resume(c.tenant(), c.param("id"), c.requestId)));
        });
        api.idempotentRoute("POST", "/v1/microvms/{id}/fork", this::fork);
        api.route("POST", "/v1/microvms/{id}/exec", this::exec);
        api.route("POST", "/v1/microvms/{id}/execs/{execId}/stdin", this::stdin);
        api.route("POST", "/v1/microvms/{id}/execs/{execId}/signal", this::signal);
    }

    private void run(Call c) throws Exception {
        Dtos.RunMicroVm req = c.json(Dtos.RunMicroVm.class);
        // every static check first, all reported together; lookups (the image) only after
        FieldErrors errors = new FieldErrors();
        if (req.image() == null) {
            errors.add("image", "image is required");
        } else if (!ImageRoutes.IMAGE_NAME.matcher(req.image()).matches()) {
            errors.add("image", "image must match [a-z0-9][a-z0-9._-]{0,62}; got '" + Queries.printable(req.image()) + "'");
        }
        if (req.version() != null && req.version() < 1) {
            errors.add("version", "version must be 1 or more; got " + req.version());
        }
        int min = microvms.minDurationSeconds();
        int max = microvms.maxDurationSeconds();
        if (req.maxDurationSeconds() != null && (req.maxDurationSeconds() < min || req.maxDurationSeconds() > max)) {
            errors.add("maxDurationSeconds", "maxDurationSeconds must be between " + min + " and " + max + "; got " + req.maxDurationSeconds());
        }
        List<EgressPolicy.Violation> networkProblems = new ArrayList<>();
        EgressPolicy network = EgressPolicy.parse(req.network(), networkProblems);
        networkProblems.forEach(v -> errors.add(v.field(), v.detail()));
        IdlePolicy policy = idlePolicy(req.idlePolicy(), min, req.maxDurationSeconds() == null ? max : req.maxDurationSeconds(), errors);
        if (req.runHookPayload() != null && req.runHookPayload().getBytes(StandardCharsets.UTF_8).length > MAX_RUN_HOOK_PAYLOAD) {
            errors.add("runHookPayload", "runHookPayload must be at most 64 KiB (" + MAX_RUN_HOOK_PAYLOAD + " bytes) of UTF-8");
        }
        RunRequest.envViolations("env", req.env()).forEach(v -> errors.add(v.field(), v.detail()));
        RunRequest.labelViolations(req.labels()).forEach(v -> errors.add(v.field(), v.detail()));
        if (req.labels() != null) {
            req.labels().keySet().stream().filter(k -> k.startsWith("burrow.")).forEach(k ->
                    errors.add("labels." + k, "label keys starting with burrow. are set by Burrow"));
        }
        errors.throwIfAny();
        boolean wait = req.waitForRunHook() == null || req.waitForRunHook();
        MicroVmRecord r = microvms.run(c.tenant(), new RunRequest(req.image(), req.version(), req.maxDurationSeconds(), req.env(),
                req.labels(), policy, req.runHookPayload(), network.json()), c.requestId, wait);
        Dtos.MicroVmView answer;
        try (Spans.Step step = Spans.time("view")) {
            answer = view(r);
        }
        if (wait) {
            startHeader(c, microvms, r.id());
        }
        c.send(wait ? 201 : 202, answer);
    }

    /** {@value #START_HEADER}: standby, warm or cold, as the run started the microVM (issue 13); absent when not known. */
    static void startHeader(Call c, MicroVmService microvms, String id) {
        microvms.startPath(id).ifPresent(p -> c.response.getHeaders().put(START_HEADER, RunMetrics.label(p)));
    }

    /** The idle policy's fields, each checked (SPEC §1); null when none was given or it has errors. */
    static IdlePolicy idlePolicy(Map<String, Object> p, int minSeconds, int lifetime, FieldErrors errors) {
        if (p == null) {
            return null;
        }
        int before = errors.size();
        for (String k : p.keySet()) {
            if (!List.of("maxIdleSeconds", "suspendedSeconds", "autoResume").contains(k)) {
                errors.add("idlePolicy." + k, "idlePolicy has no field '" + Queries.printable(k)
                        + "'; it takes maxIdleSeconds, suspendedSeconds and autoResume");
            }
        }
        Integer maxIdle = wholeNumber(p.get("maxIdleSeconds"), "idlePolicy.maxIdleSeconds", errors);
        if (p.get("maxIdleSeconds") == null) {
            errors.add("idlePolicy.maxIdleSeconds", "idlePolicy.maxIdleSeconds is required (seconds without activity before a suspend)");
        } else if (maxIdle != null && (maxIdle < minSeconds || maxIdle > lifetime)) {
            errors.add("idlePolicy.maxIdleSeconds", "idlePolicy.maxIdleSeconds must be between " + minSeconds
                    + " and the lifetime (" + lifetime + " s); got " + maxIdle);
        }
        Integer suspended = wholeNumber(p.get("suspendedSeconds"), "idlePolicy.suspendedSeconds", errors);
        if (suspended != null && (suspended < 0 || suspended > MAX_SUSPENDED_SECONDS)) {
            errors.add("idlePolicy.suspendedSeconds", "idlePolicy.suspendedSeconds must be between 0 (terminate instead of an idle suspend) and "
                    + MAX_SUSPENDED_SECONDS + "; got " + suspended);
        }
        Object auto = p.get("autoResume");
        if (auto != null && !(auto instanceof Boolean)) {
            errors.add("idlePolicy.autoResume", "idlePolicy.autoResume must be true or false");
        }
        if (errors.size() > before || maxIdle == null) {
            return null;
        }
        return new IdlePolicy(maxIdle, suspended, Boolean.TRUE.equals(auto));
    }

    private static Integer wholeNumber(Object v, String field, FieldErrors errors) {
        if (v == null) {
            return null;
        }
        if (v instanceof Integer i) {
            return i;
        }
        errors.add(field, field + " must be a whole number of seconds");
        return null;
    }

    private void fork(Call c) throws Exception {
        Dtos.ForkBody body = c.jsonOr(Dtos.ForkBody.class, new Dtos.ForkBody(null));
        int count = body.count() == null ? 1 : body.count();
        if (count < 1 || count > MAX_FORKS) {
            throw ApiException.badRequest("count", "count must be between 1 and " + MAX_FORKS + "; got " + count);
        }
        List<MicroVmRecord> forks = microvms.fork(c.tenant(), c.param("id"), count, c.requestId);
        c.send(201, new Dtos.ListOf<>(forks.stream().map(this::view).toList(), null));
    }

    private Dtos.MicroVmView view(MicroVmRecord r) {
        return Dtos.MicroVmView.of(r, microvms.resources(r));
    }

    private void list(Call c) throws Exception {
        Queries.only(c, List.of("limit", "cursor", "state", "label"));
        int limit = (int) Queries.number(c, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        String state = c.query("state");
        if (state != null) {
            for (String s : state.split(",", -1)) {
                if (Arrays.stream(MicroVmState.values()).noneMatch(v -> v.name().equals(s.strip()))) {
                    throw ApiException.badRequest("state", "state must be one or more of " + Arrays.toString(MicroVmState.values())
                            + " separated by commas; got '" + Queries.printable(s) + "'");
                }
            }
        }
        String label = c.query("label");
        if (label != null) {
            int eq = label.indexOf('=');
            if (eq <= 0 || !RunRequest.LABEL_KEY.matcher(label.substring(0, eq)).matches()
                    || label.length() - eq - 1 > RunRequest.MAX_LABEL_VALUE) {
                throw ApiException.badRequest("label", "label must be key=value with a key matching [a-z0-9./-]{1,63} and a value of at most "
                        + RunRequest.MAX_LABEL_VALUE + " characters; got '" + Queries.printable(label) + "'");
            }
        }
        Page<MicroVmRecord> page = microvms.list(c.tenant(), state, label, limit, Queries.cursor(c));
        c.send(200, new Dtos.ListOf<>(page.items().stream().map(this::view).toList(), page.nextCursor()));
    }

    private void exec(Call c) throws Exception {
        Dtos.ExecBody body = c.json(Dtos.ExecBody.class);
        FieldErrors errors = new FieldErrors();
        if (body.cmd() == null || body.cmd().isEmpty()) {
            errors.add("cmd", "cmd must name a command, e.g. [\"sh\", \"-c\", \"echo hi\"]");
        } else {
            for (int i = 0; i < body.cmd().size(); i++) {
                String arg = body.cmd().get(i);
                if (arg == null || arg.indexOf('\0') >= 0) {
                    errors.add("cmd[" + i + "]", "cmd[" + i + "] must be a string without NUL characters");
                }
            }
        }
        String mode = body.stdinMode() == null ? "none" : body.stdinMode();
        if (!List.of("none", "once", "stream").contains(mode)) {
            errors.add("stdinMode", "stdinMode must be none, once or stream; got " + Queries.printable(mode));
        }
        byte[] stdin = new byte[0];
        if (body.stdin() != null) {
            if (!mode.equals("once")) {
                errors.add("stdin", "stdin is only accepted with stdinMode \"once\"");
            }
            try {
                stdin = Base64.getDecoder().decode(body.stdin());
            } catch (IllegalArgumentException e) {
                errors.add("stdin", "stdin must be base64");
            }
        }
        int timeout = body.timeoutSeconds() == null ? 0 : body.timeoutSeconds();
        if (body.timeoutSeconds() != null && (timeout < 1 || timeout > MAX_EXEC_TIMEOUT)) {
            errors.add("timeoutSeconds", "timeoutSeconds must be between 1 and " + MAX_EXEC_TIMEOUT + "; got " + timeout);
        }
        for (String field : new String[] {"cwd", "user"}) {
            String v = field.equals("cwd") ? body.cwd() : body.user();
            if (v != null && (v.isEmpty() || v.indexOf('\0') >= 0)) {
                errors.add(field, field + " must be a non-empty string without NUL characters");
            }
        }
        RunRequest.envViolations("env", body.env()).forEach(v -> errors.add(v.field(), v.detail()));
        errors.throwIfAny();
        c.openStream();
        ExecRequest req = new ExecRequest(body.cmd(), body.env() == null ? Map.of() : body.env(), body.cwd(), body.user(),
                !mode.equals("none"), false);
        MicroVmService.Exec exec = microvms.exec(c.tenant(), c.param("id"), req, c.requestId);
        ExecSession session = exec.session();
        String execId = "ex" + session.id();
        String key = c.param("id") + "/" + execId;
        if (mode.equals("once")) {
            session.writeStdin(stdin, 0, stdin.length, STDIN_ONCE_WAIT);
            session.closeStdin();
        } else if (mode.equals("stream")) {
            execs.put(key, new RunningExec(session, List.copyOf(body.cmd()), Instant.now()));
        }
        c.response.setStatus(200);
        c.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson");
        long deadline = timeout == 0 ? Long.MAX_VALUE : System.nanoTime() + timeout * 1_000_000_000L;
        boolean finished = false;
        boolean sawStdout = false; // traces only: the guest's time to the first output byte apart from the rest of the stream
        StreamOut out = c.stream();
        try {
            out.line(Map.of("started", Map.of("execId", execId)));
            while (!finished) {
                if (System.nanoTime() > deadline) {
                    session.kill();
                    out.line(Map.of("exit", 137, "signal", "KILL", "timedOut", true));
                    finished = true;
                    break;
                }
                if (c.stopping()) {
                    out.line(errorFrame(c, 503, "unavailable", "burrowd is stopping; the exec was ended"));
                    break;
                }
                ExecEvent e;
                try (Spans.Step step = Spans.time(sawStdout ? "stream-wait" : "guest-wait")) {
                    e = session.next(POLL);
                }
                switch (e) {
                    case null -> { }
                    case ExecEvent.Started s -> { }
                    case ExecEvent.Stdout o -> {
                        out.line(Map.of("stdout", Base64.getEncoder().encodeToString(o.data())));
                        Spans.mark("first-stdout");
                        sawStdout = true;
                    }
                    case ExecEvent.Stderr o -> out.line(Map.of("stderr", Base64.getEncoder().encodeToString(o.data())));
                    case ExecEvent.Exit x -> {
                        Map<String, Object> exit = new LinkedHashMap<>();
                        exit.put("exit", x.exitCode());
                        if (x.signal() != 0) {
                            exit.put("signal", signalName(x.signal()));
                        }
                        out.line(exit);
                        finished = true;
                    }
                    case ExecEvent.Failed f -> {
                        out.line(errorFrame(c, 500, "exec-failed", f.message()));
                        finished = true;
                    }
                }
            }
        } catch (StreamOut.Stalled stalled) {
            // the client stopped reading: a last line says why if it takes the pending output after all, else Jetty aborts the call
            if (!out.lastLineAfterStall(errorFrame(c, 408, "request-timeout", "the exec was ended: " + stalled.getMessage()
                    + " (the limit is " + c.limits.execWriteStall().toSeconds() + " s)"), STALL_GRACE)) {
                throw stalled;
            }
        } catch (IOException clientGone) {
            // the client disconnected: its exec's process group goes too (SPEC §3), unless detached
        } catch (RuntimeException | InterruptedException unexpected) {
            if (out.usable()) {
                out.line(errorFrame(c, 500, "internal", "the exec stream ended early (request " + c.requestId + ")"));
            }
            throw unexpected;
        } finally {
            execs.remove(key);
            if (!finished && !Boolean.TRUE.equals(body.detach())) {
                session.kill();
            }
            exec.close(); // the exec no longer keeps the microVM busy
        }
    }

    private static Map<String, Object> errorFrame(Call c, int status, String type, String detail) {
        Map<String, Object> problem = new LinkedHashMap<>();
        problem.put("type", Problems.BASE + type);
        problem.put("title", type.replace('-', ' '));
        problem.put("status", status);
        problem.put("detail", detail);
        problem.put("instance", c.requestId);
        return Map.of("error", problem);
    }

    private void listExecs(Call c) throws Exception {
        microvms.get(c.tenant(), c.param("id"));
        String prefix = c.param("id") + "/";
        c.send(200, new Dtos.ListOf<>(execs.entrySet().stream().filter(e -> e.getKey().startsWith(prefix))
                .sorted(Map.Entry.comparingByValue(Comparator.comparing(RunningExec::startedAt)))
                .map(e -> Map.of("execId", e.getKey().substring(prefix.length()), "cmd", e.getValue().cmd(),
                        "startedAt", e.getValue().startedAt().toString()))
                .toList(), null));
    }

    private ExecSession session(Call c) {
        microvms.get(c.tenant(), c.param("id")); // 404 for other tenants' microVMs
        RunningExec running = execs.get(c.param("id") + "/" + c.param("execId"));
        if (running == null) {
            throw new NotFoundException("no running exec " + c.param("execId") + " with stdinMode \"stream\" in " + c.param("id"));
        }
        return running.session();
    }

    private void stdin(Call c) throws Exception {
        ExecSession s = session(c);
        c.openStream(); // a stdin body may stream as long as the exec runs
        byte[] buf = new byte[1 << 16];
        long total = 0;
        try (InputStream in = c.body()) {
            int n;
            while ((n = in.read(buf)) > 0) {
                s.writeStdin(buf, 0, n, STDIN_STREAM_WAIT);
                total += n;
            }
        } catch (AgentException e) {
            throw new ConflictException("the exec no longer accepts input: " + e.getMessage());
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
