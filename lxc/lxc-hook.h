/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "exit-status.h"
#include "options.h"

/* How long the watcher left by the pre-start hook waits for CRIU to finish restoring the
 * container before it gives up: restoring a large memory image can take minutes. */
#define LXC_RESTORE_WAIT_SEC 600

/* Runs as an LXC hook (lxc.hook.version 0: NAME SECTION TYPE in args; 1: LXC_* in envp).
 * pre-start during a restore leaves a detached process, the watcher, that repairs the container once CRIU has
 * resumed it, logging to the journal and, if log_file is set, to that file. Every other hook
 * type, and pre-start of a normal start, does nothing. o->container_name is set from LXC_NAME. */
ExitStatus lxc_hook_run(int n_args, char **args, char **envp, RepairOptions *o, const char *log_file);

/* CRIU action-script mode (lxc-checkpoint -r -A, or action-script in a CRIU config file):
 * repairs at post-resume, with LXC_NAME, which CRIU inherits from lxc-checkpoint, in the log. */
ExitStatus lxc_action_script_run(char **envp, RepairOptions *o);

/* Manual mode: finds the running container NAME from the title of its monitor process
 * ("[lxc monitor] LXCPATH NAME"; lxcpath NULL: any) and repairs its init. */
ExitStatus lxc_repair_by_name(const char *name, const char *lxcpath, RepairOptions *o);
