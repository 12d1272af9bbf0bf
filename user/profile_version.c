// SPDX-License-Identifier: MIT
/*
 * Probe profiles: a mapped object's version (which field set applies), whether a goid= names
 * a field of some version's set, and the plan's accessors.  profile_plan.c makes the plan.
 */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "elfsym.h"
#include "gopclntab.h"
#include "profile_int.h"

const char *profile__base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

const struct fieldset *profile__fieldset(const struct profile *p, const char *ver)
{
	for (int i = 0; ver[0] && i < p->nfsets; i++)
		if (!fnmatch(p->fsets[i].glob, ver, 0))
			return &p->fsets[i];
	return NULL;
}

/* The library's version as a string, "" when it cannot be read (with @why). */
void profile__module_version(const struct profile *p, struct elfsym_file *ef, const char *mapped,
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
		const char *b = profile__base_name(mapped);
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
	case VERSION_GO: {
		struct gopcln *g = NULL;

		/* "go1.19.8", from .go.buildinfo (or runtime.buildVersion) */
		if (!gopcln__from_elf(elfsym__elf(ef), &g, why, wlen))
			snprintf(ver, len, "%s", gopcln__go_version(g));
		if (g && !ver[0])
			snprintf(why, wlen, "the Go program has no build info");
		gopcln__close(g);
		return;
	}
	default:
		snprintf(why, wlen, "the profile states no way to read the version");
		return;
	}
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
			n += detail ? !p->modules[i].sites[j].nodetail : !p->modules[i].sites[j].detail;
	return n;
}

int probe_plan__returns(const struct probe_plan *p, bool detail)
{
	int n = 0;

	for (int i = 0; p && i < p->nmodules; i++)
		for (int j = 0; j < p->modules[i].nsites; j++)
			n += (detail || !p->modules[i].sites[j].detail) &&
			     (p->modules[i].sites[j].spec.flags & MT_SPEC_RETURN);
	return n;
}

bool plan_read__any(const struct plan_read *rd)
{
	return rd->count[0].kind || rd->pos.kind || rd->size.kind || rd->evac.kind;
}

int pprobe__goid_check(const struct pprobe *pp, const struct fieldset *fsets, int n, char *why,
		       size_t whylen)
{
	char buf[ARGS_LEN], *save = NULL, *kv;

	snprintf(buf, sizeof(buf), "%s", pp->args);
	for (kv = strtok_r(buf, " \t,", &save); kv; kv = strtok_r(NULL, " \t,", &save)) {
		if (strncmp(kv, "goid=", 5) || strchr(kv, '@'))
			continue;
		for (int i = 0; i < n; i++)
			for (int j = 0; j < fsets[i].n; j++)
				if (!strcmp(fsets[i].fields[j].name, kv + 5))
					return 0;
		snprintf(why, whylen, "at '%s': %s names a field no 'fields' line defines; give "
			 "the goroutine's id, e.g. fields go1.19* goid=u64@(g)+152", kv, kv + 5);
		return -EINVAL;
	}
	return 0;
}
