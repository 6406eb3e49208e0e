/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "log.h"
#include "oci-hook.h"

ExitStatus oci_hook_run(const char *stage, const RepairOptions *o) {
        log_error("OCI hook mode is not available in this version; use --pid PID or the CRIU action-script mode.");
        return EXIT_STATUS_USAGE;
}
