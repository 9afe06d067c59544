# The part the cross toolchain files share. They set, then include this file:
#   CMAKE_SYSTEM_PROCESSOR, BINGE_CROSS_TRIPLET (the GNU triplet of the compiler and of Debian's
#   multiarch directories), BINGE_CROSS_DEBIAN_ARCH, BINGE_CROSS_QEMU (qemu-user's name).
#
# The sysroot, in this order: -DBINGE_SYSROOT=DIR, the environment's BINGE_SYSROOT, else where
# toolchains/make-sysroot puts it:
#   ${BINGE_SYSROOT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/binge}/sysroot-<debian arch>
# pkg-config looks only in the sysroot (PKG_CONFIG_LIBDIR, PKG_CONFIG_SYSROOT_DIR); programs
# (msgfmt, clang-format, pkg-config itself) are the build host's; libraries, headers and
# packages are the sysroot's only. With qemu-user installed, CMAKE_CROSSCOMPILING_EMULATOR runs
# the target's binaries (ctest, try_run) with the sysroot as their root for libraries and data.
set(CMAKE_SYSTEM_NAME Linux)

# try_compile projects read this file again without the cache: pass the sysroot on.
list(APPEND CMAKE_TRY_COMPILE_PLATFORM_VARIABLES BINGE_SYSROOT)

if(NOT BINGE_SYSROOT)
  if(DEFINED ENV{BINGE_SYSROOT} AND NOT "$ENV{BINGE_SYSROOT}" STREQUAL "")
    set(_binge_sysroot "$ENV{BINGE_SYSROOT}")
  else()
    if(DEFINED ENV{BINGE_SYSROOT_CACHE} AND NOT "$ENV{BINGE_SYSROOT_CACHE}" STREQUAL "")
      set(_binge_cache "$ENV{BINGE_SYSROOT_CACHE}")
    elseif(DEFINED ENV{XDG_CACHE_HOME} AND NOT "$ENV{XDG_CACHE_HOME}" STREQUAL "")
      set(_binge_cache "$ENV{XDG_CACHE_HOME}/binge")
    else()
      set(_binge_cache "$ENV{HOME}/.cache/binge")
    endif()
    set(_binge_sysroot "${_binge_cache}/sysroot-${BINGE_CROSS_DEBIAN_ARCH}")
  endif()
  set(BINGE_SYSROOT "${_binge_sysroot}" CACHE PATH
      "Debian ${BINGE_CROSS_DEBIAN_ARCH} sysroot (toolchains/make-sysroot ${BINGE_CROSS_DEBIAN_ARCH})")
endif()
if(NOT EXISTS "${BINGE_SYSROOT}/usr/lib/${BINGE_CROSS_TRIPLET}/libc.so")
  message(FATAL_ERROR "No ${BINGE_CROSS_DEBIAN_ARCH} sysroot at ${BINGE_SYSROOT}: make one with "
                      "toolchains/make-sysroot ${BINGE_CROSS_DEBIAN_ARCH} (scripts/build-cross does), "
                      "or pass -DBINGE_SYSROOT=DIR")
endif()

set(CMAKE_C_COMPILER ${BINGE_CROSS_TRIPLET}-gcc)
set(CMAKE_SYSROOT "${BINGE_SYSROOT}")
set(CMAKE_LIBRARY_ARCHITECTURE ${BINGE_CROSS_TRIPLET})

set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# The host's pkg-config reads the sysroot's .pc files only, and prefixes their paths with it.
# usr/lib/pkgconfig too: a few Debian 12 -dev packages are not multiarch (libunibreak-dev).
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${BINGE_SYSROOT}")
set(ENV{PKG_CONFIG_LIBDIR}
    "${BINGE_SYSROOT}/usr/lib/${BINGE_CROSS_TRIPLET}/pkgconfig:${BINGE_SYSROOT}/usr/lib/pkgconfig:${BINGE_SYSROOT}/usr/share/pkgconfig")
unset(ENV{PKG_CONFIG_PATH})

# qemu-user (qemu-user-static or qemu-user), when installed. -L makes the sysroot the root for
# the dynamic loader and for every file the program opens that exists there (fonts, fontconfig's
# /etc/fonts). GStreamer: no forked registry scanner (it would be a host process), and its
# plugins from the sysroot (qemu-arm does not find them by itself). DESIGN.md, issue 12.
# The registry is the build tree's own (gst-registry.bin): without it every build and sysroot
# shared ~/.cache/gstreamer-1.0/registry.<arch>.bin, whose plugin paths differ per sysroot, so
# a run after another tree's rescanned every plugin in-process (about a minute under qemu, and
# with libsoup 3: src/player/soup.c). Now the first run of a build scans, the others read it.
# All of this is emulator-only: a box runs binge natively, with gst-plugin-scanner or with the
# registry its image ships (a scan in the emulated Pi takes a minute: keep it in the image).
# GST_REGISTRY_1_0, when set, still wins over this GST_REGISTRY (a test that wants a scan).
find_program(BINGE_CROSS_EMULATOR NAMES ${BINGE_CROSS_QEMU}-static ${BINGE_CROSS_QEMU}
             NO_CMAKE_FIND_ROOT_PATH)
if(BINGE_CROSS_EMULATOR)
  set(CMAKE_CROSSCOMPILING_EMULATOR
      ${BINGE_CROSS_EMULATOR} -L ${BINGE_SYSROOT} -E GST_REGISTRY_FORK=no
      -E GST_PLUGIN_SYSTEM_PATH=${BINGE_SYSROOT}/usr/lib/${BINGE_CROSS_TRIPLET}/gstreamer-1.0
      -E GST_REGISTRY=${CMAKE_BINARY_DIR}/gst-registry.bin)
endif()
