-- Registry credentials (issue 11): one login per tenant and registry host (host[:port]). The
-- secret (a password or a bearer token) is AES-GCM ciphertext under <dataDir>/registry.key,
-- bound to its row: the associated data is the tenant, host, kind and username, so a ciphertext
-- copied to another row does not decrypt. Never returned by the API, never logged.
CREATE TABLE registry_credentials (
    tenant_id  TEXT NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    host       TEXT NOT NULL,
    kind       TEXT NOT NULL CHECK (kind IN ('basic', 'token')),
    username   TEXT,
    secret     BLOB NOT NULL,        -- 12-byte nonce || ciphertext || 16-byte tag
    updated_at TEXT NOT NULL,
    PRIMARY KEY (tenant_id, host)
);
