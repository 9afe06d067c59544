# Cross-compiling binge for 32-bit ARM, hard float (Debian armhf: ARMv7-A, VFPv3-D16, Thumb-2)
# with Debian's gcc-arm-linux-gnueabihf and a sysroot from toolchains/make-sysroot armhf.
# scripts/build-cross armhf uses it; by hand:
#   cmake -S . -B build-armhf -DCMAKE_TOOLCHAIN_FILE=toolchains/arm-linux-gnueabihf.cmake
# The common part (sysroot, pkg-config, qemu-user) is in linux-gnu-common.cmake.
set(CMAKE_SYSTEM_PROCESSOR armv7l)
set(BINGE_CROSS_TRIPLET arm-linux-gnueabihf)
set(BINGE_CROSS_DEBIAN_ARCH armhf)
set(BINGE_CROSS_QEMU qemu-arm)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-common.cmake)
