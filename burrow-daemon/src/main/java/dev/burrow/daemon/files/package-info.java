/**
 * How burrowd's files are protected on the host: a process umask of 077 set before anything is
 * created (QEMU and the jailer inherit it), the data directory 0700, and files left readable by
 * an older version tightened at start.
 */
package dev.burrow.daemon.files;
