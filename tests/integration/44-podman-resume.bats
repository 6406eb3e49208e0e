#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Nobody stays hung under podman: with the one-line CRIU set-up (an action-script line in the
# host's /etc/criu/default.conf) and no hook in the container's spec, a service that reads an
# unmounted automount from the moment of resume keeps going after `podman container restore`.
# Changes /etc/criu/default.conf: run only under the integration lock.

load test_helper
load oci_helper
load nested_helper
load criu_conf_helper

setup() {
        oci_require criu podman
        if [[ -e /etc/criu/runc.conf ]] && grep -q action-script /etc/criu/runc.conf; then
                rig_unavailable "/etc/criu/runc.conf registers an action script"
        fi
        use_runtime podman
        NAME=$(oci_name podman)
}

teardown() {
        local rc=0
        criu_conf_restore
        [[ -n ${GATE_MOUNTED:-} ]] && rig_timeout 30 podman umount "$NAME" >/dev/null 2>&1
        oci_teardown || rc=$?
        rig_teardown
        return $rc
}

@test "podman restore, action script in /etc/criu/default.conf: a reader of an unmounted automount keeps going, nothing left in autofs_wait" {
        local root log_lines userdata
        criu_conf_snippet >"$BATS_TEST_TMPDIR/default.conf"
        oci_podman_image
        # No hook in the spec: the action script alone repairs.
        OCI_HOOKS_DIR=$BATS_TEST_TMPDIR/no-hooks.d
        mkdir -p "$OCI_HOOKS_DIR"
        oci_podman_start "$NAME"
        reader_start "$NAME"
        checkpoint_container "$NAME"
        # The gate opens while the container is checkpointed: the first access comes at resume.
        root=$(rig_timeout 60 podman mount "$NAME") || fail "podman mount $NAME failed"
        GATE_MOUNTED=1
        reader_open_gate "$root"
        rig_timeout 60 podman umount "$NAME" >/dev/null || fail "podman umount $NAME failed"
        GATE_MOUNTED=
        criu_conf_install "$BATS_TEST_TMPDIR/default.conf" || fail "cannot install $CRIU_CONF"
        # --keep: podman removes CRIU's restore.log otherwise.
        restore_container "$NAME" --keep
        criu_conf_restore
        reader_keeps_going "$CT_PID"
        all_answer "$CT_PID" 1 || fail "an automount does not answer"
        # The early repairer did the repair; post-resume printed its lines into CRIU's log.
        userdata=$(rig_timeout 30 podman inspect -f '{{.StaticDir}}' "$NAME") || fail "podman inspect failed"
        log_lines=$(grep -a '^oci-autofs-restore: ' "$userdata/restore.log")
        echo "$log_lines"
        run grep -c 'Done [0-9.]* ms after the tasks resumed' <<<"$log_lines"
        assert_output 1
        run grep -cE '[0-9]+ automount unit\(s\): [0-9]+ repaired, 0 failed' <<<"$log_lines"
        assert_output 1
}
