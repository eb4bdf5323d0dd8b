package dev.burrow.daemon.api;

import dev.burrow.daemon.egress.Decision;
import dev.burrow.daemon.egress.DecisionLog;
import dev.burrow.daemon.microvms.MicroVmService;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;

/** {@code GET /v1/microvms/{id}/egress}: the microVM's egress decisions, oldest kept first (SPEC §6). */
final class EgressRoutes {

    private static final int DEFAULT_LIMIT = 100;
    private static final int MAX_LIMIT = 500;

    private final MicroVmService microvms;
    private final DecisionLog decisions;

    EgressRoutes(MicroVmService microvms, DecisionLog decisions) {
        this.microvms = microvms;
        this.decisions = decisions;
    }

    void register(ApiServer api) {
        api.route("GET", "/v1/microvms/{id}/egress", this::list);
    }

    private void list(Call c) throws Exception {
        Queries.only(c, List.of("limit", "cursor"));
        int limit = (int) Queries.number(c, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT);
        long after = after(Queries.cursor(c));
        String id = c.param("id");
        microvms.get(c.tenant(), id); // other tenants' ids answer 404
        List<Decision> page = decisions.after(id, after, limit + 1);
        String next = null;
        if (page.size() > limit) {
            page = page.subList(0, limit);
            next = cursor(page.getLast().seq());
        }
        c.send(200, new Dtos.ListOf<>(page.stream().map(EgressRoutes::view).toList(), next));
    }

    record DecisionView(String time, String protocol, String name, int port, String decision, String reason) {}

    private static DecisionView view(Decision d) {
        return new DecisionView(d.time().toString(), d.protocol(), d.name(), d.port(), d.decision(), d.reason());
    }

    private static String cursor(long seq) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(("s" + seq).getBytes(StandardCharsets.US_ASCII));
    }

    private static long after(String cursor) {
        if (cursor == null) {
            return 0;
        }
        String v = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.US_ASCII);
        if (!v.matches("s[0-9]{1,18}")) {
            throw ApiException.badRequest("cursor", "cursor must be a nextCursor this server returned");
        }
        return Long.parseLong(v.substring(1));
    }
}
