package dev.burrow.daemon.microvms.lifecycle;

import dev.burrow.vmm.Accelerator;
import dev.burrow.vmm.HostProfile;
import dev.burrow.vmm.Hypervisor;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.StartPath;
import dev.burrow.vmm.SuspendMode;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.net.NetworkSpec;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A {@link Hypervisor} without processes, for the lifecycle's fast tests: VMMs are objects that
 * outlive a "restart" (a new Lifecycle over the same fake, as real VMMs outlive burrowd), saved
 * states are map entries, and every step can be made to fail or to wait on a latch. Standbys
 * are counts per template: a restore claims one when ready, and each claim starts a refill on
 * its own thread that waits for a permit of {@link #refills} (none given: a refill never ends).
 */
public final class FakeHypervisor implements Hypervisor {

    static final HostProfile PROFILE = new HostProfile("fake", "1", "microvm", "fake", Accelerator.TCG, "kernel", 2);

    final class FakeVm implements MicroVm {
        final String id;
        final MachineSpec machine;
        final long pid;
        volatile boolean alive = true;
        volatile boolean stopped;
        volatile Identity identity;
        volatile StartPath startPath = StartPath.COLD;

        FakeVm(String id, MachineSpec machine, Identity identity) {
            this.id = id;
            this.machine = machine;
            this.identity = identity;
            this.pid = pids.incrementAndGet();
        }

        @Override public String id() { return id; }
        @Override public MachineSpec machine() { return machine; }
        @Override public AgentConnection agent() { return null; }
        @Override public long pid() { return pid; }
        @Override public boolean isAlive() { return alive; }
        @Override public StartPath startPath() { return startPath; }
        @Override public Path dir() { return Path.of("/nonexistent", id); }
        @Override public void detach() { }

        @Override
        public void close() {
            alive = false;
            vmms.remove(id, this);
        }
    }

    final Map<String, FakeVm> vmms = new ConcurrentHashMap<>();
    /** vmId → savedId → saved state; "complete" saves only (a partial one is in {@link #partial}). */
    final Map<String, Map<String, Template>> saves = new ConcurrentHashMap<>();
    final Set<String> partial = ConcurrentHashMap.newKeySet();
    final List<String> calls = java.util.Collections.synchronizedList(new ArrayList<>());
    private final AtomicInteger ids = new AtomicInteger();
    private final AtomicInteger saveIds = new AtomicInteger();
    private final AtomicInteger pids = new AtomicInteger(1000);

    /** Set to make the next operation of that name fail; {@code killVmm} ends the VMM as it fails. */
    volatile String failNext;
    volatile boolean killVmmOnFailure;
    /** Set to make restores of the n-th call fail (forks: all or nothing). */
    volatile int failRestoreNumber = -1;
    private final AtomicInteger restores = new AtomicInteger();
    /** When set, suspends wait on it (a slow save, for races). */
    volatile CountDownLatch suspendGate;
    final CountDownLatch suspendEntered = new CountDownLatch(1);

    /** One standby pool: how many are wanted, ready, and being refilled. */
    private static final class Standbys {
        int wanted;
        int ready;
        int refilling;
    }

    private final Map<String, Standbys> standbys = new ConcurrentHashMap<>();
    /** A refill waits for one permit (tests release them to let refills finish). */
    public final Semaphore refills = new Semaphore(0);
    /** Every keepStandby call, as "template count". */
    public final List<String> standbyCalls = java.util.Collections.synchronizedList(new ArrayList<>());

    public FakeHypervisor() {
    }

    public Template template(String id) {
        return new Template(id, new MachineSpec(1, 256), PROFILE, Instant.EPOCH, "memory", "state", "disk.qcow2", "overlay.qcow2",
                null, null, Path.of("/nonexistent/templates", id));
    }

    @Override public HostProfile profile() { return PROFILE; }

    @Override
    public MicroVm boot(String vmId, MachineSpec machine, Path rootDisk, Identity identity) {
        throw new UnsupportedOperationException("the lifecycle never boots");
    }

    @Override
    public Template snapshot(MicroVm vm, Path templateDir) {
        throw new UnsupportedOperationException("the lifecycle never snapshots");
    }

    @Override
    public Template suspend(MicroVm microVm, SuspendMode mode) throws VmmException {
        FakeVm vm = (FakeVm) microVm;
        calls.add("suspend " + vm.id + " " + mode);
        suspendEntered.countDown();
        CountDownLatch gate = suspendGate;
        if (gate != null) {
            try {
                gate.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        fail("suspend", vm);
        String savedId = Integer.toString(saveIds.incrementAndGet());
        Template t = new Template(savedId, vm.machine, PROFILE, Instant.EPOCH, "memory", "state", "disk.qcow2", "overlay.qcow2",
                null, null, Path.of("/nonexistent/suspended", vm.id, savedId));
        saves.computeIfAbsent(vm.id, k -> new ConcurrentHashMap<>()).put(savedId, t);
        if (mode == SuspendMode.END_VMM) {
            vm.close();
        } else {
            vm.stopped = true;
        }
        return t;
    }

    @Override
    public MicroVm resumeKept(MicroVm kept, Identity identity) throws VmmException {
        FakeVm vm = (FakeVm) kept;
        calls.add("resumeKept " + vm.id);
        fail("resumeKept", vm);
        if (!vm.alive) {
            throw new VmmException("the kept VMM of " + vm.id + " is gone");
        }
        vm.stopped = false;
        vm.identity = identity;
        return vm;
    }

    @Override
    public Optional<Template> saved(String vmId, String savedId) {
        return Optional.ofNullable(saves.getOrDefault(vmId, Map.of()).get(savedId));
    }

    @Override
    public void discardSaved(String vmId, String keep) {
        calls.add("discardSaved " + vmId + " " + keep);
        Map<String, Template> mine = saves.get(vmId);
        if (mine != null) {
            mine.keySet().removeIf(k -> !k.equals(keep));
        }
        partial.remove(vmId);
    }

    @Override
    public MicroVm restore(Template template, String vmId, Identity identity) throws VmmException {
        calls.add("restore " + vmId + " from " + template.id());
        int n = restores.incrementAndGet();
        if (n == failRestoreNumber || "restore".equals(failNext)) {
            failNext = null;
            throw new VmmException("restore of " + vmId + " failed (injected)");
        }
        FakeVm vm = new FakeVm(vmId, template.machine(), identity);
        vmms.put(vmId, vm);
        return vm;
    }

    /** The network spec of every restore that asked for one, by microVM id (the newest). */
    final Map<String, NetworkSpec> networks = new ConcurrentHashMap<>();

    @Override
    public MicroVm restore(Template template, String vmId, Identity identity, NetworkSpec network) throws VmmException {
        calls.add("network " + vmId + " " + network.mode());
        networks.put(vmId, network);
        return restore(template, vmId, identity);
    }

    @Override
    public MicroVm restore(Template template, Function<String, Identity> identity) throws VmmException {
        boolean standby = claim(template.id());
        String id = String.format("vmfake%04d", ids.incrementAndGet());
        FakeVm vm = (FakeVm) restore(template, id, identity.apply(id));
        if (standby) {
            vm.startPath = StartPath.STANDBY;
        }
        return vm;
    }

    @Override public void keepWarm(Template template, int count) { }

    @Override
    public void keepStandby(Template template, int count) {
        standbyCalls.add(template.id() + " " + count);
        Standbys p = standbys.computeIfAbsent(template.id(), k -> new Standbys());
        synchronized (p) {
            p.wanted = count;
            p.ready = Math.min(p.ready, count);
        }
        refill(template.id());
    }

    @Override
    public int standbyReady(Template template) {
        Standbys p = standbys.get(template.id());
        if (p == null) {
            return 0;
        }
        synchronized (p) {
            return p.ready;
        }
    }

    /** How many standbys of the template the engine was last told to keep. */
    public int standbyWanted(Template template) {
        Standbys p = standbys.get(template.id());
        if (p == null) {
            return 0;
        }
        synchronized (p) {
            return p.wanted;
        }
    }

    /** Claims a ready standby of the template, if there is one. */
    private boolean claim(String templateId) {
        Standbys p = standbys.get(templateId);
        if (p == null) {
            return false;
        }
        synchronized (p) {
            if (p.ready == 0) {
                return false;
            }
            p.ready--;
        }
        refill(templateId);
        return true;
    }

    /** Starts as many refills as the pool is short, each on its own thread, each waiting for a permit. */
    private void refill(String templateId) {
        Standbys p = standbys.get(templateId);
        int start;
        synchronized (p) {
            start = Math.max(0, p.wanted - p.ready - p.refilling);
            p.refilling += start;
        }
        for (int i = 0; i < start; i++) {
            Thread.ofVirtual().name("fake-refill").start(() -> {
                try {
                    refills.acquire();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
                synchronized (p) {
                    p.refilling--;
                    if (p.ready < p.wanted) {
                        p.ready++;
                    }
                }
            });
        }
    }

    @Override
    public Optional<MicroVm> adopt(String vmId, MachineSpec machine, Identity identity) {
        calls.add("adopt " + vmId);
        FakeVm vm = vmms.get(vmId);
        if (vm == null || !vm.alive) {
            return Optional.empty();
        }
        vm.stopped = false;
        vm.identity = identity;
        return Optional.of(vm);
    }

    @Override
    public Set<String> liveVmms() {
        return new TreeSet<>(vmms.keySet());
    }

    @Override
    public void reap(String vmId) {
        calls.add("reap " + vmId);
        FakeVm vm = vmms.remove(vmId);
        if (vm != null) {
            vm.alive = false;
        }
    }

    @Override public void dropWarm(Template template) { }

    @Override public void close() { }

    /** A VMM process dies on its own (the host killed it, it crashed). */
    void kill(String vmId) {
        FakeVm vm = vmms.remove(vmId);
        if (vm != null) {
            vm.alive = false;
        }
    }

    private void fail(String op, FakeVm vm) throws VmmException {
        if (op.equals(failNext)) {
            failNext = null;
            if (killVmmOnFailure) {
                kill(vm.id);
            }
            throw new VmmException(op + " of " + vm.id + " failed (injected)");
        }
    }
}
