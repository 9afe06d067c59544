# binge's KMS video output (kmssink) and the stateless V4L2 decoders (v4l2slh264dec,
# v4l2slh265dec) of the rpi and kms profiles.
PACKAGECONFIG:append = " kms v4l2codecs"
