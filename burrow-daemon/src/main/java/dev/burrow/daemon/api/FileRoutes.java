package dev.burrow.daemon.api;

import dev.burrow.daemon.microvms.files.GuestFileException;
import dev.burrow.daemon.microvms.files.GuestFiles;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.http.HttpHeader;

/**
 * The files API (SPEC §3, docs/files.md): read (a directory as a tar), write, mkdir, remove,
 * move, list and watch, each one builtin in the microVM streamed through {@link GuestFiles}.
 * Transfers take a stream slot and, through the exec they run, hold the microVM's use: they are
 * activity, and a SUSPENDED microVM is resumed first when its policy says so.
 */
final class FileRoutes {

    private final GuestFiles files;

    FileRoutes(GuestFiles files) {
        this.files = files;
    }

    void register(ApiServer api) {
        api.route("GET", "/v1/microvms/{id}/files", guarded(this::read));
        api.route("PUT", "/v1/microvms/{id}/files", guarded(this::write));
        api.route("DELETE", "/v1/microvms/{id}/files", guarded(this::remove));
        api.route("POST", "/v1/microvms/{id}/files/move", guarded(this::move));
        api.route("GET", "/v1/microvms/{id}/files/list", guarded(this::list));
        api.route("GET", "/v1/microvms/{id}/files/watch", guarded(this::watch));
    }

    private void read(Call c) throws Exception {
        Queries.only(c, List.of("path"));
        String path = files.checkPath("path", c.query("path"));
        c.openStream();
        Map<String, Object> entry = files.stat(c.tenant(), c.param("id"), path, true, c.requestId);
        Object type = entry == null ? null : entry.get("type");
        if (!"file".equals(type) && !"dir".equals(type)) {
            throw new ApiException(409, "conflict", "path", path + " is not a regular file or a directory (it is " + type + ")");
        }
        String contentType = "dir".equals(type) ? "application/x-tar" : "application/octet-stream";
        StreamOut out = c.stream();
        files.read(c.tenant(), c.param("id"), path, c.requestId, new GuestFiles.Sink() {
            @Override
            public void begin() throws IOException {
                c.response.setStatus(200);
                c.response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
                out.commit();
            }

            @Override
            public void write(byte[] data) throws IOException {
                out.bytes(ByteBuffer.wrap(data));
            }

            @Override
            public boolean idle() throws IOException {
                if (c.stopping()) {
                    // cut, not ended: a client must never take a shortened file for the whole one
                    throw new IOException("burrowd is stopping");
                }
                return true;
            }
        });
    }

    private void write(Call c) throws Exception {
        Queries.only(c, List.of("path", "mode", "type"));
        String path = files.checkPath("path", c.query("path"));
        String type = c.query("type");
        if (type != null && !type.equals("file") && !type.equals("dir")) {
            throw ApiException.badRequest("type", "type must be file or dir; got '" + Queries.printable(type) + "'");
        }
        String mode = c.query("mode");
        if ("dir".equals(type)) {
            if (c.request.getLength() > 0) {
                throw ApiException.badRequest("type", "type=dir makes a directory and takes no body");
            }
            c.send(200, files.mkdir(c.tenant(), c.param("id"), path, mode, c.requestId));
            return;
        }
        c.openStream(); // an upload may stream as long as it takes
        long length = c.request.getLength();
        Map<String, Object> entry;
        try (InputStream body = c.body()) {
            entry = files.write(c.tenant(), c.param("id"), path, mode, length >= 0 ? length : null, body, c.requestId);
        }
        c.send(200, entry);
    }

    private void remove(Call c) throws Exception {
        Queries.only(c, List.of("path"));
        String path = files.checkPath("path", c.query("path"));
        files.remove(c.tenant(), c.param("id"), path, c.requestId);
        c.response.setStatus(204);
    }

    private void move(Call c) throws Exception {
        Queries.only(c, List.of());
        Dtos.MoveBody body = c.json(Dtos.MoveBody.class);
        FieldErrors errors = new FieldErrors();
        for (String field : List.of("from", "to")) {
            String v = field.equals("from") ? body.from() : body.to();
            try {
                files.checkPath(field, v);
            } catch (IllegalArgumentException e) {
                errors.add(field, e.getMessage());
            }
        }
        errors.throwIfAny();
        c.send(200, files.move(c.tenant(), c.param("id"), body.from(), body.to(), c.requestId));
    }

    private void list(Call c) throws Exception {
        Queries.only(c, List.of("path"));
        String path = files.checkPath("path", c.query("path"));
        c.openStream();
        StreamOut out = c.stream();
        files.list(c.tenant(), c.param("id"), path, c.requestId, ndjson(c, out, false));
    }

    private void watch(Call c) throws Exception {
        Queries.only(c, List.of("path", "recursive"));
        String path = files.checkPath("path", c.query("path"));
        boolean recursive = Queries.bool(c, "recursive");
        c.openStream();
        StreamOut out = c.stream();
        try {
            files.watch(c.tenant(), c.param("id"), path, recursive, c.requestId, ndjson(c, out, true));
        } catch (StreamOut.Stalled stalled) {
            throw stalled;
        } catch (IOException clientGone) {
            // the watcher disconnected (noticed by a write or a keep-alive): the builtin was killed
        }
    }

    /** An NDJSON response; a quiet watch sends a bare newline now and then (and notices a client gone). */
    private GuestFiles.Sink ndjson(Call c, StreamOut out, boolean keepAlive) {
        return new GuestFiles.Sink() {
            private long quietSince = System.nanoTime();

            @Override
            public void begin() throws IOException {
                c.response.setStatus(200);
                c.response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/x-ndjson");
                out.commit();
            }

            @Override
            public void write(byte[] data) throws IOException {
                out.bytes(ByteBuffer.wrap(data));
                quietSince = System.nanoTime();
            }

            @Override
            public boolean idle() throws IOException {
                if (c.stopping()) {
                    if (keepAlive) {
                        return false; // a watch has no natural end: stopping ends it
                    }
                    throw new IOException("burrowd is stopping");
                }
                if (keepAlive && System.nanoTime() - quietSince > files.limits().keepAlive().toNanos()) {
                    out.keepAlive();
                    quietSince = System.nanoTime();
                }
                return true;
            }
        };
    }

    /** The guest's refusals as problems: each builtin error class has its status (docs/files.md). */
    private static Route.Handler guarded(Route.Handler handler) {
        return c -> {
            try {
                handler.handle(c);
            } catch (GuestFileException e) {
                throw switch (e.kind()) {
                    case NOT_FOUND -> new ApiException(404, "not-found", null, e.getMessage());
                    case PERMISSION -> new ApiException(403, "forbidden", null, e.getMessage());
                    case WRONG_TYPE, EXISTS, UNSUPPORTED -> new ApiException(409, "conflict", null, e.getMessage());
                    case NO_SPACE -> new ApiException(507, "insufficient-storage", null, e.getMessage());
                    case INVALID -> ApiException.badRequest("path", e.getMessage());
                    case OTHER -> new ApiException(500, "internal", null, e.getMessage());
                };
            }
        };
    }
}
