/* The `net` builtin: see netcfg.h. */
#include "netcfg.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/route.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fs_util.h"

#define RESOLV_CONF "/etc/resolv.conf"
#define RESOLV_NEW "/etc/resolv.conf.burrow"
#define MAX_DEFAULT_ROUTES 64 /* how many earlier default routes one run removes */
#define USAGE "usage: net IFACE ADDRESS/PREFIX GATEWAY NAMESERVER"

static int parse_addr(const char *s, struct in_addr *a)
{
    return inet_pton(AF_INET, s, a) == 1 ? 0 : -1;
}

/* "a.b.c.d/n" with n in 0..32. */
static int parse_cidr(const char *s, struct in_addr *a, int *prefix)
{
    const char *slash = strchr(s, '/');
    if (!slash || slash == s || slash - s >= INET_ADDRSTRLEN || !slash[1])
        return -1;
    char ip[INET_ADDRSTRLEN];
    memcpy(ip, s, (size_t)(slash - s));
    ip[slash - s] = 0;
    char *end;
    errno = 0;
    long n = strtol(slash + 1, &end, 10);
    if (errno || *end || n < 0 || n > 32)
        return -1;
    *prefix = (int)n;
    return parse_addr(ip, a);
}

static void put_sin(struct sockaddr *sa, struct in_addr a)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr = a};
    memcpy(sa, &sin, sizeof sin);
}

static int fail_fd(int fd, const char *what, int err)
{
    close(fd);
    return fs_fail("net", what, err);
}

static int write_resolver(const char *nameserver)
{
    int fd = open(RESOLV_NEW, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd < 0)
        return fs_fail("net", RESOLV_NEW, errno);
    char line[64];
    int n = snprintf(line, sizeof line, "nameserver %s\n", nameserver);
    /* no fsync: every restore writes it again, and a flush through the disk costs a TCG guest ~100 ms */
    if (fs_write_all(fd, line, (size_t)n) < 0) {
        int err = errno;
        close(fd);
        unlink(RESOLV_NEW);
        return fs_fail("net", RESOLV_NEW, err);
    }
    close(fd);
    if (rename(RESOLV_NEW, RESOLV_CONF) < 0) {
        int err = errno;
        unlink(RESOLV_NEW);
        return fs_fail("net", RESOLV_CONF, err);
    }
    return FS_EXIT_OK;
}

int net_builtin(int argc, char **argv)
{
    struct in_addr addr, gateway, nameserver, any = {0};
    int prefix;
    if (argc != 5 || !argv[1][0] || strlen(argv[1]) >= IFNAMSIZ || parse_cidr(argv[2], &addr, &prefix) < 0
        || parse_addr(argv[3], &gateway) < 0 || parse_addr(argv[4], &nameserver) < 0)
        return fs_fail_msg("net", USAGE, FS_EXIT_USAGE);
    const char *iface = argv[1];

    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return fs_fail("net", "socket", errno);
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, iface, strlen(iface));
    if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return fail_fd(fd, iface, errno == ENODEV ? ENOENT : errno);
    ifr.ifr_flags |= IFF_UP;
    if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0)
        return fail_fd(fd, "link up", errno);
    put_sin(&ifr.ifr_addr, addr);
    if (ioctl(fd, SIOCSIFADDR, &ifr) < 0)
        return fail_fd(fd, "address", errno);
    struct in_addr mask = {htonl(prefix ? 0xFFFFFFFFu << (32 - prefix) : 0)};
    put_sin(&ifr.ifr_netmask, mask);
    if (ioctl(fd, SIOCSIFNETMASK, &ifr) < 0)
        return fail_fd(fd, "netmask", errno);

    struct rtentry rt;
    for (int i = 0; i < MAX_DEFAULT_ROUTES; i++) {
        memset(&rt, 0, sizeof rt);
        put_sin(&rt.rt_dst, any);
        put_sin(&rt.rt_genmask, any);
        if (ioctl(fd, SIOCDELRT, &rt) < 0)
            break; /* ESRCH: none left */
    }
    memset(&rt, 0, sizeof rt);
    put_sin(&rt.rt_dst, any);
    put_sin(&rt.rt_genmask, any);
    put_sin(&rt.rt_gateway, gateway);
    rt.rt_flags = RTF_UP | RTF_GATEWAY;
    rt.rt_dev = (char *)iface;
    if (ioctl(fd, SIOCADDRT, &rt) < 0)
        return fail_fd(fd, "default route", errno);
    close(fd);
    return write_resolver(argv[4]);
}
