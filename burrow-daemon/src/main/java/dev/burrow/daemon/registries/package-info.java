/**
 * Registries in the daemon (SPEC §3 {@code /v1/registries}, §1 {@code registry} sources): each
 * tenant's registry logins, stored encrypted at rest and never shown again, and the pulls that use
 * them for {@code registry} sources and a Dockerfile's {@code FROM host/repo:tag}.
 */
package dev.burrow.daemon.registries;
