/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>

#include "mount-table.h"
#include "record.h"

/* The engine's per-unit decisions, as pure functions of what the container's systemd said and what
 * its mount table shows, so that each can be tested on a mountinfo text. */

/* Whether Where= (from the container) is a path and the one the unit name stands for, the way
 * systemd itself requires (the unit name is the escaped path). 0, or -EINVAL with why filled. */
int repair_check_where(const char *unit, const char *where, char *why, size_t size);

typedef enum PlanVerdict {
        PLAN_REPAIR,                    /* restart the unit */
        PLAN_ALREADY_REPAIRED,          /* the recorded autofs is still there */
        PLAN_NOT_TOUCHED,               /* a shape we leave alone; why says which */
} PlanVerdict;

/* Plans one active unit from the mounts at where and the autofs an earlier run recorded for it
 * (NULL: none). ret_stack receives the mounts at where. */
PlanVerdict repair_plan_unit(struct libmnt_table *t, const char *where,
                             const AutofsIdentity *recorded, AutofsStack *ret_stack, char *why,
                             size_t size);

/* Judges one restarted unit from the mounts found at its Where= (stack_result: how finding them
 * went, 0 or a negative errno): a new autofs there, and the original filesystem back on top of it
 * if there was one. true, or false with why filled. */
bool repair_verify_stack(int stack_result, const AutofsStack *before, const AutofsStack *after,
                         char *why, size_t size);

/* Judges one restarted unit: a new autofs at where, and the original filesystem back on top of it
 * if there was one. true, or false with why filled. ret_after receives the mounts at where. */
bool repair_verify_unit(struct libmnt_table *t, const char *where, const AutofsStack *before,
                        AutofsStack *ret_after, char *why, size_t size);
