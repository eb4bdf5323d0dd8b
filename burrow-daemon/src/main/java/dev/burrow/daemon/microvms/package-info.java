/**
 * MicroVMs as the API sees them: running an image version, listing, exec, and the typed
 * failures the API turns into problems. The state machine itself lives in
 * {@link dev.burrow.daemon.microvms.lifecycle}.
 */
package dev.burrow.daemon.microvms;
