package dev.burrow.vmm.agent;

import java.nio.charset.StandardCharsets;

/**
 * A finished exec with its output collected. Collection is capped ({@link AgentLimits#maxAwaitOutputBytes}):
 * beyond the cap the first bytes are kept and the rest counted in {@code stdoutDropped}/{@code stderrDropped}.
 */
public record ExecResult(int exitCode, int signal, byte[] stdout, byte[] stderr, long stdoutDropped, long stderrDropped) {

    public ExecResult(int exitCode, int signal, byte[] stdout, byte[] stderr) {
        this(exitCode, signal, stdout, stderr, 0, 0);
    }

    /** True when some output was dropped for being over the cap. */
    public boolean truncated() {
        return stdoutDropped > 0 || stderrDropped > 0;
    }

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
