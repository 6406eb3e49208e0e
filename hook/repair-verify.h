/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

#include "repair-unit.h"

/* Judging the restarts and what they left at each Where=: a unit that fails a check is marked
 * UNIT_FAILED with the reason; one that passes them all is UNIT_REPAIRED. */

/* Whether the unit's restart job ran: if not, the unit has failed, and why. */
bool unit_job_ran(UnitRepair *u);

/* "done" says the job ran, not that the unit is up: ActiveState of every pending unit, all
 * asked at once. */
void check_units_active(Repair *rp);

/* Looks at each pending unit's Where= after the restart and the put-back (repair-plan.h
 * judges what is found there). */
void verify_units(Repair *rp);
