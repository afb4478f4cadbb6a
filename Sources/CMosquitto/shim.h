#ifndef IOTGW_CMOSQUITTO_SHIM_H
#define IOTGW_CMOSQUITTO_SHIM_H
#include <mosquitto.h>
#include <mqtt_protocol.h>
#ifdef __linux__
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
/* Names the calling thread (at most 15 bytes show) for top -H and profiles. */
static inline void iotgw_name_thread(const char *name) { pthread_setname_np(pthread_self(), name); }
/* The MQTT event loop drives libmosquitto sockets with epoll and wakes up through an eventfd;
   Swift's Glibc module does not export these headers. */
#include <sys/epoll.h>
#include <sys/eventfd.h>
#endif
#endif
