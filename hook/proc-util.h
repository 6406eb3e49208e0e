/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Facts about processes from the host's /proc, read without executing anything. Everything
 * read here comes from processes we do not control: bounded reads, nothing parsed beyond what
 * the callers decide on. */

/* The kernel's PID_MAX_LIMIT: no PID is larger on any configuration. */
#define PID_MAX_LIMIT 4194304

/* Opens /proc/PID as a directory. With a pidfd of the process (>= 0), the directory is checked
 * to be that process's: -ESRCH once it has exited, even if its PID names another one now. */
int proc_open_pid(pid_t pid, int pidfd);

/* Reads a small file below /proc/PID; returns its length. */
int proc_read_small_file(int proc_fd, const char *name, char *buf, size_t size);

/* Fields of the text of /proc/PID/stat and /proc/PID/status. */
int proc_parse_start_time(const char *stat_line, uint64_t *ret);
/* utime + stime, in clock ticks. */
int proc_parse_cpu_ticks(const char *stat_line, uint64_t *ret);
/* TracerPid: non-zero while CRIU restores the process. */
int proc_parse_tracer_pid(const char *status, pid_t *ret);

/* The children of pid, from /proc/PID/task/TID/children of each of its threads. */
int proc_children(pid_t pid, pid_t **ret, size_t *ret_n);

/* /proc/PID/cmdline, NUL-separated; returns its length. */
int proc_cmdline(int proc_fd, char *buf, size_t size);

/* The target of /proc/PID/exe. */
int proc_exe_path(int proc_fd, char *buf, size_t size);

/* The real and effective UIDs of the process. */
int proc_uids(int proc_fd, uid_t *ret_ruid, uid_t *ret_euid);
