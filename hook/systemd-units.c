/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "macro.h"
#include "systemd-units.h"

/* Untrusted peer: a container's systemd could answer with anything, so bound what we keep. */
#define MAX_AUTOMOUNT_UNITS 4096

static void sd_bus_error_freep(sd_bus_error *e) {
        sd_bus_error_free(e);
}
#define _cleanup_bus_error_ _cleanup_(sd_bus_error_freep)

void automount_unit_info_free_array(AutomountUnitInfo *a, size_t n) {
        for (size_t i = 0; i < n && a; i++) {
                free(a[i].name);
                free(a[i].object_path);
                free(a[i].active_state);
        }
        free(a);
}

int systemd_list_automounts(sd_bus *bus, usec_t deadline, AutomountUnitInfo **ret, size_t *ret_n) {
        _cleanup_(sd_bus_message_unrefp) sd_bus_message *reply = NULL, *call = NULL;
        _cleanup_bus_error_ sd_bus_error error = SD_BUS_ERROR_NULL;
        AutomountUnitInfo *units = NULL;
        size_t n = 0;
        const char *name, *active, *path;
        int r;

        r = bus_set_call_timeout(bus, deadline);
        if (r < 0)
                return r;

        r = sd_bus_message_new_method_call(bus, &call, SYSTEMD_SERVICE, SYSTEMD_PATH,
                                           SYSTEMD_MANAGER, "ListUnitsByPatterns");
        if (r < 0)
                return r;
        r = sd_bus_message_append_strv(call, NULL); /* every state */
        if (r < 0)
                return r;
        r = sd_bus_message_append(call, "as", 1, "*.automount");
        if (r < 0)
                return r;

        r = bus_call_bounded(bus, call, deadline, &error, &reply);
        if (r < 0)
                return log_debug_errno(r, "ListUnitsByPatterns failed: %s", error.message ?: "?");

        r = sd_bus_message_enter_container(reply, 'a', "(ssssssouso)");
        if (r < 0)
                return r;

        while ((r = sd_bus_message_read(reply, "(ssssssouso)", &name, NULL, NULL, &active, NULL,
                                        NULL, &path, NULL, NULL, NULL)) > 0) {
                AutomountUnitInfo *nu;

                if (n >= MAX_AUTOMOUNT_UNITS) {
                        r = -E2BIG;
                        break;
                }
                nu = realloc(units, (n + 1) * sizeof *units);
                if (!nu) {
                        r = -ENOMEM;
                        break;
                }
                units = nu;
                units[n] = (AutomountUnitInfo) {
                        .name = strdup(name),
                        .object_path = strdup(path),
                        .active_state = strdup(active),
                };
                n++;
                if (!units[n - 1].name || !units[n - 1].object_path || !units[n - 1].active_state) {
                        r = -ENOMEM;
                        break;
                }
        }
        if (r < 0) {
                automount_unit_info_free_array(units, n);
                return r;
        }

        *ret = units;
        *ret_n = n;
        return 0;
}

typedef struct QueryBatch {
        size_t pending;
} QueryBatch;

typedef struct QueryCall {
        QueryBatch *batch;
        PropertyQuery *query;
        const char *property;
} QueryCall;

static int on_property_reply(sd_bus_message *m, void *userdata, sd_bus_error *ret_error) {
        QueryCall *c = userdata;
        PropertyQuery *q = c->query;
        const char *value;
        int r;

        if (q->done)
                return 0;
        q->done = true;
        c->batch->pending--;
        if (sd_bus_message_is_method_error(m, NULL)) {
                const sd_bus_error *e = sd_bus_message_get_error(m);

                q->error = -(sd_bus_message_get_errno(m) ?: EIO);
                log_debug("Failed to read %s of %s: %s", c->property, q->object_path,
                          e && e->message ? e->message : "?");
                return 0;
        }
        r = sd_bus_message_read(m, "v", "s", &value);
        if (r < 0) {
                q->error = r;
                return 0;
        }
        q->value = strdup(value);
        if (!q->value)
                q->error = -ENOMEM;
        return 0;
}

static bool queries_answered(void *userdata) {
        return ((QueryBatch *) userdata)->pending == 0;
}

int systemd_get_units_property(sd_bus *bus, PropertyQuery *queries, size_t n, const char *interface,
                               const char *property, usec_t deadline) {
        _cleanup_free_ sd_bus_slot **slots = NULL;
        _cleanup_free_ QueryCall *calls = NULL;
        QueryBatch b = {};
        int r = 0;

        for (size_t i = 0; i < n; i++)
                queries[i] = (PropertyQuery) { .object_path = queries[i].object_path, .error = -EIO };
        if (n == 0)
                return 0;
        slots = calloc(n, sizeof *slots);
        calls = calloc(n, sizeof *calls);
        if (!slots || !calls)
                return -ENOMEM;

        for (size_t i = 0; i < n; i++) {
                _cleanup_(sd_bus_message_unrefp) sd_bus_message *call = NULL;

                r = sd_bus_message_new_method_call(bus, &call, SYSTEMD_SERVICE, queries[i].object_path,
                                                   "org.freedesktop.DBus.Properties", "Get");
                if (r >= 0)
                        r = sd_bus_message_append(call, "ss", interface, property);
                if (r < 0)
                        goto finish;
                calls[i] = (QueryCall) { &b, &queries[i], property };
                r = sd_bus_call_async(bus, &slots[i], call, on_property_reply, &calls[i],
                                      usec_until(deadline) ?: 1);
                if (r < 0)
                        goto finish;
                b.pending++;
        }
        r = bus_run_until(bus, deadline, queries_answered, &b);

finish:
        /* Answers that come after we stopped waiting go nowhere. */
        for (size_t i = 0; i < n; i++) {
                sd_bus_slot_unref(slots[i]);
                if (!queries[i].done && r < 0)
                        queries[i].error = r;
        }
        return r;
}

void property_query_done(PropertyQuery *q) {
        free(q->value);
        q->value = NULL;
}
