package dev.burrow.vmm;

import dev.burrow.vmm.agent.Identity;
import java.nio.file.Path;
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
     * Snapshots a booted microVM into {@code templateDir} and ends it. The template's memory and
     * disk never change afterwards; every restore runs on a private view of them.
     */
    Template snapshot(MicroVm vm, Path templateDir) throws VmmException;

    /**
     * Suspends a running microVM into {@code dir} and ends its VMM, at a cost that grows with the
     * memory it dirtied since its restore, not with its size. The result restores like a template.
     */
    Template suspend(MicroVm vm, Path dir) throws VmmException;

    /** A new microVM from a template, with its own identity applied before this returns. */
    MicroVm restore(Template template, String vmId, Identity identity) throws VmmException;

    /**
     * A new microVM from a template under an id the engine chooses: a warm VMM's when one is
     * ready (see {@link #keepWarm}). {@code identity} is asked for the microVM's identity once
     * its id is known and before the guest runs (a daemon records the id there).
     */
    MicroVm restore(Template template, Function<String, Identity> identity) throws VmmException;

    /**
     * Keeps {@code count} VMMs for this template started and waiting for device state, so a
     * restore skips process start-up. Each costs an idle VMM process; 0 stops it.
     */
    void keepWarm(Template template, int count);

    @Override
    void close();
}
