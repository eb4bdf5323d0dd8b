package dev.burrow.cli;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.websocket.api.Callback;
import org.eclipse.jetty.websocket.api.Session;

/** The echo terminal behind one {@link FakePtyServer} socket. */
public final class FakePtyTerminal implements Session.Listener.AutoDemanding {

    private final FakePtyServer server;
    private final String query;
    private Session session;

    FakePtyTerminal(FakePtyServer server, String query) {
        this.server = server;
        this.query = query;
    }

    @Override
    public void onWebSocketOpen(Session s) {
        session = s;
        if (query.contains("cmd=suspend")) {
            s.close(1001, "the microVM was suspended; reconnect to resume it", Callback.NOOP);
        }
    }

    @Override
    public void onWebSocketBinary(ByteBuffer payload, Callback callback) {
        String in = StandardCharsets.ISO_8859_1.decode(payload).toString();
        server.input.append(in);
        callback.succeed();
        int eot = in.indexOf('\u0004');
        String echoed = eot >= 0 ? in.substring(0, eot) : in;
        if (!echoed.isEmpty()) {
            session.sendBinary(ByteBuffer.wrap(("echo:" + echoed).getBytes(StandardCharsets.ISO_8859_1)), Callback.NOOP);
        }
        if (eot >= 0) {
            String code = query.replaceAll(".*cmd=exit([0-9]+).*", "$1");
            session.sendText("{\"exit\":" + (code.matches("[0-9]+") ? code : "0") + "}",
                    Callback.from(() -> session.close(1000, "exited", Callback.NOOP), x -> { }));
        }
    }

    @Override
    public void onWebSocketText(String message) {
        server.controls.add(message);
    }
}
