package dev.burrow.daemon.images.build.internal;

import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.images.Resources;
import dev.burrow.daemon.images.SourceResolver.SourceFailure;
import dev.burrow.daemon.images.build.BuildCache;
import dev.burrow.daemon.images.build.DockerfileSettings;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.Digest;
import dev.burrow.oci.Ext4Image;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.ImageUnpacker;
import dev.burrow.oci.UnpackLimits;
import dev.burrow.oci.dockerfile.Dockerfile;
import dev.burrow.oci.dockerfile.DockerfileException;
import dev.burrow.oci.dockerfile.Instruction;
import dev.burrow.oci.dockerfile.Stage;
import dev.burrow.oci.dockerfile.StageEvaluator;
import dev.burrow.oci.dockerfile.Step;
import dev.burrow.vmm.internal.FileTrees;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * One Dockerfile build: extract the context, parse, pick the stages the target needs, and build
 * each in order. A step's layer comes from the tenant's cache when its key is there; else COPY and
 * ADD layers are written on the host and RUN executes in the stage's builder microVM (booted at
 * the first RUN that must run, closed when the stage ends). Every step is logged; the first
 * failure ends the build with a reason naming the step, its line and why.
 */
public final class DockerfileBuild {
    /** The Dockerfile's name in the context. */
    public static final String DOCKERFILE = "Dockerfile";
    private static final long MIB = 1024 * 1024;

    /** What the build works with, fixed for its duration. */
    public record Inputs(String tenant, String builderId, Resources resources, EgressPolicy network, Map<String, String> buildArgs,
                         String target, boolean noCache, Path workDir, BuildLog log) {}

    /** What the build uses. */
    public record Tools(BlobStore blobs, BuildCache cache, BuildFiles files, BuilderVm.Factory vms, BaseResolver bases,
                        DockerfileSettings settings) {}

    private record Built(Descriptor manifest, StageImage image, ImageConfig config) {}

    private final Inputs in;
    private final Tools tools;
    private final BuildLog log;
    private final Map<Integer, Built> built = new HashMap<>();
    private final Map<Digest, Path> trees = new HashMap<>();
    private final LayerPaths paths;
    private Dockerfile dockerfile;
    private BuildFiles.Context context;
    private int stepNo;
    private int totalSteps;
    private int cached;
    private int ran;
    private int configOnly;
    private int scratchFiles;

    public DockerfileBuild(Inputs in, Tools tools) {
        this.in = in;
        this.tools = tools;
        this.log = in.log();
        this.paths = new LayerPaths(tools.blobs());
    }

    /** Builds the image of the context archive; returns its manifest in the shared store. */
    public Descriptor run(Path contextArchive) throws SourceFailure, IOException, InterruptedException {
        long t0 = System.nanoTime();
        try {
            context = tools.files().extract(contextArchive, Files.createDirectories(in.workDir()).resolve("context"));
        } catch (DockerfileException e) {
            throw new SourceFailure(e.getMessage(), e);
        } catch (IOException e) {
            throw new SourceFailure("the build context could not be read: " + e.getMessage(), e);
        }
        List<Stage> stages;
        try {
            dockerfile = Dockerfile.parse(context.dockerfile(DOCKERFILE));
            dockerfile.warnings().forEach(log::warn);
            stages = StagePlan.needed(dockerfile, in.target(), in.buildArgs());
        } catch (DockerfileException e) {
            throw new SourceFailure(e.getMessage(), e);
        }
        for (Stage s : dockerfile.stages()) {
            if (!stages.contains(s)) {
                log.info("stage " + describe(s) + " skipped: the target does not need it");
            }
        }
        totalSteps = stages.stream().mapToInt(s -> 1 + s.body().size()).sum();
        if (in.network() != null && in.network().mode() != EgressPolicy.Mode.NONE) {
            log.info("builder network: egress " + in.network().mode().wire()
                    + (in.network().mode() == EgressPolicy.Mode.ALLOWLIST ? " " + in.network().allow() : ""));
        }
        Built last = null;
        for (Stage s : stages) {
            last = buildStage(s);
            built.put(s.index(), last);
        }
        log.info(totalSteps + " steps, " + cached + " cached, " + ran + " run, " + configOnly + " config-only in "
                + seconds(System.nanoTime() - t0) + " s");
        return last.manifest();
    }

    private Built buildStage(Stage stage) throws SourceFailure, IOException, InterruptedException {
        StageEvaluator ev = new StageEvaluator(in.buildArgs(), dockerfile.globalArgs());
        String from;
        String platform;
        try {
            from = ev.fromImage(stage);
            platform = ev.fromPlatform(stage);
        } catch (DockerfileException e) {
            throw new SourceFailure(e.getMessage(), e);
        }
        int fromLine = stage.from().line();
        stepNo++;
        log.info(header(fromLine, "FROM " + from + (stage.name() == null ? "" : " AS " + stage.name())));
        StageImage image;
        ImageConfig base;
        String parent;
        Optional<Stage> prior = StagePlan.earlier(dockerfile, stage, from).stream().findFirst();
        if (prior.isPresent()) {
            Built b = built.get(prior.get().index());
            image = b.image().copy();
            base = b.config();
            parent = b.manifest().digest().toString();
        } else {
            BaseResolver.Base b = tools.bases().resolve(from, platform, fromLine);
            if (b.scratch()) {
                image = StageImage.empty();
                base = ImageConfig.EMPTY;
                parent = CacheKeys.SCRATCH;
            } else {
                StageImage.Loaded l = StageImage.load(tools.blobs(), b.manifest());
                image = l.image();
                base = l.config();
                parent = l.manifest().toString();
            }
            log.info("  " + b.describe() + (b.scratch() ? "" : " (" + parent + ")"));
        }
        ev.begin(base);
        StageRun run = new StageRun(stage, ev, image, parent);
        try {
            for (Instruction i : stage.body()) {
                run.step(i);
            }
            Descriptor d = image.write(tools.blobs(), ev.config());
            log.info("stage " + describe(stage) + ": image " + d.digest() + ", " + image.layers().size() + " layers");
            return new Built(d, image, ev.config());
        } finally {
            run.close();
        }
    }

    /** The steps of one stage and its builder microVM. */
    private final class StageRun implements AutoCloseable {
        private final Stage stage;
        private final StageEvaluator ev;
        private final StageImage image;
        private String parent;
        private BuilderVm vm;

        StageRun(Stage stage, StageEvaluator ev, StageImage image, String parent) {
            this.stage = stage;
            this.ev = ev;
            this.image = image;
            this.parent = parent;
        }

        void step(Instruction i) throws SourceFailure, IOException, InterruptedException {
            stepNo++;
            String head = header(i.line(), i.text());
            Step s;
            try {
                s = ev.next(i);
            } catch (DockerfileException e) {
                throw new SourceFailure(e.getMessage(), e);
            }
            log.info(head);
            long t = System.nanoTime();
            try {
                switch (s) {
                    case Step.ConfigStep c -> config(c, i, head, t);
                    case Step.CopyStep c -> copy(c, i, head, t);
                    case Step.RunStep r -> run(r, i, head, t);
                }
            } catch (IOException e) {
                throw failure(head, i, e.getMessage(), null); // the builder's disk, the store, the image's layers
            }
        }

        private void config(Step.ConfigStep c, Instruction i, String head, long t) throws SourceFailure, IOException, InterruptedException {
            String key = CacheKeys.step(parent, c.cacheKeyText(), null);
            if (c.mkdir() == null) {
                image.addConfigStep(i.text());
                configOnly++;
                parent = key;
                return;
            }
            String user = ev.config().user();
            int uid = numericId(user, 0);
            int gid = numericId(user, 1);
            // which directories are missing follows from the parent chain, so the key needs no listing of them: a cached
            // WORKDIR is found without reading the image's layers (decompressing a 70 MB base took most of a rebuild)
            String layerKey = CacheKeys.step(parent, c.cacheKeyText(), "mkdir as " + uid + ":" + gid);
            if (!in.noCache() && tools.cache().lookup(in.tenant(), layerKey).isPresent()) {
                layerStep(layerKey, i, head, t, tar -> {
                    throw new IllegalStateException("a cached WORKDIR layer is not made again");
                }, false);
                return;
            }
            List<String> missing = paths.missing(image.layers(), c.mkdir());
            if (missing.isEmpty()) {
                image.addConfigStep(i.text());
                configOnly++;
                parent = key;
                return;
            }
            layerStep(layerKey, i, head, t, tar -> WorkdirLayer.write(missing, uid, gid, tar), false);
        }

        private void copy(Step.CopyStep c, Instruction i, String head, long t) throws SourceFailure, IOException, InterruptedException {
            Path tree = c.fromStage() == null ? null : tree(c.fromStage(), i.line());
            String inputs;
            try {
                inputs = context.inputsHash(c, tree);
            } catch (DockerfileException e) {
                throw new SourceFailure(e.getMessage(), e);
            } catch (IOException e) {
                throw failure(head, i, e.getMessage(), null);
            }
            layerStep(CacheKeys.step(parent, c.cacheKeyText(), inputs), i, head, t, tar -> {
                try {
                    return context.write(c, tree, path -> {
                        try {
                            return paths.isDirectory(image.layers(), path);
                        } catch (IOException e) {
                            throw new UncheckedIOException(e);
                        }
                    }, tar);
                } catch (UncheckedIOException e) {
                    throw failure(head, i, "reading the image's layers failed: " + e.getCause().getMessage(), null);
                } catch (DockerfileException e) {
                    throw new SourceFailure(e.getMessage(), e);
                } catch (IOException e) {
                    throw failure(head, i, e.getMessage(), null);
                }
            }, false);
        }

        private void run(Step.RunStep r, Instruction i, String head, long t) throws SourceFailure, IOException, InterruptedException {
            layerStep(CacheKeys.step(parent, r.cacheKeyText(), null), i, head, t, tar -> {
                BuilderVm b = builder();
                OutputLines out = new OutputLines(line -> log.info("  | " + line), tools.settings().maxLineChars(),
                        tools.settings().failureTailLines(), tools.settings().maxLoggedChars());
                int exit;
                try {
                    b.mark(tools.settings().layerTimeout());
                    exit = b.run(r.argv(), r.env(), r.user(), r.workdir(), tools.settings().runTimeout(), out);
                } catch (IOException e) {
                    throw failure(head, i, e.getMessage(), out.tail());
                }
                if (exit != 0) {
                    throw failure(head, i, "exit code " + exit, out.tail());
                }
                try (OutputStream o = Files.newOutputStream(tar)) {
                    return b.diff(o, tools.settings().layerTimeout());
                } catch (IOException e) {
                    throw failure(head, i, "capturing its changes failed: " + e.getMessage(), null);
                }
            }, true);
        }

        /**
         * A step that makes a layer: from the cache when its key is there (and the build may use
         * the cache), else made by {@code make} into a temporary tar, stored and recorded.
         * {@code inBuilder} says the layer was made inside the builder, which then has it already.
         */
        private void layerStep(String key, Instruction i, String head, long t, LayerMaker make, boolean inBuilder)
                throws SourceFailure, IOException, InterruptedException {
            Optional<BuildCache.Entry> hit = in.noCache() ? Optional.empty() : tools.cache().lookup(in.tenant(), key);
            Digest layer;
            long size;
            boolean made = hit.isEmpty();
            if (hit.isPresent()) {
                layer = hit.get().layer();
                size = hit.get().size();
                cached++;
                log.info("  cached: layer " + layer + " (" + mib(size) + ")");
            } else {
                Path tar = Files.createDirectories(in.workDir().resolve("layers")).resolve("step-" + stepNo + ".tar");
                try {
                    make.make(tar);
                    try (InputStream s = Files.newInputStream(tar)) {
                        layer = tools.blobs().put(s, null);
                    }
                    size = Files.size(tar);
                } finally {
                    Files.deleteIfExists(tar);
                }
                tools.cache().record(in.tenant(), key, layer, size);
                ran++;
                log.info("  done in " + seconds(System.nanoTime() - t) + " s: layer " + layer + " (" + mib(size) + ")");
            }
            if (vm != null && !(made && inBuilder)) {
                try (InputStream s = tools.blobs().open(layer)) {
                    vm.apply(s, tools.settings().layerTimeout());
                } catch (IOException e) {
                    throw failure(head, i, "applying its layer in the builder failed: " + e.getMessage(), null);
                }
            }
            image.addLayer(layer, size, i.text());
            parent = key;
        }

        /** The builder microVM, booted on a disk holding the stage so far. */
        private BuilderVm builder() throws IOException, InterruptedException {
            if (vm != null) {
                return vm;
            }
            long t = System.nanoTime();
            Path dir = Files.createDirectories(in.workDir().resolve("builder-" + stage.index()));
            Path staging = dir.resolve("staging");
            Path disk = dir.resolve("rootfs.ext4");
            try {
                Descriptor sofar = image.write(tools.blobs(), ev.config());
                new ImageUnpacker().unpack(ImageSource.fromStore(tools.blobs(), sofar), staging, log,
                        new UnpackLimits(in.resources().diskMiB()));
                Ext4Image.build(staging, disk, in.resources().diskMiB());
            } finally {
                FileTrees.deleteQuietly(staging);
            }
            vm = tools.vms().boot(in.builderId() + "-" + stage.index(), in.resources(), disk, in.network());
            log.info("  builder microVM booted in " + seconds(System.nanoTime() - t) + " s");
            return vm;
        }

        /** Ends the builder and removes its disk (the next stage boots its own). */
        @Override
        public void close() {
            if (vm != null) {
                try {
                    vm.egress().forEach(d -> log.info("  egress: " + d));
                } finally {
                    vm.close();
                    vm = null;
                }
            }
            FileTrees.deleteQuietly(in.workDir().resolve("builder-" + stage.index()));
        }
    }

    @FunctionalInterface
    private interface LayerMaker {
        /** Writes the layer tar; returns its size. */
        long make(Path tar) throws SourceFailure, IOException, InterruptedException;
    }

    /** The root of a stage or an image a {@code COPY --from} names, unpacked once on the host. */
    private Path tree(String from, int line) throws SourceFailure, IOException, InterruptedException {
        Optional<Stage> s = dockerfile.stage(from);
        Descriptor manifest;
        if (s.isPresent() && built.containsKey(s.get().index())) {
            manifest = built.get(s.get().index()).manifest();
        } else {
            BaseResolver.Base b = tools.bases().resolve(from, null, line);
            if (b.scratch()) {
                throw new SourceFailure("Dockerfile line " + line + ": COPY --from=" + from + ": scratch has no files");
            }
            manifest = b.manifest();
        }
        Path have = trees.get(manifest.digest());
        if (have != null) {
            return have;
        }
        Path dir = in.workDir().resolve("trees").resolve(Integer.toString(++scratchFiles));
        Files.createDirectories(dir.getParent());
        new ImageUnpacker().unpack(ImageSource.fromStore(tools.blobs(), manifest), dir, log, new UnpackLimits(in.resources().diskMiB()));
        trees.put(manifest.digest(), dir);
        return dir;
    }

    private SourceFailure failure(String head, Instruction i, String why, List<String> tail) {
        StringBuilder b = new StringBuilder(head.replace("(line ", "(Dockerfile line ")).append(": ").append(why);
        if (tail != null && !tail.isEmpty()) {
            b.append("\n").append(String.join("\n", tail));
        }
        return new SourceFailure(b.toString());
    }

    private String header(int line, String text) {
        return "step " + stepNo + "/" + totalSteps + " (line " + line + ") " + text;
    }

    private static String describe(Stage s) {
        return s.name() == null ? Integer.toString(s.index()) : s.index() + " (" + s.name() + ")";
    }

    /** The uid ({@code part} 0) or gid (1) of a numeric {@code uid[:gid]} user; {@code 0} for a name or none. */
    static int numericId(String user, int part) {
        if (user == null) {
            return 0;
        }
        String[] p = user.split(":", 2);
        String v = part < p.length ? p[part] : p[0];
        return v.matches("[0-9]{1,9}") ? Integer.parseInt(v) : 0;
    }

    private static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e9);
    }

    private static String mib(long bytes) {
        return bytes < MIB ? String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0) : String.format(Locale.ROOT, "%.1f MiB", bytes / (double) MIB);
    }
}
