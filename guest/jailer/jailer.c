/* burrow-jailer: starts one VMM (QEMU) for burrowd, jailed, detached from the daemon's session,
 * writes "<pid> <starttime>" (the HOST pid) so burrowd can adopt the VMM after a restart, and
 * stays alive as the VMM's parent so it is reaped (this machine's PID 1 does not reap orphans).
 *
 * With --console PATH the program gets the write end of a pipe as fd 3 (QEMU: -serial
 * file:/dev/fd/3) and the jailer keeps what arrives in a bounded ring of two files: PATH, and
 * PATH.1 with the half before. When PATH reaches half of --console-bytes (default 1 MiB) it
 * becomes PATH.1 and a new PATH starts, so the console never takes more than that, however
 * much the guest prints. The jailer outlives burrowd (it is the VMM's parent), so the ring keeps
 * working across daemon restarts.
 *
 * The jail (model: Firecracker's jailer; docs/adr/0017-the-jail.md), with --root DIR:
 *   parent  unshare(CLONE_NEWPID), fork. The parent itself stays in the host's mount namespace,
 *           so it never pins a copy of mounts other microVMs remove (their /run/netns entries).
 *   child   (pid 1 of the new pid namespace), in named stages; any failure ends it with
 *           "burrow-jailer: <name>: <stage>: <what>: <errno>" in the --stderr file:
 *     stdio      stdin /dev/null, stdout/stderr the files, fd 3 the console pipe
 *     netns      setns(--netns), else unshare(CLONE_NEWNET): a new, empty network namespace
 *     namespaces unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS)
 *     cgroup     "0" into each --cgroup cgroup.procs file
 *     mounts     umask 022 (burrowd's 077 would hide the tree); / rprivate; a small tmpfs on --root; each --bind-ro/--bind-rw/--dev at the same
 *                absolute path inside (ro: rdonly,nosuid,nodev; rw: nosuid,nodev; dev: nosuid,
 *                noexec); the system files QEMU needs read-only (/usr, the merged-usr links
 *                /bin /lib /lib64 /sbin, /etc/ld.so.cache); nothing else
 *     pivot      pivot_root into --root, old root detached, chdir /, the tmpfs made read-only
 *     hostname   sethostname(--hostname)
 *     rlimits    NOFILE, NPROC (per uid: QEMU's threads count), CORE 0
 *     identity   setgroups, setgid, setuid, then checked: every id is the asked one and
 *                setuid(0) fails
 *     privs      PR_SET_NO_NEW_PRIVS (dumpable stays: burrowd reads /proc/<pid>/mem as root), umask 077
 *     exec       fds above the console closed, signals default, execve with an empty environment
 * Without --root the program runs as before (burrowd's "jail off" mode for measurements): no
 * namespaces but the optional --netns, no uid change.
 *
 * usage: burrow-jailer --name <instance/vmid> --pid-file <path> --stdout <file> --stderr <file>
 *                      [--console <file> [--console-bytes N]] [--netns <path>]
 *                      [--root <dir> --uid N --gid N [--groups g1,g2] [--hostname NAME]
 *                       [--bind-ro PATH]... [--bind-rw PATH]... [--dev PATH]... [--cgroup PROCS]...
 *                       [--rlimit-nofile N] [--rlimit-nproc N]] -- <program> [args...]
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#define CONSOLE_FD 3
#define CONSOLE_BYTES_DEFAULT (1ull << 20)
#define CONSOLE_BYTES_MIN 8192ull
#define CONSOLE_READ 16384
/* The jail's limits, each overridable on the command line. */
#define RLIMIT_NOFILE_DEFAULT 1024ull
#define RLIMIT_NPROC_DEFAULT 512ull /* QEMU's threads: vCPUs, RCU, I/O workers (up to 64) */
#define MAX_PATHS 64                /* --bind-ro + --bind-rw + --dev + --cgroup, each */
#define MAX_GROUPS 8
#define ROOT_TMPFS "size=256k,nr_inodes=1024,mode=0755"
#define JAIL_TREE_UMASK 022
#define VMM_UMASK 077

/* The console ring: `path` holds at most `half` bytes, `path`.1 the previous half. */
struct ring {
    const char *path;
    char old[4096];
    unsigned long long half;
    unsigned long long size; /* bytes in the current half */
    int fd;
};

static int ring_open(struct ring *r, int truncate)
{
    r->fd = open(r->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0), 0640);
    if (r->fd < 0)
        return -1;
    struct stat st;
    r->size = fstat(r->fd, &st) == 0 ? (unsigned long long)st.st_size : 0;
    return 0;
}

/* The current half is full: it becomes the old half, and a new one starts. */
static void ring_rotate(struct ring *r)
{
    close(r->fd);
    if (rename(r->path, r->old) < 0)
        fprintf(stderr, "burrow-jailer: rotate %s: %s\n", r->path, strerror(errno));
    if (ring_open(r, 1) < 0)
        fprintf(stderr, "burrow-jailer: open %s: %s\n", r->path, strerror(errno));
}

static void ring_write(struct ring *r, const char *p, size_t n)
{
    while (n > 0 && r->fd >= 0) {
        if (r->size >= r->half) {
            ring_rotate(r);
            continue;
        }
        size_t room = (size_t)(r->half - r->size);
        size_t k = n < room ? n : room;
        ssize_t w = write(r->fd, p, k);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* disk full or gone: drop the console rather than stall the VMM */
        r->size += (unsigned long long)w;
        p += w;
        n -= (size_t)w;
    }
}

/* Copies the console pipe into the ring until every writer has closed it (the VMM exited). */
static void ring_pump(struct ring *r, int rfd)
{
    char buf[CONSOLE_READ];
    for (;;) {
        struct pollfd p = { .fd = rfd, .events = POLLIN };
        int rc = poll(&p, 1, -1);
        if (rc < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        ssize_t n = read(rfd, buf, sizeof buf);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return;
        ring_write(r, buf, (size_t)n);
    }
}

static void usage(const char *msg)
{
    if (msg)
        fprintf(stderr, "burrow-jailer: %s\n", msg);
    fprintf(stderr, "usage: burrow-jailer --name <instance/vmid> --pid-file <path> "
                    "--stdout <file> --stderr <file> [--console <file> [--console-bytes N]] "
                    "[--netns <path>] [--root <dir> --uid N --gid N [--groups g1,g2] "
                    "[--hostname NAME] [--bind-ro PATH]... [--bind-rw PATH]... [--dev PATH]... "
                    "[--cgroup PROCS_FILE]... [--rlimit-nofile N] [--rlimit-nproc N]] "
                    "-- <program> [args...]\n");
    exit(2);
}

static void close_from(int lowfd)
{
    if (syscall(SYS_close_range, (unsigned)lowfd, ~0u, 0) == 0)
        return;
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536)
        max = 65536;
    for (int fd = lowfd; fd < max; fd++)
        close(fd);
}

/* Field 22 (starttime, clock ticks since boot) of /proc/<pid>/stat. The command name (field 2)
 * may contain spaces and ')' so parsing starts after the last ')'. */
static int read_starttime(pid_t pid, unsigned long long *out)
{
    char path[64], buf[4096];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strrchr(buf, ')');
    if (!p)
        return -1;
    p++;
    /* After ")" come fields 3, 4, ...; field 22 is the 20th of them. */
    for (int field = 3; field < 22; field++) {
        while (*p == ' ')
            p++;
        while (*p && *p != ' ')
            p++;
    }
    while (*p == ' ')
        p++;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(p, &end, 10);
    if (errno || end == p)
        return -1;
    *out = v;
    return 0;
}

static int write_pid_file(const char *path, pid_t pid, unsigned long long start)
{
    char tmp[4096], line[64];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp)
        return -1;
    int len = snprintf(line, sizeof line, "%d %llu\n", (int)pid, start);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    if (write(fd, line, (size_t)len) != len || fsync(fd) < 0) {
        close(fd);
        unlink(tmp);
        return -1;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}


/* ---- the jail ---------------------------------------------------------------------------- */

enum bind_kind { BIND_RO, BIND_RW, BIND_DEV };

struct bind {
    const char *path;
    enum bind_kind kind;
};

struct jail {
    const char *name; /* for messages */
    const char *root; /* NULL: no jail */
    const char *netns;
    const char *hostname;
    long long uid, gid;
    gid_t groups[MAX_GROUPS];
    int ngroups;
    struct bind binds[MAX_PATHS * 3];
    int nbinds;
    const char *cgroups[MAX_PATHS];
    int ncgroups;
    unsigned long long nofile, nproc;
};

/* The one error idiom of the jail's stages: say which microVM, which stage, what, and errno. */
static int fail(const struct jail *j, const char *stage, const char *what)
{
    int e = errno;
    dprintf(2, "burrow-jailer: %s: %s: %s: %s\n", j->name, stage, what, strerror(e));
    errno = e;
    return -1;
}

/* The system paths QEMU needs, read-only, and nothing else of the host. On merged-usr Debian
 * the top-level directories are links into /usr and are recreated as the same links. */
static const char *const SYSTEM_LINKS_OR_DIRS[] = { "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32" };
static const char *const SYSTEM_RO[] = { "/usr", "/etc/ld.so.cache" };

static int join_path(char *out, size_t size, const char *root, const char *path)
{
    return snprintf(out, size, "%s%s", root, path) >= (int)size ? -1 : 0;
}

/* mkdir -p for the directories above `path` (inside the jail's tmpfs). */
static int make_parents(char *path)
{
    for (char *p = strchr(path + 1, '/'); p; p = strchr(p + 1, '/')) {
        *p = 0;
        int rc = mkdir(path, 0755);
        *p = '/';
        if (rc < 0 && errno != EEXIST)
            return -1;
    }
    return 0;
}

/* The file or directory the bind lands on, at the same absolute path under the root. */
static int make_mount_point(char *target, int is_dir)
{
    if (make_parents(target) < 0)
        return -1;
    if (is_dir)
        return mkdir(target, 0755) < 0 && errno != EEXIST ? -1 : 0;
    int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int bind_one(const struct jail *j, const char *path, enum bind_kind kind)
{
    char target[4096];
    struct stat st;
    if (path[0] != '/' || join_path(target, sizeof target, j->root, path) < 0) {
        errno = EINVAL;
        return fail(j, "mounts", path);
    }
    if (stat(path, &st) < 0)
        return fail(j, "mounts", path);
    if (make_mount_point(target, S_ISDIR(st.st_mode)) < 0)
        return fail(j, "mounts: mount point", target);
    if (mount(path, target, NULL, MS_BIND, NULL) < 0)
        return fail(j, "mounts: bind", path);
    unsigned long flags = MS_BIND | MS_REMOUNT | MS_NOSUID;
    if (kind == BIND_RO)
        flags |= MS_RDONLY | MS_NODEV;
    else if (kind == BIND_RW)
        flags |= MS_NODEV;
    else
        flags |= MS_RDONLY | MS_NOEXEC; /* a device node on a read-only mount still opens for writing */
    if (mount(NULL, target, NULL, flags, NULL) < 0)
        return fail(j, "mounts: remount", path);
    return 0;
}

static int system_paths(const struct jail *j)
{
    char target[4096], link[4096];
    for (size_t i = 0; i < sizeof SYSTEM_LINKS_OR_DIRS / sizeof *SYSTEM_LINKS_OR_DIRS; i++) {
        const char *p = SYSTEM_LINKS_OR_DIRS[i];
        struct stat st;
        if (lstat(p, &st) < 0)
            continue; /* this host has none */
        if (!S_ISLNK(st.st_mode)) {
            if (bind_one(j, p, BIND_RO) < 0)
                return -1;
            continue;
        }
        ssize_t n = readlink(p, link, sizeof link - 1);
        if (n < 0 || join_path(target, sizeof target, j->root, p) < 0)
            return fail(j, "mounts: system link", p);
        link[n] = 0;
        if (symlink(link, target) < 0)
            return fail(j, "mounts: system link", target);
    }
    for (size_t i = 0; i < sizeof SYSTEM_RO / sizeof *SYSTEM_RO; i++)
        if (access(SYSTEM_RO[i], F_OK) == 0 && bind_one(j, SYSTEM_RO[i], BIND_RO) < 0)
            return -1;
    return 0;
}

static int stage_namespaces(const struct jail *j)
{
    if (j->netns) {
        int fd = open(j->netns, O_RDONLY | O_CLOEXEC);
        if (fd < 0 || setns(fd, CLONE_NEWNET) < 0)
            return fail(j, "netns", j->netns);
        close(fd);
    } else if (unshare(CLONE_NEWNET) < 0) {
        return fail(j, "netns", "unshare a new network namespace");
    }
    if (unshare(CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS) < 0)
        return fail(j, "namespaces", "unshare mount, ipc, uts");
    return 0;
}

static int stage_cgroups(const struct jail *j)
{
    for (int i = 0; i < j->ncgroups; i++) {
        int fd = open(j->cgroups[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, "0", 1) != 1) {
            fail(j, "cgroup", j->cgroups[i]);
            if (fd >= 0)
                close(fd);
            return -1;
        }
        close(fd);
    }
    return 0;
}

static int stage_mounts(const struct jail *j)
{
    /* burrowd runs with umask 077: the jail's directories must stay searchable by the VMM's uid */
    umask(JAIL_TREE_UMASK);
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return fail(j, "mounts", "make / rprivate");
    if (mount("burrow-jail", j->root, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, ROOT_TMPFS) < 0)
        return fail(j, "mounts: tmpfs", j->root);
    if (system_paths(j) < 0)
        return -1;
    for (int i = 0; i < j->nbinds; i++)
        if (bind_one(j, j->binds[i].path, j->binds[i].kind) < 0)
            return -1;
    return 0;
}

static int stage_pivot(const struct jail *j)
{
    if (chdir(j->root) < 0)
        return fail(j, "pivot", j->root);
    /* the old root ends up stacked on the new one, and is detached at once */
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return fail(j, "pivot", "pivot_root");
    if (umount2(".", MNT_DETACH) < 0)
        return fail(j, "pivot", "detach the old root");
    if (chdir("/") < 0)
        return fail(j, "pivot", "chdir /");
    if (mount(NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        return fail(j, "pivot", "make the root read-only");
    return 0;
}

static int stage_hostname(const struct jail *j)
{
    const char *h = j->hostname ? j->hostname : "burrow-vmm";
    if (sethostname(h, strlen(h)) < 0)
        return fail(j, "hostname", h);
    return 0;
}

static int stage_rlimits(const struct jail *j)
{
    struct rlimit nofile = { j->nofile, j->nofile }, nproc = { j->nproc, j->nproc }, core = { 0, 0 };
    if (setrlimit(RLIMIT_NOFILE, &nofile) < 0)
        return fail(j, "rlimits", "RLIMIT_NOFILE");
    if (setrlimit(RLIMIT_NPROC, &nproc) < 0)
        return fail(j, "rlimits", "RLIMIT_NPROC");
    if (setrlimit(RLIMIT_CORE, &core) < 0)
        return fail(j, "rlimits", "RLIMIT_CORE");
    return 0;
}

static int stage_identity(const struct jail *j)
{
    uid_t uid = (uid_t)j->uid;
    gid_t gid = (gid_t)j->gid;
    if (setgroups((size_t)j->ngroups, j->groups) < 0)
        return fail(j, "identity", "setgroups");
    if (setresgid(gid, gid, gid) < 0)
        return fail(j, "identity", "setresgid");
    if (setresuid(uid, uid, uid) < 0)
        return fail(j, "identity", "setresuid");
    /* verify they stuck, and that the way back is closed */
    uid_t r, e, s;
    gid_t gr, ge, gs;
    gid_t now[MAX_GROUPS + 1];
    int n = getgroups(MAX_GROUPS + 1, now);
    if (getresuid(&r, &e, &s) < 0 || r != uid || e != uid || s != uid || getresgid(&gr, &ge, &gs) < 0 || gr != gid
        || ge != gid || gs != gid || n != j->ngroups) {
        errno = EPERM;
        return fail(j, "identity", "the ids did not stick");
    }
    for (int i = 0; i < n; i++) {
        if (now[i] != j->groups[i]) {
            errno = EPERM;
            return fail(j, "identity", "the groups did not stick");
        }
    }
    if (setuid(0) == 0) {
        errno = EPERM;
        return fail(j, "identity", "setuid(0) still works");
    }
    return 0;
}

static int stage_privs(const struct jail *j)
{
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return fail(j, "privs", "PR_SET_NO_NEW_PRIVS");
    umask(VMM_UMASK); /* what QEMU creates (a device state file) is its own alone */
    return 0;
}

/* Every stage between the fork and the exec, in order; 0 when the child may exec. */
static int enter_jail(const struct jail *j)
{
    if (stage_namespaces(j) < 0 || stage_cgroups(j) < 0 || stage_mounts(j) < 0 || stage_pivot(j) < 0
        || stage_hostname(j) < 0 || stage_rlimits(j) < 0 || stage_identity(j) < 0 || stage_privs(j) < 0)
        return -1;
    return 0;
}

static unsigned long long number(const char *s, const char *what, unsigned long long max)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || !*s || *end || v > max) {
        fprintf(stderr, "burrow-jailer: %s must be a number up to %llu\n", what, max);
        exit(2);
    }
    return v;
}

static void parse_groups(struct jail *j, char *list)
{
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (j->ngroups >= MAX_GROUPS)
            usage("too many --groups");
        j->groups[j->ngroups++] = (gid_t)number(tok, "--groups", 0xfffffffeull);
    }
}

static void add_bind(struct jail *j, const char *path, enum bind_kind kind)
{
    if (j->nbinds >= (int)(sizeof j->binds / sizeof *j->binds))
        usage("too many --bind-ro/--bind-rw/--dev");
    if (path[0] != '/')
        usage("bind paths must be absolute");
    j->binds[j->nbinds].path = path;
    j->binds[j->nbinds++].kind = kind;
}

static volatile sig_atomic_t child_pid;

static void forward(int sig)
{
    if (child_pid > 0)
        kill(child_pid, sig);
}

int main(int argc, char **argv)
{
    const char *name = NULL, *pidfile = NULL, *out = NULL, *err = NULL, *console = NULL;
    unsigned long long console_bytes = CONSOLE_BYTES_DEFAULT;
    struct jail jail = { .uid = -1, .gid = -1, .nofile = RLIMIT_NOFILE_DEFAULT, .nproc = RLIMIT_NPROC_DEFAULT };
    int i;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (i + 1 >= argc)
            usage("missing value or unknown option");
        char *v = argv[++i];
        if (strcmp(a, "--name") == 0)
            name = v;
        else if (strcmp(a, "--pid-file") == 0)
            pidfile = v;
        else if (strcmp(a, "--stdout") == 0)
            out = v;
        else if (strcmp(a, "--stderr") == 0)
            err = v;
        else if (strcmp(a, "--console") == 0)
            console = v;
        else if (strcmp(a, "--netns") == 0)
            jail.netns = v;
        else if (strcmp(a, "--console-bytes") == 0) {
            console_bytes = number(v, "--console-bytes", ~0ull);
            if (console_bytes < CONSOLE_BYTES_MIN)
                usage("--console-bytes must be a number >= 8192");
        }
        else if (strcmp(a, "--root") == 0)
            jail.root = v;
        else if (strcmp(a, "--uid") == 0)
            jail.uid = (long long)number(v, "--uid", 0xfffffffeull);
        else if (strcmp(a, "--gid") == 0)
            jail.gid = (long long)number(v, "--gid", 0xfffffffeull);
        else if (strcmp(a, "--groups") == 0)
            parse_groups(&jail, v);
        else if (strcmp(a, "--hostname") == 0)
            jail.hostname = v;
        else if (strcmp(a, "--bind-ro") == 0)
            add_bind(&jail, v, BIND_RO);
        else if (strcmp(a, "--bind-rw") == 0)
            add_bind(&jail, v, BIND_RW);
        else if (strcmp(a, "--dev") == 0)
            add_bind(&jail, v, BIND_DEV);
        else if (strcmp(a, "--cgroup") == 0) {
            if (jail.ncgroups >= MAX_PATHS)
                usage("too many --cgroup");
            jail.cgroups[jail.ncgroups++] = v;
        }
        else if (strcmp(a, "--rlimit-nofile") == 0)
            jail.nofile = number(v, "--rlimit-nofile", 1ull << 20);
        else if (strcmp(a, "--rlimit-nproc") == 0)
            jail.nproc = number(v, "--rlimit-nproc", 1ull << 22);
        else
            usage("unknown option");
    }
    if (!name || !*name)
        usage("--name is required");
    if (!pidfile || !*pidfile)
        usage("--pid-file is required");
    if (!out || !*out)
        usage("--stdout is required");
    if (!err || !*err)
        usage("--stderr is required");
    if (i >= argc || !argv[i][0])
        usage("no program after --");
    jail.name = name;
    if (jail.root) {
        if (jail.root[0] != '/' || jail.uid <= 0 || jail.gid <= 0)
            usage("--root needs an absolute directory and --uid/--gid above 0");
        if (jail.hostname && strlen(jail.hostname) > 64)
            usage("--hostname is longer than 64 bytes");
    } else if (jail.uid >= 0 || jail.gid >= 0 || jail.nbinds || jail.ncgroups || jail.ngroups) {
        usage("--uid, --gid, --groups, --bind-*, --dev and --cgroup need --root");
    }
    char **prog = argv + i;

    struct ring ring = { .path = console, .half = console_bytes / 2, .fd = -1 };
    int cpipe[2] = { -1, -1 };
    if (console) {
        if (snprintf(ring.old, sizeof ring.old, "%s.1", console) >= (int)sizeof ring.old)
            usage("--console path too long");
        if (ring_open(&ring, 0) < 0) {
            fprintf(stderr, "burrow-jailer: %s: open %s: %s\n", name, console, strerror(errno));
            return 1;
        }
        if (pipe2(cpipe, O_CLOEXEC) < 0) {
            perror("burrow-jailer: pipe");
            return 1;
        }
    }

    /* A new session: a Ctrl-C on a foreground burrowd never reaches the VMM. This fails only
     * if we already lead a process group; then the child starts the new session instead. */
    int own_session = setsid() >= 0;
    if (!own_session && errno != EPERM) {
        perror("burrow-jailer: setsid");
        return 1;
    }
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGPIPE, SIG_IGN);

    /* Block SIGTERM until the child pid is known, so it is always forwarded. */
    sigset_t term, old;
    sigemptyset(&term);
    sigaddset(&term, SIGTERM);
    sigprocmask(SIG_BLOCK, &term, &old);

    /* Only the child enters the new pid namespace (as its pid 1); the parent's pid stays. */
    if (jail.root && unshare(CLONE_NEWPID) < 0) {
        fprintf(stderr, "burrow-jailer: %s: namespaces: unshare a pid namespace: %s\n", name, strerror(errno));
        return 1;
    }

    pid_t pid = fork();
    if (pid < 0) {
        perror("burrow-jailer: fork");
        return 1;
    }
    if (pid == 0) {
        int fin = open("/dev/null", O_RDONLY);
        int fo = open(out, O_WRONLY | O_CREAT | O_APPEND, 0640);
        int fe = open(err, O_WRONLY | O_CREAT | O_APPEND, 0640);
        if (fin < 0 || fo < 0 || fe < 0) {
            /* Report where we can: the stderr file if it opened, else the jailer's stderr. */
            int e = errno;
            dprintf(fe >= 0 ? fe : 2, "burrow-jailer: %s: stdio: cannot open: %s\n", name, strerror(e));
            _exit(127);
        }
        if (dup2(fin, 0) < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(127);
        if (jail.root) {
            if (enter_jail(&jail) < 0)
                _exit(127);
        } else if (jail.netns) {
            int nfd = open(jail.netns, O_RDONLY | O_CLOEXEC);
            if (nfd < 0 || setns(nfd, CLONE_NEWNET) < 0) {
                fail(&jail, "netns", jail.netns);
                _exit(127);
            }
            close(nfd);
        }
        /* fd 3 is the console pipe's write end (dup2 clears close-on-exec) */
        if (console && (cpipe[1] == CONSOLE_FD ? fcntl(CONSOLE_FD, F_SETFD, 0)
                                               : dup2(cpipe[1], CONSOLE_FD)) < 0)
            _exit(127);
        if (!own_session)
            setsid(); /* we led a process group already: detach the VMM itself */
        close_from(console ? CONSOLE_FD + 1 : 3);
        sigset_t none;
        sigemptyset(&none);
        for (int sig = 1; sig < 65; sig++)
            if (sig != SIGKILL && sig != SIGSTOP)
                signal(sig, SIG_DFL);
        sigprocmask(SIG_SETMASK, &none, NULL);
        char *empty_env[] = { NULL };
        if (jail.root)
            execve(prog[0], prog, empty_env);
        else
            execv(prog[0], prog);
        fail(&jail, "exec", prog[0]);
        _exit(127);
    }

    child_pid = pid;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);

    unsigned long long start = 0;
    if (read_starttime(pid, &start) < 0 || write_pid_file(pidfile, pid, start) < 0) {
        fprintf(stderr, "burrow-jailer: %s: cannot write pid file %s: %s\n", name, pidfile,
                strerror(errno));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        return 1;
    }

    if (console) {
        close(cpipe[1]); /* only the VMM writes: EOF when it exits */
        ring_pump(&ring, cpipe[0]);
        close(cpipe[0]);
        if (ring.fd >= 0)
            close(ring.fd);
    }

    int st;
    for (;;) {
        pid_t w = waitpid(pid, &st, 0);
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            perror("burrow-jailer: waitpid");
            return 1;
        }
    }
    if (WIFSIGNALED(st))
        return 128 + WTERMSIG(st);
    return WEXITSTATUS(st);
}
