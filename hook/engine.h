/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "container.h"
#include "exit-status.h"
#include "options.h"

/* Repairs the container a front end pinned (container_pin()). Everything the engine does starts
 * here; the front ends only find and pin the container and gather the options. What the
 * container is made of is read again first, so the handle may come from before a restore. */
ExitStatus repair_container(Container *c, const RepairOptions *o);

/* Only writes back the pressure triggers CRIU does not restore (see psi-rearm.h): for CRIU's
 * pre-resume step, when every task is restored and none runs yet, so that nothing ever spins. */
ExitStatus rearm_container(Container *c, const RepairOptions *o);
