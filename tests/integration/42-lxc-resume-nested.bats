#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# LXC with the hook as CRIU action script (lxc-checkpoint -r -A): a reader of an unmounted
# automount keeps going after the restore; nested mount namespaces survive three rounds.

load test_helper
load lxc_helper
load nested_helper

setup() {
        NAME=$(lxc_name nest)
        use_runtime lxc
}

teardown() {
        lxc_teardown
}

@test "LXC restore with -A: a reader of an unmounted automount keeps going, nothing left in autofs_wait" {
        lxc_require
        lxc_create "$NAME"
        lxc_start "$NAME"
        write_files "$NAME"
        reader_start "$NAME"
        checkpoint_container "$NAME"
        reader_open_gate "$(lxc_path "$NAME")/$NAME/rootfs"
        restore_container "$NAME" -A "$OCI_HOOK_BIN"
        grep -a '^oci-autofs-restore: ' "$(lxc_dir "$NAME")/images/restore.log" >&3 || true
        reader_keeps_going "$CT_PID"
        all_answer "$CT_PID" || {
                ct_sh "$NAME" "systemctl --no-pager --failed; systemctl --no-pager status srv-a5.automount srv-a5.mount; journalctl --no-pager -b -n 30" >&2
                fail "an automount does not answer"
        }
        files_intact "$NAME"
}

@test "LXC, nested=catatonic: PrivateTmp= and unshare -m services, three rounds" {
        lxc_require
        local i
        lxc_create "$NAME"
        lxc_start "$NAME"
        write_files "$NAME"
        nested_start_services "$NAME"
        for ((i = 1; i <= 3; i++)); do
                checkpoint_container "$NAME"
                restore_container "$NAME" -A "$OCI_HOOK_BIN"
                grep -a '^oci-autofs-restore: ' "$(lxc_dir "$NAME")/images/restore.log" |
                        sed "s/^/round $i: /" >&3 || true
                all_answer "$CT_PID" || fail "round $i: an automount hangs"
                files_intact "$NAME" || fail "round $i: data lost in the main namespace"
                nested_files_intact "$CT_PID" || fail "round $i: data lost in a nested namespace"
        done
}
