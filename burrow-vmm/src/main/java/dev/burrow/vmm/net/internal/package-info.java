/** Address arithmetic, the nftables rulesets the paths load, and the host's {@code ip}/{@code nft} tools behind them. */
package dev.burrow.vmm.net.internal;
