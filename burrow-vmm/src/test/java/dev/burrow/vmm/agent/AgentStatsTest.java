package dev.burrow.vmm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.Payload;
import dev.burrow.vmm.agent.internal.StatsReply;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** STATS and STATS_REPLY against a scripted guest: decoding, old agents, the pending bound, bad replies. */
class AgentStatsTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final GuestCpu SAMPLE = new GuestCpu(-2, 123_456_789L, 42, 100, 2);

    @TempDir
    Path tmp;
    private FakeGuest g;

    @BeforeEach
    void connect() throws IOException {
        g = new FakeGuest(tmp, "stats", AgentEvents.NONE, AgentLimits.defaults());
    }

    @AfterEach
    void close() throws IOException {
        g.close();
    }

    private CompletableFuture<GuestCpu> statsAsync(Duration timeout) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return g.host.stats(timeout);
            } catch (AgentException e) {
                throw new CompletionException(e);
            }
        });
    }

    /** The nonce of the next STATS the host sent. */
    private long nextStatsNonce() throws Exception {
        Frame f = g.fromHost.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(f).as("a STATS from the host").isNotNull();
        assertThat(f.type()).isEqualTo(Frame.STATS);
        assertThat(f.stream()).isZero();
        Payload.Reader r = Payload.reader(f);
        long nonce = r.u64();
        r.end();
        return nonce;
    }

    private void reply(long nonce, GuestCpu cpu) throws IOException {
        g.send(new Frame(Frame.STATS_REPLY, 0, new StatsReply(nonce, cpu).encode()));
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static Throwable failureOf(CompletableFuture<?> call) throws Exception {
        try {
            call.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            return e.getCause();
        }
        throw new AssertionError("the call succeeded");
    }

    @Test
    void aStatsReplyAnswersItsCallerWithTheCountersAsUnsignedValues() throws Exception {
        CompletableFuture<GuestCpu> call = statsAsync(WAIT);
        reply(nextStatsNonce(), SAMPLE);
        assertThat(call.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(SAMPLE);
        assertThat(Long.toUnsignedString(SAMPLE.totalTicks())).isEqualTo("18446744073709551614");
        assertThat(g.host.violations()).isZero();
    }

    @Test
    void concurrentCallsEachGetTheReplyWithTheirNonce() throws Exception {
        CompletableFuture<GuestCpu> first = statsAsync(WAIT);
        long n1 = nextStatsNonce();
        CompletableFuture<GuestCpu> second = statsAsync(WAIT);
        long n2 = nextStatsNonce();
        assertThat(n2).isNotEqualTo(n1);
        GuestCpu other = new GuestCpu(7, 6, 5, 100, 1);
        reply(n2, other);
        reply(n1, SAMPLE);
        assertThat(second.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(other);
        assertThat(first.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(SAMPLE);
    }

    @Test
    void anAgentThatIgnoresStatsMakesTheCallTimeOutAndTheChannelKeepsWorking() throws Exception {
        assertThatThrownBy(() -> g.host.stats(Duration.ofMillis(200)))
                .isInstanceOf(AgentException.class).hasMessageContaining("timed out").hasMessageContaining("STATS");
        assertThat(g.host.isOpen()).isTrue();
        assertThat(g.host.violations()).isZero();
        nextStatsNonce(); // the unanswered one
        CompletableFuture<GuestCpu> call = statsAsync(WAIT);
        reply(nextStatsNonce(), SAMPLE);
        assertThat(call.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(SAMPLE);
    }

    @Test
    void moreStatsAtOnceThanTheLimitAreRefusedWithoutReachingTheGuest() throws Exception {
        int limit = g.host.limits().maxPendingStats();
        List<CompletableFuture<GuestCpu>> calls = new ArrayList<>();
        long[] nonces = new long[limit];
        for (int i = 0; i < limit; i++) {
            calls.add(statsAsync(WAIT));
            nonces[i] = nextStatsNonce();
        }
        assertThatThrownBy(() -> g.host.stats(WAIT)).isInstanceOf(AgentException.class).hasMessageContaining("already waiting");
        assertThat(g.fromHost.poll(200, TimeUnit.MILLISECONDS)).as("no STATS sent beyond the limit").isNull();
        for (long n : nonces) {
            reply(n, SAMPLE);
        }
        for (CompletableFuture<GuestCpu> c : calls) {
            assertThat(c.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(SAMPLE);
        }
        CompletableFuture<GuestCpu> after = statsAsync(WAIT);
        reply(nextStatsNonce(), SAMPLE);
        assertThat(after.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(SAMPLE);
    }

    @Test
    @Tag("hostile")
    void aStatsReplyForNoStatsWaitingIsAViolationAndChangesNothing() throws Exception {
        reply(12345, SAMPLE);
        await(() -> g.host.violations() == 1, "the violation");
        CompletableFuture<GuestCpu> call = statsAsync(WAIT);
        long nonce = nextStatsNonce();
        reply(nonce + 1, SAMPLE); // a guessed neighbour
        await(() -> g.host.violations() == 2, "the second violation");
        assertThat(call).isNotDone();
        reply(nonce, SAMPLE);
        assertThat(call.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(SAMPLE);
        assertThat(g.host.isOpen()).isTrue();
    }

    @Test
    @Tag("hostile")
    void aStatsReplyOfTheWrongLengthIsAViolationAndFailsItsCallerAtOnce() throws Exception {
        for (int delta : new int[] {-1, 1}) {
            CompletableFuture<GuestCpu> call = statsAsync(WAIT);
            byte[] good = new StatsReply(nextStatsNonce(), SAMPLE).encode();
            g.send(new Frame(Frame.STATS_REPLY, 0, Arrays.copyOf(good, good.length + delta)));
            assertThat(failureOf(call)).isInstanceOf(AgentException.class).hasMessageContaining("malformed STATS_REPLY")
                    .hasMessageContaining((good.length + delta) + " bytes");
        }
        assertThat(g.host.violations()).isEqualTo(2);
        g.send(new Frame(Frame.STATS_REPLY, 0, new byte[3])); // too short to name a caller
        await(() -> g.host.violations() == 3, "the third violation");
        assertThat(g.host.isOpen()).isTrue();
    }

    @Test
    @Tag("hostile")
    void aStatsReplyWithoutCpusOrTicksIsMalformed() throws Exception {
        for (int[] bad : new int[][] {{100, 0}, {0, 1}, {100, -1}}) {
            CompletableFuture<GuestCpu> call = statsAsync(WAIT);
            byte[] payload = Payload.writer().u64(nextStatsNonce()).u64(1).u64(1).u64(1).u32(bad[0]).u32(bad[1]).toBytes();
            g.send(new Frame(Frame.STATS_REPLY, 0, payload));
            assertThat(failureOf(call)).isInstanceOf(AgentException.class).hasMessageContaining("malformed STATS_REPLY");
        }
        assertThat(g.host.violations()).isEqualTo(3);
    }

    @Test
    @Tag("hostile")
    void aFloodOfStatsRepliesNobodyAskedForFailsTheChannelOnTheCorruptionBudgetAndReleasesCallers() throws Exception {
        g.close();
        AtomicReference<String> closed = new AtomicReference<>();
        g = new FakeGuest(tmp, "flood", new AgentEvents() {
            @Override
            public void closed(String reason, boolean violation) {
                closed.set((violation ? "violation: " : "") + reason);
            }
        }, AgentLimits.defaults().withCorruptFramesPerMinute(50));
        CompletableFuture<GuestCpu> call = statsAsync(WAIT);
        long nonce = nextStatsNonce();
        try {
            g.write(FakeGuest.repeat(new Frame(Frame.STATS_REPLY, 0, new StatsReply(nonce + 1_000, SAMPLE).encode()), 51));
        } catch (IOException hungUp) {
            // the host failed the channel mid-flood: expected
        }
        await(() -> closed.get() != null, "the channel to fail");
        assertThat(closed.get()).startsWith("violation: ").contains("too many corrupt frames").contains("STATS_REPLY for no STATS");
        assertThat(failureOf(call)).isInstanceOf(AgentException.class).hasMessageContaining("closed");
    }

    @Test
    void aClosedChannelReleasesEveryStatsCaller() throws Exception {
        CompletableFuture<GuestCpu> call = statsAsync(WAIT);
        nextStatsNonce();
        g.host.close();
        assertThat(failureOf(call)).isInstanceOf(AgentException.class).hasMessageContaining("closed");
        assertThatThrownBy(() -> g.host.stats(WAIT)).isInstanceOf(AgentException.class).hasMessageContaining("closed");
    }
}
