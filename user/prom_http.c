// SPDX-License-Identifier: MIT
/*
 * The /metrics server on libmicrohttpd (MHD): MHD parses HTTP and runs the connections on one
 * thread of its own; this file picks the responses, bounds what a client can hold, and owns the
 * listening socket so that a bad --listen fails with a message that names the fix.
 * prom_http.h has the interface; docs/prometheus.md what a scraper sees.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/types.h>
#include <microhttpd.h>
#include "prom_http.h"
#include "util.h"

/*
 * The limits, each for a reason:
 *
 * MAX_CONNS: a scraper needs one connection at a time; 64 leave room for a few Prometheus
 * servers, curl and a burst of clients, while bounding descriptors and memory (MAX_CONNS x
 * CONN_MEMORY, 512 KiB) whatever clients do.  MHD stops accepting at the limit, so a table
 * full of idle or half-open clients would lock scrapes out until they time out: the moment
 * it fills, the oldest connection still sending its request is shut down (conn__evict()),
 * and the slot it frees goes to the next client waiting in the listen backlog.
 *
 * CONN_MEMORY: MHD keeps a connection's request, the parsed headers and the response's
 * headers in one pool of this size, so no request makes a connection cost more.  A request
 * of up to 7,968 bytes, or about 100 header lines, fits; one over about 8,150 bytes gets 431,
 * and one in between is closed unanswered (no room left for the 431).  A scrape request is a
 * few hundred bytes and under ten header lines.
 *
 * IDLE_TIMEOUT_S: MHD drops a connection after this long without a byte either way: a
 * client that goes silent before finishing its request, or stops taking its response, gives
 * its slot back within 5 s even when nobody else is waiting for it.
 *
 * WRITE_TIMEOUT_MS: a client that takes its response a few bytes every few seconds never
 * goes idle; when the table is full, one that has had this long is shut down as well.
 *
 * No per-address limit (MHD_OPTION_PER_IP_CONNECTION_LIMIT): the scraper and whatever hogs
 * connections often share an address (127.0.0.1, a NAT), so it would lock out the scraper
 * as readily as the hog; evicting the oldest idle connection does not.
 */
#define MAX_CONNS	 64
#define CONN_MEMORY	 (8 * 1024)
#define IDLE_TIMEOUT_S	 5
#define WRITE_TIMEOUT_MS 10000

/* A connection MHD runs, as conn__evict() sees it.  Only MHD's thread touches these. */
struct conn {
	int fd;	     /* -1: the slot is free */
	bool served; /* its request reached on_request(): it is taking its response */
	__u64 since; /* CLOCK_MONOTONIC ns: accepted, or once served, when its request came */
};

struct prom_server {
	struct MHD_Daemon *mhd;
	int port;
	pthread_mutex_t lock;
	struct MHD_Response *metrics; /* under lock: the latest published text, NULL before */
	/* the answers that never change, shared by every connection */
	struct MHD_Response *not_found, *not_allowed, *bad_request, *unavailable;
	struct conn conns[MAX_CONNS];
};

/*
 * The table has just filled (@fresh took the last slot), and MHD will accept nobody until a
 * connection closes: shut down the one that has waited longest for its request, or failed
 * longest to take its response, so the next client gets its slot.  MHD sees end of file on
 * it and closes it; its descriptor stays valid until then, because MHD closes it on this
 * same thread, after on_connection() hears of it.
 */
static void conn__evict(struct prom_server *s, const struct conn *fresh, __u64 now)
{
	struct conn *victim = NULL;

	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->fd < 0 || c == fresh)
			continue;
		if (c->served && now - c->since < WRITE_TIMEOUT_MS * 1000000ULL)
			continue; /* a scrape in progress */
		if (!victim || c->since < victim->since)
			victim = c;
	}
	if (victim)
		shutdown(victim->fd, SHUT_RDWR);
}

/* MHD_OPTION_NOTIFY_CONNECTION: keep s->conns in step with MHD's connections. */
static void on_connection(void *cls, struct MHD_Connection *mc, void **socket_context,
			  enum MHD_ConnectionNotificationCode code)
{
	struct prom_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	struct conn *slot = NULL;
	int used = 0;

	if (code == MHD_CONNECTION_NOTIFY_CLOSED) {
		slot = *socket_context;
		if (slot)
			slot->fd = -1;
		return;
	}
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_CONNECTION_FD);
	for (int i = 0; i < MAX_CONNS; i++) {
		if (s->conns[i].fd >= 0)
			used++;
		else if (!slot)
			slot = &s->conns[i];
	}
	*socket_context = NULL;
	if (!slot || !ci)
		return; /* cannot happen: MHD runs MAX_CONNS at most */
	*slot = (struct conn){ .fd = ci->connect_fd, .since = clock_ns(CLOCK_MONOTONIC) };
	*socket_context = slot;
	if (used + 1 == MAX_CONNS)
		conn__evict(s, slot, slot->since);
}

/*
 * Requests MHD passes on although no HTTP client sends them: a method that is not upper-case
 * letters (binary garbage, a TLS hello with a space in it) or a target that is not a path.
 * (MHD itself answers 400 to a request line without a version and to a header line without a
 * colon, and closes at once, unanswered, on a request line of one word.)
 */
static bool request_malformed(const char *method, const char *url)
{
	return !*method || method[strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ")] || url[0] != '/';
}

/* MHD_AccessHandlerCallback: the request's headers are in; answer it. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *mc, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **req_cls)
{
	struct prom_server *s = cls;
	const union MHD_ConnectionInfo *ci;
	enum MHD_Result ret;

	(void)version;
	(void)upload_data;
	(void)upload_data_size;
	(void)req_cls;
	ci = MHD_get_connection_info(mc, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	if (ci && ci->socket_context) {
		struct conn *c = ci->socket_context;

		c->served = true;
		c->since = clock_ns(CLOCK_MONOTONIC);
	}
	/* a body, if any, is never read: every answer closes the connection */
	if (request_malformed(method, url))
		return MHD_queue_response(mc, MHD_HTTP_BAD_REQUEST, s->bad_request);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return MHD_queue_response(mc, MHD_HTTP_METHOD_NOT_ALLOWED, s->not_allowed);
	/* MHD hands over the path without the query string, which /metrics ignores */
	if (strcmp(url, "/metrics"))
		return MHD_queue_response(mc, MHD_HTTP_NOT_FOUND, s->not_found);
	/* queueing takes MHD's own reference, which keeps the text alive while it is sent even
	 * when prom_server__publish() replaces it meanwhile; the lock covers the gap until then */
	pthread_mutex_lock(&s->lock);
	if (s->metrics)
		ret = MHD_queue_response(mc, MHD_HTTP_OK, s->metrics);
	else
		ret = MHD_queue_response(mc, MHD_HTTP_SERVICE_UNAVAILABLE, s->unavailable);
	pthread_mutex_unlock(&s->lock);
	return ret;
}

/*
 * A response MHD sends as is to every connection it is queued on: @body (copied unless
 * @persistent), Content-Type, "Connection: close" (one request per connection, so nothing
 * waits on a client that keeps its connection open), and @extra_name: @extra_value if set.
 */
static struct MHD_Response *response_new(const char *body, size_t len, bool persistent,
					 const char *type, const char *extra_name,
					 const char *extra_value)
{
	struct MHD_Response *r;

	r = MHD_create_response_from_buffer(
		len, (void *)body, persistent ? MHD_RESPMEM_PERSISTENT : MHD_RESPMEM_MUST_COPY);
	if (!r)
		return NULL;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES ||
	    MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close") != MHD_YES ||
	    (extra_name && MHD_add_response_header(r, extra_name, extra_value) != MHD_YES)) {
		MHD_destroy_response(r);
		return NULL;
	}
	return r;
}

static struct MHD_Response *error_new(const char *msg, const char *extra_name,
				      const char *extra_value)
{
	return response_new(msg, strlen(msg), true, "text/plain; charset=utf-8", extra_name,
			    extra_value);
}

static void server__free(struct prom_server *s)
{
	struct MHD_Response *rs[] = { s->metrics, s->not_found, s->not_allowed, s->bad_request,
				      s->unavailable };

	for (size_t i = 0; i < ARRAY_SIZE(rs); i++) {
		if (rs[i])
			MHD_destroy_response(rs[i]);
	}
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* Parse "[ADDR:]PORT" or "[IPV6]:PORT" into @ss; @host gets the address as printed. */
static int parse_listen(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen, char *host,
			size_t hostsz, unsigned int *portnum)
{
	const char *port = spec, *colon;
	char *end;
	unsigned long p;
	size_t hl = 0;

	memset(ss, 0, sizeof(*ss));
	host[0] = '\0';
	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':')
			return -EINVAL;
		hl = rb - spec - 1;
		if (hl >= hostsz)
			return -EINVAL;
		memcpy(host, spec + 1, hl);
		host[hl] = '\0';
		port = rb + 2;
	} else if ((colon = strrchr(spec, ':'))) {
		hl = colon - spec;
		if (memchr(spec, ':', hl) || hl >= hostsz)
			return -EINVAL; /* an IPv6 address needs its brackets */
		memcpy(host, spec, hl);
		host[hl] = '\0';
		port = colon + 1;
	}
	if (!host[0] && spec[0] != '[')
		snprintf(host, hostsz, "127.0.0.1");
	if (port[0] < '0' || port[0] > '9')
		return -EINVAL;
	errno = 0;
	p = strtoul(port, &end, 10);
	if (errno || *end || p > 65535)
		return -EINVAL;
	*portnum = p;
	if (spec[0] == '[') {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons(p);
		if (inet_pton(AF_INET6, host, &a->sin6_addr) != 1)
			return -EINVAL;
		*sslen = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(p);
		if (inet_pton(AF_INET, host, &a->sin_addr) != 1)
			return -EINVAL;
		*sslen = sizeof(*a);
	}
	return 0;
}

static const char *listen_hint(int err)
{
	switch (err) {
	case -EADDRINUSE:
		return "address in use; pick another port with --listen";
	case -EACCES:
		return "permission denied (ports below 1024 need CAP_NET_BIND_SERVICE); pick "
		       "a port above 1023 with --listen";
	case -EADDRNOTAVAIL:
		return "no interface of this host has that address; use 127.0.0.1 or one of "
		       "its own addresses";
	case -EAFNOSUPPORT:
		return "this kernel has no IPv6; use an IPv4 address";
	default:
		return NULL;
	}
}

/* Only this host can connect: 127.0.0.0/8, ::1, or 127.x mapped into IPv6. */
static bool addr_loopback(const struct sockaddr_storage *ss)
{
	const struct in6_addr *a6 = &((const struct sockaddr_in6 *)ss)->sin6_addr;

	if (ss->ss_family == AF_INET)
		return ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24 == 127;
	return IN6_IS_ADDR_LOOPBACK(a6) || (IN6_IS_ADDR_V4MAPPED(a6) && a6->s6_addr[12] == 127);
}

static bool addr_any(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return ((const struct sockaddr_in *)ss)->sin_addr.s_addr == htonl(INADDR_ANY);
	return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}

/*
 * Say where the server listens, with the port the kernel picked for port 0; and, when other
 * hosts can reach it, what they can read there: the exposition has no authentication.
 */
static void say_listening(const struct sockaddr_storage *ss, int port)
{
	bool v6 = ss->ss_family == AF_INET6;
	char host[INET6_ADDRSTRLEN], where[INET6_ADDRSTRLEN + 16];

	if (!inet_ntop(ss->ss_family,
		       v6 ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
			  : (const void *)&((const struct sockaddr_in *)ss)->sin_addr,
		       host, sizeof(host)))
		snprintf(host, sizeof(host), "?");
	snprintf(where, sizeof(where), "%s%s%s:%d", v6 ? "[" : "", host, v6 ? "]" : "", port);
	fprintf(stderr, "maptrace: serving metrics on http://%s/metrics\n", where);
	if (addr_loopback(ss))
		return;
	fprintf(stderr, "maptrace: warning: /metrics on %s (%s) has no authentication: any host "
			"that reaches the port reads the traced PIDs and process names, map and lock "
			"addresses, and the functions and source files that created the maps; "
			"firewall the port, or listen on 127.0.0.1\n",
		where, addr_any(ss) ? "every interface" : "reachable from other hosts");
}

/* Bind and listen on @ss ourselves: MHD would say only that it failed, not why. */
static int listen_on(const struct sockaddr_storage *ss, socklen_t sslen, int *port)
{
	struct sockaddr_storage bound;
	socklen_t blen = sizeof(bound);
	int fd, err, one = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a restarted maptrace rebinds at once despite the last run's TIME_WAIT connections */
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	/* the backlog holds clients while MHD is at MAX_CONNS */
	if (bind(fd, (const struct sockaddr *)ss, sslen) || listen(fd, SOMAXCONN) ||
	    getsockname(fd, (struct sockaddr *)&bound, &blen)) {
		err = -errno;
		close(fd);
		return err;
	}
	*port = ntohs(bound.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&bound)->sin6_port
						  : ((struct sockaddr_in *)&bound)->sin_port);
	return fd;
}

int prom_server__start(const char *addr_port, struct prom_server **out)
{
	/* MHD_USE_INTERNAL_POLLING_THREAD: one thread of MHD's own runs every connection, so
	 * maptrace's poll loop never waits on a client, and on_connection() and on_request()
	 * never run at the same time.  MHD_USE_EPOLL: the thread sleeps in epoll_wait(), with
	 * no FD_SETSIZE ceiling on the descriptor numbers of a process that has many open. */
	const unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	sigset_t all, old;
	struct prom_server *s;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned int port = 0;
	int err, lfd = -1;
	const char *hint;

	*out = NULL;
	err = parse_listen(addr_port ?: "", &ss, &sslen, host, sizeof(host), &port);
	if (err) {
		fprintf(stderr,
			"maptrace: bad --listen address '%s': use [ADDR:]PORT with a numeric "
			"address and a port 0..65535, e.g. 127.0.0.1:9100 or [::1]:9100\n",
			addr_port ?: "");
		return err;
	}
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_mutex_init(&s->lock, NULL);
	for (int i = 0; i < MAX_CONNS; i++)
		s->conns[i].fd = -1;
	s->not_found = error_new("maptrace serves /metrics only\n", NULL, NULL);
	s->not_allowed = error_new("maptrace serves GET /metrics only\n", MHD_HTTP_HEADER_ALLOW,
				   "GET, HEAD");
	s->bad_request = error_new("malformed HTTP request\n", NULL, NULL);
	/* until the first exposition: Prometheus counts the scrape as failed and retries */
	s->unavailable =
		error_new("maptrace has no metrics yet\n", MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (!s->not_found || !s->not_allowed || !s->bad_request || !s->unavailable) {
		server__free(s);
		return -ENOMEM;
	}
	lfd = listen_on(&ss, sslen, &s->port);
	if (lfd < 0) {
		err = lfd;
		hint = listen_hint(err);
		fprintf(stderr, "maptrace: cannot listen on %s%s%s:%u: %s\n",
			ss.ss_family == AF_INET6 ? "[" : "", host,
			ss.ss_family == AF_INET6 ? "]" : "", port, hint ?: strerror(-err));
		server__free(s);
		return err;
	}
	/* signals are the main thread's business: Ctrl-C must interrupt its poll, not MHD's */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	errno = 0;
	/* one option and its arguments a line */
	/* clang-format off */
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				  MHD_OPTION_LISTEN_SOCKET, lfd,
				  MHD_OPTION_CONNECTION_LIMIT, (unsigned int)MAX_CONNS,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)CONN_MEMORY,
				  MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)IDLE_TIMEOUT_S,
				  MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
				  MHD_OPTION_END);
	/* clang-format on */
	err = errno ? -errno : -EIO;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!s->mhd) {
		fprintf(stderr, "maptrace: cannot start the /metrics server on %s%s%s:%d: %s\n",
			ss.ss_family == AF_INET6 ? "[" : "", host,
			ss.ss_family == AF_INET6 ? "]" : "", s->port, strerror(-err));
		close(lfd);
		server__free(s);
		return err;
	}
	say_listening(&ss, s->port);
	*out = s;
	return 0;
}

int prom_server__port(const struct prom_server *s)
{
	return s->port;
}

int prom_server__publish(struct prom_server *s, const char *buf, size_t len)
{
	struct MHD_Response *r, *old;

	r = response_new(buf, len, false, "text/plain; version=0.0.4; charset=utf-8", NULL, NULL);
	if (!r)
		return -ENOMEM;
	pthread_mutex_lock(&s->lock);
	old = s->metrics;
	s->metrics = r;
	pthread_mutex_unlock(&s->lock);
	/* drops our reference only: connections still sending the old text keep theirs */
	if (old)
		MHD_destroy_response(old);
	return 0;
}

void prom_server__stop(struct prom_server *s)
{
	if (!s)
		return;
	/* closes every connection and the listening socket, and joins MHD's thread */
	MHD_stop_daemon(s->mhd);
	server__free(s);
}
