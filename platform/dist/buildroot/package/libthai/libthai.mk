################################################################################
#
# libthai
#
################################################################################

LIBTHAI_VERSION = 0.1.29
LIBTHAI_SOURCE = libthai-$(LIBTHAI_VERSION).tar.xz
LIBTHAI_SITE = https://github.com/tlwg/libthai/releases/download/v$(LIBTHAI_VERSION)
LIBTHAI_LICENSE = LGPL-2.1+
LIBTHAI_LICENSE_FILES = COPYING
LIBTHAI_INSTALL_STAGING = YES
# The word dictionary is built by the host's trietool (host-libdatrie).
LIBTHAI_DEPENDENCIES = host-pkgconf host-libdatrie libdatrie
LIBTHAI_CONF_ENV = ac_cv_path_TRIETOOL=$(HOST_DIR)/bin/trietool
LIBTHAI_CONF_OPTS = --disable-doxygen-doc

$(eval $(autotools-package))
