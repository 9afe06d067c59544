SUMMARY = "binge, a player for vertical micro-drama series on TV boxes"
DESCRIPTION = "binge plays HLS series through GStreamer's playbin3 with a 10-foot UI \
drawn by SDL2, driven by a TV remote (evdev, HDMI-CEC, LIRC, game controllers). \
binge-server, the reference backend (libmicrohttpd, SQLite), is in ${PN}-server."
HOMEPAGE = "https://example.invalid/binge"
SECTION = "multimedia"
# binge's tree carries no licence yet: all rights reserved by its authors, as the Debian
# copyright file says (its "Files: *" paragraph is what the checksum covers).
LICENSE = "LicenseRef-binge-all-rights-reserved"
LIC_FILES_CHKSUM = "file://platform/dist/debian/copyright;beginline=7;endline=10;md5=86592c47e27c90a502927c5d31329c84"
NO_GENERIC_LICENSE[binge-all-rights-reserved] = "platform/dist/debian/copyright"

SRC_URI = "${BINGE_SRC_URI}"
SRCREV ?= "${AUTOREV}"
PV = "0.1.0+git"

inherit cmake pkgconfig systemd gettext

DEPENDS = " \
    cjson \
    curl \
    fontconfig \
    fribidi \
    gstreamer1.0 \
    gstreamer1.0-plugins-base \
    harfbuzz \
    libsdl2 \
    libsdl2-image \
    libsdl2-ttf \
    libthai \
    libunibreak \
    qrencode \
"

# The tests and fuzzers are not built for the target; msgfmt is the host's (gettext).
EXTRA_OECMAKE = " \
    -DBINGE_BUILD_TESTS=OFF \
    -DBINGE_FUZZ=OFF \
    -DBINGE_WERROR=OFF \
    -DBINGE_SANITIZE=OFF \
    -DBINGE_SYSTEMD_UNIT_DIR=${systemd_system_unitdir} \
"

PACKAGECONFIG ??= "evdev cec gamecontroller kms v4l2 server"
PACKAGECONFIG[evdev] = "-DBINGE_INPUT_EVDEV=ON,-DBINGE_INPUT_EVDEV=OFF,libevdev"
PACKAGECONFIG[cec] = "-DBINGE_INPUT_CEC=ON,-DBINGE_INPUT_CEC=OFF"
PACKAGECONFIG[lirc] = "-DBINGE_INPUT_LIRC=ON,-DBINGE_INPUT_LIRC=OFF"
PACKAGECONFIG[gamecontroller] = "-DBINGE_INPUT_GAMECONTROLLER=ON,-DBINGE_INPUT_GAMECONTROLLER=OFF"
# The UI on the primary DRM plane (SDL2 kmsdrm), the video on an overlay plane (kmssink).
PACKAGECONFIG[kms] = "-DBINGE_LIBDRM=ON,-DBINGE_LIBDRM=OFF,libdrm,gstreamer1.0-plugins-bad-kms"
# The V4L2 decoders the rpi and kms profiles rank above software.
PACKAGECONFIG[v4l2] = ",,,gstreamer1.0-plugins-good-video4linux2 gstreamer1.0-plugins-bad-v4l2codecs"
PACKAGECONFIG[server] = "-DBINGE_BUILD_SERVER=ON,-DBINGE_BUILD_SERVER=OFF,libmicrohttpd sqlite3 openssl"

PACKAGES =+ "${PN}-server"

FILES:${PN}-server = " \
    ${bindir}/binge-server \
    ${datadir}/binge-server \
    ${sysconfdir}/binge/binge-server.conf \
    ${systemd_system_unitdir}/binge-server.service \
    ${mandir}/man1/binge-server.1* \
    ${docdir}/binge-server \
"
FILES:${PN} += "${datadir}/binge ${systemd_system_unitdir}/binge.service"
CONFFILES:${PN} = "${sysconfdir}/binge/binge.conf"

SYSTEMD_PACKAGES = "${PN} ${@bb.utils.contains('PACKAGECONFIG', 'server', '${PN}-server', '', d)}"
SYSTEMD_SERVICE:${PN} = "binge.service"
SYSTEMD_SERVICE:${PN}-server = "binge-server.service"
SYSTEMD_AUTO_ENABLE:${PN} ?= "enable"
SYSTEMD_AUTO_ENABLE:${PN}-server ?= "disable"

# What playbin3 loads at run time for binge's streams (HLS, MPEG-TS and fMP4, H.264, HEVC,
# AAC, WebVTT), and a font for the UI.
RDEPENDS:${PN} = " \
    gstreamer1.0-plugins-base-app \
    gstreamer1.0-plugins-base-alsa \
    gstreamer1.0-plugins-base-audioconvert \
    gstreamer1.0-plugins-base-audioresample \
    gstreamer1.0-plugins-base-playback \
    gstreamer1.0-plugins-base-subparse \
    gstreamer1.0-plugins-base-typefindfunctions \
    gstreamer1.0-plugins-base-videoconvertscale \
    gstreamer1.0-plugins-base-volume \
    gstreamer1.0-plugins-good-adaptivedemux2 \
    gstreamer1.0-plugins-good-audioparsers \
    gstreamer1.0-plugins-good-autodetect \
    gstreamer1.0-plugins-good-isomp4 \
    gstreamer1.0-plugins-good-soup \
    gstreamer1.0-plugins-bad-mpegtsdemux \
    gstreamer1.0-plugins-bad-videoparsersbad \
    gstreamer1.0-libav \
    liberation-fonts \
"
