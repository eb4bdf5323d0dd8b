/**
 * What {@code GET /metrics} serves (SPEC §4): a tiny registry written as Prometheus text 0.0.4
 * by hand (no metrics library on the daemon's start-up path), with no per-tenant labels — runs
 * by how they started, their latency, and the standby pool's size.
 */
package dev.burrow.daemon.metrics;
