/* SPDX-License-Identifier: MIT */
/*
 * What the parts of the profile code share and nobody else needs: a parsed profile.
 * profile_parse.c fills struct profile_set from profile text; profile_plan.c reads it to match
 * a process's objects and asks pprobe__spec() (profile_spec.c) to turn each probe into a spec
 * once the library's version (and so its field set) is known.
 */
#ifndef MT_PROFILE_INT_H
#define MT_PROFILE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include "profile.h"

#define MAX_PROFILES 32
#define MAX_OBJECTS 8
#define MAX_REQUIRE 16
#define MAX_FIELDSETS 8
#define MAX_FIELDS 16
#define MAX_PROBES 48
#define NAME_LEN 128
#define ARGS_LEN 512	    /* a probe's KEY=VALUE list */
#define PROFILE_WHY_LEN 768 /* a refusal of a probe, with the KEY=VALUE it is about */

enum version_kind {
	VERSION_NONE,	  /* no version check: only inline fields (TYPE@OFF) may be used */
	VERSION_SYMBOLS,  /* exported u32 data symbols joined with '.' (glib_major_version ...) */
	VERSION_RETCONST, /* a function returning a constant 0xMMmmpp (RM_GetServerVersion) */
	VERSION_SONAME,	  /* the mapped file name's suffix after the object name */
	VERSION_BUILD_ID, /* the build-id */
	VERSION_GO,	  /* a Go program's Go version, "go1.19.8" (gopclntab.h) */
};

/* The object name of a profile for Go programs: the executable, when it is one (any name). */
#define OBJECT_GO "@go"
/* The object name of a profile for the executable, whatever its name: a C++ template's code. */
#define OBJECT_EXE "@exe"

/* A built-in profile's name and text (profile_builtin.c); the table ends with a NULL name. */
struct profile_builtin {
	const char *name;
	const char *text;
};

extern const struct profile_builtin profile_builtins[];

struct field {
	char name[32];
	struct mt_src src;
};

struct fieldset {
	char glob[64]; /* version pattern, fnmatch(3) */
	struct field fields[MAX_FIELDS];
	int n;
};

struct pprobe {
	int role;
	char sym[NAME_LEN];
	char args[ARGS_LEN]; /* key=value ..., resolved per module (field names vary by version) */
	int line;
};

struct profile {
	char name[64];
	char origin[160]; /* "built-in", "FILE", "--probe" */
	char objects[MAX_OBJECTS][NAME_LEN];
	int nobjects;
	char require[MAX_REQUIRE][NAME_LEN];
	int nrequire;
	int version_kind;
	char version_syms[3][NAME_LEN];
	int nversion_syms;
	struct fieldset fsets[MAX_FIELDSETS];
	int nfsets;
	char globs[MAX_FIELDSETS * 66]; /* the fsets' patterns, ", " between, for messages */
	struct pprobe probes[MAX_PROBES];
	int nprobes;
	char layout[ARGS_LEN];	  /* the 'layout' line: the struct layout assumed, for --list */
	char read_args[ARGS_LEN]; /* the 'read' line's KEY=VALUE list, "" when none */
	int read_line;
};

struct profile_set {
	struct profile *p[MAX_PROFILES];
	int n;
	char libraries[MAX_PROFILES * 65];
	char unmade[MAX_PROFILES * 65];
};

/**
 * field__parse() - a field of the map struct, "u32@16", "s64@40" or "log2:s8@50", into *@src.
 * @why: receives, on error, what is wrong ("'f64' is not a type; types: ...").
 * @whylen: room in @why.
 * Return: 0 or -EINVAL.
 */
int field__parse(const char *s, struct mt_src *src, char *why, size_t whylen);

/*
 * src__parse() - one value source of a probe (profile_src.c) into *@src, a field name looked up
 * in @fs; @base is the probe's base=, NULL before it is given.  Return: 0, -EINVAL for a
 * mistake, -ENOENT for a name no field of @fs has (another version's may); @why says which.
 */
int src__parse(const char *s, const struct fieldset *fs, const struct mt_src *base,
	       struct mt_src *src, char *why, size_t whylen);

/* src__argexpr() - an address "argN[+-K]", "goargN[+-K]" or "base[+-K]" into *@src. */
int src__argexpr(const char *s, const struct mt_src *base, struct mt_src *src, char *why,
		 size_t whylen);

/**
 * pprobe__spec() - turn probe @pp's key=value list into *@sp, with the field names of @fs
 * (NULL when the version is unknown).
 * @why: receives, on error, what is wrong and where: "at 'map=arg9': arg9 is not an argument:
 *	they are arg0..arg5", "at 'map=arg1': map= given twice", "resize needs new_size=".
 * @whylen: room in @why.
 *
 * Return: 0, -EINVAL (a mistake: syntax, a number out of range, a key given twice, a key the
 * role needs missing), -ENOENT (no mistake, but a field name @fs does not define).
 */
int pprobe__spec(const struct pprobe *pp, const struct fieldset *fs, struct mt_probe_spec *sp,
		 char *why, size_t whylen);

/**
 * pprobe__goid_check() - whether probe @pp's goid=NAME names a field of one of the @n field sets
 * @fsets: a version whose set lacks it gets no goroutine id, but a name none defines is a typo.
 * Return: 0, or -EINVAL with @why saying so.
 */
int pprobe__goid_check(const struct pprobe *pp, const struct fieldset *fsets, int n, char *why,
		       size_t whylen);

/**
 * pprobe__cond() - the condition of probe @pp: "if=@NAME" plans it only when function NAME is
 * located (profile__locate()), "unless=@NAME" only when it is not, so a profile can fall back to
 * other probes.  @name receives NAME, @negate true for unless=.
 * Return: 1 when @pp has a condition, else 0.
 */
int pprobe__cond(const struct pprobe *pp, char *name, size_t len, bool *negate);

/**
 * pprobe__detail() - whether probe @pp says "attach=detail": attached only with --detail, like
 * the per-operation roles, because it fires on a path too hot to probe by default (Go's
 * makemap_small runs once per map made).
 */
bool pprobe__detail(const struct pprobe *pp);

/**
 * pprobe__nodetail() - whether probe @pp says "attach=default": attached only without --detail,
 * which attaches a costlier probe in its place (goswiss: a grow untimed, or timed).
 */
bool pprobe__nodetail(const struct pprobe *pp);

/**
 * pprobe__fn() - the function of probe @pp's symbol ("F" of F and F:ret) as a non-zero number:
 * a Go lock's lock_end pairs only with a lock entry of the same function (mt_probe_spec.fn).
 */
__u32 pprobe__fn(const struct pprobe *pp);

/**
 * pprobe__from() - the functions of probe @pp's from=F[|G] or not_from=F[|G] (which one:
 * MT_SPEC_NOT_FROM in its spec's flags), into @names.
 * Return: how many, 0 when it has neither.
 */
int pprobe__from(const struct pprobe *pp, char names[MT_MAX_FROM][NAME_LEN]);

struct elfsym_file;
struct disasm;

/**
 * profile__locate() - a function a probe names as "@NAME" (without the @): found in @ef by what
 * it does, for static functions a stripped library keeps no symbol for (profile_locate.c).
 * @d: a decoder of @ef's code, NULL when it has none (not x86-64).
 * @vaddr: receives the function's ELF virtual address.
 * @how: receives, on success, how it was found (for --list).
 * @why: receives, on failure, why it was not.
 * Return: 0; -ENOENT when the evidence finds no function or several; -EINVAL for an unknown NAME.
 */
int profile__locate(struct elfsym_file *ef, struct disasm *d, const char *name, __u64 *vaddr,
		    char *how, size_t howlen, char *why, size_t whylen);

struct elfsym_sym;

/**
 * profile__calls() - the calls in function @fs of @ef to @callee, directly or through a PLT stub
 * of that name (a probe's CALLER>CALLEE): each call instruction's address, or with @after the
 * address after it, where @callee returns to.
 * @at: receives up to @max addresses.
 * Return: the number of such calls (more than @max when @at was too small), or -errno when
 * @fs cannot be decoded.
 */
int profile__calls(struct elfsym_file *ef, struct disasm *d, const struct elfsym_sym *fs,
		   const char *callee, __u64 *at, int max, bool after);

/**
 * pread__spec() - turn a 'read' line's key=value list @args (count=A[+B] pos=P size=S[|T])
 * into *@rd, with the field names of @fs (NULL when the version is unknown).
 * @why: receives, on error, what is wrong and where ("at 'pos=arg0': read takes fields only").
 * @whylen: room in @why.
 * Return: 0, -EINVAL (a mistake), -ENOENT (a field name @fs does not define).
 */
int pread__spec(const char *args, const struct fieldset *fs, struct plan_read *rd, char *why,
		size_t whylen);

/* profile_version.c: the file name of @path (after its last '/'). */
const char *profile__base_name(const char *path);
/*
 * profile__fieldset() - the field set of version @ver: the first 'fields' line whose pattern
 * matches it; NULL when none does or @ver is "".
 */
const struct fieldset *profile__fieldset(const struct profile *p, const char *ver);

/*
 * profile_version.c: the version of mapped object @mapped (profile object name @obj) as @p's
 * version line reads it, into @ver; "" when it cannot be read, with the reason in @why.
 */
void profile__module_version(const struct profile *p, struct elfsym_file *ef, const char *mapped,
			    const char *obj, char *ver, size_t len, char *why, size_t wlen);

#endif /* MT_PROFILE_INT_H */
