package dev.burrow.vmm;

import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.net.NetworkSpec;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The VMM SPI. QEMU's microvm machine implements it today; a Firecracker backend would too
 * (its own kernel build, vsock instead of virtio-serial, an HTTP API instead of QMP): nothing
 * here names a QEMU concept.
 */
public interface Hypervisor extends AutoCloseable {

    /** What templates made here record and restores here must match. */
    HostProfile profile();

    /** Cold-boots a root disk (raw ext4) until its agent answers HELLO. */
    MicroVm boot(String vmId, MachineSpec machine, Path rootDisk, Identity identity) throws VmmException;

    /**
     * Cold-boots a root disk with the network {@code network} describes (a builder microVM's
     * egress): for a mode with a network its path exists before the VMM starts, and the guest's
     * address, route and resolver are set before this returns, as for
     * {@link #restore(Template, String, Identity, NetworkSpec)}. Such a microVM is not
     * snapshotted. An engine without network paths serves {@link NetworkSpec#NONE} only.
     */
    default MicroVm boot(String vmId, MachineSpec machine, Path rootDisk, Identity identity, NetworkSpec network) throws VmmException {
        if (network.hasPath()) {
            throw new VmmException("this engine has no network paths: " + network.mode() + " is not available");
        }
        return boot(vmId, machine, rootDisk, identity);
    }

    /**
     * Snapshots a booted microVM into {@code templateDir} and ends it. The template's memory and
     * disk never change afterwards; every restore runs on a private view of them.
     */
    Template snapshot(MicroVm vm, Path templateDir) throws VmmException;

    /**
     * Suspends a running microVM: its memory (what it dirtied since its restore, not its size),
     * device state and disk are durable in a new saved state of the microVM when this returns
     * (the engine chooses where; {@link Template#id()} names it). With {@link SuspendMode#KEEP_VMM}
     * the VMM stays, stopped, as a cache for {@link #resumeKept} (the memory tier); with
     * {@link SuspendMode#END_VMM} it is ended (the disk tier). A suspend that fails leaves no
     * partial saved state and, when the VMM is still alive, the guest running again.
     */
    Template suspend(MicroVm vm, SuspendMode mode) throws VmmException;

    /**
     * Lets a microVM kept by {@code suspend(vm, KEEP_VMM)} run again and re-applies its identity
     * (fresh entropy, clock stepped to host time). Its saved state is consumed: the running guest
     * moves on from it. Fails (the VMM ended, its files kept) when the VMM no longer answers;
     * the saved state is then still whole unless the guest had already run.
     */
    MicroVm resumeKept(MicroVm kept, Identity identity) throws VmmException;

    /**
     * A suspended microVM's saved state {@code savedId} as {@code suspend} returned it, if it is
     * complete on disk; restore it with {@link #restore(Template, String, Identity)} under the
     * same id (the disk tier's resume). Empty when it is missing or was never completed.
     */
    Optional<Template> saved(String vmId, String savedId);

    /**
     * Removes every saved state of {@code vmId} except {@code keep} (null = all of them) and
     * what the microVM's live disk or {@code keep} still reads from; partial saves go too.
     */
    void discardSaved(String vmId, String keep);

    /**
     * Re-attaches to a microVM whose VMM outlived the engine (a daemon restart). A guest found
     * stopped by an unfinished suspend is let run again. Empty when its VMM is gone. The identity
     * is re-applied (same hostname and machine-id, fresh entropy and clock).
     */
    Optional<MicroVm> adopt(String vmId, MachineSpec machine, Identity identity) throws VmmException;

    /**
     * The console ring of {@code vmId}: its running (or kept) VMM's, else the one kept with its
     * newest saved state, so a suspended microVM's last output stays readable. Empty when the
     * engine keeps none for it (never started, or reaped). Reading it is no activity of the guest.
     */
    default Optional<ConsoleRing> console(String vmId) {
        return Optional.empty();
    }

    /**
     * The ids of every microVM of this engine instance whose VMM process is alive. Standbys (see
     * {@link #keepStandby}) are not microVMs until claimed: they are never listed, and an engine
     * that starts ends those an earlier one left.
     */
    Set<String> liveVmms();

    /**
     * Ends the VMM of {@code vmId} if one is alive and removes its running files (disk overlay,
     * sockets, logs); its saved states stay (see {@link #discardSaved}). Idempotent.
     */
    void reap(String vmId) throws VmmException;

    /** Ends the warm VMMs kept for {@code template} (its image version is going away). */
    void dropWarm(Template template);

    /** A new microVM from a template, with its own identity applied before this returns; no network. */
    MicroVm restore(Template template, String vmId, Identity identity) throws VmmException;

    /**
     * A new microVM from a template with the network {@code network} describes (SPEC §6): for a
     * mode with a network its path exists before the VMM starts, and the guest's address, route
     * and resolver are set before this returns. An engine without network paths serves
     * {@link NetworkSpec#NONE} only.
     */
    default MicroVm restore(Template template, String vmId, Identity identity, NetworkSpec network) throws VmmException {
        if (network.hasPath()) {
            throw new VmmException("this engine has no network paths: " + network.mode() + " is not available");
        }
        return restore(template, vmId, identity);
    }

    /**
     * A new microVM from a template under an id the engine chooses: a warm VMM's when one is
     * ready (see {@link #keepWarm}). {@code identity} is asked for the microVM's identity once
     * its id is known and before the guest runs (a daemon records the id there). No network:
     * warm VMMs serve {@link NetworkSpec#NONE} only.
     */
    MicroVm restore(Template template, Function<String, Identity> identity) throws VmmException;

    /**
     * Keeps {@code count} VMMs for this template started and waiting for device state, so a
     * restore skips process start-up. Each costs an idle VMM process; 0 stops it.
     */
    void keepWarm(Template template, int count);

    /**
     * Keeps {@code count} microVMs of this template restored and paused ahead of need (standbys,
     * issue 13): indistinguishable from a fresh restore, nothing run in the guest since the
     * template, no identity of their own yet, never handed out twice. {@link #restore(Template,
     * Function)} claims one first (resumes it and applies the identity it is given), then falls
     * back to a warm VMM, then to a restore from nothing; a claim starts a refill in the
     * background, which never delays a restore. Each costs a paused VMM (its PSS, not its memory
     * size); 0 ends those kept. {@link #dropWarm} and {@link #close} end them too. Standbys serve
     * {@link NetworkSpec#NONE} only, as warm VMMs do.
     */
    default void keepStandby(Template template, int count) {
    }

    /** How many standbys of {@code template} are ready to be claimed now. */
    default int standbyReady(Template template) {
        return 0;
    }

    @Override
    void close();
}
