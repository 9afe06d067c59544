# Sourced by run-input-test and run-binge-test: their trailing arguments (--arch A, --sysroot
# DIR) and BINGE_KGUEST_MACHINE, turned into kguest's arguments, the QEMU they need and a
# factor for the bounds of an emulated CPU.
arch=amd64
sysroot=""
while [ $# -gt 0 ]; do
    case $1 in
    --arch) arch=$2; shift 2 ;;
    --sysroot) sysroot=$2; shift 2 ;;
    *) echo "unknown argument $1" >&2; exit 2 ;;
    esac
done
machine=${BINGE_KGUEST_MACHINE:-}
initramfs_args="--arch $arch"
[ -z "$sysroot" ] || initramfs_args="$initramfs_args --sysroot $sysroot"
run_args="--arch $arch"
[ -z "$machine" ] || run_args="$run_args --machine $machine"
case $arch in
amd64) qemu=qemu-system-x86_64 qemu_pkg=qemu-system-x86 scale=1 triplet=x86_64-linux-gnu ;;
arm64) qemu=qemu-system-aarch64 qemu_pkg=qemu-system-arm scale=3 triplet=aarch64-linux-gnu ;;
*) echo "unknown arch $arch" >&2; exit 2 ;;
esac
