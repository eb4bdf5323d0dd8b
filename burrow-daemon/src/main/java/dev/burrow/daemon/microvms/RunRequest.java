package dev.burrow.daemon.microvms;

import java.util.Map;

/** {@code POST /v1/microvms}: what to run. {@code version} null = newest READY + ACTIVE. */
public record RunRequest(String image, Integer version, Integer maxDurationSeconds, Map<String, String> env,
                         Map<String, String> labels) {

    public RunRequest {
        env = env == null ? Map.of() : Map.copyOf(env);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
        if (labels.size() > 32) {
            throw new dev.burrow.daemon.images.InvalidRequestException("labels", "at most 32 labels; got " + labels.size());
        }
        labels.forEach((k, v) -> {
            if (!k.matches("[a-z0-9./-]{1,63}")) {
                throw new dev.burrow.daemon.images.InvalidRequestException("labels", "label key '" + k + "' must match [a-z0-9./-]{1,63}");
            }
            if (v.length() > 255) {
                throw new dev.burrow.daemon.images.InvalidRequestException("labels", "label '" + k + "' value is longer than 255 characters");
            }
        });
    }
}
