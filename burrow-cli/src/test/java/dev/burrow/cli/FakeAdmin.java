package dev.burrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The admin side of {@link FakeBurrowd}, as issue 10's contract 4 spells it: API keys that belong
 * to tenants (admin or not), {@code /v1/admin/tenants…} with quotas and usage,
 * {@code /v1/admin/keys…} (the secret only in the create answer), 403 for a non-admin key.
 */
final class FakeAdmin {
    static final List<String> QUOTAS = List.of("microvms", "vcpus", "memoryMiB", "suspendedMiB", "uploadsMiB", "builds");
    private static final ObjectMapper M = new ObjectMapper();

    record Key(String id, String tenant, boolean admin, String secret) {
        ObjectNode json() {
            ObjectNode k = M.createObjectNode();
            k.put("id", id);
            k.put("tenant", tenant);
            k.put("prefix", secret.substring(0, 8));
            k.put("admin", admin);
            k.put("createdAt", "2026-11-29T10:00:00Z");
            k.putNull("lastUsedAt");
            return k;
        }
    }

    final Map<String, ObjectNode> tenants = new ConcurrentSkipListMap<>();
    final Map<String, Key> keys = new ConcurrentHashMap<>();
    /** Microvms a tenant has, for the 409 of a delete without force. */
    final Map<String, Integer> microvmsOf = new ConcurrentHashMap<>();
    private final AtomicInteger seq = new AtomicInteger();

    FakeAdmin() {
        addTenant("admin");
        addTenant("dev");
        keys.put(FakeBurrowd.ADMIN_KEY, new Key("key-admin", "admin", true, FakeBurrowd.ADMIN_KEY));
        keys.put(FakeBurrowd.KEY, new Key("key-dev", "dev", false, FakeBurrowd.KEY));
    }

    ObjectNode addTenant(String name) {
        ObjectNode t = M.createObjectNode();
        t.put("id", "tn" + name);
        t.put("name", name);
        t.put("createdAt", "2026-11-29T10:00:00Z");
        ObjectNode q = t.putObject("quotas");
        ObjectNode u = t.putObject("usage");
        QUOTAS.forEach(n -> {
            q.putNull(n);
            u.put(n, 0);
        });
        tenants.put(name, t);
        return t;
    }

    /** The key a request carries, or null. */
    Key principal(String authorization) {
        if (authorization == null || !authorization.startsWith("Bearer ")) return null;
        return keys.get(authorization.substring("Bearer ".length()));
    }

    /** Answers an admin route; false when {@code path} is not one. */
    boolean handle(HttpExchange ex, Key who, String method, String path, String query, byte[] body) throws IOException {
        if (!path.startsWith("/v1/admin/")) return false;
        if (!who.admin()) {
            FakeBurrowd.problem(ex, 403, "forbidden", "this call needs an admin key");
            return true;
        }
        String[] p = path.substring(1).split("/");
        if (p[2].equals("tenants")) {
            tenants(ex, method, p, query, body);
        } else if (p[2].equals("keys")) {
            keys(ex, method, p, query, body);
        } else {
            FakeBurrowd.problem(ex, 404, "not-found", "no route " + path);
        }
        return true;
    }

    private void tenants(HttpExchange ex, String method, String[] p, String query, byte[] body) throws IOException {
        if (p.length == 3 && method.equals("GET")) {
            ObjectNode page = M.createObjectNode();
            ArrayNode items = page.putArray("items");
            tenants.values().forEach(items::add);
            page.putNull("nextCursor");
            FakeBurrowd.json(ex, 200, page);
        } else if (p.length == 3 && method.equals("POST")) {
            JsonNode req = M.readTree(body);
            String name = req.path("name").asText();
            if (tenants.containsKey(name)) {
                FakeBurrowd.problem(ex, 409, "conflict", "tenant " + name + " already exists");
                return;
            }
            ObjectNode t = addTenant(name);
            if (req.has("quotas")) t.withObject("quotas").setAll((ObjectNode) req.get("quotas"));
            FakeBurrowd.json(ex, 201, t);
        } else if (p.length == 4) {
            ObjectNode t = tenants.get(p[3]);
            if (t == null) {
                FakeBurrowd.problem(ex, 404, "not-found", "no tenant " + p[3]);
            } else if (method.equals("GET")) {
                FakeBurrowd.json(ex, 200, t);
            } else if (method.equals("PATCH")) {
                t.withObject("quotas").setAll((ObjectNode) M.readTree(body).get("quotas"));
                FakeBurrowd.json(ex, 200, t);
            } else if (method.equals("DELETE")) {
                int vms = microvmsOf.getOrDefault(p[3], 0);
                if (p[3].equals("admin")) {
                    FakeBurrowd.problem(ex, 409, "conflict", "tenant admin cannot be deleted");
                } else if (vms > 0 && !"force=true".equals(query)) {
                    FakeBurrowd.problem(ex, 409, "conflict", "tenant " + p[3] + " still has " + vms + " microVMs");
                } else {
                    tenants.remove(p[3]);
                    keys.values().removeIf(k -> k.tenant().equals(p[3]));
                    ex.sendResponseHeaders(204, -1);
                }
            } else {
                FakeBurrowd.problem(ex, 405, "method-not-allowed", method);
            }
        } else {
            FakeBurrowd.problem(ex, 404, "not-found", "no route");
        }
    }

    private void keys(HttpExchange ex, String method, String[] p, String query, byte[] body) throws IOException {
        if (p.length == 3 && method.equals("POST")) {
            JsonNode req = M.readTree(body);
            String tenant = req.path("tenant").asText();
            if (!tenants.containsKey(tenant)) {
                FakeBurrowd.problem(ex, 404, "not-found", "no tenant " + tenant);
                return;
            }
            int n = seq.incrementAndGet();
            Key k = new Key("key" + n, tenant, req.path("admin").asBoolean(false), "bk_minted_" + n + "_0123456789abcdef");
            keys.put(k.secret(), k);
            ObjectNode created = k.json().put("key", k.secret());
            if (req.path("aws").asBoolean(false)) {
                created.putObject("aws").put("accessKeyId", "AKIAFAKEFAKEFAKEABCD")
                        .put("secretAccessKey", "fake/secret+" + "x".repeat(27) + n);
            }
            FakeBurrowd.json(ex, 201, created);
        } else if (p.length == 3 && method.equals("GET")) {
            String tenant = query != null && query.contains("tenant=") ? query.replaceAll(".*tenant=([^&]*).*", "$1") : null;
            ObjectNode page = M.createObjectNode();
            ArrayNode items = page.putArray("items");
            keys.values().stream().filter(k -> tenant == null || k.tenant().equals(tenant))
                    .sorted((a, b) -> a.id().compareTo(b.id())).forEach(k -> items.add(k.json()));
            page.putNull("nextCursor");
            FakeBurrowd.json(ex, 200, page);
        } else if (p.length == 4 && method.equals("DELETE")) {
            if (!keys.values().removeIf(k -> k.id().equals(p[3]))) {
                FakeBurrowd.problem(ex, 404, "not-found", "no key " + p[3]);
                return;
            }
            ex.sendResponseHeaders(204, -1);
        } else {
            FakeBurrowd.problem(ex, 404, "not-found", "no route");
        }
    }
}
