package dev.burrow.vmm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.agent.internal.Credit;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.Payload;
import dev.burrow.vmm.agent.internal.RecentIds;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A fake guest attacks the host end of the channel (issue 7): empty frames, floods of tiny
 * frames, STARTED storms, oversized and flooding LOG lines, frames for streams that are not
 * open. For each, the host's retained memory stays bounded (its own accounting and the heap
 * after GC), the offender gets a clear error or the channel fails with a reason, and other
 * streams keep working.
 */
@Tag("hostile")
class AgentHostileTest {

    private static final Duration WAIT = Duration.ofSeconds(10);
    private static final long HEAP_SLACK = 16L << 20;

    @TempDir
    Path tmp;
    private final List<FakeGuest> guests = new CopyOnWriteArrayList<>();

    private FakeGuest guest(AgentLimits limits, AgentEvents events) throws IOException {
        FakeGuest g = new FakeGuest(tmp, "g" + guests.size(), events, limits);
        guests.add(g);
        return g;
    }

    private FakeGuest guest(AgentLimits limits) throws IOException {
        return guest(limits, AgentEvents.NONE);
    }

    @AfterEach
    void closeAll() throws IOException {
        for (FakeGuest g : guests) {
            g.close();
        }
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            LockSupport.parkNanos(1_000_000);
        }
    }

    private static long usedHeapAfterGc() {
        Runtime rt = Runtime.getRuntime();
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            least = Math.min(least, rt.totalMemory() - rt.freeMemory());
        }
        return least;
    }

    private static ExecResult finish(FakeGuest g, ExecSession s, String out) throws Exception {
        g.started(s.id());
        g.send(FakeGuest.stdout(s.id(), out));
        g.exit(s.id(), 0);
        return s.await(WAIT);
    }

    @Test
    void anEmptyStdoutFrameFailsThatExecCountsAsAViolationAndOtherStreamsKeepWorking() throws Exception {
        FakeGuest g = guest(AgentLimits.defaults());
        ExecSession bad = g.host.exec(ExecRequest.of("x"));
        ExecSession good = g.host.exec(ExecRequest.of("y"));
        g.started(bad.id());
        g.send(new Frame(Frame.STDOUT, bad.id(), new byte[0]));
        assertThatThrownBy(() -> bad.await(WAIT)).isInstanceOf(AgentException.class).hasMessageContaining("empty STDOUT");
        assertThat(g.host.violations()).isEqualTo(1);
        assertThat(finish(g, good, "still here").stdoutText()).isEqualTo("still here");
        // the host told the guest to drop the offending stream
        await(() -> g.fromHost.stream().anyMatch(f -> f.type() == Frame.CLOSE && f.stream() == bad.id()), "CLOSE");
        assertThat(g.host.isOpen()).isTrue();
    }

    @Test
    void aFloodOfEmptyFramesFailsTheChannelWithAReasonAndKeepsNothing() throws Exception {
        AtomicBoolean violation = new AtomicBoolean();
        FakeGuest g = guest(AgentLimits.defaults().withFrameRate(10_000_000, 1_000_000), new AgentEvents() {
            @Override
            public void closed(String reason, boolean v) {
                violation.set(v);
            }
        });
        ExecSession s = g.host.exec(ExecRequest.of("flood"));
        g.started(s.id());
        long before = usedHeapAfterGc();
        byte[] flood = FakeGuest.repeat(new Frame(Frame.STDOUT, s.id(), new byte[0]), 100_000); // 2 MB of wire
        long maxQueued = 0;
        try {
            for (int i = 0; i < 25 && g.host.isOpen(); i++) { // up to 2.5 M empty frames, 50 MB
                g.write(flood);
                maxQueued = Math.max(maxQueued, g.host.queuedBytes());
            }
        } catch (IOException hungUp) {
            // the host failed the channel mid-flood: expected
        }
        String reason = g.host.closedFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        long after = usedHeapAfterGc();
        System.out.printf("empty-frame flood: heap after GC %d KiB before, %d KiB after; max queued %d bytes%n",
                before >> 10, after >> 10, maxQueued);
        assertThat(reason).contains("too many corrupt frames");
        assertThat(violation).isTrue();
        assertThat(maxQueued).isLessThanOrEqualTo(Credit.INITIAL_WINDOW + Frame.HEADER_BYTES + Frame.MAX_PAYLOAD);
        assertThat(after - before).isLessThan(HEAP_SLACK);
        assertThatThrownBy(() -> s.await(WAIT)).isInstanceOf(AgentException.class).hasMessageContaining("empty STDOUT");
    }

    @Test
    void tinyFramesCostCreditSoAnUnreadExecHoldsAtMostOneWindow() throws Exception {
        FakeGuest g = guest(AgentLimits.defaults());
        ExecSession s = g.host.exec(ExecRequest.of("tiny"));
        ExecSession other = g.host.exec(ExecRequest.of("other"));
        g.started(s.id());
        int fit = (int) (Credit.INITIAL_WINDOW / Frame.cost(1));
        long before = usedHeapAfterGc();
        await(() -> g.host.framesReceived() == 1, "STARTED");
        g.write(FakeGuest.repeat(FakeGuest.stdout(s.id(), "x"), fit));
        await(() -> g.host.framesReceived() == 1 + fit, "the tiny frames");
        long queued = g.host.queuedBytes();
        long after = usedHeapAfterGc();
        System.out.printf("tiny-frame flood: %d one-byte frames queued, %d bytes of credit, heap after GC +%d KiB%n",
                fit, queued, (after - before) >> 10);
        assertThat(queued).isEqualTo(fit * Frame.cost(1)).isLessThanOrEqualTo(Credit.INITIAL_WINDOW);
        assertThat(after - before).isLessThan(HEAP_SLACK);
        assertThat(g.host.violations()).isZero();
        // one frame more overdraws the window: that exec fails, the other does not
        g.send(FakeGuest.stdout(s.id(), "x"));
        await(s::isDone, "the overdrawn exec to fail");
        assertThat(g.host.violations()).isEqualTo(1);
        ExecEvent last = null;
        for (ExecEvent e = s.next(WAIT); e != null; e = s.next(Duration.ZERO)) {
            last = e;
        }
        assertThat(last).isInstanceOfSatisfying(ExecEvent.Failed.class, f -> assertThat(f.message()).contains("flow-control window"));
        assertThat(finish(g, other, "fine").stdoutText()).isEqualTo("fine");
    }

    @Test
    void aStartedStormFailsThatExecAndThenTheChannel() throws Exception {
        FakeGuest g = guest(AgentLimits.defaults().withCorruptFramesPerMinute(20));
        ExecSession storm = g.host.exec(ExecRequest.of("storm"));
        ExecSession good = g.host.exec(ExecRequest.of("good"));
        g.started(storm.id());
        g.started(storm.id());
        assertThatThrownBy(() -> storm.await(WAIT)).isInstanceOf(AgentException.class).hasMessageContaining("STARTED after STARTED");
        assertThat(finish(g, good, "ok").exitCode()).isZero();
        assertThat(g.host.violations()).isEqualTo(1);
        // the storm goes on past what a guest could have had in flight: each one now counts
        g.write(FakeGuest.repeat(new Frame(Frame.STARTED, storm.id(), Payload.writer().u32(1).toBytes()), RecentIds.LATE_FRAMES + 50));
        String reason = g.host.closedFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(reason).contains("too many corrupt frames").contains("stream " + storm.id()).contains("not open");
    }

    @Test
    void exitTwiceAndOutputBeforeStartedAreViolations() throws Exception {
        FakeGuest g = guest(AgentLimits.defaults());
        ExecSession early = g.host.exec(ExecRequest.of("early"));
        g.send(FakeGuest.stdout(early.id(), "too soon"));
        assertThatThrownBy(() -> early.await(WAIT)).hasMessageContaining("STDOUT before STARTED");
        ExecSession twice = g.host.exec(ExecRequest.of("twice"));
        assertThat(finish(g, twice, "once").exitCode()).isZero();
        long v = g.host.violations();
        g.exit(twice.id(), 0); // the guest ended that stream itself: nothing more may come
        await(() -> g.host.violations() == v + 1, "the second EXIT to count");
        assertThat(g.host.isOpen()).isTrue();
    }

    @Test
    void framesForUnknownStreamsCountButLateFramesForAStreamTheHostClosedDoNot() throws Exception {
        List<String> corrupt = new CopyOnWriteArrayList<>();
        FakeGuest g = guest(AgentLimits.defaults().withCorruptFramesPerMinute(10), new AgentEvents() {
            @Override
            public void corrupt(String what) {
                corrupt.add(what);
            }
        });
        ExecSession killed = g.host.exec(ExecRequest.of("sleep"));
        g.started(killed.id());
        killed.kill();
        for (int i = 0; i < 20; i++) { // in flight when the CLOSE was sent
            g.send(FakeGuest.stdout(killed.id(), "late"));
        }
        g.exit(killed.id(), 137);
        ExecSession probe = g.host.exec(ExecRequest.of("probe"));
        assertThat(finish(g, probe, "p").exitCode()).isZero();
        assertThat(g.host.violations()).isZero();
        g.write(FakeGuest.repeat(FakeGuest.stdout(999, "who?"), 11));
        String reason = g.host.closedFuture().get(WAIT.toSeconds(), TimeUnit.SECONDS);
        assertThat(reason).contains("stream 999, which is not open");
        assertThat(corrupt).hasSizeGreaterThan(10);
    }

    @Test
    void oversizedLogLinesAreViolationsAndALogFloodIsRateLimitedAndEscaped() throws Exception {
        List<String> logged = new CopyOnWriteArrayList<>();
        FakeGuest g = guest(AgentLimits.defaults(), new AgentEvents() {
            @Override
            public void log(String line) {
                logged.add(line);
            }
        });
        g.send(new Frame(Frame.LOG, 0, Payload.writer().str("y".repeat(5000)).toBytes()));
        await(() -> g.host.violations() == 1, "the oversized LOG to count");
        assertThat(logged).isEmpty();
        byte[] forged = Payload.writer().str("fine\n2026-12-01 ERROR forged line\u001b[2J\\").toBytes();
        long before = g.host.framesReceived(); // read before writing: the host reads while the flood is written
        g.write(FakeGuest.repeat(new Frame(Frame.LOG, 0, forged), 1000));
        await(() -> g.host.framesReceived() >= before + 1000 && g.host.droppedLogLines() > 0, "the LOG flood");
        assertThat(logged.size()).isBetween(100, 200);
        assertThat(logged).allSatisfy(l -> assertThat(l).doesNotContain("\n").doesNotContain("\u001b"));
        assertThat(logged.getFirst()).isEqualTo("fine\\n2026-12-01 ERROR forged line\\u001b[2J\\\\");
        assertThat(g.host.isOpen()).isTrue();
    }

    @Test
    void awaitKeepsTheFirstBytesAndReportsWhatItDropped() throws Exception {
        FakeGuest g = guest(AgentLimits.defaults().withMaxAwaitOutputBytes(1000));
        ExecSession s = g.host.exec(ExecRequest.of("chatty"));
        g.started(s.id());
        for (int i = 0; i < 3; i++) {
            g.send(FakeGuest.stdout(s.id(), String.valueOf((char) ('a' + i)).repeat(600)));
        }
        g.send(new Frame(Frame.STDERR, s.id(), "e".getBytes()));
        g.exit(s.id(), 3);
        ExecResult r = s.await(WAIT);
        assertThat(r.stdout()).hasSize(1000);
        assertThat(r.stdoutText()).startsWith("a".repeat(600) + "b".repeat(400));
        assertThat(r.stdoutDropped()).isEqualTo(800);
        assertThat(r.stderrText()).isEqualTo("e");
        assertThat(r.truncated()).isTrue();
        assertThat(r.exitCode()).isEqualTo(3);
    }

    @Test
    void anAgentSpeakingAnOlderProtocolIsRefusedWithARebuildReason() throws Exception {
        FakeGuest g = guest(AgentLimits.defaults());
        Thread.ofVirtual().start(() -> {
            try {
                Frame hello = g.fromHost.poll(WAIT.toSeconds(), TimeUnit.SECONDS);
                long nonce = Payload.reader(hello).u64();
                g.send(new Frame(Frame.HELLO_ACK, 0, Payload.writer().u64(nonce).u32(1).str("0.1.0").u32(0).str("")
                        .u8(0).u32(0).u32(0).toBytes()));
            } catch (Exception e) {
                // the assertion below fails with a timeout
            }
        });
        assertThatThrownBy(() -> g.host.hello(Identity.fresh("x"), WAIT))
                .isInstanceOf(AgentException.class)
                .hasMessageContaining("speaks protocol 1")
                .hasMessageContaining("needs a rebuild");
    }

    @Test
    void aFloodingGuestIsReadNoFasterThanItsFrameBudget() throws Exception {
        FakeGuest g = guest(AgentLimits.defaults().withFrameRate(20_000, 2_000));
        byte[] logs = FakeGuest.repeat(new Frame(Frame.LOG, 0, Payload.writer().str("spam").toBytes()), 2_000);
        AtomicBoolean stop = new AtomicBoolean();
        Thread flooder = Thread.ofPlatform().start(() -> {
            try {
                while (!stop.get()) {
                    g.write(logs);
                }
            } catch (IOException e) {
                // closed at the end
            }
        });
        long start = System.nanoTime();
        long first = g.host.framesReceived();
        await(() -> System.nanoTime() - start > 500_000_000L && g.host.throttledReads() > 0, "half a second of flooding");
        long frames = g.host.framesReceived() - first;
        double seconds = (System.nanoTime() - start) / 1e9;
        stop.set(true);
        System.out.printf("frame budget 20000/s, burst 2000: read %d frames in %.2f s (%.0f/s)%n", frames, seconds, frames / seconds);
        // the burst plus the rate, plus at most one read (64 KiB of 30-byte frames) of debt
        assertThat(frames).isLessThanOrEqualTo((long) (2_000 + 20_000 * seconds + 65536 / 30 + 1));
        assertThat(frames).isGreaterThan(2_000);
        g.close();
        flooder.join(WAIT.toMillis());
    }

    @Test
    void theReaderAndWriterArePlatformDaemonThreadsSoAFloodCannotPinACarrier() throws Exception {
        FakeGuest g = guest(AgentLimits.defaults());
        // unbudgeted virtual readers let two floods stall other virtual threads for 0.8 s (issue 7)
        List<Thread> channelThreads = Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith(g.host.name() + "-agent-")).toList();
        assertThat(channelThreads).hasSize(2).allSatisfy(t -> {
            assertThat(t.isVirtual()).isFalse();
            assertThat(t.isDaemon()).isTrue();
        });
    }

    @Test
    void twoFloodingGuestsDoNotDelayAVirtualThreadTaskByMoreThan100Ms() throws Exception {
        AgentLimits limits = AgentLimits.defaults();
        FakeGuest a = guest(limits);
        FakeGuest b = guest(limits);
        AtomicBoolean stop = new AtomicBoolean();
        List<Thread> flooders = List.of(a, b).stream().map(g -> Thread.ofPlatform().start(() -> {
            byte[] junk = FakeGuest.repeat(new Frame(Frame.LOG, 0, Payload.writer().str("spam").toBytes()), 5_000);
            try {
                while (!stop.get()) {
                    g.write(junk);
                }
            } catch (IOException e) {
                // closed at the end
            }
        })).toList();
        await(() -> a.host.throttledReads() > 0 && b.host.throttledReads() > 0, "both floods to hit their budget");
        long worst = 0;
        long until = System.nanoTime() + 1_000_000_000L;
        int tasks = 0;
        while (System.nanoTime() < until) {
            AtomicLong ran = new AtomicLong();
            long started = System.nanoTime();
            Thread.ofVirtual().start(() -> ran.set(System.nanoTime())).join(WAIT.toMillis());
            worst = Math.max(worst, ran.get() - started);
            tasks++;
        }
        long fa = a.host.framesReceived();
        long fb = b.host.framesReceived();
        stop.set(true);
        a.close();
        b.close();
        for (Thread t : flooders) {
            t.join(WAIT.toMillis());
        }
        System.out.printf("two floods (%d and %d frames decoded): worst delay of %d virtual-thread tasks %.1f ms%n",
                fa, fb, tasks, worst / 1e6);
        assertThat(worst).isLessThan(100_000_000L);
    }
}
