/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "exit-status.h"
#include "options.h"

/* Repairs the automounts of the container whose init has this host PID. Everything the engine
 * does starts here; the front ends only find the PID and the options. */
ExitStatus repair_container(pid_t pid, const RepairOptions *o);
