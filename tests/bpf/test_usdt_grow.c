// SPDX-License-Identifier: MIT
/*
 * End-to-end proof of the build chain: start mapload's growth scenario, attach a USDT program
 * to its cmap:grow_begin probe, and check the grows counted in BPF equal the library's own
 * counter from mapload --json.  Twice: with cmap:map_create traced too, every grow fires
 * grow_begin; with grow_begin alone, only the grows to 2^CMAP_QUIET_B buckets and more do (a
 * map without a hint starts at 2^0, so CMAP_QUIET_B - 1 grows fire nothing).  Then the presized
 * scenario (a hint of 100000, 2^14 buckets from the start, no grow): with grow_begin alone its
 * creation fires cmap:map_create_big once, with its B and hint; with map_create traced,
 * map_create announces it and map_create_big stays silent.  Each map's free fires map_destroy
 * once.  Needs root.
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

static int attach(struct bpf_link **link, struct bpf_program *prog, pid_t pid, const char *mapload,
		  const char *probe)
{
	*link = bpf_program__attach_usdt(prog, pid, mapload, "cmap", probe, NULL);
	if (*link)
		return 0;
	fprintf(stderr, "cannot attach to cmap:%s: %s\n", probe, strerror(errno));
	return -errno;
}

static int run(const char *mapload, const char *scenario, bool with_create)
{
	struct usdt_grow_bpf *skel = NULL;
	struct bpf_link *links[4] = {};
	bool presized = !strcmp(scenario, "presized");
	long long grows, same, buckets;
	char json[4096] = "", what[160], tag[64];
	int pipefd[2], status, err = 0;
	ssize_t n, off = 0;
	__u64 want;
	pid_t pid;

	snprintf(tag, sizeof(tag), "%s, %s", scenario,
		 with_create ? "grow_begin+map_create" : "grow_begin alone");
	if (pipe(pipefd))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execl(mapload, mapload, "--scenario", scenario, "--start-after", "0.5", "--json",
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
	/* attach to this one process: libbpf turns each probe's semaphore on through the kernel */
	err = attach(&links[0], skel->progs.on_grow_begin, pid, mapload, "grow_begin");
	if (!err)
		err = attach(&links[1], skel->progs.on_map_create_big, pid, mapload,
			     "map_create_big");
	if (!err)
		err = attach(&links[2], skel->progs.on_map_destroy, pid, mapload, "map_destroy");
	if (!err && with_create)
		err = attach(&links[3], skel->progs.on_map_create, pid, mapload, "map_create");
	if (err)
		goto cleanup;
	while (off < (ssize_t)sizeof(json) - 1 &&
	       (n = read(pipefd[0], json + off, sizeof(json) - 1 - off)) > 0)
		off += n;
	json[off] = '\0';
	waitpid(pid, &status, 0);
	pid = 0;

	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mapload exited 0");
	grows = json_field(json, "grows");
	same = json_field(json, "same_size_grows");
	buckets = json_field(json, "buckets");
	snprintf(what, sizeof(what), "%s: BPF counted %llu grows, library reports %lld", tag,
		 (unsigned long long)skel->bss->grows, grows);
	if (presized)
		check(grows == 0 && same == 0 && skel->bss->grows == 0, what);
	else
		check(grows >= CMAP_QUIET_B && same == 0 &&
			      (long long)skel->bss->grows ==
				      (with_create ? grows : grows - (CMAP_QUIET_B - 1)),
		      what);
	if (!presized) {
		snprintf(what, sizeof(what), "%s: smallest grow seen to 2^%llu buckets", tag,
			 (unsigned long long)skel->data->min_new_b);
		check(skel->data->min_new_b == (with_create ? 1 : CMAP_QUIET_B), what);
	}
	/* only a map born big that no other creation probe announced fires map_create_big */
	want = presized && !with_create;
	snprintf(what, sizeof(what), "%s: map_create %llu, map_create_big %llu (want %llu)", tag,
		 (unsigned long long)skel->bss->creates, (unsigned long long)skel->bss->big_creates,
		 (unsigned long long)want);
	check(skel->bss->creates == (__u64)with_create && skel->bss->big_creates == want, what);
	if (want) {
		snprintf(what, sizeof(what),
			 "%s: map_create_big's B %llu and hint %llu: mapload's %lld buckets, hint "
			 "100000",
			 tag, (unsigned long long)skel->bss->big_b,
			 (unsigned long long)skel->bss->big_hint, buckets);
		check(buckets > 0 && (1LL << skel->bss->big_b) == buckets &&
			      skel->bss->big_b >= CMAP_QUIET_B && skel->bss->big_hint == 100000,
		      what);
	}
	snprintf(what, sizeof(what), "%s: map_destroy fired %llu times for mapload's one map", tag,
		 (unsigned long long)skel->bss->destroys);
	check(skel->bss->destroys == 1 && json_field(json, "maps") == 1, what);
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(pipefd[0]);
	for (int i = 3; i >= 0; i--)
		bpf_link__destroy(links[i]);
	usdt_grow_bpf__destroy(skel);
	return err;
}

int main(int argc, char **argv)
{
	static const char *const scenarios[] = {"growth", "presized"};

	for (int sc = 0; sc < 2; sc++)
		for (int with_create = 1; with_create >= 0; with_create--) {
			int err =
				run(argc > 1 ? argv[1] : "bin/mapload", scenarios[sc], with_create);

			if (err)
				check(0, "BPF program loaded and attached");
		}
	return failures ? 1 : 0;
}
