package dev.burrow.daemon.properties;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.burrow.api.ApiContract;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * What is wrong with an answer to a generated request, per the OpenAPI document: a 5xx, no
 * complete answer in time, a status, content type or body the document does not give for the
 * operation, a problem whose {@code instance} is not the {@code X-Request-Id}, an exec stream
 * that does not end with exactly one {@code exit} or {@code error}, or an invalid request that
 * was not refused with a 4xx.
 */
public final class Verdicts {

    /** One thing wrong: {@code kind} is stable across tries (to tell distinct failures apart), {@code detail} says this time's specifics. */
    public record Violation(String kind, String detail) {
        @Override
        public String toString() {
            return kind + ": " + detail;
        }
    }

    /** Request ids the server must echo: the conservative subset of the header's schema (1–128 characters). */
    private static final Pattern ECHOED_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    private static final int SHOWN_BODY = 400;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final ApiContract contract = ApiContract.get();

    public List<Violation> check(ApiRequest r, Exchange x) {
        List<Violation> out = new ArrayList<>();
        if (x.transportError() != null) {
            out.add(new Violation("the connection failed without a complete answer", x.transportError()));
            return out;
        }
        if (x.timedOut()) {
            out.add(new Violation("no complete answer within " + Settings.ANSWER_DEADLINE.toSeconds() + " s",
                    "status " + x.status() + ", " + x.body().length + " bytes read"));
            if (x.status() < 0) {
                return out;
            }
        }
        String body = new String(x.body(), StandardCharsets.UTF_8);
        if (x.status() >= 500) {
            out.add(new Violation("answered " + x.status(), shorten(body)));
        }
        String requestId = x.header("X-Request-Id");
        if (requestId == null || requestId.isEmpty() || requestId.length() > 128) {
            out.add(new Violation("X-Request-Id missing or longer than 128", String.valueOf(requestId)));
        }
        String sent = r.headers().get("X-Request-Id");
        // Jetty refuses a URI with an encoded control character (%00, %0A, …) while parsing the
        // request line, before any header is read: that 400 carries a fresh id (docs/API.md)
        boolean refusedAtRequestLine = x.status() == 400 && x.concretePath().matches("(?i).*%(0[0-9a-f]|1[0-9a-f]|7f).*");
        if (sent != null && ECHOED_ID.matcher(sent).matches() && !sent.equals(requestId) && !refusedAtRequestLine) {
            out.add(new Violation("X-Request-Id not echoed", "sent " + sent + ", got " + requestId));
        }
        if (!r.valid() && x.status() >= 200 && x.status() < 400) {
            String why = r.invalidBecause().getFirst().replaceAll("=\\[.*?]:", "=[…]:").replaceAll("[0-9]+", "#");
            out.add(new Violation("accepted with " + x.status() + " though " + why.substring(0, Math.min(why.length(), 90)),
                    String.join("; ", r.invalidBecause())));
        }
        String contentType = x.header("Content-Type");
        String type = contentType == null ? null : contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
        JsonNode parsed;
        try {
            parsed = parse(type, x);
        } catch (IOException e) {
            out.add(new Violation("a " + type + " body that does not parse", e.getMessage() + " in " + shorten(body)));
            return out;
        }
        for (String m : contract.validateResponse(r.op().method(), x.concretePath(), x.status(), contentType, parsed)) {
            String what = m.replaceFirst("^[A-Z]+ \\S+ ", "").replaceAll("[0-9]+", "#");
            out.add(new Violation("does not match the document: " + what.substring(0, Math.min(what.length(), 90)),
                    m + (type != null && type.contains("json") ? " — body " + shorten(body) : "")));
        }
        if ("application/problem+json".equals(type) && parsed != null) {
            if (!parsed.path("instance").asText("").equals(requestId)) {
                out.add(new Violation("problem instance is not the X-Request-Id", "instance " + parsed.path("instance") + ", header " + requestId));
            }
            if (parsed.path("status").asInt(-1) != x.status()) {
                out.add(new Violation("problem status is not the HTTP status", parsed.path("status") + " in a " + x.status()));
            }
        }
        if (r.op().id().equals("exec") && x.status() == 200 && parsed instanceof ArrayNode lines) {
            checkExecStream(lines, x.cut(), requestId, out);
        }
        return out;
    }

    private static void checkExecStream(ArrayNode lines, boolean cut, String requestId, List<Violation> out) {
        if (lines.isEmpty() || !lines.get(0).has("started")) {
            out.add(new Violation("exec stream does not begin with started", shorten(lines.toString())));
        }
        int ends = 0;
        for (JsonNode l : lines) {
            if (l.has("exit") || l.has("error")) {
                ends++;
            }
            if (l.has("error") && !l.path("error").path("instance").asText("").equals(requestId)) {
                out.add(new Violation("exec error instance is not the X-Request-Id", l.toString()));
            }
        }
        JsonNode last = lines.isEmpty() ? null : lines.get(lines.size() - 1);
        if (!cut && (ends != 1 || !(last.has("exit") || last.has("error")))) {
            out.add(new Violation("exec stream does not end with exactly one exit or error", ends + " of them; last line " + last));
        }
    }

    /** The body as the validator takes it: JSON parsed, NDJSON as an array of its complete lines, others as text or null. */
    private static JsonNode parse(String type, Exchange x) throws IOException {
        if (x.body().length == 0) {
            return null;
        }
        String text = new String(x.body(), StandardCharsets.UTF_8);
        if (type == null) {
            return JsonNodeFactory.instance.textNode(text);
        }
        if (type.equals("application/x-ndjson")) {
            ArrayNode lines = JsonNodeFactory.instance.arrayNode();
            String[] parts = text.split("\n", -1);
            // the last part is empty after a final newline, or a line cut short by the client
            for (int i = 0; i < parts.length - 1; i++) {
                if (!parts[i].isBlank()) {
                    lines.add(JSON.readTree(parts[i]));
                }
            }
            if (!x.cut() && !parts[parts.length - 1].isBlank()) {
                lines.add(JSON.readTree(parts[parts.length - 1]));
            }
            return lines;
        }
        if (type.endsWith("json")) {
            return JSON.readTree(text);
        }
        return JsonNodeFactory.instance.textNode(text);
    }

    private static String shorten(String s) {
        return ApiRequest.visible(s.length() > SHOWN_BODY ? s.substring(0, SHOWN_BODY) + "…" : s);
    }
}
