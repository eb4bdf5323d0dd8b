package dev.burrow.daemon.images.build.internal;

import dev.burrow.daemon.egress.EgressPolicy;
import dev.burrow.daemon.images.Resources;
import dev.burrow.daemon.images.SourceResolver.SourceFailure;
import dev.burrow.daemon.images.build.BaseImages;
import dev.burrow.daemon.images.build.BuildCache;
import dev.burrow.daemon.images.build.DockerfileSettings;
import dev.burrow.daemon.images.build.ImageLookup;
import dev.burrow.oci.BlobStore;
import dev.burrow.oci.BuildLog;
import dev.burrow.oci.Descriptor;
import dev.burrow.oci.ImageConfig;
import dev.burrow.oci.ImageSource;
import dev.burrow.oci.OciLayoutWriter;
import dev.burrow.oci.TarEntrySpec;
import dev.burrow.oci.dockerfile.Step;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/**
 * A Dockerfile build on fakes: the context is a map of files, the builder microVM records what it
 * is asked and "captures" a layer naming the command, the base images are tiny layouts in a real
 * blob store. Everything else (stage plan, cache, keys, image writing, disks) is the real code.
 */
final class FakeBuild {
    final Path dir;
    final BlobStore blobs;
    final BuildCache cache;
    final Map<String, String> files = new TreeMap<>();
    final List<String> log = new CopyOnWriteArrayList<>();
    final List<String> commands = new CopyOnWriteArrayList<>();
    final List<String> applied = new CopyOnWriteArrayList<>();
    final Map<String, Integer> exitCodes = new TreeMap<>();
    /** Images of tenant t1 (other tenants have none). */
    final Map<String, Descriptor> ownImages = new TreeMap<>();
    final Descriptor minimal;
    int boots;
    Path lastCopyTree;

    FakeBuild(Path dir) throws Exception {
        this.dir = dir;
        this.blobs = new BlobStore(Files.createDirectories(dir.resolve("blobs")));
        this.cache = new BuildCache(BuildCache.inMemory(), blobs);
        this.minimal = image("minimal", ImageConfig.builder().env("PATH", "/usr/bin:/bin").build(),
                List.of(TarEntrySpec.dir("etc"), TarEntrySpec.file("etc/passwd", "root:x:0:0::/root:/bin/sh\n")));
    }

    /** Writes an image into the store; returns its manifest. */
    Descriptor image(String name, ImageConfig config, List<TarEntrySpec> layer) throws Exception {
        Path layout = dir.resolve("layouts").resolve(name);
        new OciLayoutWriter(config).addLayer(layer).writeLayout(layout);
        ImageSource src = ImageSource.open(layout, blobs);
        return src.storeAsManifest(blobs, src.resolve());
    }

    Descriptor build(String tenant, String target, boolean noCache) throws SourceFailure, IOException, InterruptedException {
        Path work = Files.createDirectories(dir.resolve("work"));
        try {
            DockerfileBuild.Inputs in = new DockerfileBuild.Inputs(tenant, "bld-test", Resources.DEFAULT, EgressPolicy.NONE, Map.of(),
                    target, noCache, work, new ListLog());
            ImageLookup images = (t, name, version) -> Optional.ofNullable(t.equals("t1") ? ownImages.get(name) : null);
            BaseImages bases = name -> Optional.ofNullable(name.equals("minimal") ? minimal : null);
            DockerfileBuild.Tools tools = new DockerfileBuild.Tools(blobs, cache, new MapFiles(), this::boot,
                    new BaseResolver(tenant, null, images, bases), DockerfileSettings.DEFAULT);
            return new DockerfileBuild(in, tools).run(dir.resolve("context.tar"));
        } finally {
            try (Stream<Path> s = Files.walk(work)) {
                s.sorted((a, b) -> b.compareTo(a)).forEach(p -> p.toFile().delete());
            }
        }
    }

    Descriptor build(String tenant) throws SourceFailure, IOException, InterruptedException {
        return build(tenant, null, false);
    }

    List<String> logged(String prefix) {
        return log.stream().filter(l -> l.startsWith(prefix)).toList();
    }

    private BuilderVm boot(String id, Resources r, Path disk, EgressPolicy network) throws IOException {
        if (!Files.isRegularFile(disk) || Files.size(disk) == 0) {
            throw new IOException("no disk");
        }
        boots++;
        return new FakeVm();
    }

    private final class ListLog implements BuildLog {
        @Override
        public void info(String message) {
            log.add(message);
        }

        @Override
        public void warn(String message) {
            log.add("WARNING " + message);
        }
    }

    private final class FakeVm implements BuilderVm {
        private String last;

        @Override
        public int run(List<String> argv, Map<String, String> env, String user, String workdir, java.time.Duration timeout,
                OutputLines out) {
            last = String.join(" ", argv);
            commands.add(last);
            for (int i = 1; i <= 50; i++) {
                out.accept(0, ("line " + i + " of " + argv.getLast() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            out.finish();
            return exitCodes.getOrDefault(argv.getLast(), 0);
        }

        @Override
        public void mark(java.time.Duration timeout) {
        }

        @Override
        public long diff(OutputStream tar, java.time.Duration timeout) throws IOException {
            return writeTar(tar, Map.of("ran/" + Integer.toHexString(last.hashCode()), last));
        }

        @Override
        public void apply(InputStream tar, java.time.Duration timeout) throws IOException {
            applied.add(Long.toString(tar.transferTo(OutputStream.nullOutputStream())));
        }

        @Override
        public void close() {
        }
    }

    private final class MapFiles implements BuildFiles {
        @Override
        public Context extract(Path archive, Path d) {
            return new Context() {
                @Override
                public String dockerfile(String name) throws IOException {
                    String text = files.get(name);
                    if (text == null) {
                        throw new IOException("the context has no " + name);
                    }
                    return text;
                }

                @Override
                public String inputsHash(Step.CopyStep step, Path tree) throws IOException {
                    lastCopyTree = tree;
                    StringBuilder b = new StringBuilder();
                    for (String s : step.sources()) {
                        b.append(s).append('=').append(content(s, tree)).append('\n');
                    }
                    try {
                        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b.toString().getBytes(StandardCharsets.UTF_8)));
                    } catch (java.security.NoSuchAlgorithmException e) {
                        throw new IllegalStateException(e);
                    }
                }

                @Override
                public long write(Step.CopyStep step, Path tree, java.util.function.Predicate<String> existingDirectory, Path tar)
                        throws IOException {
                    Map<String, String> entries = new TreeMap<>();
                    boolean intoDir = step.dest().endsWith("/") || existingDirectory.test(step.dest());
                    for (String s : step.sources()) {
                        entries.put(intoDir ? (step.dest().endsWith("/") ? step.dest() : step.dest() + "/").substring(1)
                                + Path.of(s).getFileName() : step.dest().substring(1), content(s, tree));
                    }
                    try (OutputStream out = Files.newOutputStream(tar)) {
                        return writeTar(out, entries);
                    }
                }
            };
        }

        private String content(String source, Path tree) throws IOException {
            if (tree != null) {
                Path p = tree.resolve(source.replaceFirst("^/+", ""));
                if (!Files.isRegularFile(p)) {
                    throw new IOException("COPY failed: " + source + " not found in the stage");
                }
                return Files.readString(p);
            }
            String c = files.get(source);
            if (c == null) {
                throw new IOException("COPY failed: " + source + " not found in the build context");
            }
            return c;
        }
    }

    static long writeTar(OutputStream out, Map<String, String> entries) throws IOException {
        long[] n = {0};
        OutputStream counting = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                out.write(b);
                n[0]++;
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
                n[0] += len;
            }
        };
        TarArchiveOutputStream t = new TarArchiveOutputStream(counting);
        List<String> dirs = new ArrayList<>();
        for (Map.Entry<String, String> e : new TreeMap<>(entries).entrySet()) {
            String parent = e.getKey().contains("/") ? e.getKey().substring(0, e.getKey().lastIndexOf('/')) : null;
            if (parent != null && !dirs.contains(parent)) {
                dirs.add(parent);
                TarArchiveEntry d = new TarArchiveEntry(parent + "/");
                d.setModTime(0);
                t.putArchiveEntry(d);
                t.closeArchiveEntry();
            }
            byte[] body = e.getValue().getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry f = new TarArchiveEntry(e.getKey());
            f.setSize(body.length);
            f.setModTime(0);
            t.putArchiveEntry(f);
            t.write(body);
            t.closeArchiveEntry();
        }
        t.finish();
        t.flush();
        return n[0];
    }
}
