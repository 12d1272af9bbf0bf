// SPDX-License-Identifier: MIT
/*
 * The /metrics server: serves the latest published exposition over HTTP/1.1 from a thread of
 * its own.  prom_http.h has the interface; docs/prometheus.md what a scraper sees.
 */
#define _GNU_SOURCE /* accept4 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <linux/types.h>
#include "prom_http.h"

/*
 * One thread polls the listening socket, an eventfd that wakes it to stop, and a small table
 * of non-blocking connections, each with a deadline: a client that does not finish its
 * request in READ_TIMEOUT_MS, or does not take its response in WRITE_TIMEOUT_MS, is dropped,
 * so a slow or half-open client costs one slot and never blocks another scrape.  When the
 * table is full, a new connection evicts the oldest one still sending its request.  Tracing
 * runs on other threads and only ever takes the body mutex to swap a pointer.
 */
#define MAX_CONNS	 64
#define REQ_MAX		 8192  /* request line and headers */
#define READ_TIMEOUT_MS	 5000  /* from accept to the end of the headers */
#define WRITE_TIMEOUT_MS 10000 /* to take the whole response */
#define LINGER_MS	 1000  /* after the response, to read what the client still sends */

/* One published exposition, shared by the scrapes that serve it. */
struct prom_body {
	int refs; /* under prom_server.lock */
	size_t len;
	char data[];
};

enum conn_state { CONN_FREE, CONN_READ, CONN_WRITE, CONN_LINGER };

struct conn {
	int fd;
	enum conn_state state;
	__u64 deadline; /* CLOCK_MONOTONIC ns */
	char *req;	/* REQ_MAX bytes while reading */
	size_t rlen;
	char head[512]; /* status line, headers, and an error's short body */
	size_t hlen;
	struct prom_body *body; /* NULL for errors and HEAD */
	size_t off;		/* bytes of head + body sent */
};

struct prom_server {
	int lfd, wakefd, port;
	__u64 accept_resume; /* when accept() ran out of descriptors: retry from then */
	pthread_t thread;
	atomic_bool stop;
	pthread_mutex_t lock;
	struct prom_body *body; /* the latest published text, NULL before the first */
	struct conn conns[MAX_CONNS];
};

static __u64 mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void body__put(struct prom_server *s, struct prom_body *b)
{
	bool last;

	if (!b)
		return;
	pthread_mutex_lock(&s->lock);
	last = --b->refs == 0;
	pthread_mutex_unlock(&s->lock);
	if (last)
		free(b);
}

static void conn__close(struct prom_server *s, struct conn *c)
{
	close(c->fd);
	free(c->req);
	body__put(s, c->body);
	memset(c, 0, sizeof(*c));
	c->fd = -1;
}

static void conn__respond(struct conn *c, int status, const char *reason, const char *extra,
			  const char *msg)
{
	c->hlen = snprintf(c->head, sizeof(c->head),
			   "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\n"
			   "Content-Length: %zu\r\n%sConnection: close\r\n\r\n%s",
			   status, reason, strlen(msg), extra, msg);
}

/* The request is complete in c->req: choose the response. */
static void conn__route(struct prom_server *s, struct conn *c)
{
	char *line = c->req, *eol = strchr(line, '\n'), *method, *target, *version, *p;
	bool head;
	size_t n;

	*eol = '\0';
	if (eol > line && eol[-1] == '\r')
		eol[-1] = '\0';
	/* request-line = method SP request-target SP HTTP-version */
	method = line;
	target = strchr(method, ' ');
	version = target ? strchr(target + 1, ' ') : NULL;
	if (!target || !version || strchr(version + 1, ' ') || target == method ||
	    version == target + 1 || strncmp(version + 1, "HTTP/1.", 7) || target[1] != '/')
		goto bad;
	for (p = method; p < target; p++) {
		if (*p < 'A' || *p > 'Z')
			goto bad;
	}
	/* every header line needs a colon */
	for (p = eol + 1; *p && *p != '\r' && *p != '\n'; p = strchr(p, '\n') + 1) {
		char *end = strchr(p, '\n');

		if (!memchr(p, ':', end - p))
			goto bad;
	}
	*target++ = '\0';
	*version = '\0';
	head = !strcmp(method, "HEAD");
	if (!head && strcmp(method, "GET")) {
		conn__respond(c, 405, "Method Not Allowed", "Allow: GET, HEAD\r\n",
			      "maptrace serves GET /metrics only\n");
		return;
	}
	n = strcspn(target, "?");
	if (n != strlen("/metrics") || strncmp(target, "/metrics", n)) {
		conn__respond(c, 404, "Not Found", "", "maptrace serves /metrics only\n");
		return;
	}
	pthread_mutex_lock(&s->lock);
	c->body = s->body;
	if (c->body)
		c->body->refs++;
	pthread_mutex_unlock(&s->lock);
	if (!c->body) {
		conn__respond(c, 503, "Service Unavailable", "Retry-After: 1\r\n",
			      "maptrace has no metrics yet\n");
		return;
	}
	c->hlen = snprintf(c->head, sizeof(c->head),
			   "HTTP/1.1 200 OK\r\n"
			   "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"
			   "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			   c->body->len);
	if (head) {
		body__put(s, c->body);
		c->body = NULL;
	}
	return;
bad:
	conn__respond(c, 400, "Bad Request", "", "malformed HTTP request\n");
}

/* Send what the socket takes.  Return: 1 when all is sent, 0 to wait, -1 to drop it. */
static int conn__send(struct conn *c)
{
	size_t total = c->hlen + (c->body ? c->body->len : 0);

	while (c->off < total) {
		struct iovec iov[2];
		struct msghdr msg = { .msg_iov = iov };
		ssize_t n;

		if (c->off < c->hlen) {
			iov[0].iov_base = c->head + c->off;
			iov[0].iov_len = c->hlen - c->off;
			iov[1].iov_base = c->body ? c->body->data : NULL;
			iov[1].iov_len = c->body ? c->body->len : 0;
			msg.msg_iovlen = c->body ? 2 : 1;
		} else {
			iov[0].iov_base = c->body->data + (c->off - c->hlen);
			iov[0].iov_len = total - c->off;
			msg.msg_iovlen = 1;
		}
		n = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR ? 0 : -1;
		c->off += n;
	}
	return 1;
}

static void conn__start_write(struct conn *c, __u64 now)
{
	free(c->req);
	c->req = NULL;
	c->state = CONN_WRITE;
	c->deadline = now + WRITE_TIMEOUT_MS * 1000000ULL;
}

/* The response is out: half-close, then read until the client closes, so it gets it all. */
static void conn__done(struct prom_server *s, struct conn *c, __u64 now)
{
	body__put(s, c->body);
	c->body = NULL;
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	c->deadline = now + LINGER_MS * 1000000ULL;
}

static void conn__write(struct prom_server *s, struct conn *c, __u64 now)
{
	int r = conn__send(c);

	if (r < 0)
		conn__close(s, c);
	else if (r > 0)
		conn__done(s, c, now);
}

static void conn__read(struct prom_server *s, struct conn *c, __u64 now)
{
	for (;;) {
		size_t from = c->rlen > 3 ? c->rlen - 3 : 0;
		ssize_t n = recv(c->fd, c->req + c->rlen, REQ_MAX - c->rlen, MSG_DONTWAIT);

		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			/* closed or reset before the request was complete */
			conn__close(s, c);
			return;
		}
		c->rlen += n;
		c->req[c->rlen] = '\0';
		if (memchr(c->req, '\0', c->rlen)) {
			conn__respond(c, 400, "Bad Request", "", "malformed HTTP request\n");
			break;
		}
		if (strstr(c->req + from, "\r\n\r\n") || strstr(c->req + from, "\n\n")) {
			conn__route(s, c);
			break;
		}
		if (c->rlen == REQ_MAX) {
			conn__respond(c, 431, "Request Header Fields Too Large", "",
				      "request headers over 8 KiB\n");
			break;
		}
	}
	conn__start_write(c, now);
	conn__write(s, c, now);
}

static void conn__linger(struct prom_server *s, struct conn *c)
{
	char sink[1024];
	ssize_t n;

	do {
		n = recv(c->fd, sink, sizeof(sink), MSG_DONTWAIT);
	} while (n > 0);
	if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
		conn__close(s, c);
}

/* A free slot; when none, the oldest connection still reading (or lingering) is dropped. */
static struct conn *conn__slot(struct prom_server *s)
{
	struct conn *victim = NULL;

	for (int i = 0; i < MAX_CONNS; i++) {
		struct conn *c = &s->conns[i];

		if (c->state == CONN_FREE)
			return c;
		if (c->state == CONN_WRITE)
			continue;
		if (!victim || (c->state == CONN_LINGER && victim->state == CONN_READ) ||
		    (c->state == victim->state && c->deadline < victim->deadline))
			victim = c;
	}
	if (victim)
		conn__close(s, victim);
	return victim;
}

static void server__accept(struct prom_server *s, __u64 now)
{
	for (;;) {
		int fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		struct conn *c;

		if (fd < 0) {
			/* out of descriptors or memory: the listening socket stays readable, so
			 * pause accepting instead of spinning; the backlog holds the clients */
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM)
				s->accept_resume = now + 100000000ULL;
			return; /* or EAGAIN, or a connection that went away: nothing to do */
		}
		c = conn__slot(s);
		if (!c) {
			close(fd); /* every slot is writing a response */
			continue;
		}
		c->req = malloc(REQ_MAX + 1);
		if (!c->req) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->state = CONN_READ;
		c->deadline = now + READ_TIMEOUT_MS * 1000000ULL;
	}
}

static void *server__run(void *arg)
{
	struct prom_server *s = arg;
	struct pollfd pfd[MAX_CONNS + 2];
	int idx[MAX_CONNS + 2];

	while (!atomic_load(&s->stop)) {
		__u64 now = mono_ns(), first = 0;
		int n = 0, timeout = -1;

		pfd[n++] = (struct pollfd){ .fd = s->wakefd, .events = POLLIN };
		pfd[n++] = (struct pollfd){
			.fd = s->lfd,
			.events = now < s->accept_resume ? 0 : POLLIN,
		};
		if (now < s->accept_resume)
			first = s->accept_resume;
		for (int i = 0; i < MAX_CONNS; i++) {
			struct conn *c = &s->conns[i];

			if (c->state == CONN_FREE)
				continue;
			idx[n] = i;
			pfd[n++] = (struct pollfd){
				.fd = c->fd,
				.events = c->state == CONN_WRITE ? POLLOUT : POLLIN,
			};
			if (!first || c->deadline < first)
				first = c->deadline;
		}
		if (first)
			timeout = first <= now ? 0 : (int)((first - now + 999999) / 1000000);
		if (poll(pfd, n, timeout) < 0 && errno != EINTR)
			break; /* cannot happen with valid fds; stop serving rather than spin */
		now = mono_ns();
		for (int k = 2; k < n; k++) {
			struct conn *c = &s->conns[idx[k]];

			if (pfd[k].revents & POLLNVAL) {
				conn__close(s, c);
				continue;
			}
			if (!pfd[k].revents)
				continue;
			if (c->state == CONN_READ)
				conn__read(s, c, now);
			else if (c->state == CONN_WRITE)
				conn__write(s, c, now);
			else if (c->state == CONN_LINGER)
				conn__linger(s, c);
		}
		for (int i = 0; i < MAX_CONNS; i++) {
			if (s->conns[i].state != CONN_FREE && s->conns[i].deadline <= now)
				conn__close(s, &s->conns[i]);
		}
		if (pfd[1].revents & POLLIN)
			server__accept(s, now);
	}
	return NULL;
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

int prom_server__start(const char *addr_port, struct prom_server **out)
{
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	sigset_t all, old;
	struct prom_server *s;
	char host[INET6_ADDRSTRLEN + 1];
	unsigned int port = 0;
	int err, one = 1;
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
	s->lfd = s->wakefd = -1;
	for (int i = 0; i < MAX_CONNS; i++)
		s->conns[i].fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	s->lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0) {
		err = -errno;
		goto fail;
	}
	/* a restarted maptrace rebinds at once despite the last run's TIME_WAIT connections */
	setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(s->lfd, (struct sockaddr *)&ss, sslen) || listen(s->lfd, SOMAXCONN)) {
		err = -errno;
		goto fail;
	}
	if (getsockname(s->lfd, (struct sockaddr *)&ss, &sslen)) {
		err = -errno;
		goto fail;
	}
	s->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
						 : ((struct sockaddr_in *)&ss)->sin_port);
	s->wakefd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (s->wakefd < 0) {
		err = -errno;
		goto fail;
	}
	/* signals are the main thread's business: Ctrl-C must interrupt its poll, not ours */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = -pthread_create(&s->thread, NULL, server__run, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		goto fail;
	*out = s;
	return 0;
fail:
	hint = listen_hint(err);
	fprintf(stderr, "maptrace: cannot listen on %s%s%s:%u: %s\n",
		ss.ss_family == AF_INET6 ? "[" : "", host, ss.ss_family == AF_INET6 ? "]" : "",
		port, hint ?: strerror(-err));
	if (s->lfd >= 0)
		close(s->lfd);
	if (s->wakefd >= 0)
		close(s->wakefd);
	pthread_mutex_destroy(&s->lock);
	free(s);
	return err;
}

int prom_server__port(const struct prom_server *s)
{
	return s->port;
}

int prom_server__publish(struct prom_server *s, const char *buf, size_t len)
{
	struct prom_body *b = malloc(sizeof(*b) + len), *old;

	if (!b)
		return -ENOMEM;
	b->refs = 1;
	b->len = len;
	memcpy(b->data, buf, len);
	pthread_mutex_lock(&s->lock);
	old = s->body;
	s->body = b;
	pthread_mutex_unlock(&s->lock);
	body__put(s, old);
	return 0;
}

void prom_server__stop(struct prom_server *s)
{
	__u64 one = 1;

	if (!s)
		return;
	atomic_store(&s->stop, true);
	if (write(s->wakefd, &one, sizeof(one)) < 0) {
		/* cannot fail on an eventfd below its maximum; the thread still sees stop */
	}
	pthread_join(s->thread, NULL);
	for (int i = 0; i < MAX_CONNS; i++) {
		if (s->conns[i].state != CONN_FREE)
			conn__close(s, &s->conns[i]);
	}
	body__put(s, s->body);
	close(s->lfd);
	close(s->wakefd);
	pthread_mutex_destroy(&s->lock);
	free(s);
}
