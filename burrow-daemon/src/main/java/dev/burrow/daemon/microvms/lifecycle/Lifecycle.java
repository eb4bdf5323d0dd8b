package dev.burrow.daemon.microvms.lifecycle;

import dev.burrow.daemon.images.Hooks;
import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.EngineFailure;
import dev.burrow.daemon.microvms.NotFoundException;
import dev.burrow.daemon.microvms.RetryableException;
import dev.burrow.daemon.microvms.lifecycle.Supervisor.Cause;
import dev.burrow.daemon.microvms.lifecycle.Supervisor.Input;
import dev.burrow.daemon.store.EventLog;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.store.MicroVmRecords;
import dev.burrow.daemon.trace.Spans;
import dev.burrow.vmm.CrashPoints;
import dev.burrow.vmm.ConsoleRing;
import dev.burrow.vmm.Hypervisor;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.StartPath;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.net.NetworkSpec;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The microVM lifecycle's one home: a {@link Supervisor} per live microVM, the timers (lifetime,
 * idle, suspendedSeconds, memory-tier demotion) as {@link #runOnce(Instant)} over an injected
 * clock, guest CPU sampling, and restart reconciliation. Work on one microVM never waits on
 * another's: each supervisor has its own permit.
 */
public final class Lifecycle implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

    /** What a run needs: the template to restore and how the microVM lives. */
    public record Launch(String tenantId, String image, int version, Template template, Hooks hooks, Map<String, String> env,
                         Map<String, String> labels, IdlePolicy idlePolicy, Instant expiresAt, String runHookPayload,
                         String network) {}

    /** How a microVM found after a restart runs: the image version's machine and hooks. */
    public record Settings(MachineSpec machine, Hooks hooks) {}

    /** A data-plane call's hold on a running microVM: close it when the call ends (it is activity until then). */
    public record Use(MicroVm vm, AutoCloseable end) implements AutoCloseable {
        @Override
        public void close() {
            try {
                end.close();
            } catch (Exception e) {
                LOG.debug("ending a use: {}", e.toString());
            }
        }
    }

    /** Hears how each run went: how the microVM came to run and how long the run took (the call to RUNNING), or that it failed. */
    public interface RunListener {
        void started(StartPath path, long nanos);

        void failed(long nanos);
    }

    private static final RunListener NO_LISTENER = new RunListener() {
        @Override public void started(StartPath path, long nanos) { }
        @Override public void failed(long nanos) { }
    };

    private final Hypervisor engine;
    private final MicroVmRecords records;
    private final EventLog events;
    private final HookRunner hooks;
    private final CpuProbe cpu;
    private final Clock clock;
    private final LifecycleSettings settings;
    private final Function<MicroVmRecord, Settings> settingsOf;
    private final LongSupplier availableMiB;
    private final Map<String, Supervisor> supervisors = new ConcurrentHashMap<>();
    /** Timer actions in flight, by microVM id: a slow suspend is not started twice. */
    private final Set<String> acting = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timers = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().name("lifecycle-timers").daemon().factory());
    private volatile boolean closing;
    private volatile Networking networking = Networking.NONE;
    private volatile RunListener runs = NO_LISTENER;
    /** Ids for microVMs with a network (the engine's warm pool serves NONE only, so the daemon names them). */
    private volatile Supplier<String> vmIds = () -> {
        throw new IllegalStateException("no microVM ids without networking");
    };

    public Lifecycle(Hypervisor engine, MicroVmRecords records, EventLog events, HookRunner hooks, CpuProbe cpu, Clock clock,
                     LifecycleSettings settings, Function<MicroVmRecord, Settings> settingsOf, LongSupplier availableMiB) {
        this.engine = engine;
        this.records = records;
        this.events = events;
        this.hooks = hooks;
        this.cpu = cpu;
        this.clock = clock;
        this.settings = settings;
        this.settingsOf = settingsOf;
        this.availableMiB = availableMiB;
    }

    /** Gives microVMs with a {@code network} their egress services; {@code vmIds} names them (call before {@link #reconcileAsync}). */
    public void networking(Networking n, Supplier<String> newVmId) {
        this.networking = n;
        this.vmIds = newVmId;
    }

    /** Tells {@code l} about every run (not forks): its start path and latency (the metrics of GET /metrics). */
    public void onRun(RunListener l) {
        this.runs = l;
    }

    /** Starts the one-second timer and CPU sampling (tests call {@link #runOnce} and {@link #sampleOnce} themselves). */
    public void startTimers() {
        timers.scheduleWithFixedDelay(() -> {
            try {
                sampleOnce(clock.instant());
                tick(clock.instant());
            } catch (RuntimeException e) {
                LOG.warn("lifecycle timers: {}", e.toString());
            }
        }, 1, 1, TimeUnit.SECONDS);
    }

    // ---- run -------------------------------------------------------------------------------

    /**
     * Restores a new microVM: PENDING is recorded once the engine has chosen its id, RUNNING
     * once the guest answers (then the run hook). {@code started} hears the PENDING record, which
     * is then synced to disk first (the caller answers with it); null when nobody hears it, and
     * PENDING is committed unsynced: the RUNNING commit syncs both, and a power loss before it
     * takes the VMM with the row (restart reconciliation reaps a VMM no row owns).
     */
    public MicroVmRecord run(Launch l, String requestId, Consumer<MicroVmRecord> started) {
        long t0 = System.nanoTime();
        boolean ok = false;
        Supervisor[] created = new Supervisor[1];
        try {
            MicroVmRecord r = start(l, requestId, started, created);
            ok = true;
            return r;
        } finally {
            StartPath path = created[0] == null ? null : created[0].startPath;
            if (ok && path != null) {
                runs.started(path, System.nanoTime() - t0);
            } else {
                runs.failed(System.nanoTime() - t0);
            }
        }
    }

    /**
     * How the microVM {@code id} came to run (a standby claimed, a warm VMM, a restore from
     * nothing), while it has a supervisor; empty for one unknown here or found after a restart.
     */
    public Optional<StartPath> startPath(String id) {
        Supervisor s = supervisors.get(id);
        return s == null ? Optional.empty() : Optional.ofNullable(s.startPath);
    }

    private MicroVmRecord start(Launch l, String requestId, Consumer<MicroVmRecord> started, Supervisor[] created) {
        MicroVm vm;
        try {
            NetworkSpec net = networking.spec(l.network());
            if (net.mode() == NetworkSpec.Mode.NONE) {
                vm = engine.restore(l.template(), vmId -> pending(vmId, l, requestId, started, created));
            } else {
                String vmId = vmIds.get();
                vm = engine.restore(l.template(), vmId, pending(vmId, l, requestId, started, created), net);
            }
        } catch (VmmException e) {
            if (created[0] != null) {
                try {
                    created[0].failedToStart("the microVM could not be started: " + e.getMessage(), requestId);
                } finally {
                    forget(created[0]);
                    created[0].release();
                }
            }
            throw EngineFailure.of("starting a microVM of " + l.image() + ":" + l.version(), e);
        }
        Supervisor s = created[0];
        s.startPath = vm.startPath();
        try {
            s.started(vm, Supervisor.payload(l.runHookPayload()), requestId);
            return get(l.tenantId(), s.id); // as this call left it, before a waiting call changes it
        } finally {
            letGo(s);
        }
    }

    /** Records the PENDING microVM once its id is known, with its supervisor holding the permit; its identity. */
    private Identity pending(String vmId, Launch l, String requestId, Consumer<MicroVmRecord> started, Supervisor[] created) {
        Supervisor s = supervisor(vmId, l.tenantId(), MicroVmState.PENDING, l.template().machine(), l.hooks(),
                l.idlePolicy(), l.expiresAt(), l.network());
        s.acquire();
        created[0] = s;
        supervisors.put(vmId, s);
        Instant now = clock.instant();
        MicroVmRecord r = new MicroVmRecord(vmId, l.tenantId(), l.image(), l.version(), MicroVmState.PENDING.name(), null,
                now, now, l.expiresAt(), l.labels(), l.env(), l.network(), null, null, null,
                PolicyJson.write(l.idlePolicy())).withRunHookPayload(l.runHookPayload());
        try (Spans.Step step = Spans.time("record-pending")) {
            records.insert(r, requestId, started != null);
        }
        if (started != null) {
            started.accept(r);
        }
        CrashPoints.reach("run.recorded");
        return Identity.of(vmId);
    }

    // ---- API inputs --------------------------------------------------------------------------

    public MicroVmRecord suspend(String tenantId, String id, String requestId) {
        return apply(tenantId, id, new Input.Suspend(Cause.REQUEST), requestId);
    }

    public MicroVmRecord resume(String tenantId, String id, String requestId) {
        return apply(tenantId, id, new Input.Resume(Cause.REQUEST), requestId);
    }

    public MicroVmRecord terminate(String tenantId, String id, String requestId) {
        return apply(tenantId, id, new Input.Terminate(Cause.REQUEST), requestId);
    }

    /** The running VMM for exec (and later PTY, files, ingress), auto-resuming when the policy says so. */
    public Use use(String tenantId, String id, String requestId) {
        Supervisor s = live(tenantId, id);
        s.acquire();
        MicroVm vm;
        try {
            vm = s.forDataPlane(requestId);
        } finally {
            s.release();
        }
        return new Use(vm, () -> s.activity.ended(clock.instant()));
    }

    /** Where the engine keeps the microVM's console output; reading it is no activity and resumes nothing. */
    public Optional<ConsoleRing> console(String id) {
        return engine.console(id);
    }

    /** A short data-plane activity (a proxied request, a file operation): resets the idle clock. */
    public void touch(String id) {
        Supervisor s = supervisors.get(id);
        if (s != null) {
            s.activity.touch(clock.instant());
        }
    }

    /**
     * {@code count} new microVMs from {@code id}'s current state, all or nothing: every fork is
     * RUNNING when this returns, or none exists. The source keeps running (or stays suspended).
     */
    public List<MicroVmRecord> fork(String tenantId, String id, int count, Function<MicroVmRecord, Launch> launchOf, String requestId) {
        Supervisor source = live(tenantId, id);
        MicroVmRecord sourceRecord = get(tenantId, id);
        Launch base = launchOf.apply(sourceRecord);
        List<MicroVmRecord> forks = new ArrayList<>();
        source.acquire();
        try {
            Template from = source.forkSource(requestId);
            try {
                for (int i = 0; i < count; i++) {
                    forks.add(start(new Launch(base.tenantId(), base.image(), base.version(), from, base.hooks(), base.env(), base.labels(),
                            base.idlePolicy(), base.expiresAt(), base.runHookPayload(), base.network()), requestId, null, new Supervisor[1]));
                }
            } catch (RuntimeException e) {
                for (MicroVmRecord f : forks) {
                    try {
                        terminate(tenantId, f.id(), requestId);
                    } catch (RuntimeException again) {
                        LOG.warn("undoing fork {}: {}", f.id(), again.getMessage());
                    }
                }
                throw e;
            } finally {
                source.afterFork(requestId);
            }
        } finally {
            letGo(source);
        }
        return forks.stream().map(f -> get(tenantId, f.id())).toList();
    }

    public MicroVmRecord get(String tenantId, String id) {
        Supervisor s = supervisors.get(id);
        if (s != null && !s.settled && s.tenantId.equals(tenantId)) {
            s.acquire(); // being reconciled after a restart: answer with the state it resolves to
            s.release();
        }
        return records.get(tenantId, id).orElseThrow(() -> new NotFoundException("no microVM " + id));
    }

    // ---- timers ------------------------------------------------------------------------------

    /** What the timers decided for one microVM at one instant. */
    public record Due(String id, String what) {}

    /**
     * Applies every timer rule at {@code now}, one microVM after another, and returns what it
     * did. Busy microVMs are skipped (looked at again next time).
     */
    public List<Due> runOnce(Instant now) {
        List<Due> done = new ArrayList<>();
        for (Map.Entry<Supervisor, Input> e : due(now).entrySet()) {
            Supervisor s = e.getKey();
            if (s.tryAcquire()) {
                try {
                    s.apply(e.getValue(), null);
                    done.add(new Due(s.id, describe(e.getValue())));
                } catch (RuntimeException ex) {
                    LOG.warn("{}: {} failed: {}", s.id, describe(e.getValue()), ex.getMessage());
                } finally {
                    letGo(s);
                }
            }
        }
        return done;
    }

    /** The production tick: like {@link #runOnce} but each action on its own thread. */
    private void tick(Instant now) {
        for (Map.Entry<Supervisor, Input> e : due(now).entrySet()) {
            Supervisor s = e.getKey();
            if (closing || !acting.add(s.id)) {
                continue;
            }
            Thread.ofVirtual().name("lifecycle-" + s.id).start(() -> {
                try {
                    if (s.tryAcquire()) {
                        try {
                            LOG.info("{}: {}", s.id, describe(e.getValue()));
                            s.apply(e.getValue(), null);
                        } finally {
                            letGo(s);
                        }
                    }
                } catch (RuntimeException ex) {
                    LOG.warn("{}: {} failed: {}", s.id, describe(e.getValue()), ex.getMessage());
                } finally {
                    acting.remove(s.id);
                }
            });
        }
    }

    private Map<Supervisor, Input> due(Instant now) {
        Map<Supervisor, Input> out = new LinkedHashMap<>();
        List<Supervisor> memoryTier = new ArrayList<>();
        for (Supervisor s : supervisors.values()) {
            MicroVmState st = s.state();
            if (st.terminal()) {
                continue;
            }
            if (s.expiresAt != null && !s.expiresAt.isAfter(now)) {
                out.put(s, new Input.Terminate(Cause.EXPIRED));
            } else if (st == MicroVmState.RUNNING && s.policy != null && s.activity.idle(now, s.policy.maxIdle())) {
                out.put(s, new Input.Suspend(Cause.IDLE));
            } else if (st == MicroVmState.SUSPENDED && s.suspendedAt() != null && s.policy != null
                    && s.policy.suspendedSeconds() != null && s.policy.suspendedSeconds() > 0
                    && !s.suspendedAt().plusSeconds(s.policy.suspendedSeconds()).isAfter(now)) {
                out.put(s, new Input.Terminate(Cause.SUSPENDED_TIMEOUT));
            } else if (st == MicroVmState.SUSPENDED && s.kept()) {
                if (s.suspendedAt() != null && !s.suspendedAt().plus(settings.memoryTierSeconds()).isAfter(now)) {
                    out.put(s, new Input.Demote("kept " + settings.memoryTierSeconds().toSeconds() + " s in the memory tier"));
                } else {
                    memoryTier.add(s);
                }
            }
        }
        if (!memoryTier.isEmpty() && availableMiB.getAsLong() < settings.minAvailableMiB()) {
            // host memory pressure: the oldest kept VMM goes first, one per tick
            memoryTier.stream().min(Comparator.comparing(Supervisor::suspendedAt))
                    .ifPresent(s -> out.put(s, new Input.Demote("host memory pressure (MemAvailable below "
                            + settings.minAvailableMiB() + " MiB)")));
        }
        return out;
    }

    /** One guest CPU sample of every RUNNING microVM with an idle policy, all at once (each waits for its own agent only). */
    public void sampleOnce(Instant now) {
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Supervisor s : supervisors.values()) {
                MicroVm vm = s.policy == null ? null : s.runningVm();
                if (vm != null) {
                    pool.submit(() -> cpu.sample(vm).ifPresent(busy -> s.activity.cpu(now, busy)));
                }
            }
        }
    }

    private static String describe(Input i) {
        return switch (i) {
            case Input.Suspend s -> "suspend (" + s.cause().reason + ")";
            case Input.Resume r -> "resume (" + r.cause().reason + ")";
            case Input.Terminate t -> "terminate (" + t.cause().reason + ")";
            case Input.AgentClosed a -> "agent closed";
            case Input.Demote d -> "demote to the disk tier (" + d.reason() + ")";
        };
    }

    // ---- restart -----------------------------------------------------------------------------

    /** {@link #reconcileAsync()} and wait for it. */
    public void reconcile() {
        reconcileAsync().join();
    }

    /**
     * After a restart: every non-terminal record gets its supervisor before this returns (API
     * calls on it then wait for its reconciliation; calls on others go ahead), and each is
     * resolved to a true state in the background, several at a time; VMMs no record owns are
     * reaped. The future completes when all are done.
     */
    public CompletableFuture<Void> reconcileAsync() {
        List<MicroVmRecord> open = records.listNonTerminal();
        Set<String> owned = new HashSet<>();
        List<Map.Entry<Supervisor, MicroVmRecord>> work = new ArrayList<>();
        for (MicroVmRecord r : open) {
            owned.add(r.id());
            Settings st = settingsOf.apply(r);
            Supervisor s = supervisor(r.id(), r.tenantId(), MicroVmState.valueOf(r.state()), st.machine(), st.hooks(),
                    PolicyJson.read(r.idlePolicy()), r.expiresAt(), r.network());
            s.settled = false;
            s.acquire();
            supervisors.put(r.id(), s);
            work.add(Map.entry(s, r));
        }
        return CompletableFuture.runAsync(() -> resolve(work, owned), r -> Thread.ofVirtual().name("reconcile").start(r));
    }

    private void resolve(List<Map.Entry<Supervisor, MicroVmRecord>> work, Set<String> owned) {
        long t0 = System.nanoTime();
        Semaphore parallel = new Semaphore(Math.max(1, settings.reconcileThreads()));
        try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
            for (Map.Entry<Supervisor, MicroVmRecord> w : work) {
                pool.submit(() -> {
                    Supervisor s = w.getKey();
                    MicroVmRecord r = w.getValue();
                    try {
                        parallel.acquire();
                        try {
                            s.reconcile(r.savedId(), r.suspendedAt() != null ? r.suspendedAt() : r.updatedAt());
                        } finally {
                            parallel.release();
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } catch (RuntimeException e) {
                        LOG.error("reconciling {}: {}", r.id(), e.getMessage(), e);
                    } finally {
                        s.settled = true;
                        letGo(s);
                    }
                });
            }
            for (String vmm : engine.liveVmms()) {
                if (!owned.contains(vmm)) {
                    LOG.warn("reaping VMM {} that no microVM record owns", vmm);
                    try {
                        engine.reap(vmm);
                    } catch (VmmException e) {
                        LOG.warn("reaping {}: {}", vmm, e.getMessage());
                    }
                }
            }
        }
        if (!work.isEmpty()) {
            LOG.info("reconciled {} microVMs in {} ms", work.size(), (System.nanoTime() - t0) / 1_000_000);
        }
    }

    // ---- helpers -----------------------------------------------------------------------------

    private MicroVmRecord apply(String tenantId, String id, Input input, String requestId) {
        Supervisor s = supervisors.get(id);
        if (s == null || !s.tenantId.equals(tenantId)) {
            MicroVmRecord r = get(tenantId, id);
            MicroVmState st = MicroVmState.valueOf(r.state());
            if (st.terminal()) {
                if (input instanceof Input.Terminate && st == MicroVmState.FAILED) {
                    reclaimFailed(id);
                } else if (!(input instanceof Input.Terminate)) {
                    throw new ConflictException("microVM " + id + " is " + st);
                }
                return r;
            }
            throw new RetryableException("microVM " + id + " is being set up; retry shortly", 1);
        }
        s.acquire();
        try {
            s.apply(input, requestId);
            return get(tenantId, id);
        } finally {
            letGo(s);
        }
    }

    /** A FAILED microVM's leftovers (a DELETE of it reclaims them; it stays FAILED). */
    private void reclaimFailed(String id) {
        try {
            engine.reap(id);
        } catch (VmmException e) {
            LOG.warn("{}: reaping: {}", id, e.getMessage());
        }
        engine.discardSaved(id, null);
    }

    private Supervisor live(String tenantId, String id) {
        Supervisor s = supervisors.get(id);
        if (s == null || !s.tenantId.equals(tenantId)) {
            MicroVmRecord r = get(tenantId, id);
            throw new ConflictException("microVM " + id + " is " + r.state());
        }
        return s;
    }

    private Supervisor supervisor(String id, String tenantId, MicroVmState state, MachineSpec machine, Hooks hookSettings,
                                  IdlePolicy policy, Instant expiresAt, String network) {
        return new Supervisor(id, tenantId, state, new Supervisor.Config(engine, records, events, hooks, clock, settings,
                machine, hookSettings, policy, expiresAt, networking, network));
    }

    /** Lets go of a permit taken on {@code s}; a microVM that reached a terminal state leaves the registry first. */
    private void letGo(Supervisor s) {
        forgetIfTerminal(s);
        s.release();
    }

    private void forgetIfTerminal(Supervisor s) {
        if (s.state().terminal()) {
            forget(s);
        }
    }

    private void forget(Supervisor s) {
        supervisors.remove(s.id, s);
    }

    /** For tests: the input a fake engine's dying VMM would deliver. */
    void deliver(String id, Input input) {
        Supervisor s = supervisors.get(id);
        if (s != null) {
            s.acquire();
            try {
                s.apply(input, null);
            } finally {
                letGo(s);
            }
        }
    }

    /** How many microVMs have a supervisor (non-terminal ones). */
    public int supervised() {
        return supervisors.size();
    }

    /** Stops the timers; VMMs keep running and are adopted at the next start (SPEC §4 `burrow down`). */
    @Override
    public void close() {
        closing = true;
        timers.shutdownNow();
        for (Supervisor s : supervisors.values()) {
            s.detach();
        }
    }
}
