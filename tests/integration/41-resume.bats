#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Nobody stays hung: a service that reads an unmounted automount from the moment the container
# resumes keeps going after a real runc restore with the hook as CRIU action script (it takes
# its handles at pre-resume and makes the old autofs catatonic after the repair).

load test_helper
load repair_helper
load nested_helper

setup() {
        rig_require criu
        NAME=$(rig_name)
        write_action_script_conf
}

teardown() {
        rig_teardown
}

@test "runc restore, action script: a reader of an unmounted automount keeps going, nothing left in autofs_wait" {
        start_runc_container "$NAME" --annotation "org.criu.config=$CRIU_CONF"
        write_files "$NAME"
        reader_start "$NAME"
        checkpoint_container "$NAME"
        reader_open_gate "$(rig_bundle_dir "$NAME")/rootfs"
        restore_container "$NAME"
        grep -a '^oci-autofs-restore: ' "$RIG_IMAGES/$NAME/restore.log" >&3 || true
        reader_keeps_going "$CT_PID"
        all_answer "$CT_PID"
        files_intact "$NAME"
        # The repair was done once, by the early repairer started at pre-resume; the post-resume run
        # printed its lines and found nothing left to do.
        log=$RIG_IMAGES/$NAME/restore.log
        run grep -c '9 automount unit(s): 9 repaired, 0 failed' "$log"
        assert_output 1
        run grep -c 'Done [0-9.]* ms after the tasks resumed' "$log"
        assert_output 1
}

@test "manual --pid on a container already hung: the blocked process is listed with PID and command and the set-up that prevents it" {
        rig_require criu autofs-break
        start_runc_container "$NAME" --automounts 2
        "$REPAIR_BREAK" --pid "$CT_PID"
        start_blocked_access "$CT_PID" /srv/a2
        run "$REPAIR_HOOK" --pid "$CT_PID"
        echo "$output"
        assert_success
        assert_output --partial "srv-a2.automount (/srv/a2): no handle on the restored autofs (a request is already pending on it)"
        assert_output --regexp "1 process\(es\) of the container still wait on an automount from before the repair \(host PIDs $BLOCKED_PID \([a-z]+\)\)"
        assert_output --partial "action-script line in /etc/criu/default.conf"
        # The other automount had nothing pending: its old autofs was held and released.
        automount_answers "$CT_PID" /srv/a1 3 || fail "/srv/a1 hangs"
        kill_blocked_access "$BLOCKED_PID"
}
