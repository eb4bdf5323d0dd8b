package dev.burrow.daemon.properties;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.burrow.daemon.properties.OpenApiOperations.BodyKind;
import dev.burrow.daemon.properties.OpenApiOperations.Operation;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The request generator and its oracle, without a daemon: every operation gets valid and invalid requests, and the oracle's verdicts hold. */
class RequestsTest {

    private static final int SAMPLES = 200;
    private final OpenApiOperations doc = OpenApiOperations.load();
    private final Oracle oracle = new Oracle(doc);
    private final Requests requests = new Requests(doc, oracle, new Requests.Fixture("bb", "up1", "/tmp/garbage", "other"));

    @Test
    void everyOperationOfTheDocumentGetsBothValidAndInvalidRequests() {
        assertThat(doc.operations()).hasSizeGreaterThan(40);
        for (Operation op : doc.operations()) {
            Map<Boolean, Long> byValidity = requests.forOperation(op).sampleStream().limit(SAMPLES)
                    .collect(Collectors.partitioningBy(ApiRequest::valid, Collectors.counting()));
            assertThat(byValidity.get(true)).as("valid requests for %s", op).isPositive();
            boolean canBeWrong = !op.params().isEmpty() || op.body() != BodyKind.NONE || op.authenticated();
            assertThat(byValidity.get(false) > 0).as("invalid requests for %s", op).isEqualTo(canBeWrong);
        }
    }

    @Test
    void jsonBodiesGeneratedFromTheSchemaAreMostlyValidAndMutatedOnesAreNot() {
        Operation run = doc.operations().stream().filter(o -> o.id().equals("runMicroVm")).findFirst().orElseThrow();
        SchemaValues values = new SchemaValues(doc, Map.of());
        List<JsonNode> generated = values.valid(run.bodySchema()).sampleStream().limit(SAMPLES).toList();
        long valid = generated.stream().filter(v -> oracle.bodyProblem(run, Requests.bytes(v)).isEmpty()).count();
        assertThat(valid).as("schema-generated RunRequests the contract accepts").isGreaterThan(SAMPLES / 2);
        for (JsonNode v : generated.subList(0, 20)) {
            for (SchemaValues.Mutation m : values.mutations(run.bodySchema(), v)) {
                if (m.description().contains("unknown member") || m.description().contains("removed") || m.description().contains("fraction")) {
                    assertThat(oracle.bodyProblem(run, Requests.bytes(m.result()))).as(m.description()).isPresent();
                }
            }
        }
    }

    @Test
    void theOracleRefusesDuplicateKeysTrailingGarbageNullAndOversizedBodies() {
        Operation exec = doc.operations().stream().filter(o -> o.id().equals("exec")).findFirst().orElseThrow();
        assertThat(exec.body()).isEqualTo(BodyKind.JSON);
        assertThat(oracle.bodyProblem(exec, bytes("{\"cmd\":[\"true\"]}"))).isEmpty();
        assertThat(oracle.bodyProblem(exec, bytes("{\"cmd\":[\"true\"],\"cmd\":[\"false\"]}"))).isPresent();
        assertThat(oracle.bodyProblem(exec, bytes("{\"cmd\":[\"true\"]} x"))).isPresent();
        assertThat(oracle.bodyProblem(exec, bytes("null"))).isPresent();
        assertThat(oracle.bodyProblem(exec, null)).isPresent();
        assertThat(oracle.bodyProblem(exec, bytes("{\"cmd\":[\"" + "a".repeat(Settings.MAX_JSON_BODY) + "\"]}"))).isPresent();
    }

    @Test
    void theOracleReadsQueryValuesTheWayTheirSchemasSay() {
        Operation list = doc.operations().stream().filter(o -> o.id().equals("listMicroVms")).findFirst().orElseThrow();
        OpenApiOperations.Param state = list.params().stream().filter(p -> p.name().equals("state")).findFirst().orElseThrow();
        OpenApiOperations.Param label = list.params().stream().filter(p -> p.name().equals("label")).findFirst().orElseThrow();
        OpenApiOperations.Param limit = list.params().stream().filter(p -> p.name().equals("limit")).findFirst().orElseThrow();
        assertThat(oracle.paramProblem(state, List.of("RUNNING", "SUSPENDED"))).isEmpty();
        assertThat(oracle.paramProblem(state, List.of("BOGUS"))).isPresent();
        assertThat(oracle.paramProblem(label, List.of("x"))).isEmpty();
        assertThat(oracle.paramProblem(label, List.of("="))).isPresent();
        assertThat(oracle.paramProblem(limit, List.of("500"))).isEmpty();
        assertThat(oracle.paramProblem(limit, List.of("501"))).isPresent();
        assertThat(oracle.paramProblem(limit, List.of("1.5"))).isPresent();
        assertThat(oracle.paramProblem(limit, List.of("1", "2"))).isPresent();
    }

    @Test
    void everyPatternOfTheDocumentGeneratesMatchingStrings() {
        List<String> patterns = doc.document().findValues("pattern").stream().filter(JsonNode::isTextual).map(JsonNode::asText).distinct().toList();
        assertThat(patterns).hasSizeGreaterThan(10);
        for (String p : patterns) {
            Pattern check = Pattern.compile(p);
            assertThat(RegexStrings.matching(p).sampleStream().limit(50)).as(p).allMatch(s -> check.matcher(s).find());
        }
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
