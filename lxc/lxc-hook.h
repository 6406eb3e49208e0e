/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "exit-status.h"
#include "options.h"

/* Runs as an LXC hook (lxc.hook.version 0: NAME SECTION TYPE as arguments; 1: LXC_* in the
 * environment). */
ExitStatus lxc_hook_run(int argc, char **argv, const RepairOptions *o);
