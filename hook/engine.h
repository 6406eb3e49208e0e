/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

#include "exit-status.h"
#include "options.h"

/* Repairs the automounts of the container whose init has this host PID. Everything the engine
 * does starts here; the front ends only find the PID and the options. */
ExitStatus repair_container(pid_t pid, const RepairOptions *o);

/* Only writes back the pressure triggers CRIU does not restore (see psi-rearm.h): for CRIU's
 * pre-resume step, when every task is restored and none runs yet, so that nothing ever spins. */
ExitStatus rearm_container(pid_t pid, const RepairOptions *o);
