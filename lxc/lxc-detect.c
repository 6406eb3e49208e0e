/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <string.h>

#include "lxc-detect.h"

#define MONITOR_TITLE_PREFIX "[lxc monitor] "
#define DELETED_SUFFIX " (deleted)"

const char *lxc_start_kind_to_string(LxcStartKind k) {
        switch (k) {
        case LXC_START_NORMAL:
                return "normal start";
        case LXC_START_RESTORE:
                return "restore";
        case LXC_START_UNKNOWN:
        default:
                return "unknown";
        }
}

/* The last component of an exe link target, without the " (deleted)" the kernel appends when
 * the binary was replaced (a package upgrade while the monitor runs). */
static size_t exe_basename(const char *exe, const char **ret) {
        const char *slash = strrchr(exe, '/');
        const char *base = slash ? slash + 1 : exe;
        size_t n = strlen(base), d = strlen(DELETED_SUFFIX);

        if (n > d && strcmp(base + n - d, DELETED_SUFFIX) == 0)
                n -= d;
        *ret = base;
        return n;
}

static bool exe_is(const char *exe, const char *name) {
        const char *base;
        size_t n = exe_basename(exe, &base);

        return n == strlen(name) && strncmp(base, name, n) == 0;
}

/* The first string of a command line read from /proc/PID/cmdline: up to the first NUL, or the
 * whole buffer if it has none (a title written over the argument area). */
static size_t first_arg_length(const char *cmdline, size_t size) {
        const char *nul = memchr(cmdline, '\0', size);
        return nul ? (size_t) (nul - cmdline) : size;
}

LxcStartKind lxc_classify_hook_parent(const char *exe, const char *cmdline, size_t cmdline_size,
                                      const char **ret_reason) {
        const char *reason;
        LxcStartKind k;

        if (cmdline && first_arg_length(cmdline, cmdline_size) >= strlen(MONITOR_TITLE_PREFIX) &&
            memcmp(cmdline, MONITOR_TITLE_PREFIX, strlen(MONITOR_TITLE_PREFIX)) == 0) {
                /* A restoring process takes this title only after the restore, so a parent
                 * that has it at pre-start time is a daemonized monitor starting normally. */
                reason = "the hook's parent is already an LXC monitor";
                k = LXC_START_NORMAL;
        } else if (exe && exe_is(exe, "lxc-start")) {
                reason = "the hook's parent is lxc-start";
                k = LXC_START_NORMAL;
        } else if (exe && exe_is(exe, "lxc-checkpoint")) {
                /* lxc-checkpoint starts no container except by restoring one. */
                reason = "the hook's parent is lxc-checkpoint";
                k = LXC_START_RESTORE;
        } else {
                reason = "the hook's parent is neither lxc-start nor lxc-checkpoint";
                k = LXC_START_UNKNOWN;
        }
        if (ret_reason)
                *ret_reason = reason;
        return k;
}

static size_t strip_trailing_slashes(const char *s, size_t n) {
        while (n > 1 && s[n - 1] == '/')
                n--;
        return n;
}

bool lxc_monitor_title_match(const char *cmdline, size_t cmdline_size, const char *name,
                             const char *lxcpath, char *ret_lxcpath, size_t size) {
        size_t n = first_arg_length(cmdline, cmdline_size), p = strlen(MONITOR_TITLE_PREFIX);
        size_t name_len = strlen(name), path_len;
        const char *path;

        /* "[lxc monitor] " LXCPATH " " NAME: the name is the last word, LXCPATH whatever is
         * between (it may contain spaces; a name may not contain '/', a path must). */
        if (n < p + 1 + 1 + name_len || memcmp(cmdline, MONITOR_TITLE_PREFIX, p) != 0)
                return false;
        if (memcmp(cmdline + n - name_len, name, name_len) != 0 || cmdline[n - name_len - 1] != ' ')
                return false;
        path = cmdline + p;
        path_len = n - name_len - 1 - p;
        if (path_len == 0 || path[0] != '/')
                return false;
        path_len = strip_trailing_slashes(path, path_len);

        if (lxcpath) {
                size_t want = strip_trailing_slashes(lxcpath, strlen(lxcpath));
                if (want != path_len || memcmp(path, lxcpath, want) != 0)
                        return false;
        }
        if (ret_lxcpath && size > 0) {
                size_t k = path_len < size - 1 ? path_len : size - 1;
                memcpy(ret_lxcpath, path, k);
                ret_lxcpath[k] = '\0';
        }
        return true;
}

/* A child that may be part of LXC's restore machinery rather than the container: in the
 * monitor's PID namespace (or not readable), but not in its mount namespace (or not
 * readable). While one exists the restore may be in progress. */
static bool process_is_busy(const LxcProcess *monitor, const LxcProcess *c) {
        return (c->pidns == 0 || c->pidns == monitor->pidns) &&
               (c->mntns == 0 || c->mntns != monitor->mntns);
}

bool lxc_process_is_criu_child(const LxcProcess *monitor, const LxcProcess *c) {
        /* LXC's own helpers are forks of the monitor that never execute anything: a new
         * executable in a new mount namespace is CRIU. */
        return c->pidns != 0 && c->pidns == monitor->pidns && c->mntns != 0 &&
               c->mntns != monitor->mntns && c->exe_known &&
               (!monitor->exe_known || c->exe_dev != monitor->exe_dev ||
                c->exe_ino != monitor->exe_ino);
}

LxcRestoreStep lxc_restore_step(LxcRestoreTracker *t, const LxcProcess *children, size_t n,
                                pid_t *ret_init) {
        const LxcProcess *init = NULL;
        bool busy = false;

        for (size_t i = 0; i < n; i++) {
                const LxcProcess *c = &children[i];

                if (lxc_process_is_criu_child(&t->monitor, c))
                        t->criu = c->pid;
                if (process_is_busy(&t->monitor, c))
                        busy = true;
                else if (c->pidns != 0 && c->pidns != t->monitor.pidns) {
                        if (init && init->pid != c->pid) {
                                t->init = 0;
                                return LXC_RESTORE_AMBIGUOUS;
                        }
                        init = c;
                }
        }
        t->criu_running = busy;
        t->init = init ? init->pid : 0;

        if (!init || busy)
                return LXC_RESTORE_WAIT;
        if (t->kind != LXC_START_RESTORE && t->criu == 0)
                return LXC_RESTORE_NOT_A_RESTORE;
        /* CRIU is gone, so the tasks were resumed; a tracer left would be someone else's. */
        if (init->tracer != 0)
                return LXC_RESTORE_WAIT;
        if (ret_init)
                *ret_init = init->pid;
        return LXC_RESTORE_DONE;
}
