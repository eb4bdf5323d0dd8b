/** How a Dockerfile build runs: stage plan, base resolution, cache keys, the builder microVM, image writing. Not API. */
package dev.burrow.daemon.images.build.internal;
