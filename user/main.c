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
#include "trace_file.h"
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

static void report_opts_from(const struct args *a, bool final, struct report_opts *o)
{
	*o = (struct report_opts){
		.top = a->top,
		.histograms = final,
		.weight = a->weight,
		.what = a->what,
		.events = a->events,
		.color = false,
	};
}

/* Build a report from the model and print it with the chosen backend on stdout. */
static int print_report(const struct args *a, struct model *m, bool final, const char *format)
{
	const struct report_backend *be = report_backend__find(format);
	struct report_opts o;
	struct report *r;
	int err;

	report_opts_from(a, final, &o);
	/* stack profiles and timelines cover every lock and map, not the top rows */
	err = model__report(m, final, strcmp(format, "text") && strcmp(format, "json") ? 0 : a->top,
			    &r);
	if (err)
		return err;
	err = be->emit(stdout, r, &o);
	if (!err && fflush(stdout))
		err = -errno;
	report__free(r);
	if (err && err != -EPIPE)
		fprintf(stderr, "maptrace: writing the %s report failed: %s\n", format,
			strerror(-err));
	return err;
}

/* Backends that draw every event need the model to keep them. */
static bool needs_events(const struct args *a)
{
	return !strcmp(a->format, "chrome") || !strcmp(a->format, "folded") ||
	       !strcmp(a->format, "pprof") || a->events;
}

/* pprof is gzip'ed protobuf: refuse to spray it on a terminal. */
static int check_output(const struct args *a)
{
	if (!strcmp(a->format, "pprof") && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "maptrace: pprof output is binary; redirect it to a file: "
				"... --format pprof > profile.pb.gz\n");
		return -EINVAL;
	}
	return 0;
}

/* Trace until a signal, the duration, the report count or the target's exit. */
static int run(const struct args *a, const struct target *t, struct model *m,
	       struct trace_writer *w)
{
	__u64 start = now_ns(CLOCK_MONOTONIC), next = start + a->interval_ms * 1000000ULL;
	__u64 sync_every = w && a->interval_ms > 1000 ? 1000 : a->interval_ms, next_sync;
	bool live = !strcmp(a->format, "text") && !a->quiet;
	struct tracer *tr = NULL;
	__u64 reports = 0;
	int err;

	err = tracer__start(a, t, m, w, &tr);
	if (err)
		return err;
	fprintf(stderr, "maptrace: tracing PID %d (%s)%s; Ctrl-C to stop\n", t->pid, t->comm,
		t->nmodules ? "" : ": no map library found, reporting futex waits only");
	next_sync = start + sync_every * 1000000ULL;
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
			fprintf(stderr, "maptrace: PID %d exited\n", t->pid);
			break;
		}
		if (a->duration_ms && now - start >= a->duration_ms * 1000000ULL)
			break;
		/* the trace file is flushed here too: kill -9 loses at most a second */
		if (now >= next_sync) {
			next_sync += sync_every * 1000000ULL;
			err = tracer__sync(tr);
			if (err)
				break;
		}
		if (now < next)
			continue;
		next += a->interval_ms * 1000000ULL;
		if (live) {
			model__info(m)->end_mono_ns = now;
			err = print_report(a, m, false, "text");
			if (err)
				break;
		}
		if (a->count && ++reports >= a->count)
			break;
	}
	if (!err)
		err = tracer__sync(tr);
	model__info(m)->end_mono_ns = now_ns(CLOCK_MONOTONIC);
	if (w && !err)
		err = trace_writer__end(w, model__info(m));
	if (!err)
		err = print_report(a, m, true, a->format);
	tracer__free(tr);
	return err;
}

/* maptrace report FILE: the same summary, from a trace file. */
static int run_report(const struct args *a)
{
	struct trace_read_status st = { 0 };
	struct model *m = model__new();
	int err;

	if (!m)
		return -ENOMEM;
	if (needs_events(a))
		model__keep_events(m, true);
	err = trace_reader__load(a->report_file, m, &st);
	if (err) {
		fprintf(stderr, "maptrace: cannot read %s: %s\n", a->report_file, st.why);
		goto out;
	}
	if (st.truncated || !st.complete)
		fprintf(stderr, "maptrace: warning: %s: %s; reporting the %llu records before it\n",
			a->report_file, st.why, (unsigned long long)st.records);
	err = print_report(a, m, true, a->format);
	/* a damaged file still gets its partial report, but scripts must see it was damaged */
	if (!err && st.truncated)
		err = -EIO;
out:
	model__free(m);
	return err;
}

/* Open the -o file and write the run's metadata first. */
static int open_trace(const struct args *a, struct model *m, struct trace_writer **w)
{
	int err = trace_writer__open(a->output, a->force, w);

	if (err == -EEXIST)
		fprintf(stderr, "maptrace: %s exists; use --force to replace it\n", a->output);
	else if (err == -ELOOP)
		fprintf(stderr, "maptrace: %s is a symbolic link; refusing to write through it\n",
			a->output);
	else if (err)
		fprintf(stderr, "maptrace: cannot create %s: %s\n", a->output, strerror(-err));
	if (!err)
		err = trace_writer__meta(*w, model__info(m));
	return err;
}

int main(int argc, char **argv)
{
	struct trace_writer *w = NULL;
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

	if (a.report_file) {
		err = check_output(&a) ?: run_report(&a);
		return err ? 1 : 0;
	}
	err = check_output(&a) ?: preflight__check();
	if (err)
		goto cleanup;
	t = calloc(1, sizeof(*t));
	m = model__new();
	if (!t || !m) {
		err = -ENOMEM;
		fprintf(stderr, "maptrace: out of memory\n");
		goto cleanup;
	}
	if (needs_events(&a))
		model__keep_events(m, true);
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
	if (a.output) {
		err = open_trace(&a, m, &w);
		if (err)
			goto cleanup;
	}
	err = run(&a, t, m, w);
cleanup:
	if (trace_writer__close(w) && !err) {
		fprintf(stderr, "maptrace: closing %s failed\n", a.output);
		err = -EIO;
	}
	model__free(m);
	if (t)
		target__release(t);
	free(t);
	return err ? 1 : 0;
}
