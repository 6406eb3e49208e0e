/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* Starts fn in a process that outlives the caller and everything that waits for it: a hook's
 * runtime waits for the hook's stdout/stderr to close and may kill the hook's process group at
 * its timeout, so the worker gets a session of its own, /dev/null as stdio and no other
 * inherited fd (keep_fd excepted, -1 for none). Its log lines go to the journal and, if
 * log_file is set, to that file. Returns once the worker is set up, with its PID; a worker
 * that could not set up (e.g. open log_file) is an error here, not a silent exit. */
int detach_worker(int (*fn)(void *userdata), void *userdata, int keep_fd, const char *log_file,
                  pid_t *ret_pid);
