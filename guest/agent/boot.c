/* PID 1 boot: early mounts, kernel modules, root disk, switch root, basic /dev and lo. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

#define RAMFS_MAGIC_ 0x858458f6
#define TMPFS_MAGIC_ 0x01021994
#define ROOT_WAIT_MS 10000

static char opt_root[256] = "/dev/vda";
static char opt_fstype[64] = "ext4";
static char opt_flags[512] = "";
static char opt_port[128] = "burrow.agent";

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

static void __attribute__((noreturn)) fatal(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    log_msg("fatal: %s; powering off", buf);
    sync();
    reboot(RB_POWER_OFF);
    for (;;)
        pause();
}

static void mkdir_quiet(const char *path, mode_t mode)
{
    if (mkdir(path, mode) < 0 && errno != EEXIST)
        log_msg("mkdir %s: %s", path, strerror(errno));
}

static int do_mount(const char *src, const char *dst, const char *type, unsigned long flags,
                    const char *data)
{
    if (mount(src, dst, type, flags, data) < 0 && errno != EBUSY) {
        log_msg("mount %s on %s (%s): %s", src, dst, type ? type : "-", strerror(errno));
        return -1;
    }
    return 0;
}

/* Reads a whole small file into a NUL-terminated heap buffer (at most max bytes). */
static char *read_small(const char *path, size_t max)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    char *buf = malloc(max + 1);
    size_t len = 0;
    if (buf) {
        while (len < max) {
            ssize_t r = read(fd, buf + len, max - len);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            len += (size_t)r;
        }
        buf[len] = 0;
    }
    close(fd);
    return buf;
}

static void load_modules(void)
{
    char *list = read_small("/burrow/modules.order", 1 << 20);
    if (!list)
        return;
    int loaded = 0;
    for (char *line = list; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t n = strlen(p);
        while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
            p[--n] = 0;
        if (n && p[0] != '#') {
            int fd = open(p, O_RDONLY | O_CLOEXEC);
            if (fd < 0) {
                log_msg("module %s: %s", p, strerror(errno));
            } else {
                if (syscall(SYS_finit_module, fd, "", 0) < 0) {
                    if (errno != EEXIST)
                        log_msg("module %s: %s", p, strerror(errno));
                } else {
                    loaded++;
                }
                close(fd);
            }
        }
        line = nl ? nl + 1 : NULL;
    }
    free(list);
    log_msg("loaded %d kernel modules", loaded);
}

static void set_opt(char *dst, size_t cap, const char *val)
{
    size_t n = strlen(val);
    if (n >= cap) {
        log_msg("kernel parameter value too long, ignored: %.40s...", val);
        return;
    }
    memcpy(dst, val, n + 1);
}

static void parse_cmdline(void)
{
    char *cl = read_small("/proc/cmdline", 4096);
    if (!cl)
        return;
    char *save = NULL;
    for (char *tok = strtok_r(cl, " \t\n", &save); tok; tok = strtok_r(NULL, " \t\n", &save)) {
        if (strncmp(tok, "burrow.root=", 12) == 0)
            set_opt(opt_root, sizeof opt_root, tok + 12);
        else if (strncmp(tok, "burrow.rootfstype=", 18) == 0)
            set_opt(opt_fstype, sizeof opt_fstype, tok + 18);
        else if (strncmp(tok, "burrow.rootflags=", 17) == 0)
            set_opt(opt_flags, sizeof opt_flags, tok + 17);
        else if (strncmp(tok, "burrow.port=", 12) == 0)
            set_opt(opt_port, sizeof opt_port, tok + 12);
    }
    free(cl);
}

/* Deletes the initramfs' files (frees their memory): only entries on device `dev`, never
 * descending into another mount. */
static void rm_samedev(int dirfd, dev_t dev, int depth)
{
    if (depth > 32)
        return;
    DIR *d = fdopendir(dirfd);
    if (!d) {
        close(dirfd);
        return;
    }
    struct dirent *e;
    while ((e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        struct stat st;
        if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_dev != dev)
            continue;
        if (S_ISDIR(st.st_mode)) {
            int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                rm_samedev(sub, dev, depth + 1);
            unlinkat(dirfd, e->d_name, AT_REMOVEDIR); /* fails harmlessly for mount points */
        } else {
            unlinkat(dirfd, e->d_name, 0);
        }
    }
    closedir(d);
}

static void free_initramfs(void)
{
    struct statfs sfs;
    struct stat st;
    if (statfs("/", &sfs) < 0 || stat("/", &st) < 0)
        return;
    if ((unsigned long)sfs.f_type != RAMFS_MAGIC_ && (unsigned long)sfs.f_type != TMPFS_MAGIC_)
        return; /* never delete anything on a real disk */
    int fd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
        rm_samedev(fd, st.st_dev, 0);
}

static void switch_root(void)
{
    static const char *const moves[] = { "/dev", "/proc", "/sys" };
    char dst[64];

    free_initramfs();
    for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++) {
        snprintf(dst, sizeof dst, "/newroot%s", moves[i]);
        mkdir_quiet(dst, 0755);
        if (mount(moves[i], dst, NULL, MS_MOVE, NULL) < 0)
            log_msg("move %s to %s: %s", moves[i], dst, strerror(errno));
    }
    if (chdir("/newroot") < 0)
        fatal("chdir /newroot: %s", strerror(errno));
    if (mount(".", "/", NULL, MS_MOVE, NULL) < 0)
        fatal("move /newroot to /: %s", strerror(errno));
    if (chroot(".") < 0)
        fatal("chroot: %s", strerror(errno));
    if (chdir("/") < 0)
        fatal("chdir /: %s", strerror(errno));
}

static void symlink_if_absent(const char *target, const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0 && symlink(target, path) < 0)
        log_msg("symlink %s: %s", path, strerror(errno));
}

static void setup_newroot(void)
{
    mkdir_quiet("/dev/pts", 0755);
    do_mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
             "newinstance,ptmxmode=0666,mode=0620");
    symlink_if_absent("pts/ptmx", "/dev/ptmx");
    symlink_if_absent("/proc/self/fd", "/dev/fd");
    symlink_if_absent("/proc/self/fd/0", "/dev/stdin");
    symlink_if_absent("/proc/self/fd/1", "/dev/stdout");
    symlink_if_absent("/proc/self/fd/2", "/dev/stderr");

    struct stat st;
    if (mkdir("/dev/shm", 01777) == 0 || (stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode)))
        do_mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777");
    if (mkdir("/run", 0755) == 0 || (stat("/run", &st) == 0 && S_ISDIR(st.st_mode)))
        do_mount("tmpfs", "/run", "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755");

    /* Loopback up; Linux assigns 127.0.0.1/8 to lo itself once it is up. */
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s >= 0) {
        struct ifreq ifr;
        memset(&ifr, 0, sizeof ifr);
        strcpy(ifr.ifr_name, "lo");
        if (ioctl(s, SIOCGIFFLAGS, &ifr) < 0) {
            log_msg("lo: SIOCGIFFLAGS: %s", strerror(errno));
        } else {
            ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
            if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
                log_msg("lo: SIOCSIFFLAGS: %s", strerror(errno));
        }
        close(s);
    }
}

int boot_init(void)
{
    mkdir_quiet("/dev", 0755);
    mkdir_quiet("/proc", 0555);
    mkdir_quiet("/sys", 0555);
    do_mount("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    do_mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);
    do_mount("sysfs", "/sys", "sysfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL);

    /* fds 0-2 on the console (the kernel opens them only if /dev/console existed). */
    for (int fd = 0; fd < 3; fd++) {
        if (fcntl(fd, F_GETFD) < 0) {
            int c = open("/dev/console", O_RDWR | O_NOCTTY);
            if (c < 0)
                c = open("/dev/null", O_RDWR);
            if (c >= 0 && c != fd) {
                dup2(c, fd);
                close(c);
            }
        }
    }
    int con = open("/dev/console", O_WRONLY | O_NOCTTY | O_CLOEXEC);
    log_set_fd(con >= 0 ? con : 2);
    log_msg("version %s booting", AGENT_VERSION);

    load_modules();
    parse_cmdline();
    A.port_name = opt_port;

    struct stat st;
    int64_t deadline = now_ms() + ROOT_WAIT_MS;
    while (stat(opt_root, &st) < 0) {
        if (now_ms() >= deadline)
            fatal("root device %s did not appear within %d ms", opt_root, ROOT_WAIT_MS);
        sleep_ms(10);
    }
    mkdir_quiet("/newroot", 0755);
    if (mount(opt_root, "/newroot", opt_fstype, 0, opt_flags[0] ? opt_flags : NULL) < 0)
        fatal("mount %s (%s, flags '%s') on /newroot: %s", opt_root, opt_fstype, opt_flags,
              strerror(errno));
    switch_root();
    setup_newroot();
    return 0;
}

int open_port(const char *name, int wait_ms)
{
    int64_t deadline = now_ms() + wait_ms;
    for (;;) {
        DIR *d = opendir("/sys/class/virtio-ports");
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (e->d_name[0] == '.' || strlen(e->d_name) > 64)
                    continue;
                char path[320];
                snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
                char *nm = read_small(path, 256);
                if (!nm)
                    continue;
                nm[strcspn(nm, "\n")] = 0;
                int match = strcmp(nm, name) == 0;
                free(nm);
                if (!match)
                    continue;
                snprintf(path, sizeof path, "/dev/%s", e->d_name);
                int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
                if (fd >= 0) {
                    closedir(d);
                    log_msg("port %s is %s", name, path);
                    return fd;
                }
            }
            closedir(d);
        }
        if (now_ms() >= deadline)
            return -1;
        sleep_ms(20);
    }
}
