#ifndef IOTGW_CMOSQUITTO_SHIM_H
#define IOTGW_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#ifdef __linux__
/* The MQTT event loop drives libmosquitto sockets with epoll and wakes up through an eventfd;
   Swift's Glibc module does not export these headers. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
#endif
