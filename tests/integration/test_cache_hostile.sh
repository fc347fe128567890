#!/bin/bash
# The cache step (node/cache.c, cache.squid through tests/tools/nodestep)
# against the squid user it runs squid as (issue 15 item 10):
#  (a) the POSIX ACL entries that let that user search the 0700 ancestors of
#      the cache dirs last as long as a cache needs them: two jobs' caches
#      share them, the first undo leaves them, the second puts every
#      ancestor's ACL back as it was before (byte for byte), and a third
#      cache whose do fails does the same;
#  (b) a symlink the squid user plants as log/cache.log, pointing at a
#      root-only file, never brings that file's text into the step's error
#      (squid fails to start, and the error quotes what squid said last).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/sites.sh"
vc_setup

NODESTEP=$TOOLS/nodestep
[ -x "$NODESTEP" ] || fail "no $NODESTEP: build it with make BUILD=$VC_BUILD"
command -v squid >/dev/null || fail "squid is not installed"
id proxy >/dev/null 2>&1 || fail "no user proxy (squid's package makes it)"
JOB=$((700000 + $$ % 100000))
JOB2=$((JOB + 1)) JOB3=$((JOB + 2))
P=$SITES_PREFIX

step() {
        local want=$1 rc=0
        shift
        "$NODESTEP" "$1" cache.squid "$2" 2>"$T/step.err" || rc=$?
        ERR=$(cat "$T/step.err")
        if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$T/step.err"; then
                cat "$T/step.err" >&2
                fail "sanitizer report from nodestep $*"
        fi
        [ "$rc" = "$want" ] || fail "nodestep $1 cache.squid $2 exited $rc, expected $want: $ERR"
}

# job_args FILE JOB NETNS DIR: the step's args as the plan writes them.
job_args() {
        jq -n --argjson job "$2" --arg ns "$3" --arg dir "$4" \
                '{job: $job, netns: $ns, dir: $dir, port: 3129, proxy_port: 3130, user: "proxy", size_mb: 64,
                  subnet: "10.0.0.0/24", lan: "lan0", bypass: [], parent: null, preload: null}' >"$1"
        echo "$1" >>"$T/jobs"
}
cache_cleanup() {
        [ -f "$T/jobs" ] || return 0
        sort -u "$T/jobs" | while read -r f; do "$NODESTEP" undo cache.squid "$f" >/dev/null 2>&1 || true; done
}
CLEANUP_HOOKS+=(cache_cleanup)

# acls DIR: every ancestor of DIR with its access ACL (hex, or "none") and our bookkeeping xattrs.
acls() {
        python3 - "$1" <<'PY'
import os, sys
p = os.path.dirname(os.path.realpath(sys.argv[1]))
paths = ["/"]
parts = [x for x in p.split("/") if x]
for i in range(len(parts)):
    paths.append("/" + "/".join(parts[: i + 1]))
for q in paths:
    try:
        acl = os.getxattr(q, "system.posix_acl_access").hex()
    except OSError:
        acl = "none"
    ours = sorted(n for n in os.listxattr(q) if n.startswith("trusted.vcluster."))
    print(q, acl, " ".join(ours))
PY
}
proxy_may_search() { setpriv --reuid=proxy --regid=proxy --clear-groups test -x "$1"; }

mkdir -p "$T/state/nodes/n1/$JOB" "$T/state/nodes/n1/$JOB2" "$T/state/nodes/n1/$JOB3"
chmod 0700 "$T" "$T/state" "$T/state/nodes" "$T/state/nodes/n1" "$T/state/nodes/n1/"*
DIR=$T/state/nodes/n1/$JOB/cache DIR2=$T/state/nodes/n1/$JOB2/cache DIR3=$T/state/nodes/n1/$JOB3/cache
BEFORE=$(acls "$DIR")
proxy_may_search "$T/state/nodes/n1/$JOB" && fail "proxy may search the job dir before any cache"

say "(a) two caches share the ACL entries; the last undo puts every ACL back"
sites_netns "${P}g1"
sites_netns "${P}g2"
A=$T/a.json B=$T/b.json
job_args "$A" "$JOB" "${P}g1" "$DIR"
job_args "$B" "$JOB2" "${P}g2" "$DIR2"
step 0 do "$A"
expect_in "user proxy may now search $T/state" "$ERR"
proxy_may_search "$T/state/nodes/n1/$JOB" || fail "proxy may not search the job dir of a running cache"
step 0 do "$B"
step 0 undo "$A"
proxy_may_search "$T/state/nodes/n1/$JOB2" || fail "undo of one cache took the search the other one needs"
[ "$(acls "$DIR")" != "$BEFORE" ] || fail "the ACLs went back while a cache still runs"
step 0 undo "$B"
AFTER=$(acls "$DIR")
[ "$AFTER" = "$BEFORE" ] || fail "the ACLs after both undos differ from before:
$(diff <(echo "$BEFORE") <(echo "$AFTER"))"
proxy_may_search "$T/state/nodes/n1/$JOB" && fail "proxy may still search the job dir after the caches"
step 0 undo "$B"

say "(b) a symlink planted as log/cache.log: its target's text never reaches the error"
SECRET=$T/state/root-only
printf 'root:$6$notahash:19000:0:99999:7:::\nSECRET-%s FATAL: do not quote me\n' "$$" >"$SECRET"
chmod 0600 "$SECRET"
# The dir as an earlier run (or the squid user since) left it: root's dir, the user's log/ holding the symlink.
mkdir -p "$DIR3/log" "$DIR3/cache"
chmod 0711 "$DIR3"
chown proxy:proxy "$DIR3/log" "$DIR3/cache"
setpriv --reuid=proxy --regid=proxy --clear-groups true # the user exists and may be switched to
ln -s "$SECRET" "$DIR3/log/cache.log"
chown -h proxy:proxy "$DIR3/log/cache.log"
# squid fails at once, saying nothing on stderr: the error quotes the end of cache.log.
mkdir -p "$T/fakebin"
printf '#!/bin/sh\nexit 1\n' >"$T/fakebin/squid"
chmod 0755 "$T/fakebin/squid"
C=$T/c.json
sites_netns "${P}g3"
job_args "$C" "$JOB3" "${P}g3" "$DIR3"
PATH="$T/fakebin:$PATH" step 1 do "$C"
expect_in "exit status 1" "$ERR"
case "$ERR" in *SECRET-*|*notahash*) fail "the planted symlink's target reached the error: $ERR" ;; esac
say "(b) error: ${ERR##*nodestep: }"
[ "$(acls "$DIR")" = "$BEFORE" ] || fail "a failed do left ACLs: $(diff <(echo "$BEFORE") <(acls "$DIR"))"
pass
