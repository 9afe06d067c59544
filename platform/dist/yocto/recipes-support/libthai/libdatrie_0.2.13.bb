SUMMARY = "Double-array trie library"
DESCRIPTION = "libdatrie stores the word dictionary of libthai."
HOMEPAGE = "https://github.com/tlwg/libdatrie"
SECTION = "libs"
LICENSE = "LGPL-2.1-or-later"
# Not set here: the md5 of the tarball's COPYING could not be computed without network. The
# first build stops at do_populate_lic and prints it: put it here as file://COPYING;md5=...
# LIC_FILES_CHKSUM = "file://COPYING;md5=..."

SRC_URI = "https://github.com/tlwg/libdatrie/releases/download/v${PV}/${BP}.tar.xz"
SRC_URI[sha256sum] = "12231bb2be2581a7f0fb9904092d24b0ed2a271a16835071ed97bed65267f4be"

inherit autotools pkgconfig

EXTRA_OECONF = "--disable-doxygen-doc"

BBCLASSEXTEND = "native"
