/* SPDX-License-Identifier: MIT */
/*
 * Probe profiles: how maptrace traces a map library that has no USDT probes of its own.
 *
 * A profile names the objects it applies to (a shared library's soname or an executable's
 * name), the symbols they must export, how to learn the library's version, the struct fields
 * it reads per version, and one probe per function: its role for the map and where the map
 * pointer and the sizes are.  Built-in profiles (GLib, Redis) are written in the same text
 * format users write with --profile FILE; --probe adds one probe on the command line.  The
 * format is documented in docs/profiles.md.
 *
 * profile_set__plan() matches every profile against a process's mappings and resolves each
 * probe to a file offset and a struct mt_probe_spec; the tracer attaches the plan with one
 * uprobe session link per module.
 *
 * Two layers: profile_parse.c turns text into a struct profile_set and knows nothing of
 * processes; profile_plan.c matches a set against one process and owns struct probe_plan.
 * What both need of a parsed profile is in profile_int.h.
 */
#ifndef MT_PROFILE_H
#define MT_PROFILE_H

#include <stdbool.h>
#include <stdio.h>
#include "maptrace.h"

struct profile_set;
struct target;

/* --- parsing (profile_parse.c) --- */

/* The largest --profile file: a profile is a few dozen lines. */
#define PROFILE_MAX_BYTES (1 << 20)

/**
 * profile_set__new() - the built-in profiles plus those of @files (--profile) and @probes
 * (--probe), parsed.  A file must be a regular file of 1 to PROFILE_MAX_BYTES bytes: a FIFO,
 * a device or a /proc file is refused before anything waits on it or reads it.  On any error
 * prints one line naming the file (or option), the line and the fix.
 * Return: 0 and *@out; -EINVAL (a syntax error, or not a regular file), -EISDIR, -ENODATA (an
 * empty file), -EFBIG (a file too large), -ENOENT and the like (cannot open), -ENOMEM.
 */
int profile_set__new(const char *const *files, int nfiles, const char *const *probes, int nprobes,
		     struct profile_set **out);

/** profile_set__free() - NULL is allowed. */
void profile_set__free(struct profile_set *ps);

/**
 * profile_set__libraries() - the library names by record lib index, comma-separated: index 0
 * is "cmap" (the USDT library), then each profile.  Points into @ps.
 */
const char *profile_set__libraries(const struct profile_set *ps);

/**
 * profile_set__unmade() - the names of the profiles with no create probe, comma-separated ("" if
 * none): their maps are first seen at a resize.  Points into @ps.
 */
const char *profile_set__unmade(const struct profile_set *ps);

/** mt_role_name() - "insert", "resize", ... for enum mt_role; "?" when unknown. */
const char *mt_role_name(int role);

/**
 * mt_role_per_operation() - whether @role fires on every operation of a map (insert, delete,
 * lookup, rehash_step): such probes attach only with --detail.
 */
bool mt_role_per_operation(int role);

/* --- planning (profile_plan.c) --- */

/* One resolved probe site. */
struct plan_site {
	char sym[128];
	__u64 vaddr;
	__u64 file_offset;
	int kind; /* enum uprobe_site_kind */
	bool detail;	  /* a per-operation role: attached only with --detail */
	bool nodetail;	  /* attach=default: attached only without --detail */
	const char *cost; /* the estimated cost of a hit, as --list shows it (static) */
	double cost_ns;	  /* the same, in ns (entry, and a return when it asks for one) */
	struct mt_probe_spec spec;
};

/*
 * The fields of a profile's maps read from the target's memory at each sync (a 'read' line):
 * every source is MT_SRC_FIELD or MT_SRC_NONE (not declared).
 */
struct plan_read {
	struct mt_src count[2]; /* entries: the sum of one or two fields */
	struct mt_src pos;	/* incremental rehash position, negative when not rehashing */
	struct mt_src size, size_alt; /* the table's size; @size_alt when @size reads 0 */
	/*
	 * An incremental evacuation runs while @evac reads non-zero (Go: oldbuckets); @pos then
	 * counts the old buckets evacuated (nevacuate), of @size / 2, or of @size when @same &
	 * @same_mask is non-zero (a same-size grow).
	 */
	struct mt_src evac, same;
	__u64 same_mask;
	__u32 max_load; /* a read of more than max_load x size entries, or of size 0, is no
			 * table of the profile any more (freed, reused): the map is dropped; 0:
			 * no such check */
	bool exit_only; /* at=exit: read only as the target exits, never at a sync */
	struct mt_src check; /* with max_load: the size read another way, which must agree */
};

/* The sites of one mapped object. */
struct plan_module {
	char path[4096];   /* path maptrace opens */
	char mapped[4096]; /* path as the target sees it */
	int lib;	   /* profile index (record lib) */
	struct plan_read read; /* all MT_SRC_NONE when the profile has no 'read' line */
	struct plan_site *sites;
	int nsites;
};

struct probe_plan {
	struct plan_module *modules;
	int nmodules;
	char *log;	/* what --list prints: matches, probes, and why profiles did not match */
	size_t loglen;
	char *refusals; /* one line per probe that could not be attached, "" when none */
	size_t reflen;
	int fatal;	/* refusals of probes the user gave (--probe, --profile FILE) */
	char go_version_why[320]; /* "app is Go go1.23.1; the go profile knows go1.19* only":
				   * the first Go profile left out for the version, "" if none */
};

/**
 * profile_set__plan() - match the profiles against process @t's mapped objects.
 * Probes that cannot be resolved (missing symbol, unknown version for a field) are left out
 * and explained in plan->refusals.  Return: 0 and *@out (possibly with no modules), or -errno.
 */
int profile_set__plan(const struct profile_set *ps, const struct target *t,
		      struct probe_plan **out);

/** probe_plan__free() - NULL is allowed. */
void probe_plan__free(struct probe_plan *p);

/** probe_plan__sites() - total sites of the plan. */
int probe_plan__sites(const struct probe_plan *p);

/** probe_plan__attached() - the sites attached with (@detail) or without --detail. */
int probe_plan__attached(const struct probe_plan *p, bool detail);

/**
 * probe_plan__returns() - of probe_plan__attached(), the sites that need their return
 * (MT_SPEC_RETURN): they attach as a uprobe session, the others as plain uprobes.
 */
int probe_plan__returns(const struct probe_plan *p, bool detail);

/** plan_read__any() - whether @rd declares any field to read. */
bool plan_read__any(const struct plan_read *rd);

#endif /* MT_PROFILE_H */
