#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# The hook as CRIU action script during a real runc checkpoint and restore.

load test_helper
load repair_helper

setup() {
        rig_require criu
        NAME=$(rig_name)
        write_action_script_conf
}

teardown() {
        rig_teardown
}

@test "runc restore with the hook as action script: every automount answers when restore returns" {
        # Only the container's own annotation names the CRIU config: /etc/criu is not touched.
        start_runc_container "$NAME" --annotation "org.criu.config=$CRIU_CONF"
        write_files "$NAME"
        tops_before=$(tops_of "$CT_PID")

        checkpoint_restore_container "$NAME"

        # No wait: the repair ran at post-resume, before runc restore returned.
        all_answer "$CT_PID"
        files_intact "$NAME"
        no_leftovers_in "$CT_PID"

        # The early repairer started at pre-resume repaired, once; runc has CRIU run each action
        # twice, and both post-resume runs print its lines and find the repair done.
        log=$RIG_IMAGES/$NAME/restore.log
        run grep -c '9 automount unit(s): 9 repaired, 0 failed, 0 not touched.' "$log"
        assert_output 1
        run grep -c 'Done [0-9.]* ms after the tasks resumed' "$log"
        assert_output 1
        run grep -c 'srv-a1.automount (/srv/a1): already repaired for this restore' "$log"
        assert_output 2
        # The tmpfs on top came through CRIU (restored as a new superblock, same files), on the
        # new autofs, and the autofs beneath it works too.
        tops_are_tmpfs_on_autofs "$CT_PID"
        automounts_beneath_answer "$CT_PID" "${WITH_FILES[@]}"
}

@test "a CRIU action other than post-resume does nothing" {
        run env CRTOOLS_SCRIPT_ACTION=pre-dump CRTOOLS_INIT_PID=1 "$REPAIR_HOOK"
        assert_success
        assert_output ""
        run env CRTOOLS_SCRIPT_ACTION=post-resume CRTOOLS_INIT_PID=garbage "$REPAIR_HOOK"
        assert_failure 2
        assert_output --partial "CRTOOLS_INIT_PID='garbage' is not a PID"
}
