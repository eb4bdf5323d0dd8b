/**
 * The ingress endpoint (SPEC §3): requests to {@code {port}-{id}.<domain>} or {@code /proxy/{id}/…}
 * are checked against an {@code ingress} token, then forwarded as HTTP/1.1 over agent TCP streams
 * into the guest, with upgrades (WebSockets) tunnelled as raw bytes. {@link dev.burrow.daemon.ingress.Ingress}
 * is the entry point; everything else is internal to this package.
 */
package dev.burrow.daemon.ingress;
