################################################################################
#
# binge
#
################################################################################

# Built from the binge tree this BR2_EXTERNAL sits in (platform/dist/buildroot/).
# To build a release instead, set BINGE_SITE to its tarball or git URL and
# BINGE_SITE_METHOD accordingly, with a binge.hash beside this file.
BINGE_VERSION = 0.1.0
BINGE_SITE = $(BR2_EXTERNAL_BINGE_PATH)/../../..
BINGE_SITE_METHOD = local
# The tree's own build directories (build/, build-aarch64/, ...) are not sources.
BINGE_OVERRIDE_SRCDIR_RSYNC_EXCLUSIONS = --exclude='/build*'
BINGE_LICENSE = PROPRIETARY
BINGE_REDISTRIBUTE = NO
BINGE_DEPENDENCIES = \
	host-gettext \
	host-pkgconf \
	cjson \
	fontconfig \
	gst1-plugins-base \
	gstreamer1 \
	harfbuzz \
	libcurl \
	libfribidi \
	libqrencode \
	libthai \
	libunibreak \
	sdl2 \
	sdl2_image \
	sdl2_ttf

# msgfmt runs on the build host (host-gettext); the tests and fuzzers
# are not built for the target.
BINGE_CONF_OPTS = \
	-DBINGE_BUILD_TESTS=OFF \
	-DBINGE_FUZZ=OFF \
	-DBINGE_WERROR=OFF \
	-DBINGE_SANITIZE=OFF \
	-DBINGE_SYSTEMD_UNIT_DIR=/usr/lib/systemd/system

ifeq ($(BR2_PACKAGE_BINGE_KMS),y)
BINGE_DEPENDENCIES += libdrm
BINGE_CONF_OPTS += -DBINGE_LIBDRM=ON
else
BINGE_CONF_OPTS += -DBINGE_LIBDRM=OFF
endif

ifeq ($(BR2_PACKAGE_BINGE_EVDEV),y)
BINGE_DEPENDENCIES += libevdev
BINGE_CONF_OPTS += -DBINGE_INPUT_EVDEV=ON
else
BINGE_CONF_OPTS += -DBINGE_INPUT_EVDEV=OFF
endif

ifeq ($(BR2_PACKAGE_BINGE_CEC),y)
BINGE_CONF_OPTS += -DBINGE_INPUT_CEC=ON
else
BINGE_CONF_OPTS += -DBINGE_INPUT_CEC=OFF
endif

ifeq ($(BR2_PACKAGE_BINGE_LIRC),y)
BINGE_CONF_OPTS += -DBINGE_INPUT_LIRC=ON
else
BINGE_CONF_OPTS += -DBINGE_INPUT_LIRC=OFF
endif

ifeq ($(BR2_PACKAGE_BINGE_GAMECONTROLLER),y)
BINGE_CONF_OPTS += -DBINGE_INPUT_GAMECONTROLLER=ON
else
BINGE_CONF_OPTS += -DBINGE_INPUT_GAMECONTROLLER=OFF
endif

ifeq ($(BR2_PACKAGE_BINGE_SERVER),y)
BINGE_DEPENDENCIES += libmicrohttpd openssl sqlite
BINGE_CONF_OPTS += -DBINGE_BUILD_SERVER=ON
else
BINGE_CONF_OPTS += -DBINGE_BUILD_SERVER=OFF
endif

# The kiosk unit (KMS, restart on failure, watchdog, StateDirectory=);
# binge-server's with it when it is built.
define BINGE_INSTALL_INIT_SYSTEMD
	$(INSTALL) -D -m 0644 $(@D)/platform/dist/systemd/binge.service \
		$(TARGET_DIR)/usr/lib/systemd/system/binge.service
	$(if $(BR2_PACKAGE_BINGE_SERVER), \
		$(INSTALL) -D -m 0644 $(@D)/platform/dist/systemd/binge-server.service \
			$(TARGET_DIR)/usr/lib/systemd/system/binge-server.service)
endef

# Without systemd the units CMake installs have no use on the target.
ifneq ($(BR2_INIT_SYSTEMD),y)
define BINGE_REMOVE_SYSTEMD_UNITS
	rm -f $(TARGET_DIR)/usr/lib/systemd/system/binge.service \
		$(TARGET_DIR)/usr/lib/systemd/system/binge-server.service
endef
BINGE_POST_INSTALL_TARGET_HOOKS += BINGE_REMOVE_SYSTEMD_UNITS
endif

$(eval $(cmake-package))
