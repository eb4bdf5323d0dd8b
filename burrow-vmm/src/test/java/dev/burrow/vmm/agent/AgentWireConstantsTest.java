package dev.burrow.vmm.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.burrow.vmm.agent.internal.AgentVersion;
import dev.burrow.vmm.agent.internal.Credit;
import dev.burrow.vmm.agent.internal.ExecFlags;
import dev.burrow.vmm.agent.internal.Frame;
import dev.burrow.vmm.agent.internal.LogGate;
import dev.burrow.vmm.agent.internal.StatsReply;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The wire constants exist twice, in the C agent (guest/agent/proto.h, payload.h) and here; this
 * reads the C headers and compares, so one side cannot change alone.
 */
class AgentWireConstantsTest {

    private static final Path AGENT = Path.of("..", "guest", "agent");
    private static final Pattern DEFINE = Pattern.compile("^#define\\s+(\\w+)\\s+(0x[0-9A-Fa-f]+|\\d+)u?\\b", Pattern.MULTILINE);

    private static Map<String, Long> defines() throws IOException {
        Map<String, Long> out = new HashMap<>();
        for (String header : new String[] {"proto.h", "payload.h"}) {
            Matcher m = DEFINE.matcher(Files.readString(AGENT.resolve(header)));
            while (m.find()) {
                String v = m.group(2);
                out.put(m.group(1), v.startsWith("0x") ? Long.parseLong(v.substring(2), 16) : Long.parseLong(v));
            }
        }
        return out;
    }

    @Test
    void theHostAndTheAgentAgreeOnEveryWireConstant() throws Exception {
        Map<String, Long> c = defines();
        assertThat(c).containsEntry("PROTO_VERSION", (long) AgentConnection.PROTOCOL_VERSION)
                .containsEntry("FRAME_VERSION", (long) Frame.VERSION)
                .containsEntry("FRAME_HDR", (long) Frame.HEADER_BYTES)
                .containsEntry("FRAME_MAX_PAYLOAD", (long) Frame.MAX_PAYLOAD)
                .containsEntry("INITIAL_WINDOW", (long) Credit.INITIAL_WINDOW)
                .containsEntry("DATA_FRAME_COST", (long) Frame.DATA_FRAME_COST)
                .containsEntry("LOG_MAX", (long) LogGate.MAX_LINE_BYTES)
                .containsEntry("STATS_LEN", (long) Long.BYTES)
                .containsEntry("STATS_REPLY_LEN", (long) StatsReply.BYTES)
                .containsEntry("EXEC_F_STDIN", (long) ExecFlags.STDIN)
                .containsEntry("EXEC_F_PTY", (long) ExecFlags.PTY)
                .containsEntry("EXEC_F_ENTRYPOINT", (long) ExecFlags.ENTRYPOINT)
                .containsEntry("EXEC_F_BUILTIN", (long) ExecFlags.BUILTIN)
                .containsEntry("PTY_MIN_SIZE", (long) ExecRequest.Pty.MIN_SIZE)
                .containsEntry("PTY_MAX_SIZE", (long) ExecRequest.Pty.MAX_SIZE)
                .containsEntry("RESIZE_LEN", 2L * Short.BYTES);
    }

    @Test
    void theAgentInTheJarIsRecentEnoughForTerminalAndBuiltinExecs() throws Exception {
        Matcher m = Pattern.compile("#define\\s+AGENT_VERSION\\s+\"([^\"]+)\"").matcher(Files.readString(AGENT.resolve("agent.h")));
        assertThat(m.find()).as("AGENT_VERSION in agent.h").isTrue();
        AgentVersion built = AgentVersion.parse(m.group(1));
        assertThat(built).as(m.group(1)).isNotNull();
        assertThat(built).isGreaterThanOrEqualTo(AgentVersion.PTY_AND_BUILTINS);
    }

    @Test
    void everyFrameTypeOfTheAgentHasTheSameNumberOnTheHost() throws Exception {
        Map<String, Long> c = defines();
        int compared = 0;
        for (Map.Entry<String, Long> e : c.entrySet()) {
            if (e.getKey().startsWith("T_")) {
                Field f = Frame.class.getField(e.getKey().substring(2));
                assertThat((long) f.getInt(null)).as(e.getKey()).isEqualTo(e.getValue());
                compared++;
            }
        }
        assertThat(compared).isEqualTo(23);
    }
}
