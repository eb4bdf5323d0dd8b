package dev.burrow.vmm.agent.internal;

import dev.burrow.vmm.agent.ExecRequest;

/** The {@code u32 flags} of an EXEC payload (docs/PROTOCOL.md, guest/agent/payload.h). */
public final class ExecFlags {

    public static final int STDIN = 0x1;
    /** Agent 0.4.0: a terminal; the payload ends with {@code u16 cols, u16 rows}. */
    public static final int PTY = 0x2;
    public static final int ENTRYPOINT = 0x4;
    /** Agent 0.4.0: argv[0] names a builtin. */
    public static final int BUILTIN = 0x8;

    private ExecFlags() {}

    public static int of(ExecRequest req) {
        return (req.stdinOpen() ? STDIN : 0) | (req.pty() != null ? PTY : 0)
                | (req.entrypoint() ? ENTRYPOINT : 0) | (req.builtin() ? BUILTIN : 0);
    }
}
