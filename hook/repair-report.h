/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "repair-unit.h"
#include "repair.h"

/* How a run ends: a line per unit and a summary in the log, the outcome, and the new record
 * for the caller. */

/* Hands the new record to the caller, which alone holds the host file. After a repair it names
 * the units repaired; otherwise (full == false) what earlier runs recorded stays. Either way it
 * names the stashes that still hold trees. */
int write_record(Repair *rp, bool full);

/* A run that restarted nothing (a dry run, or no unit needs it; pending: how many would have
 * been): reports each unit and says how the run ended. */
RepairResult report_without_restart(const Repair *rp, size_t pending);

/* After the restarts: reports each unit, sums up, records the repair and says how it ended. */
RepairResult report_repair(Repair *rp);
