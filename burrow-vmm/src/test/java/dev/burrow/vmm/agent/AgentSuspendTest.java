package dev.burrow.vmm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.Payload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host end of the channel across a suspend: streams of the session before end cleanly, leftovers are not violations. */
@Tag("hostile")
class AgentSuspendTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;
    private FakeGuest g;

    @AfterEach
    void close() throws Exception {
        g.close();
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            LockSupport.parkNanos(1_000_000);
        }
    }

    /** Answers the next HELLO the host sends, as an agent of this protocol would. */
    private void acknowledgeHello() throws Exception {
        Frame hello;
        do {
            hello = g.fromHost.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(hello).as("a HELLO from the host").isNotNull();
        } while (hello.type() != Frame.HELLO);
        long nonce = Payload.reader(hello).u64();
        g.send(new Frame(Frame.HELLO_ACK, 0, Payload.writer().u64(nonce).u32(AgentConnection.PROTOCOL_VERSION).str("fake")
                .u32(0).str("").u8(0).u32(0).u32(0).toBytes()));
    }

    @Test
    void theStreamsOfASuspendedSessionFailOnTheHostAndTheirLateFramesAreNotViolations() throws Exception {
        g = new FakeGuest(tmp, "suspended", AgentEvents.NONE, AgentLimits.defaults());
        ExecSession s = g.host.exec(ExecRequest.of("sleep", "1000"));
        g.started(s.id());

        g.host.abortStreams("the microVM was suspended");

        assertThatThrownBy(() -> s.await(WAIT)).isInstanceOf(AgentException.class).hasMessageContaining("suspended");
        g.send(FakeGuest.stdout(s.id(), "in flight when it stopped"));
        g.exit(s.id(), 137);
        ExecSession probe = g.host.exec(ExecRequest.of("true"));
        g.started(probe.id());
        g.exit(probe.id(), 0);
        assertThat(probe.await(WAIT).exitCode()).isZero();
        assertThat(g.host.violations()).isZero();
        assertThat(g.host.isOpen()).isTrue();
    }

    @Test
    void framesOfARestoredGuestsPreviousSessionAreDroppedOnlyUntilItsHelloIsAcknowledged() throws Exception {
        g = new FakeGuest(tmp, "restored", AgentEvents.NONE, AgentLimits.defaults());
        g.host.expectPreviousSession();
        g.started(7);
        g.send(FakeGuest.stdout(7, "from before the suspend"));
        CompletableFuture<HelloAck> ack = CompletableFuture.supplyAsync(() -> {
            try {
                return g.host.hello(Identity.fresh("restored"), WAIT);
            } catch (AgentException e) {
                throw new IllegalStateException(e);
            }
        });
        acknowledgeHello();
        assertThat(ack.get(WAIT.toSeconds(), TimeUnit.SECONDS).clean()).isTrue();
        assertThat(g.host.violations()).isZero();

        g.send(FakeGuest.stdout(7, "after the ack"));

        await(() -> g.host.violations() == 1, "a frame for a stream never opened, after the ack, to count");
    }
}
