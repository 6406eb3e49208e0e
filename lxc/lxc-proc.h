/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <dirent.h>
#include <stddef.h>
#include <sys/types.h>

#include "lxc-detect.h"
#include "proc-util.h"

/* What the LXC front end reads about LXC's processes; the generic /proc code is in
 * proc-util.h. */

/* The namespaces, executable and tracer of the process whose /proc directory is proc_fd. Fields
 * that cannot be read (a process in the middle of an exec, or exiting) are left 0/false. */
int lxc_process_read(int proc_fd, pid_t pid, LxcProcess *ret);

/* The init of the container run by the monitor process: its only child in another PID
 * namespace. -ENOENT if there is none (yet), -ENOTUNIQ if there are several. */
int lxc_monitor_init(pid_t monitor, pid_t *ret_init);
