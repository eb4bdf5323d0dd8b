package dev.burrow.vmm.qemu.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.burrow.vmm.VmmException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A QMP client: one command at a time, each with a deadline. Asynchronous events are read and
 * dropped by the reader thread so they never block replies.
 */
public final class Qmp implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNode CLOSED = JSON.createObjectNode();

    private final SocketChannel channel;
    private final LinkedBlockingQueue<JsonNode> replies = new LinkedBlockingQueue<>();
    private final String name;

    private Qmp(SocketChannel channel, String name) {
        this.channel = channel;
        this.name = name;
        BufferedReader in = new BufferedReader(new InputStreamReader(Channels.newInputStream(channel), StandardCharsets.UTF_8));
        Thread.ofVirtual().name(name + "-qmp").start(() -> {
            try {
                String line;
                while ((line = in.readLine()) != null) {
                    JsonNode n = JSON.readTree(line);
                    if (n.has("return") || n.has("error") || n.has("QMP")) {
                        replies.add(n);
                    }
                }
            } catch (IOException e) {
                // closed
            } finally {
                replies.add(CLOSED);
            }
        });
    }

    /** Takes over a connected socket: reads the greeting and negotiates capabilities. */
    public static Qmp open(SocketChannel channel, String name, Duration timeout) throws VmmException {
        Qmp q = new Qmp(channel, name);
        q.take(timeout, "the QMP greeting");
        q.execute("qmp_capabilities", Map.of(), timeout);
        return q;
    }

    public synchronized JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) throws VmmException {
        ObjectNode req = JSON.createObjectNode();
        req.put("execute", command);
        if (!arguments.isEmpty()) {
            req.set("arguments", JSON.valueToTree(arguments));
        }
        try {
            byte[] b = (JSON.writeValueAsString(req) + "\n").getBytes(StandardCharsets.UTF_8);
            ByteBuffer buf = ByteBuffer.wrap(b);
            while (buf.hasRemaining()) {
                channel.write(buf);
            }
        } catch (IOException e) {
            throw new VmmException("QMP " + command + " to " + name + " failed: " + e.getMessage(), e);
        }
        JsonNode reply = take(timeout, "QMP " + command);
        if (reply.has("error")) {
            throw new VmmException("QMP " + command + " failed: " + reply.get("error").path("desc").asText());
        }
        return reply.path("return");
    }

    public JsonNode execute(String command, Duration timeout) throws VmmException {
        return execute(command, Map.of(), timeout);
    }

    private JsonNode take(Duration timeout, String what) throws VmmException {
        try {
            JsonNode n = replies.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
            if (n == null) {
                throw new VmmException("timed out after " + timeout.toMillis() + " ms waiting for " + what + " from " + name);
            }
            if (n == CLOSED) {
                replies.add(CLOSED);
                throw new VmmException("QMP connection to " + name + " closed while waiting for " + what);
            }
            return n;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new VmmException("interrupted waiting for " + what, e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
