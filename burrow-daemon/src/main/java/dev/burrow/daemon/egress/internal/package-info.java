/**
 * The wire work behind egress: strict, bounded parsers of DNS messages, TLS ClientHellos and
 * HTTP request heads (every input here comes from an untrusted guest), name and address rules,
 * the upstream resolver client, and the per-microVM listeners.
 */
package dev.burrow.daemon.egress.internal;
