package dev.burrow.daemon.microvms;

import dev.burrow.daemon.images.InvalidRequestException;
import dev.burrow.daemon.microvms.lifecycle.IdlePolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/** {@code POST /v1/microvms}: what to run. {@code version} null = newest READY + ACTIVE. */
public record RunRequest(String image, Integer version, Integer maxDurationSeconds, Map<String, String> env,
                         Map<String, String> labels, IdlePolicy idlePolicy, String runHookPayload, String network) {

    /** A POSIX environment variable name: what every exec's environment can carry. */
    public static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    public static final Pattern LABEL_KEY = Pattern.compile("[a-z0-9./-]{1,63}");
    public static final int MAX_LABELS = 32;
    public static final int MAX_LABEL_VALUE = 255;

    /** One invalid field: its dotted path and what is wrong. */
    public record Violation(String field, String detail) {}

    /** Without an idle policy or run hook payload. */
    public RunRequest(String image, Integer version, Integer maxDurationSeconds, Map<String, String> env, Map<String, String> labels) {
        this(image, version, maxDurationSeconds, env, labels, null, null);
    }

    /** Without a network: egress none. */
    public RunRequest(String image, Integer version, Integer maxDurationSeconds, Map<String, String> env, Map<String, String> labels,
                      IdlePolicy idlePolicy, String runHookPayload) {
        this(image, version, maxDurationSeconds, env, labels, idlePolicy, runHookPayload, null);
    }

    public RunRequest {
        List<Violation> problems = new ArrayList<>(envViolations("env", env));
        problems.addAll(labelViolations(labels));
        if (!problems.isEmpty()) {
            throw new InvalidRequestException(problems.getFirst().field(), problems.getFirst().detail());
        }
        env = env == null ? Map.of() : Map.copyOf(env);
        labels = labels == null ? Map.of() : Map.copyOf(labels);
    }

    /** Every problem with an environment: names must be POSIX names, values strings without NUL. */
    public static List<Violation> envViolations(String field, Map<String, String> env) {
        List<Violation> out = new ArrayList<>();
        if (env == null) {
            return out;
        }
        env.forEach((k, v) -> {
            if (!ENV_NAME.matcher(k).matches()) {
                out.add(new Violation(field, "environment variable name '" + printable(k) + "' must match [A-Za-z_][A-Za-z0-9_]*"));
            } else if (v == null) {
                out.add(new Violation(field + "." + k, "the value of " + k + " must be a string, not null"));
            } else if (v.indexOf('\0') >= 0) {
                out.add(new Violation(field + "." + k, "the value of " + k + " must not contain a NUL character"));
            }
        });
        return out;
    }

    /** Every problem with labels: at most 32, keys {@code [a-z0-9./-]{1,63}}, values strings of at most 255 characters. */
    public static List<Violation> labelViolations(Map<String, String> labels) {
        List<Violation> out = new ArrayList<>();
        if (labels == null) {
            return out;
        }
        if (labels.size() > MAX_LABELS) {
            out.add(new Violation("labels", "at most " + MAX_LABELS + " labels; got " + labels.size()));
        }
        labels.forEach((k, v) -> {
            if (!LABEL_KEY.matcher(k).matches()) {
                out.add(new Violation("labels", "label key '" + printable(k) + "' must match [a-z0-9./-]{1,63}"));
            } else if (v == null) {
                out.add(new Violation("labels." + k, "label '" + k + "' value must be a string, not null"));
            } else if (v.length() > MAX_LABEL_VALUE) {
                out.add(new Violation("labels." + k, "label '" + k + "' value is longer than " + MAX_LABEL_VALUE + " characters"));
            }
        });
        return out;
    }

    private static String printable(String s) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < s.length() && i < 64; i++) {
            char ch = s.charAt(i);
            b.append(ch < 0x20 || ch == 0x7f ? String.format("\\u%04x", (int) ch) : String.valueOf(ch));
        }
        return b.toString();
    }
}
