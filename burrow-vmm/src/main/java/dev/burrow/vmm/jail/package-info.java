/**
 * What each VMM's jail holds and who it runs as (docs/adr/0017-the-jail.md). burrow-jailer
 * (guest/jailer/jailer.c) does the jailing; this package decides its arguments: the microVM's own
 * uid and gid ({@link dev.burrow.vmm.jail.JailIds}), the files and devices that appear in its
 * otherwise empty root ({@link dev.burrow.vmm.jail.JailSpec}), and the owners and modes those
 * files get on the host ({@link dev.burrow.vmm.jail.JailFiles}), and the cgroup it joins with its
 * cpu, memory and pids limits ({@link dev.burrow.vmm.jail.Cgroups}, docs/adr/0018-cgroups-and-abuse.md).
 */
package dev.burrow.vmm.jail;
