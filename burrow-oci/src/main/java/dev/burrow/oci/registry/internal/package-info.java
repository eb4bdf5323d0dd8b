/** The registry client's HTTP plumbing: auth challenges, tokens, redirects, blob transfers. */
package dev.burrow.oci.registry.internal;
