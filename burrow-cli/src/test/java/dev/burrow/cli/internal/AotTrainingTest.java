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
        assertThat(AotTraining.TRAINED).extracting(line -> line.getFirst()).contains("version", "ps", "exec");
    }
}
