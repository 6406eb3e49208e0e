/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "nested-ns.h"
#include "options.h"
#include "worker.h"

/* The autofs a repair replaces, held from before the restart until after it.
 *
 * A unit's restart makes systemd close the old autofs's pipe and mount a new one, but the old
 * superblock lives on: processes that blocked on it before the restart wait forever, and its
 * copies in mount namespaces that receive no mount events from the main one (PrivateTmp=
 * services, unshare -m) keep a pipe nobody reads, which CRIU refuses to dump. A handle taken on
 * the old autofs before the restart (see autofs-dev.h: only possible while nothing waits on it)
 * lets us make it catatonic afterwards, which releases both.
 *
 * Runs in the worker, in the container's main mount namespace; it enters the nested ones and
 * always comes back. */
typedef struct GuardedAutofs {
        char *unit;             /* NULL while no unit claimed it */
        char *where;            /* in the main namespace */
        dev_t dev;
        int handle;             /* -EBADF: none */
        int handle_error;       /* why there is none; 0: not tried yet */
        unsigned parent_group;  /* peer group of its parent mount in the main namespace, 0: private */
        bool replaced;          /* the unit's restart put a new autofs at where */
        dev_t new_dev;
        unsigned n_private_copies;
        unsigned n_propagated_copies;
} GuardedAutofs;

typedef struct AutofsGuard {
        const Worker *worker;
        const NestedNamespaces *nested;
        NestedPolicy policy;
        bool dry_run;
        int control_fd;
        GuardedAutofs *autofs;
        size_t n;
} AutofsGuard;

/* control_fd: /dev/autofs, opened on the host (autofs_dev_open()); borrowed. */
void autofs_guard_init(AutofsGuard *g, const Worker *w, int control_fd,
                       const NestedNamespaces *nested, NestedPolicy policy, bool dry_run);
void autofs_guard_done(AutofsGuard *g);

/* A handle on every autofs of the main namespace: for CRIU's pre-resume step, when no task runs
 * and systemd cannot be asked which units there are. Returns how many were taken. */
int autofs_guard_hold_all(AutofsGuard *g);

/* A handle on the autofs of one unit (kept if one was taken earlier). A failure is remembered
 * and reported, not returned: the repair goes on without it. */
void autofs_guard_hold(AutofsGuard *g, const char *unit, const char *where, dev_t dev);

/* Enters every nested mount namespace and counts the copies of each held autofs there, with or
 * without propagation from the main namespace. Logs one line per namespace holding copies. */
void autofs_guard_scan_nested(AutofsGuard *g);

/* Copies of the unit's autofs in namespaces that receive no mount events; 0 if none. */
unsigned autofs_guard_private_copies(const AutofsGuard *g, dev_t dev);

/* The restart of the unit whose autofs was dev replaced it by new_dev. */
void autofs_guard_replaced(AutofsGuard *g, dev_t dev, dev_t new_dev);

/* After the repair: makes every replaced autofs catatonic, then deals with the copies left in
 * nested namespaces by the policy. Returns how many replaced autofs could not be released. */
int autofs_guard_release(AutofsGuard *g);
