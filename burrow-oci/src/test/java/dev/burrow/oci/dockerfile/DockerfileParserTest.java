package dev.burrow.oci.dockerfile;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DockerfileParserTest {

    private static List<Instruction> body(String text) throws DockerfileException {
        return Dockerfile.parse(text).stages().getLast().body();
    }

    private static Instruction only(String instruction) throws DockerfileException {
        List<Instruction> b = body("FROM busybox\n" + instruction + "\n");
        assertThat(b).hasSize(1);
        return b.getFirst();
    }

    @Test
    void stagesArgsAndAliasesAreSplitAtEachFrom() throws Exception {
        Dockerfile d = Dockerfile.parse("""
                # a comment
                ARG BASE=debian
                ARG TAG
                from --platform=$BUILDPLATFORM ${BASE}:${TAG} AS Build
                RUN make

                FROM busybox
                COPY --from=build /out /app
                """);
        assertThat(d.globalArgs()).extracting(Instruction.Arg::name).containsExactly("BASE", "TAG");
        assertThat(d.globalArgs().getFirst().defaultValue()).isEqualTo("debian");
        assertThat(d.globalArgs().get(1).defaultValue()).isNull();
        assertThat(d.stages()).hasSize(2);
        Stage build = d.stages().getFirst();
        assertThat(build.name()).isEqualTo("build");
        assertThat(build.from()).isEqualTo(new Instruction.From(4, "from --platform=$BUILDPLATFORM ${BASE}:${TAG} AS Build",
                "${BASE}:${TAG}", "$BUILDPLATFORM", "build"));
        assertThat(build.body()).hasSize(1);
        assertThat(d.stages().get(1).name()).isNull();
        assertThat(d.stage("BUILD")).contains(build);
        assertThat(d.stage("1")).contains(d.stages().get(1));
        assertThat(d.stage("alpine")).isEmpty();
    }

    @Test
    void theTargetIsTheNamedStageOrTheLast() throws Exception {
        Dockerfile d = Dockerfile.parse("FROM a AS build\nFROM b AS test\nFROM c\n");
        assertThat(d.target("TEST").index()).isEqualTo(1);
        assertThat(d.target(null).index()).isEqualTo(2);
        assertThatThrownBy(() -> d.target("prod")).hasMessage("Dockerfile: no stage named 'prod' (the target)");
    }

    @Test
    void continuationsJoinLinesAndSkipCommentsInside() throws Exception {
        Instruction.Run r = (Instruction.Run) only("""
                RUN apt-get update && \\
                # a comment inside the continuation
                    apt-get install -y curl \\

                    && echo done""");
        assertThat(r.shell()).isEqualTo("apt-get update &&     apt-get install -y curl     && echo done");
        assertThat(r.text()).startsWith("RUN apt-get update && ");
        assertThat(r.line()).isEqualTo(2);
    }

    @Test
    void theEscapeDirectiveMakesBacktickTheContinuation() throws Exception {
        Dockerfile d = Dockerfile.parse("""
                # escape=`
                FROM busybox
                RUN echo a `
                  b\\c
                """);
        Instruction.Run r = (Instruction.Run) d.stages().getFirst().body().getFirst();
        assertThat(r.shell()).isEqualTo("echo a   b\\c");
        assertThat(d.stages().getFirst().escape()).isEqualTo('`');
    }

    @Test
    void aDirectiveAfterAnInstructionIsAComment() throws Exception {
        Dockerfile d = Dockerfile.parse("FROM busybox\n# escape=`\nRUN echo \\\n  x\n");
        assertThat(((Instruction.Run) d.stages().getFirst().body().getFirst()).shell()).isEqualTo("echo   x");
    }

    @Test
    void anUnknownDirectiveEndsTheDirectivesAsAComment() throws Exception {
        Dockerfile d = Dockerfile.parse("# foo=bar\n# escape=`\nFROM busybox\n");
        assertThat(d.stages().getFirst().escape()).isEqualTo('\\');
    }

    @Test
    void execAndShellFormsAreTold() throws Exception {
        assertThat(only("RUN [\"echo\", \"a b\"]")).isEqualTo(new Instruction.Run(2, "RUN [\"echo\", \"a b\"]",
                List.of("echo", "a b"), null, List.of(), List.of()));
        assertThat(((Instruction.Run) only("RUN [ -f /etc/passwd ]")).shell()).isEqualTo("[ -f /etc/passwd ]");
        assertThat(((Instruction.Cmd) only("cmd [\"python\", \"app.py\"]")).exec()).containsExactly("python", "app.py");
        assertThat(((Instruction.Cmd) only("CMD python app.py")).shell()).isEqualTo("python app.py");
        assertThat(((Instruction.Entrypoint) only("ENTRYPOINT [\"/init\"]")).exec()).containsExactly("/init");
        assertThat(((Instruction.Shell) only("SHELL [\"/bin/bash\", \"-eu\", \"-c\"]")).argv())
                .containsExactly("/bin/bash", "-eu", "-c");
    }

    @Test
    void runHeredocsAreCollectedInOrder() throws Exception {
        Instruction.Run r = (Instruction.Run) only("""
                RUN <<ONE cat > /a && <<-"TWO" cat > /b
                first $HOME
                ONE
                \t\tsecond
                \tTWO""");
        assertThat(r.heredocs()).containsExactly(new Heredoc("ONE", "first $HOME\n", true, false),
                new Heredoc("TWO", "second\n", false, true));
        assertThat(r.shell()).isEqualTo("<<ONE cat > /a && <<-\"TWO\" cat > /b");
    }

    @Test
    void copyHeredocsBecomeInlineFilesAndFlagsAreKept() throws Exception {
        Dockerfile d = Dockerfile.parse("""
                FROM busybox
                COPY --chown=1000:1000 --chmod=0755 <<EOF /usr/local/bin/hello
                #!/bin/sh
                echo hello
                EOF
                COPY --from=build --link a "b c" /dst/
                """);
        Instruction.Copy c = (Instruction.Copy) d.stages().getFirst().body().getFirst();
        assertThat(c.sources()).isEmpty();
        assertThat(c.heredocs()).containsExactly(new Heredoc("EOF", "#!/bin/sh\necho hello\n", true, false));
        assertThat(c.dest()).isEqualTo("/usr/local/bin/hello");
        assertThat(c.chown()).isEqualTo("1000:1000");
        assertThat(c.chmod()).isEqualTo("0755");
        Instruction.Copy c2 = (Instruction.Copy) d.stages().getFirst().body().get(1);
        assertThat(c2.sources()).containsExactly("a", "\"b c\"");
        assertThat(c2.from()).isEqualTo("build");
        assertThat(c2.link()).isTrue();
        assertThat(c2.line()).isEqualTo(6);
    }

    @Test
    void addTakesJsonFormAndFlags() throws Exception {
        Instruction.Add a = (Instruction.Add) only("ADD --chown=app [\"app.tar.gz\", \"/srv/\"]");
        assertThat(a.sources()).containsExactly("app.tar.gz");
        assertThat(a.dest()).isEqualTo("/srv/");
        assertThat(a.chown()).isEqualTo("app");
    }

    @Test
    void envTakesPairsAndTheLegacyForm() throws Exception {
        assertThat(((Instruction.Env) only("ENV A=1 B=\"two words\" C=x\\ y")).vars())
                .containsExactly(Map.entry("A", "1"), Map.entry("B", "\"two words\""), Map.entry("C", "x\\ y"));
        assertThat(((Instruction.Env) only("ENV PATH /usr/local/bin:$PATH  and more")).vars())
                .containsExactly(Map.entry("PATH", "/usr/local/bin:$PATH  and more"));
        assertThat(((Instruction.Label) only("LABEL \"com.example.v\"=\"1.0\" maintainer=me")).labels())
                .containsExactly(Map.entry("\"com.example.v\"", "\"1.0\""), Map.entry("maintainer", "me"));
    }

    @Test
    void argWithSeveralNamesGivesOneArgEach() throws Exception {
        List<Instruction> b = body("FROM busybox\nARG A B=2\n");
        assertThat(b).extracting(i -> ((Instruction.Arg) i).name()).containsExactly("A", "B");
        assertThat(((Instruction.Arg) b.get(1)).defaultValue()).isEqualTo("2");
    }

    @Test
    void theOtherInstructionsAreKept() throws Exception {
        assertThat(only("WORKDIR /app")).isEqualTo(new Instruction.Workdir(2, "WORKDIR /app", "/app"));
        assertThat(only("USER app:app")).isEqualTo(new Instruction.User(2, "USER app:app", "app:app"));
        assertThat(((Instruction.Expose) only("EXPOSE 80 53/udp")).ports()).containsExactly("80", "53/udp");
        assertThat(((Instruction.Volume) only("VOLUME [\"/data\", \"/logs\"]")).paths()).containsExactly("/data", "/logs");
        assertThat(((Instruction.Volume) only("VOLUME /data /logs")).paths()).containsExactly("/data", "/logs");
        assertThat(((Instruction.StopSignal) only("STOPSIGNAL SIGTERM")).signal()).isEqualTo("SIGTERM");
        assertThat(((Instruction.Maintainer) only("MAINTAINER Jo <jo@example.com>")).name())
                .isEqualTo("Jo <jo@example.com>");
        Instruction.Healthcheck h = (Instruction.Healthcheck) only("HEALTHCHECK --interval=5s CMD curl -f http://x/");
        assertThat(h.none()).isFalse();
        assertThat(h.flags()).containsExactly("--interval=5s");
        assertThat(h.shell()).isEqualTo("curl -f http://x/");
        assertThat(((Instruction.Healthcheck) only("HEALTHCHECK NONE")).none()).isTrue();
        Instruction.Onbuild o = (Instruction.Onbuild) only("ONBUILD RUN make");
        assertThat(o.trigger()).isInstanceOf(Instruction.Run.class);
    }

    @Test
    void aCacheMountIsIgnoredWithAWarningAndNoneNetworkKept() throws Exception {
        Dockerfile d = Dockerfile.parse("FROM busybox\nRUN --mount=type=cache,target=/root/.cache --network=none pip install x\n");
        Instruction.Run r = (Instruction.Run) d.stages().getFirst().body().getFirst();
        assertThat(r.flags()).containsExactly("--mount=type=cache,target=/root/.cache", "--network=none");
        assertThat(r.shell()).isEqualTo("pip install x");
        assertThat(d.warnings()).singleElement().asString().startsWith("Dockerfile line 2: RUN --mount=type=cache");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            RUNN echo                          | 2 | unknown instruction 'RUNN'
            RUN                                | 2 | RUN needs an argument
            RUN --mount=type=secret,id=x cat   | 2 | RUN --mount=type=secret,id=x is not supported
            RUN --network=host curl x          | 2 | RUN --network=host is not supported
            RUN --frobnicate x                 | 2 | unknown flag --frobnicate
            CMD ["a", 1]                       | 2 | the JSON form must be an array of strings
            ENTRYPOINT [{"a": 1}]              | 2 | the JSON form must be an array of strings
            SHELL /bin/bash -c                 | 2 | SHELL takes a JSON array
            ENV                                | 2 | ENV needs at least one name=value
            ENV A=1 B                          | 2 | 'B' has no '='
            ENV A                              | 2 | ENV A needs a value
            COPY onlyone                       | 2 | COPY needs at least one source and a destination
            COPY --parents a /b                | 2 | COPY --parents is not supported
            ADD https://example.com/x.tgz /x   | 2 | ADD of a URL (https://example.com/x.tgz) is not supported
            WORKDIR                            | 2 | WORKDIR needs an argument
            ONBUILD FROM x                     | 2 | ONBUILD FROM is not allowed
            FROM a b                           | 2 | FROM takes an image and optionally AS <name>
            FROM a AS 1x                       | 2 | invalid stage name '1x'
            """)
    void everyErrorNamesItsLine(String instruction, int line, String message) {
        assertThatThrownBy(() -> Dockerfile.parse("FROM busybox\n" + instruction + "\n"))
                .isInstanceOf(DockerfileException.class)
                .hasMessageStartingWith("Dockerfile line " + line + ": ")
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((DockerfileException) e).line()).isEqualTo(line));
    }

    @Tag("hostile")
    @Test
    void aLineOfManyFlagsIsParsedInLinearTime() throws Exception {
        String flags = "--mount=type=cache,target=/c ".repeat(30_000);
        long start = System.nanoTime();
        Dockerfile d = Dockerfile.parse("FROM a\nRUN " + flags + "make\n");
        assertThat(((Instruction.Run) d.stages().getFirst().body().getFirst()).flags()).hasSize(30_000);
        assertThat(System.nanoTime() - start).isLessThan(10_000_000_000L);
    }

    @Test
    void theFileLevelErrorsNameTheirLine() {
        assertThatThrownBy(() -> Dockerfile.parse("# nothing\n")).hasMessage("Dockerfile: no FROM instruction");
        assertThatThrownBy(() -> Dockerfile.parse("\nRUN x\nFROM a\n"))
                .hasMessage("Dockerfile line 2: 'RUN' before the first FROM (only ARG may come before it)");
        assertThatThrownBy(() -> Dockerfile.parse("FROM a AS x\nFROM b as X\n"))
                .hasMessage("Dockerfile line 2: the stage name 'x' is used twice");
        assertThatThrownBy(() -> Dockerfile.parse("FROM a\nRUN <<EOF\necho\nEO\n"))
                .hasMessageStartingWith("Dockerfile line 2: the heredoc <<EOF is never closed");
        assertThatThrownBy(() -> Dockerfile.parse("# escape=x\nFROM a\n"))
                .hasMessageStartingWith("Dockerfile line 1: invalid escape character 'x'");
    }

    @Test
    void theLimitsAreRefusedNamingTheLine() {
        assertThatThrownBy(() -> Dockerfile.parse("FROM a\n" + "#".repeat(DockerfileLimits.MAX_BYTES)))
                .hasMessageContaining("larger than the limit of " + DockerfileLimits.MAX_BYTES);
        assertThatThrownBy(() -> Dockerfile.parse("FROM a\n" + "ENV A=1\n".repeat(DockerfileLimits.MAX_INSTRUCTIONS)))
                .hasMessageStartingWith("Dockerfile line " + (DockerfileLimits.MAX_INSTRUCTIONS + 1) + ": more than");
        assertThatThrownBy(() -> Dockerfile.parse("FROM a\n".repeat(DockerfileLimits.MAX_STAGES + 1)))
                .hasMessageStartingWith("Dockerfile line " + (DockerfileLimits.MAX_STAGES + 1) + ": more than "
                        + DockerfileLimits.MAX_STAGES + " stages");
    }
}
