#!/bin/bash
# autowg-helper against real kernel WireGuard: Debian's kernel with its real
# wireguard.ko under qemu (tests/qemu/vm.sh) runs tests/qemu/guest/helper-kernel
# with the real helper (--backend kernel, and auto) and awg-call as the
# client: refused start-ups, the start-up flush, every registration rule, the
# interface deleted and re-created, garbage frames, SIGTERM, and the median
# registration time at 100 and at 20,000 existing peers ("# " lines).
# About 50 s on a quiet host (most of it registering 20,000 peers), up to two
# minutes on a busy one. KERNEL_HELPER_FILL=N measures at N peers instead.
. "$(dirname "$0")/../lib.sh"

for f in "$B/autowg-helper" "$B/tests/clients/awg-call"; do
	[ -x "$f" ] || { echo "not ok - $f is built"; exit 1; }
done
# 20,000 peers take about 35 MB of kernel memory. One CPU: under TCG a
# request and its reply between two vCPUs cost cross-CPU wake-ups, and on a
# busy host two vCPU threads wait for each other; with one, filling 20,000
# peers takes about 25 s instead of 35 to 60, and the medians hold still.
# The figures depend on how busy the host is: say how busy.
echo "# host load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$TOP/tests/qemu/vm.sh" --smp 1 --mem 1024 --timeout 600 --module dummy \
	--file "$B/autowg-helper:/opt/autowg-helper" --file "$B/tests/clients/awg-call:/opt/awg-call" \
	-- "$TOP/tests/qemu/guest/helper-kernel" /opt/autowg-helper /opt/awg-call \
	"${KERNEL_HELPER_FILL:-20000}"
rc=$?
echo "# host load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ "$rc" -eq 0 ] || echo "not ok - the helper test in the VM failed (vm.sh status $rc)"
exit "$rc"
