// SPDX-License-Identifier: MIT
/*
 * maptrace's two modes: live tracing (reports, -o recording, --listen metrics, following a
 * process by name across restarts) and reporting a trace file.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/utsname.h>
#include "model.h"
#include "preflight.h"
#include "prom.h"
#include "prom_http.h"
#include "report.h"
#include "procfs.h"
#include "profile.h"
#include "usdt.h"
#include "run.h"
#include "sink.h"
#include "target.h"
#include "trace_file.h"
#include "tracer.h"
#include "util.h"

#define POLL_MS 100	     /* ring buffer poll period; also how fast a target exit is noticed */
#define METRICS_MS 1000	     /* --listen: metrics refreshed this often */
#define FIND_MS 500	     /* --comm/--exe: how often to look for the process */

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
	info->start_wall_ns = clock_ns(CLOCK_REALTIME);
	info->start_mono_ns = clock_ns(CLOCK_MONOTONIC);
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
	err = report__build(m, final, be->traits & REPORT_ALL_ROWS ? 0 : a->top, &r);
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
	return (report_backend__find(a->format)->traits & REPORT_EVENTS) || a->events;
}

/* Binary output (pprof's gzip'ed protobuf): refuse to spray it on a terminal. */
static int check_output(const struct args *a)
{
	if ((report_backend__find(a->format)->traits & REPORT_BINARY) && isatty(STDOUT_FILENO)) {
		fprintf(stderr, "maptrace: %s output is binary; redirect it to a file: "
				"... --format %s > FILE\n", a->format, a->format);
		return -EINVAL;
	}
	return 0;
}

/* maptrace report FILE: the same summary, from a trace file. */
int run__report(const struct args *a, volatile sig_atomic_t *stop)
{
	struct trace_read_status st = { 0 };
	struct model *m = model__new();
	struct sink sink;
	int err;

	if (!m)
		return -ENOMEM;
	model__sink(m, &sink);
	err = check_output(a);
	if (err)
		goto out;
	if (needs_events(a))
		model__keep_events(m, true);
	err = trace_reader__load(a->report_file, &sink, stop, &st);
	if (err) {
		fprintf(stderr, "maptrace: cannot read %s: %s\n", a->report_file, st.why);
		goto out;
	}
	if (st.why[0])
		fprintf(stderr, "maptrace: warning: %s: %s; reporting the %llu events read\n",
			a->report_file, st.why, (unsigned long long)st.events);
	err = print_report(a, m, true, a->format);
	/* a damaged file still gets its partial report, but scripts must see it was damaged */
	if (!err && !st.complete)
		err = -EIO;
out:
	model__free(m);
	return err;
}

/* Open the -o file. */
static int open_trace(const struct args *a, struct trace_writer **w)
{
	int err = trace_writer__open(a->output, a->force, w);

	if (err == -EEXIST)
		fprintf(stderr, "maptrace: %s exists; use --force to replace it\n", a->output);
	else if (err == -ELOOP)
		fprintf(stderr, "maptrace: %s is a symbolic link; refusing to write through it\n",
			a->output);
	else if (err)
		fprintf(stderr, "maptrace: cannot create %s: %s\n", a->output, strerror(-err));
	return err;
}

/*
 * Where one traced process's facts go: its model, and with -o its trace file, through one
 * sink that feeds both.  The run's metadata is kept here and sent to the sink whenever it
 * changes, so no one writes the model's or the file's copy behind the other's back.
 */
struct session {
	struct model *m;
	struct trace_writer *w; /* -o FILE, or NULL */
	struct sink_tee tee;
	struct sink sink;	/* the model, or the tee of the model and the file */
	struct run_info info;
	bool write_err_said;	/* the first failed write to the file was reported */
};

/* A failed write ends the trace file, not the trace: say so once. */
static void session__check_file(struct session *s)
{
	if (!s->w || s->write_err_said || !s->tee.second_err)
		return;
	s->write_err_said = true;
	fprintf(stderr, "maptrace: writing the trace file failed: %s; tracing goes on\n",
		strerror(-s->tee.second_err));
}

/* The metadata now (clock, sampling duty), to the model (and the file, at the start). */
static int session__info(struct session *s, struct tracer *tr, __u64 now)
{
	s->info.end_mono_ns = now;
	if (tr)
		tracer__sampling(tr, &s->info);
	return sink__info(&s->sink, &s->info);
}

/* State of one live run, across the processes it follows. */
struct live {
	const struct args *a;
	volatile sig_atomic_t *stop;
	struct prom_server *srv; /* --listen */
	struct prom_state *ps;
	__u64 start;		 /* CLOCK_MONOTONIC at start: -d counts from here */
	__u64 reports;		 /* live reports printed, for COUNT */
	struct profile_set *profiles; /* built-in, --profile and --probe */
	struct probe_plan *plan;      /* the profile probes for the current process */
};

static bool live__out_of_time(const struct live *l, __u64 now)
{
	return l->a->duration_ms && now - l->start >= l->a->duration_ms * 1000000ULL;
}

/* Refresh what /metrics serves from the model (every row: the exposition folds the tail). */
static int live__publish(struct live *l, struct model *m, bool attached)
{
	struct report *r = NULL;
	size_t len = 0;
	char *buf = NULL;
	int err;

	if (!l->srv)
		return 0;
	err = report__build(m, false, 0, &r);
	if (!err)
		err = prom_state__update(l->ps, r, attached);
	if (!err)
		err = prom_state__format(l->ps, &buf, &len);
	if (!err)
		err = prom_server__publish(l->srv, buf, len);
	free(buf);
	report__free(r);
	return err;
}

/* Trace one process until it exits (*exited), a signal, the duration or the report count. */
static int live__trace(struct live *l, const struct target *t, struct session *s, bool *exited,
		       bool *done)
{
	struct model *m = s->m;
	const struct args *a = l->a;
	__u64 interval = a->interval_ms * 1000000ULL, next, next_sync;
	__u64 sync_every = a->interval_ms;
	bool live_text = (report_backend__find(a->format)->traits & REPORT_LIVE) && !a->quiet;
	struct tracer *tr = NULL;
	int err;

	/* a trace file is flushed, and metrics refreshed, at least once a second */
	if ((s->w || l->srv) && sync_every > METRICS_MS)
		sync_every = METRICS_MS;
	err = tracer__start(a, t, l->plan, &s->sink, &tr);
	if (err)
		return err;
	fprintf(stderr, "maptrace: tracing PID %d (%s)%s; Ctrl-C to stop\n", t->pid, t->comm,
		s->info.library_found ? "" : ": no map library found, reporting futex waits only");
	/* scrapers see the new process at once, not a second later */
	err = session__info(s, tr, clock_ns(CLOCK_MONOTONIC)) ?: live__publish(l, m, true);
	if (err) {
		tracer__free(tr);
		return err;
	}
	next = clock_ns(CLOCK_MONOTONIC) + interval;
	next_sync = clock_ns(CLOCK_MONOTONIC) + sync_every * 1000000ULL;
	while (!*l->stop) {
		__u64 now;

		err = tracer__poll(tr, POLL_MS);
		if (err < 0) {
			fprintf(stderr, "maptrace: reading the ring buffer failed: %s\n",
				strerror(-err));
			break;
		}
		err = 0;
		session__check_file(s);
		now = clock_ns(CLOCK_MONOTONIC);
		if (!target__alive(t->pid)) {
			s->info.target_exited = true;
			*exited = true;
			fprintf(stderr, "maptrace: PID %d exited\n", t->pid);
			break;
		}
		if (live__out_of_time(l, now)) {
			*done = true;
			break;
		}
		err = tracer__duty(tr);
		if (err) {
			fprintf(stderr, "maptrace: re-attaching the per-insert probes failed: %s\n",
				strerror(-err));
			break;
		}
		if (now >= next_sync) {
			next_sync += sync_every * 1000000ULL;
			err = tracer__sync(tr) ?: session__info(s, tr, now) ?:
			      live__publish(l, m, true);
			if (err)
				break;
		}
		if (now < next)
			continue;
		next += interval;
		if (live_text) {
			err = session__info(s, tr, now) ?: print_report(a, m, false, "text");
			if (err)
				break;
		}
		if (a->count && ++l->reports >= a->count) {
			*done = true;
			break;
		}
	}
	if (!err)
		err = tracer__sync(tr);
	s->info.end_mono_ns = clock_ns(CLOCK_MONOTONIC);
	tracer__sampling(tr, &s->info);
	if (!err)
		err = sink__end(&s->sink, &s->info) ?: live__publish(l, m, !*exited);
	session__check_file(s);
	if (!err)
		err = print_report(a, m, true, a->format);
	tracer__free(tr);
	return err;
}

/* The process to trace now: -p, or the newest one matching --comm/--exe (-ESRCH: none yet). */
static int live__find(const struct live *l, int *pid)
{
	if (l->a->pid) {
		*pid = l->a->pid;
		return 0;
	}
	return target__find(l->a->comm, l->a->exe, pid);
}

/* --list: what maptrace finds in the process and would attach. */
static void print_list(const struct target *t, const struct probe_plan *plan)
{
	printf("PID %d (%s)\n", t->pid, t->comm);
	for (int i = 0; i < t->nmodules; i++) {
		const struct target_module *m = &t->modules[i];

		printf("cmap (built-in, USDT probes of lib/): %s\n", m->mapped);
		/* one line per probe: its sites, the first one's address */
		for (int j = 0; j < m->nsites; j++) {
			int n = 0, k;

			for (k = 0; k < j && strcmp(m->sites[k].name, m->sites[j].name); k++)
				;
			if (k < j)
				continue;
			for (k = j; k < m->nsites; k++)
				n += !strcmp(m->sites[k].name, m->sites[j].name);
			printf("    %-15s %2d site%s 0x%-8llx %-18s %s\n", m->sites[j].name, n,
			       n == 1 ? " " : "s", (unsigned long long)m->sites[j].addr, "nop5",
			       tracer__traces_probe(m->sites[j].name) ? "~0.3 us/hit" :
									"not attached");
		}
	}
	if (!t->nmodules)
		printf("cmap (built-in, USDT probes of lib/): not matched: no mapped object carries "
		       "provider cmap\n");
	fputs(plan->log, stdout);
	printf("%d profile probe sites would be attached\n", probe_plan__sites(plan));
}

/* Inspect, attach, trace and report one process. */
static int live__one(struct live *l, int pid, bool *exited, bool *done)
{
	const struct args *a = l->a;
	struct target *t = calloc(1, sizeof(*t));
	struct session s = { .m = model__new() };
	/* the target's mappings, read once for its inspection, the plan, symbols and locks */
	struct proc_maps_cache *maps = proc_maps_cache__new();
	int err;

	if (!t || !s.m || !maps) {
		err = -ENOMEM;
		fprintf(stderr, "maptrace: out of memory\n");
		goto out;
	}
	if (needs_events(a))
		model__keep_events(s.m, true);
	err = target__inspect(maps, pid, t);
	if (err == -ESRCH) {
		fprintf(stderr, "maptrace: cannot trace PID %d: no such process; check the PID "
				"with ps or pgrep\n",
			pid);
		goto out;
	} else if (err) {
		fprintf(stderr, "maptrace: cannot read the mappings of PID %d: %s\n", pid,
			strerror(-err));
		goto out;
	}
	probe_plan__free(l->plan);
	l->plan = NULL;
	err = profile_set__plan(l->profiles, t, &l->plan);
	if (err) {
		fprintf(stderr, "maptrace: cannot match probe profiles against PID %d: %s\n", pid,
			strerror(-err));
		goto out;
	}
	if (a->list) {
		print_list(t, l->plan);
		*done = true;
		goto out;
	}
	if (l->plan->refusals[0]) {
		/* each line names the probe and why; the user's own probes must all attach */
		for (char *line = l->plan->refusals, *nl; *line; line = nl + 1) {
			nl = strchr(line, '\n');
			fprintf(stderr, "maptrace: not attached: %.*s\n", (int)(nl - line), line);
		}
		if (l->plan->fatal) {
			err = -ENOENT;
			goto out;
		}
	}
	fill_info(&s.info, t, t->nmodules > 0 || probe_plan__sites(l->plan) > 0);
	snprintf(s.info.libraries, sizeof(s.info.libraries), "%s",
		 profile_set__libraries(l->profiles));
	model__sink(s.m, &s.sink);
	if (a->output) {
		struct sink file;

		err = open_trace(a, &s.w);
		if (err)
			goto out;
		trace_writer__sink(s.w, &file);
		sink_tee__init(&s.tee, s.sink, file, &s.sink);
	}
	err = live__trace(l, t, &s, exited, done);
out:
	if (trace_writer__close(s.w) && !err) {
		fprintf(stderr, "maptrace: closing %s failed\n", a->output);
		err = -EIO;
	}
	model__free(s.m);
	if (t)
		target__release(t);
	free(t);
	proc_maps_cache__free(maps);
	return err;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

int run__live(const struct args *a, volatile sig_atomic_t *stop)
{
	struct prom_opts po = { .top = a->metrics_top };
	struct live l = { .a = a, .stop = stop, .start = clock_ns(CLOCK_MONOTONIC) };
	bool follow = a->comm || a->exe, waiting = false, done = false;
	int err = check_output(a);

	/* profile syntax errors before anything is loaded */
	if (!err)
		err = profile_set__new(a->profiles, a->nprofiles, a->probes, a->nprobes,
				       &l.profiles);
	if (!err && !a->list)
		err = preflight__check();
	if (err) {
		profile_set__free(l.profiles);
		return err;
	}
	/* before any BPF is loaded, so a port clash fails fast (it says so itself) */
	if (a->listen) {
		err = prom_server__start(a->listen, &l.srv);
		if (err)
			return err;
		l.ps = prom_state__new(&po);
		if (!l.ps) {
			err = -ENOMEM;
			goto out;
		}
	}
	while (!*stop && !done) {
		bool exited = false;
		int pid;

		err = live__find(&l, &pid);
		if (err == -ESRCH && follow) {
			err = 0;
			if (!waiting)
				fprintf(stderr, "maptrace: waiting for a process %s %s\n",
					a->comm ? "named" : "running", a->comm ?: a->exe);
			waiting = true;
			if (live__out_of_time(&l, clock_ns(CLOCK_MONOTONIC)))
				break;
			sleep_ms(FIND_MS);
			continue;
		}
		if (err)
			break;
		waiting = false;
		err = live__one(&l, pid, &exited, &done);
		/* without --comm/--exe the run ends with its process; with them it waits again */
		if (err || !follow || !exited)
			break;
	}
out:
	prom_server__stop(l.srv);
	prom_state__free(l.ps);
	probe_plan__free(l.plan);
	profile_set__free(l.profiles);
	return err;
}
