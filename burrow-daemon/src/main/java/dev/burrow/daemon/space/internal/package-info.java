/** File-level helpers of the collector: allocated sizes, listings, deleting through a trash directory. */
package dev.burrow.daemon.space.internal;
