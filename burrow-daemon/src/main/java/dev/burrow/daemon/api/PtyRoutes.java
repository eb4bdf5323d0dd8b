package dev.burrow.daemon.api;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.eclipse.jetty.http.HttpHeader;

/**
 * {@code GET /v1/microvms/{id}/pty} (SPEC §3 PTY): every query field is checked first (400 naming
 * each), then the terminal is opened — through the lifecycle's data-plane use, so a SUSPENDED
 * microVM auto-resumes or answers 409 — and only then is the request upgraded, so every failure
 * before the terminal runs is an ordinary problem+json answer.
 */
final class PtyRoutes {

    static final String PATH = "/v1/microvms/{id}/pty";
    private static final List<String> QUERY = List.of("cmd", "cols", "rows", "user", "cwd");
    /**
     * The default command: the user's login shell from /etc/passwd ({@code USER} is set by the
     * agent), started with {@code -l}; /bin/sh when the user has none or it is not executable.
     */
    static final List<String> LOGIN_SHELL = List.of("/bin/sh", "-c", """
            s=/bin/sh
            while IFS=: read -r n _ _ _ _ _ sh; do
              if [ "$n" = "$USER" ]; then [ -n "$sh" ] && [ -x "$sh" ] && s=$sh; break; fi
            done < /etc/passwd 2>/dev/null
            exec "$s" -l""");

    private final Pty.Backend backend;
    private final PtyLimits limits;

    PtyRoutes(Pty.Backend backend, PtyLimits limits) {
        this.backend = backend;
        this.limits = limits;
    }

    void register(ApiServer api) {
        api.webSocketRoute(PATH, this::pty);
    }

    private void pty(Call c) throws Exception {
        FieldErrors errors = new FieldErrors();
        for (String unknown : c.unknownQuery(QUERY)) {
            String name = Queries.printable(unknown);
            errors.add(name, "unknown query parameter '" + name + "'; the accepted ones are " + QUERY);
        }
        List<String> cmd = c.queries("cmd");
        for (int i = 0; i < cmd.size(); i++) {
            if (cmd.get(i).indexOf('\0') >= 0 || i == 0 && cmd.get(i).isEmpty()) {
                errors.add("cmd", "cmd[" + i + "] must be " + (i == 0 ? "a non-empty string" : "a string") + " without NUL characters");
            }
        }
        int cols = size(c, "cols", PtyLimits.DEFAULT_COLS, errors);
        int rows = size(c, "rows", PtyLimits.DEFAULT_ROWS, errors);
        String user = text(c, "user", errors);
        String cwd = text(c, "cwd", errors);
        errors.throwIfAny();
        if (!"websocket".equalsIgnoreCase(c.request.getHeaders().get(HttpHeader.UPGRADE))) {
            throw new ApiException(426, "upgrade-required", null, "this endpoint is a WebSocket: send a WebSocket handshake "
                    + "(Upgrade: websocket), e.g. with `burrow shell`", Map.of(), Map.of(HttpHeader.UPGRADE.asString(), "websocket"));
        }
        c.openStream();
        Pty pty = backend.open(c.tenant(), c.param("id"), new Pty.Request(cmd.isEmpty() ? LOGIN_SHELL : cmd, cols, rows, user, cwd),
                c.requestId);
        PtySocket socket = new PtySocket(pty, backend, c.tenant(), c.param("id"), limits, c::stopping, c.keepPermits());
        AtomicReference<PtySocket> created = new AtomicReference<>();
        boolean upgraded = false;
        try {
            upgraded = c.upgrade((request, response, callback) -> {
                if (request.hasSubProtocol(WebSocketAuth.PROTOCOL)) {
                    response.setAcceptedSubProtocol(WebSocketAuth.PROTOCOL);
                }
                created.set(socket);
                socket.start();
                return socket;
            });
        } finally {
            if (created.get() == null) {
                socket.abandon();
            }
        }
        if (!upgraded) {
            throw new ApiException(400, "invalid-request", null, "the WebSocket handshake is not valid (Sec-WebSocket-Key, Sec-WebSocket-Version: 13)");
        }
    }

    private int size(Call c, String name, int def, FieldErrors errors) {
        try {
            return (int) Queries.number(c, name, def, 1, limits.maxSize());
        } catch (ApiException e) {
            errors.add(name, e.getMessage());
            return def;
        }
    }

    private static String text(Call c, String name, FieldErrors errors) {
        String v;
        try {
            v = c.query(name);
        } catch (ApiException e) {
            errors.add(name, e.getMessage());
            return null;
        }
        if (v != null && (v.isEmpty() || v.indexOf('\0') >= 0)) {
            errors.add(name, name + " must be a non-empty string without NUL characters");
        }
        return v;
    }
}
