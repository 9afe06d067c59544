SUMMARY = "Thai language support library"
DESCRIPTION = "libthai breaks Thai text into words with a dictionary; binge wraps Thai \
lines at words with it."
HOMEPAGE = "https://github.com/tlwg/libthai"
SECTION = "libs"
LICENSE = "LGPL-2.1-or-later"
# Not set here: the md5 of the tarball's COPYING could not be computed without network. The
# first build stops at do_populate_lic and prints it: put it here as file://COPYING;md5=...
# LIC_FILES_CHKSUM = "file://COPYING;md5=..."

SRC_URI = "https://github.com/tlwg/libthai/releases/download/v${PV}/${BP}.tar.xz"
SRC_URI[sha256sum] = "fc80cc7dcb50e11302b417cebd24f2d30a8b987292e77e003267b9100d0f4bcd"

# The dictionary is built with the host's trietool.
DEPENDS = "libdatrie libdatrie-native"

inherit autotools pkgconfig

EXTRA_OECONF = "--disable-doxygen-doc"
CACHED_CONFIGUREVARS += "ac_cv_path_TRIETOOL=${STAGING_BINDIR_NATIVE}/trietool"
