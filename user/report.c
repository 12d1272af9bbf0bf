// SPDX-License-Identifier: MIT
/* The backend table and the helpers every backend shares. */
#include <stdio.h>
#include <string.h>
#include "report.h"

/* Adding a format: one new report_<name>.c and one line here. */
static const struct report_backend *const backends[] = {
	&report_text_backend,
	&report_json_backend,
};

const struct report_backend *report_backend__find(const char *name)
{
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		if (!strcmp(backends[i]->name, name))
			return backends[i];
	}
	return NULL;
}

const struct report_backend *report_backend__get(int i)
{
	if (i < 0 || (size_t)i >= sizeof(backends) / sizeof(backends[0]))
		return NULL;
	return backends[i];
}

__u64 report__duration_ns(const struct report *r)
{
	/* An interval snapshot taken before the first clock reading must not print 584 years. */
	if (r->info.end_mono_ns <= r->info.start_mono_ns)
		return 0;
	return r->info.end_mono_ns - r->info.start_mono_ns;
}

__u64 report__dropped_total(const struct report *r)
{
	__u64 sum = 0;

	for (int i = 0; i < MT_DROP_MAX; i++)
		sum += r->dropped[i];
	return sum;
}

const struct mt_stack *report__stack(const struct report *r, int idx)
{
	/* Indexes come from files too: never trust one to be inside the table. */
	if (idx < 0 || idx >= r->nstacks || !r->stacks)
		return NULL;
	return &r->stacks[idx];
}

const struct map_report *report__find_map(const struct report *r, __u64 addr)
{
	for (int i = 0; i < r->nmaps; i++) {
		if (r->maps[i].addr == addr)
			return &r->maps[i];
	}
	return NULL;
}

char *report__fmt_ns(char *buf, size_t size, __u64 ns)
{
	/* limit: move to the next unit before rounding would print "1000us" (or 6 digits of s) */
	static const struct {
		double scale, limit;
		const char *unit;
	} units[] = {
		{ 1e3, 999.5, "us" },
		{ 1e6, 999.5, "ms" },
		{ 1e9, 99999.5, "s" },
		{ 3.6e12, 0, "h" }, /* summed waits of many threads can exceed a day */
	};
	size_t last = sizeof(units) / sizeof(units[0]) - 1, u;
	double v = 0;

	if (ns < 1000) {
		snprintf(buf, size, "%lluns", (unsigned long long)ns);
		return buf;
	}
	for (u = 0; u < last; u++) {
		v = (double)ns / units[u].scale;
		if (v < units[u].limit)
			break;
	}
	if (u == last)
		v = (double)ns / units[u].scale;
	if (v < 9.995)
		snprintf(buf, size, "%.2f%s", v, units[u].unit);
	else if (v < 99.95)
		snprintf(buf, size, "%.1f%s", v, units[u].unit);
	else
		snprintf(buf, size, "%.0f%s", v, units[u].unit);
	return buf;
}

const char *report__module_base(const char *module)
{
	const char *slash;

	if (!module)
		return "";
	slash = strrchr(module, '/');
	return slash ? slash + 1 : module;
}

char *report__fmt_frame(char *buf, size_t size, const struct mt_frame *f)
{
	const char *mod = report__module_base(f->module);
	size_t n;

	if (f->func && f->func[0])
		n = (size_t)snprintf(buf, size, "%s+0x%llx", f->func,
				     (unsigned long long)f->offset);
	else
		n = (size_t)snprintf(buf, size, "0x%llx", (unsigned long long)f->ip);
	if (n < size && f->file && f->file[0])
		n += (size_t)snprintf(buf + n, size - n, " (%s:%u)", f->file, f->line);
	if (n < size && mod[0])
		snprintf(buf + n, size - n, " [%s]", mod);
	return buf;
}

/*
 * Frames of the lock implementation itself (glibc's futex wait, the pthread lock entry
 * points): every waiting stack starts with them, and on one line they would hide the caller.
 */
static bool frame_is_lock_internal(const struct mt_frame *f)
{
	static const char *const prefixes[] = {
		"__lll_",     "lll_",	  "futex",	 "__futex",	    "___pthread_",
		"__pthread_", "pthread_", "__GI___lll_", "__GI___pthread_", "__GI___futex",
	};
	const char *mod = report__module_base(f->module);

	if (!strncmp(mod, "libc.so", 7) || !strncmp(mod, "libc-", 5) ||
	    !strncmp(mod, "libpthread", 10))
		return true;
	for (size_t i = 0; f->func && i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		if (!strncmp(f->func, prefixes[i], strlen(prefixes[i])))
			return true;
	}
	return false;
}

char *report__fmt_stack_line(char *buf, size_t size, const struct report *r, int idx,
			     int max_frames)
{
	const struct mt_stack *st = report__stack(r, idx);
	size_t n = 0;
	int first = 0, last;

	if (!st || !st->nframes) {
		snprintf(buf, size, "-");
		return buf;
	}
	/* Skip the lock internals only when a caller remains to be shown. */
	while (first < st->nframes && frame_is_lock_internal(&st->frames[first]))
		first++;
	if (first == st->nframes)
		first = 0;
	last = max_frames > 0 && first + max_frames < st->nframes ? first + max_frames :
								    st->nframes;
	buf[0] = '\0';
	for (int i = first; i < last && n < size; i++) {
		const struct mt_frame *f = &st->frames[i];
		const char *sep = i > first ? " <- " : "";

		if (f->func && f->func[0])
			n += (size_t)snprintf(buf + n, size - n, "%s%s", sep, f->func);
		else
			n += (size_t)snprintf(buf + n, size - n, "%s0x%llx", sep,
					      (unsigned long long)f->ip);
	}
	return buf;
}
