package dev.burrow.oci.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.burrow.oci.ImageConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class StageEvaluatorTest {
    private static final ImageConfig BASE = ImageConfig.builder().env("PATH", "/usr/bin:/bin").cmd("sh")
            .workingDir("/").build();

    private record Run(StageEvaluator evaluator, List<Step> steps) {
        Step step(int i) {
            return steps.get(i);
        }
    }

    private static Run evaluate(String text, Map<String, String> buildArgs) throws DockerfileException {
        Dockerfile d = Dockerfile.parse(text);
        StageEvaluator e = new StageEvaluator(buildArgs, d.globalArgs());
        Stage s = d.stages().getLast();
        e.fromImage(s);
        e.begin(BASE);
        List<Step> steps = new ArrayList<>();
        for (Instruction i : s.body()) {
            steps.add(e.next(i));
        }
        return new Run(e, steps);
    }

    @Test
    void aTypicalMultiStageDockerfileEvaluatesEveryStage() throws Exception {
        Dockerfile d = Dockerfile.parse("""
                # syntax=docker/dockerfile:1.7
                ARG PY=3.12
                FROM --platform=$BUILDPLATFORM python:${PY}-slim AS deps
                WORKDIR /src
                COPY requirements.txt /src
                RUN --mount=type=cache,target=/root/.cache/pip \\
                	pip install --prefix=/install -r requirements.txt

                FROM deps AS dev
                RUN <<EOF
                apt-get update
                apt-get install -y git
                EOF

                FROM python:${PY}-slim
                ARG TARGETARCH
                ENV APP_HOME=/app \\
                    PORT=8000
                WORKDIR $APP_HOME
                COPY --from=deps /install /usr/local
                COPY --chown=1000:1000 . .
                USER 1000
                EXPOSE ${PORT}
                ENTRYPOINT ["python", "-m", "app", "--arch", "${TARGETARCH}"]
                """);
        assertThat(d.stages()).extracting(Stage::name).containsExactly("deps", "dev", null);
        assertThat(d.warnings()).singleElement().asString().contains("line 6").contains("type=cache");
        StageEvaluator e = new StageEvaluator(Map.of("PY", "3.13"), d.globalArgs());
        List<String> images = new ArrayList<>();
        List<Step> last = new ArrayList<>();
        for (Stage s : d.stages()) {
            images.add(e.fromImage(s) + " " + e.fromPlatform(s));
            e.begin(BASE);
            last.clear();
            for (Instruction i : s.body()) {
                last.add(e.next(i));
            }
        }
        assertThat(images).containsExactly("python:3.13-slim linux/amd64", "deps null", "python:3.13-slim null");
        assertThat(d.stage("deps")).isPresent();
        Step.CopyStep fromDeps = (Step.CopyStep) last.get(3);
        assertThat(fromDeps.fromStage()).isEqualTo("deps");
        assertThat(fromDeps.dest()).isEqualTo("/usr/local");
        Step.CopyStep all = (Step.CopyStep) last.get(4);
        assertThat(all.sources()).containsExactly(".");
        assertThat(all.dest()).isEqualTo("/app/");
        ImageConfig c = e.config();
        assertThat(c.entrypoint()).containsExactly("python", "-m", "app", "--arch", "${TARGETARCH}");
        assertThat(c.cmd()).isNull();
        assertThat(c.user()).isEqualTo("1000");
        assertThat(c.exposedPorts()).containsExactly("8000/tcp");
        assertThat(c.envMap()).containsEntry("APP_HOME", "/app").containsEntry("PORT", "8000");
        assertThat(c.workingDir()).isEqualTo("/app");
    }

    @Test
    void theStagesEscapeCharacterIsUsedForExpansion() throws Exception {
        Dockerfile d = Dockerfile.parse("# escape=`\nFROM busybox\nENV A=`$HOME B=C:\\dir\n");
        StageEvaluator e = new StageEvaluator(Map.of(), d.globalArgs());
        e.begin(d.stages().getFirst(), BASE);
        e.next(d.stages().getFirst().body().getFirst());
        assertThat(e.config().envMap()).containsEntry("A", "$HOME").containsEntry("B", "C:\\dir");
    }

    @Test
    void fromExpandsGlobalArgsWithBuildArgsOverridingDefaults() throws Exception {
        Dockerfile d = Dockerfile.parse("ARG V=3.12\nARG IMG=python:${V}-slim\nFROM $IMG AS a\nFROM --platform=$TARGETPLATFORM busybox:${V:-x}\n");
        StageEvaluator e = new StageEvaluator(Map.of("V", "3.13"), d.globalArgs());
        assertThat(e.fromImage(d.stages().getFirst())).isEqualTo("python:3.13-slim");
        assertThat(e.fromImage(d.stages().get(1))).isEqualTo("busybox:3.13");
        assertThat(e.fromPlatform(d.stages().get(1))).isEqualTo("linux/amd64");
        assertThat(new StageEvaluator(Map.of(), d.globalArgs()).fromImage(d.stages().getFirst()))
                .isEqualTo("python:3.12-slim");
    }

    @Test
    void aGlobalArgIsVisibleInAStageOnlyWhenRedeclared() throws Exception {
        Run r = evaluate("ARG G=global\nFROM busybox\nENV X=$G\nARG G\nENV Y=$G\n", Map.of());
        assertThat(r.evaluator().config().envMap()).containsEntry("X", "").containsEntry("Y", "global");
    }

    @Test
    void envWinsOverArgAndRunSeesBoth() throws Exception {
        Run r = evaluate("FROM busybox\nARG A=arg\nARG B=b\nENV A=env\nRUN echo $A $B\n", Map.of("B", "built"));
        Step.RunStep run = (Step.RunStep) r.step(3);
        assertThat(run.argv()).containsExactly("/bin/sh", "-c", "echo $A $B");
        assertThat(run.env()).containsEntry("A", "env").containsEntry("B", "built").containsEntry("PATH", "/usr/bin:/bin");
        assertThat(run.workdir()).isEqualTo("/");
        assertThat(run.network()).isEqualTo("default");
        assertThat(run.cacheKeyText()).contains("echo $A $B").contains("\"B\":\"built\"");
    }

    @Test
    void aRunWithoutNetworkSaysSoInItsStepAndCacheKey() throws Exception {
        Run r = evaluate("FROM busybox\nRUN --network=none make\nRUN make\n", Map.of());
        Step.RunStep none = (Step.RunStep) r.step(0);
        assertThat(none.network()).isEqualTo("none");
        assertThat(none.argv()).containsExactly("/bin/sh", "-c", "make");
        assertThat(none.cacheKeyText()).isNotEqualTo(r.step(1).cacheKeyText());
    }

    @Test
    void envExpandsWithTheValuesBeforeTheInstruction() throws Exception {
        Run r = evaluate("FROM busybox\nENV A=1\nENV A=2 B=$A\nENV PATH=/opt/bin:$PATH\n", Map.of());
        assertThat(r.evaluator().config().envMap()).containsEntry("A", "2").containsEntry("B", "1")
                .containsEntry("PATH", "/opt/bin:/usr/bin:/bin");
        assertThat(r.evaluator().config().env()).first().isEqualTo("PATH=/opt/bin:/usr/bin:/bin");
    }

    @Test
    void workdirIsRelativeToThePreviousAndAsksForTheDirectory() throws Exception {
        Run r = evaluate("FROM busybox\nENV APP=app\nWORKDIR /srv\nWORKDIR $APP/\nRUN pwd\nCOPY a b/ ./\nCOPY x y\n", Map.of());
        assertThat(r.step(2)).isEqualTo(new Step.ConfigStep("WORKDIR /srv/app", "/srv/app"));
        assertThat(((Step.RunStep) r.step(3)).workdir()).isEqualTo("/srv/app");
        Step.CopyStep c = (Step.CopyStep) r.step(4);
        assertThat(c.dest()).isEqualTo("/srv/app/");
        assertThat(c.sources()).containsExactly("a", "b/");
        assertThat(((Step.CopyStep) r.step(5)).dest()).isEqualTo("/srv/app/y");
        assertThat(r.evaluator().config().workingDir()).isEqualTo("/srv/app");
    }

    @Test
    void aCopyToAWorkdirWithoutSlashGoesIntoIt() throws Exception {
        Run r = evaluate("FROM busybox\nWORKDIR /code/app\nCOPY requirements.txt /code\nCOPY x /other\nCOPY y /\n", Map.of());
        assertThat(((Step.CopyStep) r.step(1)).dest()).isEqualTo("/code/");
        assertThat(((Step.CopyStep) r.step(2)).dest()).isEqualTo("/other");
        assertThat(((Step.CopyStep) r.step(3)).dest()).isEqualTo("/");
    }

    @Test
    void shellFormUsesTheCurrentShellAndExecFormIsNotExpanded() throws Exception {
        Run r = evaluate("FROM busybox\nSHELL [\"/bin/bash\", \"-c\"]\nRUN echo $HOME\nRUN [\"echo\", \"$HOME\"]\n"
                + "ENTRYPOINT exec app\n", Map.of());
        assertThat(((Step.RunStep) r.step(1)).argv()).containsExactly("/bin/bash", "-c", "echo $HOME");
        assertThat(((Step.RunStep) r.step(2)).argv()).containsExactly("echo", "$HOME");
        assertThat(r.evaluator().config().entrypoint()).containsExactly("/bin/bash", "-c", "exec app");
    }

    @Test
    void entrypointResetsAnInheritedCmdButKeepsOneSetInTheStage() throws Exception {
        assertThat(evaluate("FROM busybox\nENTRYPOINT [\"/app\"]\n", Map.of()).evaluator().config().cmd()).isNull();
        assertThat(evaluate("FROM busybox\nCMD [\"--serve\"]\nENTRYPOINT [\"/app\"]\n", Map.of()).evaluator().config().cmd())
                .containsExactly("--serve");
        assertThat(evaluate("FROM busybox\nENTRYPOINT [\"/app\"]\nCMD [\"-v\"]\n", Map.of()).evaluator().config().cmd())
                .containsExactly("-v");
    }

    @Test
    void userExposeAndLabelsGoToTheConfig() throws Exception {
        Run r = evaluate("FROM busybox\nARG PORT=8080\nUSER ${U:-app}\nEXPOSE $PORT 53/udp 9000-9002\n"
                + "LABEL \"org.opencontainers.image.title\"=\"my app\" v=$PORT\n", Map.of());
        ImageConfig c = r.evaluator().config();
        assertThat(c.user()).isEqualTo("app");
        assertThat(c.exposedPorts()).containsExactly("53/udp", "8080/tcp", "9000/tcp", "9001/tcp", "9002/tcp");
        assertThat(c.labels()).containsEntry("org.opencontainers.image.title", "my app").containsEntry("v", "8080");
    }

    @Test
    void runHeredocsBecomeTheShellCommandAsInDocker() throws Exception {
        Run r = evaluate("FROM busybox\nRUN <<EOF\necho one\necho two\nEOF\nRUN <<A cat > /x\nbody\nA\nRUN <<EOF\n#!/usr/bin/env python3\nprint(1)\nEOF\n", Map.of());
        assertThat(((Step.RunStep) r.step(0)).argv()).containsExactly("/bin/sh", "-c", "echo one\necho two\n");
        assertThat(((Step.RunStep) r.step(1)).argv()).containsExactly("/bin/sh", "-c", "<<A cat > /x\nbody\nA");
        String script = ((Step.RunStep) r.step(2)).argv().get(2);
        assertThat(script).contains("cat > \"$f\" <<'BURROW_SCRIPT'\n#!/usr/bin/env python3\nprint(1)\nBURROW_SCRIPT\n")
                .contains("\"$f\"; rc=$?");
    }

    @Test
    void copyExpandsFlagsAndHeredocBodiesUnlessQuoted() throws Exception {
        Run r = evaluate("FROM busybox\nARG U=1000\nARG M=0640\nCOPY --from=build --chown=$U:$U --chmod=$M <<A <<\"B\" /etc/\nu=$U\nA\nu=$U\nB\n",
                Map.of());
        Step.CopyStep c = (Step.CopyStep) r.step(2);
        assertThat(c.fromStage()).isEqualTo("build");
        assertThat(c.chown()).isEqualTo("1000:1000");
        assertThat(c.chmod()).isEqualTo(0640);
        assertThat(c.inline()).extracting(Heredoc::content).containsExactly("u=1000\n", "u=$U\n");
        assertThat(c.dest()).isEqualTo("/etc/");
        assertThat(c.add()).isFalse();
    }

    @Test
    void anAddUrlHiddenInAVariableIsRefusedNamingTheLine() throws Exception {
        assertThatThrownBy(() -> evaluate("FROM busybox\nARG U=https://x.org/a.tgz\nADD $U /a\n", Map.of()))
                .hasMessageStartingWith("Dockerfile line 3: ADD of a URL (https://x.org/a.tgz) is not supported");
        assertThatThrownBy(() -> evaluate("FROM busybox\nCOPY --chmod=u+x a /a\n", Map.of()))
                .hasMessageStartingWith("Dockerfile line 2: COPY --chmod=u+x is not an octal mode");
        assertThatThrownBy(() -> evaluate("FROM busybox\nEXPOSE 70000\n", Map.of()))
                .hasMessageStartingWith("Dockerfile line 2: EXPOSE 70000 is not a valid port");
    }

    @Test
    void ignoredInstructionsAreWarnedAboutWithTheirLine() throws Exception {
        Run r = evaluate("FROM busybox\nVOLUME /data\nSTOPSIGNAL SIGINT\nHEALTHCHECK NONE\nONBUILD RUN x\nMAINTAINER me\n", Map.of());
        assertThat(r.evaluator().warnings()).hasSize(5).allSatisfy(w -> assertThat(w).startsWith("Dockerfile line "));
        assertThat(r.steps()).allMatch(s -> s instanceof Step.ConfigStep);
    }

    @Test
    void chainedVariablesCannotGrowPastTheStageBudget() {
        StringBuilder df = new StringBuilder("FROM busybox\nENV A0=").append("x".repeat(1000)).append('\n');
        for (int i = 1; i < 40; i++) {
            df.append("ENV A").append(i).append("=$A").append(i - 1).append("$A").append(i - 1).append('\n');
        }
        assertThatThrownBy(() -> evaluate(df.toString(), Map.of())).isInstanceOf(DockerfileException.class)
                .hasMessageContaining("larger than the limit");
        StringBuilder wide = new StringBuilder("FROM busybox\nENV B=").append("y".repeat(500_000)).append('\n');
        for (int i = 0; i < 20; i++) {
            wide.append("ENV C").append(i).append("=$B$B\n");
        }
        assertThatThrownBy(() -> evaluate(wide.toString(), Map.of())).hasMessageContaining("variables would exceed");
    }

    @Test
    void theCacheKeyChangesWithWhatChangesTheResult() throws Exception {
        String a = ((Step.RunStep) evaluate("FROM busybox\nUSER app\nRUN id\n", Map.of()).step(1)).cacheKeyText();
        String b = ((Step.RunStep) evaluate("FROM busybox\nUSER root\nRUN id\n", Map.of()).step(1)).cacheKeyText();
        String c = ((Step.RunStep) evaluate("FROM busybox\nUSER app\nARG X=1\nRUN id\n", Map.of()).step(2)).cacheKeyText();
        String a2 = ((Step.RunStep) evaluate("FROM busybox\nUSER app\nRUN id\n", Map.of()).step(1)).cacheKeyText();
        assertThat(a).isEqualTo(a2).isNotEqualTo(b).isNotEqualTo(c);
    }
}
