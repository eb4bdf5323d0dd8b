package dev.burrow.daemon.images.build.internal;

import dev.burrow.daemon.egress.DecisionLog;
import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.images.Resources;
import dev.burrow.daemon.microvms.lifecycle.Networking;
import dev.burrow.vmm.Hypervisor;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.GuestLayers;
import dev.burrow.vmm.agent.Identity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * A builder microVM on the engine: booted from its own ext4 disk with the build's egress (the
 * daemon's {@link Networking}: an allowlist builder gets its DNS answers and proxy, an internet
 * one its resolver; none: no path at all, a RUN that needs one fails like one on a host without
 * a route). Its egress services open once it has booted, before its first RUN, and close with
 * it; what they decided stays readable until then ({@link #egress()}). Commands run through the
 * agent's exec, layers through its builtins ({@link GuestLayers}).
 */
public final class EngineBuilderVm implements BuilderVm {
    /** How long the agent has to start a command. */
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    /** The most egress decisions one builder reports (the decision log keeps fewer anyway). */
    static final int MAX_DECISIONS = 1000;

    private final MicroVm vm;
    private final Networking networking;
    private final DecisionLog decisions;

    private EngineBuilderVm(MicroVm vm, Networking networking, DecisionLog decisions) {
        this.vm = vm;
        this.networking = networking;
        this.decisions = decisions;
    }

    /**
     * Boots builder microVMs on {@code engine}, their egress served by {@code networking}, whose
     * decisions {@code decisions} records (null: none are reported).
     */
    public static Factory factory(Hypervisor engine, Networking networking, DecisionLog decisions) {
        return (String id, Resources r, Path disk, EgressPolicy network) -> {
            String json = (network == null ? EgressPolicy.NONE : network).json();
            MicroVm vm;
            try {
                vm = engine.boot(id, new MachineSpec(r.vcpus(), r.memoryMiB()), disk, Identity.fresh(id), networking.spec(json));
            } catch (VmmException | RuntimeException e) {
                throw new IOException("booting the builder microVM failed: " + e.getMessage(), e);
            }
            EngineBuilderVm b = new EngineBuilderVm(vm, networking, decisions);
            try {
                networking.open(id, json);
            } catch (RuntimeException e) {
                b.close();
                throw new IOException("the builder microVM's egress could not start: " + e.getMessage(), e);
            }
            return b;
        };
    }

    @Override
    public int run(List<String> argv, Map<String, String> env, String user, String workdir, Duration timeout, OutputLines out)
            throws IOException, InterruptedException {
        ExecSession s;
        try {
            s = vm.agent().exec(new ExecRequest(argv, env, workdir, user, false, false));
        } catch (AgentException e) {
            throw new IOException("the builder could not start " + argv + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        boolean started = false;
        try {
            while (true) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IOException("timed out after " + timeout.toSeconds() + " s");
                }
                ExecEvent e = s.next(Duration.ofNanos(Math.min(left, (started ? timeout : START_TIMEOUT).toNanos())));
                switch (e) {
                    case null -> {
                        if (!started) {
                            throw new IOException("the builder did not start " + argv + " within " + START_TIMEOUT.toSeconds() + " s");
                        }
                    }
                    case ExecEvent.Started st -> started = true;
                    case ExecEvent.Stdout o -> out.accept(0, o.data());
                    case ExecEvent.Stderr o -> out.accept(1, o.data());
                    case ExecEvent.Exit x -> {
                        out.finish();
                        return x.exitCode();
                    }
                    case ExecEvent.Failed f -> throw new IOException(f.message());
                }
            }
        } finally {
            if (!s.isDone()) {
                s.kill();
            }
        }
    }

    @Override
    public void mark(Duration timeout) throws IOException, InterruptedException {
        GuestLayers.mark(vm.agent(), timeout);
    }

    @Override
    public long diff(OutputStream tar, Duration timeout) throws IOException, InterruptedException {
        return GuestLayers.diff(vm.agent(), tar, timeout).bytes();
    }

    @Override
    public void apply(InputStream tar, Duration timeout) throws IOException, InterruptedException {
        GuestLayers.apply(vm.agent(), tar, timeout);
    }

    @Override
    public List<String> egress() {
        if (decisions == null) {
            return List.of();
        }
        return decisions.after(vm.id(), 0, MAX_DECISIONS).stream()
                .map(d -> d.protocol() + " " + (d.name() == null ? "(no name)" : d.name()) + ":" + d.port() + " " + d.decision()
                        + (d.reason() == null ? "" : " (" + d.reason() + ")"))
                .toList();
    }

    @Override
    public void close() {
        try {
            networking.close(vm.id());
            vm.close();
        } catch (Exception e) {
            // the engine reaps a microVM it could not close
        } finally {
            networking.forget(vm.id());
        }
    }
}
