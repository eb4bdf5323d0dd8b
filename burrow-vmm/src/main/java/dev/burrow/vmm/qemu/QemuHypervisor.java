package dev.burrow.vmm.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.vmm.Accelerator;
import dev.burrow.vmm.ConsoleRing;
import dev.burrow.vmm.CrashPoints;
import dev.burrow.vmm.EngineConfig;
import dev.burrow.vmm.HostProfile;
import dev.burrow.vmm.Hypervisor;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MemoryModel;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.StartPath;
import dev.burrow.vmm.SuspendMode;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.TemplateMismatchException;
import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.AgentEvents;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.HelloAck;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.agent.internal.AgentVersion;
import dev.burrow.vmm.internal.Commands;
import dev.burrow.vmm.internal.Durable;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.internal.GuestBinaries;
import dev.burrow.vmm.internal.UnixSockets;
import dev.burrow.vmm.jail.Cgroups;
import dev.burrow.vmm.jail.JailFiles;
import dev.burrow.vmm.jail.JailIds;
import dev.burrow.vmm.jail.JailSpec;
import dev.burrow.vmm.jail.VmCgroup;
import dev.burrow.vmm.kernel.GuestKernel;
import dev.burrow.vmm.kernel.InitramfsBuilder;
import dev.burrow.vmm.kernel.KernelCache;
import dev.burrow.vmm.net.NetworkSettings;
import dev.burrow.vmm.net.NetworkSpec;
import dev.burrow.vmm.net.VethPath;
import dev.burrow.vmm.qemu.internal.GuestMemory;
import dev.burrow.vmm.qemu.internal.QcowImages;
import dev.burrow.vmm.qemu.internal.QemuArgs;
import dev.burrow.vmm.qemu.internal.Qmp;
import dev.burrow.vmm.qemu.internal.VmmProcess;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.FileChannel;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs microVMs as QEMU {@code microvm} processes, each started through burrow-jailer. Templates
 * keep guest memory in a file (saved with {@code x-ignore-shared}, so only ~50 KB of device state
 * travels through the migration socket); restores map that file privately ({@code share=off}),
 * so all microVMs of a template share its page cache and own only the pages they dirty
 * (docs/adr/0002-memory-model.md).
 */
public final class QemuHypervisor implements Hypervisor {

    private static final Logger LOG = LoggerFactory.getLogger(QemuHypervisor.class);
    private static final Pattern VERSION = Pattern.compile("QEMU emulator version (\\S+)");
    private static final Pattern VM_ID = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
    private static final Duration QMP_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    /** How long the state file may take to arrive once a migration completed. */
    private static final Duration MIGRATION_TIMEOUT = Duration.ofSeconds(30);
    /** The directory in a microVM's directory where its VMM writes files it is asked to write by name. */
    static final String VMM_OUT = "vmm-out";
    /** Under the run directory: one empty directory per jailed VMM, its root (the jail's tmpfs lives only in its mount namespace). */
    static final String JAILS = "jail";
    /** Under the data directory: the kernel and initramfs jailed VMMs read (root, the VMM group, 0640). */
    static final String BOOT_FILES = "boot";
    /**
     * In a microVM's directory while it is a standby (made, paused, not yet claimed): such a VMM is
     * the pool's, not a microVM of the daemon's, so {@link #liveVmms} leaves it out and a
     * restarted engine reaps it. Removed by the claim before the guest runs again.
     */
    static final String STANDBY_MARK = "standby";
    /** The hostname a standby's guest holds between its own HELLO and its claim's (never seen by a claimer). */
    static final String STANDBY_HOSTNAME = "standby";
    /** How long a claim waits for a standby's QMP to say it is paused before it discards it (its main loop is idle: it answers at once). */
    static final Duration CLAIM_CHECK_TIMEOUT = Duration.ofSeconds(2);
    /**
     * The agent's builtin a standby runs when {@link #standbyWarmUp} is on (guest/agent/builtins.h
     * BUILTIN_WARM_UP; StandbyWarmUpTest compares them): its child re-executes the agent's own
     * binary, which walks fork, execve, the ELF loader and exit whatever the image holds, and sets
     * the guest's last pid back to what it was, so the claim's first process gets a fresh
     * restore's pid.
     */
    static final String WARM_UP_BUILTIN = "warm-up";
    /** As root and from {@code /}: the builtin writes the pid namespace's last pid, and the image may have no home for anyone. */
    static final ExecRequest STANDBY_WARM_UP = ExecRequest.of(WARM_UP_BUILTIN).asBuiltin().withUser("0:0").withCwd("/");

    private final EngineConfig config;
    private final Accelerator accel;
    private final HostProfile profile;
    private final GuestKernel kernel;
    private final Path vmlinuz;
    private final Path initramfs;
    private final Path jailer;
    private final JailIds jailIds;
    /** Each jailed VMM's cgroup (cpu, memory, pids); null without the jail. */
    private final Cgroups cgroups;
    /** QEMU before 8.2 opens a privately mapped memory file for writing: a template's must be group-writable in jails. */
    private final boolean templateMemoryWritable;
    private final long tscKhz;
    private final WarmPool pool = new WarmPool(this);
    private final StandbyPool<QemuMicroVm> standbys = new StandbyPool<>(new StandbyMaker());
    private final SavedStates saves;
    private volatile Faults faults = Faults.NONE;
    /** How network paths are made: the range their addresses come from, timeouts. */
    private volatile NetworkSettings network = NetworkSettings.defaults();
    /** The benchmark's path for microVMs restored without a network spec (warm ones too); off by default. */
    private volatile boolean benchNetwork;
    /** Whether a standby runs {@link #STANDBY_WARM_UP} before it is paused; on by default (see {@link #standbyWarmUp(boolean)}). */
    private volatile boolean standbyWarmUp = true;
    /** What a benchmark microVM gets: the most closed mode, and the host may connect to the guest (its settings say so). */
    private static final NetworkSpec BENCH_SPEC = NetworkSpec.allowlist();

    private QemuHypervisor(EngineConfig config, Accelerator accel, HostProfile profile, GuestKernel kernel, Path vmlinuz, Path initramfs,
                           Path jailer, long tscKhz, Cgroups cgroups) {
        this.cgroups = cgroups;
        this.vmlinuz = vmlinuz;
        this.jailIds = JailIds.forInstance(config.instanceId());
        this.templateMemoryWritable = !QemuArgs.privateMappingOpensReadOnly(profile.vmmVersion());
        this.tscKhz = tscKhz;
        this.config = config;
        this.accel = accel;
        this.profile = profile;
        this.kernel = kernel;
        this.initramfs = initramfs;
        this.jailer = jailer;
        this.saves = new SavedStates(config.dataDir().resolve("suspended"), config.dataDir().resolve("vms"));
    }

    /** Prepares everything a VMM needs: kernel (fetched once into the cache), initramfs, guest binaries. */
    public static QemuHypervisor start(EngineConfig config) throws VmmException {
        try {
            Files.createDirectories(config.dataDir());
            Files.createDirectories(config.runDir());
        } catch (IOException e) {
            throw new VmmException("cannot create " + config.dataDir() + " or " + config.runDir() + ": " + e.getMessage(), e);
        }
        Accelerator accel = Accelerator.resolve(config.accelerator());
        if (accel == Accelerator.TCG) {
            LOG.warn("accelerator: TCG (software emulation). This host has no usable hardware virtualisation (no vmx/svm). "
                    + "Guests run correctly but slower, and TCG is NOT a security boundary per QEMU's security policy: "
                    + "do not run untrusted code on a TCG host in production.");
        }
        config = config.withQemuBinary(resolveExecutable(config.qemuBinary()));
        String version = qemuVersion(config.qemuBinary());
        GuestKernel kernel;
        Path initramfs;
        Path bin = config.dataDir().resolve("bin");
        Path agent = GuestBinaries.extract(GuestBinaries.AGENT, bin);
        Path jailer = GuestBinaries.extract(GuestBinaries.JAILER, bin);
        try {
            kernel = new KernelCache(config.cacheDir()).ensure();
            initramfs = new InitramfsBuilder().ensure(kernel, agent, InitramfsBuilder.DEFAULT_MODULES, config.cacheDir());
        } catch (IOException e) {
            throw new VmmException("guest kernel: " + e.getMessage(), e);
        }
        long tscKhz = accel == Accelerator.TCG ? hostTscKhz() : 0;
        // not part of the profile: "cpu MHz" may wobble on hosts with frequency scaling, and a
        // restored guest's clock is stepped by the agent anyway
        HostProfile profile = new HostProfile("qemu", version, QemuArgs.MACHINE, QemuArgs.cpuModel(accel) + hostCpu(accel),
                accel, kernel.packageName() + " " + kernel.packageVersion(), AgentConnection.PROTOCOL_VERSION);
        LOG.info("engine ready: QEMU {} ({}), kernel {} {}, instance {}", version, accel.qemuName(),
                kernel.packageName(), kernel.packageVersion(), config.instanceId());
        Path vmlinuz = kernel.vmlinuz();
        if (config.jail()) {
            // the shared cache is root's alone (0600): jailed VMMs read the instance's own copies
            long group = JailIds.forInstance(config.instanceId()).group();
            vmlinuz = sharedCopy(vmlinuz, config.dataDir().resolve(BOOT_FILES), group);
            initramfs = sharedCopy(initramfs, config.dataDir().resolve(BOOT_FILES), group);
            pruneExcept(config.dataDir().resolve(BOOT_FILES), Set.of(vmlinuz, initramfs)); // a VMM still running keeps its bound copy
        }
        Cgroups cgroups = config.jail() ? Cgroups.forHost(config.instanceId()) : null;
        QemuHypervisor engine = new QemuHypervisor(config, accel, profile, kernel, vmlinuz, initramfs, jailer, tscKhz, cgroups);
        engine.reapStandbys(); // a crashed engine's: nobody will claim them
        if (cgroups != null) {
            LOG.info("cgroups: {}", String.join("; ", cgroups.describe()));
            cgroups.reapExcept(engine.liveVmms()); // what a crash left of VMMs that are gone
        }
        return engine;
    }

    /** {@code source} copied into {@code dir} (unless an identical copy is there), readable by the instance's VMM group. */
    private static Path sharedCopy(Path source, Path dir, long group) throws VmmException {
        Path target = dir.resolve(source.getFileName());
        try {
            Files.createDirectories(dir);
            if (!Files.exists(target) || Files.mismatch(source, target) != -1) {
                Path tmp = Files.createTempFile(dir, source.getFileName().toString(), ".tmp");
                Files.copy(source, tmp, StandardCopyOption.REPLACE_EXISTING);
                JailFiles.share(tmp, group, false);
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
            JailFiles.share(target, group, false);
            return target;
        } catch (IOException e) {
            throw new VmmException("cannot copy " + source + " for jailed VMMs into " + dir + ": " + e.getMessage(), e);
        }
    }

    /** Removes the files of {@code dir} but {@code keep}: boot files of an older kernel or agent. */
    private static void pruneExcept(Path dir, Set<Path> keep) {
        try (var files = Files.list(dir)) {
            for (Path f : files.toList()) {
                if (!keep.contains(f)) {
                    Files.deleteIfExists(f);
                }
            }
        } catch (IOException e) {
            LOG.debug("could not prune {}: {}", dir, e.toString());
        }
    }

    /** How network paths are made from now on (the daemon's settings; defaults otherwise). */
    public void networkSettings(NetworkSettings settings) {
        this.network = settings;
    }

    /**
     * Gives every microVM restored from now on without a network spec (false: none again) the
     * benchmark's path, which lets the host connect to the guest. Benchmarks only: no API
     * reaches this (docs/adr/0016-bench-network-path.md).
     */
    public void benchNetwork(boolean on) {
        this.network = network.withHostConnects(on);
        this.benchNetwork = on;
    }

    /** The network path of {@code vm}, when it was restored with one. */
    public Optional<VethPath> network(MicroVm vm) {
        return Optional.ofNullable(((QemuMicroVm) vm).network());
    }

    /**
     * The network path of the running microVM {@code vmId}, when it has one (found by its names):
     * its {@code hostAddress()} is where the daemon binds the microVM's DNS and proxy listeners.
     */
    public Optional<VethPath> network(String vmId) {
        return VethPath.existing(network, config.instanceId(), vmId);
    }

    @Override
    public HostProfile profile() {
        return profile;
    }

    public EngineConfig config() {
        return config;
    }

    public Accelerator accelerator() {
        return accel;
    }

    @Override
    public MicroVm boot(String vmId, MachineSpec machine, Path rootDisk, Identity identity) throws VmmException {
        return boot(vmId, machine, rootDisk, identity, NetworkSpec.NONE);
    }

    /**
     * A cold boot on the network path {@code net} describes, made as a restore's is (its path
     * before the VMM, the guest configured once its agent answers); with {@link NetworkSpec#NONE}
     * the NIC has no backend and its link stays down, as a template needs it.
     */
    @Override
    public MicroVm boot(String vmId, MachineSpec machine, Path rootDisk, Identity identity, NetworkSpec net) throws VmmException {
        Layout l = layout(vmId);
        Commands.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "raw", "-b", rootDisk.toAbsolutePath().toString(),
                l.dir.resolve("disk.qcow2").toString()), 30);
        try {
            SavedStates.recordBacking(l.dir.resolve("disk.qcow2"), l.dir);
        } catch (IOException e) {
            FileTrees.deleteQuietly(l.sockets);
            FileTrees.deleteQuietly(l.dir);
            throw new VmmException("cannot read the disk made for " + vmId + ": " + e.getMessage(), e);
        }
        QemuArgs.Files files = new QemuArgs.Files(vmlinuz, initramfs, l.dir.resolve("memory"), true,
                l.dir.resolve("disk.qcow2"), l.dir.resolve(QemuArgs.CONSOLE), l.sockets.resolve("qmp.sock"), l.sockets.resolve("agent.sock"), false, false, QemuArgs.MACHINE);
        OnPath started = launchOnPath(vmId, machine, files, l, net);
        VmmProcess p = started.process();
        QemuMicroVm vm = null;
        try {
            AgentConnection agent = connectAgent(vmId, l, p, config.bootTimeout());
            vm = new QemuMicroVm(vmId, machine, p, l.dir, l.sockets, agent, true);
            vm.network(started.path());
            vm.cgroup(cgroupOf(vmId));
            vm.qmp().execute("set_link", Map.of("name", "net0", "up", false), QMP_TIMEOUT);
            agent.awaitAnnounce(config.bootTimeout());
            checkHello(vmId, agent.hello(identity, config.bootTimeout()));
            if (vm.network() != null) {
                connectNetwork(vm, vm.network());
            }
            return vm;
        } catch (AgentException | VmmException e) {
            String tail = consoleTail(l);
            closeQuietly(vm, p, l);
            if (vm == null) {
                closeNetworkQuietly(started.path()); // a microVM closes its own path
            }
            throw new VmmException("boot of " + vmId + " failed: " + e.getMessage() + tail, e);
        }
    }

    @Override
    public Template snapshot(MicroVm microVm, Path templateDir) throws VmmException {
        QemuMicroVm vm = (QemuMicroVm) microVm;
        if (vm.network() != null) {
            // its guest keeps the path's address and its link is up: no template may carry that
            throw new VmmException("snapshot of " + vm.id() + " refused: it was booted with a network");
        }
        try {
            Files.createDirectories(templateDir);
            // The agent channel stays connected while the guest is saved: a restored agent then
            // finds its port still "host connected" and reads the next HELLO at once, instead of
            // waking from a hang-up. Nothing is in flight: the engine sends nothing during a save,
            // and a partial guest frame left in the queue is skipped by the next host's resync.
            Qmp qmp = vm.qmp();
            qmp.execute("stop", QMP_TIMEOUT);
            migrateState(vm, templateDir.resolve("state"));
            qmp.execute("quit", QMP_TIMEOUT);
            vm.process().awaitExit(Duration.ofSeconds(10));
            String memoryFile = null;
            if (vm.ownMemory()) {
                // QEMU never msyncs: the dirty pages are only durable after this
                try (FileChannel mem = FileChannel.open(vm.dir().resolve("memory"), StandardOpenOption.WRITE)) {
                    mem.force(true);
                }
                Files.move(vm.dir().resolve("memory"), templateDir.resolve("memory"), StandardCopyOption.ATOMIC_MOVE);
                memoryFile = "memory";
            }
            SavedStates.checkBacking(vm.dir().resolve("disk.qcow2"), vm.dir()); // its VMM (running the image) is gone
            Files.move(vm.dir().resolve("disk.qcow2"), templateDir.resolve("disk.qcow2"), StandardCopyOption.ATOMIC_MOVE);
            if (config.jail()) {
                // handed over from the builder's uid: every jail of the instance reads them, none writes them
                JailFiles.share(templateDir.resolve("disk.qcow2"), jailIds.group(), false);
                if (memoryFile != null) {
                    JailFiles.share(templateDir.resolve("memory"), jailIds.group(), templateMemoryWritable);
                }
            }
            Commands.run(List.of("qemu-img", "create", "-q", "-f", "qcow2", "-F", "qcow2", "-b",
                    templateDir.resolve("disk.qcow2").toString(), templateDir.resolve("overlay.qcow2").toString()), 30);
            // the manifest is durable: what it names must be too
            Durable.sync(templateDir.resolve("disk.qcow2"));
            Durable.sync(templateDir.resolve("overlay.qcow2"));
            Durable.syncDirectory(templateDir);
            Template t = new Template(templateDir.getFileName().toString(), vm.machine(), profileOf(vm.dir()), Instant.now(),
                    memoryFile, "state", "disk.qcow2", "overlay.qcow2", null, null, templateDir.toAbsolutePath());
            t.save();
            return t;
        } catch (IOException e) {
            throw new VmmException("snapshot of " + vm.id() + " failed: " + e.getMessage(), e);
        } finally {
            vm.close();
        }
    }

    /**
     * Migrates a stopped guest's state into {@code target} (fsync'd) through a unix socket the
     * engine listens on: device state only for RAM in a shared file, RAM too for a private one.
     */
    private static void migrateState(QemuMicroVm vm, Path target) throws VmmException, IOException {
        Qmp qmp = vm.qmp();
        qmp.execute("migrate-set-capabilities", QemuArgs.IGNORE_SHARED, QMP_TIMEOUT);
        Path sock = vm.socketDir().resolve("migrate.sock");
        Files.deleteIfExists(sock);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            // a jailed VMM connects as its own uid; the socket directory (0700, the VMM's) keeps everyone else out
            Files.setPosixFilePermissions(sock, PosixFilePermissions.fromString("rw-rw-rw-"));
            CompletableFuture<Long> saved = CompletableFuture.supplyAsync(() -> receive(server, target),
                    r -> Thread.ofVirtual().start(r));
            qmp.execute("migrate", Map.of("uri", "unix:" + sock), QMP_TIMEOUT);
            awaitMigration(qmp);
            saved.get(MIGRATION_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new VmmException("receiving the state of " + vm.id() + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted", e);
        } finally {
            Files.deleteIfExists(sock);
        }
    }

    /**
     * Suspends into a new saved state of the microVM (see {@link Hypervisor#suspend}). The save is
     * complete and durable before the VMM is ended or kept: memory (what the guest dirtied), device
     * state and a hard link to the disk (QEMU flushed it at {@code stop}; the link keeps the
     * inode when the VMM's own name goes) are fsync'd, then the manifest is written and renamed
     * into place, then the directory fsync'd. A disk-tier save is folded after the VMM ends.
     */
    @Override
    public Template suspend(MicroVm microVm, SuspendMode mode) throws VmmException {
        QemuMicroVm vm = (QemuMicroVm) microVm;
        Path dir;
        try {
            dir = saves.allocate(vm.id());
        } catch (IOException e) {
            throw new VmmException("cannot create a saved state for " + vm.id() + ": " + e.getMessage(), e);
        }
        return suspendInto(vm, dir, mode);
    }

    /** Suspends into {@code dir} (under {@code suspended/<vmId>/}) and ends the VMM; the pre-lifecycle daemon's call. */
    public Template suspend(MicroVm microVm, Path dir) throws VmmException {
        try {
            Durable.createDirectories(dir);
        } catch (IOException e) {
            throw new VmmException("cannot create " + dir + ": " + e.getMessage(), e);
        }
        return suspendInto((QemuMicroVm) microVm, dir, SuspendMode.END_VMM);
    }

    private Template suspendInto(QemuMicroVm vm, Path dir, SuspendMode mode) throws VmmException {
        if (vm.kept() != null) {
            saves.remove(dir);
            throw new VmmException(vm.id() + " is already suspended (saved state " + vm.kept().id() + ")");
        }
        Template t = save(vm, dir);
        // the guest is stopped: whatever its streams were doing, the next HELLO aborts it in the guest
        vm.agent().abortStreams("the microVM was suspended");
        if (mode == SuspendMode.KEEP_VMM) {
            vm.keep(t, saves::foldQuietly);
            return t;
        }
        try {
            faults.before("end");
        } catch (IOException e) {
            LOG.debug("{}: a fault before ending a VMM whose save is durable changes nothing: {}", vm.id(), e.getMessage());
        }
        try {
            vm.qmp().execute("quit", QMP_TIMEOUT);
        } catch (VmmException e) {
            LOG.debug("{}: quit after a durable save: {}", vm.id(), e.getMessage()); // close() kills it
        }
        vm.close();
        saves.foldQuietly(t);
        return t;
    }

    /** Stops the guest and writes the saved state durably into {@code dir}; on any failure removes it and lets the guest run again. */
    private Template save(QemuMicroVm vm, Path dir) throws VmmException {
        try {
            Qmp qmp = vm.qmp();
            qmp.execute("stop", QMP_TIMEOUT); // QEMU drains and flushes every disk here
            faults.before("memory");
            String memoryFile;
            String delta = "delta";
            String deltaIndex = "delta.idx";
            long pages = 0;
            Template parent = vm.template();
            if (!vm.ownMemory() && (parent == null || parent.memory() == null)) {
                // RAM loaded from a state stream into a private mapping: no file to diff against, so it travels whole
                migrateState(vm, dir.resolve("state"));
                memoryFile = null;
                delta = null;
                deltaIndex = null;
            } else if (vm.ownMemory()) {
                // its RAM is its own shared file: QEMU never msyncs, so the dirty pages are durable only after this
                Path memory = vm.dir().resolve("memory");
                Durable.sync(memory);
                Files.createLink(dir.resolve("memory"), memory);
                Files.createFile(dir.resolve("delta")); // an empty delta: the memory file is whole
                Files.createFile(dir.resolve("delta.idx"));
                memoryFile = "memory";
            } else {
                long size = (long) vm.machine().memoryMiB() << 20;
                long base = GuestMemory.ramBase(vm.pid(), size);
                pages = GuestMemory.saveDirty(vm.pid(), base, size, dir.resolve("delta"), dir.resolve("delta.idx"));
                memoryFile = parent.memory().toString();
            }
            faults.before("devices");
            if (delta != null) {
                // QEMU writes it by name, so inside its jail: its own out directory, on the same filesystem as the save
                Path written = vm.dir().resolve(VMM_OUT).resolve("state");
                Files.deleteIfExists(written);
                qmp.execute("xen-save-devices-state", Map.of("filename", written.toString(), "live", false), QMP_TIMEOUT);
                Files.move(written, dir.resolve("state"), StandardCopyOption.ATOMIC_MOVE);
                Durable.sync(dir.resolve("state"));
            }
            faults.before("disk");
            Path disk = dir.resolve(SavedStates.DISK);
            Files.createLink(disk, vm.dir().resolve(SavedStates.DISK));
            Durable.sync(disk);
            if (Files.exists(vm.dir().resolve(SavedStates.BACKING_RECORD))) {
                Files.copy(vm.dir().resolve(SavedStates.BACKING_RECORD), dir.resolve(SavedStates.BACKING_RECORD));
            }
            SavedStates.createOverlay(disk, dir.resolve(SavedStates.OVERLAY));
            keepConsole(vm.dir(), dir); // the guest is stopped: its console ring is final until it runs again
            Durable.syncDirectory(dir);
            faults.before("manifest");
            Template t = new Template(dir.getFileName().toString(), vm.machine(), profileOf(vm.dir()), Instant.now(),
                    memoryFile, "state", SavedStates.DISK, SavedStates.OVERLAY, delta, deltaIndex, dir.toAbsolutePath());
            t.save();
            LOG.debug("suspended {} into {}: {} dirtied pages ({} MiB)", vm.id(), dir, pages, pages * GuestMemory.PAGE >> 20);
            return t;
        } catch (IOException | VmmException | RuntimeException e) {
            saves.remove(dir);
            try {
                vm.qmp().execute("cont", QMP_TIMEOUT);
            } catch (VmmException c) {
                e.addSuppressed(c);
            }
            throw new VmmException("suspending " + vm.id() + " failed (nothing was saved; the guest runs on): " + e.getMessage(), e);
        }
    }

    /**
     * Lets a kept VMM run again: the save is made unusable first (the running guest writes the
     * disk it shares), then {@code cont}, then HELLO; the save's files go in the background. Streams of the session
     * before the suspend end here, as they do in the guest on HELLO.
     */
    @Override
    public MicroVm resumeKept(MicroVm microVm, Identity identity) throws VmmException {
        QemuMicroVm vm = (QemuMicroVm) microVm;
        Template t = vm.kept();
        if (t == null) {
            throw new VmmException(vm.id() + " is not kept by a memory-tier suspend");
        }
        if (!vm.isAlive()) {
            throw new VmmException("the kept VMM of " + vm.id() + " is gone; its saved state " + t.id() + " is whole");
        }
        try {
            saves.invalidate(t.dir());
        } catch (IOException e) {
            throw new VmmException("cannot consume saved state " + t.id() + " of " + vm.id() + ": " + e.getMessage(), e);
        }
        try {
            vm.qmp().execute("cont", QMP_TIMEOUT);
        } catch (VmmException e) {
            throw failedCont(vm, t, e);
        }
        vm.running();
        vm.agent().abortStreams("the microVM was suspended");
        try {
            checkHello(vm.id(), vm.agent().hello(identity, config.restoreTimeout()));
        } catch (AgentException | VmmException e) {
            vm.process().kill(KILL_TIMEOUT);
            throw new VmmException("resuming " + vm.id() + " failed: its agent did not answer after it ran again; the VMM was ended: "
                    + e.getMessage(), e);
        }
        if (vm.network() != null) {
            try {
                connectNetwork(vm, vm.network());
            } catch (VmmException e) {
                try {
                    vm.close();
                } catch (VmmException c) {
                    e.addSuppressed(c);
                }
                throw new VmmException("resuming " + vm.id() + " failed: " + e.getMessage() + "; the VMM was ended", e);
            }
        }
        // already unusable: deleting it (a journal commit for a delta of many MiB, 50-150 ms on a busy disk) need not hold up the guest
        Thread.ofVirtual().name("remove-" + vm.id()).start(() -> saves.remove(t.dir()));
        return vm;
    }

    /** A {@code cont} that failed: when the guest provably did not run, the save is whole again; otherwise the VMM ends. */
    private VmmException failedCont(QemuMicroVm vm, Template t, VmmException e) {
        try {
            if (vm.isAlive() && !vm.qmp().execute("query-status", QMP_TIMEOUT).path("running").asBoolean()) {
                t.save();
                return new VmmException("resuming " + vm.id() + " failed, it stays kept: " + e.getMessage(), e);
            }
        } catch (IOException | VmmException again) {
            e.addSuppressed(again);
        }
        try {
            vm.process().kill(KILL_TIMEOUT);
        } catch (VmmException k) {
            e.addSuppressed(k);
        }
        return new VmmException("resuming " + vm.id() + " failed and the guest may have run, so saved state " + t.id()
                + " is no longer usable; the VMM was ended: " + e.getMessage(), e);
    }

    @Override
    public Optional<Template> saved(String vmId, String savedId) {
        return saves.find(vmId, savedId);
    }

    @Override
    public void discardSaved(String vmId, String keep) {
        saves.discard(vmId, keep, VmmProcess.adopt(vmsRoot().resolve(vmId)).isPresent());
    }

    @Override
    public void dropWarm(Template t) {
        standbys.drop(t);
        pool.drop(t);
    }

    private Path vmsRoot() {
        return config.dataDir().resolve("vms");
    }

    /** A test's view of one step of a suspend, called before it; what it throws fails the suspend there. */
    @FunctionalInterface
    interface Faults {
        /** Outside tests: only the crash tests' kill points ({@code suspend.engine.<step>}). */
        Faults NONE = step -> CrashPoints.reach("suspend.engine." + step);

        void before(String step) throws IOException;
    }

    void faults(Faults f) {
        this.faults = f;
    }

    @Override
    public MicroVm restore(Template t, String vmId, Identity identity) throws VmmException {
        return restore(t, vmId, identity, withoutSpec());
    }

    @Override
    public MicroVm restore(Template t, String vmId, Identity identity, NetworkSpec net) throws VmmException {
        checkCompatible(t);
        return complete(spawnWaiting(t, vmId, net), t, identity);
    }

    /** The network of a restore that names none: the benchmark's when it is on, else none. */
    private NetworkSpec withoutSpec() {
        return benchNetwork ? BENCH_SPEC : NetworkSpec.NONE;
    }

    /**
     * A standby of {@code t} when one is ready and still paused, else a warm VMM's restore, else a
     * restore from nothing (see {@link Hypervisor#keepStandby}); {@link MicroVm#startPath()} says
     * which. The standbys' refill is asked for once this is done, so it never delays the claim.
     */
    @Override
    public MicroVm restore(Template t, Function<String, Identity> identity) throws VmmException {
        checkCompatible(t);
        try {
            if (!withoutSpec().hasPath()) { // standbys serve NetworkSpec.NONE only
                QemuMicroVm s;
                while ((s = standbys.take(t)) != null) {
                    if (paused(s)) {
                        return claim(s, t, identity);
                    }
                    endQuietly(s);
                }
            }
            Waiting w = pool.take(t);
            boolean warm = w != null;
            if (w == null) {
                w = spawnWaiting(t, newVmId(), withoutSpec());
            }
            Identity id;
            try {
                id = identity.apply(w.vm.id());
            } catch (RuntimeException e) {
                closeQuietly(w.vm, w.vm.process(), w.layout); // a started VMM nobody will complete
                throw e;
            }
            MicroVm vm = complete(w, t, id);
            w.vm.startPath(warm ? StartPath.WARM : StartPath.COLD);
            return vm;
        } finally {
            standbys.refill(t);
        }
    }

    @Override
    public void keepStandby(Template t, int count) {
        standbys.target(t, count);
    }

    @Override
    public int standbyReady(Template t) {
        return standbys.ready(t);
    }

    /** The engine's side of the standby pool: QEMU processes restored, HELLO'd and stopped. */
    private final class StandbyMaker implements StandbyPool.Maker<QemuMicroVm> {
        @Override
        public QemuMicroVm make(Template t) throws VmmException {
            return makeStandby(t);
        }

        @Override
        public boolean alive(QemuMicroVm standby) {
            return standby.isAlive();
        }

        @Override
        public void end(QemuMicroVm standby) {
            endQuietly(standby);
        }
    }

    /**
     * A standby of {@code t}: everything a restore does before the claim's own work, then paused.
     * The VMM starts (marked as a standby first), the device state loads, the agent answers a
     * HELLO with a throwaway identity (so the guest's first run after the template, the agent's
     * wake-up and the host's channel are behind it), the {@link #WARM_UP_BUILTIN} when
     * {@link #standbyWarmUp} is on (it leaves no process, no file and the guest's last pid as it
     * was), then QMP {@code stop}. Nothing else runs in the guest; the claim's HELLO replaces all
     * of that identity.
     */
    QemuMicroVm makeStandby(Template t) throws VmmException {
        checkCompatible(t);
        long t0 = System.nanoTime();
        Waiting w = spawnWaiting(t, newVmId(), NetworkSpec.NONE, true);
        QemuMicroVm vm = (QemuMicroVm) complete(w, t, Identity.fresh(STANDBY_HOSTNAME));
        if (standbyWarmUp && warmsUp(vm.agent().agentVersion())) {
            warmUp(vm);
        }
        try {
            vm.qmp().execute("stop", QMP_TIMEOUT);
        } catch (VmmException e) {
            endQuietly(vm);
            throw new VmmException("standby " + vm.id() + " of template " + t.id() + " could not be paused: " + e.getMessage(), e);
        }
        vm.startPath(StartPath.STANDBY);
        LOG.debug("standby {} of template {} made in {} ms", vm.id(), t.id(), (System.nanoTime() - t0) / 1_000_000);
        return vm;
    }

    /**
     * Runs {@link #STANDBY_WARM_UP} in a standby before it is paused (see {@link #standbyWarmUp(boolean)}):
     * under TCG the first exec after a restore spends most of its time translating the guest's
     * fork, exec and exit paths, which this moves ahead of the claim.
     */
    private void warmUp(QemuMicroVm vm) throws VmmException {
        try {
            ExecResult r = vm.agent().run(STANDBY_WARM_UP, config.restoreTimeout());
            if (r.exitCode() != 0) {
                throw new VmmException("its warm-up exec exited with " + r.exitCode() + ": " + Commands.tail(r.stderrText()));
            }
        } catch (AgentException | VmmException e) {
            endQuietly(vm);
            throw new VmmException("standby " + vm.id() + " could not be warmed up: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            endQuietly(vm);
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted warming up standby " + vm.id(), e);
        }
    }

    /** True when an agent of this version (as its HELLO said) has the {@link #WARM_UP_BUILTIN}; an older template's standbys are not warmed up. */
    static boolean warmsUp(String agentVersion) {
        AgentVersion v = AgentVersion.parse(agentVersion);
        return v != null && v.compareTo(AgentVersion.WARM_UP_BUILTIN) >= 0;
    }

    /**
     * Whether standbys made from now on run {@link #STANDBY_WARM_UP} before they are paused; on by
     * default (off is for the benchmark's comparison). On, a claimed standby has also run and
     * reaped one re-execution of the agent's binary, which leaves no file and no process and sets
     * the guest's last pid back, so it shows what a fresh restore shows, and under TCG takes the
     * first exec after the claim from hundreds of ms to tens (docs/adr/0036-standby-pool.md has
     * the figures). A standby of a template whose agent predates the builtin is not warmed up.
     */
    public void standbyWarmUp(boolean on) {
        this.standbyWarmUp = on;
    }

    /** True when a standby's VMM answers QMP and its guest is paused (as it was left): only such a one is claimed. */
    private static boolean paused(QemuMicroVm s) {
        try {
            JsonNode status = s.qmp().execute("query-status", CLAIM_CHECK_TIMEOUT);
            if (!status.path("running").asBoolean(true) && "paused".equals(status.path("status").asText())) {
                return true;
            }
            LOG.warn("standby {} is not paused ({}) and is discarded", s.id(), status);
        } catch (VmmException e) {
            LOG.warn("standby {} does not answer and is discarded: {}", s.id(), e.getMessage());
        }
        return false;
    }

    /**
     * Hands a standby over to its claim: the identity is asked for (the daemon records the id),
     * the standby mark goes, the guest runs again and the claim's HELLO applies the identity. A
     * standby that fails here is ended and the same id restored from nothing, so the id the
     * caller recorded is the microVM it gets.
     */
    private MicroVm claim(QemuMicroVm vm, Template t, Function<String, Identity> identity) throws VmmException {
        Identity id;
        try {
            id = identity.apply(vm.id());
        } catch (RuntimeException e) {
            endQuietly(vm); // a paused standby nobody will claim
            throw e;
        }
        long t0 = System.nanoTime();
        try {
            Files.delete(vm.dir().resolve(STANDBY_MARK));
            vm.qmp().execute("cont", QMP_TIMEOUT);
            long tCont = System.nanoTime();
            checkHello(vm.id(), vm.agent().hello(id, config.restoreTimeout()));
            LOG.debug("claim {}: cont {} ms, hello {} ms", vm.id(), (tCont - t0) / 1_000_000, (System.nanoTime() - tCont) / 1_000_000);
            return vm;
        } catch (IOException | VmmException e) {
            LOG.warn("standby {} failed its claim and is ended; the microVM is restored from nothing under its id: {}",
                    vm.id(), e.getMessage());
            endQuietly(vm);
            MicroVm fresh = complete(spawnWaiting(t, vm.id(), NetworkSpec.NONE), t, id);
            ((QemuMicroVm) fresh).startPath(StartPath.COLD);
            return fresh;
        }
    }

    private static void endQuietly(QemuMicroVm vm) {
        try {
            vm.close();
        } catch (VmmException e) {
            LOG.warn("ending {}: {}", vm.id(), e.getMessage());
        }
    }

    /** Ends every standby a previous engine of this instance left (its VMM, files, jail and cgroup): nobody claims them now. */
    void reapStandbys() {
        try (var dirs = Files.list(vmsRoot())) {
            for (Path d : dirs.filter(d -> Files.exists(d.resolve(STANDBY_MARK))).toList()) {
                String vmId = d.getFileName().toString();
                try {
                    reap(vmId);
                    LOG.info("reaped standby {} left by an earlier engine", vmId);
                } catch (VmmException e) {
                    LOG.warn("standby {} left by an earlier engine could not be reaped: {}", vmId, e.getMessage());
                }
            }
        } catch (IOException e) {
            // no vms directory yet
        }
    }

    @Override
    public void keepWarm(Template t, int count) {
        pool.target(t, count);
    }

    /**
     * Re-attaches to a microVM whose VMM outlived the engine (a daemon restart): the VMM recorded
     * in its directory must still run with the recorded start time. Empty when it is gone. A VMM
     * found stopped (a suspend cut short, or a kept one) runs again, after every save sharing its
     * disk was made unusable. The identity is re-applied (same hostname and machine-id, fresh
     * entropy and clock).
     */
    @Override
    public Optional<MicroVm> adopt(String vmId, MachineSpec machine, Identity identity) throws VmmException {
        Path dir = vmsRoot().resolve(vmId);
        Optional<VmmProcess> p = VmmProcess.adopt(dir);
        if (p.isEmpty()) {
            return Optional.empty();
        }
        Layout l = new Layout(dir, config.runDir().resolve(vmId));
        AgentConnection agent = connectAgent(vmId, l, p.get(), config.restoreTimeout());
        agent.expectPreviousSession(); // the dead daemon's streams
        QemuMicroVm vm = new QemuMicroVm(vmId, machine, p.get(), dir, l.sockets, agent, Files.exists(dir.resolve("memory")));
        vm.cgroup(cgroupOf(vmId));
        try {
            if (!vm.ownMemory()) {
                vm.template(mappedTemplate(vm));
            }
            Qmp qmp = vm.qmp();
            if (!qmp.execute("query-status", QMP_TIMEOUT).path("running").asBoolean()) {
                saves.releaseLiveDisk(vmId);
                qmp.execute("cont", QMP_TIMEOUT);
                LOG.info("{}: its VMM was found stopped by an unfinished suspend and runs again", vmId);
            }
            checkHello(vmId, agent.hello(identity, config.restoreTimeout()));
            Optional<VethPath> net = network(vmId); // its namespace and rules outlived the daemon with the VMM
            if (net.isPresent()) {
                vm.network(net.get());
                connectNetwork(vm, net.get());
            }
        } catch (VmmException | IOException e) {
            vm.detach();
            throw new VmmException("adopting " + vmId + " failed: " + e.getMessage(), e);
        }
        return Optional.of(vm);
    }

    /** The template whose memory file an adopted VMM maps privately (what its next suspend writes a delta against), or null. */
    private static Template mappedTemplate(QemuMicroVm vm) throws VmmException {
        Optional<Path> file = GuestMemory.ramFile(vm.pid(), (long) vm.machine().memoryMiB() << 20);
        if (file.isEmpty() || !Files.exists(file.get().resolveSibling(Template.MANIFEST))) {
            return null;
        }
        try {
            return Template.load(file.get().getParent());
        } catch (IOException e) {
            LOG.warn("{}: its memory template {} cannot be read: {}", vm.id(), file.get().getParent(), e.getMessage());
            return null;
        }
    }

    /** The cgroup a jailed VMM of {@code vmId} runs in, or null (no jail, or none made). */
    private VmCgroup cgroupOf(String vmId) {
        return cgroups == null ? null : cgroups.existing(vmId).orElse(null);
    }

    /** Removes the cgroup of {@code vmId}, whose VMM is gone; logs what stays. */
    private void removeCgroup(String vmId) {
        VmCgroup c = cgroupOf(vmId);
        if (c != null) {
            QemuMicroVm.removeQuietly(c);
        }
    }

    /** Removes what a microVM left on the host when its VMM is already gone (after a crash). */
    public void cleanUp(String vmId) {
        removeCgroup(vmId);
        FileTrees.deleteQuietly(config.runDir().resolve(vmId));
        FileTrees.deleteQuietly(jailRoot(config.runDir(), vmId));
        FileTrees.deleteQuietly(config.dataDir().resolve("vms").resolve(vmId));
        try {
            VethPath.removeLeftovers(config.instanceId(), vmId); // two file checks when there is none
        } catch (VmmException e) {
            LOG.warn("cleanup of {}: {}", vmId, e.getMessage());
        }
    }

    /**
     * The console ring in the microVM's VMM directory while it has one (running, or kept by a
     * memory-tier suspend), else the one its newest saved state kept (docs/logs.md).
     */
    @Override
    public Optional<ConsoleRing> console(String vmId) {
        if (!VM_ID.matcher(vmId).matches()) {
            return Optional.empty();
        }
        Path live = vmsRoot().resolve(vmId);
        if (Files.exists(live.resolve(QemuArgs.CONSOLE))) {
            return Optional.of(ringIn(live));
        }
        try (var dirs = Files.list(saves.of(vmId))) {
            Optional<Path> newest = dirs.filter(d -> SavedStates.ID.matcher(d.getFileName().toString()).matches())
                    .filter(d -> Files.exists(d.resolve(QemuArgs.CONSOLE)))
                    .max(Comparator.comparingLong(d -> Long.parseLong(d.getFileName().toString())));
            if (newest.isPresent()) {
                return Optional.of(ringIn(newest.get()));
            }
        } catch (IOException e) {
            // no saved states
        }
        return Files.isDirectory(live) ? Optional.of(ringIn(live)) : Optional.empty();
    }

    private static ConsoleRing ringIn(Path dir) {
        return new ConsoleRing(dir.resolve(QemuArgs.CONSOLE), dir.resolve(QemuArgs.CONSOLE_OLDER));
    }

    /**
     * Hard-links the console ring of {@code from} into {@code to}: the same files, so a reader
     * holding one open reads on across a suspend or a resume. Logs only: a ring that cannot be
     * kept never fails the suspend or the resume.
     */
    private static void keepConsole(Path from, Path to) {
        for (String f : List.of(QemuArgs.CONSOLE, QemuArgs.CONSOLE_OLDER)) {
            try {
                if (Files.exists(from.resolve(f))) {
                    Files.createLink(to.resolve(f), from.resolve(f));
                }
            } catch (IOException | UnsupportedOperationException e) {
                LOG.warn("the console ring {} was not kept in {}: {}", from.resolve(f), to, e.toString());
            }
        }
    }

    /** Every microVM of this engine instance whose VMM runs (found through the jailers' pid files); standbys are not microVMs yet. */
    @Override
    public Set<String> liveVmms() {
        Set<String> out = new TreeSet<>();
        try (var dirs = Files.list(config.dataDir().resolve("vms"))) {
            for (Path d : dirs.toList()) {
                if (!Files.exists(d.resolve(STANDBY_MARK))) { // a standby is the pool's, not a microVM yet
                    VmmProcess.adopt(d).ifPresent(p -> out.add(d.getFileName().toString()));
                }
            }
        } catch (IOException e) {
            // no vms directory yet
        }
        return out;
    }

    @Override
    public void reap(String vmId) throws VmmException {
        Optional<VmmProcess> p = VmmProcess.adopt(vmsRoot().resolve(vmId));
        if (p.isPresent()) {
            p.get().kill(Duration.ofSeconds(10));
        }
        cleanUp(vmId);
    }

    /** How many VMMs for {@code t} are started and waiting right now. */
    public int warmReady(Template t) {
        return pool.ready(t);
    }

    /**
     * What a template made now carries in its memory besides the image: the guest agent binary
     * and the kernel command line the guest booted with, and the machine options its device state
     * was made under (SHA-256, hex). The first two do not show on restore and the last is restored
     * as recorded, so a template marked otherwise (made by an older Burrow) is not reused for a new
     * version, and the demo image and managed bases get a new version with today's.
     */
    public static String guestMark() throws VmmException {
        try {
            byte[] both = (GuestBinaries.sha256(GuestBinaries.AGENT) + "\n" + QemuArgs.KERNEL_CMDLINE + "\n" + QemuArgs.MACHINE)
                    .getBytes(StandardCharsets.UTF_8);
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(both));
        } catch (NoSuchAlgorithmException e) {
            throw new VmmException("no SHA-256 in this JDK: " + e.getMessage(), e);
        }
    }

    /** A fresh microVM id: "vm" and 24 base-32 characters, time-ordered like a ULID. */
    public static String newVmId() {
        return VmIds.next();
    }

    /**
     * The profile a snapshot or suspend of the VMM in {@code vmDir} records: this host's, with the
     * machine options that VMM was started with (a VMM started before they were recorded ran with
     * {@link QemuArgs#UNRECORDED_MACHINE}).
     */
    private HostProfile profileOf(Path vmDir) throws IOException {
        Path record = vmDir.resolve(QemuArgs.MACHINE_RECORD);
        return profile.withMachine(Files.exists(record) ? Files.readString(record).strip() : QemuArgs.UNRECORDED_MACHINE);
    }

    private void checkCompatible(Template t) throws TemplateMismatchException {
        List<String> mismatches = profile.restoreMismatches(t.profile(), QemuArgs::canStart);
        if (!mismatches.isEmpty()) {
            throw new TemplateMismatchException("template " + t.id() + " cannot be restored on this host: "
                    + String.join("; ", mismatches) + ". Rebuild the image version on this host.");
        }
    }

    /** A VMM for {@code t} started and listening for its device state; the guest does not exist yet. */
    record Waiting(QemuMicroVm vm, Layout layout, Path incoming, long startedNanos) {}

    Waiting spawnWaiting(Template t, String vmId) throws VmmException {
        return spawnWaiting(t, vmId, withoutSpec());
    }

    private Waiting spawnWaiting(Template t, String vmId, NetworkSpec spec) throws VmmException {
        return spawnWaiting(t, vmId, spec, false);
    }

    /** A waiting VMM; with {@code standby} its directory is marked as a standby's before the VMM starts. */
    private Waiting spawnWaiting(Template t, String vmId, NetworkSpec spec, boolean standby) throws VmmException {
        Layout l = layout(vmId);
        if (standby) {
            try {
                Files.createFile(l.dir.resolve(STANDBY_MARK));
            } catch (IOException e) {
                FileTrees.deleteQuietly(l.sockets);
                FileTrees.deleteQuietly(l.dir);
                throw new VmmException("cannot mark " + vmId + " as a standby: " + e.getMessage(), e);
            }
        }
        Path disk = l.dir.resolve(SavedStates.DISK);
        Optional<String> owner = saves.owner(t);
        try {
            if (owner.isPresent() && !owner.get().equals(vmId)) {
                saves.forkDisk(t, disk); // a fork: its own disk, reading nothing of the source's saves
            } else {
                if (owner.isPresent()) {
                    // checks the save's backing first (its VMM is gone: nothing rewrites it now); else a
                    // no-op unless a crash or a demotion skipped it
                    saves.fold(t);
                }
                Files.copy(t.pristineOverlay(), disk);
                if (owner.isPresent()) {
                    keepConsole(t.dir(), l.dir); // a resume: the jailer appends to the ring the save kept
                }
            }
            SavedStates.recordBacking(disk, l.dir);
        } catch (IOException | VmmException e) {
            FileTrees.deleteQuietly(l.sockets);
            FileTrees.deleteQuietly(l.dir);
            throw new VmmException("cannot create the disk of " + vmId + ": " + e.getMessage(), e);
        }
        Path incoming = l.sockets.resolve("migrate.sock");
        Path memory = t.memory();
        // RAM inside the state stream (a saved private microVM): load it into a private mapping of
        // an empty file; the template's memory file: map it privately, or copy it (OWN_FILE)
        // A save that carries its own memory file: copy it, so a private mapping never reads a file a kept VMM still writes
        boolean ownMemory = memory != null && (config.memoryModel() == MemoryModel.OWN_FILE || owner.isPresent() && memory.startsWith(t.dir()));
        if (memory == null || ownMemory) {
            memory = ownMemoryFile(t, l.dir.resolve("memory"));
        }
        QemuArgs.Files files = new QemuArgs.Files(vmlinuz, initramfs, memory, ownMemory, disk,
                l.dir.resolve(QemuArgs.CONSOLE), l.sockets.resolve("qmp.sock"), l.sockets.resolve("agent.sock"), true, t.delta() != null,
                t.profile().machine());
        long t0 = System.nanoTime();
        OnPath started = launchOnPath(vmId, t.machine(), files, l, spec);
        VethPath net = started.path();
        VmmProcess p = started.process();
        QemuMicroVm vm = null;
        try {
            // connect the agent first: HELLO will wait in the socket until the guest runs
            AgentConnection agent = connectAgent(vmId, l, p, config.restoreTimeout());
            if (t.delta() != null || owner.isPresent()) {
                agent.expectPreviousSession(); // a saved state: its agent may have had streams open
            }
            vm = new QemuMicroVm(vmId, t.machine(), p, l.dir, l.sockets, agent, ownMemory);
            vm.network(net);
            vm.cgroup(cgroupOf(vmId));
            vm.template(t.memory() != null && !ownMemory ? t : null);
            Qmp qmp = vm.qmp();
            // both ends must agree; a private RAM block is migrated whole either way
            qmp.execute("migrate-set-capabilities", QemuArgs.IGNORE_SHARED, QMP_TIMEOUT);
            qmp.execute("migrate-incoming", Map.of("uri", "unix:" + incoming), QMP_TIMEOUT);
            return new Waiting(vm, l, incoming, t0);
        } catch (VmmException e) {
            String tail = consoleTail(l);
            closeQuietly(vm, p, l);
            closeNetworkQuietly(net);
            throw new VmmException("starting a VMM for " + vmId + " failed: " + e.getMessage() + tail, e);
        }
    }

    /** A VMM just started and its network path (null: none). */
    private record OnPath(VmmProcess process, VethPath path) {
    }

    /**
     * Makes the network path {@code spec} asks for (none for NONE), then starts the VMM inside it:
     * what a boot and a restore share. A VMM that cannot start takes its new path with it.
     */
    private OnPath launchOnPath(String vmId, MachineSpec machine, QemuArgs.Files files, Layout l, NetworkSpec spec) throws VmmException {
        VethPath net = createNetwork(vmId, l, spec);
        try {
            return new OnPath(launch(vmId, machine, files, l, net), net);
        } catch (VmmException e) {
            closeNetworkQuietly(net);
            throw e;
        }
    }

    /** The network path of a new VMM for a mode with a network, its tap owned by the VMM's uid; null for NONE. */
    private VethPath createNetwork(String vmId, Layout l, NetworkSpec spec) throws VmmException {
        if (!spec.hasPath()) {
            return null;
        }
        try {
            long t0 = System.nanoTime();
            // a jailed VMM opens its tap as its own uid, without CAP_NET_ADMIN
            JailIds.Ids ids = config.jail() ? jailIds.allocate(vmsRoot(), l.dir) : null;
            VethPath path = VethPath.create(network, config.instanceId(), vmId, spec,
                    ids == null ? VethPath.ROOT_OWNED : Math.toIntExact(ids.uid()), ids == null ? VethPath.ROOT_OWNED : Math.toIntExact(ids.gid()));
            LOG.debug("{}: {} network path {} in {} ms", vmId, spec.mode(), path, (System.nanoTime() - t0) / 1_000_000);
            return path;
        } catch (VmmException e) {
            FileTrees.deleteQuietly(l.sockets);
            FileTrees.deleteQuietly(l.dir);
            throw new VmmException("network path of " + vmId + ": " + e.getMessage(), e);
        }
    }

    /**
     * Brings a guest onto its network path after every restore, resume and adoption: the NIC's
     * link goes up (a template saved it down), then the guest sets its address, route and
     * resolver with one exec, replacing what an earlier run of it set.
     */
    private void connectNetwork(QemuMicroVm vm, VethPath net) throws VmmException {
        long t0 = System.nanoTime();
        vm.qmp().execute("set_link", Map.of("name", "net0", "up", true), QMP_TIMEOUT);
        try {
            ExecResult r = vm.agent().run(guestSetup(vm.agent(), net), network.guestTimeout());
            if (r.exitCode() != 0) {
                throw new VmmException("the guest could not configure " + VethPath.GUEST_IFACE + " (exit " + r.exitCode() + "): "
                        + Commands.tail(r.stderrText()));
            }
        } catch (AgentException e) {
            throw new VmmException("configuring the guest's network: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted configuring the guest's network", e);
        }
        LOG.debug("{}: guest network configured in {} ms", vm.id(), (System.nanoTime() - t0) / 1_000_000);
    }

    /** The agent's {@code net} builtin when it has one, else the image's {@code ip} through {@code sh}. */
    private static ExecRequest guestSetup(AgentConnection agent, VethPath net) {
        AgentVersion v = AgentVersion.parse(agent.agentVersion());
        if (v != null && v.compareTo(AgentVersion.NET_BUILTIN) >= 0) {
            return ExecRequest.of(net.guestSetupBuiltin().toArray(String[]::new)).asBuiltin();
        }
        return ExecRequest.of(net.guestSetup().toArray(String[]::new));
    }

    private static void closeNetworkQuietly(VethPath net) {
        if (net == null) {
            return;
        }
        try {
            net.close();
        } catch (VmmException e) {
            LOG.warn("cleanup: {}", e.getMessage());
        }
    }

    /** Sends the device state, lets the guest run and applies its identity. */
    private MicroVm complete(Waiting w, Template t, Identity identity) throws VmmException {
        QemuMicroVm vm = w.vm;
        long t0 = System.nanoTime();
        try {
            if (t.delta() != null) {
                // the guest does not exist until its device state loads: write its dirtied pages first
                long base = GuestMemory.ramBase(vm.pid(), (long) t.machine().memoryMiB() << 20);
                GuestMemory.loadDirty(vm.pid(), base, t.delta(), t.deltaIndex());
            }
            try (SocketChannel in = UnixSockets.connect(w.incoming, config.restoreTimeout(), vm::isAlive);
                 FileChannel state = FileChannel.open(t.state(), StandardOpenOption.READ)) {
                long size = state.size();
                for (long sent = 0; sent < size; ) {
                    sent += state.transferTo(sent, size - sent, in);
                }
            }
            long tState = System.nanoTime();
            checkHello(vm.id(), vm.agent().hello(identity, config.restoreTimeout()));
            if (vm.network() != null) {
                connectNetwork(vm, vm.network());
            }
            LOG.debug("restore {}: VMM ready {} ms before, state {} ms, hello {} ms", vm.id(), (t0 - w.startedNanos) / 1_000_000,
                    (tState - t0) / 1_000_000, (System.nanoTime() - tState) / 1_000_000);
            return vm;
        } catch (IOException | VmmException e) {
            String tail = consoleTail(w.layout);
            closeQuietly(vm, vm.process(), w.layout);
            throw new VmmException("restore of " + vm.id() + " from template " + t.id() + " failed: " + e.getMessage() + tail, e);
        }
    }

    /** The template memory as this microVM's own file: a reflink where possible, else a sparse copy. No template memory: an empty file the incoming stream fills. */
    private static Path ownMemoryFile(Template t, Path target) throws VmmException {
        if (t.memory() == null) {
            try (RandomAccessFile f = new RandomAccessFile(target.toFile(), "rw")) {
                f.setLength((long) t.machine().memoryMiB() << 20);
            } catch (IOException e) {
                throw new VmmException("cannot create the memory file " + target + ": " + e.getMessage(), e);
            }
        } else {
            Commands.run(List.of("cp", "--reflink=auto", "--sparse=always", t.memory().toString(), target.toString()), 120);
        }
        return target;
    }

    private AgentConnection connectAgent(String vmId, Layout l, VmmProcess p, Duration timeout) throws VmmException {
        try {
            SocketChannel ch = UnixSockets.connect(l.sockets.resolve("agent.sock"), timeout, p::isAlive);
            return new AgentConnection(ch, vmId, new LoggingEvents(vmId), config.corruptFramesPerMinute(), Duration.ofSeconds(10));
        } catch (IOException e) {
            throw new VmmException("agent socket: " + e.getMessage(), e);
        }
    }

    private static void checkHello(String vmId, HelloAck ack) throws VmmException {
        if (ack.protocolVersion() != AgentConnection.PROTOCOL_VERSION) {
            throw new VmmException("agent of " + vmId + " speaks protocol " + ack.protocolVersion());
        }
        if ((ack.problems() & (HelloAck.PROBLEM_RNG | HelloAck.PROBLEM_MACHINE_ID | HelloAck.PROBLEM_HOSTNAME)) != 0) {
            // a restored VM that kept the template's identity must never serve traffic
            throw new VmmException("agent of " + vmId + " could not apply its identity: " + ack.detail());
        }
        if (!ack.clean()) {
            LOG.warn("{}: {}", vmId, ack.detail());
        }
    }

    /**
     * Starts the VMM; with a network path {@code net} (null: none) inside its namespace, the NIC
     * backed by its tap. Its machine options are recorded in its directory first, so a snapshot or
     * a suspend of it, also after a daemon restart adopted it, records the options it runs with.
     */
    private VmmProcess launch(String vmId, MachineSpec machine, QemuArgs.Files files, Layout l, VethPath net) throws VmmException {
        String name = config.instanceId() + "/" + vmId;
        try {
            Files.writeString(l.dir.resolve(QemuArgs.MACHINE_RECORD), files.machine());
        } catch (IOException e) {
            throw new VmmException("cannot record the machine options of " + vmId + ": " + e.getMessage(), e);
        }
        List<String> argv = QemuArgs.build(config.qemuBinary(), name, accel, config.tbSizeMiB(), tscKhz, machine, files,
                net == null ? null : VethPath.TAP);
        try {
            JailSpec jail = config.jail() ? jail(vmId, machine, files, l, net != null) : null;
            return VmmProcess.launch(jailer, name, l.dir, argv, files.console(), net == null ? null : net.netnsPath(), jail,
                    Duration.ofSeconds(10));
        } catch (VmmException e) {
            FileTrees.deleteQuietly(l.sockets);
            FileTrees.deleteQuietly(l.dir);
            FileTrees.deleteQuietly(jailRoot(config.runDir(), vmId));
            throw e;
        }
    }

    /** Where the VMM of {@code vmId} finds its root: an empty directory on the host. */
    static Path jailRoot(Path runDir, String vmId) {
        return runDir.resolve(JAILS).resolve(vmId);
    }

    /**
     * The jail of one VMM, its files handed to the right owners first: what the VMM writes (its
     * disk, its own memory file, its socket and out directories) becomes its uid's; what it only
     * reads (the disk's whole backing chain, a template's memory file) is bound read-only and
     * belongs to root and the instance's VMM group. Nothing else of the data directory is there.
     */
    private JailSpec jail(String vmId, MachineSpec machine, QemuArgs.Files f, Layout l, boolean network) throws VmmException {
        JailIds.Ids ids = jailIds.allocate(vmsRoot(), l.dir);
        Path root = jailRoot(config.runDir(), vmId);
        JailSpec.Binds binds = new JailSpec.Binds();
        try {
            Files.createDirectories(root);
            Path out = l.dir.resolve(VMM_OUT);
            JailFiles.own(out, ids);
            JailFiles.own(l.sockets, ids);
            binds.writable(l.sockets).writable(out).readOnly(f.kernel()).readOnly(f.initramfs());
            if (f.memoryShared() || f.memory().startsWith(l.dir)) {
                if (!Files.exists(f.memory())) {
                    Files.createFile(f.memory()); // QEMU sizes an empty file itself
                }
                JailFiles.own(f.memory(), ids);
                binds.writable(f.memory());
            } else {
                shareReadOnly(f.memory(), templateMemoryWritable);
                if (templateMemoryWritable) {
                    binds.writable(f.memory()); // docs/adr/0017-the-jail.md: the gap of QEMU < 8.2
                } else {
                    binds.readOnly(f.memory());
                }
            }
            JailFiles.own(f.disk(), ids);
            binds.writable(f.disk());
            for (Path backing : QcowImages.chain(f.disk())) {
                shareReadOnly(backing, false);
                binds.readOnly(backing);
            }
        } catch (IOException e) {
            throw new VmmException("cannot prepare the jail of " + vmId + ": " + e.getMessage(), e);
        }
        List<Path> devices = new ArrayList<>(JailSpec.BASE_DEVICES);
        if (accel == Accelerator.KVM) {
            devices.add(JailSpec.KVM);
        }
        if (network) {
            devices.add(JailSpec.TUN);
        }
        VmCgroup cgroup = cgroups.create(vmId, cgroups.limits(machine, accel == Accelerator.TCG ? config.tbSizeMiB() : 0));
        return new JailSpec(ids, root, vmId, binds.toList(), devices, cgroup.procsFiles(), JailSpec.NOFILE_DEFAULT, JailSpec.NPROC_DEFAULT);
    }

    /** A file jails read: root and the VMM group's when it is the instance's; files elsewhere (a caller's image) keep their owners. */
    private void shareReadOnly(Path file, boolean groupWritable) throws IOException {
        if (file.toAbsolutePath().normalize().startsWith(config.dataDir())) {
            JailFiles.share(file, jailIds.group(), groupWritable);
        }
    }

    private static long receive(ServerSocketChannel server, Path target) {
        try (SocketChannel c = server.accept();
             FileChannel out = FileChannel.open(target, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
            long total = 0;
            long n;
            while ((n = out.transferFrom(c, total, 1 << 20)) > 0) {
                total += n;
            }
            out.force(true);
            return total;
        } catch (IOException e) {
            throw new IllegalStateException("receiving device state: " + e.getMessage(), e);
        }
    }

    private static void awaitMigration(Qmp qmp) throws VmmException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            JsonNode r = qmp.execute("query-migrate", QMP_TIMEOUT);
            String status = r.path("status").asText();
            if (status.equals("completed")) {
                return;
            }
            if (status.equals("failed") || status.equals("cancelled")) {
                throw new VmmException("migration " + status + ": " + r.path("error-desc").asText());
            }
            if (System.nanoTime() > deadline) {
                throw new VmmException("migration did not complete within 60 s (status " + status + ")");
            }
            LockSupport.parkNanos(1_000_000);
        }
    }

    record Layout(Path dir, Path sockets) {}

    private Layout layout(String vmId) throws VmmException {
        if (!VM_ID.matcher(vmId).matches()) {
            throw new IllegalArgumentException("vmId must be a DNS label of at most 40 chars: " + vmId);
        }
        Layout l = new Layout(config.dataDir().resolve("vms").resolve(vmId), config.runDir().resolve(vmId));
        try {
            if (Files.exists(l.dir)) {
                throw new VmmException("microVM " + vmId + " already exists in " + l.dir);
            }
            Files.createDirectories(l.dir);
            Files.createDirectories(l.dir.resolve(VMM_OUT));
            Files.createDirectories(l.sockets);
        } catch (IOException e) {
            throw new VmmException("cannot create directories for " + vmId + ": " + e.getMessage(), e);
        }
        return l;
    }

    private void closeQuietly(QemuMicroVm vm, VmmProcess p, Layout l) {
        try {
            if (vm != null && System.getenv("BURROW_KEEP_FAILED") == null) {
                vm.close();
            } else {
                if (vm != null) {
                    vm.agent().close();
                }
                p.kill(Duration.ofSeconds(10));
            }
        } catch (VmmException e) {
            LOG.warn("cleanup: {}", e.getMessage());
        }
        FileTrees.deleteQuietly(l.sockets);
        FileTrees.deleteQuietly(jailRoot(l.sockets.getParent(), l.dir.getFileName().toString()));
        removeCgroup(l.dir.getFileName().toString());
        if (System.getenv("BURROW_KEEP_FAILED") != null) {
            LOG.warn("BURROW_KEEP_FAILED is set: keeping {} for a post-mortem", l.dir);
        } else {
            FileTrees.deleteQuietly(l.dir);
        }
    }

    private static String consoleTail(Layout l) {
        StringBuilder sb = new StringBuilder();
        // console.log.1 is the older half of the console ring; a guest may print any bytes
        for (String f : List.of("vmm.stderr", "jailer.log", QemuArgs.CONSOLE_OLDER, QemuArgs.CONSOLE)) {
            try {
                String s = new String(Files.readAllBytes(l.dir.resolve(f)), StandardCharsets.UTF_8);
                if (!s.isBlank()) {
                    sb.append("\n--- ").append(f).append(" ---\n").append(Commands.tail(s));
                }
            } catch (IOException ignored) {
                // not there
            }
        }
        return sb.toString();
    }

    /** The jailer execs without a PATH search: give it an absolute path. */
    private static String resolveExecutable(String name) throws VmmException {
        if (name.contains("/")) {
            return name;
        }
        for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(":")) {
            Path p = Path.of(dir.isEmpty() ? "." : dir, name);
            if (Files.isExecutable(p)) {
                return p.toAbsolutePath().toString();
            }
        }
        throw new VmmException(name + " was not found on PATH: install qemu-system-x86 (`./burrow up` or .ci/run does)");
    }

    private static String qemuVersion(String qemu) throws VmmException {
        String out = Commands.run(List.of(qemu, "--version"), 10);
        Matcher m = VERSION.matcher(out);
        if (!m.find()) {
            throw new VmmException("cannot read the version of " + qemu + ": " + out);
        }
        return m.group(1);
    }

    /** The host's TSC rate as its kernel reports it ("cpu MHz" of the first CPU), or 0 when unknown. */
    static long hostTscKhz() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(s -> s.startsWith("cpu MHz"))
                    .findFirst().map(s -> Math.round(Double.parseDouble(s.substring(s.indexOf(':') + 1).trim()) * 1000)).orElse(0L);
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
    }

    private static String hostCpu(Accelerator accel) {
        if (accel != Accelerator.KVM) {
            return "";
        }
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(s -> s.startsWith("model name"))
                    .findFirst().map(s -> " (" + s.substring(s.indexOf(':') + 1).trim() + ")").orElse("");
        } catch (IOException e) {
            return "";
        }
    }

    private record LoggingEvents(String vmId) implements AgentEvents {
        @Override
        public void corrupt(String what) {
            LOG.warn("{}: agent channel: {}", vmId, what);
        }

        @Override
        public void log(String line) {
            LOG.info("{}: agent: {}", vmId, line);
        }

        @Override
        public void closed(String reason, boolean violation) {
            if (violation) {
                LOG.error("{}: agent broke the protocol: {}", vmId, reason);
            }
        }
    }

    /**
     * Ends the standbys and stops the warm pool's VMMs; running microVMs outlive the engine on purpose (a restarted daemon
     * adopts them). The instance's run directory goes too once no microVM's sockets are left in it.
     */
    @Override
    public void close() {
        standbys.close();
        pool.close();
        if (cgroups != null) {
            cgroups.reapExcept(liveVmms()); // the instance's directory goes with its last VMM
        }
        try {
            Files.deleteIfExists(config.runDir().resolve(JAILS));
            Files.deleteIfExists(config.runDir());
        } catch (DirectoryNotEmptyException running) {
            // live VMMs' sockets: the next daemon of this instance adopts them there
        } catch (IOException e) {
            LOG.debug("could not remove {}: {}", config.runDir(), e.toString());
        }
    }
}
