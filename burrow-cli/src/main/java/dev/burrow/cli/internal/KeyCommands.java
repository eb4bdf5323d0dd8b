package dev.burrow.cli.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;

/** {@code burrow admin key create|ls|revoke}. */
@Command(name = "key", description = "Create, list and revoke API keys.",
        subcommands = {KeyCommands.Create.class, KeyCommands.Ls.class, KeyCommands.Revoke.class})
public final class KeyCommands extends BaseCommand {
    static final String PATH = "/v1/admin/keys";

    @Override
    public Integer call() {
        throw new ParameterException(spec.commandLine(), "missing subcommand: create, ls or revoke");
    }

    @Command(name = "create", description = "Create an API key for a tenant and print it: this is the only time it is shown.")
    public static final class Create extends AdminCommand {
        @Option(names = "--tenant", required = true, paramLabel = "NAME")
        String tenant;

        @Option(names = "--admin", description = "An admin key (admin routes, every tenant's resources).")
        boolean admin;

        @Option(names = "--aws", description = "Also issue AWS credentials for the Lambda MicroVMs API (boto3, the AWS SDKs)"
                + " and print them with a ready ~/.aws snippet and environment variables.")
        boolean aws;

        @Option(names = "--json", description = "Print {id, tenant, prefix, admin, createdAt, key[, aws]} as JSON.")
        boolean json;

        @Override
        protected Integer run() {
            ObjectNode body = Json.object();
            body.put("tenant", tenant);
            if (admin) body.put("admin", true);
            if (aws) body.put("aws", true);
            JsonNode key = adminApi().post(PATH, body);
            if (json) {
                out().println(Json.pretty(key));
                return 0;
            }
            String secret = Json.text(key, "key");
            if (secret.isEmpty()) throw new BurrowException("burrowd's answer holds no key");
            out().println(secret);
            if (aws) {
                String accessKeyId = Json.text(key.path("aws"), "accessKeyId");
                String awsSecret = Json.text(key.path("aws"), "secretAccessKey");
                if (accessKeyId.isEmpty() || awsSecret.isEmpty()) throw new BurrowException("burrowd's answer holds no AWS credentials");
                out().print(AwsSnippet.of("burrow-" + Json.text(key, "tenant"), accessKeyId, awsSecret, adminApi().baseUrl()));
            }
            err().println("key " + Json.text(key, "id") + " of tenant " + Json.text(key, "tenant")
                    + (key.path("admin").asBoolean() ? " (admin)" : "") + (aws ? " with AWS credentials" : "")
                    + ": shown this once only; keep it now");
            return 0;
        }
    }

    @Command(name = "ls", description = "List API keys (never the secrets).")
    public static final class Ls extends AdminCommand {
        @Option(names = "--tenant", paramLabel = "NAME", description = "Only this tenant's keys.")
        String tenant;

        @Option(names = "--json", description = "Print the keys as a JSON array.")
        boolean json;

        @Override
        protected Integer run() {
            List<JsonNode> items = adminApi().listAll(tenant == null ? PATH : PATH + "?tenant=" + ApiClient.q(tenant));
            if (json) {
                out().println(Json.pretty(ImageCommands.array(items)));
                return 0;
            }
            Table t = new Table("ID", "TENANT", "PREFIX", "ADMIN", "AWS ACCESS KEY", "CREATED", "LAST USED");
            Instant now = Instant.now();
            for (JsonNode k : items) {
                String awsKey = Json.text(k, "awsAccessKeyId");
                t.row(Json.text(k, "id"), Json.text(k, "tenant"), Json.text(k, "prefix"), k.path("admin").asBoolean() ? "yes" : "no",
                        awsKey.isEmpty() ? "-" : awsKey, Table.ago(Json.text(k, "createdAt"), now), Table.ago(Json.text(k, "lastUsedAt"), now));
            }
            t.print(out());
            return 0;
        }
    }

    @Command(name = "revoke", description = "Revoke API keys by id: requests with them answer 401 from now on.")
    public static final class Revoke extends AdminCommand {
        @Parameters(index = "0", arity = "1..*", paramLabel = "ID")
        List<String> ids;

        @Option(names = "--json", description = "Print the revoked ids as a JSON array.")
        boolean json;

        @Override
        protected Integer run() {
            for (String id : ids) {
                adminApi().delete(PATH + "/" + ApiClient.seg(id));
                if (!json) out().println(id);
            }
            if (json) out().println(Json.pretty(Json.MAPPER.valueToTree(ids)));
            return 0;
        }
    }
}
