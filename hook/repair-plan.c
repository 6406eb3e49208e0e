/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "path-util.h"
#include "repair-plan.h"

int repair_check_where(const char *unit, const char *where, char *why, size_t size) {
        _cleanup_free_ char *expected = NULL;

        if (!path_is_normalized_absolute(where) || strcmp(where, "/") == 0) {
                snprintf(why, size, "Where= is not a normalized absolute path");
                return -EINVAL;
        }
        if (unit_name_from_path(where, ".automount", &expected) < 0 ||
            strcmp(expected, unit) != 0) {
                snprintf(why, size, "Where= does not match the unit name");
                return -EINVAL;
        }
        return 0;
}

PlanVerdict repair_plan_unit(struct libmnt_table *t, const char *where,
                             const AutofsIdentity *recorded, AutofsStack *ret_stack, char *why,
                             size_t size) {
        AutofsStack *s = ret_stack;
        int r;

        *s = (AutofsStack) {};
        r = mount_table_autofs_stack(t, where, s);
        if (r == -ENOTUNIQ) {
                snprintf(why, size, "not touched: the mounts at Where do not form one stack");
                return PLAN_NOT_TOUCHED;
        }
        if (r < 0 || !s->has_autofs) {
                snprintf(why, size, "not touched: no autofs mounted at Where");
                return PLAN_NOT_TOUCHED;
        }
        if (s->mode == AUTOFS_MODE_INDIRECT) {
                snprintf(why, size, "not touched: indirect autofs, whose mounts a restart would lose");
                return PLAN_NOT_TOUCHED;
        }
        if (s->n_on_top > 1) {
                snprintf(why, size,
                         "not touched: %u filesystems stacked on the autofs, only the topmost could be kept",
                         s->n_on_top);
                return PLAN_NOT_TOUCHED;
        }
        if (autofs_identity_equal(recorded, &(AutofsIdentity) { s->autofs_id, s->autofs_dev,
                                                                s->pipe_ino })) {
                snprintf(why, size, "already repaired for this restore");
                return PLAN_ALREADY_REPAIRED;
        }
        return PLAN_REPAIR;
}

bool repair_verify_stack(int stack_result, const AutofsStack *before, const AutofsStack *after,
                         char *why, size_t size) {
        if (stack_result < 0 || !after->has_autofs) {
                snprintf(why, size, "no autofs at Where after the restart");
                return false;
        }
        /* systemd makes a new pipe whenever it sets up the autofs: a new pipe inode is proof
         * that the autofs there is the one systemd knows. */
        if (after->pipe_ino == before->pipe_ino) {
                snprintf(why, size, "the autofs at Where was not re-created");
                return false;
        }
        if (before->n_on_top > 0 && !fs_identity_equal(&after->visible, &before->top)) {
                snprintf(why, size, "the filesystem on top is not the original one");
                return false;
        }
        return true;
}

bool repair_verify_unit(struct libmnt_table *t, const char *where, const AutofsStack *before,
                        AutofsStack *ret_after, char *why, size_t size) {
        *ret_after = (AutofsStack) {};
        return repair_verify_stack(mount_table_autofs_stack(t, where, ret_after), before, ret_after,
                                   why, size);
}
