/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <sys/types.h>

/* The autofs control device (/dev/autofs, misc 10:235). Two of its requests matter here:
 *
 * OPENMOUNT gives a handle (an fd on the root of one autofs mount, found by path and device
 * number). The path is resolved in the caller's mount namespace; from a process outside the
 * automount daemon's PID namespace the lookup never waits: it fails with ENOENT while a request
 * is pending on that autofs. So a handle can be taken only before anything blocks on it.
 *
 * CATATONIC on a handle cuts the autofs off from its daemon: every process waiting on it
 * returns (ENOENT) and no new request is ever sent. The flag belongs to the superblock, so it
 * reaches every copy of that autofs in every mount namespace. */

/* Opens the control device at /dev/autofs of our current root, the host's (it is called before
 * the worker joins the container), refusing anything that is not the autofs misc device. */
int autofs_dev_open(void);

/* A handle on the autofs with device number dev mounted at path (beneath whatever is stacked on
 * it). -ENOENT: no such autofs there, or a request is pending on it. */
int autofs_dev_open_mount(int control_fd, const char *path, dev_t dev);

/* Makes the autofs the handle is on catatonic. */
int autofs_dev_make_catatonic(int control_fd, int mount_fd);
