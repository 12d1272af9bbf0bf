// SPDX-License-Identifier: MIT
/*
 * Probe profiles, planning: match the parsed profiles against a process's mapped objects, read
 * each library's version to pick its field set, and resolve every probe to a file offset and a
 * spec, explaining each probe left out.  See profile.h; profile_parse.c builds the profiles.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "disasm.h"
#include "elfsym.h"
#include "gopclntab.h"
#include "procfs.h"
#include "profile_int.h"
#include "target.h"

struct planner {
	const struct profile_set *ps;
	const struct target *t;
	char exe[4096]; /* the target's executable, as its mappings name it; "" unknown */
	struct probe_plan *plan;
	char seen[64][4096]; /* mapped objects already looked at */
	int nseen;
	bool found[MAX_PROFILES]; /* an object of the profile is mapped */
	int err;
	char callers[2 * NAME_LEN + 32]; /* the probe being planned: " (calls from F)", or "" */
};

static void __attribute__((format(printf, 3, 4)))
plan_log(char **buf, size_t *len, const char *fmt, ...)
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

/* Does mapped file @path go with object name @obj?  "libglib-2.0.so.0" matches its real file
 * "libglib-2.0.so.0.7400.6"; an executable matches by name; OBJECT_GO is the executable,
 * whatever its name, and plan_profile() then checks that it is a Go program. */
static bool object_matches(const struct planner *pl, const char *obj, const char *path)
{
	const char *b = profile__base_name(path);
	size_t n = strlen(obj);

	if (!strcmp(obj, OBJECT_GO) || !strcmp(obj, OBJECT_EXE))
		return pl->exe[0] && !strcmp(pl->exe, path);
	if (strchr(obj, '/'))
		return !strcmp(obj, path);
	return !strcmp(b, obj) || (!strncmp(b, obj, n) && b[n] == '.');
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

/* What plan_profile() knows of one mapped object: its symbols, its code, what was located. */
struct objcode {
	struct elfsym_file *ef;
	const char *path; /* its file, whose code the disassembler reads */
	struct disasm *d; /* NULL until needed, and when the code cannot be decoded */
	bool d_tried;
	struct {
		char name[64];
		int err;
		__u64 vaddr;
		char why[256];
	} loc[8];
	int nloc;
};

static struct disasm *objcode_disasm(struct objcode *oc)
{
	if (!oc->d_tried && disasm__new(elfsym__elf(oc->ef), oc->path, &oc->d))
		oc->d = NULL;
	oc->d_tried = true;
	return oc->d;
}

/* Function @name ("glib_resize") of the object, located once: 0 and *@vaddr, or -errno and @why. */
static int objcode_locate(struct planner *pl, struct objcode *oc, const char *name, __u64 *vaddr,
			  const char **why)
{
	char how[256] = "";
	int i;

	for (i = 0; i < oc->nloc; i++)
		if (!strcmp(oc->loc[i].name, name))
			break;
	if (i == oc->nloc) {
		if (oc->nloc == (int)(sizeof(oc->loc) / sizeof(oc->loc[0]))) {
			*why = "too many located functions in one profile";
			return -E2BIG;
		}
		snprintf(oc->loc[i].name, sizeof(oc->loc[i].name), "%s", name);
		oc->loc[i].err =
			profile__locate(oc->ef, objcode_disasm(oc), name, &oc->loc[i].vaddr, how,
					sizeof(how), oc->loc[i].why, sizeof(oc->loc[i].why));
		oc->nloc++;
		if (!oc->loc[i].err)
			plan_log(&pl->plan->log, &pl->plan->loglen,
				 "    located @%s at 0x%llx: %s\n", name,
				 (unsigned long long)oc->loc[i].vaddr, how);
		else
			plan_log(&pl->plan->log, &pl->plan->loglen, "    not located: @%s: %s\n",
				 name, oc->loc[i].why);
	}
	*vaddr = oc->loc[i].vaddr;
	*why = oc->loc[i].why;
	return oc->loc[i].err;
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

static void vrefuse(struct planner *pl, const struct profile *p, bool soft, const char *fmt,
		    va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	plan_log(&pl->plan->refusals, &pl->plan->reflen, "%s\n", line);
	if (!soft && strncmp(p->origin, "built-in", 8))
		pl->plan->fatal++;
	plan_log(&pl->plan->log, &pl->plan->loglen, "    not attached: %s\n", line);
}

/* A probe left out.  One the user wrote (--probe, --profile) makes the run fail. */
static void __attribute__((format(printf, 3, 4)))
refuse(struct planner *pl, const struct profile *p, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrefuse(pl, p, false, fmt, ap);
	va_end(ap);
}

/* refuse(), but only noted when @soft: the profile has a fallback for this probe. */
static void __attribute__((format(printf, 4, 5)))
refuse_soft(struct planner *pl, const struct profile *p, bool soft, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vrefuse(pl, p, soft, fmt, ap);
	va_end(ap);
}

/* Does a probe of @p stand in for function @name when it is not located (unless=@name)? */
static bool has_fallback(const struct profile *p, const char *name)
{
	char cname[NAME_LEN];
	bool negate;

	for (int i = 0; i < p->nprobes; i++)
		if (pprobe__cond(&p->probes[i], cname, sizeof(cname), &negate) && negate &&
		    !strcmp(cname, name))
			return true;
	return false;
}

/* Has @p a lock_end probe at the ret instructions of function @sym? */
static bool has_lock_end(const struct profile *p, const char *sym)
{
	size_t n = strlen(sym);

	for (int i = 0; i < p->nprobes; i++)
		if (p->probes[i].role == MT_ROLE_LOCK_END && !strncmp(p->probes[i].sym, sym, n) &&
		    !strcmp(p->probes[i].sym + n, ":ret"))
			return true;
	return false;
}

/* Is @pp an unless=@NAME probe, planned because NAME was not located? */
static bool is_fallback(const struct pprobe *pp)
{
	char cname[NAME_LEN];
	bool negate;

	return pprobe__cond(pp, cname, sizeof(cname), &negate) && negate;
}

/* One site of probe @pp at @s; @name is what --list calls it. */
static int add_site(struct planner *pl, struct plan_module *pm, const struct pprobe *pp,
		    const struct plan_site *tmpl, const struct elfsym_sym *s, const char *name)
{
	struct plan_site site = *tmpl;

	snprintf(site.sym, sizeof(site.sym), "%.*s", (int)sizeof(site.sym) - 1, name);
	site.vaddr = s->vaddr;
	site.file_offset = s->file_offset;
	site.spec.site = s->vaddr;
	site.spec.fn = pprobe__fn(pp);
	site.kind = elfsym__site_kind(s->code, s->code_len);
	site.spec.lib = (__u32)pm->lib;
	/* a per-operation probe standing in for a function not located (unless=) is the only way
	 * to see what that function does: it attaches by default, at its cost */
	site.detail = (mt_role_per_operation(pp->role) || pprobe__detail(pp)) && !is_fallback(pp);
	site.nodetail = pprobe__nodetail(pp);
	site.cost = site_cost(site.kind, site.spec.flags & MT_SPEC_RETURN);
	site.cost_ns = site_cost_ns(site.kind, site.spec.flags & MT_SPEC_RETURN);
	plan_log(&pl->plan->log, &pl->plan->loglen, "    %-12s %-28s 0x%-8llx %-18s %s%s%s\n",
		 mt_role_name(pp->role), name, (unsigned long long)s->vaddr,
		 elfsym__site_kind_name(site.kind), site.cost, pl->callers,
		 site.nodetail			      ? " (only without --detail)" :
		 !site.detail			      ? "" :
		 mt_role_per_operation(pp->role) ? " (per operation: only with --detail)" :
						     " (only with --detail)");
	return plan_add_site(pm, &site);
}

/*
 * Every ret instruction of the function at @fs, as sites of probe @pp: uprobes where a uretprobe
 * would do, for functions whose return address a uretprobe must not replace.  A function that
 * also leaves by a direct jump elsewhere (a tail call) is refused: that exit has no ret to probe.
 */
static int plan_rets(struct planner *pl, const struct profile *p, struct objcode *oc,
		     const struct pprobe *pp, const struct plan_site *tmpl,
		     const struct elfsym_sym *fs, const char *base, struct plan_module *pm,
		     __u64 callee)
{
	struct disasm *d = objcode_disasm(oc);
	struct disasm_func *fn = NULL;
	int err, nrets = 0, ntail = 0;

	err = d ? disasm__function(d, fs->vaddr, fs->size, &fn) : -ENOTSUP;
	if (err) {
		refuse(pl, p, "%s %s in %s: cannot decode %s: %s", mt_role_name(pp->role), pp->sym,
		       p->name, base, d ? strerror(-err) : "not x86-64 code");
		return 0;
	}
	for (int i = 0; i < fn->n; i++) {
		nrets += fn->insns[i].kind == DISASM_RET;
		ntail += fn->insns[i].kind == DISASM_JMP &&
			 !disasm_func__inside(fn, fn->insns[i].target);
	}
	/* SYMBOL:call=CALLEE: each direct call to CALLEE (an emulated instruction) instead */
	for (int i = 0; callee && i < fn->n && !err; i++) {
		struct elfsym_sym s;
		char name[NAME_LEN + 32];

		if (fn->insns[i].kind != DISASM_CALL || fn->insns[i].target != callee ||
		    elfsym__at(oc->ef, fn->insns[i].addr, "call", &s))
			continue;
		snprintf(name, sizeof(name), "%s:call+0x%llx", base,
			 (unsigned long long)(fn->insns[i].addr - fn->start));
		err = add_site(pl, pm, pp, tmpl, &s, name);
		nrets = -1;
	}
	if (callee) {
		if (nrets != -1)
			refuse(pl, p, "%s %s in %s: %s makes no direct call to it",
			       mt_role_name(pp->role), pp->sym, p->name, base);
		goto out;
	}
	if (!nrets || ntail) {
		refuse(pl, p,
		       "%s %s in %s: %s has %d ret and %d jumps out of it; its end can be "
		       "seen only at ret instructions",
		       mt_role_name(pp->role), pp->sym, p->name, base, nrets, ntail);
		goto out;
	}
	for (int i = 0; i < fn->n && !err; i++) {
		struct elfsym_sym s;
		char name[4 * NAME_LEN + 32];

		int at = i;

		if (fn->insns[i].kind != DISASM_RET)
			continue;
		if (elfsym__go(oc->ef))
			at = disasm_func__go_epilogue(fn, i);
		if (elfsym__at(oc->ef, fn->insns[at].addr, "ret", &s))
			continue;
		snprintf(name, sizeof(name), "%s:ret+0x%llx%s", base,
			 (unsigned long long)(fn->insns[at].addr - fn->start),
			 at != i ? " (epilogue)" : "");
		err = add_site(pl, pm, pp, tmpl, &s, name);
	}
out:
	disasm_func__free(fn);
	return err;
}

/*
 * SYMBOL>CALLEE: each call in the function at @fs to @callee (directly, or through a PLT stub of
 * that name), as sites of probe @pp; with @after, the instruction after each call, where
 * CALLEE returns to (its return value in RAX).  A call from one known caller, so a probe there
 * sees only the calls that matter (libstdc++'s _M_need_rehash choosing a new bucket count),
 * and each costs no return probe.
 */
static int plan_calls(struct planner *pl, const struct profile *p, struct objcode *oc,
		      const struct pprobe *pp, const struct plan_site *tmpl,
		      const struct elfsym_sym *fs, const char *base, const char *callee, bool after,
		      struct plan_module *pm)
{
	struct disasm *d = objcode_disasm(oc);
	int n = d ? profile__calls(oc->ef, d, fs, callee, NULL, 0, after) : -ENOTSUP, err = 0;
	__u64 at[16];

	if (n <= 0 || n > (int)(sizeof(at) / sizeof(at[0]))) {
		refuse(pl, p, "%s %s in %s: %.*s %s%s", mt_role_name(pp->role), pp->sym, p->name,
		       (int)(strchr(base, '>') - base), base,
		       n < 0 ? "cannot be decoded: " : n ? "makes too many calls to " :
		       "makes no direct call to ", n < 0 ? strerror(-n) : callee);
		return 0;
	}
	profile__calls(oc->ef, d, fs, callee, at, n, after);
	for (int i = 0; i < n && !err; i++) {
		char name[4 * NAME_LEN + 32];
		struct elfsym_sym s;

		if (elfsym__at(oc->ef, at[i], after ? "after call" : "call", &s))
			continue;
		snprintf(name, sizeof(name), "%s%s+0x%llx", base, after ? ":ret" : "",
			 (unsigned long long)(at[i] - fs->vaddr));
		err = add_site(pl, pm, pp, tmpl, &s, name);
	}
	return err;
}

/*
 * A Go function's entry "cmp 0x10(%r14),%rsp; jbe MORESTACK" (the stack check) is single-
 * stepped; the jbe is emulated and sees the same registers, so probe that (MT_SPEC_STACK_JBE:
 * it runs twice when the stack grows).  Go 1.21+ then pushes %rbp, also emulated, run once a
 * call with the arguments in their registers: probe that where it is.  Return: true, *@s
 * moved to the site and *@off its offset from the entry, or false.
 */
static bool go_after_stack_check(struct elfsym_file *ef, struct elfsym_sym *s, unsigned *off)
{
	static const __u8 cmp[] = {0x49, 0x3b, 0x66, 0x10};
	struct elfsym_sym next, push;
	unsigned jbe_len;

	if (s->code_len < 6 || memcmp(s->code, cmp, sizeof(cmp)) ||
	    !(s->code[4] == 0x76 || (s->code[4] == 0x0f && s->code[5] == 0x86)))
		return false;
	jbe_len = s->code[4] == 0x76 ? 2 : 6;
	if (elfsym__at(ef, s->vaddr + sizeof(cmp), "entry", &next))
		return false;
	*off = sizeof(cmp);
	if (!elfsym__at(ef, s->vaddr + sizeof(cmp) + jbe_len, "entry", &push) &&
	    push.code_len >= 1 && push.code[0] == 0x55) {
		next = push;
		*off += jbe_len;
	}
	*s = next;
	return true;
}

/* A SYMBOL with a shell pattern: what plan_probe() knows, for each function matching it. */
struct glob_plan {
	struct planner *pl;
	const struct profile *p;
	struct objcode *oc;
	const struct pprobe *pp;
	const struct plan_site *tmpl;
	struct plan_module *pm;
	bool rets;
};

static int plan_glob_one(void *ctx, const char *name)
{
	const struct glob_plan *g = ctx;
	struct elfsym_sym s;

	if (elfsym__find(g->oc->ef, name, &s))
		return 0;
	return g->rets ? plan_rets(g->pl, g->p, g->oc, g->pp, g->tmpl, &s, name, g->pm, 0)
		       : add_site(g->pl, g->pm, g->pp, g->tmpl, &s, name);
}

/*
 * Probe @pp's sites in the object: its function's entry, or with SYMBOL:ret each of its ret
 * instructions, or with SYMBOL:call=CALLEE each direct call to CALLEE in it.  SYMBOL is a name,
 * a shell pattern (every function matching it: the instantiations of a C++ template), or
 * @NAME, a function profile__locate() finds.
 */
static int plan_probe(struct planner *pl, const struct profile *p, struct objcode *oc,
		      const struct pprobe *pp, const struct plan_site *tmpl, struct plan_module *pm)
{
	char base[NAME_LEN];
	const char *colon = strchr(pp->sym, ':');
	bool rets = colon && !strcmp(colon, ":ret");
	bool calls = colon && !strncmp(colon, ":call=", 6);
	const char *mapped = pm->mapped, *callee;
	char from[MT_MAX_FROM][NAME_LEN];
	struct plan_site site;
	struct elfsym_sym s;
	int nfrom;
	bool pattern = false;
	unsigned off;

	snprintf(base, sizeof(base), "%.*s",
		 rets || calls ? (int)(colon - pp->sym) : (int)sizeof(base) - 1, pp->sym);
	/*
	 * At its ret instructions (or where a call returns: CALLER>CALLEE:ret), a create's map=ret
	 * is in the register already: no return probe, which for Go code would be refused below.
	 */
	if (rets && pp->role == MT_ROLE_CREATE && tmpl->spec.map.kind == MT_SRC_RET &&
	    tmpl->spec.size.kind != MT_SRC_ARG && tmpl->spec.size.kind != MT_SRC_GOARG) {
		site = *tmpl;
		site.spec.flags = (site.spec.flags & ~MT_SPEC_RETURN) | MT_SPEC_AT_RET;
		tmpl = &site;
	}
	callee = strchr(base, '>');
	if (callee) {
		/* CALLER>CALLEE: the calls in CALLER to CALLEE (:ret, where they return to) */
		char caller[NAME_LEN];

		snprintf(caller, sizeof(caller), "%.*s", (int)(callee - base), base);
		/* a built-in's caller the linker left out is never called (Go 1.24: no Map.Clone) */
		if (elfsym__find(oc->ef, caller, &s)) {
			if (!strncmp(p->origin, "built-in", 8))
				plan_log(&pl->plan->log, &pl->plan->loglen, "    not needed: %s %s in "
					 "%s: %s has no function %s\n", mt_role_name(pp->role),
					 pp->sym, p->name, profile__base_name(mapped), caller);
			else
				refuse(pl, p, "%s %s in %s: %s has no symbol %s",
				       mt_role_name(pp->role), pp->sym, p->name, mapped, caller);
			return 0;
		}
		return plan_calls(pl, p, oc, pp, tmpl, &s, base, callee + 1, rets, pm);
	}
	if (base[0] == '@') {
		const char *why;
		__u64 vaddr;
		int err = objcode_locate(pl, oc, base + 1, &vaddr, &why);

		if (err == -EINVAL) {
			refuse(pl, p, "%s %s in %s: %s", mt_role_name(pp->role), pp->sym, p->name,
			       why);
			return 0;
		}
		if (err || elfsym__at(oc->ef, vaddr, "located", &s)) {
			/* the profile's unless= probes take over: a note, not a failure */
			refuse_soft(pl, p, has_fallback(p, base + 1), "%s %s in %s: %s in %s: %s%s",
				    mt_role_name(pp->role), pp->sym, p->name, base,
				    profile__base_name(mapped), err ? why : "not in the file",
				    has_fallback(p, base + 1) ? "; its unless= probes instead"
							      : "");
			return 0;
		}
	} else if (elfsym__find(oc->ef, base, &s)) {
		/*
		 * No function of that name: a shell pattern then (the instantiations of a C++
		 * template).  A name is looked up first: Go's method names have "(*T)" in them.
		 */
		pattern = strpbrk(base, "*?[");
		if (!pattern && (calls || elfsym__go(oc->ef)) && !strncmp(p->origin, "built-in", 8)) {
			/* a built-in's call site or Go function the linker left out: never reached */
			plan_log(&pl->plan->log, &pl->plan->loglen,
				 "    not needed: %s %s in %s: %s has no function %s\n",
				 mt_role_name(pp->role), pp->sym, p->name, profile__base_name(mapped),
				 base);
			return 0;
		}
		if (!pattern) {
			refuse(pl, p, "%s %s in %s: %s has no symbol %s%s", mt_role_name(pp->role),
			       pp->sym, p->name, mapped, base,
			       elfsym__stripped(oc->ef) ? " (stripped?); install its debug file "
							  "under /usr/lib/debug/.build-id" : "");
			return 0;
		}
	}
	/*
	 * A lock in Go code ends at its ret instructions, where the profile's lock_end probes
	 * them: its entry needs no return probe.
	 */
	if (!rets && pp->role == MT_ROLE_LOCK && elfsym__go(oc->ef) && has_lock_end(p, pp->sym)) {
		site = *tmpl;
		site.spec.flags &= ~MT_SPEC_RETURN;
		tmpl = &site;
	}
	/* a return probe swaps the return address, which the Go runtime cannot survive */
	if ((tmpl->spec.flags & MT_SPEC_RETURN) && elfsym__go(oc->ef)) {
		refuse(pl, p, "%s %s in %s: %s is Go code, which cannot take a return probe (the "
			      "runtime would crash on the changed return address); give it a role "
			      "or values that need no return",
		       mt_role_name(pp->role), pp->sym, p->name, pp->sym);
		return 0;
	}
	pl->callers[0] = '\0';
	nfrom = pprobe__from(pp, from);
	if (nfrom && (rets || calls)) {
		refuse(pl, p, "%s %s in %s: from= and not_from= need an entry site, where the "
			      "return address is on the stack, not :ret",
		       mt_role_name(pp->role), pp->sym, p->name);
		return 0;
	}
	if (nfrom) {
		bool not_from = tmpl->spec.flags & MT_SPEC_NOT_FROM;
		const char *had[MT_MAX_FROM] = {""};
		__u32 n = 0;

		site = *tmpl;
		/* a function the program does not have calls nothing: leave it out */
		for (int i = 0; i < nfrom; i++) {
			struct elfsym_sym f;

			if (elfsym__find(oc->ef, from[i], &f) || !f.size)
				continue;
			had[n] = from[i];
			site.spec.from_lo[n] = f.vaddr;
			site.spec.from_hi[n++] = f.vaddr + f.size;
		}
		if (n)
			snprintf(pl->callers, sizeof(pl->callers), " (calls %sfrom %s%s%s)",
				 not_from ? "not " : "", had[0], n > 1 ? " or " : "",
				 n > 1 ? had[1] : "");
		/* not from any of none: every call */
		if (!n && not_from)
			site.spec.flags &= ~MT_SPEC_NOT_FROM;
		if (!n && !not_from) {
			/* not a probe left out: there is nothing for it to see (--list only) */
			plan_log(&pl->plan->log, &pl->plan->loglen,
				 "    not needed: %s %s in %s: no call comes from %s%s%s: %s has no "
				 "such function\n",
				 mt_role_name(pp->role), pp->sym, p->name, from[0],
				 nfrom > 1 ? " or " : "", nfrom > 1 ? from[1] : "", profile__base_name(mapped));
			return 0;
		}
		site.spec.nfrom = n;
		tmpl = &site;
	}
	if (pattern) {
		struct glob_plan g = {pl, p, oc, pp, tmpl, pm, rets};
		int n = elfsym__glob(oc->ef, base, plan_glob_one, &g);

		/* a built-in's pattern (C++ instantiations) may match no code of the program */
		if (!n && !strcmp(p->origin, "built-in"))
			plan_log(&pl->plan->log, &pl->plan->loglen, "    %-12s %s: none in %s\n",
				 mt_role_name(pp->role), pp->sym, profile__base_name(mapped));
		else if (!n)
			refuse(pl, p, "%s %s in %s: %s has no function matching %s",
			       mt_role_name(pp->role), pp->sym, p->name, mapped, base);
		return n < 0 ? n : 0;
	}
	if (rets)
		return plan_rets(pl, p, oc, pp, tmpl, &s, base, pm, 0);
	if (calls) {
		struct elfsym_sym cs;

		/* a callee the program does not have is never called: nothing to see */
		if (elfsym__find(oc->ef, colon + 6, &cs)) {
			plan_log(&pl->plan->log, &pl->plan->loglen,
				 "    not needed: %s %s in %s: %s has no function %s\n",
				 mt_role_name(pp->role), pp->sym, p->name, profile__base_name(mapped),
				 colon + 6);
			return 0;
		}
		return plan_rets(pl, p, oc, pp, tmpl, &s, base, pm, cs.vaddr);
	}
	if (elfsym__go(oc->ef) && go_after_stack_check(oc->ef, &s, &off)) {
		struct plan_site t = *tmpl;
		char name[NAME_LEN + 32];

		t.spec.flags |= off == 4 ? MT_SPEC_STACK_JBE : 0; /* after the cmp: no push */
		snprintf(name, sizeof(name), "%s+0x%x", pp->sym, off);
		return add_site(pl, pm, pp, &t, &s, name);
	}
	return add_site(pl, pm, pp, tmpl, &s, pp->sym);
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
			       p->name, profile__base_name(mapped), ver, p->name,
			       p->nfsets ? p->globs : "no version");
		else
			refuse(pl, p,
			       "read in %s: the version of %s is unknown (%s), so its struct "
			       "fields cannot be read",
			       p->name, profile__base_name(mapped), vwhy);
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
	struct objcode oc = { .path = path };
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
	oc.ef = ef;
	if (!strcmp(obj, OBJECT_GO) && !elfsym__go(ef)) {
		plan_log(&plan->log, &plan->loglen,
			 "profile %s (%s): not matched: %s is not a Go program\n", p->name, p->origin,
			 mapped);
		goto out;
	}
	for (int i = 0; i < p->nrequire; i++) {
		struct elfsym_sym s;

		if (elfsym__find(ef, p->require[i], &s)) {
			plan_log(&plan->log, &plan->loglen,
				 "profile %s: not matched: %s has no symbol %s%s\n", p->name,
				 mapped, p->require[i],
				 elfsym__stripped(ef) ? " (stripped, and no debug file found under "
							"/usr/lib/debug)" : "");
			/* a Go runtime without it has the other map generation: no error */
			if (elfsym__stripped(ef) && strcmp(obj, OBJECT_GO))
				refuse(pl, p,
				       "%s: %s has no symbol %s (stripped?); install its debug "
				       "file under /usr/lib/debug/.build-id",
				       p->name, mapped, p->require[i]);
			goto out;
		}
	}
	profile__module_version(p, ef, mapped, obj, ver, sizeof(ver), why, sizeof(why));
	fs = profile__fieldset(p, ver);
	if (!strcmp(obj, OBJECT_GO) && !fs) {
		/* another Go's maps are another struct (Swiss tables from 1.24): not an error */
		plan_log(&plan->log, &plan->loglen,
			 "profile %s (%s): not matched: %s is Go %s; the %s profile knows %s only\n",
			 p->name, p->origin, mapped, ver[0] ? ver : "of unknown version", p->name,
			 p->nfsets ? p->globs : "no version");
		if (!plan->go_version_why[0])
			snprintf(plan->go_version_why, sizeof(plan->go_version_why),
				 "%.64s is Go %.32s; the %s profile knows %.100s only",
				 profile__base_name(mapped),
				 ver[0] ? ver : "of unknown version", p->name,
				 p->nfsets ? p->globs : "no version");
		goto out;
	}
	plan_log(&plan->log, &plan->loglen, "profile %s (%s): %s%s%s%s%s%s\n", p->name, p->origin,
		 mapped, ver[0] ? ", version " : "", ver, fs ? ", fields for " : "",
		 fs ? fs->glob : "", elfsym__debug_path(ef) ? ", symbols from the debug file" : "");
	if (p->layout[0])
		plan_log(&plan->log, &plan->loglen, "    %-12s %s\n", "layout", p->layout);
	snprintf(pm.path, sizeof(pm.path), "%s", path);
	snprintf(pm.mapped, sizeof(pm.mapped), "%s", mapped);
	pm.lib = pi + 1;
	err = plan_read(pl, p, fs, ver, why, mapped, &pm.read);
	if (err)
		goto out;
	for (int i = 0; i < p->nprobes; i++) {
		const struct pprobe *pp = &p->probes[i];
		struct plan_site site = {};
		char bad[160], cname[64];
		bool negate;
		__u64 at;

		/* if=@NAME / unless=@NAME: planned only when NAME was (not) located; one that is
		 * not planned is not refused either */
		if (pprobe__cond(pp, cname, sizeof(cname), &negate)) {
			const char *cwhy;
			bool located = !objcode_locate(pl, &oc, cname, &at, &cwhy);

			if (located == negate)
				continue;
		}
		err = pprobe__spec(pp, fs, &site.spec, bad, sizeof(bad));
		if (err == -ENOENT) {
			if (ver[0])
				refuse(pl, p,
				       "%s %s in %s: %s is version %s; the %s profile knows the "
				       "field offsets of %s only (add a 'fields' line for this "
				       "version with --profile FILE)",
				       mt_role_name(pp->role), pp->sym, p->name, profile__base_name(mapped),
				       ver, p->name, p->nfsets ? p->globs : "no version");
			else
				refuse(pl, p,
				       "%s %s in %s: the version of %s is unknown (%s), so its "
				       "struct fields cannot be read",
				       mt_role_name(pp->role), pp->sym, p->name, profile__base_name(mapped),
				       why);
			err = 0;
			continue;
		}
		if (err)
			goto out;
		/* a Go function's call state goes with its goroutine, which may change thread */
		if (elfsym__go(ef))
			site.spec.flags |= MT_SPEC_GO;
		err = plan_probe(pl, p, &oc, pp, &site, &pm);
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
	disasm__free(oc.d);
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
			if (!object_matches(pl, p->objects[o], m->path))
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

/* The executable of @pid as its own mappings name it (its root, not ours); "" unknown. */
static void target_exe(int pid, char *exe, size_t len)
{
	char link[64];
	ssize_t n;

	snprintf(link, sizeof(link), "/proc/%d/exe", pid);
	n = readlink(link, exe, len - 1);
	exe[n > 0 ? n : 0] = '\0';
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
	target_exe(t->pid, pl->exe, sizeof(pl->exe));
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
