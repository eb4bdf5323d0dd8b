package dev.burrow.vmm.agent;

import java.nio.charset.StandardCharsets;

/** A finished exec with its output collected. */
public record ExecResult(int exitCode, int signal, byte[] stdout, byte[] stderr) {

    public String stdoutText() {
        return new String(stdout, StandardCharsets.UTF_8);
    }

    public String stderrText() {
        return new String(stderr, StandardCharsets.UTF_8);
    }
}
