package dev.burrow.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.GuestCpu;
import dev.burrow.vmm.testing.Restores;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Guest CPU as the agent reports it (STATS), against real QEMU: what the idle policy (SPEC §1:
 * below 5 % of one vCPU, the agent excluded) sees of an idle guest, a busy one, and an agent kept
 * busy answering STATS.
 */
class GuestCpuEngineTest {

    private static final Duration T = Duration.ofSeconds(30);
    /** The idle policy's threshold, in vCPUs. */
    private static final double IDLE_BELOW = 0.05;
    /** The shortest wait between two samples while waiting for the guest's clock to cover a window. */
    private static final long MIN_POLL_NANOS = 10_000_000L;
    /** Round trips measured for the cost of one STATS (and of one PING beside it). */
    private static final int ROUND_TRIPS = 2_000;
    @RegisterExtension
    final Restores vms = new Restores();

    private MicroVm restore() throws Exception {
        return vms.restore();
    }

    /**
     * Two samples at least {@code seconds} of guest time apart (by the guest's own tick counters);
     * each wait is the guest time still missing, so a window takes one or two samples, as the idle
     * policy's once-a-second sampling does.
     */
    private record Window(GuestCpu before, GuestCpu after) {
        double busy() {
            return GuestCpu.busyFraction(before, after).orElseThrow();
        }

        double agent() {
            return GuestCpu.agentFraction(before, after).orElseThrow();
        }

        double seconds() {
            return (double) (after.totalTicks() - before.totalTicks()) / after.cpus() / after.ticksPerSecond();
        }

        @Override
        public String toString() {
            return String.format("%.2f s: busy %.4f vCPU without the agent, agent %.4f", seconds(), busy(), agent());
        }
    }

    private static Window window(AgentConnection agent, GuestCpu before, double seconds) throws AgentException {
        long ticks = (long) Math.ceil(seconds * before.ticksPerSecond() * before.cpus());
        long deadline = System.nanoTime() + T.toNanos();
        for (;;) {
            GuestCpu after = agent.stats(T);
            if (after.totalTicks() - before.totalTicks() >= ticks) {
                return new Window(before, after);
            }
            assertThat(System.nanoTime()).as("the guest's clock to cover %.1f s", seconds).isLessThan(deadline);
            long missing = ticks - (after.totalTicks() - before.totalTicks());
            LockSupport.parkNanos(Math.max(MIN_POLL_NANOS, missing * 1_000_000_000L / (before.ticksPerSecond() * (long) before.cpus())));
        }
    }

    @Test
    void anIdleGuestReportsUnderFivePercentOfOneVcpu() throws Exception {
        MicroVm vm = restore();
        GuestCpu start = vm.agent().stats(T);
        assertThat(start.cpus()).isEqualTo(vm.machine().vcpus());
        GuestCpu from = start;
        for (int i = 0; i < 3; i++) {
            Window w = window(vm.agent(), from, 1.0);
            System.out.println("idle guest, window " + i + ": " + w);
            assertThat(w.busy()).as("idle guest, window %d: %s", i, w).isLessThan(IDLE_BELOW);
            from = w.after();
        }
    }

    @Test
    void aShellLoopReportsMoreThanHalfAVcpuAndStoppingItMakesTheGuestIdleAgain() throws Exception {
        MicroVm vm = restore();
        ExecSession loop = vm.agent().exec(ExecRequest.of("sh", "-c", "while :; do :; done"));
        Window busy = window(vm.agent(), vm.agent().stats(T), 1.0);
        System.out.println("shell loop: " + busy);
        assertThat(busy.busy()).as("shell loop: %s", busy).isGreaterThan(0.5);
        loop.kill();
        GuestCpu from = window(vm.agent(), vm.agent().stats(T), 0.5).after(); // let the kill land
        Window after = window(vm.agent(), from, 1.0);
        System.out.println("after the loop: " + after);
        assertThat(after.busy()).as("after the loop: %s", after).isLessThan(IDLE_BELOW);
    }

    /** Round-trip times in microseconds, sorted. */
    private interface Call {
        void run() throws AgentException;
    }

    private static long[] roundTrips(Call call) throws AgentException {
        long[] micros = new long[ROUND_TRIPS];
        for (int i = 0; i < micros.length; i++) {
            long t0 = System.nanoTime();
            call.run();
            micros[i] = (System.nanoTime() - t0) / 1_000;
        }
        Arrays.sort(micros);
        return micros;
    }

    private static long percentile(long[] sorted, int p) {
        return sorted[Math.max(0, (int) Math.ceil(p / 100.0 * sorted.length) - 1)];
    }

    @Test
    void aStatsRoundTripCostsAboutAPingAndAGuestSampledEverySecondForTenSecondsStaysIdle() throws Exception {
        MicroVm vm = restore();
        AgentConnection agent = vm.agent();
        roundTrips(() -> agent.ping(T)); // warm both paths
        roundTrips(() -> agent.stats(T));
        long[] ping = roundTrips(() -> agent.ping(T));
        long[] stats = roundTrips(() -> agent.stats(T));
        System.out.printf("%d round trips: PING p50 %d us, p99 %d us; STATS p50 %d us, p99 %d us%n", ROUND_TRIPS,
                percentile(ping, 50), percentile(ping, 99), percentile(stats, 50), percentile(stats, 99));
        assertThat(percentile(stats, 50)).as("STATS p50 against PING p50").isLessThan(3 * percentile(ping, 50));

        GuestCpu start = window(agent, agent.stats(T), 1.0).after(); // the measuring above is over
        GuestCpu from = start;
        for (int i = 0; i < 10; i++) {
            from = window(agent, from, 1.0).after();
        }
        Window tenSeconds = new Window(start, from);
        System.out.println("idle guest sampled every second: " + tenSeconds);
        assertThat(tenSeconds.busy()).as("idle guest over %s", tenSeconds).isLessThan(IDLE_BELOW);
    }

    @Test
    void anAgentBusyAnsweringStatsIsLeftOut() throws Exception {
        MicroVm vm = restore();
        AgentConnection agent = vm.agent();
        AtomicBoolean stop = new AtomicBoolean();
        int callers = 4;
        LongAdder answered = new LongAdder();
        List<CompletableFuture<Void>> hammers = new ArrayList<>();
        for (int i = 0; i < callers; i++) {
            hammers.add(CompletableFuture.runAsync(() -> {
                try {
                    while (!stop.get()) {
                        agent.stats(T);
                        answered.increment();
                    }
                } catch (AgentException e) {
                    throw new CompletionException(e);
                }
            }));
        }
        try {
            GuestCpu before = agent.stats(T);
            long answeredBefore = answered.sum();
            Window w = window(agent, before, 2.0);
            long calls = answered.sum() - answeredBefore;
            System.out.printf("agent answering %d STATS from %d callers: %s; %.0f us of guest CPU per STATS%n",
                    calls, callers, w, w.agent() * w.seconds() * 1e6 / calls);
            assertThat(w.agent()).as("the agent's own CPU was real load: %s", w).isGreaterThan(0.1);
            assertThat(w.busy()).as("and it is left out: %s", w).isLessThan(IDLE_BELOW);
        } finally {
            stop.set(true);
            CompletableFuture.allOf(hammers.toArray(CompletableFuture[]::new)).get(T.toMillis(), TimeUnit.MILLISECONDS);
        }
    }
}
