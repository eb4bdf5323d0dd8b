package dev.burrow.daemon.ingress;

import dev.burrow.daemon.tokens.TokenSubprotocols;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.StringJoiner;
import org.eclipse.jetty.http.HttpField;
import org.eclipse.jetty.http.HttpFields;

/**
 * Which headers cross the endpoint. Hop-by-hop headers (and those a Connection header names) stay
 * on their hop; Burrow's own credentials (the token headers, its cookie, its subprotocols, the
 * port header) never reach a guest; the guest hears who asked through X-Forwarded-*.
 */
final class Headers {

    static final String TOKEN_HEADER = "X-Burrow-Token";
    static final String AWS_TOKEN_HEADER = "X-aws-proxy-auth";
    static final String PORT_HEADER = "X-Burrow-Port";
    /** Lambda MicroVMs' port header (SPEC §8): the guest port, as {@link #PORT_HEADER}. */
    static final String AWS_PORT_HEADER = "X-aws-proxy-port";
    /** Lambda MicroVMs' WebSocket subprotocol naming the guest port: {@code lambda-microvms.port.<n>}. */
    static final String AWS_PORT_PROTOCOL = "lambda-microvms.port.";
    static final String COOKIE = "burrow_ingress";
    static final String REQUEST_ID = "X-Request-Id";

    private static final Set<String> HOP_BY_HOP = Set.of("connection", "keep-alive", "proxy-connection", "te", "trailer",
            "transfer-encoding", "upgrade", "proxy-authorization", "proxy-authenticate");
    /** Request headers that are Burrow's or that this hop sets itself. */
    private static final Set<String> NOT_FORWARDED = Set.of("authorization", TOKEN_HEADER.toLowerCase(Locale.ROOT),
            AWS_TOKEN_HEADER.toLowerCase(Locale.ROOT), PORT_HEADER.toLowerCase(Locale.ROOT),
            AWS_PORT_HEADER.toLowerCase(Locale.ROOT), "content-length", "expect",
            "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-forwarded-prefix", "forwarded",
            REQUEST_ID.toLowerCase(Locale.ROOT));

    private Headers() {}

    /** The header names a Connection header lists (they are hop-by-hop too). */
    static Set<String> connectionTokens(List<String> connectionValues) {
        Set<String> out = new HashSet<>();
        for (String v : connectionValues) {
            for (String t : v.split(",")) {
                if (!t.isBlank()) {
                    out.add(t.strip().toLowerCase(Locale.ROOT));
                }
            }
        }
        return out;
    }

    /**
     * Whether a request asks to switch protocols on this connection (a WebSocket, or any other
     * {@code Connection: Upgrade}). An {@code h2c} upgrade is not one: the endpoint speaks HTTP/1.1
     * to the guest, so that offer stays on the client's hop and the request is served as HTTP/1.1.
     */
    static boolean upgrade(HttpFields fields) {
        String upgrade = fields.get("Upgrade");
        return upgrade != null && !upgrade.strip().equalsIgnoreCase("h2c")
                && connectionTokens(fields.getValuesList("Connection")).contains("upgrade");
    }

    /** What reaches the guest of a client's request headers, in order (Host kept; framing and X-Forwarded-* added by the caller). */
    static List<ResponseHead.Header> request(HttpFields fields, boolean upgrade) {
        Set<String> named = connectionTokens(fields.getValuesList("Connection"));
        List<ResponseHead.Header> out = new ArrayList<>();
        for (HttpField f : fields) {
            String name = f.getName();
            String lower = name.toLowerCase(Locale.ROOT);
            if (lower.equals("upgrade") && upgrade) {
                out.add(new ResponseHead.Header(name, f.getValue()));
                continue;
            }
            if (HOP_BY_HOP.contains(lower) || NOT_FORWARDED.contains(lower) || named.contains(lower) && !lower.equals("upgrade")) {
                continue;
            }
            if (lower.equals("cookie")) {
                String kept = withoutCookie(f.getValue());
                if (!kept.isEmpty()) {
                    out.add(new ResponseHead.Header(name, kept));
                }
                continue;
            }
            if (lower.equals("sec-websocket-protocol")) {
                String kept = withoutBurrowProtocols(f.getValue());
                if (!kept.isEmpty()) {
                    out.add(new ResponseHead.Header(name, kept));
                }
                continue;
            }
            out.add(new ResponseHead.Header(name, f.getValue()));
        }
        if (upgrade) {
            out.add(new ResponseHead.Header("Connection", "Upgrade"));
        }
        return out;
    }

    /** A Cookie header's value without Burrow's own cookie (the others in their order). */
    static String withoutCookie(String cookieHeader) {
        StringJoiner kept = new StringJoiner("; ");
        for (String c : cookieHeader.split(";")) {
            String t = c.strip();
            if (!t.isEmpty() && !name(t).equals(COOKIE)) {
                kept.add(t);
            }
        }
        return kept.toString();
    }

    /** The value of Burrow's cookie among a request's Cookie headers, or null. */
    static String cookie(List<String> cookieHeaders) {
        for (String h : cookieHeaders) {
            for (String c : h.split(";")) {
                String t = c.strip();
                if (name(t).equals(COOKIE)) {
                    return t.substring(t.indexOf('=') + 1).strip();
                }
            }
        }
        return null;
    }

    private static String name(String cookie) {
        int eq = cookie.indexOf('=');
        return (eq < 0 ? cookie : cookie.substring(0, eq)).strip();
    }

    /** The offered subprotocols without {@code burrow}, {@code burrow.token.*} and the endpoint's {@code lambda-microvms.port.*}. */
    static String withoutBurrowProtocols(String offered) {
        StringJoiner kept = new StringJoiner(", ");
        TokenSubprotocols.offered(List.of(offered)).stream()
                .filter(p -> !TokenSubprotocols.isBurrows(p) && !p.startsWith(AWS_PORT_PROTOCOL)).forEach(kept::add);
        return kept.toString();
    }

    /** The {@code lambda-microvms.port.<n>} subprotocol a client offered (the first), or null. */
    static String awsPortProtocol(List<String> offeredValues) {
        return TokenSubprotocols.offered(offeredValues).stream().filter(p -> p.startsWith(AWS_PORT_PROTOCOL)).findFirst().orElse(null);
    }

    /**
     * The subprotocol the endpoint answers when the guest app chose none among those offered:
     * {@code burrow} when offered, else the {@code lambda-microvms.port.<n>} one (a browser fails
     * a handshake whose offered protocols get no answer), else none.
     */
    static String fallbackProtocol(List<String> offeredValues) {
        return offersBurrow(offeredValues) ? TokenSubprotocols.PROTOCOL : awsPortProtocol(offeredValues);
    }

    /** The token a client offered as a subprotocol (with {@code burrow} beside it; the last one when several), or null. */
    static String subprotocolToken(List<String> offeredValues) {
        List<String> offered = TokenSubprotocols.offered(offeredValues);
        List<String> tokens = TokenSubprotocols.tokens(offered);
        return offered.contains(TokenSubprotocols.PROTOCOL) && !tokens.isEmpty() ? tokens.getLast() : null;
    }

    /** Whether the client offered the {@code burrow} subprotocol (then a handshake the guest chose none for answers it). */
    static boolean offersBurrow(List<String> offeredValues) {
        return TokenSubprotocols.offered(offeredValues).contains(TokenSubprotocols.PROTOCOL);
    }

    /** Whether a guest response header goes on to the client ({@code upgraded}: a 101, whose Connection/Upgrade stay). */
    static boolean toClient(String name, Set<String> named, boolean upgraded) {
        String lower = name.toLowerCase(Locale.ROOT);
        if (upgraded && (lower.equals("connection") || lower.equals("upgrade"))) {
            return true;
        }
        return !HOP_BY_HOP.contains(lower) && !named.contains(lower) && !lower.equals(REQUEST_ID.toLowerCase(Locale.ROOT))
                && !lower.equals("content-length");
    }
}
