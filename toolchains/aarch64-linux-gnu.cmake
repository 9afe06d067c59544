# Cross-compiling binge for 64-bit ARM (Debian arm64) with Debian's gcc-aarch64-linux-gnu and a
# sysroot from toolchains/make-sysroot arm64. scripts/build-cross aarch64 uses it; by hand:
#   cmake -S . -B build-aarch64 -DCMAKE_TOOLCHAIN_FILE=toolchains/aarch64-linux-gnu.cmake
# The common part (sysroot, pkg-config, qemu-user) is in linux-gnu-common.cmake.
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(BINGE_CROSS_TRIPLET aarch64-linux-gnu)
set(BINGE_CROSS_DEBIAN_ARCH arm64)
set(BINGE_CROSS_QEMU qemu-aarch64)
include(${CMAKE_CURRENT_LIST_DIR}/linux-gnu-common.cmake)
