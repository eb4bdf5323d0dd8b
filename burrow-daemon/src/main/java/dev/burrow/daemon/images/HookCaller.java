package dev.burrow.daemon.images;

import dev.burrow.vmm.agent.AgentConnection;
import dev.burrow.vmm.agent.AgentException;
import dev.burrow.vmm.agent.TcpStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Calls {@code POST /burrow/v1/<hook>} on the hooks port inside the guest, over an agent TCP
 * tunnel (nothing on the host network). An application that answers 404 there is asked again at
 * {@code POST /<hook>}, the path AWS Lambda MicroVMs calls: an application written for AWS's
 * service runs unchanged (SPEC §8), at the cost of one in-guest round trip per hook call. For
 * ready/validate, connection refused and 503 mean
 * "not yet" and are retried with backoff until the timeout (SPEC §1); anything else decides.
 * Every step has a deadline inside the caller's total: a guest that accepts the connection and
 * then stays silent (or trickles bytes) cannot hold a build longer than the hook's timeout.
 */
public final class HookCaller {

    static final int MAX_BODY = 64 * 1024;
    /** One connect attempt; a slower accept counts as "not yet" and is retried within the total. */
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Silence between two reads of the answer; never more than what is left of the total. */
    static final Duration READ_TIMEOUT = Duration.ofSeconds(30);
    /** Burrow's own hook path prefix, and the one AWS's service uses (the hook's name at the root). */
    static final String BURROW_PATH = "/burrow/v1/";
    static final String AWS_PATH = "/";
    private static final int NOT_FOUND = 404;

    public record Outcome(boolean ok, int status, String body, String problem) {
        public String describe() {
            return problem != null ? problem : "HTTP " + status + (body.isEmpty() ? "" : ": " + body);
        }
    }

    private HookCaller() {}

    public static Outcome call(AgentConnection agent, int port, String hook, byte[] payload, Duration timeout, boolean retryNotYet)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        long pause = 50;
        Outcome last = null;
        while (true) {
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                return new Outcome(false, last == null ? 0 : last.status, last == null ? "" : last.body,
                        "timed out after " + timeout.toSeconds() + " s" + (last == null ? "" : " (last: " + last.describe() + ")"));
            }
            Outcome o = once(agent, port, BURROW_PATH + hook, payload, deadline);
            if (o.status == NOT_FOUND && System.nanoTime() < deadline) {
                Outcome aws = once(agent, port, AWS_PATH + hook, payload, deadline);
                o = aws.status == NOT_FOUND ? new Outcome(false, NOT_FOUND, aws.body, "HTTP 404 at both " + BURROW_PATH + hook
                        + " and " + AWS_PATH + hook + (aws.body.isEmpty() ? "" : ": " + aws.body)) : aws;
            }
            boolean cutShort = o.problem != null && o.problem.contains("did not connect within");
            if (!cutShort) {
                last = o;
            }
            boolean notYet = cutShort || o.status == 503 || (o.problem != null && o.problem.contains("refused"));
            if (!retryNotYet || !notYet) {
                return o;
            }
            Thread.sleep(Math.max(1, Math.min(pause, (deadline - System.nanoTime()) / 1_000_000)));
            pause = Math.min(pause * 2, 1000);
        }
    }

    private static Outcome once(AgentConnection agent, int port, String path, byte[] payload, long deadline) {
        Duration connect = Duration.ofNanos(Math.max(1, Math.min(CONNECT_TIMEOUT.toNanos(), deadline - System.nanoTime())));
        try (TcpStream s = agent.connect(port, connect)) {
            OutputStream out = s.output();
            String head = "POST " + path + " HTTP/1.1\r\nHost: localhost:" + port + "\r\nUser-Agent: burrow\r\n"
                    + "Content-Type: application/json\r\nContent-Length: " + payload.length + "\r\nConnection: close\r\n\r\n";
            out.write(head.getBytes(StandardCharsets.US_ASCII));
            out.write(payload);
            out.flush();
            return readResponse(s.input(READ_TIMEOUT, deadline));
        } catch (AgentException e) {
            return new Outcome(false, 0, "", e.getMessage());
        } catch (IOException e) {
            return new Outcome(false, 0, "", "hook connection failed: " + e.getMessage());
        }
    }

    /** Reads a status line, headers and at most 64 KiB of body; never more, whatever the guest sends. */
    private static Outcome readResponse(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        int headerEnd = -1;
        int n;
        while ((n = in.read(chunk)) > 0) {
            buf.write(chunk, 0, Math.min(n, MAX_BODY + 16384 - buf.size()));
            byte[] b = buf.toByteArray();
            if (headerEnd < 0) {
                headerEnd = indexOf(b, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            if (buf.size() >= MAX_BODY + 16384) {
                break;
            }
        }
        byte[] b = buf.toByteArray();
        String text = new String(b, 0, headerEnd < 0 ? b.length : headerEnd, StandardCharsets.ISO_8859_1);
        String[] statusLine = text.split("\r\n", 2)[0].split(" ", 3);
        if (statusLine.length < 2 || !statusLine[0].startsWith("HTTP/1.") || !statusLine[1].matches("\\d{3}")) {
            return new Outcome(false, 0, "", "the hook did not answer with HTTP (got: "
                    + text.substring(0, Math.min(80, text.length())).replaceAll("\\p{Cntrl}", "?") + ")");
        }
        int status = Integer.parseInt(statusLine[1]);
        String body = headerEnd < 0 ? "" : new String(b, headerEnd + 4, Math.min(MAX_BODY, b.length - headerEnd - 4), StandardCharsets.UTF_8);
        return new Outcome(status == 200, status, body, null);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
