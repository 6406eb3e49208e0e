/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Starts fn in a process that outlives the caller and everything that waits for it: a hook's
 * runtime waits for the hook's stdout/stderr to close and may kill the hook's process group at
 * its timeout, so the process gets a session of its own, /dev/null as stdio and no other
 * inherited fd (keep_fds excepted). Its log lines go to the journal and, if log_file is set, to
 * that file. Returns once the process is set up, with its PID; a process that could not set up
 * (e.g. open log_file) is an error here, not a silent exit.
 *
 * Two detached processes use it: the watcher of the hook modes, which waits for CRIU to resume
 * the container and then repairs, and the early repairer of CRIU's pre-resume (early-repair.h). */
int detach_process(int (*fn)(void *userdata), void *userdata, const int *keep_fds, size_t n_keep,
                   const char *log_file, pid_t *ret_pid);
