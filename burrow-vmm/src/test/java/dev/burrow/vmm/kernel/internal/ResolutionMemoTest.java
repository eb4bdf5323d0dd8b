package dev.burrow.vmm.kernel.internal;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

class ResolutionMemoTest {
    @TempDir
    Path tmp;

    @Test
    void theMemoAnswersWhileTheListsAreUnchangedAndAptAnswersAfterwards() throws Exception {
        Path lists = Files.createDirectories(tmp.resolve("lists"));
        Files.setLastModifiedTime(lists, FileTime.fromMillis(5000));
        Path memoFile = tmp.resolve(".resolved");
        Files.writeString(memoFile, "lists=" + FileTime.fromMillis(5000).toInstant() + "\npackage=linux-image-memo-amd64\n");
        ResolutionMemo memo = new ResolutionMemo(memoFile, lists);

        assertThat(memo.currentKernelPackage()).isEqualTo("linux-image-memo-amd64");

        assumeTrue(Files.isExecutable(Path.of("/usr/bin/apt-cache")), "needs apt-cache");
        Files.setLastModifiedTime(lists, FileTime.fromMillis(6000));
        String fromApt = memo.currentKernelPackage();
        assertThat(fromApt).startsWith("linux-image-").isNotEqualTo("linux-image-memo-amd64");
        assertThat(Files.readString(memoFile)).contains("package=" + fromApt);
    }
}
