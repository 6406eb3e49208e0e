/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "autofs-guard.h"

/* Shared by autofs-guard.c (the handles, the release in the main namespace) and
 * autofs-nested.c (the copies in the container's other mount namespaces). */

GuardedAutofs *autofs_guard_find(const AutofsGuard *g, dev_t dev);
/* The guarded autofs whose restart put the autofs with device dev in its place. */
GuardedAutofs *autofs_guard_find_new(const AutofsGuard *g, dev_t dev);
/* /dev/autofs, or -ENODEV when it could not be opened. */
int autofs_guard_control(const AutofsGuard *g);
const char *guarded_autofs_label(const GuardedAutofs *a);

typedef enum CopyAction {
        COPY_SCAN,      /* count and report */
        COPY_RELEASE,   /* after the repair: act by the policy */
} CopyAction;

/* The peer group of each guarded autofs's parent mount in the main namespace. */
void autofs_guard_read_main_groups(AutofsGuard *g);
/* Walks the copies of guarded autofs in each nested namespace, and always comes back to the
 * main one. */
void autofs_guard_walk_nested(AutofsGuard *g, CopyAction action);
