#!/usr/bin/env bats
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# The one-line set-up for every runtime: the shipped docs/criu/default.conf, an action-script
# line in the host's /etc/criu/default.conf, reaches a real runc checkpoint and restore (CRIU
# driven over RPC) without any hook or annotation; the hook does nothing at the dump's actions.
# /etc/criu/default.conf is put back in teardown (see criu_conf_helper.bash); run only under
# the integration lock, since every CRIU run on the machine reads it.

load test_helper
load repair_helper
load criu_conf_helper

setup() {
        NAME=$(rig_name)
}

teardown() {
        rig_teardown
        criu_conf_restore
}

@test "runc: the snippet in /etc/criu/default.conf, no hook, no annotation: repaired before runc restore returns; dump actions do nothing" {
        rig_require criu
        # runc hands CRIU /etc/criu/runc.conf when it exists: a second action script there would
        # repair the container too, and the test could not tell which one did.
        if [[ -e /etc/criu/runc.conf ]] && grep -q action-script /etc/criu/runc.conf; then
                rig_unavailable "/etc/criu/runc.conf registers an action script"
        fi
        run criu_conf_snippet
        assert_success
        assert_line "action-script $REPAIR_HOOK"
        assert_equal "$(grep -cv '^\(#.*\)\?$' <<<"$output")" 1
        criu_conf_snippet >"$BATS_TEST_TMPDIR/default.conf"

        start_runc_container "$NAME"
        run jq -r '.annotations["org.criu.config"] // "none"' "$(rig_bundle_dir "$NAME")/config.json"
        assert_output none
        write_files "$NAME"
        criu_conf_install "$BATS_TEST_TMPDIR/default.conf" || fail "cannot install $CRIU_CONF"

        # At debug level the hook says which action it was run for and what it did.
        echo "log-level = debug" >"$BATS_TEST_TMPDIR/hook.conf"
        AUTOFS_RESTORE_HOOK_CONFIG=$BATS_TEST_TMPDIR/hook.conf checkpoint_container "$NAME"
        run hook_lines "$RIG_IMAGES/$NAME/dump.log"
        echo "$output"
        [[ -n $output ]] || fail "no line of the hook in dump.log: CRIU did not run it"
        assert_line "oci-autofs-restore: CRIU action 'pre-dump': nothing to do."
        assert_line "oci-autofs-restore: CRIU action 'network-lock': nothing to do."
        assert_line "oci-autofs-restore: CRIU action 'post-dump': nothing to do."
        # Nothing but "nothing to do", and only for actions of a dump.
        refute_line --regexp "^oci-autofs-restore: CRIU action '(pre-restore|setup-namespaces|post-setup-namespaces|post-restore|pre-resume|post-resume|network-unlock)'"
        assert_equal "$(grep -vc "CRIU action '[a-z-]*': nothing to do\.$" <<<"$output")" 0

        restore_container "$NAME"
        # No wait: the repair ran at post-resume, before runc restore returned.
        all_answer "$CT_PID"
        files_intact "$NAME"
        no_leftovers_in "$CT_PID"
        run hook_lines "$RIG_IMAGES/$NAME/restore.log"
        echo "$output"
        [[ -n $output ]] || fail "no line of the hook in restore.log: CRIU did not run it"
        assert_equal "$(grep -c '9 automount unit(s): 9 repaired, 0 failed' <<<"$output")" 1
        refute_line --regexp 'error|Error|cannot|Cannot|failed: [1-9]'

        # The machine's file is put back as it was.
        criu_conf_restore
        if [[ -e $CRIU_CONF ]]; then
                ! grep -q "$REPAIR_HOOK" "$CRIU_CONF" || fail "$CRIU_CONF still names the hook"
        fi
        [[ ! -e $CRIU_CONF_SAVED && ! -e $CRIU_CONF_ABSENT ]] || fail "a saved copy was left behind"
}

@test "every action of a dump, and a restore's actions up to post-restore, leave a running container alone" {
        rig_require criu
        local action state_dir
        state_dir=$BATS_TEST_TMPDIR/state
        start_runc_container "$NAME"
        # CRIU's action names (criu/action-scripts.c), as it would pass them with the PID of the
        # container's init.
        for action in pre-dump network-lock post-dump pre-restore setup-namespaces \
                post-setup-namespaces post-restore network-unlock orphan-pts-master; do
                run env CRTOOLS_SCRIPT_ACTION=$action CRTOOLS_INIT_PID=$CT_PID \
                        "$REPAIR_HOOK" --state-dir="$state_dir"
                assert_success
                assert_output ""
        done
        # The engine never ran: it would have made its state directory for the lock and record.
        [[ ! -e $state_dir ]] || fail "the hook touched $state_dir"
        automounts_never_stopped "$NAME"
}
