package dev.burrow.vmm.jail;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What one VMM's jail holds: who it runs as, the files and devices that appear in its otherwise
 * empty root (each at the same absolute path as on the host, so qcow2 backing names and QMP file
 * names keep working), the cgroups it joins and its limits. {@link #args()} is burrow-jailer's
 * part of the command line; the jailer adds the system files QEMU needs (read-only /usr and the
 * merged-usr links) itself.
 *
 * @param root        an empty directory: the jail's tmpfs is mounted on it in the VMM's own mount namespace only
 * @param hostname    the VMM's hostname in its own UTS namespace
 * @param binds       files and directories, read-only or writable
 * @param devices     device nodes (bound read-only, nosuid, noexec: they still open for writing)
 * @param cgroupProcs {@code cgroup.procs} files the VMM joins before it drops root
 */
public record JailSpec(JailIds.Ids ids, Path root, String hostname, List<Bind> binds, List<Path> devices,
                       List<Path> cgroupProcs, long nofile, long nproc) {

    /** Open files per VMM: QEMU needs some dozens (disk, sockets, eventfds per virtqueue). */
    public static final long NOFILE_DEFAULT = 1024;
    /** Processes per VMM uid, which count its threads: vCPUs, RCU, I/O workers (QEMU's pool goes to 64). */
    public static final long NPROC_DEFAULT = 512;
    /** Device nodes every VMM gets: stdin, and the guest's virtio-rng source. */
    public static final List<Path> BASE_DEVICES = List.of(Path.of("/dev/null"), Path.of("/dev/urandom"));
    public static final Path KVM = Path.of("/dev/kvm");
    public static final Path TUN = Path.of("/dev/net/tun");

    /** One path bound into the jail. */
    public record Bind(Path path, boolean writable) {}

    public JailSpec {
        Objects.requireNonNull(ids, "ids");
        Objects.requireNonNull(root, "root");
        binds = List.copyOf(binds);
        devices = List.copyOf(devices);
        cgroupProcs = List.copyOf(cgroupProcs);
        for (Bind b : binds) {
            if (!b.path().isAbsolute()) {
                throw new IllegalArgumentException("bind paths must be absolute: " + b.path());
            }
        }
    }

    /** Collects binds: one per path (writable wins), parents before what lies beneath them. */
    public static final class Binds {
        private final Map<Path, Boolean> paths = new LinkedHashMap<>();

        public Binds readOnly(Path p) {
            paths.merge(p.toAbsolutePath().normalize(), false, Boolean::logicalOr);
            return this;
        }

        public Binds writable(Path p) {
            paths.merge(p.toAbsolutePath().normalize(), true, Boolean::logicalOr);
            return this;
        }

        public List<Bind> toList() {
            List<Bind> out = new ArrayList<>();
            paths.forEach((p, w) -> out.add(new Bind(p, w)));
            out.sort(Comparator.comparingInt((Bind b) -> b.path().getNameCount()).thenComparing(b -> b.path().toString()));
            return out;
        }
    }

    /** burrow-jailer's options for this jail (before {@code --}). */
    public List<String> args() {
        List<String> a = new ArrayList<>(List.of("--root", root.toString(),
                "--uid", Long.toString(ids.uid()), "--gid", Long.toString(ids.gid()),
                "--groups", Long.toString(ids.group()),
                "--rlimit-nofile", Long.toString(nofile), "--rlimit-nproc", Long.toString(nproc)));
        if (hostname != null) {
            a.addAll(List.of("--hostname", hostname));
        }
        for (Bind b : binds) {
            a.addAll(List.of(b.writable() ? "--bind-rw" : "--bind-ro", b.path().toString()));
        }
        for (Path d : devices) {
            a.addAll(List.of("--dev", d.toString()));
        }
        for (Path c : cgroupProcs) {
            a.addAll(List.of("--cgroup", c.toString()));
        }
        return a;
    }
}
