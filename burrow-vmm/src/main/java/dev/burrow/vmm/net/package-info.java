/**
 * Network paths into a microVM (SPEC §6). A restore asks for one with a {@link
 * dev.burrow.vmm.net.NetworkSpec}; for INTERNET and ALLOWLIST the engine makes a {@link
 * dev.burrow.vmm.net.VethPath}: a network namespace per microVM holding its VMM and a tap for
 * its NIC, joined to the host by a routed veth pair, walled by an nftables table inside the
 * namespace and the instance's table on the host (docs/adr/0016-bench-network-path.md,
 * docs/adr/0019-egress-path.md). {@link dev.burrow.vmm.net.NetworkSettings} holds how paths are
 * made (the range, timeouts); the benchmark's variant lets the host connect to the guest.
 */
package dev.burrow.vmm.net;
