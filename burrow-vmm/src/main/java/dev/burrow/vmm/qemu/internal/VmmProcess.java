package dev.burrow.vmm.qemu.internal;

import dev.burrow.vmm.VmmException;
import dev.burrow.vmm.internal.ProcStat;
import dev.burrow.vmm.jail.JailSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One VMM process, started through burrow-jailer (new session, output to files, host pid and
 * start time written by the jailer, jailed when a {@link JailSpec} says how). Identified by pid + start time so a recycled pid is never
 * mistaken for it, which is also how a restarted daemon adopts it.
 */
public final class VmmProcess {

    private final long pid;
    private final long startTime;
    private final Optional<Process> jailer;

    private VmmProcess(long pid, long startTime, Optional<Process> jailer) {
        this.pid = pid;
        this.startTime = startTime;
        this.jailer = jailer;
    }

    /** Starts {@code command} through the jailer, which keeps fd 3's output in the bounded ring {@code console}. */
    public static VmmProcess launch(Path jailerBinary, String name, Path dir, List<String> command, Path console, Duration timeout)
            throws VmmException {
        return launch(jailerBinary, name, dir, command, console, null, timeout);
    }

    /** The same, with the VMM in the network namespace bind-mounted at {@code netns} (null: the host's). */
    public static VmmProcess launch(Path jailerBinary, String name, Path dir, List<String> command, Path console, Path netns,
                                    Duration timeout) throws VmmException {
        return launch(jailerBinary, name, dir, command, console, netns, null, timeout);
    }

    /**
     * The same, jailed as {@code jail} says (null: not jailed, the VMM runs as root in the host's
     * namespaces but {@code netns}). The jailer keeps writing the host pid to the pid file.
     */
    public static VmmProcess launch(Path jailerBinary, String name, Path dir, List<String> command, Path console, Path netns,
                                    JailSpec jail, Duration timeout) throws VmmException {
        Path pidFile = dir.resolve("vmm.pid");
        List<String> argv = new ArrayList<>(List.of(jailerBinary.toString(),
                "--name", name,
                "--pid-file", pidFile.toString(),
                "--stdout", dir.resolve("vmm.stdout").toString(),
                "--stderr", dir.resolve("vmm.stderr").toString(),
                "--console", console.toString(),
                "--console-bytes", Long.toString(QemuArgs.CONSOLE_BYTES)));
        if (netns != null) {
            argv.addAll(List.of("--netns", netns.toString()));
        }
        if (jail != null) {
            argv.addAll(jail.args());
        }
        argv.add("--");
        argv.addAll(command);
        Process p;
        try {
            p = new ProcessBuilder(argv)
                    .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("jailer.log").toFile()))
                    .redirectErrorStream(true)
                    .start();
        } catch (IOException e) {
            throw new VmmException("could not start " + jailerBinary + ": " + e.getMessage(), e);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 100_000;
        while (true) {
            Optional<long[]> rec = readPidFile(pidFile);
            if (rec.isPresent()) {
                return new VmmProcess(rec.get()[0], rec.get()[1], Optional.of(p));
            }
            if (!p.isAlive() || System.nanoTime() > deadline) {
                p.destroyForcibly();
                throw new VmmException("the VMM did not start (jailer exit " + (p.isAlive() ? "pending" : p.exitValue())
                        + "); see " + dir.resolve("vmm.stderr") + " and " + dir.resolve("jailer.log"));
            }
            LockSupport.parkNanos(pause);
            pause = Math.min(pause * 2, 2_000_000);
        }
    }

    /** Re-attaches to a VMM recorded in {@code dir} (after a daemon restart), if it still runs. */
    public static Optional<VmmProcess> adopt(Path dir) {
        return readPidFile(dir.resolve("vmm.pid"))
                .filter(r -> ProcStat.alive(r[0], r[1]))
                .map(r -> new VmmProcess(r[0], r[1], Optional.empty()));
    }

    private static Optional<long[]> readPidFile(Path pidFile) {
        try {
            String[] f = Files.readString(pidFile).trim().split("\\s+");
            return Optional.of(new long[] {Long.parseLong(f[0]), Long.parseLong(f[1])});
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public long pid() {
        return pid;
    }

    /**
     * How the VMM ended, as its jailer reports it (128 + the signal that ended it, else its exit
     * status); empty while it runs, and for an adopted VMM, whose jailer is not the engine's child.
     */
    public Optional<Integer> exitStatus() {
        return jailer.filter(p -> !p.isAlive()).map(Process::exitValue);
    }

    public boolean isAlive() {
        return ProcStat.alive(pid, startTime);
    }

    /** SIGKILLs the VMM (if it is still the process we started) and waits for it to be gone. */
    public void kill(Duration timeout) throws VmmException {
        if (isAlive()) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        awaitExit(timeout);
    }

    /** Waits until the VMM is gone (and its jailer, which reaps it, has exited). */
    public void awaitExit(Duration timeout) throws VmmException {
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            if (jailer.isPresent()) {
                if (!jailer.get().waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                    throw new VmmException("VMM " + pid + " did not exit within " + timeout.toMillis() + " ms");
                }
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted waiting for VMM " + pid, e);
        }
        while (isAlive()) {
            if (System.nanoTime() > deadline) {
                throw new VmmException("VMM " + pid + " did not exit within " + timeout.toMillis() + " ms");
            }
            LockSupport.parkNanos(1_000_000);
        }
    }
}
