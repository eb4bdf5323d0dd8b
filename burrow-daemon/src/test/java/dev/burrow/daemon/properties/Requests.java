package dev.burrow.daemon.properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.burrow.daemon.properties.ApiRequest.Auth;
import dev.burrow.daemon.properties.ApiRequest.Existing;
import dev.burrow.daemon.properties.ApiRequest.Kind;
import dev.burrow.daemon.properties.ApiRequest.Literal;
import dev.burrow.daemon.properties.ApiRequest.PathValue;
import dev.burrow.daemon.properties.OpenApiOperations.BodyKind;
import dev.burrow.daemon.properties.OpenApiOperations.In;
import dev.burrow.daemon.properties.OpenApiOperations.Operation;
import dev.burrow.daemon.properties.OpenApiOperations.Param;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.Tuple;

/**
 * Requests for the operations of the document, as jqwik arbitraries: path parameters that exist
 * or not (well-formed and malformed), query parameters valid per their schema and not (wrong
 * type, out of range, not in the enum, {@code label==}, {@code cursor=%00}), JSON bodies valid
 * per the request schema and broken in every way {@link SchemaValues#mutations} and
 * {@link Raw} knows, and the key variants. Each request carries the {@link Oracle}'s verdict.
 */
public final class Requests {

    /** What the generator needs to know of the fixture the daemon was given. */
    public record Fixture(String image, String garbageUploadId, String garbageFile, String otherTenant) {}

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Operations that change or end the microVM named in the path: they get a microVM of their own. */
    private static final Set<String> VM_DESTRUCTIVE = Set.of("terminateMicroVm", "suspendMicroVm", "resumeMicroVm", "forkMicroVm",
            "writeFile", "removeFile", "moveFile");
    /** Operations that change or delete the image named in the path: they get an image of their own. */
    private static final Set<String> IMAGE_DESTRUCTIVE = Set.of("deleteImage", "deleteVersion", "patchVersion");
    /** Path parameters that name something to create, not something that must exist. */
    private static final Set<String> FREE_PATH_PARAMS = Set.of("host");
    /** Query values that are wrong for most schemas. */
    private static final List<String> BAD_QUERY_VALUES = List.of("", "abc", "-1", "0", "1.5", "1e3", "99999999999999999999", "BOGUS",
            "true,false", "\u0000", "%", "é");
    /** Path segments no id can be; some of them make naive routers or URI parsers trip. */
    private static final List<String> MALFORMED_SEGMENTS = List.of("A B", "UPPER", "x".repeat(300), "%", "\u0000", "é", "vm;1", "..%2f",
            "-1", "1.5", "a/b", "%2e%2e", "{id}");
    private static final byte[] NO_BODY = null;
    /** Operations under this path act on a microVM ... */
    private static final String MICROVM_PATHS = "/v1/microvms";
    /** ... and are drawn this many times as often as the others ... */
    private static final int MICROVM_WEIGHT = 2;
    /** ... except these, which reach the guest (exec streams, stdin, signals) or start microVMs. */
    private static final Map<String, Integer> WEIGHTS = Map.of("exec", 10, "execStdin", 3, "execSignal", 3, "runMicroVm", 4);

    private final OpenApiOperations doc;
    private final Oracle oracle;
    private final SchemaValues values;
    private final Fixture fixture;

    public Requests(OpenApiOperations doc, Oracle oracle, Fixture fixture) {
        this.doc = doc;
        this.oracle = oracle;
        this.fixture = fixture;
        this.values = new SchemaValues(doc, hints(fixture));
    }

    /** Requests for every operation of the document; operations on a microVM (where most of the work is) are drawn more often. */
    public Arbitrary<ApiRequest> any() {
        List<Tuple.Tuple2<Integer, Arbitrary<? extends ApiRequest>>> weighted = new ArrayList<>();
        for (Operation op : doc.operations()) {
            int weight = WEIGHTS.getOrDefault(op.id(), op.template().startsWith(MICROVM_PATHS) ? MICROVM_WEIGHT : 1);
            weighted.add(Tuple.of(weight, forOperation(op)));
        }
        return Arbitraries.frequencyOf(weighted.toArray(Tuple.Tuple2[]::new));
    }

    public Arbitrary<ApiRequest> forOperation(Operation op) {
        Arbitrary<Map<String, PathValue>> path = pathValues(op);
        Arbitrary<Map<String, List<String>>> query = queryValues(op);
        Arbitrary<Map<String, String>> headers = headers(op);
        Arbitrary<Auth> auth = Arbitraries.frequency(Tuple.of(12, Auth.ADMIN), Tuple.of(1, Auth.NONE), Tuple.of(1, Auth.WRONG_KEY),
                Tuple.of(2, Auth.OTHER_TENANT));
        Arbitrary<Body> body = body(op);
        return Combinators.combine(path, query, headers, auth, body).as((p, q, h, a, b) -> build(op, p, q, h, a, b));
    }

    private ApiRequest build(Operation op, Map<String, PathValue> path, Map<String, List<String>> query, Map<String, String> headers,
                             Auth auth, Body body) {
        List<String> invalid = new ArrayList<>();
        path.forEach((name, v) -> {
            if (v instanceof Literal l && !FREE_PATH_PARAMS.contains(name)) {
                invalid.add(l.wellFormed() ? "no such " + name : name + " is malformed");
            } else if (v instanceof Literal l && !l.wellFormed()) {
                invalid.add(name + " is malformed");
            }
        });
        for (Param p : op.in(In.QUERY)) {
            oracle.paramProblem(p, query.getOrDefault(p.name(), List.of())).ifPresent(invalid::add);
        }
        for (Param p : op.in(In.HEADER)) {
            String v = headers.get(p.name());
            oracle.paramProblem(p, v == null ? List.of() : List.of(v)).ifPresent(invalid::add);
        }
        if (op.authenticated() && (auth == Auth.NONE || auth == Auth.WRONG_KEY)) {
            invalid.add("no valid API key");
        }
        if (op.body() == BodyKind.JSON) {
            oracle.bodyProblem(op, body.bytes()).ifPresent(p -> invalid.add("body (" + body.note() + "): " + p));
        }
        // a streamed body may be empty: on the wire "no body" is Content-Length 0, an empty stream
        return new ApiRequest(op, path, query, headers, auth, body.bytes(), body.note(), List.copyOf(invalid));
    }

    // ---- path ----

    private Arbitrary<Map<String, PathValue>> pathValues(Operation op) {
        List<Param> params = op.in(In.PATH);
        if (params.isEmpty()) {
            return Arbitraries.just(Map.of());
        }
        List<Arbitrary<PathValue>> each = params.stream().map(p -> pathValue(op, p)).toList();
        return Combinators.combine(each).as(vs -> {
            Map<String, PathValue> m = new LinkedHashMap<>();
            for (int i = 0; i < params.size(); i++) {
                m.put(params.get(i).name(), vs.get(i));
            }
            return m;
        });
    }

    private Arbitrary<PathValue> pathValue(Operation op, Param p) {
        List<Kind> existing = existingKinds(op, p.name());
        Arbitrary<PathValue> wellFormed = values.valid(p.schema()).map(v -> bogus(p.name(), v.asText()))
                .map(v -> (PathValue) new Literal(v, true));
        Arbitrary<PathValue> malformed = Arbitraries.of(MALFORMED_SEGMENTS).map(v -> (PathValue) new Literal(v, false));
        if (existing.isEmpty()) {
            return Arbitraries.frequencyOf(Tuple.of(4, wellFormed), Tuple.of(1, malformed));
        }
        Arbitrary<PathValue> exists = Arbitraries.of(existing).map(k -> (PathValue) new Existing(k));
        return Arbitraries.frequencyOf(Tuple.of(7, exists), Tuple.of(2, wellFormed), Tuple.of(1, malformed));
    }

    /** A well-formed value made sure not to name anything the fixture has. */
    private static String bogus(String param, String v) {
        return switch (param) {
            case "v" -> Long.toString(Math.max(Math.abs(v.hashCode() % 1000), 0) + 5000);
            case "id" -> ("zz" + v).substring(0, Math.min(40, v.length() + 2));
            case "name", "tenant" -> "nx" + v.substring(0, Math.min(v.length(), 60));
            default -> v;
        };
    }

    private static List<Kind> existingKinds(Operation op, String param) {
        return switch (param) {
            case "id" -> VM_DESTRUCTIVE.contains(op.id())
                    ? List.of(Kind.FRESH_VM, Kind.FRESH_VM, Kind.SUSPENDED_VM, Kind.TERMINATED_VM)
                    : List.of(Kind.FIXTURE_VM, Kind.FIXTURE_VM, Kind.FIXTURE_VM, Kind.TERMINATED_VM);
            case "name" -> IMAGE_DESTRUCTIVE.contains(op.id()) || op.id().equals("patchImage")
                    ? List.of(Kind.SCRATCH_IMAGE) : List.of(Kind.IMAGE, Kind.IMAGE, Kind.SCRATCH_IMAGE);
            case "v" -> List.of(Kind.VERSION);
            // never the caller's own tenant for a change: a quota of 0 there would stop the fixture's own runs
            case "tenant" -> switch (op.method()) {
                case "DELETE" -> List.of(Kind.SPARE_TENANT, Kind.OWN_TENANT);
                case "GET" -> List.of(Kind.OWN_TENANT, Kind.OTHER_TENANT);
                default -> List.of(Kind.SPARE_TENANT, Kind.OTHER_TENANT);
            };
            case "keyId" -> List.of(Kind.SPARE_KEY);
            case "execId" -> List.of(Kind.RUNNING_EXEC);
            default -> List.of();
        };
    }

    // ---- query and headers ----

    private Arbitrary<Map<String, List<String>>> queryValues(Operation op) {
        List<Param> params = op.in(In.QUERY);
        if (params.isEmpty()) {
            return Arbitraries.just(Map.of());
        }
        List<Arbitrary<Optional<List<String>>>> each = params.stream().map(this::queryValue).toList();
        return Combinators.combine(each).as(vs -> {
            Map<String, List<String>> m = new LinkedHashMap<>();
            for (int i = 0; i < params.size(); i++) {
                int at = i;
                vs.get(i).ifPresent(v -> m.put(params.get(at).name(), v));
            }
            return m;
        });
    }

    private Arbitrary<Optional<List<String>>> queryValue(Param p) {
        Arbitrary<Optional<List<String>>> absent = Arbitraries.just(Optional.empty());
        Arbitrary<Optional<List<String>>> valid = values.valid(p.schema()).map(v -> Optional.of(texts(v)));
        Arbitrary<Optional<List<String>>> bad = Arbitraries.of(BAD_QUERY_VALUES).map(v -> Optional.of(List.of(v)));
        Arbitrary<Optional<List<String>>> special = Arbitraries.of(specialQueryValues(p.name())).map(v -> Optional.of(List.of(v)));
        return Arbitraries.frequencyOf(Tuple.of(p.required() ? 1 : 4, absent), Tuple.of(5, valid), Tuple.of(2, bad), Tuple.of(1, special));
    }

    private static List<String> specialQueryValues(String name) {
        return switch (name) {
            case "label" -> List.of("=", "x", "==", "k=v=w", "=v", "A=B", "x=" + "v".repeat(300));
            case "cursor" -> List.of("\u0000", "zzz", "-1", "' OR 1=1 --");
            case "state" -> List.of("BOGUS", "running", "RUNNING,SUSPENDED", "RUNNING,");
            case "path" -> List.of("relative", "/", "/proc/self/mem", "/" + "x".repeat(5000), "/tmp/../etc/passwd");
            case "follow", "force", "wait", "recursive" -> List.of("TRUE", "1", "yes", "");
            case "limit", "since", "cols", "rows" -> List.of("0", "501", "10001", "2147483648", "-9223372036854775809");
            default -> List.of("");
        };
    }

    private static List<String> texts(JsonNode v) {
        List<String> out = new ArrayList<>();
        if (v.isArray()) {
            v.forEach(x -> out.add(x.asText()));
        } else {
            out.add(v.asText());
        }
        return out.isEmpty() ? List.of("") : out;
    }

    private Arbitrary<Map<String, String>> headers(Operation op) {
        Arbitrary<Optional<String>> requestId = Arbitraries.frequencyOf(
                Tuple.of(4, Arbitraries.just(Optional.empty())),
                Tuple.of(3, Arbitraries.strings().withChars("abcxyz0123456789-_.:").ofMinLength(1).ofMaxLength(20).map(s -> Optional.of("prop-" + s))),
                Tuple.of(1, Arbitraries.of("has spaces", "x".repeat(200), "ü", "<script>").map(Optional::of)));
        boolean idempotent = op.in(In.HEADER).stream().anyMatch(p -> p.name().equals("Idempotency-Key"));
        Arbitrary<Optional<String>> idem = !idempotent ? Arbitraries.just(Optional.empty()) : Arbitraries.frequencyOf(
                Tuple.of(6, Arbitraries.just(Optional.empty())),
                Tuple.of(3, Arbitraries.strings().alpha().numeric().ofMinLength(1).ofMaxLength(16).map(s -> Optional.of("prop-" + s))),
                Tuple.of(1, Arbitraries.of("", "k".repeat(300)).map(Optional::of)));
        return Combinators.combine(requestId, idem).as((r, i) -> {
            Map<String, String> h = new LinkedHashMap<>();
            r.ifPresent(v -> h.put("X-Request-Id", v));
            i.ifPresent(v -> h.put("Idempotency-Key", v));
            return h;
        });
    }

    // ---- bodies ----

    /** A body as bytes, with a note on how it was made. */
    record Body(byte[] bytes, String note) {}

    private Arbitrary<Body> body(Operation op) {
        return switch (op.body()) {
            case NONE -> Arbitraries.just(new Body(NO_BODY, ""));
            case STREAM -> Arbitraries.frequencyOf(
                    Tuple.of(4, Arbitraries.bytes().array(byte[].class).ofMaxSize(2048).map(b -> new Body(b, "bytes"))),
                    Tuple.of(1, Arbitraries.just(new Body(new byte[0], "empty"))),
                    Tuple.of(op.bodyRequired() ? 1 : 2, Arbitraries.just(new Body(NO_BODY, ""))));
            case JSON -> jsonBody(op);
        };
    }

    private Arbitrary<Body> jsonBody(Operation op) {
        Arbitrary<JsonNode> valid = values.valid(op.bodySchema());
        Arbitrary<Body> asIs = valid.map(v -> new Body(bytes(v), "generated from the schema"));
        Arbitrary<Body> mutated = valid.flatMap(v -> {
            List<SchemaValues.Mutation> ms = values.mutations(op.bodySchema(), v);
            return ms.isEmpty() ? Arbitraries.just(new Body(bytes(v), "generated from the schema"))
                    : Arbitraries.of(ms).map(m -> new Body(bytes(m.result()), m.description()));
        });
        Arbitrary<Body> raw = Combinators.combine(valid, Arbitraries.of(Raw.class)).as(Requests::rawBody);
        Arbitrary<Body> none = Arbitraries.just(new Body(NO_BODY, "none"));
        return Arbitraries.frequencyOf(Tuple.of(6, asIs), Tuple.of(4, mutated), Tuple.of(2, raw), Tuple.of(1, none));
    }

    /** Ways to break a body below the schema: not an object, not JSON, duplicate keys, trailing garbage, huge strings. */
    enum Raw { NULL, ARRAY, TEXT, NUMBER, BOOLEAN, EMPTY, OPEN_BRACE, CUT_SHORT, EMPTY_OBJECT, WRAPPED_IN_ARRAY, TRAILING_GARBAGE,
        SECOND_VALUE, DUPLICATE_KEY, HUGE_STRING, OVER_ONE_MIB }

    /** {@code valid} broken the {@code raw} way; built only when drawn (some are a megabyte). */
    static Body rawBody(JsonNode valid, Raw raw) {
        String text = new String(bytes(valid), StandardCharsets.UTF_8);
        String firstText = null;
        for (var it = valid.fields(); it.hasNext() && firstText == null; ) {
            var m = it.next();
            firstText = m.getValue().isTextual() ? m.getKey() : null;
        }
        String note = raw.name().toLowerCase().replace('_', ' ');
        return switch (raw) {
            case NULL -> body("null", note);
            case ARRAY -> body("[]", note);
            case TEXT -> body("\"text\"", note);
            case NUMBER -> body("42", note);
            case BOOLEAN -> body("true", note);
            case EMPTY -> body("", note);
            case OPEN_BRACE -> body("{", note);
            case CUT_SHORT -> body(text.substring(0, text.length() / 2), note);
            case EMPTY_OBJECT -> body("{}", note);
            case WRAPPED_IN_ARRAY -> body("[" + text + "]", note);
            case TRAILING_GARBAGE -> body(text + " x", note);
            case SECOND_VALUE -> body(text + "{}", note);
            case DUPLICATE_KEY -> {
                if (!valid.isObject() || valid.isEmpty()) {
                    yield body("{\"colour\":1,\"colour\":2}", note);
                }
                String first = valid.fieldNames().next();
                ObjectNode one = NODES.objectNode();
                one.set(first, valid.get(first));
                String member = new String(bytes(one), StandardCharsets.UTF_8);
                yield body("{" + member.substring(1, member.length() - 1) + "," + text.substring(1), note + " " + first);
            }
            case HUGE_STRING -> new Body(bytes(withMember(valid, firstText == null ? "colour" : firstText, "s".repeat(Settings.HUGE_STRING))),
                    "900 KiB string in " + (firstText == null ? "colour" : firstText));
            case OVER_ONE_MIB -> new Body(bytes(withMember(valid, firstText == null ? "colour" : firstText, "s".repeat(Settings.MAX_JSON_BODY))),
                    note);
        };
    }

    private static Body body(String text, String note) {
        return new Body(text.getBytes(StandardCharsets.UTF_8), note);
    }

    private static JsonNode withMember(JsonNode object, String name, String value) {
        ObjectNode copy = object.deepCopy();
        copy.put(name, value);
        return copy;
    }

    static byte[] bytes(JsonNode v) {
        try {
            return JSON.writeValueAsBytes(v);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** Members of request schemas that must name things the fixture has, or stay cheap to act on. */
    private static Map<String, Arbitrary<JsonNode>> hints(Fixture f) {
        Map<String, Arbitrary<JsonNode>> h = new LinkedHashMap<>();
        Arbitrary<JsonNode> freshName = Arbitraries.strings().withChars("abcdefghijklmnopqrstuvwxyz0123456789").ofLength(8)
                .map(s -> NODES.textNode("p" + s));
        h.put("RunRequest.image", Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(NODES.textNode(f.image()))),
                Tuple.of(1, Arbitraries.just(NODES.textNode("nx-missing")))));
        // values the server takes (out-of-range ones come from the mutations), so generated runs do start microVMs
        h.put("RunRequest.version", Arbitraries.frequencyOf(Tuple.of(3, Arbitraries.just(NODES.numberNode(1))),
                Tuple.of(1, Arbitraries.just(NODES.numberNode(9999)))));
        h.put("RunRequest.maxDurationSeconds", Arbitraries.of(60, 300, 28800).map(NODES::numberNode));
        h.put("RunRequest.runHookPayload", Arbitraries.strings().ofMaxLength(64).map(NODES::textNode));
        h.put("UploadSource.uploadId", Arbitraries.of(f.garbageUploadId(), "up-nx").map(NODES::textNode));
        h.put("DockerfileSource.uploadId", Arbitraries.of(f.garbageUploadId(), "up-nx").map(NODES::textNode));
        h.put("PathSource.path", Arbitraries.of(f.garbageFile(), "/nonexistent/burrow-prop").map(NODES::textNode));
        h.put("ImageCreateRequest.name", Arbitraries.frequencyOf(Tuple.of(4, freshName), Tuple.of(1, Arbitraries.just(NODES.textNode(f.image())))));
        h.put("TenantCreateRequest.name", freshName);
        h.put("KeyCreateRequest.tenant", Arbitraries.of(f.otherTenant(), "nx-tenant").map(NODES::textNode));
        h.put("ForkRequest.count", Arbitraries.of(1, 2).map(NODES::numberNode));
        h.put("ExecRequest.cmd", Arbitraries.of(List.of("true"), List.of("echo", "hi"), List.of("sh", "-c", "echo out; echo err >&2; exit 3"),
                List.of("no-such-command"), List.of(""), List.of("/"), List.of("ls", "/nonexistent")).map(Requests::array));
        h.put("ExecRequest.stdinMode", Arbitraries.frequencyOf(Tuple.of(2, Arbitraries.just(NODES.textNode("once"))),
                Tuple.of(1, Arbitraries.just(NODES.textNode("none"))), Tuple.of(1, Arbitraries.just(NODES.textNode("stream")))));
        h.put("ExecRequest.timeoutSeconds", Arbitraries.integers().between(1, 3).map(NODES::numberNode));
        h.put("ExecRequest.stdin", Arbitraries.bytes().array(byte[].class).ofMaxSize(64)
                .map(b -> NODES.textNode(Base64.getEncoder().encodeToString(b))));
        h.put("ExecRequest.cwd", Arbitraries.of("/", "/tmp", "/nonexistent", "relative").map(NODES::textNode));
        h.put("ExecRequest.user", Arbitraries.of("root", "burrow", "nobody-here", "0").map(NODES::textNode));
        h.put("MoveRequest.from", Arbitraries.of("/tmp/prop-a", "/tmp/prop-b", "/nonexistent").map(NODES::textNode));
        h.put("MoveRequest.to", Arbitraries.of("/tmp/prop-c", "/tmp/prop-d/e").map(NODES::textNode));
        return h;
    }

    private static JsonNode array(List<String> items) {
        var a = NODES.arrayNode();
        items.forEach(a::add);
        return a;
    }
}
