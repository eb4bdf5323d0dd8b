package dev.burrow.daemon.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.store.ApiKey;
import dev.burrow.daemon.store.ApiKeys;
import dev.burrow.daemon.store.AwsCredentials;
import dev.burrow.daemon.store.EventLog;
import dev.burrow.daemon.store.Quotas;
import dev.burrow.daemon.store.Tenant;
import dev.burrow.daemon.store.TenantQuotas;
import dev.burrow.daemon.store.Tenants;
import dev.burrow.daemon.store.Usage;
import java.io.IOException;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code /v1/admin/tenants…} and {@code /v1/admin/keys…} (SPEC §3, admin keys only): tenants with
 * their quotas and usage, API keys — with AWS credentials for the Lambda MicroVMs door when asked
 * ({@code "aws": true}, once {@link #awsCredentials} is set). Every change is an event of the
 * admin tenant.
 */
final class AdminRoutes {

    /** A tenant name: a DNS-label-like word, so it fits paths, labels and file names. */
    static final Pattern TENANT_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,62}");
    /** The largest quota value accepted (any field); null means unlimited. */
    static final int MAX_QUOTA = 1_000_000_000;
    static final List<String> QUOTA_NAMES = List.of("microvms", "vcpus", "memoryMiB", "suspendedMiB", "uploadsMiB", "builds");

    private final Tenants tenants;
    private final ApiKeys keys;
    private final TenantQuotas quotas;
    private final TenantTeardown teardown;
    private final EventLog events;
    /** Null until the AWS door is served: then {@code "aws": true} creates credentials. */
    private volatile AwsCredentials aws;

    AdminRoutes(Tenants tenants, ApiKeys keys, TenantQuotas quotas, TenantTeardown teardown, EventLog events) {
        this.tenants = tenants;
        this.keys = keys;
        this.quotas = quotas;
        this.teardown = teardown;
        this.events = events;
    }

    /** Lets key creation issue AWS credentials ({@code "aws": true}) and key views show their access key id. */
    void awsCredentials(AwsCredentials credentials) {
        this.aws = credentials;
    }

    void register(ApiServer api) {
        api.idempotentAdminRoute("POST", "/v1/admin/tenants", this::createTenant);
        api.adminRoute("GET", "/v1/admin/tenants", this::listTenants);
        api.adminRoute("GET", "/v1/admin/tenants/{name}", c -> {
            Queries.only(c, List.of());
            c.send(200, view(tenant(c.param("name"))));
        });
        api.adminRoute("PATCH", "/v1/admin/tenants/{name}", this::patchTenant);
        api.adminRoute("DELETE", "/v1/admin/tenants/{name}", this::deleteTenant);
        api.adminRoute("POST", "/v1/admin/keys", this::createKey);
        api.adminRoute("GET", "/v1/admin/keys", this::listKeys);
        api.adminRoute("GET", "/v1/admin/keys/{id}", c -> {
            Queries.only(c, List.of());
            ApiKey k = activeKey(c.param("id"));
            c.send(200, KeyView.of(k, tenants.get(k.tenantId()).map(Tenant::name).orElse(null), accessKeyIds(List.of(k)).get(k.id())));
        });
        api.adminRoute("DELETE", "/v1/admin/keys/{id}", this::revokeKey);
    }

    record TenantView(String id, String name, Instant createdAt, Quotas quotas, Usage usage) {}

    /** A key as listed: {@code awsAccessKeyId} only when it has AWS credentials (their secret is never shown again). */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record KeyView(String id, String tenant, String prefix, boolean admin, Instant createdAt, String awsAccessKeyId) {
        static KeyView of(ApiKey k, String tenant, String awsAccessKeyId) {
            return new KeyView(k.id(), tenant, k.prefix(), k.admin(), k.createdAt(), awsAccessKeyId);
        }
    }

    /** AWS credentials as created: the only answer that holds the secret. */
    record AwsKeyView(String accessKeyId, String secretAccessKey) {
        @Override
        public String toString() {
            return "AwsKeyView[" + accessKeyId + "]";
        }
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record CreatedKey(String id, String tenant, String prefix, boolean admin, Instant createdAt, String key, AwsKeyView aws) {
        @Override
        public String toString() {
            return "CreatedKey[" + id + ", " + tenant + ", " + prefix + "…" + (aws == null ? "" : ", " + aws) + "]";
        }
    }

    // ---- tenants -------------------------------------------------------------------------------

    private void createTenant(Call c) throws Exception {
        Queries.only(c, List.of());
        JsonNode body = object(c);
        FieldErrors errors = new FieldErrors();
        unknownFields(body, List.of("name", "quotas"), "", errors);
        JsonNode name = body.get("name");
        if (name == null) {
            errors.add("name", "name is required");
        } else if (!name.isTextual() || !TENANT_NAME.matcher(name.asText()).matches()) {
            errors.add("name", "name must be a string matching [a-z0-9][a-z0-9-]{0,62}; got " + Queries.printable(name.toString()));
        }
        Quotas q = body.has("quotas") ? quotas(body.get("quotas"), Quotas.UNLIMITED, errors) : Quotas.UNLIMITED;
        errors.throwIfAny();
        Tenant t = tenants.create(name.asText(), q).orElseThrow(() -> new ApiException(409, "conflict", "name",
                "a tenant named " + name.asText() + " exists already"));
        events.append("tenant-created", t.name(), null, null, null, c.requestId, c.tenant());
        c.send(201, view(t));
    }

    private void listTenants(Call c) throws Exception {
        Queries.only(c, List.of("limit", "cursor"));
        Dtos.ListOf<Tenant> page = Queries.page(c, tenants.list());
        c.send(200, new Dtos.ListOf<>(page.items().stream().map(this::view).toList(), page.nextCursor()));
    }

    private void patchTenant(Call c) throws Exception {
        Queries.only(c, List.of());
        Tenant t = tenant(c.param("name"));
        JsonNode body = object(c);
        FieldErrors errors = new FieldErrors();
        unknownFields(body, List.of("quotas"), "", errors);
        if (!body.has("quotas")) {
            errors.add("quotas", "quotas is required: the quotas to change (a member given replaces the current one; null = unlimited)");
        }
        Quotas q = body.has("quotas") ? quotas(body.get("quotas"), t.quotas(), errors) : t.quotas();
        errors.throwIfAny();
        if (!tenants.setQuotas(t.id(), q)) {
            throw ApiException.notFound("no tenant named " + t.name());
        }
        events.append("tenant-quotas", t.name(), null, null, quotaText(q), c.requestId, c.tenant());
        c.send(200, view(tenant(t.name())));
    }

    private void deleteTenant(Call c) throws Exception {
        Queries.only(c, List.of("force"));
        boolean force = Queries.bool(c, "force");
        Tenant t = tenant(c.param("name"));
        if (t.name().equals(Tenants.ADMIN)) {
            throw new ApiException(409, "conflict", null, "the admin tenant cannot be deleted");
        }
        Map<String, Integer> counts = teardown.counts(t.id());
        if (!force && counts.values().stream().anyMatch(n -> n > 0)) {
            throw new ApiException(409, "conflict", null, "tenant " + t.name() + " still has " + counts.get("microvms")
                    + " microVM(s) and " + counts.get("images") + " image(s); delete them or delete the tenant with ?force=true",
                    Map.of("counts", counts));
        }
        if (!teardown.remove(t.id(), c.requestId)) {
            throw ApiException.notFound("no tenant named " + t.name());
        }
        events.append("tenant-deleted", t.name(), null, null, force ? "forced" : null, c.requestId, c.tenant());
        c.response.setStatus(204);
    }

    private Tenant tenant(String name) {
        return tenants.byName(name).orElseThrow(() -> ApiException.notFound("no tenant named " + Queries.printable(name)));
    }

    private TenantView view(Tenant t) {
        return new TenantView(t.id(), t.name(), t.createdAt(), t.quotas(), quotas.usage(t.id()));
    }

    /** {@code node} over {@code base}: each member given replaces that quota (null = unlimited); faults go to {@code errors}. */
    private static Quotas quotas(JsonNode node, Quotas base, FieldErrors errors) {
        if (!node.isObject()) {
            errors.add("quotas", "quotas must be an object with any of " + QUOTA_NAMES);
            return base;
        }
        unknownFields(node, QUOTA_NAMES, "quotas.", errors);
        Map<String, Integer> values = new HashMap<>();
        values.put("microvms", base.microvms());
        values.put("vcpus", base.vcpus());
        values.put("memoryMiB", base.memoryMiB());
        values.put("suspendedMiB", base.suspendedMiB());
        values.put("uploadsMiB", base.uploadsMiB());
        values.put("builds", base.builds());
        for (String name : QUOTA_NAMES) {
            JsonNode v = node.get(name);
            if (v == null) {
                continue;
            }
            if (v.isNull()) {
                values.put(name, null);
            } else if (v.isIntegralNumber() && v.canConvertToLong() && v.asLong() >= 0 && v.asLong() <= MAX_QUOTA) {
                values.put(name, v.asInt());
            } else {
                errors.add("quotas." + name, "quotas." + name + " must be null (unlimited) or a whole number between 0 and "
                        + MAX_QUOTA + "; got " + Queries.printable(v.toString()));
            }
        }
        return new Quotas(values.get("microvms"), values.get("vcpus"), values.get("memoryMiB"), values.get("suspendedMiB"),
                values.get("uploadsMiB"), values.get("builds"));
    }

    private static String quotaText(Quotas q) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("microvms", q.microvms());
        m.put("vcpus", q.vcpus());
        m.put("memoryMiB", q.memoryMiB());
        m.put("suspendedMiB", q.suspendedMiB());
        m.put("uploadsMiB", q.uploadsMiB());
        m.put("builds", q.builds());
        return "quotas " + m;
    }

    // ---- keys ----------------------------------------------------------------------------------

    private void createKey(Call c) throws Exception {
        Queries.only(c, List.of());
        JsonNode body = object(c);
        FieldErrors errors = new FieldErrors();
        unknownFields(body, List.of("tenant", "admin", "aws"), "", errors);
        JsonNode name = body.get("tenant");
        if (name == null) {
            errors.add("tenant", "tenant is required: the name of the tenant the key speaks for");
        } else if (!name.isTextual() || !TENANT_NAME.matcher(name.asText()).matches()) {
            errors.add("tenant", "tenant must be a string matching [a-z0-9][a-z0-9-]{0,62}; got " + Queries.printable(name.toString()));
        }
        JsonNode adminNode = body.get("admin");
        if (adminNode != null && !adminNode.isBoolean()) {
            errors.add("admin", "admin must be true or false; got " + Queries.printable(adminNode.toString()));
        }
        boolean admin = adminNode != null && adminNode.asBoolean();
        JsonNode awsNode = body.get("aws");
        if (awsNode != null && !awsNode.isBoolean()) {
            errors.add("aws", "aws must be true or false; got " + Queries.printable(awsNode.toString()));
        }
        boolean withAws = awsNode != null && awsNode.asBoolean();
        AwsCredentials credentials = aws;
        if (withAws && credentials == null) {
            errors.add("aws", "this burrowd does not serve the Lambda MicroVMs API, so it issues no AWS credentials");
        }
        if (admin && name != null && name.isTextual() && !name.asText().equals(Tenants.ADMIN)) {
            errors.add("admin", "only keys of the admin tenant can be admin keys; a tenant's own keys see only its resources");
        }
        errors.throwIfAny();
        Tenant t = tenant(name.asText());
        ApiKeys.IssuedKey issued;
        AwsKeyView awsView = null;
        if (withAws) {
            AwsCredentials.Issued both = credentials.issue(t.id(), admin);
            issued = both.key();
            awsView = new AwsKeyView(both.accessKeyId(), both.secretAccessKey());
        } else {
            issued = keys.issue(t.id(), admin);
        }
        ApiKey k = issued.info();
        events.append("key-created", k.id(), null, null, "tenant " + t.name() + (admin ? ", admin" : "")
                + (awsView == null ? "" : ", AWS access key " + awsView.accessKeyId()), c.requestId, c.tenant());
        c.send(201, new CreatedKey(k.id(), t.name(), k.prefix(), k.admin(), k.createdAt(), issued.key(), awsView));
    }

    private void listKeys(Call c) throws Exception {
        Queries.only(c, List.of("tenant", "limit", "cursor"));
        String filter = c.query("tenant");
        Map<String, String> names = new HashMap<>();
        tenants.list().forEach(t -> names.put(t.id(), t.name()));
        String tenantId = filter == null ? null : tenant(filter).id();
        List<ApiKey> live = keys.list(tenantId).stream().filter(k -> !k.revoked()).toList();
        Map<String, String> accessKeyIds = accessKeyIds(live);
        List<KeyView> all = live.stream().map(k -> KeyView.of(k, names.get(k.tenantId()), accessKeyIds.get(k.id()))).toList();
        c.send(200, Queries.page(c, all));
    }

    private void revokeKey(Call c) throws Exception {
        Queries.only(c, List.of());
        ApiKey k = activeKey(c.param("id"));
        if (k.admin() && keys.list(k.tenantId()).stream().filter(x -> x.admin() && !x.revoked()).count() <= 1) {
            throw new ApiException(409, "conflict", null, "this is the last admin key; create another admin key before revoking it");
        }
        keys.revoke(k.id());
        events.append("key-revoked", k.id(), null, null, tenants.get(k.tenantId()).map(t -> "tenant " + t.name()).orElse(null),
                c.requestId, c.tenant());
        c.response.setStatus(204);
    }

    /** The access key ids of {@code list}'s keys that have AWS credentials, by key id. */
    private Map<String, String> accessKeyIds(List<ApiKey> list) {
        AwsCredentials credentials = aws;
        return credentials == null ? Map.of() : credentials.accessKeyIds(list.stream().map(ApiKey::id).toList());
    }

    private ApiKey activeKey(String id) {
        Optional<ApiKey> k = keys.get(id).filter(x -> !x.revoked());
        return k.orElseThrow(() -> ApiException.notFound("no API key " + Queries.printable(id)));
    }

    // ---- request bodies --------------------------------------------------------------------------

    /** The body as a JSON tree: these bodies may carry null (an unlimited quota), so they are not bound to records. */
    private static JsonNode object(Call c) {
        byte[] bytes = c.readAhead();
        JsonNode tree;
        try {
            tree = Json.MAPPER.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest(null, "invalid JSON: " + e.getOriginalMessage());
        } catch (IOException e) {
            throw ApiException.badRequest(null, "could not read the request body: " + e.getMessage());
        }
        if (tree == null || tree.isMissingNode()) {
            throw ApiException.badRequest(null, "the request needs a JSON object body");
        }
        if (!tree.isObject()) {
            throw ApiException.badRequest(null, "the request body must be a JSON object");
        }
        return tree;
    }

    private static void unknownFields(JsonNode node, List<String> known, String prefix, FieldErrors errors) {
        node.fieldNames().forEachRemaining(f -> {
            if (!known.contains(f)) {
                String field = prefix + Queries.printable(f);
                errors.add(field, "unknown field '" + field + "'; the accepted fields are " + known);
            }
        });
    }
}
