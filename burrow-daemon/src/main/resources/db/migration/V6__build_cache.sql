-- The Dockerfile layer cache (issue 11): a build step's cache key to the layer it made, per
-- tenant (a RUN's output may hold a tenant's secret, so one tenant's key never finds another's
-- layer). Config-only steps make no layer and have no row. The layer is a blob of the shared
-- store; the collector keeps every layer named here until a prune empties the table. A deleted
-- tenant's rows go with it.
CREATE TABLE build_cache (
    tenant_id    TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    cache_key    TEXT NOT NULL,
    layer        TEXT NOT NULL,
    diff_id      TEXT NOT NULL,
    size         INTEGER NOT NULL CHECK (size >= 0),
    created_at   TEXT NOT NULL,
    last_used_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, cache_key)
);
CREATE INDEX build_cache_layer ON build_cache(layer);
