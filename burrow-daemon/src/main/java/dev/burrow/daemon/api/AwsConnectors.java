package dev.burrow.daemon.api;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.egress.EgressPolicy;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Lambda MicroVMs' AWS-managed network connectors (SPEC §8), the only ones Burrow serves:
 * {@code arn:aws:lambda:<region>:aws:network-connector:aws-network-connector:<NAME>} with NAME
 * {@code ALL_INGRESS} and {@code SHELL_INGRESS} (ingress) or {@code INTERNET_EGRESS} (egress).
 * Ingress always goes through Burrow's endpoint, whatever is listed; {@code SHELL_INGRESS} is
 * what CreateMicrovmShellAuthToken asks for. {@code INTERNET_EGRESS} is Burrow's egress
 * {@code internet}; no egress connector is Burrow's default, {@code none}.
 */
final class AwsConnectors {

    /** The model's NetworkConnectorList: at most this many per list. */
    static final int MAX_PER_LIST = 10;
    static final String ALL_INGRESS = "ALL_INGRESS";
    static final String SHELL_INGRESS = "SHELL_INGRESS";
    static final String INTERNET_EGRESS = "INTERNET_EGRESS";
    private static final Set<String> INGRESS = Set.of(ALL_INGRESS, SHELL_INGRESS);
    private static final Set<String> EGRESS = Set.of(INTERNET_EGRESS);
    private static final Pattern ARN = Pattern.compile("arn:aws:lambda:([a-z0-9-]*):aws:network-connector:aws-network-connector:([A-Z_]+)");

    private AwsConnectors() {}

    /** The connector ARN of {@code name} in the caller's region. */
    static String arn(String region, String name) {
        return "arn:aws:lambda:" + region + ":aws:network-connector:aws-network-connector:" + name;
    }

    /**
     * The connector names a request's list gives ({@code ingress}: the ingress list, else the
     * egress one), each once, in order; every faulty entry is added to {@code errors}. A missing
     * list is null.
     */
    static List<String> parse(JsonNode list, String field, boolean ingress, FieldErrors errors) {
        if (list == null || list.isMissingNode()) {
            return null;
        }
        Set<String> allowed = ingress ? INGRESS : EGRESS;
        if (!list.isArray()) {
            errors.add(field, field + " must be a list of network connector ARNs");
            return null;
        }
        if (list.size() > MAX_PER_LIST) {
            errors.add(field, field + " may list at most " + MAX_PER_LIST + " connectors; got " + list.size());
            return null;
        }
        Set<String> names = new LinkedHashSet<>();
        for (int i = 0; i < list.size(); i++) {
            JsonNode e = list.get(i);
            Matcher m = e.isTextual() ? ARN.matcher(e.asText()) : null;
            if (m == null || !m.matches() || !allowed.contains(m.group(2))) {
                errors.add(field + "[" + i + "]", field + "[" + i + "] must be an AWS-managed " + (ingress ? "ingress" : "egress")
                        + " connector ARN, arn:aws:lambda:<region>:aws:network-connector:aws-network-connector:<name> with <name> one of "
                        + String.join(", ", allowed.stream().sorted().toList()) + " (Burrow serves no customer-managed connectors); got '"
                        + Queries.printable(e.isTextual() ? e.asText() : e.toString()) + "'");
                continue;
            }
            names.add(m.group(2));
        }
        return new ArrayList<>(names);
    }

    /** Burrow's network for the egress connectors given (null or none: {@code none}). */
    static String network(List<String> egress) {
        return new EgressPolicy(egress != null && egress.contains(INTERNET_EGRESS) ? EgressPolicy.Mode.INTERNET : EgressPolicy.Mode.NONE,
                List.of()).json();
    }

    /** The egress connectors a microVM's stored network amounts to ({@code internet} is INTERNET_EGRESS; none and allowlist have none). */
    static List<String> egressOf(String network, String region) {
        return EgressPolicy.fromJson(network).mode() == EgressPolicy.Mode.INTERNET ? List.of(arn(region, INTERNET_EGRESS)) : List.of();
    }

    /** A comma-separated label value of connector names, as stored on the microVM. */
    static String label(List<String> names) {
        return String.join(",", names);
    }

    /** The names a stored label holds (none for a null or empty label). */
    static List<String> fromLabel(String label) {
        if (label == null || label.isBlank()) {
            return List.of();
        }
        return List.of(label.split(","));
    }
}
