#!/bin/bash
# The harness itself: pass must fail when a test leaves something behind,
# even though pass's own cleanup removes it (lib.sh: leak hooks look before
# the cleanup hooks clean). Each case is a child test that sources the
# harness modules, starts what it needs, plants one leak the way a broken
# product would, and calls pass; the child must exit 1 naming the leak:
#   netns    a job's namespace vcl-JOB-NODE (vc_netns_leak_check)
#   port     an OVS port of the product, marked with its job (ovs.sh)
#   link     a product's vc… device in the switch's namespace (ovs.sh)
#   domain   a libvirt domain still defined (libvirt.sh)
#   process  a process left in a namespace of sites.sh (a squid, an openvpn)
#   tunnel   a UDP socket and a vc… tap in a WAN namespace (sites.sh)
#   strayproc a process started from the test's temp root (lib.sh)
#   ovsdb    ovsdb-server down: the port listing fails (ovs.sh), and
#            guest_leak_check fails too instead of reading "no ports"
#   midtest  a leak hook run by the test mid-way fails at once
# and the control: the same set-up with nothing planted passes, and its
# cleanup leaves nothing. HARNESS_DIR (default: this directory) names the
# modules to check, so an older copy can be run against the same cases.
. "$(dirname "$0")/lib.sh"
vc_setup
HD=${HARNESS_DIR:-$(cd "$(dirname "$0")" && pwd)}
export ROOT VC_BUILD HD

# What the children plant outside their own cleanup (the job namespace, and
# a planted process should the harness under test not kill it) is removed
# here, after it was checked.
PLANTED_NS=()
planted_cleanup() {
        local ns p
        for ns in "${PLANTED_NS[@]}" $(cat "$T/planted.ns" 2>/dev/null); do ip netns del "$ns" 2>/dev/null || true; done
        if [ -f "$T/planted.pids" ]; then
                for p in $(cat "$T/planted.pids"); do kill -KILL "$p" 2>/dev/null || true; done
        fi
        if [ -f "$T/stray.pids" ]; then
                for p in $(cat "$T/stray.pids"); do kill -KILL "$p" 2>/dev/null || true; done
        fi
        return 0
}
CLEANUP_HOOKS+=(planted_cleanup)

cat >"$T/child.sh" <<'EOC'
#!/bin/bash
# one case of test_harness.sh: $1 names it; PLANT_PIDS is a file for planted pids
. "$HD/lib.sh"
. "$HD/ovs.sh"
. "$HD/sites.sh"
. "$HD/libvirt.sh"
. "$HD/guests.sh"
vc_setup
case=$1
declare -F vc_jobs >/dev/null || vc_jobs() { :; } # an older lib.sh (HARNESS_DIR)
start_ovs
ovs_bridge br-vc
GUEST_BR=br-vc
WAN=${SITES_PREFIX}wan
sites_netns "$WAN"
mkdir -p "$T/www"
echo hello >"$T/www/index.html"
origin_start "$WAN" "$T/www" 8080 # an origin is the harness's own: never a leak
ovs_host h1 10.9.0.1 br-vc ph1       # nor one in a host on the switch
origin_start "${NS_PREFIX}h1" "$T/www" 8080
echo "$NS_PREFIX $SITES_PREFIX" >>"$CHILD_PREFIXES"
case $case in none | domain | ovsdb | virsh) start_libvirtd_here=1 ;; *) start_libvirtd_here="" ;; esac
if [ -n "$start_libvirtd_here" ]; then
        LIBVIRT_DRIVERS=qemu start_libvirtd "$OVS_NS"
fi
case $case in
none) ;;
netns)
        # as l2.segment makes it: its lan0 is a veth to the switch's namespace
        # (deleted again: the namespace alone is the leak)
        vc_jobs "$CHILD_JOB"
        ip netns add "vcl-$CHILD_JOB-x001"
        ip -n "vcl-$CHILD_JOB-x001" link add lan0 type veth peer name x1f.9 netns "$OVS_NS"
        ip -n "vcl-$CHILD_JOB-x001" link del lan0
        # one of the same name pattern never linked to this run (another
        # run's job of the same id) is not ours
        vc_jobs "$((CHILD_JOB + 1))"
        ip netns add "vcl-$((CHILD_JOB + 1))-x001"
        echo "vcl-$((CHILD_JOB + 1))-x001" >>"$PLANT_NS"
        ;;
port)
        vsctl add-port br-vc vc1f.1 -- set interface vc1f.1 type=internal \
                -- set port vc1f.1 external_ids:vcluster-job=31
        ;;
link)
        ip -n "$OVS_NS" link add vcg1f.2 type veth peer name x1f.2
        ;;
domain)
        cat >"$T/dom.xml" <<EOX
<domain type='qemu'><name>vcluster-31-leak-1-1</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os></domain>
EOX
        vvirsh define "$T/dom.xml" >/dev/null
        ;;
process)
        ip netns exec "$WAN" sleep 600 &
        echo $! >>"$PLANT_PIDS"
        ;;
tunnel)
        ip -n "$WAN" link add vct1f.1 type veth peer name x1f.1
        ip netns exec "$WAN" /usr/bin/python3 -c '
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("0.0.0.0", 4789)); time.sleep(600)' &
        echo $! >>"$PLANT_PIDS"
        for _ in $(seq 50); do [ -n "$(ip netns exec "$WAN" ss -Hlun)" ] && break; sleep 0.1; done
        ;;
strayproc)
        cp /bin/sleep "$T/stray"
        "$T/stray" 600 &
        echo $! >>"$STRAY_PIDS" # the harness reports it, does not stop it
        ;;
virsh)
        _libvirtd_kill_daemon
        if (guest_leak_check) 2>"$T/glc.err"; then
                echo "guest_leak_check passed with libvirtd down" >&2
                exit 3
        fi
        cat "$T/glc.err" >&2
        ;;
ovsdb)
        ovsdb_kill
        if (guest_leak_check) 2>"$T/glc.err"; then
                echo "guest_leak_check passed with ovsdb-server down" >&2
                exit 3
        fi
        cat "$T/glc.err" >&2
        ;;
midtest)
        vc_jobs "$CHILD_JOB"
        ip netns add "vcl-$CHILD_JOB-x002"
        ip -n "vcl-$CHILD_JOB-x002" link add lan0 type veth peer name x1f.9 netns "$OVS_NS"
        vc_netns_leak_check
        echo "a leak hook called mid-test did not fail" >&2
        exit 3
        ;;
*) fail "no case $case" ;;
esac
pass
EOC
chmod 0755 "$T/child.sh"

# miss TEXT: a case went wrong; HARNESS_SURVEY=1 only reports it and goes on
# (to see what an older copy of the modules misses), else the test fails.
miss() {
        if [ -n "${HARNESS_SURVEY:-}" ]; then say "MISSED: $(head -c 300 <<<"$*" | tr '\n' ' ')"; else fail "$*"; fi
}

# child CASE WANT_RC TEXT…: the case (job id CHILD_JOB) exits WANT_RC and its output holds each TEXT.
child() {
        local c=$1 want=$2 rc=0 t
        shift 2
        PLANTED_NS+=("vcl-$CHILD_JOB-x001" "vcl-$CHILD_JOB-x002")
        CHILD_JOB=$CHILD_JOB PLANT_NS=$T/planted.ns PLANT_PIDS=$T/planted.pids STRAY_PIDS=$T/stray.pids CHILD_PREFIXES=$T/prefixes \
                timeout 60 bash "$T/child.sh" "$c" >"$T/$c.out" 2>&1 || rc=$?
        ip netns del "vcl-$CHILD_JOB-x001" 2>/dev/null || true # planted: the product's to remove
        ip netns del "vcl-$CHILD_JOB-x002" 2>/dev/null || true
        if grep -q . "$T/planted.ns" 2>/dev/null; then
                while read -r ns; do
                        grep -qF "$ns" "$T/$c.out" && miss "case $c: reported $ns, a namespace of the same name never linked to it"
                        ip netns del "$ns" 2>/dev/null || true
                done <"$T/planted.ns"
                : >"$T/planted.ns"
        fi
        if [ "$rc" != "$want" ]; then
                miss "case $c exited $rc, expected $want: $(cat "$T/$c.out")"
                return 0
        fi
        for t in "$@"; do
                grep -qF -- "$t" "$T/$c.out" || { miss "case $c: no '$t' in: $(cat "$T/$c.out")"; return 0; }
        done
        say "$c: exit $rc$([ $# = 0 ] || printf ', says "%s"' "${@: -1}")"
}
CHILD_JOB=$((900000 + $$ % 90000))
export CHILD_JOB

: >"$T/planted.pids"
: >"$T/planted.ns"
: >"$T/stray.pids"
: >"$T/prefixes"
child none 0 "PASS child" # the control: nothing planted, nothing found
child netns 1 "FAIL child: leak:" "network namespace vcl-$CHILD_JOB-x001 (job $CHILD_JOB) left"
child port 1 "FAIL child: leak:" "OVS ports of the product left: vc1f.1"
child link 1 "FAIL child: leak:" "links of the product left in vc" "vcg1f.2"
child domain 1 "FAIL child: leak:" "libvirt domains left: vcluster-31-leak-1-1"
child process 1 "FAIL child: leak:" "processes left in vc" "sleep 600"
child tunnel 1 "FAIL child: leak:" "links of the product left in vc" "vct1f.1" "UDP sockets left in vc" ":4789"
child strayproc 1 "FAIL child: leak:" "processes still running:" "/stray 600"
child ovsdb 1 "leak check: cannot list the ports on br-vc" "FAIL child: leak:" "cannot list the OVS ports"
child virsh 0 "leak check: cannot list libvirt's domains" "PASS child"
child midtest 1 "FAIL child: leak: network namespace vcl-$CHILD_JOB-x002 (job $CHILD_JOB) left"

say "the harness's cleanup stopped every process planted in its namespaces and removed every namespace it made"
for p in $(cat "$T/planted.pids"); do
        ! kill -0 "$p" 2>/dev/null || fail "planted process $p outlived its test: $(ps -o pid=,args= -p "$p")"
done
for pfx in $(cat "$T/prefixes"); do
        left=$(ip netns list | awk '{print $1}' | grep "^$pfx" || true)
        [ -z "$left" ] || fail "namespaces of a child left: $left"
done
pass
