/* SPDX-License-Identifier: MIT */
/*
 * The /metrics endpoint: an HTTP/1.1 server, on libmicrohttpd, that serves the latest
 * published text on GET /metrics (and HEAD) from a thread of its own, so tracing never waits
 * on a scraper.  Every answer closes its connection; docs/prometheus.md lists the answers and
 * the limits on what a client may hold.
 */
#ifndef MT_PROM_HTTP_H
#define MT_PROM_HTTP_H

#include <stddef.h>

/* A running server: libmicrohttpd's thread, its connections, the published text. */
struct prom_server;

/**
 * prom_server__start() - listen on @addr_port and serve /metrics from a thread of its own.
 * @addr_port: "PORT", ":PORT" (both 127.0.0.1), "IPV4:PORT" or "[IPV6]:PORT"; numeric
 * addresses only, port 0..65535 (0: any free port, see prom_server__port()).
 * @out: set to the running server, NULL on failure.
 * Until the first prom_server__publish(), scrapes get 503.  The server's thread blocks every
 * signal, so they go to the caller's threads.  Prints one line on stderr saying what is wrong
 * when it fails; once listening, one with the URL it serves (the port the kernel picked for
 * port 0), and one more warning what other hosts can read when the address is not loopback.
 * Return: 0, -EINVAL for a malformed address, -EADDRINUSE, -EACCES, -EADDRNOTAVAIL, or
 * another negative errno.
 */
int prom_server__start(const char *addr_port, struct prom_server **out);

/** prom_server__port() - the port the server listens on (the one picked for port 0). */
int prom_server__port(const struct prom_server *s);

/**
 * prom_server__publish() - serve @buf (@len bytes, copied) to every later scrape.  Scrapes
 * in progress finish with the text they started with.  Safe to call from any thread while the
 * server runs; it waits on no client.  Return: 0 or -ENOMEM.
 */
int prom_server__publish(struct prom_server *s, const char *buf, size_t len);

/**
 * prom_server__stop() - close every connection and the listening socket, stop the thread,
 * free.  NULL is allowed.
 */
void prom_server__stop(struct prom_server *s);

#endif /* MT_PROM_HTTP_H */
