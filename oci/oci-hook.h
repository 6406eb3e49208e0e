/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "exit-status.h"
#include "options.h"

/* Runs as an OCI runtime hook: the container state JSON on stdin, the stage from --stage or,
 * failing that, inferred from the state. */
ExitStatus oci_hook_run(const char *stage, const RepairOptions *o);
