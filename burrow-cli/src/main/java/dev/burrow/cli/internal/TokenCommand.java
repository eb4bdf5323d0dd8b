package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code burrow token ID [--port P …] [--ports A-B|all] [--expires 15m] [--scope ingress|pty]}:
 * a short-lived token for a microVM's ingress endpoint (or its terminal), printed with its expiry
 * and ready-to-use curl lines; {@code --json} prints the API's document.
 */
@Command(name = "token", description = {"Create a short-lived token for a microVM's ingress endpoint (or, --scope pty, its terminal).",
        "Prints the token, its expiry and curl lines that use it."})
public final class TokenCommand extends BaseCommand {

    private static final Pattern RANGE = Pattern.compile("(\\d{1,5})-(\\d{1,5})");
    private static final Pattern PORT = Pattern.compile("\\d{1,5}");
    /** The guest port of a host-based endpoint URL: {@code http://8080-vm….localhost:7070/}. */
    private static final Pattern URL_PORT = Pattern.compile("^https?://(\\d{1,5})-");

    @Parameters(index = "0", paramLabel = "ID", description = "An id or any unique prefix.")
    String id;

    @Option(names = {"-p", "--port"}, paramLabel = "PORT", description = "A guest port the token opens (repeatable).")
    List<Integer> ports = new ArrayList<>();

    @Option(names = "--ports", paramLabel = "A-B|all", description = "Ports the token opens: a range such as 8000-8100, a list, or all.")
    String portSpec;

    @Option(names = "--expires", paramLabel = "DURATION", description = "How long the token works, 1m to 1h (default 15m).")
    String expires;

    @Option(names = "--scope", paramLabel = "SCOPE", description = "ingress (default) or pty.")
    String scope;

    @Option(names = "--json", description = "Print the API's document.")
    boolean json;

    @Override
    public Integer call() {
        ObjectNode body = Json.object();
        ArrayNode portList = Json.MAPPER.createArrayNode();
        for (int p : ports) {
            portList.add(port("--port", p));
        }
        if (portSpec != null) {
            addSpec(portList, portSpec);
        }
        if (!portList.isEmpty()) {
            body.set("ports", portList);
        }
        if (expires != null) {
            body.put("expiresInSeconds", seconds("--expires", expires));
        }
        if (scope != null) {
            if (!scope.equals("ingress") && !scope.equals("pty")) {
                throw new BurrowException("--scope must be ingress or pty; got '" + scope + "'");
            }
            body.put("scope", scope);
        }
        String full = IdResolver.resolve(api(), id);
        JsonNode t = api().post("/v1/microvms/" + ApiClient.seg(full) + "/tokens", body);
        PrintStream out = out();
        if (json) {
            out.println(Json.pretty(t));
            return 0;
        }
        String token = Json.text(t, "token");
        out.println("token:   " + token);
        out.println("scope:   " + Json.text(t, "scope") + describePorts(t.get("ports")));
        out.println("expires: " + Json.text(t, "expiresAt"));
        String url = Json.text(t, "url");
        if (Json.text(t, "scope").equals("pty")) {
            out.println("url:     " + url + "   (the browser terminal; the token in it works once)");
            return 0;
        }
        out.println();
        out.println("curl -H 'X-Burrow-Token: " + token + "' " + url);
        // for resolvers that do not map *.localhost to this host: the path-based endpoint, same port
        Matcher port = URL_PORT.matcher(url);
        out.println("curl -H 'X-Burrow-Token: " + token + "'" + (port.find() ? " -H 'X-Burrow-Port: " + port.group(1) + "'" : "") + " "
                + api().baseUrl() + "/proxy/" + full + "/");
        return 0;
    }

    private static int port(String flag, long p) {
        if (p < 1 || p > 65535) {
            throw new BurrowException(flag + ": a port is 1 to 65535; got " + p);
        }
        return (int) p;
    }

    /** {@code all}, or a comma-separated list of ports and {@code A-B} ranges. */
    private static void addSpec(ArrayNode list, String spec) {
        if (spec.equals("all")) {
            list.add("all");
            return;
        }
        for (String item : spec.split(",", -1)) {
            Matcher range = RANGE.matcher(item.strip());
            if (range.matches()) {
                int from = port("--ports", Long.parseLong(range.group(1)));
                int to = port("--ports", Long.parseLong(range.group(2)));
                if (from > to) {
                    throw new BurrowException("--ports: a range goes up, e.g. 8000-8100; got " + item);
                }
                list.addObject().put("from", from).put("to", to);
            } else if (PORT.matcher(item.strip()).matches()) {
                list.add(port("--ports", Long.parseLong(item.strip())));
            } else {
                throw new BurrowException("--ports takes all, or ports and ranges separated by commas such as 8000-8100,9000; got '" + spec + "'");
            }
        }
    }

    private static String describePorts(JsonNode ports) {
        if (ports == null || !ports.isArray() || ports.isEmpty()) {
            return "";
        }
        List<String> parts = new ArrayList<>();
        for (JsonNode p : ports) {
            parts.add(p.isObject() ? Json.text(p, "from") + "-" + Json.text(p, "to") : p.asText());
        }
        return ", ports " + String.join(", ", parts);
    }
}
