package dev.burrow.daemon;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * A stand-in burrowd for the CLI's {@code up}/{@code down} tests (test class path only; the
 * CLI module does not depend on the real daemon): started the way {@code burrow up} starts the
 * real one, it writes {@code admin.key} and {@code burrowd.pid} into {@code BURROW_DATA_DIR},
 * listens on {@code BURROW_LISTEN}, is ready a moment after start, and leaves on SIGTERM. Its
 * admin routes are just what the key handover of {@code up} calls: tenants (create, list as the
 * admin probe) and key creation; every key it mints is appended to {@code keys-minted}.
 */
public final class Burrowd {
    public static void main(String[] args) throws Exception {
        Path data = Path.of(System.getenv("BURROW_DATA_DIR"));
        String listen = System.getenv("BURROW_LISTEN");
        int colon = listen.lastIndexOf(':');
        if (colon < 0) {
            System.err.println("fake burrowd: BURROW_LISTEN must be host:port; got " + listen);
            System.exit(1);
        }
        Files.createDirectories(data);
        Path keyFile = data.resolve("admin.key");
        if (!Files.exists(keyFile)) {
            Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(keyFile, "bk_admin_" + UUID.randomUUID().toString().replace("-", "") + "\n");
        }
        String key = Files.readString(keyFile).trim();
        Path pidFile = data.resolve("burrowd.pid");
        Files.writeString(pidFile, ProcessHandle.current().pid() + "\n");
        Files.writeString(data.resolve("env-seen"), "BURROW_DEV=" + System.getenv("BURROW_DEV")
                + "\nBURROW_CACHE_DIR=" + System.getenv("BURROW_CACHE_DIR")
                + "\nBURROW_LOG_FILE=" + System.getenv("BURROW_LOG_FILE")
                + "\nJVM=" + java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments() + "\n");
        long readyAt = System.currentTimeMillis() + 700;
        Map<String, Boolean> keys = new ConcurrentHashMap<>();   // key → admin
        keys.put(key, true);
        Set<String> tenants = ConcurrentHashMap.newKeySet();
        tenants.add("admin");

        HttpServer server = HttpServer.create(new InetSocketAddress(listen.substring(0, colon), Integer.parseInt(listen.substring(colon + 1))), 0);
        server.createContext("/healthz", ex -> send(ex, 200, "{\"status\":\"ok\"}"));
        server.createContext("/readyz", ex -> {
            boolean ready = System.currentTimeMillis() >= readyAt;
            send(ex, ready ? 200 : 503, "{\"status\":\"" + (ready ? "ready" : "not-ready") + "\",\"checks\":{}}");
        });
        server.createContext("/v1/version", ex -> {
            if (principal(ex, keys) == null) {
                send(ex, 401, UNAUTHORIZED);
            } else {
                send(ex, 200, "{\"server\":\"0.1.0-fake\",\"agentProtocol\":1,\"vmm\":\"qemu 7.2.22\",\"accelerator\":\"TCG\",\"kernel\":\"6.1\"}");
            }
        });
        // just enough microVMs for `down --suspend-all|--terminate-all`: run, list, suspend, delete
        Map<String, String> states = new ConcurrentSkipListMap<>();
        server.createContext("/v1/microvms", ex -> {
            if (principal(ex, keys) == null) {
                send(ex, 401, UNAUTHORIZED);
                return;
            }
            ex.getRequestBody().readAllBytes();
            String[] p = ex.getRequestURI().getPath().substring(1).split("/");
            String method = ex.getRequestMethod();
            if (p.length == 2 && method.equals("POST")) {
                String id = "vm01fake" + (states.size() + 1);
                states.put(id, "RUNNING");
                send(ex, 201, vm(id, "RUNNING"));
            } else if (p.length == 2 && method.equals("GET")) {
                StringBuilder items = new StringBuilder();
                states.forEach((id, st) -> items.append(items.isEmpty() ? "" : ",").append(vm(id, st)));
                send(ex, 200, "{\"items\":[" + items + "],\"nextCursor\":null}");
            } else if (p.length == 4 && p[3].equals("suspend") && states.containsKey(p[2])) {
                states.put(p[2], "SUSPENDED");
                send(ex, 200, vm(p[2], "SUSPENDED"));
            } else if (p.length == 3 && method.equals("DELETE") && states.containsKey(p[2])) {
                states.put(p[2], "TERMINATED");
                send(ex, 202, vm(p[2], "TERMINATED"));
            } else {
                send(ex, 404, "{\"type\":\"https://burrow.dev/problems/not-found\",\"title\":\"not found\",\"status\":404,\"detail\":\"no route\"}");
            }
        });
        server.createContext("/v1/admin", ex -> {
            Boolean admin = principal(ex, keys);
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            String path = ex.getRequestURI().getPath();
            String method = ex.getRequestMethod();
            if (admin == null) {
                send(ex, 401, UNAUTHORIZED);
            } else if (!admin) {
                send(ex, 403, "{\"type\":\"https://burrow.dev/problems/forbidden\",\"title\":\"Forbidden\",\"status\":403,\"detail\":\"this call needs an admin key\"}");
            } else if (path.equals("/v1/admin/tenants") && method.equals("GET")) {
                send(ex, 200, "{\"items\":[],\"nextCursor\":null}");
            } else if (path.equals("/v1/admin/tenants") && method.equals("POST")) {
                String name = body.replaceAll(".*\"name\":\"([a-z0-9-]+)\".*", "$1");
                boolean created = tenants.add(name);
                send(ex, created ? 201 : 409, created ? tenant(name)
                        : "{\"type\":\"https://burrow.dev/problems/conflict\",\"title\":\"Conflict\",\"status\":409,\"detail\":\"tenant exists\"}");
            } else if (path.equals("/v1/admin/keys") && method.equals("POST")) {
                String tenant = body.replaceAll(".*\"tenant\":\"([a-z0-9-]+)\".*", "$1");
                if (!tenants.contains(tenant) || body.contains("\"admin\":true")) {
                    send(ex, 404, "{\"type\":\"https://burrow.dev/problems/not-found\",\"title\":\"Not found\",\"status\":404,\"detail\":\"no tenant\"}");
                    return;
                }
                String minted = "bk_" + tenant + "_" + UUID.randomUUID().toString().replace("-", "");
                keys.put(minted, false);
                Files.writeString(data.resolve("keys-minted"), tenant + " " + minted + "\n", StandardOpenOption.CREATE, StandardOpenOption.APPEND);
                send(ex, 201, "{\"id\":\"key" + keys.size() + "\",\"tenant\":\"" + tenant + "\",\"prefix\":\"" + minted.substring(0, 8)
                        + "\",\"admin\":false,\"createdAt\":\"2026-12-01T10:00:00Z\",\"key\":\"" + minted + "\"}");
            } else {
                send(ex, 404, "{\"type\":\"https://burrow.dev/problems/not-found\",\"title\":\"not found\",\"status\":404,\"detail\":\"no route\"}");
            }
        });
        server.start();
        System.out.println("fake burrowd listening on " + listen);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.stop(0);
            try {
                Files.deleteIfExists(pidFile);
            } catch (IOException ignored) {
                // best effort
            }
        }));
        Thread.currentThread().join();
    }

    private static final String UNAUTHORIZED =
            "{\"type\":\"https://burrow.dev/problems/unauthorized\",\"title\":\"Unauthorized\",\"status\":401,\"detail\":\"bad key\"}";

    /** Whether the request's key is an admin key; null when it is no key of ours. */
    private static Boolean principal(HttpExchange ex, Map<String, Boolean> keys) {
        String auth = ex.getRequestHeaders().getFirst("Authorization");
        return auth == null || !auth.startsWith("Bearer ") ? null : keys.get(auth.substring("Bearer ".length()));
    }

    private static String tenant(String name) {
        return "{\"id\":\"tn" + name + "\",\"name\":\"" + name + "\",\"createdAt\":\"2026-12-01T10:00:00Z\",\"quotas\":{},\"usage\":{}}";
    }

    private static String vm(String id, String state) {
        return "{\"id\":\"" + id + "\",\"image\":\"demo\",\"version\":1,\"state\":\"" + state + "\",\"labels\":{}}";
    }

    private static void send(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length);
        ex.getResponseBody().write(b);
        ex.close();
    }
}
