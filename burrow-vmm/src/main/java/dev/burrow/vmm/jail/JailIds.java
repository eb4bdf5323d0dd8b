package dev.burrow.vmm.jail;

import dev.burrow.vmm.VmmException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.BitSet;
import java.util.Optional;

/**
 * The uid and gid each VMM of one engine instance runs as. An instance owns a block of
 * {@link #SLOTS} ids from {@code base} (derived from its instance id, so two daemons on one
 * host take different blocks); id {@code base} itself is the instance's VMM group, which may
 * read the files bound read-only into jails, and each microVM gets {@code base + slot} as uid
 * and gid. The slot is the lowest one no directory under {@code vms/} records, and it is stored
 * in the microVM's directory ({@link #SLOT_FILE}), so an adopted VMM keeps it and a slot is free
 * again once its directory is removed.
 */
public final class JailIds {

    /** The first id of the range blocks are taken from: above what distributions hand out, and above 65535 user namespaces. */
    public static final long FIRST_BASE = 200_000;
    /** How many instance blocks the range holds. */
    public static final int BLOCKS = 4096;
    /** Ids per instance block; slot 0 is the group. */
    public static final int SLOTS = 65_536;
    /** The file in a microVM's directory that records its slot. */
    public static final String SLOT_FILE = "jail.slot";

    /** One microVM's ids: its own uid and gid, and the instance's VMM group as its one supplementary group. */
    public record Ids(long uid, long gid, long group, int slot) {}

    private final long base;

    private JailIds(long base) {
        this.base = base;
    }

    public static JailIds forInstance(String instanceId) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(instanceId.getBytes(StandardCharsets.UTF_8));
            long h = ((d[0] & 0xffL) << 24) | ((d[1] & 0xffL) << 16) | ((d[2] & 0xffL) << 8) | (d[3] & 0xffL);
            return new JailIds(FIRST_BASE + (h % BLOCKS) * SLOTS);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The instance's VMM group: may read what is bound read-only into its jails. */
    public long group() {
        return base;
    }

    public Ids ids(int slot) {
        if (slot < 1 || slot >= SLOTS) {
            throw new IllegalArgumentException("slot must be 1.." + (SLOTS - 1) + ": " + slot);
        }
        return new Ids(base + slot, base + slot, base, slot);
    }

    /**
     * Gives the microVM directory {@code vmDir} (under {@code vmsRoot}) the lowest free slot,
     * recorded durably in it; the slot it already records, if any. One engine allocates at a time.
     */
    public synchronized Ids allocate(Path vmsRoot, Path vmDir) throws VmmException {
        Optional<Ids> known = recorded(vmDir);
        if (known.isPresent()) {
            return known.get();
        }
        BitSet taken = new BitSet(SLOTS);
        taken.set(0);
        try (var dirs = Files.list(vmsRoot)) {
            for (Path d : dirs.toList()) {
                readSlot(d).ifPresent(taken::set);
            }
        } catch (IOException e) {
            throw new VmmException("cannot list " + vmsRoot + " for a free jail slot: " + e.getMessage(), e);
        }
        int slot = taken.nextClearBit(1);
        if (slot >= SLOTS) {
            throw new VmmException("every one of the " + (SLOTS - 1) + " jail slots of this instance is taken");
        }
        try {
            Files.writeString(vmDir.resolve(SLOT_FILE), slot + "\n");
        } catch (IOException e) {
            throw new VmmException("cannot record the jail slot of " + vmDir + ": " + e.getMessage(), e);
        }
        return ids(slot);
    }

    /** The ids the microVM directory {@code vmDir} records, if it records a valid slot. */
    public Optional<Ids> recorded(Path vmDir) {
        return readSlot(vmDir).map(this::ids);
    }

    private static Optional<Integer> readSlot(Path vmDir) {
        try {
            int slot = Integer.parseInt(Files.readString(vmDir.resolve(SLOT_FILE)).trim());
            return slot >= 1 && slot < SLOTS ? Optional.of(slot) : Optional.empty();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | NumberFormatException e) {
            return Optional.empty();
        }
    }
}
