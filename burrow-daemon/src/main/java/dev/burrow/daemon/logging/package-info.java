/**
 * burrowd's logging: a shipped configuration (INFO, Jetty at WARN), one line per record with the
 * request and microVM ids, credentials redacted and control characters escaped in every message,
 * and size-rotated files that only the daemon's user can read.
 */
package dev.burrow.daemon.logging;
