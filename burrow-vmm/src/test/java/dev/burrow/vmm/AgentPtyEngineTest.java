package dev.burrow.vmm;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.ExecEvent;
import dev.burrow.vmm.agent.ExecRequest;
import dev.burrow.vmm.agent.ExecResult;
import dev.burrow.vmm.agent.ExecSession;
import dev.burrow.vmm.agent.internal.Credit;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.testing.Restores;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** Terminal execs, RESIZE and builtin execs (agent 0.4.0) in a real microVM restored from the shared template. */
class AgentPtyEngineTest {

    private static final Duration T = Duration.ofSeconds(30);
    private static final int SIGINT = 2;
    @RegisterExtension
    final Restores vms = new Restores();

    private MicroVm restore() throws Exception {
        return vms.restore();
    }

    /** Reads the terminal's output until it contains {@code needle}; returns all of it. */
    private static String readUntil(ExecSession s, String needle) throws Exception {
        StringBuilder out = new StringBuilder();
        long deadline = System.nanoTime() + T.toNanos();
        while (!out.toString().contains(needle)) {
            long left = deadline - System.nanoTime();
            assertThat(left).as("waiting for " + needle + " in " + out).isPositive();
            switch (s.next(Duration.ofNanos(left))) {
                case null -> { }
                case ExecEvent.Started _ -> { }
                case ExecEvent.Stdout o -> out.append(new String(o.data(), StandardCharsets.UTF_8));
                case ExecEvent e -> throw new AssertionError("waiting for " + needle + " in " + out + ", got " + e);
            }
        }
        return out.toString();
    }

    private static void type(ExecSession s, String keys) throws Exception {
        byte[] b = keys.getBytes(StandardCharsets.UTF_8);
        s.writeStdin(b, 0, b.length, T);
    }

    private static void await(BooleanSupplier condition, String what) {
        long deadline = System.nanoTime() + T.toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
            LockSupport.parkNanos(20_000_000);
        }
    }

    private static boolean sleeping(MicroVm vm) {
        try {
            return vm.agent().run(ExecRequest.of("pidof", "sleep"), T).exitCode() == 0;
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void aTerminalExecRunsOnAPseudoTerminalOwnedByItsUser() throws Exception {
        MicroVm vm = restore();
        ExecResult r = vm.agent().run(ExecRequest.of("sh", "-c", "tty; stat -c '%U:%G %a' \"$(tty)\"; echo $TERM")
                .withUser("burrow").withPty(80, 24), T);

        assertThat(r.exitCode()).isZero();
        assertThat(r.stderr()).isEmpty();
        assertThat(r.stdoutText()).matches("/dev/pts/\\d+\r\nburrow:burrow 600\r\nxterm-256color\r\n");
    }

    @Test
    void sttySeesTheRequestedSizeAndThenTheResizedOne() throws Exception {
        MicroVm vm = restore();
        ExecSession s = vm.agent().exec(ExecRequest.of("sh", "-c", "stty size; read go; stty size").withPty(100, 30));
        assertThat(readUntil(s, "\n")).contains("30 100");

        s.resize(120, 40);
        type(s, "go\n");

        assertThat(readUntil(s, "40 120")).doesNotContain("30 100");
        assertThat(s.await(T).exitCode()).isZero();
    }

    @Test
    void controlCTypedAtTheTerminalInterruptsTheShellsForegroundJob() throws Exception {
        MicroVm vm = restore();
        ExecSession s = vm.agent().exec(ExecRequest.of("sh").withPty(80, 24));
        type(s, "sleep 100\n");
        await(() -> sleeping(vm), "sleep to run");

        type(s, "\u0003");

        await(() -> !sleeping(vm), "sleep to be interrupted");
        type(s, "echo still-$((6*7))\n");
        readUntil(s, "still-42");
        type(s, "exit 3\n");
        assertThat(s.await(T).exitCode()).isEqualTo(3);
    }

    @Test
    void aSignalFromTheHostGoesToTheTerminalsForegroundJobAndTheShellLivesOn() throws Exception {
        MicroVm vm = restore();
        ExecSession s = vm.agent().exec(ExecRequest.of("sh").withPty(80, 24));
        type(s, "sleep 100\n");
        await(() -> sleeping(vm), "sleep to run");

        s.signal(SIGINT);

        await(() -> !sleeping(vm), "sleep to be interrupted");
        type(s, "echo still-$((6*7))\n");
        readUntil(s, "still-42");
        s.kill();
    }

    @Test
    void aTerminalFloodingAHostThatDoesNotReadStopsAtTheWindow() throws Exception {
        MicroVm vm = restore();
        AgentConnection agent = vm.agent();
        ExecSession s = agent.exec(ExecRequest.of("yes", "flood").withPty(80, 24));

        await(() -> s.queuedCredit() >= Credit.INITIAL_WINDOW - Frame.DATA_FRAME_COST, "the flood to fill the window");
        // round trips through the agent while the flood is blocked: it keeps serving, sends nothing more
        for (int i = 0; i < 5; i++) {
            agent.ping(T);
        }

        assertThat(s.queuedCredit()).isLessThanOrEqualTo(Credit.INITIAL_WINDOW);
        assertThat(agent.violations()).isZero();
        assertThat(s.isDone()).isFalse();
        readUntil(s, "flood\r\nflood\r\n");
        s.kill();
        assertThat(vm.agent().run(ExecRequest.of("echo", "after"), T).stdoutText()).isEqualTo("after\n");
    }

    @Test
    void aBuiltinTheAgentDoesNotKnowIsAnErrorNotAProgram() throws Exception {
        MicroVm vm = restore();
        ExecSession s = vm.agent().exec(ExecRequest.of("no-such-builtin").asBuiltin());

        assertThat(s.next(T)).isEqualTo(new ExecEvent.Failed("unknown builtin no-such-builtin"));
    }

    @Test
    void aBuiltinOnATerminalIsRefusedByTheAgent() throws Exception {
        MicroVm vm = restore();
        ExecSession s = vm.agent().exec(ExecRequest.of("echo", "x").asBuiltin().withPty(80, 24));

        assertThat(s.next(T)).isInstanceOfSatisfying(ExecEvent.Failed.class,
                f -> assertThat(f.message()).contains("bad EXEC").contains("builtin"));
    }
}
