/* The `net` builtin (see builtins.h): gives an interface its IPv4 address and the guest its
 * default route and resolver by ioctl and a file write, so an image without `ip` gets a network.
 *
 *   net IFACE ADDRESS/PREFIX GATEWAY NAMESERVER
 *
 * Every argument is checked before anything changes (a bad one exits FS_EXIT_USAGE, an unknown
 * interface FS_EXIT_NOT_FOUND). The interface goes up with ADDRESS as its primary address
 * (replacing an earlier one), every default route is replaced by one via GATEWAY, and
 * /etc/resolv.conf becomes "nameserver NAMESERVER" (written beside it and renamed over it, so a
 * symlink is replaced, not followed). Running it again on a configured guest (a resume, a fork)
 * replaces what the earlier run set. */
#ifndef BURROW_NETCFG_H
#define BURROW_NETCFG_H

int net_builtin(int argc, char **argv);

#endif
