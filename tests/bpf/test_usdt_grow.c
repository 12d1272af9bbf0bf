// SPDX-License-Identifier: MIT
/*
 * End-to-end proof of the build chain: start mapload's growth scenario, attach a USDT program
 * to its cmap:grow_begin probe, and check the grows counted in BPF equal the library's own
 * counter from mapload --json.  Twice: with cmap:map_create traced too, every grow fires
 * grow_begin; with grow_begin alone, only the grows to 2^CMAP_QUIET_B buckets and more do (a
 * map without a hint starts at 2^0, so CMAP_QUIET_B - 1 grows fire nothing).  Needs root.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "cmap_impl.h"
#include "usdt_grow.skel.h"

static int failures;

static void check(int cond, const char *what)
{
	printf("%sok - %s\n", cond ? "" : "not ", what);
	if (!cond)
		failures++;
}

/* Pull an unsigned integer field out of mapload's flat JSON object. */
static long long json_field(const char *json, const char *key)
{
	char pat[64];
	const char *p;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	p = strstr(json, pat);
	return p ? strtoll(p + strlen(pat), NULL, 10) : -1;
}

static int run(const char *mapload, bool with_create)
{
	struct usdt_grow_bpf *skel = NULL;
	struct bpf_link *link = NULL, *clink = NULL;
	const char *tag = with_create ? "grow_begin+map_create" : "grow_begin alone";
	long long grows, same;
	char json[4096] = "", what[128];
	int pipefd[2], status, err = 0;
	ssize_t n, off = 0;
	pid_t pid;

	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl(mapload, mapload, "--scenario", "growth", "--start-after", "0.5", "--json",
		      (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);

	/* open + load: no rodata to set, the pid filter is the attach itself */
	skel = usdt_grow_bpf__open_and_load();
	if (!skel) {
		err = -errno;
		fprintf(stderr, "cannot load BPF program: %s\n", strerror(-err));
		goto cleanup;
	}
	/* attach to this one process: libbpf turns the probe's semaphore on through the kernel */
	link = bpf_program__attach_usdt(skel->progs.on_grow_begin, pid, mapload, "cmap",
					"grow_begin", NULL);
	if (!link) {
		err = -errno;
		fprintf(stderr, "cannot attach to cmap:grow_begin: %s\n", strerror(-err));
		goto cleanup;
	}
	if (with_create) {
		clink = bpf_program__attach_usdt(skel->progs.on_map_create, pid, mapload, "cmap",
						 "map_create", NULL);
		if (!clink) {
			err = -errno;
			fprintf(stderr, "cannot attach to cmap:map_create: %s\n", strerror(-err));
			goto cleanup;
		}
	}
	while (off < (ssize_t)sizeof(json) - 1 &&
	       (n = read(pipefd[0], json + off, sizeof(json) - 1 - off)) > 0)
		off += n;
	json[off] = '\0';
	waitpid(pid, &status, 0);
	pid = 0;

	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mapload exited 0");
	grows = json_field(json, "grows");
	same = json_field(json, "same_size_grows");
	snprintf(what, sizeof(what), "%s: BPF counted %llu grows, library reports %lld", tag,
		 (unsigned long long)skel->bss->grows, grows);
	check(grows >= CMAP_QUIET_B && same == 0 &&
		      (long long)skel->bss->grows ==
			      (with_create ? grows : grows - (CMAP_QUIET_B - 1)),
	      what);
	snprintf(what, sizeof(what), "%s: smallest grow seen to 2^%llu buckets", tag,
		 (unsigned long long)skel->data->min_new_b);
	check(skel->data->min_new_b == (with_create ? 1 : CMAP_QUIET_B), what);
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(pipefd[0]);
	bpf_link__destroy(clink);
	bpf_link__destroy(link);
	usdt_grow_bpf__destroy(skel);
	return err;
}

int main(int argc, char **argv)
{
	for (int with_create = 1; with_create >= 0; with_create--) {
		int err = run(argc > 1 ? argv[1] : "bin/mapload", with_create);

		if (err)
			check(0, "BPF program loaded and attached");
	}
	return failures ? 1 : 0;
}
