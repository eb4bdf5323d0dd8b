package dev.burrow.vmm.agent.internal;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** An agent's {@code major.minor.patch} version as HELLO_ACK reports it, compared numerically. */
public record AgentVersion(int major, int minor, int patch) implements Comparable<AgentVersion> {

    /** The first agent that answers STATS (guest CPU for the idle policy). */
    public static final AgentVersion STATS = new AgentVersion(0, 3, 0);
    /** The first agent with PTY execs, RESIZE and builtins. */
    public static final AgentVersion PTY_AND_BUILTINS = new AgentVersion(0, 4, 0);
    /** The first agent with the {@code net} builtin (address, route and resolver without {@code ip} in the image). */
    public static final AgentVersion NET_BUILTIN = new AgentVersion(0, 5, 0);
    /** The first agent with the layer builtins ({@code layer-mark}, {@code layer-diff}, {@code untar}) of a builder microVM. */
    public static final AgentVersion LAYER_BUILTINS = new AgentVersion(0, 6, 0);
    /** The first agent with the {@code warm-up} builtin a standby runs before it is paused (QemuHypervisor.standbyWarmUp). */
    public static final AgentVersion WARM_UP_BUILTIN = new AgentVersion(0, 7, 0);

    private static final Pattern FORM = Pattern.compile("(\\d{1,6})\\.(\\d{1,6})\\.(\\d{1,6})(?:[-+].*)?");

    /** Null when the text is not a version (a guest's string is hostile: treat it as too old). */
    public static AgentVersion parse(String text) {
        Matcher m = text == null ? null : FORM.matcher(text);
        if (m == null || !m.matches()) {
            return null;
        }
        return new AgentVersion(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2)), Integer.parseInt(m.group(3)));
    }

    @Override
    public int compareTo(AgentVersion o) {
        int c = Integer.compare(major, o.major);
        if (c == 0) {
            c = Integer.compare(minor, o.minor);
        }
        return c != 0 ? c : Integer.compare(patch, o.patch);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch;
    }
}
