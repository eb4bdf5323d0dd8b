package dev.burrow.cli;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * A stand-in burrowd for {@code burrow cp}: one microVM whose guest filesystem is a map (files
 * by path, directories as a set), the files routes of docs/files.md, and canned answers a test
 * sets to play a hostile or failing guest (a tar to serve for a path, a body cut halfway).
 */
final class FakeFiles implements AutoCloseable {
    static final String ID = "vm01files";

    record Put(String path, String query, byte[] body, String contentLength) {}

    final Map<String, byte[]> files = new ConcurrentHashMap<>();
    final Map<String, Boolean> dirs = new ConcurrentHashMap<>();
    /** A tar to answer for a GET of this path (as application/x-tar). */
    final Map<String, byte[]> tars = new ConcurrentHashMap<>();
    /** A GET of this path sends this many bytes of the file and then drops the connection. */
    final Map<String, Integer> cutAfter = new ConcurrentHashMap<>();
    final List<Put> puts = new CopyOnWriteArrayList<>();
    private final HttpServer server;
    private final ExecutorService pool = Executors.newCachedThreadPool();

    FakeFiles() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(pool);
        server.createContext("/", this::handle);
        server.start();
        dirs.put("/", true);
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    private void handle(HttpExchange ex) throws IOException {
        String method = ex.getRequestMethod();
        String path = ex.getRequestURI().getRawPath();
        Map<String, String> q = query(ex.getRequestURI().getRawQuery());
        byte[] body = ex.getRequestBody().readAllBytes();
        if (!("Bearer " + FakeBurrowd.KEY).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
            problem(ex, 401, "unauthorized", "bad key");
            return;
        }
        String filesRoute = "/v1/microvms/" + ID + "/files";
        if (method.equals("GET") && path.equals("/v1/microvms")) {
            send(ex, 200, "application/json", ("{\"items\":[{\"id\":\"" + ID + "\"}],\"nextCursor\":null}").getBytes());
        } else if (method.equals("GET") && path.equals(filesRoute)) {
            read(ex, q.get("path"));
        } else if (method.equals("PUT") && path.equals(filesRoute)) {
            String p = q.get("path");
            puts.add(new Put(p, ex.getRequestURI().getRawQuery(), body, ex.getRequestHeaders().getFirst("Content-Length")));
            if ("dir".equals(q.get("type"))) {
                dirs.put(p, true);
            } else {
                files.put(p, body);
            }
            send(ex, 200, "application/json", ("{\"path\":\"" + p + "\",\"type\":\"file\"}").getBytes());
        } else if (method.equals("GET") && path.equals(filesRoute + "/list")) {
            String p = q.get("path");
            if (files.containsKey(p)) {
                send(ex, 200, "application/x-ndjson", ("{\"path\":\"" + p + "\",\"type\":\"file\"}\n").getBytes());
            } else if (dirs.containsKey(p)) {
                StringBuilder b = new StringBuilder();
                String prefix = p.endsWith("/") ? p : p + "/";
                files.keySet().stream().filter(f -> f.startsWith(prefix) && f.indexOf('/', prefix.length()) < 0)
                        .forEach(f -> b.append("{\"path\":\"").append(f).append("\",\"type\":\"file\"}\n"));
                send(ex, 200, "application/x-ndjson", b.toString().getBytes());
            } else {
                problem(ex, 404, "not-found", "burrow: list " + p + ": No such file or directory");
            }
        } else {
            problem(ex, 404, "not-found", "no route " + method + " " + path);
        }
    }

    private void read(HttpExchange ex, String p) throws IOException {
        if (tars.containsKey(p)) {
            send(ex, 200, "application/x-tar", tars.get(p));
            return;
        }
        byte[] data = files.get(p);
        if (data == null) {
            problem(ex, 404, "not-found", "burrow: read " + p + ": No such file or directory");
            return;
        }
        Integer cut = cutAfter.get(p);
        if (cut == null) {
            send(ex, 200, "application/octet-stream", data);
            return;
        }
        ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
        ex.sendResponseHeaders(200, 0);
        OutputStream out = ex.getResponseBody();
        out.write(data, 0, cut);
        out.flush();
        // drop the connection before the last chunk: the client must see a cut transfer, not an end
        throw new IOException("cut on purpose");
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> q = new HashMap<>();
        if (raw == null) {
            return q;
        }
        for (String kv : raw.split("&")) {
            int eq = kv.indexOf('=');
            q.put(URLDecoder.decode(kv.substring(0, eq), StandardCharsets.UTF_8), URLDecoder.decode(kv.substring(eq + 1), StandardCharsets.UTF_8));
        }
        return q;
    }

    private static void problem(HttpExchange ex, int status, String type, String detail) throws IOException {
        send(ex, status, "application/problem+json", ("{\"type\":\"https://burrow.dev/problems/" + type + "\",\"title\":\"" + type
                + "\",\"status\":" + status + ",\"detail\":\"" + detail + "\"}").getBytes());
    }

    private static void send(HttpExchange ex, int status, String type, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", type);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
