/* burrow-jailer run for real: the jail's stages, what the program sees inside, and the one error
 * line of a stage that fails. Needs root (namespaces, mounts, setuid); skipped otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int failures;
#include "check.h"

#define UID "300001"
#define GROUP "300000"

static char dir[256], root[300], out[300], err[300], pidf[300], shared[300];
static const char *jailer;

/* Runs the jailer with `args` (NULL-terminated, after the common options) and gives its exit status. */
static int run(const char *first, ...)
{
    const char *argv[64];
    int n = 0;
    argv[n++] = jailer;
    argv[n++] = "--name";
    argv[n++] = "test/vm1";
    argv[n++] = "--pid-file";
    argv[n++] = pidf;
    argv[n++] = "--stdout";
    argv[n++] = out;
    argv[n++] = "--stderr";
    argv[n++] = err;
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a && n < 63; a = va_arg(ap, const char *))
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    unlink(out);
    unlink(err);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2); /* usage messages */
        umask(077);    /* burrowd's: the jail's tree must stay searchable all the same */
        execv(jailer, (char **)argv);
        _exit(126);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static char *slurp(const char *path)
{
    static char buf[65536];
    buf[0] = 0;
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return buf;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    return buf;
}

#define JAIL "--root", root, "--uid", UID, "--gid", UID, "--groups", GROUP, "--hostname", "vm1"

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: test_jailer <burrow-jailer>\n");
        return 2;
    }
    jailer = argv[1];
    if (geteuid() != 0) {
        printf("test_jailer: skipped (needs root)\n");
        return 0;
    }
    snprintf(dir, sizeof dir, "/tmp/burrow-jailer-test-%d", (int)getpid());
    snprintf(root, sizeof root, "%s/root", dir);
    snprintf(out, sizeof out, "%s/out", dir);
    snprintf(err, sizeof err, "%s/err", dir);
    snprintf(pidf, sizeof pidf, "%s/pid", dir);
    snprintf(shared, sizeof shared, "%s/shared", dir);
    if (mkdir(dir, 0755) < 0 || mkdir(root, 0755) < 0 || mkdir(shared, 0755) < 0) {
        perror("mkdir");
        return 1;
    }
    if (chown(shared, 300001, 300001) < 0)
        perror("chown");

    /* options that need a jail are refused without one, and a jail needs non-root ids */
    CHECK(run("--uid", UID, "--", "/bin/true", NULL) == 2);
    CHECK(run("--root", root, "--uid", "0", "--gid", UID, "--", "/bin/true", NULL) == 2);
    CHECK(run("--root", "relative", "--uid", UID, "--gid", UID, "--", "/bin/true", NULL) == 2);
    CHECK(run("--rlimit-nproc", "x", "--", "/bin/true", NULL) == 2);

    /* inside: its ids, hostname, pid 1, only what was bound, a read-only root, an empty environment */
    CHECK(run(JAIL, "--bind-rw", shared, "--dev", "/dev/null", "--", "/bin/sh", "-c",
              "echo ids=$(id -u):$(id -g):$(id -G); echo host=$(hostname); echo pid=$$; "
              "echo env=$(env | grep -v '^PWD=' | wc -l); "
              "test -e /home || test -e /root || test -e /var || test -e /proc || echo hidden=yes; "
              "touch /x 2>/dev/null || echo rootro=yes; touch $0/ok && echo rw=yes; "
              "grep NoNewPrivs /proc/self/status 2>/dev/null || echo noproc=yes; "
              "head -c1 /dev/null && echo dev=yes; echo umask=$(umask)",
              shared, NULL) == 0);
    char *o = slurp(out);
    CHECK(strstr(o, "ids=" UID ":" UID ":" UID " " GROUP "\n") != NULL);
    CHECK(strstr(o, "host=vm1\n") != NULL);
    CHECK(strstr(o, "pid=1\n") != NULL);
    CHECK(strstr(o, "env=0\n") != NULL);
    CHECK(strstr(o, "hidden=yes\n") != NULL);
    CHECK(strstr(o, "rootro=yes\n") != NULL);
    CHECK(strstr(o, "rw=yes\n") != NULL);
    CHECK(strstr(o, "noproc=yes\n") != NULL);
    CHECK(strstr(o, "dev=yes\n") != NULL);
    CHECK(strstr(o, "umask=0077\n") != NULL);
    struct stat st;
    char ok[400];
    snprintf(ok, sizeof ok, "%s/ok", shared);
    CHECK(stat(ok, &st) == 0 && st.st_uid == 300001);
    /* the host pid went to the pid file, and the host's root directory stayed empty */
    CHECK(atoi(slurp(pidf)) > 1);
    CHECK(rmdir(root) == 0 && mkdir(root, 0755) == 0);

    /* a read-only bind cannot be written, even by the file's owner */
    CHECK(run(JAIL, "--bind-ro", shared, "--", "/bin/sh", "-c", "touch $0/no", shared, NULL) != 0);

    /* a stage that fails says which, in the stderr file, and nothing runs */
    CHECK(run(JAIL, "--bind-ro", "/nonexistent-burrow-path", "--", "/bin/true", NULL) == 127);
    CHECK(strstr(slurp(err), "burrow-jailer: test/vm1: mounts: /nonexistent-burrow-path: No such file or directory") != NULL);
    CHECK(run(JAIL, "--cgroup", "/nonexistent-burrow-cgroup/cgroup.procs", "--", "/bin/true", NULL) == 127);
    CHECK(strstr(slurp(err), "burrow-jailer: test/vm1: cgroup: /nonexistent-burrow-cgroup/cgroup.procs: ") != NULL);
    CHECK(run(JAIL, "--", "/nonexistent-burrow-program", NULL) == 127);
    CHECK(strstr(slurp(err), "burrow-jailer: test/vm1: exec: /nonexistent-burrow-program: ") != NULL);

    /* NPROC is per uid: a second process beyond the limit cannot start */
    CHECK(run(JAIL, "--rlimit-nproc", "1", "--", "/bin/sh", "-c", "/bin/true && echo forked", NULL) != 0);
    CHECK(strstr(slurp(out), "forked") == NULL);
    CHECK(run(JAIL, "--rlimit-nproc", "2", "--", "/bin/sh", "-c", "/bin/true && echo forked", NULL) == 0);
    CHECK(strstr(slurp(out), "forked") != NULL);

    unlink(ok);
    unlink(out);
    unlink(err);
    unlink(pidf);
    rmdir(shared);
    rmdir(root);
    rmdir(dir);
    if (failures) {
        fprintf(stderr, "test_jailer: %d checks failed\n", failures);
        return 1;
    }
    printf("test_jailer: all passed\n");
    return 0;
}
