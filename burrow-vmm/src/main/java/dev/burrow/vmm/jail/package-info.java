/** What confines each VMM process: its jail (burrow-jailer's arguments) and its cgroups. */
package dev.burrow.vmm.jail;
