// SPDX-License-Identifier: MIT
/*
 * End-to-end proof of the build chain: start mapload's growth scenario, attach a USDT program
 * to its cmap:grow_begin probe, and check the grows counted in BPF equal the library's own
 * counter from mapload --json.  Needs root.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
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

static int run(const char *mapload)
{
	struct usdt_grow_bpf *skel = NULL;
	struct bpf_link *link = NULL;
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
	while (off < (ssize_t)sizeof(json) - 1 &&
	       (n = read(pipefd[0], json + off, sizeof(json) - 1 - off)) > 0)
		off += n;
	json[off] = '\0';
	waitpid(pid, &status, 0);
	pid = 0;

	check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "mapload exited 0");
	snprintf(what, sizeof(what), "BPF counted %llu grows, library reports %lld",
		 (unsigned long long)skel->bss->grows, json_field(json, "grows"));
	check(json_field(json, "grows") > 0 &&
		      (long long)skel->bss->grows ==
			      json_field(json, "grows") + json_field(json, "same_size_grows"),
	      what);
	snprintf(what, sizeof(what), "same-size grows: BPF %llu, library %lld",
		 (unsigned long long)skel->bss->same_size, json_field(json, "same_size_grows"));
	check((long long)skel->bss->same_size == json_field(json, "same_size_grows"), what);
cleanup:
	if (pid > 0) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
	}
	close(pipefd[0]);
	bpf_link__destroy(link);
	usdt_grow_bpf__destroy(skel);
	return err;
}

int main(int argc, char **argv)
{
	int err = run(argc > 1 ? argv[1] : "bin/mapload");

	if (err)
		check(0, "BPF program loaded and attached");
	return failures ? 1 : 0;
}
