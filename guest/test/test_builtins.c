/* Tests of the file builtins (agent/builtins.c, fs_*.c): each case forks, runs builtin_main()
 * in the child with pipes on fds 0-2 exactly as the agent does, and checks the exit code,
 * stdout and the filesystem. Directory reads are checked by extracting them with the system's
 * tar. Run with `make test` (gcc + ASan/UBSan when available); everything happens under a
 * fresh temporary directory. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../agent/builtins.h"
#include "../agent/fs_util.h"

static int failures;
#include "check.h"

#define RUN_DEADLINE_MS 20000

static char root[256];

static const char *at(const char *fmt, ...)
{
    static char paths[8][4096];
    static int next;
    char *p = paths[next++ % 8];
    int n = snprintf(p, 4096, "%s/", root);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p + n, 4096 - (size_t)n, fmt, ap);
    va_end(ap);
    return p;
}

#include "run_builtin.h"

static void put_file(const char *path, const char *content)
{
    FILE *f = fopen(path, "w");
    if (!f)
        abort();
    fputs(content, f);
    fclose(f);
}

static int file_is(const char *path, const void *content, size_t len)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char *got = malloc(len + 1);
    size_t n = fread(got, 1, len + 1, f);
    fclose(f);
    int same = n == len && memcmp(got, content, len) == 0;
    free(got);
    return same;
}

static int entries_in(const char *dir)
{
    char cmd[4200];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | wc -l", dir);
    FILE *p = popen(cmd, "r");
    int n = -1;
    if (p) {
        if (fscanf(p, "%d", &n) != 1)
            n = -1;
        pclose(p);
    }
    return n;
}

/* ---- cases ---- */

static void aWrittenFileReadsBackWithItsModeAndNewParents(void)
{
    const char *data = "hello\0world";
    struct result r = run_in(data, 11, ARGV("write", (char *)at("w/a/b/f.bin"), "640"));
    CHECK(r.code == 0);
    CHECK(strstr(r.out.p, "\"type\":\"file\"") && strstr(r.out.p, "\"size\":11"));
    CHECK(strstr(r.out.p, "\"mode\":\"0640\""));
    struct stat st;
    CHECK(stat(at("w/a/b/f.bin"), &st) == 0 && (st.st_mode & 07777) == 0640);
    CHECK(stat(at("w/a"), &st) == 0 && S_ISDIR(st.st_mode));
    CHECK(entries_in(at("w/a/b")) == 1);
    result_free(&r);

    r = run(ARGV("read", (char *)at("w/a/b/f.bin")));
    CHECK(r.code == 0 && r.out.len == 11 && memcmp(r.out.p, data, 11) == 0);
    result_free(&r);
}

static void aWriteReplacesTheFileWholeAndLeavesNoTemporaryName(void)
{
    put_file(at("rep"), "old content that is longer");
    size_t big = 3 * 1024 * 1024 + 17;
    char *data = malloc(big);
    for (size_t i = 0; i < big; i++)
        data[i] = (char)(i * 31 + 7);
    struct result r = run_in(data, big, ARGV("write", (char *)at("rep")));
    CHECK(r.code == 0);
    CHECK(file_is(at("rep"), data, big));
    result_free(&r);
    free(data);
}

static void aReplacedFileKeepsItsModeUnlessOneIsGiven(void)
{
    put_file(at("keep"), "1");
    chmod(at("keep"), 0600);
    struct result r = run_in("22", 2, ARGV("write", (char *)at("keep"), "-"));
    struct stat st;
    CHECK(r.code == 0 && stat(at("keep"), &st) == 0 && (st.st_mode & 07777) == 0600);
    CHECK(file_is(at("keep"), "22", 2));
    result_free(&r);
    r = run_in("333", 3, ARGV("write", (char *)at("keep"), "755"));
    CHECK(r.code == 0 && stat(at("keep"), &st) == 0 && (st.st_mode & 07777) == 0755);
    result_free(&r);
    r = run(ARGV("mkdir", (char *)at("mode/d"), "700"));
    CHECK(r.code == 0 && stat(at("mode/d"), &st) == 0 && (st.st_mode & 07777) == 0700);
    CHECK(stat(at("mode"), &st) == 0 && (st.st_mode & 07777) == 0755);
    result_free(&r);
    r = run_in("x", 1, ARGV("write", (char *)at("keep"), "99"));
    CHECK(r.code == FS_EXIT_USAGE);
    result_free(&r);
}

static void aWriteShorterThanItsAnnouncedSizeChangesNothing(void)
{
    mkdir(at("short"), 0755);
    put_file(at("short/f"), "kept");
    struct result r = run_in("abc", 3, ARGV("write", (char *)at("short/f"), "644", "10"));
    CHECK(r.code == FS_EXIT_USAGE);
    CHECK(strstr(r.err.p, "got 3 bytes, expected 10"));
    CHECK(file_is(at("short/f"), "kept", 4));
    CHECK(entries_in(at("short")) == 1);
    result_free(&r);
}

static void aWriteOverADirectoryIsTheWrongType(void)
{
    mkdir(at("isdir"), 0755);
    struct result r = run_in("x", 1, ARGV("write", (char *)at("isdir")));
    CHECK(r.code == FS_EXIT_WRONG_TYPE);
    CHECK(entries_in(root) > 0 && entries_in(at("isdir")) == 0);
    result_free(&r);
}

/* Only argument checks and an unknown interface: the rest changes the machine's network. */
static void theNetBuiltinChecksEveryArgumentBeforeItChangesAnything(void)
{
    char *bad[][6] = {
        {"net", "eth0", "10.250.0.6", "10.250.0.5", "10.250.0.5", NULL},
        {"net", "eth0", "10.250.0.6/33", "10.250.0.5", "10.250.0.5", NULL},
        {"net", "eth0", "10.250.0.6/", "10.250.0.5", "10.250.0.5", NULL},
        {"net", "eth0", "/30", "10.250.0.5", "10.250.0.5", NULL},
        {"net", "eth0", "10.250.0.256/30", "10.250.0.5", "10.250.0.5", NULL},
        {"net", "eth0", "10.250.0.6/30", "gateway", "10.250.0.5", NULL},
        {"net", "eth0", "10.250.0.6/30", "10.250.0.5", "::1", NULL},
        {"net", "an-interface-name-too-long", "10.250.0.6/30", "10.250.0.5", "10.250.0.5", NULL},
        {"net", "", "10.250.0.6/30", "10.250.0.5", "10.250.0.5", NULL},
        {"net", "eth0", "10.250.0.6/30", "10.250.0.5", NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct result r = run(bad[i]);
        CHECK(r.code == FS_EXIT_USAGE);
        CHECK(r.err.p && strstr(r.err.p, "usage: net"));
        result_free(&r);
    }
    struct result r = run(ARGV("net", "burrowtest9", "10.250.0.6/30", "10.250.0.5", "10.250.0.5"));
    CHECK(r.code == FS_EXIT_NOT_FOUND);
    CHECK(r.err.p && strstr(r.err.p, "burrowtest9"));
    result_free(&r);
}

static void errorsAreOneLineAndAnExitCodePerClass(void)
{
    struct result r = run(ARGV("read", (char *)at("missing")));
    CHECK(r.code == FS_EXIT_NOT_FOUND);
    CHECK(strstr(r.err.p, "No such file") && strchr(r.err.p, '\n') == r.err.p + r.err.len - 1);
    result_free(&r);

    r = run(ARGV("read", "relative/path"));
    CHECK(r.code == FS_EXIT_USAGE);
    result_free(&r);

    mkfifo(at("fifo"), 0644);
    r = run(ARGV("read", (char *)at("fifo")));
    CHECK(r.code == FS_EXIT_WRONG_TYPE);
    result_free(&r);

    put_file(at("plain"), "x");
    r = run(ARGV("mkdir", (char *)at("plain")));
    CHECK(r.code == FS_EXIT_EXISTS);
    result_free(&r);
    r = run(ARGV("read", (char *)at("plain/below")));
    CHECK(r.code == FS_EXIT_WRONG_TYPE);
    result_free(&r);

    r = run(ARGV("rm", "/"));
    CHECK(r.code == FS_EXIT_USAGE);
    result_free(&r);

    r = run(ARGV("nosuch"));
    CHECK(r.code == 127 && builtin_known("nosuch") == 0 && builtin_known("read") == 1);
    result_free(&r);

    if (geteuid() != 0) {
        mkdir(at("locked"), 0755);
        put_file(at("locked/f"), "x");
        chmod(at("locked"), 0);
        r = run(ARGV("read", (char *)at("locked/f")));
        CHECK(r.code == FS_EXIT_PERMISSION);
        result_free(&r);
        chmod(at("locked"), 0755);
    }
}

static void aDirectoryReadsAsATarThatTheSystemTarExtracts(void)
{
    char longname[241];
    memset(longname, 'n', 240);
    longname[240] = 0;
    mkdir(at("tree"), 0755);
    mkdir(at("tree/sub"), 0750);
    mkdir(at("tree/sub/deeper"), 0755);
    put_file(at("tree/top.txt"), "top");
    put_file(at("tree/sub/deeper/%s", longname), "long");
    symlink("/etc/passwd", at("tree/link"));
    mkfifo(at("tree/pipe"), 0644);

    struct result r = run(ARGV("read", (char *)at("tree")));
    CHECK(r.code == 0);
    CHECK(r.out.len % 512 == 0 && r.out.len >= 1024);
    static const char zeros[1024];
    CHECK(memcmp(r.out.p + r.out.len - 1024, zeros, 1024) == 0);
    CHECK(strstr(r.err.p, "pipe") != NULL); /* skipped, with a warning */
    FILE *f = fopen(at("tree.tar"), "w");
    fwrite(r.out.p, 1, r.out.len, f);
    fclose(f);
    result_free(&r);

    mkdir(at("untar"), 0755);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "tar -xf '%s' -C '%s'", at("tree.tar"), at("untar"));
    CHECK(system(cmd) == 0);
    CHECK(file_is(at("untar/top.txt"), "top", 3));
    CHECK(file_is(at("untar/sub/deeper/%s", longname), "long", 4));
    struct stat st;
    CHECK(lstat(at("untar/link"), &st) == 0 && S_ISLNK(st.st_mode));
    char target[64] = {0};
    CHECK(readlink(at("untar/link"), target, sizeof target - 1) == 11 &&
          !strcmp(target, "/etc/passwd"));
    CHECK(stat(at("untar/sub"), &st) == 0 && (st.st_mode & 0777) == 0750);
    CHECK(lstat(at("untar/pipe"), &st) < 0);
}

static void aListNamesEveryEntryAndEscapesNamesThatAreNotUtf8(void)
{
    mkdir(at("ls"), 0755);
    put_file(at("ls/bad\xff"), "12345");
    put_file(at("ls/q\"uo\nte"), "");
    put_file(at("ls/\xc0\xaf"), ""); /* an overlong '/' */
    put_file(at("ls/caf\xc3\xa9"), "");
    symlink("target", at("ls/sl"));
    mkdir(at("ls/d"), 0700);
    struct result r = run(ARGV("list", (char *)at("ls")));
    CHECK(r.code == 0);
    int lines = 0;
    for (size_t i = 0; i < r.out.len; i++)
        lines += r.out.p[i] == '\n';
    CHECK(lines == 6);
    CHECK(strstr(r.out.p, "\"name\":\"bad\\ufffd\",\"nameBytes\":\"YmFk/w==\",\"type\":\"file\",\"size\":5"));
    CHECK(strstr(r.out.p, "{\"path\":\"") && strstr(r.out.p, "/ls/bad\\ufffd\",\"pathBytes\":\""));
    CHECK(strstr(r.out.p, "\"name\":\"q\\\"uo\\u000ate\""));
    CHECK(strstr(r.out.p, "\"name\":\"\\ufffd\\ufffd\",\"nameBytes\":\"wK8=\""));
    CHECK(strstr(r.out.p, "\"name\":\"caf\xc3\xa9\",\"type\""));
    CHECK(strstr(r.out.p, "\"name\":\"sl\",\"type\":\"symlink\"") && strstr(r.out.p, "\"linkTarget\":\"target\""));
    CHECK(strstr(r.out.p, "\"name\":\"d\",\"type\":\"dir\",\"size\":") && strstr(r.out.p, "\"mode\":\"0700\""));
    CHECK(strstr(r.out.p, "\"modifiedAt\":\"20"));
    result_free(&r);
}

static void aStatDoesNotFollowASymlinkUnlessAsked(void)
{
    put_file(at("real"), "abc");
    symlink(at("real"), at("alias"));
    struct result r = run(ARGV("stat", (char *)at("alias")));
    CHECK(r.code == 0 && strstr(r.out.p, "\"type\":\"symlink\"") && strstr(r.out.p, "\"name\":\"alias\""));
    result_free(&r);
    r = run(ARGV("stat", (char *)at("alias"), "follow"));
    CHECK(r.code == 0 && strstr(r.out.p, "\"type\":\"file\",\"size\":3"));
    result_free(&r);
}

static void mkdirRmAndMvWorkOnWholeTrees(void)
{
    struct result r = run(ARGV("mkdir", (char *)at("m/x/y/z")));
    CHECK(r.code == 0 && strstr(r.out.p, "\"type\":\"dir\""));
    result_free(&r);
    r = run(ARGV("mkdir", (char *)at("m/x/y/z")));
    CHECK(r.code == 0);
    result_free(&r);
    put_file(at("m/x/y/z/f"), "f");
    symlink(root, at("m/x/escape")); /* rm must not follow it */

    r = run(ARGV("mv", (char *)at("m/x"), (char *)at("n/new/x2")));
    CHECK(r.code == 0);
    CHECK(file_is(at("n/new/x2/y/z/f"), "f", 1));
    result_free(&r);
    r = run(ARGV("mv", (char *)at("m/gone"), (char *)at("m/other")));
    CHECK(r.code == FS_EXIT_NOT_FOUND);
    result_free(&r);

    r = run(ARGV("rm", (char *)at("n")));
    CHECK(r.code == 0);
    struct stat st;
    CHECK(lstat(at("n"), &st) < 0 && errno == ENOENT);
    CHECK(stat(root, &st) == 0 && stat(at("real"), &st) == 0);
    result_free(&r);
    r = run(ARGV("rm", (char *)at("n")));
    CHECK(r.code == FS_EXIT_NOT_FOUND);
    result_free(&r);
}

/* Reads stdout until it holds needle or the deadline passes. */
static int wait_for(int fd, struct buf *b, const char *needle)
{
    long deadline = now_ms() + RUN_DEADLINE_MS;
    while (!(b->p && strstr(b->p, needle))) {
        long left = deadline - now_ms();
        struct pollfd p = {fd, POLLIN, 0};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            return 0;
        char chunk[4096];
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n <= 0)
            return 0;
        buf_put(b, chunk, (size_t)n);
    }
    return 1;
}

static void aRecursiveWatchReportsChangesBelowDirectoriesCreatedLater(void)
{
    mkdir(at("wt"), 0755);
    int fds[3];
    pid_t pid = start(ARGV("watch", (char *)at("wt"), "recursive"), fds);
    struct buf b = {0};
    char want[4400];
    CHECK(wait_for(fds[1], &b, "\"op\":\"ready\""));
    CHECK(strstr(b.p, "\"isDir\":true}"));
    mkdir(at("wt/d"), 0755);
    snprintf(want, sizeof want, "{\"op\":\"create\",\"path\":\"%s\",\"isDir\":true}", at("wt/d"));
    CHECK(wait_for(fds[1], &b, want));
    put_file(at("wt/d/f"), "x");
    snprintf(want, sizeof want, "{\"op\":\"modify\",\"path\":\"%s\",\"isDir\":false}", at("wt/d/f"));
    CHECK(wait_for(fds[1], &b, want));
    rename(at("wt/d/f"), at("wt/g"));
    snprintf(want, sizeof want, "{\"op\":\"move\",\"path\":\"%s\",\"to\":\"%s\",\"isDir\":false}",
             at("wt/d/f"), at("wt/g"));
    CHECK(wait_for(fds[1], &b, want));
    unlink(at("wt/g"));
    snprintf(want, sizeof want, "{\"op\":\"delete\",\"path\":\"%s\",\"isDir\":false}", at("wt/g"));
    CHECK(wait_for(fds[1], &b, want));
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
    close(fds[0]), close(fds[1]), close(fds[2]);
    free(b.p);
}

/* The file the warm-up builtin's exec'd child (this binary, by /proc/self/exe) writes instead of
 * the guest's NS_LAST_PID: relative, so it lands in the cwd the case forked it in. */
#define WARM_UP_TEST_FILE "warm-up-last-pid"

static void theWarmUpBuiltinReExecsItsOwnBinaryWhichGivesBackThePidItTook(void)
{
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd) || chdir(root) < 0)
        abort();
    put_file(at(WARM_UP_TEST_FILE), "");
    int fds[3];
    pid_t pid = start(ARGV(BUILTIN_WARM_UP), fds);
    if (chdir(cwd) < 0)
        abort();
    struct result r = finish(BUILTIN_WARM_UP, pid, fds, NULL, 0);
    if (geteuid() == 0) {
        /* the child took pid; the kernel's last pid must be set back to the one before it */
        char want[32];
        snprintf(want, sizeof want, "%ld", (long)pid - 1);
        CHECK(r.code == 0 && r.err.len == 0);
        CHECK(file_is(at(WARM_UP_TEST_FILE), want, strlen(want)));
    } else {
        CHECK(r.code != 0 && strstr(r.err.p, "warm-up"));
        CHECK(file_is(at(WARM_UP_TEST_FILE), "", 0));
    }
    result_free(&r);
    r = run(ARGV(BUILTIN_WARM_UP, "extra"));
    CHECK(r.code == FS_EXIT_USAGE);
    result_free(&r);
    unlink(at(WARM_UP_TEST_FILE));
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], WARM_UP_ARG))
        return warm_up_give_back_pid(WARM_UP_TEST_FILE);

    /* a builtin may exit before it read all the stdin a test feeds it (a refused argument): the
     * write then fails with EPIPE, which run_in handles, instead of killing the test */
    signal(SIGPIPE, SIG_IGN);
    snprintf(root, sizeof root, "%s/burrow-builtins-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    umask(022);
    aWrittenFileReadsBackWithItsModeAndNewParents();
    aWriteReplacesTheFileWholeAndLeavesNoTemporaryName();
    aReplacedFileKeepsItsModeUnlessOneIsGiven();
    aWriteShorterThanItsAnnouncedSizeChangesNothing();
    aWriteOverADirectoryIsTheWrongType();
    errorsAreOneLineAndAnExitCodePerClass();
    theNetBuiltinChecksEveryArgumentBeforeItChangesAnything();
    aDirectoryReadsAsATarThatTheSystemTarExtracts();
    aListNamesEveryEntryAndEscapesNamesThatAreNotUtf8();
    aStatDoesNotFollowASymlinkUnlessAsked();
    mkdirRmAndMvWorkOnWholeTrees();
    aRecursiveWatchReportsChangesBelowDirectoriesCreatedLater();
    theWarmUpBuiltinReExecsItsOwnBinaryWhichGivesBackThePidItTook();

    struct result r = run(ARGV("rm", root));
    CHECK(r.code == 0);
    result_free(&r);
    if (failures) {
        fprintf(stderr, "test_builtins: %d failure(s) (left %s)\n", failures, root);
        return 1;
    }
    printf("test_builtins: all passed\n");
    return 0;
}
