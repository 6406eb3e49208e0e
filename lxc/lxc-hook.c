/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "lxc-hook.h"

ExitStatus lxc_hook_run(int argc, char **argv, const RepairOptions *o) {
        log_error("LXC hook mode is not available in this version; use --pid PID or the CRIU action-script mode.");
        return EXIT_STATUS_USAGE;
}
