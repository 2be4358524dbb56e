#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# exitgate-dpdk-setup against a fake /sys (three ENA NICs, no IOMMU) with stand-ins for modprobe,
# ip, mount and dpdk-devbind.py, which move the fake NICs between drivers the way the kernel
# would: the NIC the kernel routes out by stays with the kernel; the public and egress NICs are
# found by MAC, bound, recorded, and their PCI addresses written into exitgate.yaml (checked by
# the real exitgated --check-config); a second start changes nothing; stop gives them back.
set -u
src=${EXITGATE_SOURCE:?EXITGATE_SOURCE is the source tree}
build=${EXITGATE_BUILD:?EXITGATE_BUILD is the build tree}
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$src/tests/deploy/lib.sh"

exitgated=$build/control/exitgated
if [ ! -x "$exitgated" ]; then
	echo "FAIL: $exitgated is not built"
	echo "0 passed, 1 failed"
	exit 1
fi

work=$build/tests/deploy/setup-script-work
rm -rf "$work"
fs=$work/sys
bin=$work/bin
calls=$work/calls
mkdir -p "$bin" "$fs/kernel/iommu_groups" "$fs/kernel/mm/hugepages/hugepages-2048kB" \
	"$fs/module/vfio/parameters" "$fs/bus/pci/drivers/ena" "$fs/bus/pci/drivers/vfio-pci" \
	"$fs/bus/pci/drivers/igb_uio" "$fs/class/net" "$work/unbound-netdevs" "$work/etc"
echo 0 >"$fs/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
echo N >"$fs/module/vfio/parameters/enable_unsafe_noiommu_mode"

# add_nic NAME MAC PCI: a netdev on a PCI function driven by ena.
add_nic() {
	mkdir -p "$fs/bus/pci/devices/$3" "$fs/class/net/$1"
	ln -s "$fs/bus/pci/drivers/ena" "$fs/bus/pci/devices/$3/driver"
	ln -s "$fs/bus/pci/devices/$3" "$fs/class/net/$1/device"
	echo "$2" >"$fs/class/net/$1/address"
}
add_nic ens5 0a:00:5e:00:00:05 0000:00:05.0   # management: the kernel routes out by it
add_nic ens6 0a:00:5e:00:00:06 0000:00:0a.0   # public
add_nic ens7 0a:00:5e:00:00:07 0000:00:0b.0   # egress
mkdir -p "$fs/class/net/lo" && echo 00:00:00:00:00:00 >"$fs/class/net/lo/address"

# Stand-ins log their command line; dpdk-devbind.py --bind=DRIVER PCI also re-points the fake
# driver link, and a netdev exists only while ena drives its function, as in the kernel.
stub() {
	{
		echo '#!/usr/bin/env bash'
		# shellcheck disable=SC2016 # written into the stand-in, expanded when it runs
		echo 'echo "${0##*/} $*" >>"$FAKE_CALLS"'
		cat
	} >"$bin/$1"
	chmod +x "$bin/$1"
}
stub modprobe </dev/null
stub rmmod </dev/null
stub modinfo </dev/null
stub mount </dev/null
stub ip <<'EOT'
if [ "$*" = "-o route get 192.0.2.1" ]; then
	echo "192.0.2.1 via 10.20.2.1 dev ens5 src 10.20.2.10 uid 0 \    cache "
fi
EOT
stub dpdk-devbind.py <<'EOT'
driver=${1#--bind=}
dev=$FAKE_SYSFS/bus/pci/devices/$2
rm -f "$(readlink -f "$dev/driver")/$2"
ln -sfn "$FAKE_SYSFS/bus/pci/drivers/$driver" "$dev/driver"
ln -s "$dev" "$FAKE_SYSFS/bus/pci/drivers/$driver/$2"
for netdev in "$FAKE_SYSFS"/class/net/* "$FAKE_UNBOUND"/*; do
	[ "$(readlink -f "$netdev/device")" = "$(readlink -f "$dev")" ] || continue
	if [ "$driver" = ena ]; then
		mv "$netdev" "$FAKE_SYSFS/class/net/"
	else
		mv "$netdev" "$FAKE_UNBOUND/"
	fi
done
EOT
export FAKE_CALLS=$calls FAKE_SYSFS=$fs FAKE_UNBOUND=$work/unbound-netdevs

key=$work/etc/private.key
sed -e 's|"0000:00:06.0"|"@EXITGATE_PUBLIC_DEVICE@"|' \
	-e 's|"0000:00:07.0"|"@EXITGATE_EGRESS_DEVICE@"|' \
	-e "s|/etc/exitgate/private.key|$key|" "$src/deploy/exitgate.yaml.example" \
	>"$work/etc/exitgate.yaml.in"
cat >"$work/etc/default" <<EOT
EXITGATE_PUBLIC_MAC=0A:00:5E:00:00:06
EXITGATE_EGRESS_MAC=0a:00:5e:00:00:07
EXITGATE_DPDK_DRIVER=vfio-pci
EXITGATE_HUGEPAGES=1024
EXITGATE_PRIVATE_KEY_FILE=$key
EOT

setup() {
	PATH=$bin:$PATH EXITGATE_SYSFS=$fs EXITGATE_HUGETLBFS=$work/hugepages \
		EXITGATE_DEFAULTS=$work/etc/default EXITGATE_CONFIG=$work/etc/exitgate.yaml \
		EXITGATE_STATE_DIR=$work/run EXITGATE_DEVICE_TIMEOUT=1 EXITGATED=$exitgated \
		"$src/deploy/scripts/exitgate-dpdk-setup" "$@"
}

driver_of() {
	basename "$(readlink -f "$fs/bus/pci/devices/$1/driver")"
}

called() {
	grep -qxF "$1" "$calls"
}

check "start" setup start
check "hugepages reserved" grep -qx 1024 "$fs/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages"
check "hugetlbfs mounted" called "mount -t hugetlbfs nodev $work/hugepages"
check "vfio loaded in no-IOMMU mode (no IOMMU groups)" \
	called "modprobe vfio enable_unsafe_noiommu_mode=1"
check "no-IOMMU mode set even when vfio was already loaded" \
	grep -qx 1 "$fs/module/vfio/parameters/enable_unsafe_noiommu_mode"
check "vfio-pci loaded" called "modprobe vfio-pci"
check "public NIC (found by an upper-case MAC) taken down" called "ip link set dev ens6 down"
check "public NIC on vfio-pci" test "$(driver_of 0000:00:0a.0)" = vfio-pci
check "egress NIC on vfio-pci" test "$(driver_of 0000:00:0b.0)" = vfio-pci
check "management NIC left to the kernel" test "$(driver_of 0000:00:05.0)" = ena
for entry in PUBLIC_PCI=0000:00:0a.0 PUBLIC_KERNEL_DRIVER=ena EGRESS_PCI=0000:00:0b.0 \
	EGRESS_KERNEL_DRIVER=ena; do
	check "state records $entry" grep -qx "$entry" "$work/run/ports"
done
check "exitgate.yaml has the bound PCI addresses" sh -c \
	"grep -q 'device: \"0000:00:0a.0\"' '$work/etc/exitgate.yaml' &&
	 grep -q 'device: \"0000:00:0b.0\"' '$work/etc/exitgate.yaml'"
check "exitgated --check-config accepts it" "$exitgated" --check-config "$work/etc/exitgate.yaml"
check "private key generated" test -s "$key"

: >"$calls"
check "second start (NICs already bound, their netdevs gone)" setup start
check "second start binds nothing again" sh -c "! grep -q dpdk-devbind.py '$calls'"

check "stop" setup stop
check "public NIC back on ena" test "$(driver_of 0000:00:0a.0)" = ena
check "egress NIC back on ena" test "$(driver_of 0000:00:0b.0)" = ena
check "state forgets the NICs" sh -c "! grep -q _PCI= '$work/run/ports'"

refuses() {
	local want=$1
	! setup start 2>"$work/err" && grep -qF -- "$want" "$work/err"
}

sed -i 's/^EXITGATE_PUBLIC_MAC=.*/EXITGATE_PUBLIC_MAC=0a:00:5e:00:00:05/' "$work/etc/default"
check "refuses the NIC the kernel routes out by" refuses "carries the kernel's own route out"
check "... and leaves it with the kernel" test "$(driver_of 0000:00:05.0)" = ena

sed -i 's/^EXITGATE_PUBLIC_MAC=.*/EXITGATE_PUBLIC_MAC=0a:00:5e:00:00:99/' "$work/etc/default"
check "fails clearly when no NIC has the MAC" refuses "no NIC with MAC 0a:00:5e:00:00:99"

sed -i -e 's/^EXITGATE_PUBLIC_MAC=.*/EXITGATE_PUBLIC_MAC=0a:00:5e:00:00:06/' \
	-e 's/^EXITGATE_DPDK_DRIVER=.*/EXITGATE_DPDK_DRIVER=igb_uio/' "$work/etc/default"
: >"$calls"
check "start with igb_uio (after a stop emptied the state)" setup start
check "igb_uio loaded with write-combining" called "modprobe igb_uio wc_activate=1"
check "public NIC on igb_uio" test "$(driver_of 0000:00:0a.0)" = igb_uio
check "egress NIC on igb_uio" test "$(driver_of 0000:00:0b.0)" = igb_uio

# wc_activate cannot be read back: an igb_uio loaded elsewhere and holding no device is reloaded,
# one holding our NICs is kept.
mkdir -p "$fs/module/igb_uio"
: >"$calls"
check "restart with igb_uio holding our NICs" setup start
check "... keeps the module" sh -c "! grep -q rmmod '$calls'"
check "stop" setup stop
: >"$calls"
check "start with an igb_uio that holds no device" setup start
check "... reloads it with write-combining" sh -c \
	"grep -qx 'rmmod igb_uio' '$calls' && grep -qx 'modprobe igb_uio wc_activate=1' '$calls'"

finish
