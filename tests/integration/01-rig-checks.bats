#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The checks every test relies on can fail: files_intact, all_answer, all_hang,
# automounts_never_stopped and wait_for_systemd say no when the container is not as they expect,
# and the shared operations reach the container through each runtime's adapter (runc, LXC,
# podman). A check that cannot fail would pass every test built on it.

load test_helper
load repair_helper
load oci_helper
load lxc_helper

teardown() {
        oci_teardown
        lxc_teardown
        rig_teardown
}

@test "rig checks, runc: changed and missing files, a missing or hung autofs, a restarted unit, a dead container are seen" {
        rig_require autofs-break
        local name
        name=$(rig_name)
        start_runc_container "$name"
        write_files "$name"
        files_intact "$name"
        automounts_never_stopped "$name"

        ct_sh "$name" "echo changed > /srv/a2/file"
        run files_intact "$name"
        assert_failure
        assert_output "file on /srv/a2 lost or changed: 'changed'"
        write_files "$name"
        ct_sh "$name" "rm /srv/a3/file"
        run files_intact "$name"
        assert_failure
        assert_line "cannot read /srv/a3/file"

        AUTOMOUNTS+=(/srv/none)
        run all_answer "$CT_PID"
        assert_failure
        assert_output "no autofs at /srv/none"
        use_runtime runc

        "$REPAIR_BREAK" --pid "$CT_PID" >/dev/null
        all_hang "$CT_PID"
        run all_answer "$CT_PID" 1
        assert_failure
        assert_output --regexp "^/[a-z0-9/_]+ hangs \(D autofs_wait\)$"
        ct_sh "$name" "systemctl restart srv-a5.automount srv-a6.automount srv-a7.automount srv-a8.automount proc-sys-fs-binfmt_misc.automount"
        run all_hang "$CT_PID"
        assert_failure
        run automounts_never_stopped "$name"
        assert_failure

        runc kill "$name" KILL
        for ((i = 0; i < 100; i++)); do
                [[ $(rig_container_status "$name") == running ]] || break
                sleep 0.05
        done
        start=$SECONDS
        run wait_for_systemd "$name"
        assert_failure
        assert_output --partial "(state: container $name gone)"
        (((SECONDS - start) * 1000 < $(rig_budget_ms 10000))) ||
                fail "waited $((SECONDS - start)) s for a dead container"
}

@test "rig checks, LXC: the shared operations run in the container, and see a changed file" {
        lxc_require
        use_runtime lxc
        NAME=$(lxc_name checks)
        lxc_create "$NAME"
        lxc_start "$NAME"
        # The host's PID 1 is not systemd here; the container's is.
        assert_equal "$(ct_exec "$NAME" cat /proc/1/comm)" systemd
        assert_equal "$(ct_exec "$NAME" readlink /proc/self/ns/mnt)" "$(readlink "/proc/$CT_PID/ns/mnt")"
        assert_equal "${#AUTOMOUNTS[@]}" 8
        write_files "$NAME"
        files_intact "$NAME"
        run automount_stops "$NAME"
        assert_success
        assert_equal "$(grep -c ' 0$' <<<"$output")" 8
        all_answer "$CT_PID"
        ct_sh "$NAME" "echo changed > /srv/a4/file"
        run files_intact "$NAME"
        assert_failure
        assert_output "file on /srv/a4 lost or changed: 'changed'"
}

@test "rig checks, podman: the shared operations run in the container, and see a changed file" {
        oci_require podman
        use_runtime podman
        NAME=$(oci_name checks)
        oci_podman_image
        oci_hooks_dir "$BATS_TEST_TMPDIR/hook.log"
        oci_podman_start "$NAME"
        assert_equal "$(ct_exec "$NAME" readlink /proc/self/ns/mnt)" "$(readlink "/proc/$CT_PID/ns/mnt")"
        assert_equal "${#AUTOMOUNTS[@]}" 8
        write_files "$NAME"
        files_intact "$NAME"
        all_answer "$CT_PID" 1
        ct_sh "$NAME" "echo changed > /srv/a1/file"
        run files_intact "$NAME"
        assert_failure
        assert_output "file on /srv/a1 lost or changed: 'changed'"
}
