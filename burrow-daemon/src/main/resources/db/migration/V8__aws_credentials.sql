-- AWS credentials (issue 12): an access key id and secret per API key, for SigV4-signed calls to
-- the Lambda MicroVMs door. The secret is AES-GCM ciphertext under <dataDir>/aws.key (0600),
-- bound to its access key id as associated data; it is never stored in the clear, never returned
-- after creation, never logged. It cannot be hashed: SigV4 needs the secret itself to recompute
-- each request's HMAC. Revoking the API key revokes its credentials (the lookup joins api_keys);
-- deleting the key or its tenant deletes the row.
CREATE TABLE aws_credentials (
    access_key_id TEXT PRIMARY KEY,          -- AKIA + 16 of [A-Z2-7]
    key_id        TEXT NOT NULL UNIQUE REFERENCES api_keys(id) ON DELETE CASCADE,
    secret        BLOB NOT NULL,             -- 12-byte nonce || ciphertext || 16-byte tag
    created_at    TEXT NOT NULL
);
