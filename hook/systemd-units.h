/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "systemd-bus.h"

/* What the engine asks of the container's systemd over the bus of systemd-bus.h: which
 * automount units there are, and their properties. Restarts are in systemd-jobs.h. */

typedef struct AutomountUnitInfo {
        char *name;
        char *object_path;
        char *active_state;
} AutomountUnitInfo;

void automount_unit_info_free_array(AutomountUnitInfo *a, size_t n);

/* Every loaded *.automount unit, whatever its state. */
int systemd_list_automounts(sd_bus *bus, usec_t deadline, AutomountUnitInfo **ret, size_t *ret_n);

/* One string property of one unit, as asked and as answered. */
typedef struct PropertyQuery {
        const char *object_path;
        char *value;            /* the answer, when there is one */
        int error;              /* why there is none: a negative errno */
        bool done;
} PropertyQuery;

void property_query_done(PropertyQuery *q);

/* Reads one string property of many units: every call goes out at once and the answers are
 * collected as they come, so N units cost one round trip, not N. Each query gets its value or
 * its error; returns negative only when the bus failed or the deadline passed. */
int systemd_get_units_property(sd_bus *bus, PropertyQuery *queries, size_t n, const char *interface,
                               const char *property, usec_t deadline);
