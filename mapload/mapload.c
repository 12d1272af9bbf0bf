// SPDX-License-Identifier: MIT
/*
 * mapload: drive libcmap with a deterministic workload a tracer can attach to, and print the
 * library's own counters, the oracle maptrace's tests compare against.  See --help.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "args.h"
#include "cmap.h"
#include "workload.h"

static double ns_per_op(const struct workload_result *r)
{
	return r->ops ? (double)r->elapsed_ns / (double)r->ops : 0.0;
}

/* One JSON object, one line; the checksum is a hex string (a u64 does not fit a double). */
static void print_json(FILE *f, const struct mapload_opts *o, const struct workload_result *r)
{
	const struct cmap_stats *s = &r->st;

	fprintf(f, "{\"variant\": \"%s\", ", ccmap_variant_name(o->variant) ?: "?");
	if (o->scenario)
		fprintf(f, "\"scenario\": \"%s\", ", o->scenario);
	fprintf(f, "\"threads\": %u, \"writers\": %u, \"maps\": %u, \"seed\": %llu, ", o->threads,
		o->writers, o->maps, (unsigned long long)o->seed);
	fprintf(f, "\"ops\": %llu, \"elapsed_ns\": %llu, \"ns_per_op\": %.1f, \"cpu_ns\": %llu, ",
		(unsigned long long)r->ops, (unsigned long long)r->elapsed_ns, ns_per_op(r),
		(unsigned long long)r->cpu_ns);
	fprintf(f,
		"\"inserts\": %llu, \"updates\": %llu, \"deletes\": %llu, \"lookups\": %llu, "
		"\"grows\": %llu, \"same_size_grows\": %llu, \"evacuated\": %llu, "
		"\"hits\": %llu, \"misses\": %llu, \"promotions\": %llu, \"overflow\": %llu, "
		"\"count\": %llu, \"buckets\": %llu, \"moved\": %llu, \"grow_ns\": %llu, "
		"\"evac_ns\": %llu, ",
		(unsigned long long)s->inserts, (unsigned long long)s->updates,
		(unsigned long long)s->deletes, (unsigned long long)s->lookups,
		(unsigned long long)s->grows, (unsigned long long)s->same_size_grows,
		(unsigned long long)s->evacuated, (unsigned long long)s->hits,
		(unsigned long long)s->misses, (unsigned long long)s->promotions,
		(unsigned long long)s->overflow, (unsigned long long)s->count,
		(unsigned long long)s->buckets, (unsigned long long)s->moved,
		(unsigned long long)s->grow_ns, (unsigned long long)s->evac_ns);
	fprintf(f, "\"checksum\": \"%016llx\"}\n", (unsigned long long)r->checksum);
}

static void print_text(FILE *f, const struct mapload_opts *o, const struct workload_result *r)
{
	const struct cmap_stats *s = &r->st;

	fprintf(f,
		"mapload: %s%s%s, %u thread%s (%u writing), %u map%s: %llu ops in %.3f ms, "
		"%.1f ns/op\n",
		ccmap_variant_name(o->variant) ?: "?", o->scenario ? " " : "", o->scenario ?: "",
		o->threads, o->threads == 1 ? "" : "s", o->writers, o->maps,
		o->maps == 1 ? "" : "s", (unsigned long long)r->ops, r->elapsed_ns / 1e6,
		ns_per_op(r));
	fprintf(f, "  inserts %llu  updates %llu  deletes %llu  lookups %llu\n",
		(unsigned long long)s->inserts, (unsigned long long)s->updates,
		(unsigned long long)s->deletes, (unsigned long long)s->lookups);
	fprintf(f, "  grows %llu  same-size grows %llu  evacuated %llu  overflow %llu\n",
		(unsigned long long)s->grows, (unsigned long long)s->same_size_grows,
		(unsigned long long)s->evacuated, (unsigned long long)s->overflow);
	if (o->variant == CMAP_SYNC)
		fprintf(f, "  hits %llu  misses %llu  promotions %llu\n",
			(unsigned long long)s->hits, (unsigned long long)s->misses,
			(unsigned long long)s->promotions);
	fprintf(f, "  count %llu  buckets %llu  checksum %016llx\n", (unsigned long long)s->count,
		(unsigned long long)s->buckets, (unsigned long long)r->checksum);
}

int main(int argc, char **argv)
{
	struct mapload_opts opts;
	struct workload_result res;
	struct workload *wl = NULL;
	int err;

	if (mapload_parse_args(argc, argv, &opts))
		return 2;
	if (opts.help) {
		mapload_usage(stdout);
		return 0;
	}
	if (opts.start_after_set) {
		/* the pid first, so a script can start the tracer while we sleep */
		fprintf(stderr, "mapload: pid %d\n", (int)getpid());
		mapload_sleep_ns(opts.start_after_ns);
	}

	err = workload__new(&opts, &wl);
	if (err)
		goto cleanup;
	err = workload__run(wl, &res);
	if (err)
		goto cleanup;
	if (opts.json)
		print_json(stdout, &opts, &res);
	else
		print_text(stdout, &opts, &res);
	if (fflush(stdout)) {
		err = -errno;
		fprintf(stderr, "mapload: cannot write the result: %m\n");
		goto cleanup;
	}
	/* keep the maps alive while a tracer watches the quiet end */
	mapload_sleep_ns(opts.exit_after_ns);

cleanup:
	workload__free(wl);
	return err ? 1 : 0;
}
