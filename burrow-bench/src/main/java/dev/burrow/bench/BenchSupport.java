package dev.burrow.bench;

import dev.burrow.vmm.MicroVm;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicInteger;

/** What the engine benchmarks share: arguments, the host line, timing, the first-byte probe and the write + fsync control. */
final class BenchSupport {

    private static final Duration T = Duration.ofSeconds(60);
    private static final int CONTROL_CHUNK = 1 << 20;
    private static final AtomicInteger COUNTER = new AtomicInteger();

    private BenchSupport() {}

    static int intArg(String[] args, String name, int def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return def;
    }

    static int[] intsArg(String[] args, String name, int[] def) {
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals(name)) {
                return Arrays.stream(args[i + 1].split(",")).mapToInt(Integer::parseInt).toArray();
            }
        }
        return def;
    }

    /** CPU model, CPUs, memory and Debian release, for the report's machine line. */
    static String host() {
        try {
            String cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).trim()).orElse("?");
            String mem = Files.readAllLines(Path.of("/proc/meminfo")).getFirst().replaceAll("\\s+", " ");
            return cpu + ", " + Runtime.getRuntime().availableProcessors() + " CPUs, " + mem + ", Debian "
                    + Files.readString(Path.of("/etc/debian_version")).strip();
        } catch (IOException e) {
            return "?";
        }
    }

    /** The one-minute load average, or "?". */
    static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).split(" ")[0];
        } catch (IOException e) {
            return "?";
        }
    }

    /** A microVM id unique in this process: {@code prefix}, a counter, the bench's {@code tag} and a time suffix. */
    static String id(String prefix, String tag) {
        return prefix + COUNTER.incrementAndGet() + tag + Long.toString(System.nanoTime() % 1_000_000, 36);
    }

    static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    /** Waits for the first stdout byte of {@code echo x} (then its end): what "answers an exec" means in every figure. */
    static void firstByte(MicroVm vm) throws Exception {
        ExecSession s = vm.agent().exec(ExecRequest.of("echo", "x"));
        while (true) {
            ExecEvent ev = s.next(T);
            if (ev instanceof ExecEvent.Stdout) {
                s.await(T);
                return;
            }
            if (ev == null || ev instanceof ExecEvent.Exit || ev instanceof ExecEvent.Failed) {
                throw new IllegalStateException("no output from echo: " + ev);
            }
        }
    }

    /**
     * The control: {@code mib} MiB of non-zero bytes written to the new file {@code file} and
     * fsync'd, timed in milliseconds; the file is removed afterwards.
     */
    static double writeAndFsync(Path file, int mib) throws IOException {
        ByteBuffer chunk = ByteBuffer.allocateDirect(CONTROL_CHUNK);
        byte[] pattern = "burrow-control-write\n".getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; chunk.hasRemaining(); i++) {
            chunk.put(pattern[i % pattern.length]);
        }
        long t0 = System.nanoTime();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            for (long written = 0; written < (long) mib << 20; written += CONTROL_CHUNK) {
                chunk.rewind();
                while (chunk.hasRemaining()) {
                    ch.write(chunk);
                }
            }
            ch.force(true);
            return ms(t0);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    /** Bytes allocated under {@code dir}, as du counts them (sparse files count what they hold); 0 when it is gone. */
    static long du(Path dir) throws Exception {
        if (!Files.exists(dir)) {
            return 0;
        }
        Process p = new ProcessBuilder("du", "-s", "-B1", dir.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException("du failed: " + out);
        }
        return Long.parseLong(out.split("\\s+")[0]);
    }
}
