package dev.burrow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;

/** {@code GET /v1/system/df} and {@code POST /v1/system/prune} of {@link FakeBurrowd}: fixed answers, 403 for a non-admin key. */
final class FakeSystem {
    private static final ObjectMapper M = new ObjectMapper();

    static final String DF = """
            {"categories":[
              {"name":"blobs","count":3,"bytes":1048576,"reclaimableCount":1,"reclaimableBytes":524288},
              {"name":"templates","count":2,"bytes":268435456,"reclaimableCount":0,"reclaimableBytes":0},
              {"name":"uploads","count":1,"bytes":3145728,"reclaimableCount":1,"reclaimableBytes":3145728}],
             "totalBytes":272629760,"reclaimableBytes":3670016}""";
    static final String PRUNE = """
            {"freed":[{"name":"blobs","count":1,"bytes":524288},{"name":"templates","count":0,"bytes":0},
                      {"name":"uploads","count":1,"bytes":3145728}],
             "totalCount":2,"totalBytes":3670016,"cacheEntriesForgotten":4,
             "deferred":["blobs: 1 build(s) were resolving their image; prune again once they have"]}""";

    /** Answers a {@code /v1/system/…} call; false for any other path. */
    boolean handle(HttpExchange ex, FakeAdmin.Key who, String method, String path) throws IOException {
        if (!path.startsWith("/v1/system/")) return false;
        if (!who.admin()) {
            FakeBurrowd.problem(ex, 403, "forbidden", "this call needs an admin key");
        } else if (method.equals("GET") && path.equals("/v1/system/df")) {
            FakeBurrowd.json(ex, 200, parse(DF));
        } else if (method.equals("POST") && path.equals("/v1/system/prune")) {
            FakeBurrowd.json(ex, 200, parse(PRUNE));
        } else {
            FakeBurrowd.problem(ex, 404, "not-found", "no route " + method + " " + path);
        }
        return true;
    }

    private static JsonNode parse(String s) {
        try {
            return M.readTree(s);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }
}
