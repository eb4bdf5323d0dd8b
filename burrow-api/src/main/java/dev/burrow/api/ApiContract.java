package dev.burrow.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.JsonNodePath;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi31;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The REST contract of Burrow's {@code /v1} API: the OpenAPI 3.1 document
 * ({@code dev/burrow/api/openapi.yaml}) and the JSON Schemas of stream lines and WebSocket
 * messages ({@code dev/burrow/api/schemas/*.json}), with validation of request bodies, responses
 * and NDJSON lines against them.
 *
 * <p>The stream schemas are standalone JSON Schema files that {@code components/schemas} refers
 * to; {@link #openApiJson()} is the document with those files inlined under their component
 * names, so it is self-contained. Validation builds one JSON Schema whose {@code $defs} are the
 * components and validates a body against a {@code $ref} into it.
 *
 * <p>Every {@code validate…} method answers human-readable violations; an empty list means valid.
 * Instances are immutable and thread-safe; {@link #get()} returns the one loaded copy.
 */
public final class ApiContract {

    /** Classpath folder of the contract's files. */
    public static final String RESOURCE_DIR = "/dev/burrow/api/";
    /** Classpath location of the OpenAPI document. */
    public static final String OPENAPI_RESOURCE = RESOURCE_DIR + "openapi.yaml";

    private static final String COMPONENT_PREFIX = "#/components/schemas/";
    private static final String DEFS_PREFIX = "#/$defs/";
    private static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private static volatile ApiContract instance;

    private final ObjectNode document;
    private final Map<String, String> streamSchemas;
    private final ObjectNode defs;
    private final List<PathTemplate> templates;
    private final JsonSchemaFactory factory;
    private final SchemaValidatorsConfig config;
    private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();

    private ApiContract() {
        ObjectNode raw = (ObjectNode) readResource(OPENAPI_RESOURCE, YAML);
        Map<String, String> files = new LinkedHashMap<>();
        ObjectNode schemas = (ObjectNode) raw.path("components").path("schemas");
        for (Iterator<Map.Entry<String, JsonNode>> it = schemas.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode ref = e.getValue().get("$ref");
            if (e.getValue().size() == 1 && ref != null && !ref.asText().startsWith("#")) {
                files.put(fileName(ref.asText()), e.getKey());
            }
        }
        for (Map.Entry<String, String> f : files.entrySet()) {
            ObjectNode content = (ObjectNode) readResource(RESOURCE_DIR + "schemas/" + f.getKey(), JSON);
            content.remove("$schema");
            content.remove("$id");
            schemas.set(f.getValue(), content);
        }
        rewriteRefs(raw, ref -> {
            if (ref.startsWith("#")) {
                return ref;
            }
            int hash = ref.indexOf('#');
            String file = fileName(hash < 0 ? ref : ref.substring(0, hash));
            String component = files.get(file);
            if (component == null) {
                throw new IllegalStateException("openapi.yaml refers to " + ref + ", which is not a components/schemas entry");
            }
            return COMPONENT_PREFIX + component + (hash < 0 ? "" : ref.substring(hash + 1));
        });
        this.document = raw;
        Map<String, String> streams = new LinkedHashMap<>();
        files.forEach((file, component) -> streams.put(file.substring(0, file.length() - ".json".length()), component));
        this.streamSchemas = Collections.unmodifiableMap(streams);

        this.defs = schemas.deepCopy();
        rewriteRefs(defs, ApiContract::toDefsRef);

        List<PathTemplate> t = new ArrayList<>();
        raw.path("paths").fieldNames().forEachRemaining(p -> t.add(new PathTemplate(p)));
        this.templates = List.copyOf(t);

        this.factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
                b -> b.metaSchema(OpenApi31.getInstance()).defaultMetaSchemaIri(OpenApi31.getInstance().getIri()));
        this.config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
    }

    /** The contract, loaded from the classpath on first use. */
    public static ApiContract get() {
        ApiContract c = instance;
        if (c == null) {
            synchronized (ApiContract.class) {
                c = instance;
                if (c == null) {
                    c = new ApiContract();
                    instance = c;
                }
            }
        }
        return c;
    }

    /** The OpenAPI document as JSON, stream schemas inlined, for {@code GET /v1/openapi.json}. A fresh copy each call. */
    public JsonNode openApiJson() {
        return document.deepCopy();
    }

    /** Stream schema names ({@code exec-frame}, {@code event}, …) to their {@code components/schemas} names. */
    public Map<String, String> streamSchemas() {
        return streamSchemas;
    }

    /** The path template a concrete path (query string ignored) or a template falls under, e.g. {@code /v1/microvms/{id}/exec}. */
    public Optional<String> matchPath(String path) {
        String p = stripQuery(path);
        PathTemplate best = null;
        int bestScore = -1;
        for (PathTemplate t : templates) {
            if (t.template.equals(p)) {
                return Optional.of(t.template);
            }
            int score = t.match(p);
            if (score > bestScore) {
                best = t;
                bestScore = score;
            }
        }
        return best == null ? Optional.empty() : Optional.of(best.template);
    }

    /**
     * Validates a request body. {@code body} null (or missing) means "no JSON body". The path may
     * be a template or a concrete path.
     */
    public List<String> validateRequest(String method, String pathTemplateOrConcretePath, JsonNode body) {
        List<String> out = new ArrayList<>();
        JsonNode op = operation(method, pathTemplateOrConcretePath, out);
        if (op == null) {
            return out;
        }
        String where = method.toUpperCase(Locale.ROOT) + " " + matchPath(pathTemplateOrConcretePath).orElseThrow();
        JsonNode requestBody = resolve(op.get("requestBody"));
        boolean absent = body == null || body.isMissingNode();
        if (requestBody == null) {
            if (!absent) {
                out.add(where + " takes no request body");
            }
            return out;
        }
        JsonNode media = requestBody.path("content").get("application/json");
        if (absent) {
            if (requestBody.path("required").asBoolean(false) && media != null) {
                out.add(where + " needs a JSON request body");
            }
            return out;
        }
        if (media == null) {
            out.add(where + " takes a streamed body (" + String.join(", ", fieldNames(requestBody.path("content"))) + "), not JSON");
            return out;
        }
        validate(media.get("schema"), body, "request body: ", out);
        return out;
    }

    /**
     * Validates a response: the status must be documented for the operation, the content type
     * (parameters ignored) must be one it documents, and a JSON body must match its schema. For
     * an {@code application/x-ndjson} response, {@code body} is one line or an array of lines.
     * {@code contentType} and {@code body} may be null for a response without a body.
     */
    public List<String> validateResponse(String method, String concretePath, int status, String contentType, JsonNode body) {
        List<String> out = new ArrayList<>();
        JsonNode op = operation(method, concretePath, out);
        if (op == null) {
            return out;
        }
        String where = method.toUpperCase(Locale.ROOT) + " " + matchPath(concretePath).orElseThrow();
        JsonNode responses = op.path("responses");
        JsonNode response = responses.get(Integer.toString(status));
        if (response == null) {
            response = responses.get((status / 100) + "XX");
        }
        if (response == null && status >= 400) {
            response = responses.get("default"); // `default` documents errors only; an undocumented success is a violation
        }
        if (response == null) {
            out.add(where + " does not document status " + status);
            return out;
        }
        response = resolve(response);
        boolean absent = body == null || body.isMissingNode();
        JsonNode content = response.get("content");
        if (content == null || content.isEmpty()) {
            if (!absent) {
                out.add(where + " " + status + " has no body, but one was sent");
            }
            return out;
        }
        if (contentType == null) {
            if (!absent) {
                out.add(where + " " + status + ": body without a content type");
            }
            return out;
        }
        String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        JsonNode media = mediaType(content, type);
        if (media == null) {
            out.add(where + " " + status + ": content type " + type + " is not one of " + fieldNames(content));
            return out;
        }
        if (absent || media.get("schema") == null) {
            return out;
        }
        if (type.equals("application/x-ndjson") && body.isArray()) {
            for (int i = 0; i < body.size(); i++) {
                validate(media.get("schema"), body.get(i), "line " + (i + 1) + ": ", out);
            }
        } else {
            validate(media.get("schema"), body, "response body: ", out);
        }
        return out;
    }

    /**
     * Validates one NDJSON line or WebSocket text message against a stream schema, named by its
     * file ({@code exec-frame}, {@code event}, {@code file-watch}, {@code pty-control},
     * {@code log-line}, {@code problem}; ".json" optional).
     */
    public List<String> validateFrame(String schemaName, JsonNode line) {
        String name = schemaName.endsWith(".json") ? schemaName.substring(0, schemaName.length() - 5) : schemaName;
        String component = streamSchemas.get(name);
        if (component == null) {
            throw new IllegalArgumentException("no stream schema " + schemaName + "; known: " + streamSchemas.keySet());
        }
        return validateSchema(component, line);
    }

    /** Validates a value against a {@code components/schemas} entry, e.g. {@code MicroVm}. */
    public List<String> validateSchema(String componentName, JsonNode value) {
        if (!defs.has(componentName)) {
            throw new IllegalArgumentException("no component schema " + componentName);
        }
        List<String> out = new ArrayList<>();
        ObjectNode ref = JsonNodeFactory.instance.objectNode().put("$ref", COMPONENT_PREFIX + componentName);
        validate(ref, value, "", out);
        return out;
    }

    // ---- internals ----

    private JsonNode operation(String method, String path, List<String> out) {
        Optional<String> template = matchPath(path);
        if (template.isEmpty()) {
            out.add("no path in the contract matches " + path);
            return null;
        }
        String m = method.toLowerCase(Locale.ROOT);
        JsonNode op = document.path("paths").path(template.get()).get(m);
        if (op == null || !METHODS.contains(m)) {
            out.add(method.toUpperCase(Locale.ROOT) + " is not an operation of " + template.get());
            return null;
        }
        return op;
    }

    private static JsonNode mediaType(JsonNode content, String type) {
        JsonNode exact = content.get(type);
        if (exact != null) {
            return exact;
        }
        int slash = type.indexOf('/');
        JsonNode range = slash < 0 ? null : content.get(type.substring(0, slash) + "/*");
        return range != null ? range : content.get("*/*");
    }

    /** Follows a {@code $ref} to components (responses, requestBodies, …) within the document. */
    private JsonNode resolve(JsonNode node) {
        int guard = 0;
        while (node != null && node.has("$ref") && guard++ < 16) {
            node = document.at(node.get("$ref").asText().substring(1));
            if (node.isMissingNode()) {
                return null;
            }
        }
        return node;
    }

    private void validate(JsonNode schemaNode, JsonNode value, String prefix, List<String> out) {
        if (schemaNode == null) {
            return;
        }
        String key = schemaNode.toString();
        JsonSchema schema = compiled.computeIfAbsent(key, k -> {
            ObjectNode root = JsonNodeFactory.instance.objectNode();
            root.set("$defs", defs);
            ObjectNode target = schemaNode.deepCopy();
            rewriteRefs(target, ApiContract::toDefsRef);
            ArrayNode allOf = root.putArray("allOf");
            allOf.add(target);
            return factory.getSchema(root, config);
        });
        Set<ValidationMessage> messages = schema.validate(value);
        Set<String> sorted = new TreeSet<>();
        for (ValidationMessage m : messages) {
            String error = "false".equals(m.getType())
                    ? "is not allowed together with the other members given" // a `false` subschema: mutually exclusive members
                    : m.getError();
            sorted.add(prefix + field(m.getInstanceLocation()) + ": " + error);
        }
        out.addAll(sorted);
    }

    /** An instance location as the server names fields: {@code resources.vcpus}, {@code cmd[0]}; {@code (body)} for the whole value. */
    private static String field(JsonNodePath path) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < path.getNameCount(); i++) {
            Object e = path.getElement(i);
            if (e instanceof Integer) {
                b.append('[').append(e).append(']');
            } else {
                b.append(b.length() == 0 ? "" : ".").append(e);
            }
        }
        return b.length() == 0 ? "(body)" : b.toString();
    }

    private static String toDefsRef(String ref) {
        return ref.startsWith(COMPONENT_PREFIX) ? DEFS_PREFIX + ref.substring(COMPONENT_PREFIX.length()) : ref;
    }

    private interface RefRewriter {
        String rewrite(String ref);
    }

    private static void rewriteRefs(JsonNode node, RefRewriter rewriter) {
        if (node.isObject()) {
            ObjectNode obj = (ObjectNode) node;
            JsonNode ref = obj.get("$ref");
            if (ref != null && ref.isTextual()) {
                obj.set("$ref", TextNode.valueOf(rewriter.rewrite(ref.asText())));
            }
            JsonNode mapping = obj.path("discriminator").get("mapping");
            if (mapping instanceof ObjectNode) {
                ObjectNode m = (ObjectNode) mapping;
                m.fieldNames().forEachRemaining(k -> m.set(k, TextNode.valueOf(rewriter.rewrite(m.get(k).asText()))));
            }
            obj.elements().forEachRemaining(child -> rewriteRefs(child, rewriter));
        } else if (node.isArray()) {
            node.elements().forEachRemaining(child -> rewriteRefs(child, rewriter));
        }
    }

    private static String fileName(String ref) {
        int slash = ref.lastIndexOf('/');
        return slash < 0 ? ref : ref.substring(slash + 1);
    }

    private static String stripQuery(String path) {
        int q = path.indexOf('?');
        String p = q < 0 ? path : path.substring(0, q);
        return p.length() > 1 && p.endsWith("/") ? p.substring(0, p.length() - 1) : p;
    }

    private static List<String> fieldNames(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.fieldNames().forEachRemaining(names::add);
        return names;
    }

    static JsonNode readResource(String resource, ObjectMapper mapper) {
        try (InputStream in = ApiContract.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + resource);
            }
            return mapper.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + resource, e);
        }
    }

    /** One {@code paths} key split into segments; {@code {x}} segments match any one non-empty segment. */
    private static final class PathTemplate {
        final String template;
        final String[] segments;

        PathTemplate(String template) {
            this.template = template;
            this.segments = template.split("/", -1);
        }

        /** -1 when the path does not match, else the number of literal segments that matched (more = more specific). */
        int match(String path) {
            String[] parts = path.split("/", -1);
            if (parts.length != segments.length) {
                return -1;
            }
            int literal = 0;
            for (int i = 0; i < parts.length; i++) {
                String s = segments[i];
                if (s.startsWith("{") && s.endsWith("}")) {
                    if (parts[i].isEmpty()) {
                        return -1;
                    }
                } else if (s.equals(parts[i])) {
                    literal++;
                } else {
                    return -1;
                }
            }
            return literal;
        }
    }
}
