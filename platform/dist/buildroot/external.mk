include $(sort $(wildcard $(BR2_EXTERNAL_BINGE_PATH)/package/*/*.mk))
