// SPDX-License-Identifier: MIT
/*
 * maptrace: why are the hash maps in this process slow?  Parse, run, exit.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <bpf/libbpf.h>
#include "args.h"
#include "model.h"
#include "preflight.h"
#include "report.h"
#include "target.h"
#include "tracer.h"

#define MAPTRACE_VERSION "0.1.0"
#define POLL_MS 100 /* ring buffer poll period; also how fast a target exit is noticed */

static volatile sig_atomic_t stop_signal;
static bool verbose;

static void on_signal(int sig)
{
	stop_signal = sig;
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	if (level == LIBBPF_DEBUG && !verbose)
		return 0;
	return vfprintf(stderr, fmt, ap);
}

static __u64 now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (__u64)ts.tv_sec * 1000000000ULL + (__u64)ts.tv_nsec;
}

static void fill_info(struct run_info *info, const struct target *t, bool library_found)
{
	struct utsname u;

	info->pid = t->pid;
	snprintf(info->comm, sizeof(info->comm), "%s", t->comm);
	snprintf(info->cmdline, sizeof(info->cmdline), "%s", t->cmdline);
	gethostname(info->hostname, sizeof(info->hostname) - 1);
	if (!uname(&u))
		snprintf(info->kernel, sizeof(info->kernel), "%s", u.release);
	snprintf(info->version, sizeof(info->version), "%s", MAPTRACE_VERSION);
	info->start_wall_ns = now_ns(CLOCK_REALTIME);
	info->start_mono_ns = now_ns(CLOCK_MONOTONIC);
	info->library_found = library_found;
}

static int emit(const struct args *a, struct tracer *tr, struct model *m, bool final)
{
	const struct report_backend *be = report_backend__find(a->json ? "json" : "text");
	struct report_opts o = { .top = a->top, .histograms = final };
	struct report *r;
	int err;

	err = tracer__sync(tr);
	if (err)
		return err;
	model__info(m)->end_mono_ns = now_ns(CLOCK_MONOTONIC);
	err = model__report(m, final, a->top, &r);
	if (err)
		return err;
	err = be->emit(stdout, r, &o);
	fflush(stdout);
	report__free(r);
	return err;
}

/* Trace until a signal, the duration, the report count or the target's exit. */
static int run(const struct args *a, const struct target *t, struct model *m)
{
	__u64 start = now_ns(CLOCK_MONOTONIC), next = start + a->interval_ms * 1000000ULL;
	bool live = !a->json && !a->quiet;
	struct tracer *tr = NULL;
	__u64 reports = 0;
	int err;

	err = tracer__start(a, t, m, &tr);
	if (err)
		return err;
	fprintf(stderr, "maptrace: tracing PID %d (%s)%s; Ctrl-C to stop\n", t->pid, t->comm,
		t->nmodules ? "" : ": no map library found, reporting futex waits only");
	while (!stop_signal) {
		__u64 now;

		err = tracer__poll(tr, POLL_MS);
		if (err < 0) {
			fprintf(stderr, "maptrace: reading the ring buffer failed: %s\n",
				strerror(-err));
			break;
		}
		err = 0;
		now = now_ns(CLOCK_MONOTONIC);
		if (!target__alive(t->pid)) {
			model__info(m)->target_exited = true;
			if (!a->json)
				fprintf(stderr, "maptrace: PID %d exited\n", t->pid);
			break;
		}
		if (a->duration_ms && now - start >= a->duration_ms * 1000000ULL)
			break;
		if (now < next)
			continue;
		next += a->interval_ms * 1000000ULL;
		if (live) {
			err = emit(a, tr, m, false);
			if (err)
				break;
		}
		if (a->count && ++reports >= a->count)
			break;
	}
	if (!err)
		err = emit(a, tr, m, true);
	tracer__free(tr);
	return err;
}

int main(int argc, char **argv)
{
	struct model *m = NULL;
	struct target *t = NULL;
	struct args a;
	int err;

	err = args__parse(argc, argv, &a);
	if (err)
		return 2;
	if (a.help) {
		args__usage();
		return 0;
	}
	if (a.version) {
		printf("maptrace %s\n", MAPTRACE_VERSION);
		return 0;
	}
	verbose = a.verbose;
	libbpf_set_print(libbpf_print);
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	err = preflight__check();
	if (err)
		goto cleanup;
	t = calloc(1, sizeof(*t));
	m = model__new();
	if (!t || !m) {
		err = -ENOMEM;
		fprintf(stderr, "maptrace: out of memory\n");
		goto cleanup;
	}
	err = target__inspect(a.pid, t);
	if (err == -ESRCH) {
		fprintf(stderr, "maptrace: cannot trace PID %d: no such process; check the PID "
				"with ps or pgrep\n",
			a.pid);
		goto cleanup;
	} else if (err) {
		fprintf(stderr, "maptrace: cannot read the mappings of PID %d: %s\n", a.pid,
			strerror(-err));
		goto cleanup;
	}
	fill_info(model__info(m), t, t->nmodules > 0);
	err = run(&a, t, m);
cleanup:
	model__free(m);
	if (t)
		target__release(t);
	free(t);
	return err ? 1 : 0;
}
