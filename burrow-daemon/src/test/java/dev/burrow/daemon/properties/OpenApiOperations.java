package dev.burrow.daemon.properties;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.api.ApiContract;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/** The operations of the OpenAPI document (method, path template, parameters, request body), with {@code $ref}s resolved. */
public final class OpenApiOperations {

    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch");

    /** Where a parameter goes. */
    public enum In { PATH, QUERY, HEADER }

    /** One parameter; {@code schema} is the resolved schema node (its own {@code $ref}s left for {@link SchemaValues}). */
    public record Param(String name, In in, boolean required, JsonNode schema) {}

    /** What body an operation takes: none, JSON with a schema, or streamed bytes. */
    public enum BodyKind { NONE, JSON, STREAM }

    /** One operation of the document. */
    public record Operation(String id, String method, String template, List<Param> params, BodyKind body,
                            boolean bodyRequired, JsonNode bodySchema, boolean authenticated) {

        public List<Param> in(In where) {
            return params.stream().filter(p -> p.in() == where).toList();
        }

        @Override
        public String toString() {
            return id + " (" + method + " " + template + ")";
        }
    }

    /** Paths under it are the ingress endpoint: whatever the guest app answers, so no oracle can judge them. */
    static final String INGRESS_PREFIX = "/proxy/";

    private final JsonNode document;
    private final List<Operation> operations;

    private OpenApiOperations(JsonNode document) {
        this.document = document;
        List<Operation> ops = new ArrayList<>();
        boolean securedByDefault = document.path("security").size() > 0;
        document.path("paths").fields().forEachRemaining(path -> {
            if (path.getKey().startsWith(INGRESS_PREFIX)) {
                return; // the guest app's own surface behind an ingress token, not the API's (IngressTest, IngressHostileTest)
            }
            JsonNode item = path.getValue();
            List<Param> shared = params(item.path("parameters"));
            item.fields().forEachRemaining(m -> {
                if (!METHODS.contains(m.getKey())) {
                    return;
                }
                JsonNode op = m.getValue();
                Map<String, Param> merged = new LinkedHashMap<>();
                shared.forEach(p -> merged.put(p.in() + p.name(), p));
                params(op.path("parameters")).forEach(p -> merged.put(p.in() + p.name(), p));
                JsonNode body = resolve(op.get("requestBody"));
                BodyKind kind = BodyKind.NONE;
                JsonNode schema = null;
                if (body != null) {
                    JsonNode json = body.path("content").get("application/json");
                    kind = json != null ? BodyKind.JSON : BodyKind.STREAM;
                    schema = json == null ? null : json.get("schema");
                }
                boolean authenticated = op.has("security") ? op.get("security").size() > 0 : securedByDefault;
                ops.add(new Operation(op.path("operationId").asText(m.getKey() + " " + path.getKey()), m.getKey().toUpperCase(Locale.ROOT),
                        path.getKey(), List.copyOf(merged.values()), kind, body != null && body.path("required").asBoolean(false), schema,
                        authenticated));
            });
        });
        this.operations = List.copyOf(ops);
    }

    /** The operations of the document burrowd serves (the one {@link ApiContract} validates against). */
    public static OpenApiOperations load() {
        return new OpenApiOperations(ApiContract.get().openApiJson());
    }

    public List<Operation> operations() {
        return operations;
    }

    public JsonNode document() {
        return document;
    }

    /** Follows {@code $ref}s within the document ({@code #/components/...}). */
    public JsonNode resolve(JsonNode node) {
        for (int guard = 0; node != null && node.has("$ref") && guard < 16; guard++) {
            String ref = node.get("$ref").asText();
            node = ref.startsWith("#") ? document.at(ref.substring(1)) : null;
            if (node != null && node.isMissingNode()) {
                node = null;
            }
        }
        return node;
    }

    private List<Param> params(JsonNode list) {
        List<Param> out = new ArrayList<>();
        for (JsonNode raw : list) {
            JsonNode p = resolve(raw);
            In in = switch (p.path("in").asText()) {
                case "path" -> In.PATH;
                case "query" -> In.QUERY;
                case "header" -> In.HEADER;
                default -> null;
            };
            if (in != null) {
                out.add(new Param(p.path("name").asText(), in, p.path("required").asBoolean(in == In.PATH), p.path("schema")));
            }
        }
        return out;
    }
}
