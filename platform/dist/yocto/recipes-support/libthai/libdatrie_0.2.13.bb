SUMMARY = "Double-array trie library"
DESCRIPTION = "libdatrie stores the word dictionary of libthai."
HOMEPAGE = "https://github.com/tlwg/libdatrie"
SECTION = "libs"
LICENSE = "LGPL-2.1-or-later"
# The md5 of the standard LGPL-2.1 text; not checked against the tarball here (no network):
# do_populate_lic says so if the file differs.
LIC_FILES_CHKSUM = "file://COPYING;md5=2d5025d4aa3495befef8f17206a5b0a1"

SRC_URI = "https://github.com/tlwg/libdatrie/releases/download/v${PV}/${BP}.tar.xz"
SRC_URI[sha256sum] = "12231bb2be2581a7f0fb9904092d24b0ed2a271a16835071ed97bed65267f4be"

inherit autotools pkgconfig

EXTRA_OECONF = "--disable-doxygen-doc"

BBCLASSEXTEND = "native"
