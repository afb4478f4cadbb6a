#ifndef IOTGW_CMOSQUITTO_SHIM_H
#define IOTGW_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#endif
