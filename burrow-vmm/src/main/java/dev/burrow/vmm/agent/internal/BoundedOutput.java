package dev.burrow.vmm.agent.internal;

import java.io.ByteArrayOutputStream;

/** Collects at most {@code cap} bytes; what comes after is counted, not kept. */
public final class BoundedOutput {

    private final int cap;
    private final ByteArrayOutputStream kept = new ByteArrayOutputStream();
    private long dropped;

    public BoundedOutput(int cap) {
        this.cap = cap;
    }

    public void write(byte[] data) {
        int room = cap - kept.size();
        int n = Math.min(room, data.length);
        kept.write(data, 0, n);
        dropped += data.length - n;
    }

    public byte[] bytes() {
        return kept.toByteArray();
    }

    public long dropped() {
        return dropped;
    }
}
