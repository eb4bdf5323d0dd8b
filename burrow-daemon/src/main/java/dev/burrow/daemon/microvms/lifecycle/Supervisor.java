package dev.burrow.daemon.microvms.lifecycle;

import dev.burrow.daemon.images.Hook;
import dev.burrow.daemon.images.Hooks;
import dev.burrow.daemon.microvms.ConflictException;
import dev.burrow.daemon.microvms.EngineFailure;
import dev.burrow.daemon.microvms.HookFailedException;
import dev.burrow.daemon.microvms.RetryableException;
import dev.burrow.daemon.store.EventLog;
import dev.burrow.daemon.store.MicroVmRecords;
import dev.burrow.daemon.store.MicroVmRecords.Suspension;
import dev.burrow.vmm.CrashPoints;
import dev.burrow.vmm.Hypervisor;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.StartPath;
import dev.burrow.vmm.SuspendMode;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.TemplateMismatchException;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.AgentEvents;
import dev.burrow.vmm.agent.Identity;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The one owner of one microVM: its typed state, its live VMM handle (running, or kept stopped
 * in the memory tier), its saved state and its activity. Every input — an API call, a timer, the
 * agent-closed callback, restart reconciliation — is an {@link Input} applied while holding this
 * microVM's permit, so inputs for one microVM are serial and never wait on another microVM.
 * Each state change goes through {@link #move}: checked against {@link MicroVmState}'s table,
 * persisted (with its event) before anything is acknowledged.
 */
final class Supervisor {

    private static final Logger LOG = LoggerFactory.getLogger(Supervisor.class);
    static final String HOOK_EVENT_KIND = "microvm-hook";

    /** Why a suspend, resume or terminate happens: its reason text and how it is recorded. */
    enum Cause {
        REQUEST("by request"),
        IDLE("idle for maxIdleSeconds"),
        AUTO("a data-plane call with autoResume"),
        EXPIRED("maxDurationSeconds reached"),
        SUSPENDED_TIMEOUT("suspendedSeconds elapsed"),
        HOOK_FAILED("a lifecycle hook failed"),
        RECONCILE("burrowd restarted");

        final String reason;

        Cause(String reason) {
            this.reason = reason;
        }
    }

    /** Everything that can happen to a microVM. */
    sealed interface Input {
        record Suspend(Cause cause) implements Input {}
        record Resume(Cause cause) implements Input {}
        record Terminate(Cause cause) implements Input {}
        /** The agent channel of {@code vm} closed (its VMM died or the guest broke the protocol). */
        record AgentClosed(MicroVm vm, String reason, boolean violation) implements Input {}
        /** Drop the kept VMM of a memory-tier microVM (delay passed, or host memory pressure). */
        record Demote(String reason) implements Input {}
    }

    final String id;
    final String tenantId;
    private final Hypervisor engine;
    private final MicroVmRecords records;
    private final EventLog events;
    private final HookRunner hooks;
    private final Clock clock;
    private final LifecycleSettings settings;
    private final Semaphore permit = new Semaphore(1, true);
    final Activity activity;
    final MachineSpec machine;
    final Hooks hookSettings;
    final IdlePolicy policy;
    final Instant expiresAt;
    private final Networking networking;
    /** The stored {@code network} JSON it runs with (its egress services follow every restore). */
    private final String network;

    // written only while holding the permit; volatile so timers can look without it
    private volatile MicroVmState state;
    private volatile MicroVm vm;
    /** How the run started this microVM (null for one adopted after a restart). */
    volatile StartPath startPath;
    private volatile boolean kept;
    private volatile String savedId;
    private volatile Instant suspendedAt;
    private volatile boolean detached;
    /** False from a restart until reconciliation resolved this microVM: reads wait for it (a recorded transitional state is not the truth). */
    volatile boolean settled = true;

    Supervisor(String id, String tenantId, MicroVmState state, Config c) {
        this.id = id;
        this.tenantId = tenantId;
        this.state = state;
        this.engine = c.engine();
        this.records = c.records();
        this.events = c.events();
        this.hooks = c.hooks();
        this.clock = c.clock();
        this.settings = c.settings();
        this.machine = c.machine();
        this.hookSettings = c.hookSettings() == null ? Hooks.NONE : c.hookSettings();
        this.policy = c.policy();
        this.expiresAt = c.expiresAt();
        this.networking = c.networking() == null ? Networking.NONE : c.networking();
        this.network = c.network();
        this.activity = new Activity(clock.instant(), settings.cpuBusyFraction(), settings.cpuWindow());
    }

    /** What every supervisor shares, and what this one's microVM was run with. */
    record Config(Hypervisor engine, MicroVmRecords records, EventLog events, HookRunner hooks, Clock clock,
                  LifecycleSettings settings, MachineSpec machine, Hooks hookSettings, IdlePolicy policy, Instant expiresAt,
                  Networking networking, String network) {}

    MicroVmState state() {
        return state;
    }

    boolean kept() {
        return kept;
    }

    Instant suspendedAt() {
        return suspendedAt;
    }

    /** The running VMM (null unless RUNNING), for sampling. */
    MicroVm runningVm() {
        return state == MicroVmState.RUNNING ? vm : null;
    }

    /** burrowd is stopping: let go of the agent channel; the VMM runs on and is adopted at the next start. */
    void detach() {
        detached = true;
        MicroVm v = vm;
        if (v != null) {
            v.detach();
        }
    }

    // ---- the permit ----------------------------------------------------------------------

    /** Takes the permit, waiting at most the configured time: a caller never waits forever behind a slow save. */
    void acquire() {
        try {
            if (!permit.tryAcquire(settings.busyWait().toMillis(), TimeUnit.MILLISECONDS)) {
                throw new RetryableException("microVM " + id + " is busy with another operation (a suspend or resume of a large guest); "
                        + "retry shortly", 5);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new RetryableException("interrupted while waiting for microVM " + id, 1);
        }
    }

    /** The permit if nobody holds it (timers skip a busy microVM and look again next tick). */
    boolean tryAcquire() {
        return permit.tryAcquire();
    }

    void release() {
        permit.release();
    }

    /** Applies one input; the caller holds the permit. */
    void apply(Input input, String requestId) {
        switch (input) {
            case Input.Suspend s -> suspend(s.cause(), requestId);
            case Input.Resume r -> resume(r.cause(), requestId);
            case Input.Terminate t -> terminate(t.cause(), requestId);
            case Input.AgentClosed a -> agentClosed(a);
            case Input.Demote d -> demote(d.reason());
        }
    }

    // ---- run -----------------------------------------------------------------------------

    /** PENDING → RUNNING once the engine restored the guest; then the run hook (a failure terminates). */
    void started(MicroVm running, byte[] runHookPayload, String requestId) {
        vm = running;
        watch(running);
        openNetwork(requestId);
        CrashPoints.reach("run.restored");
        move(MicroVmState.RUNNING, null, requestId, Suspension.UNCHANGED);
        activity.restart(clock.instant());
        requireHook("run", hookSettings.run(), runHookPayload, requestId);
    }

    /** PENDING → FAILED: the engine could not start it. */
    void failedToStart(String reason, String requestId) {
        move(MicroVmState.FAILED, reason, requestId, Suspension.UNCHANGED);
    }

    // ---- suspend -------------------------------------------------------------------------

    private void suspend(Cause cause, String requestId) {
        switch (state) {
            case SUSPENDED -> {
                return; // already: a suspend is idempotent
            }
            case RUNNING -> { }
            default -> throw new ConflictException("microVM " + id + " is " + state + "; only a RUNNING microVM can be suspended");
        }
        if (cause == Cause.IDLE && policy != null && policy.terminatesWhenIdle()) {
            terminate(cause, requestId);
            return;
        }
        move(MicroVmState.SUSPENDING, "suspended " + cause.reason, requestId, Suspension.UNCHANGED);
        CrashPoints.reach("suspend.suspending");
        optionalHook("suspend", hookSettings.suspend(), new byte[0], requestId);
        MicroVm running = vm;
        Template saved;
        try {
            // the VMM is kept until the save is committed: a crash before the commit finds it alive
            // and lets it run on; one after finds the committed save
            saved = engine.suspend(running, SuspendMode.KEEP_VMM);
        } catch (VmmException e) {
            if (running.isAlive()) {
                move(MicroVmState.RUNNING, "suspend failed, still running: " + e.getMessage(), requestId, Suspension.UNCHANGED);
                throw EngineFailure.of("suspending " + id, e);
            }
            lose("its VMM ended during a suspend: " + e.getMessage(), requestId);
            throw EngineFailure.of("suspending " + id, e);
        }
        CrashPoints.reach("suspend.saved");
        long bytes = savedBytes(saved);
        kept = settings.memoryTier();
        savedId = saved.id();
        suspendedAt = clock.instant();
        move(MicroVmState.SUSPENDED, null, requestId, Suspension.saved(saved.id(), kept ? "memory" : "disk", bytes));
        networking.close(id); // the guest is stopped: its egress services wait for the resume
        CrashPoints.reach("suspend.committed");
        if (!kept) {
            vm = null;
            closeQuietly(running); // the disk tier: no process, no RAM
        }
        engine.discardSaved(id, saved.id());
    }

    // ---- resume --------------------------------------------------------------------------

    private void resume(Cause cause, String requestId) {
        switch (state) {
            case RUNNING -> {
                return;
            }
            case SUSPENDED -> { }
            default -> throw new ConflictException("microVM " + id + " is " + state + "; only a SUSPENDED microVM can be resumed");
        }
        move(MicroVmState.RESUMING, "resumed " + cause.reason, requestId, Suspension.UNCHANGED);
        CrashPoints.reach("resume.resuming");
        MicroVm running = null;
        MicroVm keptVm = kept ? vm : null;
        if (kept && vm != null) {
            try {
                running = engine.resumeKept(vm, Identity.of(id));
            } catch (VmmException e) {
                LOG.warn("{}: its kept VMM did not resume ({}); restoring from the saved state", id, e.getMessage());
                dropKept();
            }
        }
        if (running == null) {
            Optional<Template> saved = engine.saved(id, savedId);
            if (saved.isEmpty()) {
                lose("its saved state " + savedId + " is gone", requestId);
                throw new EngineFailure(EngineFailure.Kind.IO, "resuming " + id + " failed: its saved state is gone; the microVM is FAILED", null);
            }
            try {
                running = engine.restore(saved.get(), id, Identity.of(id), networking.spec(network));
            } catch (TemplateMismatchException e) {
                move(MicroVmState.SUSPENDED, "cannot resume on this host: " + e.getMessage(), requestId, Suspension.UNCHANGED);
                throw EngineFailure.of("resuming " + id, e);
            } catch (VmmException e) {
                reapQuietly();
                move(MicroVmState.SUSPENDED, "resume failed, still suspended: " + e.getMessage(), requestId, Suspension.UNCHANGED);
                throw EngineFailure.of("resuming " + id, e);
            }
        }
        CrashPoints.reach("resume.restored");
        vm = running;
        kept = false;
        savedId = null;
        suspendedAt = null;
        if (running != keptVm) {
            watch(running);
        }
        openNetwork(requestId);
        move(MicroVmState.RUNNING, null, requestId, Suspension.CLEARED);
        CrashPoints.reach("resume.running");
        activity.restart(clock.instant());
        engine.discardSaved(id, null);
        requireHook("resume", hookSettings.resume(), new byte[0], requestId);
    }

    // ---- terminate -----------------------------------------------------------------------

    private void terminate(Cause cause, String requestId) {
        switch (state) {
            case TERMINATED -> {
                return;
            }
            case FAILED -> {
                reclaim(); // a FAILED microVM's files go with the DELETE; it stays FAILED
                return;
            }
            case RUNNING -> optionalHook("terminate", hookSettings.terminate(), new byte[0], requestId);
            default -> { }
        }
        move(MicroVmState.TERMINATING, "terminated " + cause.reason, requestId, Suspension.UNCHANGED);
        CrashPoints.reach("terminate.terminating");
        reclaim();
        CrashPoints.reach("terminate.reclaimed");
        move(MicroVmState.TERMINATED, null, requestId, Suspension.CLEARED);
    }

    /** Ends the VMM (if any) and removes every file of this microVM, saved states included. */
    private void reclaim() {
        MicroVm v = vm;
        vm = null;
        kept = false;
        savedId = null;
        if (v != null) {
            closeQuietly(v);
        }
        networking.forget(id);
        reapQuietly();
        engine.discardSaved(id, null);
    }

    // ---- what the engine and the guest report ----------------------------------------------

    private void agentClosed(Input.AgentClosed a) {
        if (detached || a.vm() != vm) {
            return; // an older handle (before a suspend or resume): nothing to do
        }
        if (state == MicroVmState.SUSPENDED && kept) {
            dropKept();
            records.demote(id, "its kept VMM went away: " + a.reason());
            return;
        }
        if (state == MicroVmState.RUNNING) {
            String why = a.violation() ? "the guest broke the agent protocol: " + a.reason() : "the VMM or its agent went away: " + a.reason();
            LOG.warn("{}: {}", id, why);
            lose(why, null);
        }
    }

    private void demote(String reason) {
        if (state != MicroVmState.SUSPENDED || !kept) {
            return;
        }
        dropKept();
        CrashPoints.reach("demote.dropped");
        records.demote(id, reason);
    }

    private void dropKept() {
        MicroVm v = vm;
        vm = null;
        kept = false;
        if (v != null) {
            closeQuietly(v);
        }
    }

    /** The guest is gone for good: FAILED, with its VMM (if any is left) ended and its files reclaimed. */
    private void lose(String reason, String requestId) {
        reclaim();
        move(MicroVmState.FAILED, reason, requestId, Suspension.CLEARED);
    }

    // ---- restart reconciliation ----------------------------------------------------------

    /**
     * Resolves the state found in the record after a restart to a true one (SPEC §1, DESIGN §6):
     * never an older save than the caller was told, never a live guest marked FAILED.
     */
    void reconcile(String recordedSavedId, Instant recordUpdatedAt) {
        savedId = recordedSavedId;
        switch (state) {
            case PENDING -> {
                // its caller was never answered: the half-started guest is not worth keeping
                reapQuietly();
                engine.discardSaved(id, null);
                move(MicroVmState.FAILED, "burrowd restarted while starting it", null, Suspension.CLEARED);
            }
            case RUNNING -> {
                if (adopt()) {
                    engine.discardSaved(id, null); // a fork's save cut short by the restart
                    openNetwork(null);
                } else {
                    lose("its VMM was gone when burrowd restarted", null);
                }
            }
            case SUSPENDING -> {
                // the save was never committed: discard it; a VMM still alive runs on
                engine.discardSaved(id, null);
                if (adopt()) {
                    move(MicroVmState.RUNNING, "burrowd restarted during a suspend; the save was discarded", null, Suspension.CLEARED);
                    openNetwork(null);
                } else {
                    lose("its VMM was gone when burrowd restarted during a suspend", null);
                }
            }
            case SUSPENDED -> {
                // a kept VMM is not adopted: a memory-tier microVM is simply disk-tier now
                reapQuietly();
                if (recordedSavedId == null || engine.saved(id, recordedSavedId).isEmpty()) {
                    lose("its saved state is missing", null);
                } else {
                    engine.discardSaved(id, recordedSavedId);
                    records.demote(id, "burrowd restarted");
                    suspendedAt = recordUpdatedAt;
                }
            }
            case RESUMING -> {
                if (adopt()) {
                    move(MicroVmState.RUNNING, "burrowd restarted during a resume", null, Suspension.CLEARED);
                    engine.discardSaved(id, null);
                    openNetwork(null);
                } else if (recordedSavedId != null && engine.saved(id, recordedSavedId).isPresent()) {
                    reapQuietly();
                    engine.discardSaved(id, recordedSavedId);
                    move(MicroVmState.SUSPENDED, "burrowd restarted during a resume", null, Suspension.UNCHANGED);
                    records.demote(id, "burrowd restarted");
                } else {
                    lose("burrowd restarted during a resume and the saved state is gone", null);
                }
            }
            case TERMINATING -> {
                reclaim();
                move(MicroVmState.TERMINATED, null, null, Suspension.CLEARED);
            }
            case TERMINATED, FAILED -> { }
        }
    }

    /** Re-attaches to a VMM that outlived burrowd; false when it is gone or does not answer. */
    private boolean adopt() {
        try {
            Optional<MicroVm> found = engine.adopt(id, machine, Identity.of(id));
            if (found.isEmpty()) {
                return false;
            }
            vm = found.get();
            watch(vm);
            LOG.info("adopted {} (pid {})", id, vm.pid());
            return true;
        } catch (VmmException e) {
            LOG.warn("{}: could not be adopted after a restart: {}", id, e.getMessage());
            reapQuietly();
            return false;
        }
    }

    // ---- data plane ----------------------------------------------------------------------

    /**
     * The running VMM for a data-plane call, resuming a SUSPENDED microVM first when its idle
     * policy says autoResume; counts the call as started activity (end it with {@link Activity#ended}).
     */
    MicroVm forDataPlane(String requestId) {
        if (state == MicroVmState.SUSPENDED && policy != null && policy.autoResume()) {
            resume(Cause.AUTO, requestId);
        }
        if (state != MicroVmState.RUNNING || vm == null) {
            throw new ConflictException("microVM " + id + " is " + state + "; this call needs RUNNING"
                    + (state == MicroVmState.SUSPENDED ? " — resume it first: POST /v1/microvms/" + id + "/resume"
                    + " (or run it with idlePolicy.autoResume)" : ""));
        }
        activity.started(clock.instant());
        return vm;
    }

    /** The VMM to fork from; the caller holds the permit. */
    MicroVm running() {
        return state == MicroVmState.RUNNING ? vm : null;
    }

    Optional<Template> saved() {
        return state == MicroVmState.SUSPENDED && savedId != null ? engine.saved(id, savedId) : Optional.empty();
    }

    /**
     * A saved state to fork from, the source running on afterwards: a SUSPENDED microVM's own
     * save, or a RUNNING one's kept for a moment (its state never leaves RUNNING). Call
     * {@link #afterFork} once the forks are restored. The caller holds the permit.
     */
    Template forkSource(String requestId) {
        switch (state) {
            case SUSPENDED -> {
                return engine.saved(id, savedId).orElseThrow(() -> new ConflictException(
                        "microVM " + id + " has no saved state to fork from"));
            }
            case RUNNING -> {
                try {
                    Template t = engine.suspend(vm, SuspendMode.KEEP_VMM);
                    CrashPoints.reach("fork.kept");
                    return t;
                } catch (VmmException e) {
                    if (!vm.isAlive()) {
                        lose("its VMM ended while a fork was taken: " + e.getMessage(), requestId);
                    }
                    throw EngineFailure.of("forking " + id, e);
                }
            }
            default -> throw new ConflictException("microVM " + id + " is " + state + "; only a RUNNING or SUSPENDED microVM can be forked");
        }
    }

    /** A RUNNING fork source runs on; a SUSPENDED one is left as it was. */
    void afterFork(String requestId) {
        if (state != MicroVmState.RUNNING) {
            return;
        }
        CrashPoints.reach("fork.restored");
        try {
            MicroVm running = engine.resumeKept(vm, Identity.of(id));
            if (running != vm) {
                vm = running;
                watch(running);
            }
            engine.discardSaved(id, null);
        } catch (VmmException e) {
            lose("its VMM did not run again after a fork: " + e.getMessage(), requestId);
            throw EngineFailure.of("continuing " + id + " after a fork", e);
        }
    }

    // ---- helpers ---------------------------------------------------------------------------

    /**
     * Starts the egress services of a restored (or adopted) guest; when they cannot start the
     * guest would run without its DNS or proxy, so it is lost instead (FAILED, with the reason).
     */
    private void openNetwork(String requestId) {
        try {
            networking.open(id, network);
        } catch (RuntimeException e) {
            LOG.warn("{}: its egress services did not start: {}", id, e.getMessage());
            lose("its egress services could not start: " + e.getMessage(), requestId);
            throw new EngineFailure(EngineFailure.Kind.IO, "starting the egress services of " + id + " failed: " + e.getMessage()
                    + "; the microVM is FAILED", e);
        }
    }

    private void move(MicroVmState to, String reason, String requestId, Suspension s) {
        MicroVmState from = state;
        if (!from.canMoveTo(to)) {
            throw new IllegalStateException("lifecycle bug: " + id + " cannot move " + from + " → " + to);
        }
        if (!records.transition(id, from.name(), to.name(), reason, requestId, s)) {
            throw new IllegalStateException("lifecycle bug: the record of " + id + " is no longer " + from);
        }
        state = to;
    }

    /** A run or resume hook: a failure terminates the microVM and the caller gets 422. */
    private void requireHook(String name, Hook hook, byte[] payload, String requestId) {
        HookRunner.Outcome o = callHook(name, hook, payload, requestId);
        if (o != null && !o.ok()) {
            terminate(Cause.HOOK_FAILED, requestId);
            throw new HookFailedException(name, id, "the " + name + " hook of " + id + " failed (" + o.detail()
                    + "); the microVM was terminated");
        }
    }

    /** A suspend or terminate hook: a failure is an event and the operation proceeds. */
    private void optionalHook(String name, Hook hook, byte[] payload, String requestId) {
        callHook(name, hook, payload, requestId);
    }

    private HookRunner.Outcome callHook(String name, Hook hook, byte[] payload, String requestId) {
        MicroVm v = vm;
        if (hook == null || !hook.enabled() || v == null) {
            return null;
        }
        HookRunner.Outcome o;
        try {
            o = hooks.call(v, hookSettings.port(), name, payload, Duration.ofSeconds(hook.timeoutSeconds()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            o = new HookRunner.Outcome(false, "interrupted");
        } catch (RuntimeException e) {
            o = new HookRunner.Outcome(false, e.getMessage());
        }
        events.append(HOOK_EVENT_KIND, id, name, o.ok() ? "ok" : "failed", o.ok() ? null : o.detail(), requestId, tenantId);
        if (!o.ok()) {
            LOG.warn("{}: the {} hook failed: {}", id, name, o.detail());
        }
        return o;
    }

    private void watch(MicroVm v) {
        AgentEvents listener = new AgentEvents() {
            @Override
            public void closed(String reason, boolean violation) {
                // never on the agent's reader thread: the input waits for whatever holds the permit
                Thread.ofVirtual().name("agent-closed-" + id).start(() -> {
                    if (!detached && permitFor(v)) {
                        try {
                            apply(new Input.AgentClosed(v, reason, violation), null);
                        } catch (RuntimeException e) {
                            LOG.warn("{}: handling the closed agent: {}", id, e.getMessage());
                        } finally {
                            release();
                        }
                    }
                });
            }
        };
        if (v.agent() != null) {
            v.agent().listen(listener);
        }
    }

    private boolean permitFor(MicroVm v) {
        try {
            // a closing daemon or a microVM gone terminal lets the wait lapse
            while (!permit.tryAcquire(1, TimeUnit.SECONDS)) {
                if (state.terminal() || v != vm) {
                    return false;
                }
            }
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static long savedBytes(Template t) {
        try {
            return t.deltaBytes();
        } catch (IOException e) {
            return 0;
        }
    }

    private void reapQuietly() {
        try {
            engine.reap(id);
        } catch (VmmException e) {
            LOG.warn("{}: reaping its VMM: {}", id, e.getMessage());
        }
    }

    private static void closeQuietly(MicroVm v) {
        try {
            v.close();
        } catch (VmmException e) {
            LOG.warn("{}: closing its VMM: {}", v.id(), e.getMessage());
        }
    }

    static byte[] payload(String s) {
        return s == null ? new byte[0] : s.getBytes(StandardCharsets.UTF_8);
    }
}
