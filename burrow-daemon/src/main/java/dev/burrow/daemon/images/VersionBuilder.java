package dev.burrow.daemon.images;

import dev.burrow.oci.BlobStore;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Ext4Image;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.ImageUnpacker;
import dev.burrow.oci.ResolvedImage;
import dev.burrow.oci.UnpackLimits;
import dev.burrow.vmm.Hypervisor;
import dev.burrow.vmm.MachineSpec;
import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.Template;
import dev.burrow.vmm.agent.AgentEvents;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.Identity;
import dev.burrow.vmm.internal.FileTrees;
import dev.burrow.vmm.qemu.QemuHypervisor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * Builds one version: unpack the layers into a staging root, make the ext4 disk, boot it, start
 * the entrypoint, wait for ready, warm the page cache, take the template snapshot, validate on a
 * restored test microVM. Each phase is timed; any failure names the phase and the problem.
 *
 * <p>Unpacking is bounded by the version's {@code resources.diskMiB} ({@link UnpackLimits}); the
 * build microVM's id is scoped by tenant ({@link #builderId}); entrypoint exits are coalesced
 * ({@link EntrypointExits}) so a guest cannot turn exit frames into writes.
 */
final class VersionBuilder {
    /** Longest engine id (SPEC §0: a DNS label of at most 40 characters). */
    static final int MAX_VM_ID = 40;
    /** Beside a template's files: the sha256 of the agent binary it was made with. */
    static final String AGENT_MARK = "burrow-agent.sha256";

    /** A build step failed; the message becomes the version's {@code stateReason}. */
    static final class BuildFailure extends Exception {
        BuildFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    record Result(BuildSettings effective, EntrypointStatus entrypoint, Map<String, Long> phases, Template template) {}

    private final String tenant;
    private final Hypervisor engine;
    private final BlobStore blobs;
    private final Consumer<ImageEvent> events;
    private final SourceResolver registry;
    private final SourceResolver dockerfile;
    /** Held while the image is resolved and unpacked (the collector's {@code BuildGate}); uncontended by default. */
    private volatile Lock resolving = new ReentrantReadWriteLock().readLock();
    /** The versions of an image, oldest first: candidates for {@link #reuse}. */
    private final Function<String, List<ImageVersion>> versionsOf;

    VersionBuilder(String tenant, Hypervisor engine, BlobStore blobs, Consumer<ImageEvent> events, SourceResolver registry,
            SourceResolver dockerfile, Function<String, List<ImageVersion>> versionsOf) {
        this.tenant = tenant;
        this.versionsOf = versionsOf;
        this.engine = engine;
        this.blobs = blobs;
        this.events = events;
        this.registry = registry;
        this.dockerfile = dockerfile;
    }

    /** Holds {@code lock} from resolving a version's image until its image.json is written. */
    void guardResolution(Lock lock) {
        this.resolving = lock;
    }

    Result build(ImageVersion v, ImageSourceSpec source, Path versionDir, BuildLogFile log) throws BuildFailure, InterruptedException {
        Map<String, Long> phases = new LinkedHashMap<>();
        Path staging = versionDir.resolve("staging");
        Path disk = versionDir.resolve("rootfs.ext4");
        BuildSettings s = v.settings();
        ImageConfig config;
        long t = System.nanoTime();
        Lock gate = resolving;
        gate.lock(); // a prune keeps off the blobs this build finds or writes until image.json names them
        try {
            ImageSource src = open(source, v, versionDir, log);
            if (!(source instanceof ImageSourceSpec.HostPath)) {
                phases.put("source", millisSince(t)); // the pull or the Dockerfile build
                t = System.nanoTime();
            }
            ResolvedImage resolved = src.resolve();
            Descriptor record = src.storeAsManifest(blobs, resolved);
            ImageRecord.write(versionDir, record);
            Optional<Result> reused = reuse(v, versionDir, record, fillFromImage(s, resolved.config()), log);
            if (reused.isPresent()) {
                phases.put("resolve", millisSince(t));
                phases.putAll(reused.get().phases());
                return new Result(reused.get().effective(), reused.get().entrypoint(), phases, reused.get().template());
            }
            UnpackLimits limits = new UnpackLimits(s.resources().diskMiB());
            ImageUnpacker.Result unpacked = new ImageUnpacker().unpack(src, staging, log, limits);
            config = unpacked.config();
            log.info("unpacked " + unpacked.image().layers().size() + " layers, " + unpacked.bytesWritten() + " bytes, platform "
                    + unpacked.image().platform() + ", manifest " + unpacked.image().manifestDigest());
            if (unpacked.suppressedWarnings() > 0) {
                log.warn(unpacked.suppressedWarnings() + " more warnings not shown");
            }
        } catch (IOException e) {
            throw new BuildFailure("unpacking the image failed: " + e.getMessage(), e);
        } finally {
            gate.unlock();
            if (!phases.containsKey("reuse")) {
                phases.put("unpack", millisSince(t));
            }
        }
        BuildSettings effective = fillFromImage(s, config);
        t = System.nanoTime();
        try {
            Ext4Image.Result r = Ext4Image.build(staging, disk, effective.resources().diskMiB());
            log.info("ext4 disk " + r.sizeBytes() / 1048576 + " MiB, " + r.usedBytes() / 1048576 + " MiB used");
        } catch (IOException e) {
            throw new BuildFailure("making the disk failed: " + e.getMessage(), e);
        } finally {
            phases.put("mkfs", millisSince(t));
            FileTrees.deleteQuietly(staging);
        }

        Resources res = effective.resources();
        MachineSpec machine = new MachineSpec(res.vcpus(), res.memoryMiB());
        String builderId = builderId(tenant, v.image(), v.version());
        t = System.nanoTime();
        MicroVm vm;
        try {
            vm = engine.boot(builderId, machine, disk, Identity.fresh(builderId));
        } catch (Exception e) {
            throw new BuildFailure("booting the image failed: " + e.getMessage(), e);
        } finally {
            phases.put("boot", millisSince(t));
        }
        log.info("booted in " + phases.get("boot") + " ms");
        AtomicReference<EntrypointStatus> ep = new AtomicReference<>(EntrypointStatus.NONE);
        try {
            startEntrypoint(vm, effective, v, ep, log);
            t = System.nanoTime();
            Hook ready = effective.hooks().ready();
            if (ready.enabled()) {
                log.info("waiting for the ready hook on port " + effective.hooks().port() + " (timeout " + ready.timeoutSeconds() + " s)");
                HookCaller.Outcome o = HookCaller.call(vm.agent(), effective.hooks().port(), "ready", new byte[0],
                        Duration.ofSeconds(ready.timeoutSeconds()), true);
                if (!o.ok()) {
                    throw new BuildFailure("the ready hook failed: " + o.describe(), null);
                }
                log.info("ready hook answered 200");
            }
            phases.put("ready", millisSince(t));
            warmUp(vm);
            t = System.nanoTime();
            Template template;
            try {
                template = engine.snapshot(vm, versionDir.resolve("template"));
            } catch (Exception e) {
                throw new BuildFailure("the template snapshot failed: " + e.getMessage(), e);
            }
            phases.put("snapshot", millisSince(t));
            recordAgent(template, log);
            log.info("template snapshot taken in " + phases.get("snapshot") + " ms");
            t = System.nanoTime();
            validate(template, effective, log);
            phases.put("validate", millisSince(t));
            return new Result(effective, ep.get(), phases, template);
        } finally {
            try {
                vm.close();
            } catch (Exception e) {
                log.warn("closing the build microVM: " + e.getMessage());
            }
        }
    }

    /**
     * An unchanged rebuild: when a READY version of the same image has the same image record
     * (manifest digest) and the same effective settings, and its template is there and was made
     * on a host like this one, the new version shares that template instead of making the disk,
     * booting and snapshotting again. The template stays until the last version using it goes.
     */
    private Optional<Result> reuse(ImageVersion v, Path versionDir, Descriptor record, BuildSettings effective, BuildLogFile log) {
        for (ImageVersion o : versionsOf.apply(v.image()).reversed()) {
            if (o.version() == v.version() || o.state() != VersionState.READY || o.templateDir() == null
                    || !effective.equals(o.settings())) {
                continue;
            }
            try {
                Optional<Descriptor> theirs = ImageRecord.read(versionDir.resolveSibling(Integer.toString(o.version())));
                if (theirs.isEmpty() || !theirs.get().digest().equals(record.digest())
                        || !Files.isRegularFile(o.templateDir().resolve(Template.MANIFEST)) || !sameAgent(o.templateDir())) {
                    continue;
                }
                Template template = Template.load(o.templateDir());
                if (!engine.profile().mismatches(template.profile()).isEmpty()) {
                    continue;
                }
                log.info("template reused from " + o.ref() + ": same image " + record.digest() + " and settings");
                Map<String, Long> phases = new LinkedHashMap<>();
                phases.put("reuse", 0L);
                return Optional.of(new Result(effective, o.entrypoint(), phases, template));
            } catch (IOException e) {
                log.warn("cannot reuse the template of " + o.ref() + ": " + e.getMessage());
            }
        }
        return Optional.empty();
    }

    /**
     * The guest agent and the kernel command line live in the template's memory: a template made
     * with another agent binary or command line (an upgraded Burrow; QemuHypervisor.guestMark) is
     * never reused, so the new version gets the new ones.
     */
    private static void recordAgent(Template template, BuildLogFile log) {
        try {
            Files.writeString(template.dir().resolve(AGENT_MARK), QemuHypervisor.guestMark() + "\n");
        } catch (Exception e) {
            log.warn("cannot record the template's agent (it will not be reused): " + e.getMessage());
        }
    }

    private static boolean sameAgent(Path templateDir) {
        try {
            Path mark = templateDir.resolve(AGENT_MARK);
            return Files.isRegularFile(mark) && Files.size(mark) < 1024
                    && Files.readString(mark).strip().equals(QemuHypervisor.guestMark());
        } catch (Exception e) {
            return false;
        }
    }

    /**
     * The version's image: a host path opens in place (an archive is imported into the store);
     * a registry reference or a Dockerfile goes through its {@link SourceResolver}, which leaves
     * the image in the shared store. Resolvers work in {@code <versionDir>/source}, removed after.
     */
    private ImageSource open(ImageSourceSpec source, ImageVersion v, Path versionDir, BuildLogFile log)
            throws IOException, BuildFailure, InterruptedException {
        SourceResolver resolver;
        switch (source) {
            case ImageSourceSpec.HostPath p -> {
                return ImageSource.open(p.path(), p.format(), blobs);
            }
            case ImageSourceSpec.Registry r -> resolver = registry;
            case ImageSourceSpec.Dockerfile d -> resolver = dockerfile;
        }
        if (resolver == null) {
            throw new BuildFailure("this Burrow cannot build " + source.getClass().getSimpleName().toLowerCase(Locale.ROOT)
                    + " sources", null);
        }
        Path work = versionDir.resolve("source");
        try {
            Descriptor top = resolver.resolve(source, new SourceContext(tenant, v, Files.createDirectories(work), log, blobs));
            return ImageSource.fromStore(blobs, top);
        } catch (SourceResolver.SourceFailure e) {
            throw new BuildFailure(e.getMessage(), e);
        } finally {
            FileTrees.deleteQuietly(work);
        }
    }

    private void startEntrypoint(MicroVm vm, BuildSettings s, ImageVersion v, AtomicReference<EntrypointStatus> ep, BuildLogFile log)
            throws BuildFailure, InterruptedException {
        List<String> argv = new ArrayList<>(s.entrypoint() == null ? List.of() : s.entrypoint());
        argv.addAll(s.cmd() == null ? List.of() : s.cmd());
        if (argv.isEmpty()) {
            log.info("the image has no entrypoint or cmd: nothing to start");
            return;
        }
        EntrypointExits exits = new EntrypointExits(v.ref(), ep, log, events);
        vm.agent().listen(exits);
        ExecRequest req = new ExecRequest(argv, s.env() == null ? Map.of() : s.env(), s.workdir(), s.user(), false, true);
        try {
            ExecSession session = vm.agent().exec(req);
            ExecEvent first = session.next(Duration.ofSeconds(30));
            if (!(first instanceof ExecEvent.Started started)) {
                throw new BuildFailure("the entrypoint " + argv + " could not be started: "
                        + (first instanceof ExecEvent.Failed f ? f.message() : "no answer within 30 s"), null);
            }
            ep.compareAndSet(EntrypointStatus.NONE, EntrypointStatus.RUNNING);
            log.info("entrypoint " + argv + " started as pid " + started.pid());
            awaitSettled(vm, started.pid(), ep, log);
            if (exits.count() > 1) {
                log.info("the entrypoint exited " + exits.count() + " times; only the first exit is logged and reported");
            }
        } catch (dev.burrow.vmm.agent.AgentException e) {
            throw new BuildFailure("the entrypoint could not be started: " + e.getMessage(), e);
        }
    }

    /**
     * Waits (at most 15 s) until the entrypoint has exited or is sleeping — blocked on input, a
     * socket or a timer — so the template captures a settled process: an entrypoint that exits
     * at once is recorded as exited instead of racing the snapshot. Reads the process state with
     * the image's own {@code cat}; an image without one is not waited for.
     */
    private static void awaitSettled(MicroVm vm, int pid, AtomicReference<EntrypointStatus> ep, BuildLogFile log)
            throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < deadline) {
            if (ep.get().state() == EntrypointStatus.State.EXITED) {
                return;
            }
            dev.burrow.vmm.agent.ExecResult stat;
            try {
                stat = vm.agent().run(ExecRequest.of("cat", "/proc/" + pid + "/stat"), Duration.ofSeconds(10));
            } catch (Exception e) {
                return;
            }
            String text = stat.stdoutText();
            int close = text.lastIndexOf(')');
            if (stat.exitCode() != 0 || close < 0 || close + 2 >= text.length()) {
                // gone: its exit report is on its way
                long exitDeadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (ep.get().state() != EntrypointStatus.State.EXITED && System.nanoTime() < exitDeadline) {
                    Thread.sleep(20);
                }
                return;
            }
            char state = text.charAt(close + 2);
            if (state == 'S' || state == 'I' || state == 'T' || state == 't') {
                log.info("entrypoint settled (state " + state + ")");
                return;
            }
            Thread.sleep(100);
        }
        log.info("entrypoint still busy after 15 s; taking the snapshot anyway");
    }

    /**
     * The build microVM's engine id: {@code build-<hash>-<version>-<image>}, cut to
     * {@link #MAX_VM_ID} characters. The hash covers tenant, image and version, so two tenants'
     * builds of the same image name never share an id; the rest is for people reading logs.
     */
    static String builderId(String tenant, String image, int version) {
        return BuildVmIds.of("build", tenant, image, version, MAX_VM_ID);
    }

    /**
     * Records the entrypoint's exits during a build. Every exit updates the in-memory status, but
     * only the first is logged and emitted as an event (a persisted write): a guest restarting
     * its entrypoint in a loop cannot flood the build log or the database.
     */
    static final class EntrypointExits implements AgentEvents {
        private final String ref;
        private final AtomicReference<EntrypointStatus> status;
        private final BuildLog log;
        private final Consumer<ImageEvent> events;
        private final AtomicInteger count = new AtomicInteger();

        EntrypointExits(String ref, AtomicReference<EntrypointStatus> status, BuildLog log, Consumer<ImageEvent> events) {
            this.ref = ref;
            this.status = status;
            this.log = log;
            this.events = events;
        }

        @Override
        public void entrypointExited(int exitCode, int signal) {
            status.set(EntrypointStatus.exited(exitCode, Instant.now()));
            if (count.incrementAndGet() == 1) {
                log.info("entrypoint exited with code " + exitCode);
                events.accept(new ImageEvent(Instant.now(), "entrypoint-exited", ref, "RUNNING", "EXITED", "exit code " + exitCode));
            }
        }

        int count() {
            return count.get();
        }
    }

    /** Runs the shell once so the template's page cache holds it: every restored microVM's first exec is then faster. */
    private static void warmUp(MicroVm vm) {
        try {
            vm.agent().run(ExecRequest.of("/bin/sh", "-c", "true"), Duration.ofSeconds(30));
        } catch (Exception e) {
            // an image without a shell is fine
        }
    }

    private void validate(Template template, BuildSettings s, BuildLogFile log) throws BuildFailure, InterruptedException {
        Hook validate = s.hooks().validate();
        if (!validate.enabled()) {
            return;
        }
        log.info("validating on a microVM restored from the template (timeout " + validate.timeoutSeconds() + " s)");
        try (MicroVm test = engine.restore(template, Identity::fresh)) {
            HookCaller.Outcome o = HookCaller.call(test.agent(), s.hooks().port(), "validate", new byte[0],
                    Duration.ofSeconds(validate.timeoutSeconds()), true);
            if (!o.ok()) {
                throw new BuildFailure("the validate hook failed: " + o.describe(), null);
            }
            log.info("validate hook answered 200");
        } catch (BuildFailure e) {
            throw e;
        } catch (Exception e) {
            throw new BuildFailure("validation failed: " + e.getMessage(), e);
        }
    }

    /** Entrypoint, cmd, env, workdir and user not set by the request come from the image's config. */
    static BuildSettings fillFromImage(BuildSettings s, ImageConfig c) {
        Map<String, String> env = new LinkedHashMap<>(c.envMap());
        if (s.env() != null) {
            env.putAll(s.env());
        }
        // an entrypoint given without a cmd does not inherit the image's cmd (Docker's rule)
        List<String> cmd = s.cmd() != null ? s.cmd() : s.entrypoint() != null ? List.of() : c.cmd();
        return new BuildSettings(s.resources(), s.hooks(),
                s.entrypoint() != null ? s.entrypoint() : c.entrypoint(), cmd, env,
                s.workdir() != null ? s.workdir() : c.workingDir(),
                s.user() != null ? s.user() : c.user(), s.ingressPort(), s.standby());
    }

    private static long millisSince(long t) {
        return (System.nanoTime() - t) / 1_000_000;
    }
}
