package dev.burrow.daemon.tokens;

import java.util.ArrayList;
import java.util.List;

/**
 * How a browser shows a token on a WebSocket (SPEC §3, WebSocket authentication): it cannot set
 * headers, so it offers the subprotocols {@code burrow} and {@code burrow.token.<t>}. One reading
 * of {@code Sec-WebSocket-Protocol} for the PTY route and the ingress endpoint alike.
 */
public final class TokenSubprotocols {

    /** The subprotocol a client offers beside its token, and the one the server answers. */
    public static final String PROTOCOL = "burrow";
    /** The subprotocol that carries a token: {@code burrow.token.<t>}. */
    public static final String TOKEN_PREFIX = "burrow.token.";

    private TokenSubprotocols() {}

    /** Every offered subprotocol, in order, from the {@code Sec-WebSocket-Protocol} header values (comma-separated lists). */
    public static List<String> offered(List<String> headerValues) {
        List<String> out = new ArrayList<>();
        for (String v : headerValues) {
            for (String p : v.split(",")) {
                if (!p.isBlank()) {
                    out.add(p.strip());
                }
            }
        }
        return out;
    }

    /** The tokens among {@code offered}: each {@code burrow.token.<t>}'s {@code <t>}, in order. */
    public static List<String> tokens(List<String> offered) {
        return offered.stream().filter(p -> p.startsWith(TOKEN_PREFIX)).map(p -> p.substring(TOKEN_PREFIX.length())).toList();
    }

    /** Whether {@code p} is one of Burrow's own subprotocols (never forwarded to a guest app). */
    public static boolean isBurrows(String p) {
        return p.equals(PROTOCOL) || p.startsWith(TOKEN_PREFIX);
    }
}
