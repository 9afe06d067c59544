SUMMARY = "Unicode line and word breaking (UAX #14, UAX #29)"
DESCRIPTION = "libunibreak finds where binge may break a line of text."
HOMEPAGE = "https://github.com/adah1972/libunibreak"
SECTION = "libs"
LICENSE = "Zlib"
# Not set here: the md5 of the tarball's LICENCE could not be computed without network (its
# sha256 is 0c57e2ec42ece17791a75d2f9b2f8e0663181be008667a507f765b3ef22522db). The first
# build stops at do_populate_lic and prints it: put it here as file://LICENCE;md5=...
# LIC_FILES_CHKSUM = "file://LICENCE;md5=..."

SRC_URI = "https://github.com/adah1972/libunibreak/releases/download/libunibreak_7_0/${BP}.tar.gz"
SRC_URI[sha256sum] = "8c9a6e121736cd0d5c890ae3ae96f3f4010a19aa040f1dbded833a62a87717d3"

inherit autotools pkgconfig
