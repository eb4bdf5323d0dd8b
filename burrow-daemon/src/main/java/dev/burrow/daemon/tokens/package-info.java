/**
 * Short-lived, scoped credentials for one microVM (SPEC §3 tokens): an {@code ingress} token
 * names the guest ports the ingress endpoint may forward to, a {@code pty} token opens the
 * microVM's terminal. They exist because browsers cannot send an API key on a WebSocket or a
 * link; a token is worth far less than a key (one microVM, some ports, at most an hour).
 * Stored hashed in SQLite, so they survive a daemon restart.
 */
package dev.burrow.daemon.tokens;
