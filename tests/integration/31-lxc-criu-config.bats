#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The one-line set-up for every runtime, with real LXC: the criu command that lxc-checkpoint
# runs reads the shipped snippet from CRIU_CONFIG_FILE and from the host's
# /etc/criu/default.conf, runs oci-autofs-restore at every action, and the hook repairs at
# post-resume only. /etc/criu/default.conf is put back in teardown (criu_conf_helper.bash); run
# only under the integration lock.

load test_helper
load lxc_helper
load criu_conf_helper

setup() {
        NAME=$(lxc_name criu)
        use_runtime lxc
}

teardown() {
        lxc_teardown
        criu_conf_restore
}

@test "LXC: the snippet via CRIU_CONFIG_FILE for the checkpoint (nothing done), via /etc/criu/default.conf for the restore (repaired)" {
        lxc_require
        [[ -x $OCI_HOOK_BIN ]] || rig_unavailable "$OCI_HOOK_BIN not built (make)"
        local conf images
        conf=$BATS_TEST_TMPDIR/criu.conf
        criu_conf_snippet >"$conf"
        lxc_create "$NAME"
        images=$(lxc_dir "$NAME")/images
        lxc_start "$NAME"
        write_files "$NAME"

        # The hook's debug lines name each action CRIU ran it for.
        echo "log-level = debug" >>"$AUTOFS_RESTORE_HOOK_CONFIG"
        CRIU_CONFIG_FILE=$conf checkpoint_container "$NAME"
        sed -i '/^log-level = debug$/d' "$AUTOFS_RESTORE_HOOK_CONFIG"
        run hook_lines "$images/dump.log"
        echo "$output"
        [[ -n $output ]] || fail "no line of the hook in dump.log: CRIU did not read CRIU_CONFIG_FILE"
        assert_line "oci-autofs-restore: CRIU action 'pre-dump': nothing to do."
        assert_line "oci-autofs-restore: CRIU action 'network-lock': nothing to do."
        assert_line "oci-autofs-restore: CRIU action 'post-dump': nothing to do."
        assert_equal "$(grep -vc "CRIU action '[a-z-]*': nothing to do\.$" <<<"$output")" 0
        # The engine never ran during the dump: it would have made its lock and record.
        [[ -z $(ls -A "$(lxc_dir "$NAME")/state") ]] || fail "the hook wrote to its state directory"

        criu_conf_install "$conf" || fail "cannot install $CRIU_CONF"
        restore_container "$NAME"
        run hook_lines "$images/restore.log"
        echo "$output"
        [[ -n $output ]] || fail "no line of the hook in restore.log: CRIU did not read $CRIU_CONF"
        assert_line --regexp "^oci-autofs-restore: .*[0-9]+ automount unit\(s\): ${#AUTOMOUNTS[@]} repaired, 0 failed"
        refute_line --regexp 'error|Error|cannot|Cannot'
        # Repaired by the time lxc-checkpoint returned: no wait.
        all_answer "$CT_PID"
        files_intact "$NAME"
        compgen -G "$(lxc_dir "$NAME")/state/$CT_PID-*.record"
}
