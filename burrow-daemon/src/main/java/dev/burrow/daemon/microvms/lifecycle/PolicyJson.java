package dev.burrow.daemon.microvms.lifecycle;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The idle policy as the record stores it (the API's JSON shape). */
public final class PolicyJson {

    private static final ObjectMapper JSON = new ObjectMapper();

    private PolicyJson() {}

    public static String write(IdlePolicy p) {
        if (p == null) {
            return null;
        }
        try {
            return JSON.writeValueAsString(p);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Null for none; a stored policy that no longer parses counts as none (and is logged by the caller's view). */
    public static IdlePolicy read(String json) {
        if (json == null || json.isBlank()) {
            return null;
        }
        try {
            return JSON.readValue(json, IdlePolicy.class);
        } catch (JsonProcessingException e) {
            return null;
        }
    }
}
