package dev.burrow.daemon.microvms;

import dev.burrow.daemon.images.ImageService;
import dev.burrow.daemon.images.ImageVersion;
import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.daemon.images.VersionState;
import dev.burrow.daemon.store.EventLog;
import dev.burrow.daemon.store.MicroVmRecord;
import dev.burrow.daemon.store.MicroVmRecords;
import dev.burrow.daemon.store.Page;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.AgentEvents;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.qemu.QemuHypervisor;
import java.io.IOException;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The only writer of microVM state: every transition is persisted (and an event recorded)
 * before it is acknowledged. Live VMMs are kept by id; a VMM that dies or whose guest breaks
 * the agent protocol turns its microVM FAILED with the reason.
 */
public final class MicroVmService implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(MicroVmService.class);

    private final QemuHypervisor engine;
    private final MicroVmRecords records;
    private final EventLog events;
    /** (tenantId, image name) → the image service that can see it (the tenant's, or the public one). */
    private final BiFunction<String, String, Optional<ImageService>> images;
    private final int maxDurationSeconds;
    private final int minDurationSeconds;
    private final Map<String, MicroVm> live = new ConcurrentHashMap<>();
    private volatile boolean closing;
    private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofVirtual().factory());

    public MicroVmService(QemuHypervisor engine, MicroVmRecords records, EventLog events,
                          BiFunction<String, String, Optional<ImageService>> images, int minDurationSeconds, int maxDurationSeconds) {
        this.engine = engine;
        this.records = records;
        this.events = events;
        this.images = images;
        this.minDurationSeconds = minDurationSeconds;
        this.maxDurationSeconds = maxDurationSeconds;
        reaper.scheduleWithFixedDelay(this::expire, 1, 1, TimeUnit.SECONDS);
    }

    public MicroVmRecord run(String tenantId, RunRequest r, String requestId) {
        ImageService service = images.apply(tenantId, r.image())
                .orElseThrow(() -> new NotFoundException("no image named " + r.image()));
        ImageVersion v = r.version() == null
                ? service.newestRunnable(r.image()).orElseThrow(() -> new ConflictException(
                        "image " + r.image() + " has no READY and ACTIVE version yet; see GET /v1/images/" + r.image() + "/versions"))
                : service.version(r.image(), r.version()).orElseThrow(() -> new NotFoundException("image " + r.image() + " has no version " + r.version()));
        if (v.state() != VersionState.READY) {
            throw new ConflictException(v.ref() + " is " + v.state() + (v.stateReason() == null ? "" : " (" + v.stateReason() + ")") + "; only READY versions run");
        }
        int duration = r.maxDurationSeconds() == null ? maxDurationSeconds : r.maxDurationSeconds();
        if (duration < minDurationSeconds || duration > maxDurationSeconds) {
            throw new InvalidRequestException("maxDurationSeconds", "maxDurationSeconds must be between " + minDurationSeconds
                    + " and " + maxDurationSeconds + "; got " + duration);
        }
        Template template;
        try {
            template = service.template(v);
        } catch (IOException e) {
            throw new IllegalStateException("the template of " + v.ref() + " cannot be read: " + e.getMessage(), e);
        }
        Map<String, String> env = new LinkedHashMap<>(v.settings().env() == null ? Map.of() : v.settings().env());
        env.putAll(r.env());
        Instant now = Instant.now();
        String[] id = new String[1];
        try {
            MicroVm vm = engine.restore(template, vmId -> {
                id[0] = vmId;
                records.insert(new MicroVmRecord(vmId, tenantId, r.image(), v.version(), MicroVmState.PENDING.name(), null,
                        now, now, now.plusSeconds(duration), r.labels(), env, "{\"egress\":\"none\"}", null, null,
                        engine.config().dataDir().resolve("vms").resolve(vmId).toString()));
                events.append("microvm-state", vmId, null, MicroVmState.PENDING.name(), null, requestId, tenantId);
                return Identity.of(vmId);
            });
            watch(vm, tenantId);
            live.put(vm.id(), vm);
            transition(tenantId, vm.id(), MicroVmState.PENDING, MicroVmState.RUNNING, null, requestId);
            return get(tenantId, vm.id());
        } catch (VmmException e) {
            if (id[0] != null) {
                transition(tenantId, id[0], MicroVmState.PENDING, MicroVmState.FAILED, e.getMessage(), requestId);
            }
            throw new IllegalStateException("the microVM could not be started: " + e.getMessage(), e);
        }
    }

    public MicroVmRecord get(String tenantId, String id) {
        return records.get(tenantId, id).orElseThrow(() -> new NotFoundException("no microVM " + id));
    }

    public Page<MicroVmRecord> list(String tenantId, String state, String label, int limit, String cursor) {
        return records.list(tenantId, state, label, limit, cursor);
    }

    /** Terminates from any state; TERMINATED once the VMM and its files are gone. */
    public synchronized MicroVmRecord terminate(String tenantId, String id, String requestId) {
        MicroVmRecord r = get(tenantId, id);
        MicroVmState from = MicroVmState.valueOf(r.state());
        if (from.terminal()) {
            return r;
        }
        transition(tenantId, id, from, MicroVmState.TERMINATING, "terminated by request", requestId);
        MicroVm vm = live.remove(id);
        try {
            if (vm != null) {
                vm.close();
            } else {
                engine.reap(id);
            }
        } catch (VmmException e) {
            LOG.warn("terminating {}: {}", id, e.getMessage());
        }
        dev.burrow.vmm.internal.FileTrees.deleteQuietly(suspendedRoot(id));
        transition(tenantId, id, MicroVmState.TERMINATING, MicroVmState.TERMINATED, null, requestId);
        return get(tenantId, id);
    }

    /**
     * Saves a RUNNING microVM's memory (what it dirtied), device state and disk, and ends its VMM:
     * SUSPENDING → SUSPENDED, durable on disk before it is acknowledged (tier "disk").
     */
    public synchronized MicroVmRecord suspend(String tenantId, String id, String requestId) {
        MicroVmRecord r = get(tenantId, id);
        if (MicroVmState.SUSPENDED.name().equals(r.state())) {
            return r;
        }
        MicroVm vm = live.get(id);
        if (!MicroVmState.RUNNING.name().equals(r.state()) || vm == null) {
            throw new ConflictException("microVM " + id + " is " + r.state() + "; only a RUNNING microVM can be suspended");
        }
        transition(tenantId, id, MicroVmState.RUNNING, MicroVmState.SUSPENDING, "suspended by request", requestId);
        live.remove(id);
        try {
            java.nio.file.Path dir = suspendedRoot(id).resolve(Long.toString(System.currentTimeMillis()));
            engine.suspend(vm, dir);
            transition(tenantId, id, MicroVmState.SUSPENDING, MicroVmState.SUSPENDED, null, requestId);
        } catch (VmmException e) {
            transition(tenantId, id, MicroVmState.SUSPENDING, MicroVmState.FAILED, "suspend failed: " + e.getMessage(), requestId);
            throw new IllegalStateException("suspending " + id + " failed: " + e.getMessage(), e);
        }
        return get(tenantId, id);
    }

    /** RESUMING → RUNNING from the newest saved state, with the same hostname and machine-id. */
    public synchronized MicroVmRecord resume(String tenantId, String id, String requestId) {
        MicroVmRecord r = get(tenantId, id);
        if (MicroVmState.RUNNING.name().equals(r.state())) {
            return r;
        }
        if (!MicroVmState.SUSPENDED.name().equals(r.state())) {
            throw new ConflictException("microVM " + id + " is " + r.state() + "; only a SUSPENDED microVM can be resumed");
        }
        Template saved;
        try {
            saved = Template.load(suspended(id).orElseThrow(() -> new IllegalStateException("no saved state for " + id)));
        } catch (IOException e) {
            throw new IllegalStateException("the saved state of " + id + " cannot be read: " + e.getMessage(), e);
        }
        transition(tenantId, id, MicroVmState.SUSPENDED, MicroVmState.RESUMING, "resumed by request", requestId);
        try {
            MicroVm vm = engine.restore(saved, id, Identity.of(id));
            watch(vm, tenantId);
            live.put(id, vm);
            transition(tenantId, id, MicroVmState.RESUMING, MicroVmState.RUNNING, null, requestId);
        } catch (VmmException e) {
            transition(tenantId, id, MicroVmState.RESUMING, MicroVmState.SUSPENDED, "resume failed: " + e.getMessage(), requestId);
            throw new IllegalStateException("resuming " + id + " failed: " + e.getMessage(), e);
        }
        return get(tenantId, id);
    }

    private java.nio.file.Path suspendedRoot(String id) {
        return engine.config().dataDir().resolve("suspended").resolve(id);
    }

    /** The newest complete saved state of a microVM (each suspend writes a new one: the disk chain needs the older ones). */
    private Optional<java.nio.file.Path> suspended(String id) {
        try (var dirs = java.nio.file.Files.list(suspendedRoot(id))) {
            return dirs.filter(d -> java.nio.file.Files.exists(d.resolve("template.json")))
                    .max(java.util.Comparator.comparingLong(d -> Long.parseLong(d.getFileName().toString())));
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }

    /** Starts an exec in a RUNNING microVM with the version's and the run's env under the request's. */
    public ExecSession exec(String tenantId, String id, ExecRequest req) throws IOException {
        RunRequest.envViolations("env", req.env()).stream().findFirst().ifPresent(v -> {
            throw new InvalidRequestException(v.field(), v.detail());
        });
        MicroVmRecord r = get(tenantId, id);
        MicroVm vm = live.get(id);
        if (!MicroVmState.RUNNING.name().equals(r.state()) || vm == null) {
            throw new ConflictException("microVM " + id + " is " + r.state() + "; exec needs RUNNING"
                    + (MicroVmState.SUSPENDED.name().equals(r.state()) ? " — resume it first: POST /v1/microvms/" + id + "/resume" : ""));
        }
        Map<String, String> env = new LinkedHashMap<>(r.env());
        env.putAll(req.env());
        return vm.agent().exec(req.withEnv(env));
    }

    /** After a restart: adopt live VMMs of non-terminal records, fail the dead, reap VMMs nobody owns. */
    public void reconcile() {
        java.util.Set<String> vmms = new java.util.TreeSet<>(engine.liveVmms());
        for (MicroVmRecord r : records.listNonTerminal()) {
            vmms.remove(r.id());
            MicroVmState state = MicroVmState.valueOf(r.state());
            try {
                if (state == MicroVmState.SUSPENDED) {
                    continue; // no process by design; its saved state is on disk
                }
                if (state == MicroVmState.SUSPENDING) {
                    // a stopped VMM mid-save is not worth adopting: keep the save if it completed
                    engine.reap(r.id());
                    boolean saved = suspended(r.id()).isPresent();
                    transition(r.tenantId(), r.id(), state, saved ? MicroVmState.SUSPENDED : MicroVmState.FAILED,
                            saved ? "burrowd restarted while suspending" : "burrowd restarted before the suspend was saved", null);
                    continue;
                }
                Optional<MicroVm> vm = state == MicroVmState.RUNNING || state == MicroVmState.PENDING || state == MicroVmState.RESUMING
                        ? engine.adopt(r.id(), machineOf(r), Identity.of(r.id()))
                        : Optional.empty();
                if (vm.isEmpty() && state == MicroVmState.RESUMING && suspended(r.id()).isPresent()) {
                    engine.cleanUp(r.id());
                    transition(r.tenantId(), r.id(), state, MicroVmState.SUSPENDED, "burrowd restarted while resuming", null);
                    continue;
                }
                if (vm.isPresent()) {
                    watch(vm.get(), r.tenantId());
                    live.put(r.id(), vm.get());
                    if (state != MicroVmState.RUNNING) {
                        transition(r.tenantId(), r.id(), state, MicroVmState.RUNNING, "adopted after a daemon restart", null);
                    }
                    LOG.info("adopted {} (pid {})", r.id(), vm.get().pid());
                } else if (state == MicroVmState.TERMINATING) {
                    engine.cleanUp(r.id());
                    dev.burrow.vmm.internal.FileTrees.deleteQuietly(suspendedRoot(r.id()));
                    transition(r.tenantId(), r.id(), state, MicroVmState.TERMINATED, null, null);
                } else {
                    engine.cleanUp(r.id());
                    dev.burrow.vmm.internal.FileTrees.deleteQuietly(suspendedRoot(r.id()));
                    transition(r.tenantId(), r.id(), state, MicroVmState.FAILED, "its VMM was gone when burrowd restarted", null);
                }
            } catch (VmmException e) {
                LOG.warn("reconcile {}: {}", r.id(), e.getMessage());
                try {
                    engine.reap(r.id());
                } catch (VmmException ignored) {
                    // already reported
                }
                transition(r.tenantId(), r.id(), state, MicroVmState.FAILED, "could not be adopted after a restart: " + e.getMessage(), null);
            }
        }
        for (String orphan : vmms) {
            LOG.warn("reaping VMM {} that no microVM record owns", orphan);
            try {
                engine.reap(orphan);
            } catch (VmmException e) {
                LOG.warn("reaping {}: {}", orphan, e.getMessage());
            }
        }
    }

    /** The tenant's microVMs that are not terminal and run this image (any version when {@code version} is null). */
    public java.util.List<MicroVmRecord> using(String tenantId, String image, Integer version) {
        return records.listNonTerminal().stream()
                .filter(r -> r.tenantId().equals(tenantId) && r.image().equals(image) && (version == null || r.version() == version))
                .toList();
    }

    /** The resources a microVM runs with: its image version's. */
    public dev.burrow.daemon.images.Resources resources(MicroVmRecord r) {
        return images.apply(r.tenantId(), r.image()).flatMap(s -> s.version(r.image(), r.version()))
                .map(v -> v.settings().resources()).orElse(dev.burrow.daemon.images.Resources.DEFAULT);
    }

    private MachineSpec machineOf(MicroVmRecord r) {
        return images.apply(r.tenantId(), r.image()).flatMap(s -> s.version(r.image(), r.version()))
                .map(v -> new MachineSpec(v.settings().resources().vcpus(), v.settings().resources().memoryMiB()))
                .orElse(MachineSpec.DEFAULT);
    }

    private void watch(MicroVm vm, String tenantId) {
        vm.agent().listen(new AgentEvents() {
            @Override
            public void closed(String reason, boolean violation) {
                if (!closing && live.remove(vm.id(), vm)) {
                    String why = violation ? "the guest broke the agent protocol: " + reason : "the VMM or its agent went away: " + reason;
                    LOG.warn("{}: {}", vm.id(), why);
                    try {
                        vm.close();
                    } catch (VmmException e) {
                        LOG.warn("cleaning up {}: {}", vm.id(), e.getMessage());
                    }
                    transition(tenantId, vm.id(), MicroVmState.RUNNING, MicroVmState.FAILED, why, null);
                }
            }
        });
    }

    /** One query a second over every non-terminal microVM: the lifetime counts while SUSPENDED too (SPEC §1). */
    private void expire() {
        Instant now = Instant.now();
        for (MicroVmRecord r : records.listNonTerminal()) {
            if (r.expiresAt() != null && r.expiresAt().isBefore(now)) {
                LOG.info("{} reached maxDurationSeconds", r.id());
                try {
                    terminate(r.tenantId(), r.id(), null);
                } catch (RuntimeException e) {
                    LOG.warn("terminating expired {}: {}", r.id(), e.getMessage());
                }
            }
        }
    }

    private void transition(String tenantId, String id, MicroVmState from, MicroVmState to, String reason, String requestId) {
        // the records append the state event in the same transaction
        records.transition(id, from.name(), to.name(), reason, requestId);
    }

    /** Stops watching; the VMMs keep running and are adopted at the next start (SPEC §4 `burrow down`). */
    @Override
    public void close() {
        closing = true;
        reaper.shutdownNow();
        live.values().forEach(vm -> vm.agent().close());
        live.clear();
    }
}
