/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stddef.h>
#include <sys/types.h>

/* Reads until EOF or size bytes, retrying on EINTR. Returns the bytes read or -errno. */
ssize_t read_all(int fd, void *buf, size_t size);

/* Writes everything, retrying on EINTR and short writes. Returns 0 or -errno. */
int write_all(int fd, const void *buf, size_t size);
