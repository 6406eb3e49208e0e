/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "container.h"
#include "exit-status.h"
#include "options.h"
#include "repair.h"
#include "worker.h"

/* Repairs the container a front end pinned (container_pin()). Everything the engine does starts
 * here; the front ends only find and pin the container and gather the options. What the
 * container is made of is read again first, so the handle may come from before a restore. */
ExitStatus repair_container(Container *c, const RepairOptions *o);

/* The same, with a step of the caller's that runs in the worker before the repair sequence
 * (CRIU's pre-resume: taking handles on the autofs before the tasks run, then waiting for them)
 * and may fill in req->guard and req->resumed. extra_fds are kept open in the worker for it;
 * they must lie inside the container or be pipes of the caller's. */
typedef int (*RepairPrepare)(const Worker *w, RepairRequest *req, void *userdata);
ExitStatus repair_container_prepared(Container *c, const RepairOptions *o, const int *extra_fds,
                                     size_t n_extra, RepairPrepare prepare, void *userdata);

/* Only writes back the pressure triggers CRIU does not restore (see psi-rearm.h): for CRIU's
 * pre-resume step, when every task is restored and none runs yet, so that nothing ever spins. */
ExitStatus rearm_container(Container *c, const RepairOptions *o);
