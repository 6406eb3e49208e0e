/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <getopt.h>

#include "container.h"
#include "exit-status.h"
#include "config-file.h"
#include "options.h"

/* Options both commands share. Each command lists them in its own getopt table with these
 * values and passes what it does not know itself to cli_apply_common_option(). */
enum {
        ARG_UNIT = 'u',
        ARG_EXCLUDE = 'x',
        ARG_TIMEOUT = 't',
        ARG_DRY_RUN = 'n',
        ARG_CONFIG = 'c',
        ARG_VERBOSE = 'v',
        ARG_QUIET = 'q',
        ARG_HELP = 'h',
        ARG_VERSION = 'V',
        ARG_STATE_DIR = 0x100,
        ARG_NO_REARM_PSI,
        ARG_NESTED,
        ARG_FRONT_END_FIRST = 0x200,
};

#define CLI_COMMON_SHORT_OPTIONS "u:x:t:nc:vqhV"

#define CLI_COMMON_LONG_OPTIONS                                         \
        { "unit",      required_argument, NULL, ARG_UNIT },             \
        { "exclude",   required_argument, NULL, ARG_EXCLUDE },          \
        { "timeout",   required_argument, NULL, ARG_TIMEOUT },          \
        { "dry-run",   no_argument,       NULL, ARG_DRY_RUN },          \
        { "config",    required_argument, NULL, ARG_CONFIG },           \
        { "verbose",   no_argument,       NULL, ARG_VERBOSE },          \
        { "quiet",     no_argument,       NULL, ARG_QUIET },            \
        { "state-dir", required_argument, NULL, ARG_STATE_DIR },        \
        { "no-rearm-psi", no_argument,    NULL, ARG_NO_REARM_PSI },     \
        { "nested",    required_argument, NULL, ARG_NESTED },           \
        { "help",      no_argument,       NULL, ARG_HELP },             \
        { "version",   no_argument,       NULL, ARG_VERSION }

#define CLI_COMMON_HELP                                                                         \
        "  -u, --unit=GLOB       repair only automount units matching GLOB (repeatable)\n"      \
        "  -x, --exclude=GLOB    never touch units matching GLOB (repeatable)\n"                \
        "  -t, --timeout=SEC     deadline for the whole run (default 30)\n"                     \
        "  -n, --dry-run         print the plan, change nothing\n"                              \
        "  -c, --config=FILE     read options from FILE (default " DEFAULT_CONFIG_FILE ",\n"    \
        "                        or $AUTOFS_RESTORE_HOOK_CONFIG)\n"                             \
        "      --no-rearm-psi    do not write back the memory pressure triggers that CRIU\n"  \
        "                        does not restore (systemd 254 and later spin without them)\n" \
        "      --nested=POLICY   copies of a repaired autofs in mount namespaces without\n"   \
        "                        propagation: skip, catatonic (default) or reattach\n"      \
        "      --state-dir=DIR   host directory for records and locks\n"                        \
        "                        (default " DEFAULT_STATE_DIR ")\n"                             \
        "  -v, --verbose         log debug messages\n"                                          \
        "  -q, --quiet           log warnings and errors only\n"                                \
        "  -h, --help            show this help\n"                                              \
        "  -V, --version         show the version\n"

#define CLI_EXIT_STATUS_HELP                                                                    \
        "Exit status: 0 repaired or nothing to repair, 1 some units failed,\n"                  \
        "2 usage or input error, 3 refused (host, gone, or not inspectable).\n"

/* Loads the config file named by --config (found in a first pass over argv), by
 * $AUTOFS_RESTORE_HOOK_CONFIG, or the default one if it exists. */
int cli_load_config(int argc, char **argv, const char *short_options,
                    const struct option *long_options, RepairOptions *o);

/* Applies one of the common options. Returns 1 if the caller should exit 0 (help, version
 * printed by the caller), 0 if handled, -ENOKEY if not a common option, other < 0 on error. */
int cli_apply_common_option(RepairOptions *o, int opt, const char *arg);

/* Start-up both commands share: stdio, options from the config file, logging. Returns 0,
 * -EINVAL for a bad config file (logged), or another negative errno when stdio could not be
 * set up (nothing could be logged). */
int cli_start(const char *program, int argc, char **argv, const struct option *long_options,
              RepairOptions *o);

/* The default branch of both commands' getopt loops: applies a common option, or prints help
 * or the version. Returns 0 to go on, 1 when help or the version was printed (the command is
 * done), or a negative errno for a bad option (logged). */
int cli_common_option(RepairOptions *o, int opt, const char *arg, void (*help)(void));

/* --pid's argument: 0, or -EINVAL (logged). */
int cli_pid_option(const char *arg, int *ret);

/* Hooks may be run with stdin (LXC) or other stdio fds closed: a pidfd or log file opened later
 * would land on 0..2, which a detached process (detach.h) points at /dev/null. Opens /dev/null on each
 * closed one. Call first thing. */
int cli_ensure_stdio_open(void);

/* Pins the container of a PID a front end was given (--pid, CRTOOLS_INIT_PID), refusing the
 * host, and runs action (repair_container, rearm_container) on the handle. */
ExitStatus cli_repair_pid(pid_t pid, ExitStatus (*action)(Container *c, const RepairOptions *o),
                          const RepairOptions *o);

/* CRIU runs action scripts with CRTOOLS_SCRIPT_ACTION set and no arguments. */
int criu_action_requested(void);

/* Re-arms pressure triggers at pre-resume and repairs at post-resume, the first moment the
 * restored tasks run; every other action is acknowledged at once. */
ExitStatus criu_action_run(const RepairOptions *o);
