/** Reading the host's cgroup mounts and writing cgroup files; not API. */
package dev.burrow.vmm.jail.internal;
