package dev.burrow.daemon.properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;

/**
 * Values from JSON Schemas of the OpenAPI document: {@link #valid} generates values meant to
 * satisfy a schema (the {@link Oracle} has the last word), {@link #mutations} lists ways to break
 * one (a member removed, added, retyped, nulled, out of range, a fraction for an integer, …).
 *
 * <p>Hints replace the generated value of a named member (e.g. {@code RunRequest.image}) so
 * requests refer to things that exist and stay cheap (no 64-way forks, no real builds).
 */
public final class SchemaValues {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Characters of free strings: printable ASCII plus a few that trip naive code (NUL, a newline, non-ASCII). */
    private static final String FREE_CHARS = " !#$%&()*+,-./0123456789:;<=>?@ABCXYZ[]^_abcxyz{|}~\"\\'é中✓\u0000\n";
    /** Range of a generated integer whose schema gives no bound on that side. */
    private static final long FREE_INTEGER_SPAN = 100_000;

    private final OpenApiOperations doc;
    private final Map<String, Arbitrary<JsonNode>> hints;

    public SchemaValues(OpenApiOperations doc, Map<String, Arbitrary<JsonNode>> hints) {
        this.doc = doc;
        this.hints = hints;
    }

    /** A way to make a value invalid, with the words for it. */
    public record Mutation(String description, JsonNode result) {}

    public Arbitrary<JsonNode> valid(JsonNode schema) {
        return valid(schema, "", 0);
    }

    private Arbitrary<JsonNode> valid(JsonNode schema, String component, int depth) {
        if (schema == null || depth > 12) {
            return Arbitraries.just(NODES.objectNode());
        }
        if (schema.has("$ref")) {
            String ref = schema.get("$ref").asText();
            return valid(doc.resolve(schema), ref.substring(ref.lastIndexOf('/') + 1), depth + 1);
        }
        if (schema.has("const")) {
            return Arbitraries.just(schema.get("const"));
        }
        if (schema.has("enum")) {
            List<JsonNode> values = new ArrayList<>();
            schema.get("enum").forEach(values::add);
            return Arbitraries.of(values);
        }
        if (!schema.has("properties") && (schema.has("oneOf") || schema.has("anyOf"))) {
            List<Arbitrary<JsonNode>> branches = new ArrayList<>();
            schema.path(schema.has("oneOf") ? "oneOf" : "anyOf").forEach(b -> branches.add(valid(b, component, depth + 1)));
            return Arbitraries.oneOf(branches);
        }
        JsonNode type = schema.get("type");
        if (type != null && type.isArray()) {
            List<Arbitrary<JsonNode>> variants = new ArrayList<>();
            for (JsonNode t : type) {
                ObjectNode single = schema.deepCopy();
                single.set("type", t);
                variants.add(valid(single, component, depth + 1));
            }
            return Arbitraries.oneOf(variants);
        }
        String t = type != null ? type.asText() : schema.has("properties") || schema.has("additionalProperties") ? "object" : "string";
        return switch (t) {
            case "object" -> object(schema, component, depth);
            case "array" -> array(schema, component, depth);
            case "integer" -> integer(schema);
            case "number" -> integer(schema).map(n -> NODES.numberNode(n.asLong() + 0.25));
            case "boolean" -> Arbitraries.of(NODES.booleanNode(true), NODES.booleanNode(false));
            case "null" -> Arbitraries.just(NODES.nullNode());
            default -> string(schema).map(NODES::textNode);
        };
    }

    private Arbitrary<JsonNode> object(JsonNode schema, String component, int depth) {
        List<Arbitrary<Optional<Map.Entry<String, JsonNode>>>> members = new ArrayList<>();
        List<String> required = new ArrayList<>();
        schema.path("required").forEach(r -> required.add(r.asText()));
        for (Iterator<Map.Entry<String, JsonNode>> it = schema.path("properties").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> p = it.next();
            String name = p.getKey();
            Arbitrary<JsonNode> value = hints.getOrDefault(component + "." + name, valid(p.getValue(), component, depth + 1));
            Arbitrary<Optional<Map.Entry<String, JsonNode>>> member = value.map(v -> Optional.of(Map.entry(name, v)));
            members.add(required.contains(name) ? member : member.injectNull(0.5).map(o -> o == null ? Optional.empty() : o));
        }
        JsonNode additional = schema.get("additionalProperties");
        Arbitrary<List<Map.Entry<String, JsonNode>>> extra = Arbitraries.just(List.of());
        if (additional != null && additional.isObject()) {
            int max = Math.min(schema.path("maxProperties").asInt(Settings.MAX_FREE_ITEMS), Settings.MAX_FREE_ITEMS);
            JsonNode names = schema.path("propertyNames");
            Arbitrary<String> keys = names.has("pattern") ? RegexStrings.matching(names.get("pattern").asText()) : string(names);
            extra = Combinators.combine(keys, valid(additional, component, depth + 1)).as(Map::entry).list().ofMaxSize(max);
        }
        Arbitrary<List<Optional<Map.Entry<String, JsonNode>>>> fixed = members.isEmpty() ? Arbitraries.just(List.of())
                : Combinators.combine(members).as(l -> l);
        return Combinators.combine(fixed, extra).as((f, e) -> {
            ObjectNode o = NODES.objectNode();
            f.forEach(m -> m.ifPresent(x -> o.set(x.getKey(), x.getValue())));
            e.forEach(x -> o.set(x.getKey(), x.getValue()));
            return o;
        });
    }

    private Arbitrary<JsonNode> array(JsonNode schema, String component, int depth) {
        int min = schema.path("minItems").asInt(0);
        int max = Math.max(min, Math.min(schema.path("maxItems").asInt(Settings.MAX_FREE_ITEMS), Settings.MAX_FREE_ITEMS));
        Arbitrary<List<JsonNode>> items = valid(schema.get("items"), component, depth + 1).list().ofMinSize(min).ofMaxSize(max);
        if (schema.path("uniqueItems").asBoolean(false)) {
            items = items.filter(l -> l.stream().distinct().count() == l.size());
        }
        return items.map(l -> {
            ArrayNode a = NODES.arrayNode();
            l.forEach(a::add);
            return a;
        });
    }

    private static Arbitrary<JsonNode> integer(JsonNode schema) {
        long min = schema.has("minimum") ? schema.get("minimum").asLong() : schema.has("maximum") ? schema.get("maximum").asLong() - FREE_INTEGER_SPAN : -FREE_INTEGER_SPAN;
        long max = schema.has("maximum") ? schema.get("maximum").asLong() : min + FREE_INTEGER_SPAN;
        return Arbitraries.longs().between(min, max).map(NODES::numberNode);
    }

    private static Arbitrary<String> string(JsonNode schema) {
        int min = schema.path("minLength").asInt(0);
        int max = schema.path("maxLength").asInt(Integer.MAX_VALUE);
        if (schema.has("pattern")) {
            return RegexStrings.matching(schema.get("pattern").asText()).filter(s -> s.length() >= min && s.length() <= max);
        }
        return Arbitraries.strings().withChars(FREE_CHARS).ofMinLength(min).ofMaxLength(Math.max(min, Math.min(max, Settings.MAX_FREE_STRING)));
    }

    // ---- mutations ----

    /** Every mutation this class knows for {@code value} under {@code schema}, members nested at any depth included. */
    public List<Mutation> mutations(JsonNode schema, JsonNode value) {
        List<Mutation> out = new ArrayList<>();
        collect(schema, value, new ArrayList<>(), value, out, 0);
        return out;
    }

    private void collect(JsonNode schema, JsonNode value, List<Object> path, JsonNode root, List<Mutation> out, int depth) {
        schema = branchFor(doc.resolve(schema), value);
        if (schema == null || depth > 12) {
            return;
        }
        String where = path.isEmpty() ? "the body" : name(path);
        retype(value, path, root, where, out);
        if (!path.isEmpty()) {
            out.add(at(root, path, NODES.nullNode(), where + " set to null"));
        }
        if (value.isObject()) {
            if (schema.path("additionalProperties").isBoolean() && !schema.get("additionalProperties").asBoolean()) {
                out.add(at(root, append(path, "colour"), NODES.textNode("red"), "unknown member " + name(append(path, "colour")) + " added"));
            }
            for (JsonNode r : schema.path("required")) {
                if (value.has(r.asText())) {
                    out.add(removed(root, append(path, r.asText()), "required member " + name(append(path, r.asText())) + " removed"));
                }
            }
            JsonNode names = schema.path("propertyNames");
            if (names.has("pattern")) {
                out.add(at(root, append(path, "A=B"), NODES.textNode("x"), "member named \"A=B\" added to " + where));
                out.add(at(root, append(path, ""), NODES.textNode("x"), "member with an empty name added to " + where));
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> m = it.next();
                JsonNode sub = schema.path("properties").get(m.getKey());
                if (sub == null && schema.path("additionalProperties").isObject()) {
                    sub = schema.get("additionalProperties");
                }
                if (sub != null) {
                    collect(sub, m.getValue(), append(path, m.getKey()), root, out, depth + 1);
                }
            }
        } else if (value.isArray()) {
            out.add(at(root, path, NODES.arrayNode(), where + " emptied"));
            if (value.size() > 0) {
                ArrayNode longer = ((ArrayNode) value).deepCopy();
                for (int i = 0; i < Settings.EXTRA_ITEMS; i++) {
                    longer.add(value.get(0));
                }
                out.add(at(root, path, longer, where + " with " + Settings.EXTRA_ITEMS + " more items"));
                collect(schema.get("items"), value.get(0), append(path, 0), root, out, depth + 1);
            }
        } else if (value.isIntegralNumber()) {
            long v = value.asLong();
            out.add(at(root, path, NODES.numberNode(new BigDecimal(v).add(new BigDecimal("0.9"))), where + " with a fraction"));
            out.add(at(root, path, NODES.numberNode(new BigInteger("100000000000000000000000")), where + " beyond any integer"));
            out.add(at(root, path, NODES.numberNode(-1), where + " = -1"));
            if (schema.has("maximum")) {
                out.add(at(root, path, NODES.numberNode(schema.get("maximum").asLong() + 1), where + " above its maximum"));
            }
            if (schema.has("minimum")) {
                out.add(at(root, path, NODES.numberNode(schema.get("minimum").asLong() - 1), where + " below its minimum"));
            }
        } else if (value.isTextual()) {
            if (schema.has("enum") || schema.has("const")) {
                out.add(at(root, path, NODES.textNode("BOGUS"), where + " not one of its values"));
            }
            if (schema.has("pattern")) {
                out.add(at(root, path, NODES.textNode("NOT valid!"), where + " not matching " + schema.get("pattern").asText()));
            }
            if (schema.has("maxLength")) {
                out.add(at(root, path, NODES.textNode("a".repeat(schema.get("maxLength").asInt() + 1)), where + " one character too long"));
            }
        }
    }

    /** For a oneOf with a discriminating {@code type} const, the branch the value is in; other schemas as they are. */
    private JsonNode branchFor(JsonNode schema, JsonNode value) {
        if (schema == null || schema.has("properties") || !schema.has("oneOf")) {
            return schema;
        }
        for (JsonNode b : schema.get("oneOf")) {
            JsonNode branch = doc.resolve(b);
            JsonNode c = branch == null ? null : branch.path("properties").path("type").get("const");
            if (c != null && c.equals(value.get("type"))) {
                return branch;
            }
        }
        return null;
    }

    private static void retype(JsonNode value, List<Object> path, JsonNode root, String where, List<Mutation> out) {
        JsonNode other = value.isNumber() ? NODES.textNode(value.asText())
                : value.isTextual() ? NODES.numberNode(12345)
                : value.isBoolean() ? NODES.textNode(value.asText())
                : value.isObject() ? NODES.arrayNode().add(value)
                : value.isArray() ? NODES.objectNode()
                : NODES.booleanNode(true);
        out.add(at(root, path, other, where + " as " + other.getNodeType().name().toLowerCase()));
    }

    private static Mutation at(JsonNode root, List<Object> path, JsonNode replacement, String description) {
        if (path.isEmpty()) {
            return new Mutation(description, replacement);
        }
        JsonNode copy = root.deepCopy();
        JsonNode parent = navigate(copy, path.subList(0, path.size() - 1));
        Object last = path.getLast();
        if (parent instanceof ObjectNode o) {
            o.set((String) last, replacement);
        } else if (parent instanceof ArrayNode a && last instanceof Integer i) {
            a.set(i, replacement);
        }
        return new Mutation(description, copy);
    }

    private static Mutation removed(JsonNode root, List<Object> path, String description) {
        JsonNode copy = root.deepCopy();
        if (navigate(copy, path.subList(0, path.size() - 1)) instanceof ObjectNode o) {
            o.remove((String) path.getLast());
        }
        return new Mutation(description, copy);
    }

    private static JsonNode navigate(JsonNode node, List<Object> path) {
        for (Object step : path) {
            node = step instanceof Integer i ? node.get(i) : node.get((String) step);
        }
        return node;
    }

    private static List<Object> append(List<Object> path, Object step) {
        List<Object> p = new ArrayList<>(path);
        p.add(step);
        return p;
    }

    private static String name(List<Object> path) {
        StringBuilder b = new StringBuilder();
        for (Object s : path) {
            if (s instanceof Integer i) {
                b.append('[').append(i).append(']');
            } else {
                b.append(b.length() == 0 ? "" : ".").append(s);
            }
        }
        return b.toString();
    }
}
