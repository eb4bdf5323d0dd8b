/**
 * Reading a microVM's console ring for {@code GET /v1/microvms/{id}/logs}: following the two
 * files through the jailer's rotations and through a suspend or resume (which keep the same
 * files), a bounded buffer at a time, and cutting the hostile bytes into NDJSON lines of bounded
 * size (docs/logs.md).
 */
package dev.burrow.daemon.logs;
