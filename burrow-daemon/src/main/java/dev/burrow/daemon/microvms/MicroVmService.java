package dev.burrow.daemon.microvms;

import dev.burrow.daemon.images.BuildSettings;
import dev.burrow.daemon.images.Hooks;
import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.daemon.images.Resources;
import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.microvms.lifecycle.Lifecycle;
import dev.burrow.daemon.microvms.lifecycle.PolicyJson;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.store.MicroVmRecords;
import dev.burrow.daemon.store.Page;
import dev.burrow.daemon.store.TenantQuotas;
import dev.burrow.daemon.trace.Spans;
import dev.burrow.vmm.ConsoleRing;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.StartPath;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import java.io.IOException;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BiFunction;

/**
 * MicroVMs as the API asks for them: resolves an image version into what a run needs, merges
 * environments, and hands every state change to the {@link Lifecycle}, the only writer of
 * microVM state.
 */
public final class MicroVmService implements AutoCloseable {

    public static final String FORK_OF_LABEL = "burrow.fork-of";

    private final Lifecycle lifecycle;
    private final MicroVmRecords records;
    /** (tenantId, image name) → the image service that can see it (the tenant's, or the public one). */
    private final BiFunction<String, String, Optional<ImageService>> images;
    private final int minDurationSeconds;
    private final int maxDurationSeconds;
    private final Clock clock;
    private final TenantQuotas quotas;

    /**
     * {@code min/maxDurationSeconds}: the server's range for maxDurationSeconds, and the minimum of
     * maxIdleSeconds; {@code quotas} admits runs, forks and suspends (resumes are admitted where
     * their state is written).
     */
    public MicroVmService(Lifecycle lifecycle, MicroVmRecords records, BiFunction<String, String, Optional<ImageService>> images,
                          int minDurationSeconds, int maxDurationSeconds, Clock clock, TenantQuotas quotas) {
        this.quotas = quotas;
        this.lifecycle = lifecycle;
        this.records = records;
        this.images = images;
        this.minDurationSeconds = minDurationSeconds;
        this.maxDurationSeconds = maxDurationSeconds;
        this.clock = clock;
    }

    public int minDurationSeconds() {
        return minDurationSeconds;
    }

    public int maxDurationSeconds() {
        return maxDurationSeconds;
    }

    /**
     * Runs the request's image version. With {@code waitForRunning} false the PENDING record is
     * returned as soon as the microVM has an id, and the start goes on in the background.
     */
    public MicroVmRecord run(String tenantId, RunRequest r, String requestId, boolean waitForRunning) {
        ImageService service;
        ImageVersion v;
        try (Spans.Step step = Spans.time("image-lookup")) {
            service = images.apply(tenantId, r.image())
                    .orElseThrow(() -> new NotFoundException("no image named " + r.image()));
            v = r.version() == null
                    ? service.newestRunnable(r.image()).orElseThrow(() -> new ConflictException(
                            "image " + r.image() + " has no READY and ACTIVE version yet; see GET /v1/images/" + r.image() + "/versions"))
                    : service.version(r.image(), r.version()).orElseThrow(() -> new NotFoundException("image " + r.image() + " has no version " + r.version()));
        }
        if (v.state() != VersionState.READY) {
            throw new ConflictException(v.ref() + " is " + v.state() + (v.stateReason() == null ? "" : " (" + v.stateReason() + ")") + "; only READY versions run");
        }
        Template template;
        try (Spans.Step step = Spans.time("template")) {
            template = template(service, v);
        }
        Map<String, String> env = new LinkedHashMap<>(v.settings().env() == null ? Map.of() : v.settings().env());
        env.putAll(r.env());
        int duration = r.maxDurationSeconds() == null ? maxDurationSeconds : r.maxDurationSeconds();
        Lifecycle.Launch launch = new Lifecycle.Launch(tenantId, r.image(), v.version(), template, v.settings().hooks(), env,
                r.labels(), r.idlePolicy(), clock.instant().plusSeconds(duration), r.runHookPayload(),
                r.network() == null ? "{\"egress\":\"none\"}" : r.network());
        Resources resources = v.settings().resources();
        String hold;
        try (Spans.Step step = Spans.time("quota")) {
            hold = quotas.reserve(tenantId, 1, resources.vcpus(), resources.memoryMiB());
        }
        if (waitForRunning) {
            try (Spans.Step step = Spans.time("engine+lifecycle")) {
                // nobody answers with the PENDING record: it needs no sync of its own (Lifecycle.run)
                return ScopedValue.where(TenantQuotas.HOLD, hold).call(() -> lifecycle.run(launch, requestId, null));
            } finally {
                try (Spans.Step step = Spans.time("quota")) {
                    quotas.release(hold);
                }
            }
        }
        CompletableFuture<MicroVmRecord> pending = new CompletableFuture<>();
        CompletableFuture<MicroVmRecord> done = new CompletableFuture<>();
        Thread.ofVirtual().name("run-" + requestId).start(() -> {
            try {
                done.complete(ScopedValue.where(TenantQuotas.HOLD, hold).call(() -> lifecycle.run(launch, requestId, pending::complete)));
            } catch (RuntimeException e) {
                done.completeExceptionally(e);
                pending.completeExceptionally(e);
            } finally {
                quotas.release(hold);
            }
        });
        try {
            return CompletableFuture.anyOf(pending, done).thenApply(x -> (MicroVmRecord) x).get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof RuntimeException re ? re : new IllegalStateException(e.getCause());
        } catch (TimeoutException e) {
            throw new RetryableException("the engine did not give the microVM an id within 60 s; list microVMs to find it", 5);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetryableException("interrupted", 1);
        }
    }

    private static Template template(ImageService service, ImageVersion v) {
        try {
            return service.template(v);
        } catch (IOException e) {
            throw new EngineFailure(EngineFailure.Kind.IO, "the template of " + v.ref() + " cannot be read: " + e.getMessage(), e);
        }
    }

    /** How a microVM this daemon ran came to run (see {@link Lifecycle#startPath}). */
    public Optional<StartPath> startPath(String id) {
        return lifecycle.startPath(id);
    }

    public MicroVmRecord get(String tenantId, String id) {
        return lifecycle.get(tenantId, id);
    }

    /** The microVM's console ring as the engine keeps it (see {@link Lifecycle#console}); the caller checked the tenant. */
    public Optional<ConsoleRing> console(String id) {
        return lifecycle.console(id);
    }

    public Page<MicroVmRecord> list(String tenantId, String state, String label, int limit, String cursor) {
        return records.list(tenantId, state, label, limit, cursor);
    }

    /** One page of the tenant's microVMs of {@code image} (any version when {@code version} is null), in id order. */
    public Page<MicroVmRecord> listOfImage(String tenantId, String image, Integer version, int limit, String cursor) {
        return records.list(tenantId, List.of(), Map.of(), image, version, limit, cursor);
    }

    public MicroVmRecord terminate(String tenantId, String id, String requestId) {
        return lifecycle.terminate(tenantId, id, requestId);
    }

    public MicroVmRecord suspend(String tenantId, String id, String requestId) {
        MicroVmRecord r = get(tenantId, id);
        if ("RUNNING".equals(r.state())) {
            quotas.checkSuspend(tenantId, id);
        }
        return lifecycle.suspend(tenantId, id, requestId);
    }

    public MicroVmRecord resume(String tenantId, String id, String requestId) {
        return lifecycle.resume(tenantId, id, requestId);
    }

    /** {@code count} forks of {@code id}: same image version, labels (plus {@value #FORK_OF_LABEL}), env and idle policy; a fresh lifetime. */
    public List<MicroVmRecord> fork(String tenantId, String id, int count, String requestId) {
        Resources each = resources(get(tenantId, id)); // another tenant's id is a 404 before any quota is looked at
        String hold = quotas.reserve(tenantId, count, each.vcpus(), each.memoryMiB());
        try {
            return ScopedValue.where(TenantQuotas.HOLD, hold).call(() -> forkHeld(tenantId, id, count, requestId));
        } finally {
            quotas.release(hold);
        }
    }

    private List<MicroVmRecord> forkHeld(String tenantId, String id, int count, String requestId) {
        return lifecycle.fork(tenantId, id, count, source -> {
            Map<String, String> labels = new LinkedHashMap<>(source.labels());
            labels.put(FORK_OF_LABEL, source.id());
            Hooks hooks = version(source).map(v -> v.settings().hooks()).orElse(Hooks.NONE);
            return new Lifecycle.Launch(tenantId, source.image(), source.version(), null, hooks, source.env(), labels,
                    PolicyJson.read(source.idlePolicy()), clock.instant().plusSeconds(maxDurationSeconds), source.runHookPayload(),
                    source.network());
        }, requestId);
    }

    /** An exec in a RUNNING microVM (auto-resumed when its policy says so) with the run's env under the request's; close the use when it ends. */
    public Exec exec(String tenantId, String id, ExecRequest req, String requestId) throws IOException {
        RunRequest.envViolations("env", req.env()).stream().findFirst().ifPresent(v -> {
            throw new InvalidRequestException(v.field(), v.detail());
        });
        MicroVmRecord r;
        Lifecycle.Use use;
        try (Spans.Step step = Spans.time("microvm-lookup")) {
            r = get(tenantId, id);
            use = lifecycle.use(tenantId, id, requestId);
        }
        try (Spans.Step step = Spans.time("agent-exec")) {
            Map<String, String> env = new LinkedHashMap<>(r.env());
            env.putAll(req.env());
            return new Exec(use.vm().agent().exec(req.withEnv(env)), use);
        } catch (IllegalArgumentException tooLarge) {
            use.close();
            // one EXEC frame carries the command line; the engine refused one larger than that
            throw new InvalidRequestException("cmd", "cmd, env (the microVM's included), cwd and user are too large for one exec: "
                    + tooLarge.getMessage() + "; pass large data on stdin instead");
        } catch (IOException | RuntimeException e) {
            use.close();
            throw e;
        }
    }

    /** Short data-plane activity on a microVM (PTY traffic, a file operation): resets its idle clock. */
    public void touch(String id) {
        lifecycle.touch(id);
    }

    /** A started exec and the microVM use it holds (activity until closed). */
    public record Exec(ExecSession session, Lifecycle.Use use) implements AutoCloseable {
        @Override
        public void close() {
            use.close();
        }
    }

    /** After a restart: every non-terminal record resolved to a true state (see {@link Lifecycle#reconcile}). */
    public void reconcile() {
        lifecycle.reconcile();
    }

    /** The tenant's microVMs that are not TERMINATED or FAILED. */
    public List<MicroVmRecord> open(String tenantId) {
        return records.listNonTerminal().stream().filter(r -> r.tenantId().equals(tenantId)).toList();
    }

    /** The tenant's microVMs that are not terminal and run this image (any version when {@code version} is null). */
    public List<MicroVmRecord> using(String tenantId, String image, Integer version) {
        return records.listNonTerminal().stream()
                .filter(r -> r.tenantId().equals(tenantId) && r.image().equals(image) && (version == null || r.version() == version))
                .toList();
    }

    /** The resources a microVM runs with: its image version's. */
    public Resources resources(MicroVmRecord r) {
        return version(r).map(v -> v.settings().resources()).orElse(Resources.DEFAULT);
    }

    /** How a microVM found after a restart runs: its image version's machine and hooks. */
    public Lifecycle.Settings settingsOf(MicroVmRecord r) {
        return version(r).map(v -> new Lifecycle.Settings(new MachineSpec(v.settings().resources().vcpus(), v.settings().resources().memoryMiB()),
                        v.settings().hooks()))
                .orElse(new Lifecycle.Settings(MachineSpec.DEFAULT, Hooks.NONE));
    }

    /** The guest ports the ingress endpoint knows for a microVM: its version's ingressPort, and the hooks port it never forwards to. */
    public record IngressPorts(int defaultPort, OptionalInt hooksPort) {
        /** SPEC §1: a version's ingressPort defaults to 8080. */
        public static final int DEFAULT_INGRESS_PORT = 8080;
    }

    public IngressPorts ingressPorts(MicroVmRecord r) {
        Optional<BuildSettings> s = version(r).map(ImageVersion::settings);
        int port = s.map(BuildSettings::ingressPort).orElse(null) instanceof Integer p ? p : IngressPorts.DEFAULT_INGRESS_PORT;
        Hooks hooks = s.map(BuildSettings::hooks).orElse(null);
        return new IngressPorts(port, hooks == null || !hooks.anyEnabled() ? OptionalInt.empty() : OptionalInt.of(hooks.port()));
    }

    private Optional<ImageVersion> version(MicroVmRecord r) {
        return images.apply(r.tenantId(), r.image()).flatMap(s -> s.version(r.image(), r.version()));
    }

    /** Stops the timers; the VMMs keep running and are adopted at the next start (SPEC §4 `burrow down`). */
    @Override
    public void close() {
        lifecycle.close();
    }
}
