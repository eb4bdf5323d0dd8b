/**
 * Dockerfile builds (SPEC §1 {@code dockerfile} sources): {@link dev.burrow.daemon.images.build.DockerfileSource}
 * turns a build context into an image in the shared blob store, running each {@code RUN} in a
 * builder microVM and caching layers per tenant ({@link dev.burrow.daemon.images.build.BuildCache}).
 * The machinery lives in {@code .internal}.
 */
package dev.burrow.daemon.images.build;
