package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code burrow egress ID [--json]}: the egress decisions burrowd recorded for a microVM (SPEC §6). */
@Command(name = "egress", description = "List a microVM's egress decisions (names asked for, allowed or denied, and why).")
public final class EgressCommand extends BaseCommand {
    /** The NAME cell of a decision where the guest sent no usable name. */
    static final String NO_NAME = "-";

    @Parameters(index = "0", paramLabel = "ID", description = "An id or any unique prefix.")
    String id;

    @Option(names = "--json", description = "Print the decisions as a JSON array.")
    boolean json;

    @Override
    public Integer call() {
        String full = IdResolver.resolve(api(), id);
        List<JsonNode> items = api().listAll("/v1/microvms/" + ApiClient.seg(full) + "/egress");
        if (json) {
            out().println(Json.pretty(ImageCommands.array(items)));
            return 0;
        }
        Table t = new Table("TIME", "PROTOCOL", "NAME", "PORT", "DECISION", "REASON");
        for (JsonNode d : items) {
            String name = Json.text(d, "name");
            t.row(Json.text(d, "time"), Json.text(d, "protocol"), name.isEmpty() ? NO_NAME : name, Json.text(d, "port"),
                    Json.text(d, "decision"), Json.text(d, "reason"));
        }
        t.print(out());
        return 0;
    }
}
