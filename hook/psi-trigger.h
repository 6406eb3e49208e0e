/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Pressure stall information (PSI) triggers: what systemd 254 and later write into a pressure
 * file to be woken on memory pressure, and what CRIU does not restore. Pure functions: the
 * descriptors themselves are handled in psi-rearm.c. */

/* The trigger sd-event writes when a process was given none in its environment:
 * MEMORY_PRESSURE_DEFAULT_* in systemd's sources, 200 ms of stall per 2 s window. */
#define PSI_DEFAULT_TRIGGER "some 200000 2000000"

/* "some|full STALL_USEC WINDOW_USEC", as the kernel parses it; longer than any valid one. */
#define PSI_TRIGGER_MAX 64

typedef enum PsiResource {
        PSI_RESOURCE_NONE = -1,
        PSI_RESOURCE_CPU,
        PSI_RESOURCE_IO,
        PSI_RESOURCE_MEMORY,
        PSI_RESOURCE_IRQ,
        _PSI_RESOURCE_MAX,
} PsiResource;

typedef enum PsiFileKind {
        PSI_FILE_NONE,
        PSI_FILE_PROC,          /* /proc/pressure/RESOURCE */
        PSI_FILE_CGROUP,        /* RESOURCE.pressure in a cgroup v2 directory */
} PsiFileKind;

const char *psi_resource_to_string(PsiResource r);

/* Classifies a path by its name alone: which pressure file it would be. Only a first filter
 * over /proc/PID/fd links, which a container can shape with bind mounts; the descriptor itself
 * is checked before anything is written to it. */
PsiFileKind psi_file_classify(const char *path, PsiResource *ret_resource);

/* True for a trigger the kernel would accept: "some" or "full", then stall and window in
 * microseconds, window 500 ms .. 10 s, 0 < stall <= window. Text from a container's
 * environment is written only if it passes this. */
bool psi_trigger_valid(const char *text);

/* Decodes standard base64 (with or without padding) into ret, NUL-terminated; one trailing NUL
 * in the encoded data (systemd encodes it) is dropped, any other NUL is refused. Fails with
 * -EINVAL on a character outside the alphabet or bad padding, -ENOBUFS if it does not fit. */
int base64_decode_string(const char *in, char *ret, size_t size);

/* The trigger a process asked for in its environment (the NUL-separated text of
 * /proc/PID/environ): $MEMORY_PRESSURE_WRITE, base64, when $MEMORY_PRESSURE_WATCH names
 * watched_path. Returns 1 and the text in ret, 0 when the environment names no trigger for that
 * file, -EINVAL when it names one that is not valid. */
int psi_trigger_from_environ(const char *environ, size_t size, const char *watched_path,
                             char *ret, size_t ret_size);
