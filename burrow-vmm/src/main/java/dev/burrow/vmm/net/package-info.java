/**
 * Network paths into a microVM. Today only the benchmark's: a network namespace per microVM
 * holding its VMM and a tap for its NIC, joined to the host by a veth pair with addresses from
 * a bench-only range and a host route (docs/adr/0016-bench-network-path.md). It is an engine
 * option no API exposes, off by default; issue 10 builds the product's networking on it.
 */
package dev.burrow.vmm.net;
