package dev.burrow.cli.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AotTrainingTest {
    @Test
    void everyTrainedCommandLineSucceedsAgainstTheCannedBurrowd() throws Exception {
        // a training run whose verbs fail would cache the error path instead of the verbs people run
        assertThat(AotTraining.train()).isZero();
    }

    @Test
    void theTrainingCoversTheVerbsTheIssueTimes() {
        assertThat(AotTraining.TRAINED).extracting(line -> line.getFirst()).contains("version", "ps", "exec", "run");
    }

    @Test
    void theHotVerbsAreTrainedOnTheCLIsOwnParserAsUsersRunThem() {
        // a hot verb trained through picocli would leave its fast path out of the cache
        for (var line : AotTraining.TRAINED) {
            boolean hot = HotVerbs.parse(line.toArray(String[]::new)) != null;
            assertThat(hot).as("%s", line).isEqualTo(!line.getFirst().startsWith("-"));
        }
    }
}
