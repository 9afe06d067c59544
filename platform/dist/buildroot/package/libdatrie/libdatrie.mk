################################################################################
#
# libdatrie
#
################################################################################

LIBDATRIE_VERSION = 0.2.13
LIBDATRIE_SOURCE = libdatrie-$(LIBDATRIE_VERSION).tar.xz
LIBDATRIE_SITE = https://github.com/tlwg/libdatrie/releases/download/v$(LIBDATRIE_VERSION)
LIBDATRIE_LICENSE = LGPL-2.1+
LIBDATRIE_LICENSE_FILES = COPYING
LIBDATRIE_INSTALL_STAGING = YES
LIBDATRIE_CONF_OPTS = --disable-doxygen-doc
HOST_LIBDATRIE_CONF_OPTS = --disable-doxygen-doc

# libiconv is only needed by trietool when the C library has no iconv.
ifeq ($(BR2_PACKAGE_LIBICONV),y)
LIBDATRIE_DEPENDENCIES += libiconv
endif

$(eval $(autotools-package))
$(eval $(host-autotools-package))
