#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
# Nested mount namespaces (a PrivateTmp= service, a process in a namespace of its own with
# private or slave propagation) across repeated real runc checkpoints and restores, the hook run by CRIU
# as action script, for each nested= policy.

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

# rounds POLICY N: N checkpoint/restore rounds in a row with nested=POLICY.
rounds() {
        local policy=$1 n=$2 i log
        echo "nested = $policy" >"$BATS_TEST_TMPDIR/hook.conf"
        for ((i = 1; i <= n; i++)); do
                checkpoint_container "$NAME"
                AUTOFS_RESTORE_HOOK_CONFIG=$BATS_TEST_TMPDIR/hook.conf restore_container "$NAME"
                log=$RIG_IMAGES/$NAME/restore.log
                grep -a 'oci-autofs-restore' "$log" | sed "s/^/round $i: /" | tee -a "$BATS_TEST_TMPDIR/hook.log" >&3 || true
                nested_round_checks "$policy"
        done
}

@test "runc, nested=catatonic: three rounds, every round checkpoints and restores, data intact everywhere" {
        start_runc_container "$NAME" --copy-root --annotation "org.criu.config=$CRIU_CONF"
        write_files "$NAME"
        nested_start_services "$NAME"
        rounds catatonic 3
        run grep -a 'stale copy made catatonic' "$BATS_TEST_TMPDIR/hook.log"
        assert_success
}

@test "runc, nested=reattach: three rounds, the nested copies are the new autofs with the tree on top" {
        start_runc_container "$NAME" --copy-root --annotation "org.criu.config=$CRIU_CONF"
        write_files "$NAME"
        nested_start_services "$NAME"
        rounds reattach 3
        run grep -a 'stale copy replaced by the new autofs' "$BATS_TEST_TMPDIR/hook.log"
        assert_success
}

@test "runc, nested=skip: units with private copies are left alone, and the container stays checkpointable" {
        start_runc_container "$NAME" --copy-root --annotation "org.criu.config=$CRIU_CONF"
        write_files "$NAME"
        nested_start_services "$NAME"
        rounds skip 3
        run grep -a 'nested=skip' "$BATS_TEST_TMPDIR/hook.log"
        assert_success
}

@test "runc, a nested namespace that receives the main one's mount events: repaired by the main repair, left alone otherwise" {
        start_runc_container "$NAME" --copy-root --annotation "org.criu.config=$CRIU_CONF"
        write_files "$NAME"
        # / shared in the main namespace, the service's namespace its slave: mount events on
        # the automount points reach it.
        ct_sh "$NAME" "mount --make-shared /" || fail "cannot make / shared"
        nested_start_services "$NAME" slave
        rounds catatonic 3
        run grep -a 'srv-a1.automount (/srv/a1): mount namespace of PID [0-9]* (sleep): has the new autofs, through propagation' \
                "$BATS_TEST_TMPDIR/hook.log"
        echo "$output"
        assert_success
        # Their copies of the /srv automounts were reached by the main repair; nothing was done
        # to them. (binfmt_misc sits on /proc/sys, which stays private: handled by the policy.)
        run grep -a 'srv-a[0-9].automount .*: stale copy' "$BATS_TEST_TMPDIR/hook.log"
        assert_failure
}
