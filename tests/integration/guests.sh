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
                "NodeName=$GUEST_NODES OvsBridge=$GUEST_BR OvsDb=$OVS_DB Libvirt=$LIBVIRT_URI DomainType=qemu BootTimeout=180" \
                "${extra[@]}"
        start_daemon
        SLURM_NODE_CPUS=2 start_vcluster_slurm "$@"
}

gexec() {
        local node=$1 job=$2 guest=$3
        shift 3
        "$TOOLS/guestexec" -t 30 "$T/state/nodes/$node/$job/$guest.agent" "$@"
}

domains() { vvirsh list --all --name | sed '/^$/d'; }
guest_ports() { vsctl list-ports "$GUEST_BR"; }

# guest_leak_check: no domain, no guest port. Call it before pass: it needs
# libvirtd and OVS still running (pass's leak hooks run after they stop).
guest_leak_check() {
        [ -z "$(domains 2>/dev/null)" ] || fail "leak: domains left: $(domains)"
        [ -z "$(guest_ports 2>/dev/null)" ] || fail "leak: ports left on $GUEST_BR: $(guest_ports)"
}
