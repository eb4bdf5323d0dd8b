package dev.burrow.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Image unpack time of two builds of burrow-oci in one JVM, interleaved (scripts/bench-unpack).
 * Each build's classes get their own class loader over the shared dependencies; runs alternate
 * BEFORE/AFTER and AFTER/BEFORE so drift (page cache, CPU load) falls on both alike.
 *
 * <p>Arguments: {@code --deps CLASSPATH --before DIR --after DIR --layout OCI_LAYOUT --work DIR
 * [--runs 5]}. Prints each run, then mean, median and min per build and the AFTER/BEFORE ratio.
 */
public final class UnpackBench {

    private UnpackBench() {}

    public static void main(String[] args) throws Exception {
        Map<String, String> a = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        int runs = Integer.parseInt(a.getOrDefault("runs", "5"));
        Path layout = Path.of(a.get("layout"));
        Path work = Files.createDirectories(Path.of(a.get("work")));
        URLClassLoader deps = new URLClassLoader(urls(a.get("deps")), ClassLoader.getPlatformClassLoader());
        Unpacker before = new Unpacker("BEFORE", new URLClassLoader(urls(a.get("before")), deps), layout, work);
        Unpacker after = new Unpacker("AFTER", new URLClassLoader(urls(a.get("after")), deps), layout, work);
        before.run();
        after.run(); // warm-up: JIT and page cache, not counted
        Stats sb = new Stats();
        Stats sa = new Stats();
        Stats cb = new Stats();
        Stats ca = new Stats();
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        for (int i = 0; i < runs; i++) {
            List<Unpacker> order = i % 2 == 0 ? List.of(before, after) : List.of(after, before);
            for (Unpacker u : order) {
                long cpu0 = threads.getCurrentThreadCpuTime();
                double ms = u.run();
                double cpuMs = (threads.getCurrentThreadCpuTime() - cpu0) / 1e6;
                (u == before ? sb : sa).add(ms);
                (u == before ? cb : ca).add(cpuMs);
                System.out.printf("run %d %-6s wall %8.1f ms  cpu %8.1f ms%n", i + 1, u.name, ms, cpuMs);
            }
        }
        report("wall", sb, sa);
        report("cpu", cb, ca);
    }

    private static void report(String what, Stats b, Stats a) {
        System.out.printf("%s BEFORE mean %.1f median %.1f min %.1f ms (n=%d)%n", what, b.mean(), b.percentile(50), b.percentile(0), b.count());
        System.out.printf("%s AFTER  mean %.1f median %.1f min %.1f ms (n=%d)%n", what, a.mean(), a.percentile(50), a.percentile(0), a.count());
        System.out.printf("%s AFTER/BEFORE mean %.3f median %.3f min %.3f%n", what, a.mean() / b.mean(), a.percentile(50) / b.percentile(50),
                a.percentile(0) / b.percentile(0));
    }

    private static URL[] urls(String classpath) throws IOException {
        List<URL> out = new ArrayList<>();
        for (String p : classpath.split(":")) {
            if (!p.isBlank()) {
                out.add(Path.of(p).toUri().toURL());
            }
        }
        return out.toArray(URL[]::new);
    }

    /** One build's {@code ImageUnpacker.unpack(ImageSource.open(layout, store), staging, null)}, by reflection. */
    private static final class Unpacker {
        final String name;
        private final Path layout;
        private final Path staging;
        private final Object store;
        private final Method open;
        private final Method unpack;
        private final Object unpacker;

        Unpacker(String name, ClassLoader loader, Path layout, Path work) throws Exception {
            this.name = name;
            this.layout = layout;
            this.staging = work.resolve(name.toLowerCase() + "-staging");
            Class<?> storeClass = loader.loadClass("dev.burrow.oci.BlobStore");
            this.store = storeClass.getConstructor(Path.class).newInstance(Files.createDirectories(work.resolve(name.toLowerCase() + "-blobs")));
            Class<?> source = loader.loadClass("dev.burrow.oci.ImageSource");
            this.open = source.getMethod("open", Path.class, storeClass);
            Class<?> unpackerClass = loader.loadClass("dev.burrow.oci.ImageUnpacker");
            this.unpacker = unpackerClass.getConstructor().newInstance();
            this.unpack = unpackerClass.getMethod("unpack", source, Path.class, loader.loadClass("dev.burrow.oci.BuildLog"));
        }

        double run() throws Exception {
            delete(staging);
            long t0 = System.nanoTime();
            unpack.invoke(unpacker, open.invoke(null, layout, store), staging, null);
            double ms = (System.nanoTime() - t0) / 1e6;
            delete(staging);
            return ms;
        }
    }

    // its own walk, not FileTrees: scripts/bench-unpack compiles this file alone with javac
    private static void delete(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                Files.delete(f);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
