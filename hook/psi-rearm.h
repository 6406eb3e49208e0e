/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include "container.h"

/* Since v254 systemd and its sd-event daemons write a trigger into a pressure (PSI) file and
 * poll it. CRIU re-opens the file on restore but does not write the trigger again, and a PSI
 * file without a trigger polls as EPOLLPRI|EPOLLERR forever: PID 1 spins and runs no jobs.
 * This finds such descriptors in every process of the container and writes the trigger back
 * through pidfd_getfd(). */

typedef enum PsiRearmMode {
        PSI_REARM_WRITE,        /* re-arm, one line per descriptor re-armed */
        PSI_REARM_DRY_RUN,      /* say what would be re-armed */
        PSI_REARM_DIAGNOSE,     /* name descriptors without a trigger, as the cause of a spin */
} PsiRearmMode;

typedef struct PsiRearmCounts {
        unsigned rearmed;       /* a trigger written (or, in the other modes, missing) */
        unsigned armed;         /* a trigger was in place already */
        unsigned unknown;       /* no trigger, and none known for the process: left alone */
        unsigned failed;
} PsiRearmCounts;

/* Walks the container's processes and their descriptors. Returns 0 or a negative errno when
 * the walk itself failed; per-descriptor failures are logged and counted. */
int psi_rearm_container(const Container *c, PsiRearmMode mode, PsiRearmCounts *ret);
