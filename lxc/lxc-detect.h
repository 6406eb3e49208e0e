/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* How lxc-autofs-restore tells a restore from a start, and finds the restored init. Pure
 * decisions over facts read from /proc (lxc-proc.h), so that they can be tested with made-up
 * process trees.
 *
 * Facts (LXC 5.0.2 + CRIU 4.1 on this project's test machine; see lxc-autofs-restore(8)):
 *  - LXC runs lxc.hook.pre-start from lxc_init(), in the process that is or becomes the
 *    container's monitor: on a normal start the monitor itself (daemonized lxc-start has
 *    already renamed itself "[lxc monitor] LXCPATH NAME"; lxc-start -F is still "lxc-start"),
 *    on `lxc-checkpoint -r` the restoring process, which still has lxc-checkpoint's command
 *    line and only takes the monitor title after the restore.
 *  - After the hook, the restoring process forks a child that enters a mount namespace of its
 *    own (to mount the rootfs for CRIU) and executes criu; CRIU (--restore-sibling) creates
 *    the container's init as a child of the restoring process, in a new PID namespace, and
 *    exits once the restored tasks run.
 *  - On a normal start the monitor clones the init straight into a new PID namespace; its
 *    other children (hooks) stay in its mount namespace. */

typedef enum LxcStartKind {
        LXC_START_NORMAL,       /* certainly a normal start: nothing to do */
        LXC_START_RESTORE,      /* certainly a restore */
        LXC_START_UNKNOWN,      /* another liblxc caller: watch what the process does next */
} LxcStartKind;

const char *lxc_start_kind_to_string(LxcStartKind k);

/* Classifies the process that ran the pre-start hook from its executable path (the target of
 * /proc/PID/exe, possibly with " (deleted)") and its command line (NUL-separated, as read).
 * *ret_reason explains the decision, for the log. */
LxcStartKind lxc_classify_hook_parent(const char *exe, const char *cmdline, size_t cmdline_size,
                                      const char **ret_reason);

/* True if cmdline is the title LXC gives a container's monitor, "[lxc monitor] LXCPATH NAME",
 * for this name and, unless lxcpath is NULL, this lxcpath (trailing slashes ignored). The
 * lxcpath found is returned in ret_lxcpath (a copy, at most size bytes) when not NULL. */
bool lxc_monitor_title_match(const char *cmdline, size_t cmdline_size, const char *name,
                             const char *lxcpath, char *ret_lxcpath, size_t size);

/* One process as the restore watcher sees it. */
typedef struct LxcProcess {
        pid_t pid;
        uint64_t pidns;         /* inode of /proc/PID/ns/pid, 0 if unreadable */
        uint64_t mntns;         /* inode of /proc/PID/ns/mnt, 0 if unreadable */
        dev_t exe_dev;
        ino_t exe_ino;
        bool exe_known;         /* /proc/PID/exe could be read (not during an exec) */
        pid_t tracer;           /* TracerPid: CRIU traces the tasks while it finishes them */
} LxcProcess;

typedef enum LxcRestoreStep {
        LXC_RESTORE_WAIT,               /* look again later */
        LXC_RESTORE_DONE,               /* the init is restored and runs: repair it */
        LXC_RESTORE_NOT_A_RESTORE,      /* the init appeared without CRIU: a normal start */
        LXC_RESTORE_AMBIGUOUS,          /* more than one candidate init: refuse to guess */
} LxcRestoreStep;

typedef struct LxcRestoreTracker {
        LxcProcess monitor;
        LxcStartKind kind;
        pid_t criu;             /* the CRIU child once seen, 0 before */
        bool criu_running;      /* in the latest snapshot */
        pid_t init;             /* the candidate init of the latest snapshot, 0 if none */
} LxcRestoreTracker;

/* True for a child of the monitor that looks like LXC's CRIU process: same PID namespace as
 * the monitor, another mount namespace, and another executable. */
bool lxc_process_is_criu_child(const LxcProcess *monitor, const LxcProcess *child);

/* Feeds one snapshot of the monitor's children. Returns what to do; with LXC_RESTORE_DONE,
 * *ret_init is the restored init. */
LxcRestoreStep lxc_restore_step(LxcRestoreTracker *t, const LxcProcess *children, size_t n,
                                pid_t *ret_init);
