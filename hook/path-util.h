/* SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#include <stdbool.h>

/* An absolute path in normalized form: starts with '/', no "//", no "." or ".." components,
 * no trailing '/', no control characters, shorter than PATH_MAX. Paths that come from inside a
 * container are checked with this before anything is done with them. */
bool path_is_normalized_absolute(const char *p);

/* Returns the rest of path after prefix if prefix is a leading part of path on a component
 * boundary ("/srv" is a prefix of "/srv/a" and "/srv", not of "/srvx"), NULL otherwise. */
const char *path_startswith(const char *path, const char *prefix);

/* systemd's escaping of a path into a unit name prefix ("/srv/my-data" → "srv-my\x2ddata").
 * Returns -EINVAL for paths that are not normalized and absolute, -ENOMEM. */
int unit_name_from_path(const char *path, const char *suffix, char **ret);

/* A valid systemd unit name with the given suffix, e.g. ".automount". */
bool unit_name_is_valid(const char *name, const char *suffix);
