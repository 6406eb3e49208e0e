/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

#include "lxc-detect.h"

/* Facts about processes from the host's /proc, read without executing anything. Everything
 * read here comes from processes we do not control: bounded reads, no parsing beyond what
 * lxc-detect.h decides on. */

static inline void closedirp(DIR **d) {
        if (*d)
                (void) closedir(*d);
}

/* Opens /proc/PID as a directory fd. -ESRCH if there is no such process. */
int proc_open(pid_t pid);

/* The namespaces, executable and tracer of the process whose /proc directory is proc_fd. Fields
 * that cannot be read (a process in the middle of an exec, or exiting) are left 0/false. */
int lxc_process_read(int proc_fd, pid_t pid, LxcProcess *ret);

/* The children of pid, from /proc/PID/task/TID/children of each of its threads. */
int proc_children(pid_t pid, pid_t **ret, size_t *ret_n);

/* /proc/PID/cmdline, NUL-separated; returns its length. */
int proc_cmdline(int proc_fd, char *buf, size_t size);

/* The target of /proc/PID/exe. */
int proc_exe_path(int proc_fd, char *buf, size_t size);

/* The real and effective UIDs of the process. */
int proc_uids(int proc_fd, uid_t *ret_ruid, uid_t *ret_euid);

/* The init of the container run by the monitor process: its only child in another PID
 * namespace. -ENOENT if there is none (yet), -ENOTUNIQ if there are several. */
int lxc_monitor_init(pid_t monitor, pid_t *ret_init);
