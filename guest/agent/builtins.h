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

int builtin_known(const char *name);
int builtin_main(int argc, char **argv);

#endif
