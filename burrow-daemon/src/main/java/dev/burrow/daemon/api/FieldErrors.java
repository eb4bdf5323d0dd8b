package dev.burrow.daemon.api;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every field error of one request, reported together: the problem's {@code errors} lists them
 * all as {@code {field, detail}}, and its {@code field} and {@code detail} are the first one's.
 */
final class FieldErrors {

    private final List<Map<String, String>> errors = new ArrayList<>();

    static Map<String, String> entry(String field, String detail) {
        Map<String, String> e = new LinkedHashMap<>();
        e.put("field", field);
        e.put("detail", detail);
        return e;
    }

    FieldErrors add(String field, String detail) {
        errors.add(entry(field, detail));
        return this;
    }

    int size() {
        return errors.size();
    }

    /** Each error as {@code {field, detail}}, in the order added. */
    List<Map<String, String>> entries() {
        return List.copyOf(errors);
    }

    boolean isEmpty() {
        return errors.isEmpty();
    }

    /** Throws the 400 naming every error, when there is one. */
    void throwIfAny() {
        if (errors.isEmpty()) {
            return;
        }
        Map<String, String> first = errors.getFirst();
        String detail = errors.size() == 1 ? first.get("detail")
                : first.get("detail") + " (and " + (errors.size() - 1) + " more field error(s), see errors)";
        throw new ApiException(400, "invalid-request", first.get("field"), detail, Map.of("errors", List.copyOf(errors)));
    }
}
