/**
 * Registries for tests, reusable from other modules through burrow-oci's test-jar:
 * {@link dev.burrow.oci.registry.testing.TestRegistry} runs Debian's {@code docker-registry} on
 * loopback (no auth, htpasswd basic auth, or token auth with
 * {@link dev.burrow.oci.registry.testing.TokenServer}) and pushes test images into it;
 * {@link dev.burrow.oci.registry.testing.FakeRegistry} is an in-process registry whose
 * misbehaviour a test scripts (wrong digests, cut connections, redirects, endless 401s).
 */
package dev.burrow.oci.registry.testing;
