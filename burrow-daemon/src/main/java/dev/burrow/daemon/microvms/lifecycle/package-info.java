/**
 * The microVM lifecycle: one {@link dev.burrow.daemon.microvms.lifecycle.Supervisor} per
 * microVM owns its typed {@link dev.burrow.daemon.microvms.lifecycle.MicroVmState} and live
 * VMM; API calls, timers, the agent-closed callback and restart reconciliation all reach it as
 * inputs; timer rules take the time as an argument ({@code Lifecycle.runOnce(now)}).
 */
package dev.burrow.daemon.microvms.lifecycle;
