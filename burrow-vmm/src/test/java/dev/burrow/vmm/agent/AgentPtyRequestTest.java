package dev.burrow.vmm.agent;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.vmm.agent.internal.AgentVersion;
import dev.burrow.vmm.agent.internal.ExecFlags;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.Payload;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The host's side of terminal execs, RESIZE and builtins (agent 0.4.0), against a scripted guest. */
class AgentPtyRequestTest {

    private static final Duration WAIT = Duration.ofSeconds(10);

    @TempDir
    Path tmp;
    private FakeGuest g;

    @AfterEach
    void close() throws Exception {
        if (g != null) {
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

    /** A guest whose HELLO_ACK reports this agent version. */
    private void greetedBy(String agentVersion) throws Exception {
        g = new FakeGuest(tmp, "pty", AgentEvents.NONE, AgentLimits.defaults());
        CompletableFuture<HelloAck> ack = CompletableFuture.supplyAsync(() -> {
            try {
                return g.host.hello(Identity.fresh("pty"), WAIT);
            } catch (AgentException e) {
                throw new IllegalStateException(e);
            }
        });
        Frame hello = nextFromHost(Frame.HELLO);
        long nonce = Payload.reader(hello).u64();
        g.send(new Frame(Frame.HELLO_ACK, 0, Payload.writer().u64(nonce).u32(AgentConnection.PROTOCOL_VERSION).str(agentVersion)
                .u32(0).str("").u8(0).u32(0).u32(0).toBytes()));
        assertThat(ack.get(WAIT.toSeconds(), TimeUnit.SECONDS).agentVersion()).isEqualTo(agentVersion);
    }

    private Frame nextFromHost(int type) throws InterruptedException {
        Frame f;
        do {
            f = g.fromHost.poll(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertThat(f).as("a frame of type " + Frame.typeName(type) + " from the host").isNotNull();
        } while (f.type() != type);
        return f;
    }

    @Test
    void aTerminalExecSaysPtyAndStdinInItsFlagsAndEndsWithColumnsThenRows() throws Exception {
        greetedBy("0.4.0");
        ExecSession s = g.host.exec(ExecRequest.of("sh").withEnv(Map.of("A", "1")).withPty(132, 43));
        assertThat(s.isPty()).isTrue();

        Payload.Reader r = Payload.reader(nextFromHost(Frame.EXEC));
        assertThat(r.i32()).isEqualTo(ExecFlags.STDIN | ExecFlags.PTY);
        assertThat(r.str()).isEmpty();
        assertThat(r.str()).isEmpty();
        assertThat(r.strs()).containsExactly("sh");
        assertThat(r.strs()).containsExactly("A=1");
        assertThat(r.u16()).isEqualTo(132);
        assertThat(r.u16()).isEqualTo(43);
        r.end();
    }

    @Test
    void aBuiltinExecSaysBuiltinInItsFlagsAndCarriesNoTerminalSize() throws Exception {
        greetedBy("0.4.0");
        g.host.exec(ExecRequest.of("stat", "/etc").asBuiltin());

        Payload.Reader r = Payload.reader(nextFromHost(Frame.EXEC));
        assertThat(r.i32()).isEqualTo(ExecFlags.BUILTIN);
        r.str();
        r.str();
        assertThat(r.strs()).containsExactly("stat", "/etc");
        assertThat(r.strs()).isEmpty();
        r.end();
    }

    @Test
    void resizeSendsColumnsThenRowsOnTheExecsStream() throws Exception {
        greetedBy("0.4.1");
        ExecSession s = g.host.exec(ExecRequest.of("sh").withPty(80, 24));
        s.resize(200, 50);

        Frame f = nextFromHost(Frame.RESIZE);
        assertThat(f.stream()).isEqualTo(s.id());
        Payload.Reader r = Payload.reader(f);
        assertThat(r.u16()).isEqualTo(200);
        assertThat(r.u16()).isEqualTo(50);
        r.end();
    }

    @Test
    void anExecWithoutATerminalCannotBeResizedAndSizesStayWithinOneToAThousand() throws Exception {
        greetedBy("0.4.0");
        ExecSession plain = g.host.exec(ExecRequest.of("cat"));
        assertThatThrownBy(() -> plain.resize(80, 24)).isInstanceOf(IllegalStateException.class);
        ExecSession tty = g.host.exec(ExecRequest.of("sh").withPty(80, 24));
        assertThatThrownBy(() -> tty.resize(0, 24)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> tty.resize(80, 1001)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> ExecRequest.of("sh").withPty(1001, 24)).isInstanceOf(IllegalArgumentException.class);
        assertThat(ExecRequest.of("sh").withPty(1, 1000).pty()).isEqualTo(new ExecRequest.Pty(1, 1000));
    }

    @Test
    void anAgentOlderThanFourZeroGetsNoTerminalOrBuiltinExecAndTheMessageSaysRebuild() throws Exception {
        greetedBy("0.3.0");
        assertThatThrownBy(() -> g.host.exec(ExecRequest.of("sh").withPty(80, 24)))
                .isInstanceOf(AgentTooOldException.class)
                .hasMessageContaining("0.3.0").hasMessageContaining("older agent").hasMessageContaining("rebuild");
        assertThatThrownBy(() -> g.host.exec(ExecRequest.of("stat").asBuiltin()))
                .isInstanceOf(AgentTooOldException.class).hasMessageContaining("rebuild");
        // a plain exec still goes out, and is the only EXEC the guest sees
        g.host.exec(ExecRequest.of("true"));
        Frame exec = nextFromHost(Frame.EXEC);
        assertThat(Payload.reader(exec).i32()).isZero();
        assertThat(g.fromHost.stream().filter(f -> f.type() == Frame.EXEC)).isEmpty();
    }

    @Test
    void anAgentVersionThatIsNotAVersionCountsAsTooOld() throws Exception {
        greetedBy("fake");
        assertThatThrownBy(() -> g.host.exec(ExecRequest.of("sh").withPty(80, 24)))
                .isInstanceOf(AgentException.class).hasMessageContaining("rebuild");
    }

    @Test
    void beforeAnyHelloATerminalExecIsRefusedForItsUnknownAgent() throws Exception {
        g = new FakeGuest(tmp, "unknown", AgentEvents.NONE, AgentLimits.defaults());
        assertThatThrownBy(() -> g.host.exec(ExecRequest.of("sh").withPty(80, 24)))
                .isInstanceOf(AgentException.class).hasMessageContaining("no HELLO");
        assertThat(g.host.agentVersion()).isNull();
    }

    @Test
    void stderrOnATerminalExecIsAViolationThatFailsTheExec() throws Exception {
        greetedBy("0.4.0");
        ExecSession s = g.host.exec(ExecRequest.of("sh").withPty(80, 24));
        g.started(s.id());
        g.send(new Frame(Frame.STDERR, s.id(), "no stderr on a terminal".getBytes()));

        assertThatThrownBy(() -> s.await(WAIT)).isInstanceOf(AgentException.class).hasMessageContaining("STDERR on a terminal");
        await(() -> g.host.violations() == 1, "the violation to count");
        assertThat(g.host.isOpen()).isTrue();
    }

    @Test
    void agentVersionsCompareNumericallyNotAsText() {
        assertThat(AgentVersion.parse("0.10.0")).isGreaterThan(AgentVersion.PTY_AND_BUILTINS);
        assertThat(AgentVersion.parse("0.3.9")).isLessThan(AgentVersion.PTY_AND_BUILTINS);
        assertThat(AgentVersion.parse("1.0.0-rc1")).isGreaterThan(AgentVersion.PTY_AND_BUILTINS);
        assertThat(AgentVersion.parse("0.4.0")).isEqualByComparingTo(AgentVersion.PTY_AND_BUILTINS);
        assertThat(AgentVersion.parse("0.4")).isNull();
        assertThat(AgentVersion.parse("99999999.0.0")).isNull();
        assertThat(AgentVersion.parse(null)).isNull();
    }

    @Test
    void theSixFieldRequestOfEarlierCallersHasNoTerminalAndIsNoBuiltin() {
        ExecRequest r = new ExecRequest(List.of("ls"), Map.of(), "/", "root", true, false);
        assertThat(r.pty()).isNull();
        assertThat(r.builtin()).isFalse();
        assertThat(ExecFlags.of(r)).isEqualTo(ExecFlags.STDIN);
        assertThat(ExecFlags.of(r.asBuiltin().withPty(80, 24))).isEqualTo(ExecFlags.STDIN | ExecFlags.PTY | ExecFlags.BUILTIN);
    }
}
