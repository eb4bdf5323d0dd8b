-- Burrow schema, version 1. Times are TEXT in RFC 3339 UTC with nine fraction digits (sortable),
-- JSON columns are TEXT written by Jackson, booleans are INTEGER 0/1.
-- Never edit an applied migration: add V2__….sql instead.

CREATE TABLE tenants (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL,
    quotas     TEXT                -- {microvms, vcpus, memoryMiB, suspendedMiB}; null fields = unlimited
);

CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    hash       TEXT NOT NULL UNIQUE, -- sha256 hex of the whole key; the key itself is never stored
    prefix     TEXT NOT NULL,        -- first 8 characters, for display
    admin      INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    revoked_at TEXT
);
CREATE INDEX api_keys_tenant ON api_keys(tenant_id);

CREATE TABLE images (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    public     INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, name)
);
CREATE INDEX images_public ON images(name, created_at) WHERE public = 1;

CREATE TABLE image_versions (
    tenant_id    TEXT NOT NULL,
    image        TEXT NOT NULL,
    version      INTEGER NOT NULL CHECK (version >= 1),
    state        TEXT NOT NULL,
    state_reason TEXT,
    active       INTEGER NOT NULL DEFAULT 1,
    settings     TEXT,               -- BuildSettings
    source       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    entrypoint   TEXT,               -- EntrypointStatus
    phases       TEXT,               -- {phase: millis}
    template_dir TEXT,
    build_log    TEXT,
    PRIMARY KEY (tenant_id, image, version),
    FOREIGN KEY (tenant_id, image) REFERENCES images(tenant_id, name) ON DELETE CASCADE
);

CREATE TABLE microvms (
    id             TEXT PRIMARY KEY,
    tenant_id      TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    image          TEXT NOT NULL,
    version        INTEGER NOT NULL,
    state          TEXT NOT NULL,
    state_reason   TEXT,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    expires_at     TEXT,             -- maxDurationSeconds as an absolute instant
    labels         TEXT NOT NULL DEFAULT '{}',
    env            TEXT NOT NULL DEFAULT '{}',
    network        TEXT,
    idle_policy    TEXT,
    vmm_pid        INTEGER,
    vmm_start_time INTEGER,          -- the VMM process's start time (/proc/<pid>/stat field 22), to tell pid reuse
    dir            TEXT,
    suspended_at   TEXT              -- suspendedSeconds counts from here, across restarts
);
CREATE INDEX microvms_tenant ON microvms(tenant_id, id);
CREATE INDEX microvms_tenant_state ON microvms(tenant_id, state, id);
CREATE INDEX microvms_state ON microvms(state);
CREATE INDEX microvms_image ON microvms(tenant_id, image, version);

CREATE TABLE events (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    time        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    resource_id TEXT,
    from_state  TEXT,
    to_state    TEXT,
    reason      TEXT,
    request_id  TEXT,
    tenant_id   TEXT                 -- no foreign key: events outlive what they describe
);
CREATE INDEX events_tenant_seq ON events(tenant_id, seq);
CREATE INDEX events_time ON events(time);

CREATE TABLE uploads (
    id         TEXT PRIMARY KEY,
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    bytes      INTEGER NOT NULL,
    sha256     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL
);
CREATE INDEX uploads_expires ON uploads(expires_at);

CREATE TABLE idempotency_keys (
    tenant_id    TEXT NOT NULL,
    key          TEXT NOT NULL,
    method       TEXT NOT NULL,
    path         TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status       INTEGER,            -- null while the first request is still running
    response     TEXT,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys(created_at);
