/**
 * A microVM's egress as the daemon serves it (SPEC §6, docs/egress.md): the {@code network}
 * policy a run asks for, the per-microVM DNS listener (answering or forwarding), the allowlist
 * proxy that checks HTTP Host and TLS SNI, and the log of every decision they make. The engine
 * builds the network path; this package listens on the host end of it.
 */
package dev.burrow.daemon.egress;
