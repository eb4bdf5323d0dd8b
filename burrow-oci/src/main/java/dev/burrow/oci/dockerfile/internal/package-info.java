/**
 * The Dockerfile front end's workings: logical lines and heredocs, shell-like words and variable
 * expansion, Go-style globs, context paths resolved without following a symlink out, and the
 * entry plans of COPY/ADD layers. Not an API.
 */
package dev.burrow.oci.dockerfile.internal;
