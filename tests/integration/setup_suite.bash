# SPDX-License-Identifier: LGPL-2.1-or-later
# shellcheck shell=bash
#
# Run once by bats before any test file: removes the containers, bundles and images an aborted
# earlier run left behind (anything named arh-*, LXC's under its work directory too), so that
# tests start from a clean machine.

setup_suite() {
        # shellcheck disable=SC2034 # read by lib.sh
        RIG_PROG=bats
        # shellcheck source=../rig/lib.sh
        source "$(dirname "${BASH_SOURCE[0]}")/../rig/lib.sh"
        [[ $(id -u) -eq 0 ]] || return 0
        rig_cleanup_stale
        # A run killed while it had changed /etc/criu/default.conf left the original beside it.
        # shellcheck source=criu_conf_helper.bash
        source "$(dirname "${BASH_SOURCE[0]}")/criu_conf_helper.bash"
        criu_conf_restore
        # LXC containers live in private lxcpaths, which the sweep above does not see.
        # shellcheck source=lxc_helper.bash
        source "$(dirname "${BASH_SOURCE[0]}")/lxc_helper.bash"
        lxc_cleanup_stale
}
