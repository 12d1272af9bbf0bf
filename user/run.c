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
#include "launch.h"
#include "model.h"
#include "gopclntab.h"
#include "preflight.h"
#include "prom.h"
#include "prom_http.h"
#include "report.h"
#include "procfs.h"
#include "profile.h"
#include "usdt.h"
#include "run.h"
#include "sink.h"
#include "sysc_attach.h"
#include "target.h"
#include "term.h"
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
		.all_waits = a->all_waits,
		/* bold headings on a terminal only, never with NO_COLOR (term.h) */
		.color = term__color(STDOUT_FILENO),
		.width = term__width(STDOUT_FILENO),
	};
}

/*
 * Build a report from the model and print it with the chosen backend on stdout.  @h: a live
 * report's previous interval, for its rates (updated here), or NULL.
 */
static int print_report(const struct args *a, struct model *m, bool final, const char *format,
			struct report_history *h)
{
	const struct report_backend *be = report_backend__find(format);
	const struct report_select sel = {
		.map = a->map_filter,
		.lock = a->lock_filter,
		.sort = a->sort,
	};
	struct report_opts o;
	struct report *r;
	int err;

	report_opts_from(a, final, &o);
	o.history = h;
	/* a terminal's format cuts its tables to --top itself: the rates need every row */
	err = report__build_sel(m, final,
				be->traits & (REPORT_ALL_ROWS | REPORT_LIVE) ? 0 : a->top, &sel, &r);
	if (err)
		return err;
	err = be->emit(stdout, r, &o);
	if (!err && h)
		err = report_history__update(h, r);
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
	err = print_report(a, m, true, a->format, NULL);
	/* a damaged file still gets its partial report, but scripts must see it was damaged */
	if (!err && !st.complete)
		err = -EIO;
out:
	model__free(m);
	return err;
}

/* Open the -o file: at once, so a bad path fails before anything is loaded. */
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
	if (!err)
		err = trace_writer__set_max_size(*w, a->max_size);
	return err;
}

/*
 * Where one traced process's facts go: its model, and with -o its trace file, through one
 * sink that feeds both.  The run's metadata is kept here and sent to the sink whenever it
 * changes, so no one writes the model's or the file's copy behind the other's back.
 */
struct session {
	struct model *m;
	struct trace_writer *w; /* -o FILE, or NULL (also once it is closed) */
	const char *path;	/* -o FILE */
	__u64 max_size;		/* --max-size, 0: none */
	struct sink_tee tee;
	struct sink sink;	/* the model, or the tee of the model and the file */
	struct run_info info;
	bool file_kept;		/* the run started: the file stays, whatever happens next */
	int file_said;		/* the error that ended the recording, once reported */
	int file_err;		/* the write that failed: the file is incomplete, the run fails */
};

/* @bytes for people: "216 bytes", "63.9 KiB", "3.2 MiB". */
static const char *size_str(__u64 bytes, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = (double)bytes;
	int u = -1;

	if (bytes < 1024) {
		snprintf(buf, size, "%llu bytes", (unsigned long long)bytes);
		return buf;
	}
	while (v >= 1024 && u < (int)ARRAY_SIZE(units) - 1) {
		v /= 1024;
		u++;
	}
	snprintf(buf, size, "%.1f %s", v, units[u]);
	return buf;
}

/*
 * The recording ended early, @err: -EFBIG at --max-size (the writer ended the file, complete),
 * any other a failed write (the file is incomplete: the run's exit status says so, after the
 * summary).  Either ends the trace file, not the trace: say so once.
 */
static void session__file_stopped(struct session *s, int err, __u64 bytes)
{
	char got[32], max[32];

	/* after the --max-size message, only a write error that follows is news */
	if (s->file_said && (s->file_said != -EFBIG || err == -EFBIG))
		return;
	s->file_said = err;
	size_str(bytes, got, sizeof(got));
	if (err == -EFBIG) {
		fprintf(stderr, "maptrace: %s reached --max-size %s: recording stopped at %s with "
				"the file complete; the live reports and the summary go on\n",
			s->path, size_str(s->max_size, max, sizeof(max)), got);
		return;
	}
	s->file_err = err;
	fprintf(stderr, "maptrace: writing %s failed: %s; recording stopped at %s, the live "
			"reports and the summary go on\n",
		s->path, strerror(-err), got);
}

/* The tee keeps the file's first error and stops writing to it: a record, a flush, the end. */
static void session__check_file(struct session *s)
{
	if (s->w && s->tee.second_err)
		session__file_stopped(s, s->tee.second_err, trace_writer__bytes(s->w));
}

/* The run started: the file is worth keeping (and, with --force, replaces the old one now). */
static int session__keep_file(struct session *s)
{
	int err;

	if (!s->w || s->file_kept)
		return 0;
	err = trace_writer__commit(s->w);
	if (err) {
		fprintf(stderr, "maptrace: cannot create %s: %s\n", s->path, strerror(-err));
		return err;
	}
	s->file_kept = true;
	return 0;
}

/*
 * Close the file before the summary, so that the last of its errors (the end record, close)
 * is told, once, before the summary rather than after it.  A run that never started leaves
 * no file behind; with --force, the old file stays.
 */
static void session__end_file(struct session *s)
{
	__u64 bytes;
	int err;

	if (!s->w)
		return;
	if (!s->file_kept) {
		trace_writer__discard(s->w);
		s->w = NULL;
		return;
	}
	session__check_file(s);
	bytes = trace_writer__bytes(s->w);
	err = trace_writer__close(s->w);
	s->w = NULL;
	/* nothing writes to the file any more: the sink is the model's alone */
	s->sink = s->tee.first;
	if (err)
		session__file_stopped(s, err, bytes);
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
	struct launch *child;	      /* -- CMD: the command maptrace runs, or NULL */
	bool looked;		      /* --comm/--exe: looked for the process before */
	bool waiting;		      /* --comm/--exe: said that none runs now */
	bool attached;		      /* the current process is traced (tracer__start() is done) */
};

/* --comm/--exe: a process is followed across its restarts, not traced once. */
static bool live__follows(const struct live *l)
{
	return l->a->comm || l->a->exe;
}

/* "named NAME" or "running PATH": the processes --comm or --exe stands for, in messages. */
static const char *live__how(const struct live *l)
{
	return l->a->comm ? "named" : "running";
}

static const char *live__what(const struct live *l)
{
	return l->a->comm ?: l->a->exe;
}

/*
 * Stop tracing on a signal, except a launched command's trace, which goes on until it exits,
 * so that what it does as it ends is seen too: the signal goes to it instead, unless the
 * terminal sent it to both.
 */
static bool live__stopped(struct live *l)
{
	int sig = *l->stop;

	if (!sig || !l->child || !launch__running(l->child))
		return sig;
	*l->stop = 0;
	if (!(sig & RUN_STOP_TTY))
		launch__signal(l->child, sig & ~RUN_STOP_TTY);
	return false;
}

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
	/* this process's previous live report, for the rates of the next one */
	struct report_history *hist = report_history__new();
	struct tracer *tr = NULL;
	char none[400] = "";
	int err;

	if (!hist)
		return -ENOMEM;
	/* a trace file is flushed, and metrics refreshed, at least once a second */
	if ((s->w || l->srv) && sync_every > METRICS_MS)
		sync_every = METRICS_MS;
	err = tracer__start(a, t, l->plan, &s->sink, &tr);
	/* attached before the launched command's first instruction: now it may run */
	if (!err && l->child) {
		err = launch__resume(l->child);
		if (err)
			fprintf(stderr, "maptrace: cannot let PID %d run: %s\n", t->pid,
				strerror(-err));
	}
	if (err) {
		tracer__free(tr);
		report_history__free(hist);
		return err;
	}
	l->attached = true;
	/* a Go program of a release no Go profile knows: say which (its maps are not probed) */
	if (!s->info.library_found)
		snprintf(none, sizeof(none), ": no map library found%s%s%s, reporting futex waits only",
			 l->plan->go_version_why[0] ? " (" : "", l->plan->go_version_why,
			 l->plan->go_version_why[0] ? ")" : "");
	fprintf(stderr, "maptrace: tracing PID %d (%s)%s; Ctrl-C to stop\n", t->pid, t->comm, none);
	/* scrapers see the new process at once, not a second later */
	err = session__info(s, tr, clock_ns(CLOCK_MONOTONIC)) ?: live__publish(l, m, true) ?:
	      session__keep_file(s);
	if (err) {
		tracer__free(tr);
		report_history__free(hist);
		return err;
	}
	next = clock_ns(CLOCK_MONOTONIC) + interval;
	next_sync = clock_ns(CLOCK_MONOTONIC) + sync_every * 1000000ULL;
	while (!live__stopped(l)) {
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
		/* by its pidfd: a process that took its PID over is not it */
		if (!target__running(t)) {
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
		if (err && !target__running(t)) {
			/* it exited between the check above and the re-attach: an exit, no failure */
			s->info.target_exited = true;
			*exited = true;
			fprintf(stderr, "maptrace: PID %d exited\n", t->pid);
			err = 0;
			break;
		}
		if (err) {
			/* the duty cycle gave them up: every count still comes from the maps */
			fprintf(stderr, "maptrace: re-attaching the per-operation probes failed: %s; "
					"going on without them\n",
				strerror(-err));
			err = 0;
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
			err = session__info(s, tr, now) ?:
			      print_report(a, m, false, "text", hist);
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
	session__end_file(s);
	if (!err)
		err = print_report(a, m, true, a->format, NULL);
	tracer__free(tr);
	report_history__free(hist);
	return err;
}

/*
 * -p PID: the process it names.  A thread id stands for its process; a kernel thread has no
 * user space to trace.
 */
static int live__pid(int pid, int *out)
{
	struct target_id id;
	int err = target__identify(pid, &id);

	if (err == -ESRCH) {
		fprintf(stderr, "maptrace: cannot trace PID %d: no such process; check the PID with "
				"ps or pgrep\n",
			pid);
		return err;
	}
	if (err) {
		fprintf(stderr, "maptrace: cannot read /proc/%d: %s\n", pid, strerror(-err));
		return err;
	}
	if (id.kthread) {
		fprintf(stderr, "maptrace: cannot trace PID %d (%s): it is a kernel thread, with no "
				"user space to trace; give -p the PID of a user process\n",
			pid, id.comm);
		return -EINVAL;
	}
	if (id.tgid != pid)
		fprintf(stderr, "maptrace: %d is a thread of PID %d; tracing PID %d\n", pid, id.tgid,
			id.tgid);
	*out = id.tgid;
	return 0;
}

/* When @m started, as local date and time to the hundredth of a second (clock ticks). */
static void format_start(const struct target_match *m, char *buf, size_t len)
{
	time_t sec = (time_t)(m->start_wall_ms / 1000);
	struct tm tm;
	size_t n;

	if (!localtime_r(&sec, &tm) || !(n = strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))) {
		snprintf(buf, len, "?");
		return;
	}
	snprintf(buf + n, len - n, ".%02u", (unsigned int)(m->start_wall_ms % 1000 / 10));
}

/*
 * Several processes match --comm/--exe: the newest is traced, as one just (re)started is the
 * one to follow; the others are listed, so the choice is seen and -p can make another.
 */
static void live__list_matches(const struct live *l, const struct target_list *tl)
{
	char when[64];

	fprintf(stderr, "maptrace: %d processes %s %s; tracing the newest, PID %d (give -p PID to "
			"trace another):\n",
		tl->n, live__how(l), live__what(l), tl->procs[0].pid);
	for (int i = tl->n - 1; i >= 0; i--) {
		format_start(&tl->procs[i], when, sizeof(when));
		fprintf(stderr, "maptrace: %c PID %-7d started %s  %s\n", i ? ' ' : '*',
			tl->procs[i].pid, when, tl->procs[i].cmdline);
	}
}

/*
 * The process to trace now: -p's, or the newest one matching --comm/--exe (-ESRCH: none yet;
 * -EINVAL: only kernel threads have that name, which no wait will change).
 */
static int live__find(struct live *l, int *pid)
{
	struct target_list tl;
	bool first = !l->looked;
	int err;

	if (l->child) {
		*pid = launch__pid(l->child);
		return 0;
	}
	if (l->a->pid)
		return live__pid(l->a->pid, pid);
	l->looked = true;
	err = target__find(l->a->comm, l->a->exe, &tl);
	if (err) {
		fprintf(stderr, "maptrace: cannot list the processes in /proc: %s\n", strerror(-err));
	} else if (!tl.n && tl.kthreads && first) {
		fprintf(stderr, "maptrace: every process named %s is a kernel thread, with no user "
				"space to trace; give --comm NAME of a user process\n",
			l->a->comm);
		err = -EINVAL;
	} else if (!tl.n) {
		err = -ESRCH;
	} else {
		if (tl.n > 1)
			live__list_matches(l, &tl);
		*pid = tl.procs[0].pid;
	}
	target_list__free(&tl);
	return err;
}

/* --list, a Go program: its version, where its symbols come from, its map generation. */
static void print_go(const struct gopcln_info *gi)
{
	printf("Go %s%s%s%s (module %s): symbols from %s (%zu functions, pclntab of %s)\n",
	       gi->version[0] ? gi->version : "version unknown",
	       strcmp(gi->version_from, "runtime.buildVersion") ? "" : " (no build info; from ",
	       strcmp(gi->version_from, "runtime.buildVersion") ? "" : gi->version_from,
	       strcmp(gi->version_from, "runtime.buildVersion") ? "" : ")",
	       gi->module[0] ? gi->module : "unknown", gi->symbols, gi->nfuncs, gi->format);
	if (!strcmp(gi->maps, "swiss"))
		printf("    maps: Swiss tables (Go >= 1.24; %s)\n", gi->maps_why);
	else if (!strcmp(gi->maps, "hmap"))
		printf("    maps: hmap buckets (Go <= 1.23; %s)\n", gi->maps_why);
	else
		printf("    maps: generation unknown (no map growth function, no version)\n");
	if (!strcmp(gi->maps, "swiss"))
		/* Go 1.24's sync.Map is internal/sync.HashTrieMap: no snapshot, nothing to miss */
		printf("    Go maps, sync.Mutex and sync.RWMutex waits: see profile goswiss below\n"
		       "    sync.Map: a hash-trie (Go >= 1.24), no read-only snapshot: no misses "
		       "or promotions to count\n");
	else
		printf("    Go maps, sync.Mutex and sync.RWMutex waits: see profile go below\n");
}

/* --list: what maptrace finds in the process and would attach. */
static int print_list(const struct args *a, const struct target *t,
		      const struct probe_plan *plan)
{
	struct gopcln_info gi;
	char exe[64], why[256];
	int err;

	snprintf(exe, sizeof(exe), "/proc/%d/exe", t->pid);
	err = gopcln__info(exe, &gi, why, sizeof(why));
	if (err == -ENOTSUP) {
		fprintf(stderr, "maptrace: PID %d (%s): %s\n", t->pid, t->comm, why);
		return err;
	}
	printf("PID %d (%s)\n", t->pid, t->comm);
	if (!err)
		print_go(&gi);
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
			       tracer__traces_probe(m->sites[j].name, a->detail) ? "~0.3 us/hit" :
			       tracer__traces_probe(m->sites[j].name, true)	  ? "with --detail" :
										    "not attached");
		}
	}
	if (!t->nmodules)
		printf("cmap (built-in, USDT probes of lib/): not matched: no mapped object carries "
		       "provider cmap\n");
	if (a->futex_tp) {
		printf("futex waits: the syscall tracepoints (--futex-tracepoints)\n");
	} else {
		printf("futex and exit_group calls: uprobes beside each syscall%s\n",
		       a->futex ? ", and the scheduler's switches (sched_switch)"
				: " (exit_group only: --no-futex)");
		sysc__attach(t, -1, a->futex ? 0 : -1, true, NULL, NULL, 0, NULL);
	}
	fputs(plan->log, stdout);
	printf("%d profile probe sites would be attached%s\n",
	       probe_plan__attached(plan, a->detail || a->budget_pct > 0),
	       probe_plan__attached(plan, true) > probe_plan__attached(plan, false) &&
			       !(a->detail || a->budget_pct > 0) ?
		       " (more with --detail)" : "");
	return 0;
}

/* Inspect, attach, trace and report one process. */
static int live__one(struct live *l, int pid, bool *exited, bool *done)
{
	const struct args *a = l->a;
	struct target *t = calloc(1, sizeof(*t));
	struct session s = { .m = model__new(), .path = a->output, .max_size = a->max_size };
	/* the target's mappings, read once for its inspection, the plan, symbols and locks */
	struct proc_maps_cache *maps = proc_maps_cache__new();
	bool inspected = false, gone = false;
	int err;

	l->attached = false;
	if (!t || !s.m || !maps) {
		err = -ENOMEM;
		fprintf(stderr, "maptrace: out of memory\n");
		goto out;
	}
	if (needs_events(a))
		model__keep_events(s.m, true);
	err = target__inspect(maps, pid, t);
	inspected = true;
	/* gone since it was found (-EINVAL: its PID names a thread or a kernel thread now) */
	gone = err == -ESRCH || err == -EINVAL;
	if (gone) {
		if (!live__follows(l))
			fprintf(stderr, "maptrace: cannot trace PID %d: no such process; check the "
					"PID with ps or pgrep\n",
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
		err = print_list(a, t, l->plan);
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
	snprintf(s.info.unmade, sizeof(s.info.unmade), "%s", profile_set__unmade(l->profiles));
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
	/*
	 * A failure before it was traced, and the target is gone: a short run, which --comm and
	 * --exe wait past.  Once traced, an exit is no failure, and a failure ends the trace.
	 */
	gone = gone || (err && inspected && !target__running(t));
	if (gone && !l->attached && live__follows(l)) {
		fprintf(stderr, "maptrace: PID %d exited before maptrace had attached; waiting for "
				"the next process %s %s\n",
			pid, live__how(l), live__what(l));
		l->waiting = true;
		*exited = true;
		err = 0;
	}
	session__end_file(&s);
	/* an incomplete trace file fails the run, once the summary is out */
	if (!err)
		err = s.file_err;
	model__free(s.m);
	if (inspected)
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

/* How long to wait before looking for the process again: FIND_MS, or what is left of -d. */
static long live__find_delay_ms(const struct live *l, __u64 now)
{
	__u64 end = l->start + l->a->duration_ms * 1000000ULL;

	if (l->a->duration_ms && end > now && end - now < FIND_MS * 1000000ULL)
		return (long)((end - now) / 1000000) + 1;
	return FIND_MS;
}

/*
 * The trace of a launched command is over: wait for it to exit, passing signals on, for its
 * status.  One that never ran (maptrace failed first, or --list) is killed: nothing maptrace
 * starts runs untraced.
 */
static int live__end_child(struct live *l, int *status)
{
	int err;

	if (!launch__running(l->child))
		return 0;
	err = launch__wait(l->child, 0, status);
	if (err == -EAGAIN)
		fprintf(stderr, "maptrace: the trace is over; waiting for PID %d to exit\n",
			launch__pid(l->child));
	while (err == -EAGAIN) {
		live__stopped(l);
		err = launch__wait(l->child, POLL_MS, status);
	}
	if (err)
		fprintf(stderr, "maptrace: waiting for PID %d failed: %s\n",
			launch__pid(l->child), strerror(-err));
	return err;
}

int run__live(const struct args *a, volatile sig_atomic_t *stop, int *status)
{
	struct prom_opts po = { .top = a->metrics_top };
	struct live l = { .a = a, .stop = stop, .start = clock_ns(CLOCK_MONOTONIC) };
	bool follow = live__follows(&l), done = false;
	int err = check_output(a);

	*status = -1;
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
	/* last, so that no mistake of maptrace's own runs the command untraced */
	if (a->command) {
		err = launch__start(a->command, &l.child, status);
		if (err)
			goto out;
	}
	while (!*stop && !done) {
		bool exited = false;
		__u64 now;
		int pid;

		err = live__find(&l, &pid);
		if (err == -ESRCH && follow) {
			err = 0;
			if (!l.waiting)
				fprintf(stderr, "maptrace: waiting for a process %s %s\n", live__how(&l),
					live__what(&l));
			l.waiting = true;
			now = clock_ns(CLOCK_MONOTONIC);
			if (live__out_of_time(&l, now))
				break;
			sleep_ms(live__find_delay_ms(&l, now));
			continue;
		}
		if (err)
			break;
		l.waiting = false;
		err = preflight__target(pid) ?: live__one(&l, pid, &exited, &done);
		/* without --comm/--exe the run ends with its process; with them it waits again */
		if (err || !follow || !exited || live__out_of_time(&l, clock_ns(CLOCK_MONOTONIC)))
			break;
	}
	if (l.child) {
		int e = live__end_child(&l, status);

		err = err ?: e;
	}
out:
	launch__free(l.child);
	prom_server__stop(l.srv);
	prom_state__free(l.ps);
	probe_plan__free(l.plan);
	profile_set__free(l.profiles);
	return err;
}
