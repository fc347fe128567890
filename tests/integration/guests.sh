# guests.sh — a real Slurm cluster whose nodes boot real guests: OVS (the
# nodes' bridge, in the switch's namespace), libvirtd + QEMU (TCG) in that
# namespace too, vlanallocd, and Slurm with the plugin and hooks. Sourced
# after lib.sh, ovs.sh, libvirt.sh, slurm.sh.
#
#   start_guest_cluster NODES…   all of the above; nodes get 2 CPUs so two
#                                jobs can share them. The nodes of
#                                GUEST_NODES (a hostlist) get the guest
#                                NodeName line; a test's own config lines come
#                                from its function guest_conf_lines, if any,
#                                called once OVS_DB and LIBVIRT_URI are known
#                                (and after the test's function guest_setup,
#                                if any, run in this shell once OVS_NS exists).
#   gexec NODE JOB GUEST CMD…    run CMD inside the guest (guestexec over its
#                                agent socket); its exit status
#   gexec_unreached NODE JOB GUEST PROBE…
#                                the ping/arping ran and got no answer (a
#                                guestexec or probe failure fails the test)
#   domains                      names of every domain libvirtd has
#   guest_ports                  the guest ports on the nodes' bridge
#   guest_leak_check             no domain and no guest port is left
GUEST_IMG=$ROOT/$VC_BUILD/guest
GUEST_BR=br-vc
GUEST_NODES=${GUEST_NODES:-a[001-016]}

start_guest_cluster() {
        [ -f "$GUEST_IMG/vmlinuz" ] || fail "no guest image in $GUEST_IMG: make guest"
        start_munged
        start_ovs
        ovs_bridge "$GUEST_BR"
        start_libvirtd "$OVS_NS"
        # a test's own daemons that must live where the guests are (in OVS's namespace)
        if declare -F guest_setup >/dev/null; then guest_setup; fi
        local extra=()
        if declare -F guest_conf_lines >/dev/null; then mapfile -t extra < <(guest_conf_lines); fi
        write_conf "ImageName=tiny Kernel=$GUEST_IMG/vmlinuz Initrd=$GUEST_IMG/initrd.img Cmdline=\"console=ttyS0 quiet\"" \
                "NodeName=$GUEST_NODES OvsBridge=$GUEST_BR OvsDb=$OVS_DB OvsNetns=$OVS_NS Libvirt=$LIBVIRT_URI DomainType=qemu BootTimeout=180" \
                "${extra[@]}"
        start_daemon
        SLURM_NODE_CPUS=2 start_vcluster_slurm "$@"
}

gexec() {
        local node=$1 job=$2 guest=$3
        shift 3
        "$TOOLS/guestexec" -t 30 "$T/state/nodes/$node/$job/$guest.agent" "$@"
}

# (domains fails when virsh does: the pipeline would hide it)
# gexec_unreached NODE JOB GUEST PROBE…: PROBE (busybox ping or arping)
# ran in the guest and got no answer: guestexec worked (the probe's status
# came back), the probe exited 1 and reports that nothing was received. A
# guest that cannot be reached, or a probe that could not run (no route, bad
# device), fails the test: it is not "did not reach". Put a positive probe
# of the same guest next to it (the control).
gexec_unreached() {
        local node=$1 job=$2 guest=$3 rc=0 out
        shift 3
        out=$(gexec "$node" "$job" "$guest" "$* 2>&1; echo vc-probe-rc=\$?") || rc=$?
        [ "$rc" = 0 ] || fail "$guest: guestexec of '$*' failed (exit $rc): $out"
        grep -qx "vc-probe-rc=1" <<<"$out" || fail "$guest: '$*' did not exit 1 (no answer): $out"
        grep -qE '(^|, )0 packets received|Received 0 response' <<<"$out" ||
                fail "$guest: '$*' did not run to its end with nothing received: $out"
}

domains() {
        local out
        out=$(vvirsh list --all --name) || return 1
        sed '/^$/d' <<<"$out"
}
guest_ports() { vsctl list-ports "$GUEST_BR"; }
# wait_domains_gone: up to 20 s for libvirt to list no domain (an epilog's
# destroy and undefine finish after Slurm reports the job gone); the caller
# checks what is left.
wait_domains_gone() {
        local _
        for _ in $(seq 100); do [ -z "$(domains)" ] && return 0; sleep 0.2; done
        return 0
}

# end_guest_jobs JOB…: cancel the jobs, and return once Slurm has none of
# them, vlanallocd has released each, and libvirt lists no domain (or 20 s
# have passed: the caller checks what is left).
end_guest_jobs() {
        local j
        scancel "$@"
        for j; do
                wait_job_gone "$j"
                wait_released "$j"
        done
        wait_domains_gone
}

# guest_leak_check: no domain, no guest port, right now (a test calls it
# after each job; pass's leak hooks look again). A listing that fails (libvirtd
# or ovsdb down, the bridge gone) fails the check: it never reads as "none".
guest_leak_check() {
        local d p
        d=$(domains) || fail "leak check: cannot list libvirt's domains"
        [ -z "$d" ] || fail "leak: domains left: $(echo $d)"
        p=$(guest_ports) || fail "leak check: cannot list the ports on $GUEST_BR"
        [ -z "$p" ] || fail "leak: ports left on $GUEST_BR: $(echo $p)"
}
