package dev.burrow.vmm.agent.internal;

import dev.burrow.vmm.agent.AgentException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Sends frames from one writer thread through a bounded queue, so a guest that stops reading
 * makes senders time out instead of blocking them forever or growing memory.
 */
public final class FrameWriter {

    /** At most this many frames (each ≤ 64 KiB) wait for the guest. */
    static final int QUEUE_FRAMES = 64;
    private static final byte[] POISON = new byte[0];

    private final BlockingQueue<byte[]> queue = new ArrayBlockingQueue<>(QUEUE_FRAMES);
    private final WritableByteChannel channel;
    private final Consumer<IOException> onFailure;
    private final Thread thread;
    private volatile boolean closed;

    public FrameWriter(WritableByteChannel channel, String name, Consumer<IOException> onFailure) {
        this.channel = channel;
        this.onFailure = onFailure;
        this.thread = AgentThreads.start(name, this::run);
    }

    public void send(Frame frame, Duration timeout) throws AgentException {
        if (closed) {
            throw new AgentException("agent channel is closed");
        }
        try {
            if (!queue.offer(FrameEncoder.encode(frame), timeout.toNanos(), TimeUnit.NANOSECONDS)) {
                throw new AgentException("agent did not take frames for " + timeout.toMillis() + " ms (send queue full)");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AgentException("interrupted while sending to the agent", e);
        }
    }

    private void run() {
        try {
            while (true) {
                byte[] next = queue.take();
                if (next == POISON) {
                    return;
                }
                ByteBuffer b = ByteBuffer.wrap(next);
                while (b.hasRemaining()) {
                    channel.write(b);
                }
            }
        } catch (IOException e) {
            closed = true;
            onFailure.accept(e);
        } catch (InterruptedException e) {
            closed = true;
        }
    }

    public void close() {
        closed = true;
        queue.clear();
        queue.offer(POISON);
        thread.interrupt();
    }
}
