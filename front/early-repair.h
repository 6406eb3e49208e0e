/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "container.h"
#include "exit-status.h"
#include "options.h"

/* The repair as CRIU action script, started at pre-resume: every task is restored and none runs,
 * so nothing can wait on an autofs yet and a handle can be taken on each (see autofs-guard.h).
 * A detached process, the early repairer, takes them (in its worker), tells us, and returns us
 * to CRIU; it then waits for the tasks to run and repairs at once, holding the container's
 * record lock from the start, and makes the old autofs catatonic: whatever blocked in between
 * returns. Never fails the restore: problems are logged and the post-resume run repairs as
 * before. */
ExitStatus early_repair_start(Container *c, const RepairOptions *o);

/* For the post-resume run: waits until the early repairer started at pre-resume is done and
 * prints what it logged, so that it shows up where the runtime keeps CRIU's output. */
void early_repair_collect(Container *c, const RepairOptions *o);
