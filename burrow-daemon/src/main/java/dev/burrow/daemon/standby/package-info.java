/**
 * The daemon's standby policy (issue 13, docs/standby.md): which image versions keep microVMs
 * restored and paused ahead of runs, how many, within a memory budget and the host's free
 * memory. The engine keeps and claims them ({@code Hypervisor.keepStandby}); this package only
 * decides the counts and tells the engine when they change.
 */
package dev.burrow.daemon.standby;
