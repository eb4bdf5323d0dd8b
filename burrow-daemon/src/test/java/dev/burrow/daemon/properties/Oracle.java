package dev.burrow.daemon.properties;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import com.networknt.schema.oas.OpenApi31;
import dev.burrow.api.ApiContract;
import dev.burrow.daemon.properties.OpenApiOperations.Operation;
import dev.burrow.daemon.properties.OpenApiOperations.Param;
import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Whether a request is valid per the OpenAPI document, independently of how it was generated:
 * a JSON body must be strict JSON (no duplicate keys, nothing after the value, at most 1 MiB)
 * and match the operation's schema ({@link ApiContract#validateRequest}); a query or header
 * value, read the way OpenAPI's {@code form} style reads it, must match its parameter's schema.
 */
public final class Oracle {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private final ApiContract contract = ApiContract.get();
    private final OpenApiOperations doc;
    private final JsonSchemaFactory factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012,
            b -> b.metaSchema(OpenApi31.getInstance()).defaultMetaSchemaIri(OpenApi31.getInstance().getIri()));
    private final SchemaValidatorsConfig config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
    private final Map<String, JsonSchema> compiled = new ConcurrentHashMap<>();

    public Oracle(OpenApiOperations doc) {
        this.doc = doc;
    }

    /** Why {@code body} (null = none sent) is not a valid JSON body of {@code op}; empty when it is valid. */
    public Optional<String> bodyProblem(Operation op, byte[] body) {
        if (body != null && body.length > Settings.MAX_JSON_BODY) {
            return Optional.of("the body is over 1 MiB");
        }
        JsonNode node = null;
        if (body != null && body.length > 0) {
            try {
                node = STRICT.readTree(body);
            } catch (IOException e) {
                return Optional.of("not strict JSON: " + (e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage()));
            }
        }
        List<String> problems = contract.validateRequest(op.method(), op.template(), node);
        return problems.isEmpty() ? Optional.empty() : Optional.of(String.join("; ", problems));
    }

    /** Why the values given for {@code p} (empty = absent) are not valid; empty when they are. */
    public Optional<String> paramProblem(Param p, List<String> values) {
        if (values.isEmpty()) {
            return p.required() ? Optional.of(p.name() + " is required") : Optional.empty();
        }
        JsonNode schema = doc.resolve(p.schema());
        JsonNode value;
        if ("array".equals(schema.path("type").asText())) {
            ArrayNode a = NODES.arrayNode();
            values.forEach(v -> a.add(scalar(doc.resolve(schema.get("items")), v)));
            value = a;
        } else if (values.size() > 1) {
            return Optional.of(p.name() + " is given " + values.size() + " times");
        } else {
            value = scalar(schema, values.getFirst());
        }
        Set<ValidationMessage> messages = compile(p.schema()).validate(value);
        return messages.isEmpty() ? Optional.empty()
                : Optional.of(p.name() + "=" + values + ": " + messages.iterator().next().getMessage());
    }

    private static JsonNode scalar(JsonNode schema, String v) {
        return switch (schema.path("type").asText()) {
            case "integer" -> v.matches("-?[0-9]{1,40}") ? NODES.numberNode(new BigInteger(v)) : NODES.textNode(v);
            case "boolean" -> v.equals("true") || v.equals("false") ? NODES.booleanNode(Boolean.parseBoolean(v)) : NODES.textNode(v);
            default -> NODES.textNode(v);
        };
    }

    /** The schema with the document's components as {@code $defs}, so its {@code $ref}s resolve. */
    private JsonSchema compile(JsonNode schema) {
        return compiled.computeIfAbsent(schema.toString(), k -> {
            ObjectNode root = NODES.objectNode();
            root.set("$defs", doc.document().path("components").path("schemas"));
            root.putArray("allOf").add(schema);
            try {
                JsonNode rewritten = new ObjectMapper().readTree(root.toString().replace("\"#/components/schemas/", "\"#/$defs/"));
                return factory.getSchema(rewritten, config);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }
}
