// SPDX-License-Identifier: MIT
/*
 * libFuzzer target for the trace reader (user/trace_file.c): whatever the bytes, loading them
 * into a model, building a report and rendering it with every backend must neither crash nor
 * leak nor hang.  `maptrace report FILE` runs exactly this path on a file from elsewhere.
 *
 * Build with -DFUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION: the reader then skips its checksums,
 * so mutated records reach the record parsers and the model instead of stopping at the first
 * checksum (which the unit test covers).  See `make fuzz`; seeds are in fuzz/corpus/.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>
#include "model.h"
#include "report.h"
#include "sink.h"
#include "trace_file.h"

static int fd = -1;
static char path[64];
static FILE *devnull;

static void setup(void)
{
	fd = memfd_create("fuzz-trace", MFD_CLOEXEC);
	devnull = fopen("/dev/null", "w");
	if (fd < 0 || !devnull) {
		perror("fuzz setup");
		abort();
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trace_read_status st;
	struct report_opts o = {.histograms = true};
	const struct report_backend *b;
	struct report *r = NULL;
	struct model *m;
	struct sink sink;

	if (fd < 0)
		setup();
	if (ftruncate(fd, 0) || pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	m = model__new();
	if (!m)
		return 0;
	/* backends that draw timelines read the event log: keep it so they are fuzzed too */
	model__keep_events(m, true);
	model__sink(m, &sink);
	if (!trace_reader__load(path, &sink, NULL, &st) && !report__build(m, true, 0, &r)) {
		for (int i = 0; (b = report_backend__get(i)); i++)
			b->emit(devnull, r, &o);
	}
	report__free(r);
	model__free(m);
	return 0;
}
