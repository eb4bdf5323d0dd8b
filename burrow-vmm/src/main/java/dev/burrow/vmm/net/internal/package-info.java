/** Address arithmetic and the host's {@code ip} tool behind the network paths. */
package dev.burrow.vmm.net.internal;
