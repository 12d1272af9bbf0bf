// SPDX-License-Identifier: MIT
/*
 * Probe profiles, planning: match the parsed profiles against a process's mapped objects, read
 * each library's version to pick its field set, and resolve every probe to a file offset and a
 * spec, explaining each probe left out.  See profile.h; profile_parse.c builds the profiles.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "elfsym.h"
#include "procfs.h"
#include "profile_int.h"
#include "target.h"

struct planner {
	const struct profile_set *ps;
	const struct target *t;
	struct probe_plan *plan;
	char seen[64][4096]; /* mapped objects already looked at */
	int nseen;
	bool found[MAX_PROFILES]; /* an object of the profile is mapped */
	int err;
};

static void plan_log(char **buf, size_t *len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void plan_log(char **buf, size_t *len, const char *fmt, ...)
{
	va_list ap;
	char *n;
	int k;

	va_start(ap, fmt);
	k = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (k < 0)
		return;
	n = realloc(*buf, *len + (size_t)k + 1);
	if (!n)
		return;
	*buf = n;
	va_start(ap, fmt);
	vsnprintf(*buf + *len, (size_t)k + 1, fmt, ap);
	va_end(ap);
	*len += (size_t)k;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* Does mapped file @path go with object name @obj?  "libglib-2.0.so.0" matches its real file
 * "libglib-2.0.so.0.7400.6"; an executable matches by name. */
static bool object_matches(const char *obj, const char *path)
{
	const char *b = base_name(path);
	size_t n = strlen(obj);

	if (strchr(obj, '/'))
		return !strcmp(obj, path);
	return !strcmp(b, obj) || (!strncmp(b, obj, n) && b[n] == '.');
}

/* The library's version as a string, "" when it cannot be read (with @why). */
static void module_version(const struct profile *p, struct elfsym_file *ef, const char *mapped,
			   const char *obj, char *ver, size_t len, char *why, size_t wlen)
{
	ver[0] = '\0';
	switch (p->version_kind) {
	case VERSION_SYMBOLS: {
		size_t at = 0;

		for (int i = 0; i < p->nversion_syms; i++) {
			__u32 v;

			if (elfsym__read_object(ef, p->version_syms[i], &v, sizeof(v))) {
				snprintf(why, wlen, "no data symbol %s to read the version from",
					 p->version_syms[i]);
				ver[0] = '\0';
				return;
			}
			at += (size_t)snprintf(ver + at, at < len ? len - at : 0, "%s%u",
					       i ? "." : "", v);
		}
		return;
	}
	case VERSION_RETCONST: {
		struct elfsym_sym s;
		__u32 v;

		/* mov $imm32, %eax; ret */
		if (elfsym__find(ef, p->version_syms[0], &s) || s.code_len < 6 ||
		    s.code[0] != 0xb8 || s.code[5] != 0xc3) {
			snprintf(why, wlen, "%s is not a function returning a constant",
				 p->version_syms[0]);
			return;
		}
		memcpy(&v, s.code + 1, sizeof(v));
		snprintf(ver, len, "%u.%u.%u", (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff);
		return;
	}
	case VERSION_SONAME: {
		const char *b = base_name(mapped);
		size_t n = strlen(obj);

		if (!strncmp(b, obj, n) && b[n] == '.')
			snprintf(ver, len, "%s", b + n + 1);
		else
			snprintf(why, wlen, "the file name %s has no version after %s", b, obj);
		return;
	}
	case VERSION_BUILD_ID:
		snprintf(ver, len, "%s", elfsym__build_id(ef));
		if (!ver[0])
			snprintf(why, wlen, "the file has no build-id");
		return;
	default:
		snprintf(why, wlen, "the profile states no way to read the version");
		return;
	}
}

/*
 * Expected added cost of one hit, as bench/sites.sh measured it on this kind of machine (2 CPUs,
 * 6.18): see bench/README.md.
 */
static const char *site_cost(int kind, bool ret)
{
	switch (kind) {
	case UPROBE_SITE_NOP5:
		return ret ? "~0.3 us/hit + ~0.5 us per return seen" : "~0.3 us/hit";
	case UPROBE_SITE_NOP:
	case UPROBE_SITE_PUSH:
	case UPROBE_SITE_BRANCH:
		return ret ? "~0.6 us/hit + ~0.5 us per return seen" : "~0.6 us/hit";
	default:
		return ret ? "~5 us/hit (single-stepped) + ~0.5 us per return seen" :
			     "~5 us/hit (single-stepped)";
	}
}

/* site_cost() in ns, for --overhead-budget's estimate. */
static double site_cost_ns(int kind, bool ret)
{
	double entry = kind == UPROBE_SITE_NOP5 ? 300 :
		       kind == UPROBE_SITE_NOP || kind == UPROBE_SITE_PUSH ||
				       kind == UPROBE_SITE_BRANCH ? 600 : 5000;

	return entry + (ret ? 500 : 0);
}

static int plan_add_site(struct plan_module *pm, const struct plan_site *s)
{
	void *n = realloc(pm->sites, (size_t)(pm->nsites + 1) * sizeof(*pm->sites));

	if (!n)
		return -ENOMEM;
	pm->sites = n;
	pm->sites[pm->nsites++] = *s;
	return 0;
}

static void refuse(struct planner *pl, const struct profile *p, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A probe left out.  One the user wrote (--probe, --profile) makes the run fail. */
static void refuse(struct planner *pl, const struct profile *p, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	plan_log(&pl->plan->refusals, &pl->plan->reflen, "%s\n", line);
	if (strncmp(p->origin, "built-in", 8))
		pl->plan->fatal++;
	plan_log(&pl->plan->log, &pl->plan->loglen, "    not attached: %s\n", line);
}

/*
 * The profile's 'read' line with the field set of this version: what each sync reads of the
 * maps its probes find.  A field this version lacks leaves the reads out, explained.
 */
static int plan_read(struct planner *pl, const struct profile *p, const struct fieldset *fs,
		     const char *ver, const char *vwhy, const char *mapped, struct plan_read *rd)
{
	char bad[PROFILE_WHY_LEN];
	int err;

	memset(rd, 0, sizeof(*rd));
	if (!p->read_args[0])
		return 0;
	err = pread__spec(p->read_args, fs, rd, bad, sizeof(bad));
	if (err == -ENOENT) {
		memset(rd, 0, sizeof(*rd));
		if (ver[0])
			refuse(pl, p,
			       "read in %s: %s is version %s; the %s profile knows the field "
			       "offsets of %s only (add a 'fields' line for this version with "
			       "--profile FILE)",
			       p->name, base_name(mapped), ver, p->name,
			       p->nfsets ? p->fsets[0].glob : "no version");
		else
			refuse(pl, p,
			       "read in %s: the version of %s is unknown (%s), so its struct "
			       "fields cannot be read",
			       p->name, base_name(mapped), vwhy);
		return 0;
	}
	if (err)
		return err;
	plan_log(&pl->plan->log, &pl->plan->loglen,
		 "    %-12s %s: from each map's memory at each sync, no probe\n", "read",
		 p->read_args);
	return 0;
}

/* Profile @pi against the object mapped from @mapped (opened as @path). */
static int plan_profile(struct planner *pl, int pi, const char *obj, const char *path,
			const char *mapped)
{
	const struct profile *p = pl->ps->p[pi];
	struct probe_plan *plan = pl->plan;
	const struct fieldset *fs = NULL;
	struct elfsym_file *ef = NULL;
	char ver[96], why[256] = "", root[64] = "";
	struct plan_module pm = {};
	int err = 0;

	pl->found[pi] = true;
	if (strcmp(path, mapped))
		snprintf(root, sizeof(root), "/proc/%d/root", pl->t->pid);
	err = elfsym__open(path, root, &ef);
	if (err) {
		plan_log(&plan->log, &plan->loglen, "profile %s: cannot read %s: %s\n", p->name,
			 mapped, strerror(-err));
		return 0;
	}
	for (int i = 0; i < p->nrequire; i++) {
		struct elfsym_sym s;

		if (elfsym__find(ef, p->require[i], &s)) {
			plan_log(&plan->log, &plan->loglen,
				 "profile %s: not matched: %s has no symbol %s%s\n", p->name,
				 mapped, p->require[i],
				 elfsym__stripped(ef) ? " (stripped, and no debug file found under "
							"/usr/lib/debug)" : "");
			if (elfsym__stripped(ef))
				refuse(pl, p,
				       "%s: %s has no symbol %s (stripped?); install its debug "
				       "file under /usr/lib/debug/.build-id",
				       p->name, mapped, p->require[i]);
			goto out;
		}
	}
	module_version(p, ef, mapped, obj, ver, sizeof(ver), why, sizeof(why));
	for (int i = 0; ver[0] && i < p->nfsets && !fs; i++)
		if (!fnmatch(p->fsets[i].glob, ver, 0))
			fs = &p->fsets[i];
	plan_log(&plan->log, &plan->loglen, "profile %s (%s): %s%s%s%s%s%s\n", p->name, p->origin,
		 mapped, ver[0] ? ", version " : "", ver, fs ? ", fields for " : "",
		 fs ? fs->glob : "", elfsym__debug_path(ef) ? ", symbols from the debug file" : "");
	snprintf(pm.path, sizeof(pm.path), "%s", path);
	snprintf(pm.mapped, sizeof(pm.mapped), "%s", mapped);
	pm.lib = pi + 1;
	err = plan_read(pl, p, fs, ver, why, mapped, &pm.read);
	if (err)
		goto out;
	for (int i = 0; i < p->nprobes; i++) {
		const struct pprobe *pp = &p->probes[i];
		struct plan_site site = {};
		struct elfsym_sym s;
		char bad[160];

		err = pprobe__spec(pp, fs, &site.spec, bad, sizeof(bad));
		if (err == -ENOENT) {
			if (ver[0])
				refuse(pl, p,
				       "%s %s in %s: %s is version %s; the %s profile knows the "
				       "field offsets of %s only (add a 'fields' line for this "
				       "version with --profile FILE)",
				       mt_role_name(pp->role), pp->sym, p->name, base_name(mapped),
				       ver, p->name, p->nfsets ? p->fsets[0].glob : "no version");
			else
				refuse(pl, p,
				       "%s %s in %s: the version of %s is unknown (%s), so its "
				       "struct fields cannot be read",
				       mt_role_name(pp->role), pp->sym, p->name, base_name(mapped),
				       why);
			err = 0;
			continue;
		}
		if (err)
			goto out;
		if (elfsym__find(ef, pp->sym, &s)) {
			refuse(pl, p, "%s %s in %s: %s has no symbol %s%s", mt_role_name(pp->role),
			       pp->sym, p->name, mapped, pp->sym,
			       elfsym__stripped(ef) ? " (stripped?); install its debug file under "
						      "/usr/lib/debug/.build-id" : "");
			continue;
		}
		snprintf(site.sym, sizeof(site.sym), "%s", pp->sym);
		site.vaddr = s.vaddr;
		site.file_offset = s.file_offset;
		site.kind = elfsym__site_kind(s.code, s.code_len);
		site.spec.lib = (__u32)pm.lib;
		site.detail = mt_role_per_operation(pp->role);
		site.cost = site_cost(site.kind, site.spec.flags & MT_SPEC_RETURN);
		site.cost_ns = site_cost_ns(site.kind, site.spec.flags & MT_SPEC_RETURN);
		plan_log(&plan->log, &plan->loglen, "    %-12s %-28s 0x%-8llx %-18s %s%s\n",
			 mt_role_name(pp->role), pp->sym, (unsigned long long)s.vaddr,
			 elfsym__site_kind_name(site.kind), site.cost,
			 site.detail ? " (per operation: only with --detail)" : "");
		err = plan_add_site(&pm, &site);
		if (err)
			goto out;
	}
	if (pm.nsites) {
		void *n = realloc(plan->modules, (size_t)(plan->nmodules + 1) * sizeof(pm));

		if (!n) {
			err = -ENOMEM;
			goto out;
		}
		plan->modules = n;
		plan->modules[plan->nmodules++] = pm;
		pm.sites = NULL;
	}
out:
	free(pm.sites);
	elfsym__close(ef);
	return err;
}

static int plan_mapping(const struct proc_map *m, void *arg)
{
	struct planner *pl = arg;
	char path[4096];

	if (!m->exec || m->path[0] != '/' || m->deleted)
		return 0;
	for (int i = 0; i < pl->nseen; i++)
		if (!strcmp(pl->seen[i], m->path))
			return 0;
	if (pl->nseen < 64)
		snprintf(pl->seen[pl->nseen++], sizeof(pl->seen[0]), "%s", m->path);
	if (pl->t->root[0])
		snprintf(path, sizeof(path), "%s%s", pl->t->root, m->path);
	else
		snprintf(path, sizeof(path), "%s", m->path);
	for (int pi = 0; pi < pl->ps->n; pi++) {
		const struct profile *p = pl->ps->p[pi];

		for (int o = 0; o < p->nobjects; o++) {
			if (!object_matches(p->objects[o], m->path))
				continue;
			pl->err = plan_profile(pl, pi, p->objects[o], path, m->path);
			if (pl->err)
				return pl->err;
			break;
		}
	}
	return 0;
}

/* Every mapping of the target, through the snapshot target__inspect() read when it has one. */
static int plan_mappings(struct planner *pl)
{
	const struct proc_map *all;
	struct proc_maps *pm;
	size_t n;
	int err = proc_maps_cache__get(pl->t->maps, pl->t->pid, PROC_MAPS_ANY_AGE, &pm);

	if (err)
		return err;
	all = proc_maps__entries(pm, &n);
	for (size_t i = 0; i < n && !plan_mapping(&all[i], pl); i++)
		;
	proc_maps__put(pm);
	return pl->err;
}

int profile_set__plan(const struct profile_set *ps, const struct target *t,
		      struct probe_plan **out)
{
	struct planner *pl = calloc(1, sizeof(*pl));
	int err;

	*out = NULL;
	if (!pl)
		return -ENOMEM;
	pl->ps = ps;
	pl->t = t;
	pl->plan = calloc(1, sizeof(*pl->plan));
	if (!pl->plan) {
		free(pl);
		return -ENOMEM;
	}
	err = plan_mappings(pl);
	for (int pi = 0; !err && pi < ps->n; pi++) {
		const struct profile *p = ps->p[pi];
		char objs[512] = "";
		size_t len = 0;

		if (pl->found[pi])
			continue;
		for (int o = 0; o < p->nobjects; o++)
			len += (size_t)snprintf(objs + len,
						len < sizeof(objs) ? sizeof(objs) - len : 0, "%s%s",
						o ? " or " : "", p->objects[o]);
		plan_log(&pl->plan->log, &pl->plan->loglen,
			 "profile %s (%s): not matched: no mapped object named %s\n", p->name,
			 p->origin, objs);
		/* a --probe the user asked for, whose object is not there, is an error to show */
		if (!strcmp(p->origin, "--probe"))
			refuse(pl, p, "--probe for %s: PID %d maps no object named %s", p->name,
			       t->pid, objs);
	}
	if (err) {
		probe_plan__free(pl->plan);
		free(pl);
		return err;
	}
	if (!pl->plan->refusals)
		pl->plan->refusals = strdup("");
	if (!pl->plan->log)
		pl->plan->log = strdup("");
	*out = pl->plan;
	free(pl);
	return 0;
}

void probe_plan__free(struct probe_plan *p)
{
	if (!p)
		return;
	for (int i = 0; i < p->nmodules; i++)
		free(p->modules[i].sites);
	free(p->modules);
	free(p->log);
	free(p->refusals);
	free(p);
}

int probe_plan__sites(const struct probe_plan *p)
{
	int n = 0;

	for (int i = 0; p && i < p->nmodules; i++)
		n += p->modules[i].nsites;
	return n;
}

int probe_plan__attached(const struct probe_plan *p, bool detail)
{
	int n = 0;

	for (int i = 0; p && i < p->nmodules; i++)
		for (int j = 0; j < p->modules[i].nsites; j++)
			n += detail || !p->modules[i].sites[j].detail;
	return n;
}

bool plan_read__any(const struct plan_read *rd)
{
	return rd->count[0].kind || rd->pos.kind || rd->size.kind;
}
