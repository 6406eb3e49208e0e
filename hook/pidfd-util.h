/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

/* A pidfd pins a process: unlike its PID, it never names a later process. Returns the fd or
 * -errno (-ESRCH: no such process). */
int pidfd_open_pid(pid_t pid);

/* A pidfd polls readable once its process has exited. */
bool pidfd_running(int pidfd);   /* poll says not (yet) exited */
bool pidfd_exited(int pidfd);    /* poll says exited */
