package dev.burrow.daemon.api;

import dev.burrow.daemon.space.SpaceService;
import java.util.List;

/**
 * {@code GET /v1/system/df} and {@code POST /v1/system/prune}: admin keys only, since the data
 * directory (one blob store, every tenant's images) is shared by all tenants.
 */
final class SpaceRoutes {

    private final SpaceService space;

    SpaceRoutes(SpaceService space) {
        this.space = space;
    }

    void register(ApiServer api) {
        api.adminRoute("GET", "/v1/system/df", c -> {
            Queries.only(c, List.of());
            c.send(200, Dtos.SpaceView.of(space.df()));
        });
        api.adminRoute("POST", "/v1/system/prune", c -> {
            Queries.only(c, List.of());
            c.send(200, Dtos.PruneView.of(space.prune()));
        });
    }
}
