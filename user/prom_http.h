/* SPDX-License-Identifier: MIT */
/*
 * The /metrics endpoint: an HTTP/1.1 server that serves the latest published text on
 * GET /metrics (and HEAD) from a thread of its own, so tracing never waits on a scraper.
 */
#ifndef MT_PROM_HTTP_H
#define MT_PROM_HTTP_H

#include <stddef.h>

/* The /metrics server: one thread, non-blocking sockets, poll() over a connection table. */
struct prom_server;

/**
 * prom_server__start() - listen on @addr_port and serve /metrics from a thread of its own.
 * @addr_port: "PORT", ":PORT" (both 127.0.0.1), "IPV4:PORT" or "[IPV6]:PORT"; numeric
 * addresses only, port 0..65535 (0: any free port, see prom_server__port()).
 * Until the first prom_server__publish(), scrapes get 503.  Prints one line on stderr saying
 * what is wrong when it fails.
 * Return: 0, -EINVAL for a malformed address, -EADDRINUSE, -EACCES, -EADDRNOTAVAIL, or
 * another negative errno.
 */
int prom_server__start(const char *addr_port, struct prom_server **out);

/** prom_server__port() - the port the server listens on (the one picked for port 0). */
int prom_server__port(const struct prom_server *s);

/**
 * prom_server__publish() - serve @buf (@len bytes, copied) to every later scrape.  Scrapes
 * in progress finish with the text they started with.  Return: 0 or -ENOMEM.
 */
int prom_server__publish(struct prom_server *s, const char *buf, size_t len);

/** prom_server__stop() - close every connection, stop the thread, free.  NULL is allowed. */
void prom_server__stop(struct prom_server *s);

#endif /* MT_PROM_HTTP_H */
