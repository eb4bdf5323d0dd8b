-- Ingress and PTY tokens (issue 9): only the SHA-256 of a token is kept (256 random bits: nothing
-- to brute-force). A row ends at its expiry (the janitor deletes it) or, for a URL token, when it
-- is exchanged for a cookie credential.
CREATE TABLE tokens (
    hash        TEXT PRIMARY KEY,
    tenant_id   TEXT NOT NULL,
    microvm_id  TEXT NOT NULL,
    scope       TEXT NOT NULL,       -- 'ingress' | 'pty'
    ports       TEXT NOT NULL,       -- JSON, as PortSet.toJson
    expires_at  TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX tokens_by_microvm ON tokens(microvm_id);
CREATE INDEX tokens_by_expiry ON tokens(expires_at);
