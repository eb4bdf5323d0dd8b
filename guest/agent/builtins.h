/* Builtin commands: file operations (SPEC §3 files API) and the guest's network setup
 * (`net`, netcfg.h) the agent runs itself, in a forked child, instead of exec'ing a program
 * the image may not have. An EXEC with flag
 * EXEC_F_BUILTIN names one in argv[0]; the child has already taken the user's uid, gids and
 * cwd and has its stdin, stdout and stderr on the stream's pipes (fds 0, 1, 2), exactly as an
 * exec'd program would. The return value is the exit code reported in EXIT.
 *
 * Contract between exec.c (which forks and calls) and builtins.c (which implements):
 *  - builtin_known(name) is asked in the parent before forking: 0 means the agent answers
 *    ERROR "unknown builtin" instead of starting anything;
 *  - builtin_main() runs in the child and must not return to the agent's loop: exec.c calls
 *    _exit() with what it returns. */
#ifndef BURROW_BUILTINS_H
#define BURROW_BUILTINS_H

/* The warm-up builtin (a wire name: the host's QemuHypervisor.WARM_UP_BUILTIN, compared by
 * AgentWireConstantsTest). A standby runs it as root before it is paused so that the guest
 * kernel's fork, execve, ELF load and exit paths are translated (under TCG) before its claim,
 * and leaves nothing a fresh restore would not show: its child execve()s the agent's own binary
 * (/proc/self/exe, present whatever the image holds) with WARM_UP_ARG, and that process writes
 * its own pid - 1 to NS_LAST_PID and exits. The builtin's fork took pid P + 1 (the execve keeps
 * it), so the kernel's last pid is P again: the next process the guest starts gets P + 1, the
 * pid it gets after a fresh restore. */
#define BUILTIN_WARM_UP "warm-up"
#define WARM_UP_ARG "--warm-up"
#define NS_LAST_PID "/proc/sys/kernel/ns_last_pid"

int builtin_known(const char *name);
int builtin_main(int argc, char **argv);

/* What the agent's binary does when started with WARM_UP_ARG: writes getpid() - 1 to the file
 * ns_last_pid (NS_LAST_PID in the guest; the tests give another). Returns the exit code: 0, or
 * fs_fail's for the error (its message on stderr). */
int warm_up_give_back_pid(const char *ns_last_pid);

#endif
