package dev.burrow.vmm.agent.internal;

import dev.burrow.vmm.agent.AgentProtocolException;
import dev.burrow.vmm.agent.GuestCpu;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.OptionalLong;

/**
 * The STATS_REPLY payload (docs/PROTOCOL.md): {@code u64 nonce, u64 totalTicks, u64 idleTicks,
 * u64 agentTicks, u32 ticksPerSecond, u32 cpus}, always {@link #BYTES} long.
 */
public record StatsReply(long nonce, GuestCpu cpu) {

    public static final int BYTES = 40;

    /** Anything but exactly {@link #BYTES} bytes with a positive tick rate and CPU count is malformed. */
    public static StatsReply decode(Frame f) throws AgentProtocolException {
        if (f.payload().length != BYTES) {
            throw new AgentProtocolException("STATS_REPLY of " + f.payload().length + " bytes; it has " + BYTES, false);
        }
        Payload.Reader r = Payload.reader(f);
        long nonce = r.u64();
        long total = r.u64();
        long idle = r.u64();
        long agent = r.u64();
        int ticksPerSecond = r.i32();
        int cpus = r.i32();
        r.end();
        // u32 values of 2^31 and more read as negative: as absurd as zero
        if (ticksPerSecond < 1 || cpus < 1) {
            throw new AgentProtocolException("STATS_REPLY with " + Integer.toUnsignedString(ticksPerSecond) + " ticks/s and "
                    + Integer.toUnsignedString(cpus) + " CPUs", false);
        }
        return new StatsReply(nonce, new GuestCpu(total, idle, agent, ticksPerSecond, cpus));
    }

    /** The nonce a STATS_REPLY claims, malformed or not, when it has one. */
    public static OptionalLong claimedNonce(Frame f) {
        return f.payload().length < Long.BYTES ? OptionalLong.empty()
                : OptionalLong.of(ByteBuffer.wrap(f.payload()).order(ByteOrder.LITTLE_ENDIAN).getLong(0));
    }

    public byte[] encode() {
        return Payload.writer().u64(nonce).u64(cpu.totalTicks()).u64(cpu.idleTicks()).u64(cpu.agentTicks())
                .u32(cpu.ticksPerSecond()).u32(cpu.cpus()).toBytes();
    }
}
