// SPDX-License-Identifier: MIT
/*
 * Probe profiles, parsing: the built-in profiles, --profile files and --probe options
 * (docs/profiles.md) into a struct profile_set.  See profile.h; profile_spec.c turns a probe's
 * key=value list into a spec, profile_plan.c matches the set against a process.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "profile_int.h"
#include "readfile.h"
#include "util.h"

static const char *const role_names[MT_ROLE_MAX] = {
	[MT_ROLE_INSERT] = "insert",	     [MT_ROLE_DELETE] = "delete",
	[MT_ROLE_LOOKUP] = "lookup",	     [MT_ROLE_CREATE] = "create",
	[MT_ROLE_DESTROY] = "destroy",	     [MT_ROLE_RESIZE] = "resize",
	[MT_ROLE_GROW_BEGIN] = "grow_begin", [MT_ROLE_GROW_END] = "grow_end",
	[MT_ROLE_REHASH_STEP] = "rehash_step", [MT_ROLE_LOCK] = "lock",
	[MT_ROLE_LOCK_END] = "lock_end",    [MT_ROLE_MISS] = "miss",
	[MT_ROLE_PROMOTE] = "promote",
};

const char *mt_role_name(int role)
{
	return role > 0 && role < MT_ROLE_MAX && role_names[role] ? role_names[role] : "?";
}

bool mt_role_per_operation(int role)
{
	return role == MT_ROLE_INSERT || role == MT_ROLE_DELETE || role == MT_ROLE_LOOKUP ||
	       role == MT_ROLE_REHASH_STEP;
}

static int role_parse(const char *s)
{
	if (!strcmp(s, "grow")) /* a one-shot resize, as users tend to call it */
		return MT_ROLE_RESIZE;
	if (!strcmp(s, "remove"))
		return MT_ROLE_DELETE;
	for (int i = 1; i < MT_ROLE_MAX; i++)
		if (role_names[i] && !strcmp(s, role_names[i]))
			return i;
	return -1;
}

static struct profile *find_profile(struct profile_set *ps, const char *name)
{
	for (int i = 0; i < ps->n; i++)
		if (!strcmp(ps->p[i]->name, name))
			return ps->p[i];
	return NULL;
}

static struct profile *add_profile(struct profile_set *ps, const char *name, const char *origin)
{
	struct profile *p;

	if (ps->n == MAX_PROFILES)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	snprintf(p->name, sizeof(p->name), "%s", name);
	/* "built-in profile glib" in messages, "built-in" beside its name */
	snprintf(p->origin, sizeof(p->origin), "%s",
		 strncmp(origin, "built-in", 8) ? origin : "built-in");
	ps->p[ps->n++] = p;
	return p;
}

/* Split @line into at most @max words (modifies it). */
static int words(char *line, char **w, int max)
{
	char *save = NULL;
	int n = 0;

	for (char *t = strtok_r(line, " \t", &save); t; t = strtok_r(NULL, " \t", &save)) {
		if (n == max)
			return -E2BIG;
		w[n++] = t;
	}
	return n;
}

static int parse_fields(struct profile *p, char **w, int n, const char **why)
{
	struct fieldset *fs;
	size_t len;

	if (n < 3) {
		*why = "want: fields VERSION-PATTERN NAME=TYPE@OFFSET ...";
		return -EINVAL;
	}
	if (p->nfsets == MAX_FIELDSETS || n - 2 > MAX_FIELDS) {
		*why = "too many field sets or fields";
		return -EINVAL;
	}
	fs = &p->fsets[p->nfsets];
	memset(fs, 0, sizeof(*fs));
	snprintf(fs->glob, sizeof(fs->glob), "%s", w[1]);
	len = strlen(p->globs);
	snprintf(p->globs + len, sizeof(p->globs) - len, "%s%s", len ? ", " : "", fs->glob);
	for (int i = 2; i < n; i++) {
		char *eq = strchr(w[i], '='), scratch[PROFILE_WHY_LEN];
		struct field *f = &fs->fields[fs->n];

		if (!eq || eq == w[i] || (size_t)(eq - w[i]) >= sizeof(f->name) ||
		    field__parse(eq + 1, &f->src, scratch, sizeof(scratch))) {
			*why = "a field is NAME=TYPE@OFFSET, TYPE one of u8 s8 u16 s16 u32 s32 u64 "
			       "s64, optionally log2:TYPE";
			return -EINVAL;
		}
		memcpy(f->name, w[i], eq - w[i]);
		f->name[eq - w[i]] = '\0';
		fs->n++;
	}
	p->nfsets++;
	return 0;
}

static int parse_probe(struct profile *p, char **w, int n, int lineno, const char **why)
{
	struct pprobe *pp;
	size_t len = 0;

	if (n < 3) {
		*why = "want: probe ROLE SYMBOL KEY=VALUE ...";
		return -EINVAL;
	}
	if (p->nprobes == MAX_PROBES) {
		*why = "too many probes in one profile";
		return -EINVAL;
	}
	pp = &p->probes[p->nprobes];
	memset(pp, 0, sizeof(*pp));
	pp->role = role_parse(w[1]);
	if (pp->role < 0) {
		*why = "unknown role; roles: insert delete lookup create destroy resize (grow) "
		       "grow_begin grow_end rehash_step lock";
		return -EINVAL;
	}
	if (strlen(w[2]) >= sizeof(pp->sym)) {
		*why = "symbol name too long";
		return -EINVAL;
	}
	snprintf(pp->sym, sizeof(pp->sym), "%s", w[2]);
	for (int i = 3; i < n; i++)
		len += (size_t)snprintf(pp->args + len,
					len < sizeof(pp->args) ? sizeof(pp->args) - len : 0, "%s%s",
					i > 3 ? " " : "", w[i]);
	if (len >= sizeof(pp->args)) {
		*why = "probe line too long";
		return -EINVAL;
	}
	pp->line = lineno;
	p->nprobes++;
	return 0;
}

/* A 'read' line: the fields read from every known map at each sync, one line a profile. */
static int parse_read(struct profile *p, char **w, int n, int lineno, const char **why)
{
	size_t len = 0;

	if (p->read_line) {
		*why = "a second 'read' line; give every field on one (read count=... pos=... "
		       "size=...)";
		return -EINVAL;
	}
	if (n < 2) {
		*why = "want: read count=FIELD[+FIELD] pos=FIELD size=FIELD[|FIELD]";
		return -EINVAL;
	}
	for (int i = 1; i < n; i++)
		len += (size_t)snprintf(p->read_args + len,
					len < sizeof(p->read_args) ? sizeof(p->read_args) - len : 0,
					"%s%s", i > 1 ? " " : "", w[i]);
	if (len >= sizeof(p->read_args)) {
		*why = "read line too long";
		return -EINVAL;
	}
	p->read_line = lineno ? lineno : -1;
	return 0;
}

/* The 'read' line must parse with some field set (or inline fields); names per module. */
static int check_read_syntax(const struct profile *p, char *why, size_t whylen)
{
	struct plan_read rd;
	int err = -ENOENT;

	for (int i = 0; i < p->nfsets && err == -ENOENT; i++)
		err = pread__spec(p->read_args, &p->fsets[i], &rd, why, whylen);
	if (err == -ENOENT && !p->nfsets)
		err = pread__spec(p->read_args, NULL, &rd, why, whylen);
	return err == -ENOENT ? -EINVAL : err;
}

/*
 * A probe's arguments must at least parse with inline fields; names are checked per module.
 * Return: 0, or -EINVAL with @why saying what is wrong and where.
 */
static int check_probe_syntax(const struct profile *p, const struct pprobe *pp, char *why,
			      size_t whylen)
{
	struct mt_probe_spec sp;
	int err = -ENOENT;

	/* field names resolve against any of the profile's field sets */
	for (int i = 0; i < p->nfsets && err == -ENOENT; i++)
		err = pprobe__spec(pp, &p->fsets[i], &sp, why, whylen);
	if (err == -ENOENT && !p->nfsets)
		err = pprobe__spec(pp, NULL, &sp, why, whylen);
	return err == -ENOENT ? -EINVAL
			      : err ?: pprobe__goid_check(pp, p->fsets, p->nfsets, why, whylen);
}

/* Parse profile text; @origin names it in messages. */
static int parse_text(struct profile_set *ps, const char *text, const char *origin)
{
	char *copy = strdup(text), *save = NULL, *line;
	struct profile *p = NULL;
	const char *why = NULL;
	char msg[PROFILE_WHY_LEN];
	int lineno = 0, err = 0;

	if (!copy)
		return -ENOMEM;
	for (line = strtok_r(copy, "\n", &save); line && !err; line = strtok_r(NULL, "\n", &save)) {
		char *w[MAX_FIELDS + 4];
		int n;

		lineno++;
		line[strcspn(line, "#")] = '\0';
		n = words(line, w, MAX_FIELDS + 4);
		if (n == 0)
			continue;
		if (n < 0) {
			why = "too many words on the line";
			err = -EINVAL;
			break;
		}
		if (!strcmp(w[0], "profile")) {
			struct profile *old = n == 2 ? find_profile(ps, w[1]) : NULL;

			if (n != 2) {
				why = "want: profile NAME";
				err = -EINVAL;
			} else if (old && strcmp(old->origin, "built-in")) {
				why = "a profile of that name exists already";
				err = -EINVAL;
			} else if (old) {
				/*
				 * the user's profile of a built-in's name replaces it
				 * (another version)
				 */
				memset(old, 0, sizeof(*old));
				snprintf(old->name, sizeof(old->name), "%s", w[1]);
				snprintf(old->origin, sizeof(old->origin), "%s", origin);
				p = old;
			} else if (!(p = add_profile(ps, w[1], origin))) {
				err = -ENOMEM;
			}
			continue;
		}
		if (!p) {
			why = "the file must start with 'profile NAME'";
			err = -EINVAL;
			break;
		}
		if (!strcmp(w[0], "object")) {
			for (int i = 1; i < n && p->nobjects < MAX_OBJECTS; i++)
				snprintf(p->objects[p->nobjects++], NAME_LEN, "%s", w[i]);
		} else if (!strcmp(w[0], "require")) {
			for (int i = 1; i < n && p->nrequire < MAX_REQUIRE; i++)
				snprintf(p->require[p->nrequire++], NAME_LEN, "%s", w[i]);
		} else if (!strcmp(w[0], "version")) {
			if (n >= 3 && n <= 5 && !strcmp(w[1], "symbols")) {
				p->version_kind = VERSION_SYMBOLS;
				for (int i = 2; i < n; i++)
					snprintf(p->version_syms[p->nversion_syms++], NAME_LEN,
						 "%s", w[i]);
			} else if (n == 3 && !strcmp(w[1], "retconst")) {
				p->version_kind = VERSION_RETCONST;
				snprintf(p->version_syms[0], NAME_LEN, "%s", w[2]);
				p->nversion_syms = 1;
			} else if (n == 2 && !strcmp(w[1], "soname")) {
				p->version_kind = VERSION_SONAME;
			} else if (n == 2 && !strcmp(w[1], "build-id")) {
				p->version_kind = VERSION_BUILD_ID;
			} else if (n == 2 && !strcmp(w[1], "go")) {
				p->version_kind = VERSION_GO;
			} else {
				why = "want: version symbols SYM [SYM [SYM]] | retconst SYM | "
				      "soname | build-id | go";
				err = -EINVAL;
			}
		} else if (!strcmp(w[0], "layout")) {
			/* free text for --list: the words again, one space apart */
			size_t len = 0;

			for (int i = 1; i < n; i++)
				len += (size_t)snprintf(p->layout + len,
							len < sizeof(p->layout) ? sizeof(p->layout) - len : 0,
							"%s%s", i > 1 ? " " : "", w[i]);
		} else if (!strcmp(w[0], "fields")) {
			err = parse_fields(p, w, n, &why);
		} else if (!strcmp(w[0], "probe")) {
			err = parse_probe(p, w, n, lineno, &why);
			if (!err) {
				why = msg;
				err = check_probe_syntax(p, &p->probes[p->nprobes - 1], msg,
							 sizeof(msg));
			}
		} else if (!strcmp(w[0], "read")) {
			err = parse_read(p, w, n, lineno, &why);
			if (!err) {
				why = msg;
				err = check_read_syntax(p, msg, sizeof(msg));
			}
		} else {
			why = "unknown directive; directives: profile object require version "
			      "fields layout probe read";
			err = -EINVAL;
		}
	}
	if (!err && p && (!p->nobjects || !p->nprobes)) {
		why = "a profile needs an 'object' line and at least one 'probe'";
		err = -EINVAL;
	}
	if (err == -EINVAL)
		fprintf(stderr, "maptrace: %s line %d: %s\n", origin, lineno, why);
	if (!err && !p) {
		fprintf(stderr,
			"maptrace: --profile %s: only comments and blank lines; a profile starts "
			"with 'profile NAME' (docs/profiles.md)\n",
			origin);
		err = -EINVAL;
	}
	free(copy);
	return err;
}

/*
 * --probe read:OBJECT:KEY=VALUE,...: the fields of OBJECT's maps read at each sync.  The list
 * was split at its first ':' (log2:s8@50 has one): @kv1 and @kv2 join again.
 */
static int parse_read_opt(struct profile_set *ps, const char *opt, const char *obj,
			  const char *kv1, const char *kv2)
{
	char args[ARGS_LEN + 8], msg[PROFILE_WHY_LEN], *w[2] = {"read", args};
	const char *why = NULL;
	struct profile *p = find_profile(ps, obj);
	int err;

	if (!obj[0] || !kv1[0]) {
		fprintf(stderr,
			"maptrace: --probe '%s': want read:OBJECT:KEY=VALUE,..., e.g. "
			"read:libfoo.so:count=u64@8 (see docs/profiles.md)\n",
			opt);
		return -EINVAL;
	}
	if (p && strcmp(p->origin, "--probe")) {
		fprintf(stderr,
			"maptrace: --probe '%s': '%s' is the name of a %s profile; name the object "
			"by its file name\n",
			opt, obj, p->origin);
		return -EINVAL;
	}
	if (!p) {
		p = add_profile(ps, obj, "--probe");
		if (!p)
			return -ENOMEM;
		snprintf(p->objects[p->nobjects++], NAME_LEN, "%s", obj);
	}
	snprintf(args, sizeof(args), "%s%s%s", kv1, kv2 ? ":" : "", kv2 ? kv2 : "");
	err = parse_read(p, w, 2, 0, &why);
	if (!err) {
		why = msg;
		err = check_read_syntax(p, msg, sizeof(msg));
	}
	if (err)
		fprintf(stderr, "maptrace: --probe '%s': %s\n", opt, why ? why : "invalid");
	return err;
}

/*
 * --probe ROLE:OBJECT:SYMBOL[:KEY=VALUE,...]: one probe of a profile named after OBJECT
 * (all --probe options for one object share it).
 */
static int parse_probe_opt(struct profile_set *ps, const char *opt)
{
	char buf[768], *f[4] = {NULL}, line[900], msg[PROFILE_WHY_LEN], *w[MAX_FIELDS + 4];
	const char *why = NULL;
	struct profile *p;
	int n = 1, nw, role, err;

	snprintf(buf, sizeof(buf), "%s", opt);
	/* empty fields count: "insert::sym" has no object, not the object "sym" */
	f[0] = buf;
	for (char *c = buf; n < 4 && (c = strchr(c, ':')); n++) {
		*c++ = '\0';
		f[n] = c; /* the last, KEY=VALUE,..., keeps its own ':' (log2:s8@50) */
	}
	if (strlen(opt) >= sizeof(buf)) {
		fprintf(stderr, "maptrace: --probe '%.40s...': longer than %zu characters\n", opt,
			sizeof(buf) - 1);
		return -EINVAL;
	}
	if (n >= 2 && !strcmp(f[0], "read"))
		return parse_read_opt(ps, opt, f[1], n > 2 ? f[2] : "", f[3]);
	role = n >= 3 ? role_parse(f[0]) : -1;
	if (n < 3) {
		fprintf(stderr,
			"maptrace: --probe '%s': want ROLE:OBJECT:SYMBOL[:KEY=VALUE,...], e.g. "
			"grow:libfoo.so:foo_resize:map=arg0,new_size=arg1 (see docs/profiles.md)\n",
			opt);
		return -EINVAL;
	}
	if (role < 0) {
		fprintf(stderr,
			"maptrace: --probe '%s': unknown role '%s'; roles: insert delete lookup "
			"create destroy resize (grow) grow_begin grow_end rehash_step lock; or "
			"read:OBJECT:KEY=VALUE,...\n",
			opt, f[0]);
		return -EINVAL;
	}
	if (!f[1][0] || !f[2][0]) {
		fprintf(stderr,
			"maptrace: --probe '%s': the %s is empty; write ROLE:OBJECT:SYMBOL, e.g. "
			"%s:%s:%s%s%s\n",
			opt, f[1][0] ? "symbol" : "object", f[0], f[1][0] ? f[1] : "libfoo.so",
			f[2][0] ? f[2] : "foo_insert", f[3] ? ":" : "", f[3] ? f[3] : "");
		return -EINVAL;
	}
	p = find_profile(ps, f[1]);
	if (p && strcmp(p->origin, "--probe")) {
		fprintf(stderr,
			"maptrace: --probe '%s': '%s' is the name of a %s profile; name the object "
			"by its file name\n",
			opt, f[1], p->origin);
		return -EINVAL;
	}
	if (!p) {
		p = add_profile(ps, f[1], "--probe");
		if (!p)
			return -ENOMEM;
		snprintf(p->objects[p->nobjects++], NAME_LEN, "%s", f[1]);
	}
	/* SYMBOL:ret (a probe at the ret instructions) splits as a fourth field: join it back */
	if (f[3] && (!strcmp(f[3], "ret") || !strncmp(f[3], "ret:", 4)))
		snprintf(line, sizeof(line), "probe %s %s:ret %s", f[0], f[2], f[3][3] ? f[3] + 4 : "");
	else
		snprintf(line, sizeof(line), "probe %s %s %s", f[0], f[2], f[3] ? f[3] : "");
	nw = words(line, w, MAX_FIELDS + 4);
	err = nw < 0 ? -EINVAL : parse_probe(p, w, nw, 0, &why);
	if (!err) {
		why = msg;
		err = check_probe_syntax(p, &p->probes[p->nprobes - 1], msg, sizeof(msg));
	}
	if (err)
		fprintf(stderr, "maptrace: --probe '%s': %s\n", opt, why ? why : "invalid");
	return err;
}

/* The text of --profile @path: a regular file of at most PROFILE_MAX_BYTES, not empty. */
static int read_profile(const char *path, char **out)
{
	char why[160];
	size_t len;
	int err = readfile__all(path, PROFILE_MAX_BYTES, out, &len, why, sizeof(why));

	switch (err) {
	case 0:
	case -ENOMEM: /* said once, by the caller */
		break;
	case -EISDIR:
	case -EINVAL:
	case -ENODATA:
		fprintf(stderr,
			"maptrace: --profile %s: %s; give a profile file (docs/profiles.md)\n",
			path, why);
		break;
	case -EFBIG:
		fprintf(stderr,
			"maptrace: --profile %s: %s; a profile file is at most %d MiB "
			"(docs/profiles.md)\n",
			path, why, PROFILE_MAX_BYTES >> 20);
		break;
	default:
		fprintf(stderr, "maptrace: --profile %s: %s\n", path, why);
		break;
	}
	return err;
}

int profile_set__new(const char *const *files, int nfiles, const char *const *probes, int nprobes,
		     struct profile_set **out)
{
	struct profile_set *ps = calloc(1, sizeof(*ps));
	size_t len;
	int err = 0;

	*out = NULL;
	if (!ps)
		return -ENOMEM;
	for (int i = 0; !err && profile_builtins[i].name; i++) {
		char origin[64];

		snprintf(origin, sizeof(origin), "built-in profile %s", profile_builtins[i].name);
		err = parse_text(ps, profile_builtins[i].text, origin);
	}
	for (int i = 0; !err && i < nfiles; i++) {
		char *text = NULL;

		err = read_profile(files[i], &text);
		if (!err) {
			err = parse_text(ps, text, files[i]);
			free(text);
		}
	}
	for (int i = 0; !err && i < nprobes; i++)
		err = parse_probe_opt(ps, probes[i]);
	for (int i = 0; !err && i < ps->n; i++) {
		if (strcmp(ps->p[i]->origin, "--probe") || ps->p[i]->nprobes)
			continue;
		fprintf(stderr,
			"maptrace: --probe read:%s:...: maps are read once a probe finds them; add "
			"one, e.g. --probe create:%s:SYMBOL:map=ret or resize:%s:SYMBOL:...\n",
			ps->p[i]->name, ps->p[i]->name, ps->p[i]->name);
		err = -EINVAL;
	}
	if (err == -ENOMEM)
		fprintf(stderr, "maptrace: out of memory reading the probe profiles\n");
	if (err) {
		profile_set__free(ps);
		return err;
	}
	len = (size_t)snprintf(ps->libraries, sizeof(ps->libraries), "cmap");
	for (int i = 0; i < ps->n && len < sizeof(ps->libraries); i++)
		len += (size_t)snprintf(ps->libraries + len, sizeof(ps->libraries) - len, ",%s",
					ps->p[i]->name);
	len = 0;
	for (int i = 0; i < ps->n && len < sizeof(ps->unmade); i++) {
		bool create = false;

		for (int k = 0; k < ps->p[i]->nprobes; k++)
			create = create || ps->p[i]->probes[k].role == MT_ROLE_CREATE;
		if (!create)
			len += (size_t)snprintf(ps->unmade + len, sizeof(ps->unmade) - len, "%s%s",
						len ? "," : "", ps->p[i]->name);
	}
	*out = ps;
	return 0;
}

void profile_set__free(struct profile_set *ps)
{
	if (!ps)
		return;
	for (int i = 0; i < ps->n; i++)
		free(ps->p[i]);
	free(ps);
}

const char *profile_set__libraries(const struct profile_set *ps)
{
	return ps->libraries;
}

const char *profile_set__unmade(const struct profile_set *ps)
{
	return ps->unmade;
}

/* ---- what a probe line asks for beyond its spec (profile_plan.c asks) ---- */

int pprobe__cond(const struct pprobe *pp, char *name, size_t len, bool *negate)
{
	char buf[ARGS_LEN], *save = NULL, *kv;

	snprintf(buf, sizeof(buf), "%s", pp->args);
	for (kv = strtok_r(buf, " \t,", &save); kv; kv = strtok_r(NULL, " \t,", &save)) {
		bool un = !strncmp(kv, "unless=@", 8);

		if (un || !strncmp(kv, "if=@", 4)) {
			snprintf(name, len, "%s", kv + (un ? 8 : 4));
			*negate = un;
			return 1;
		}
	}
	return 0;
}

int pprobe__from(const struct pprobe *pp, char names[MT_MAX_FROM][NAME_LEN])
{
	char buf[ARGS_LEN], *save = NULL, *kv, *val, *bar;

	snprintf(buf, sizeof(buf), "%s", pp->args);
	for (kv = strtok_r(buf, " \t,", &save); kv; kv = strtok_r(NULL, " \t,", &save)) {
		if (strncmp(kv, "from=", 5) && strncmp(kv, "not_from=", 9))
			continue;
		val = strchr(kv, '=') + 1;
		bar = strchr(val, '|');
		if (bar)
			*bar = '\0';
		snprintf(names[0], NAME_LEN, "%s", val);
		if (!bar)
			return 1;
		snprintf(names[1], NAME_LEN, "%s", bar + 1);
		return 2;
	}
	return 0;
}

__u32 pprobe__fn(const struct pprobe *pp)
{
	size_t n = strcspn(pp->sym, ":");
	__u32 h = 2166136261U; /* FNV-1a */

	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)pp->sym[i]) * 16777619U;
	return h ?: 1;
}

bool pprobe__detail(const struct pprobe *pp)
{
	char buf[ARGS_LEN], *save = NULL, *kv;

	snprintf(buf, sizeof(buf), "%s", pp->args);
	for (kv = strtok_r(buf, " \t,", &save); kv; kv = strtok_r(NULL, " \t,", &save))
		if (!strcmp(kv, "attach=detail"))
			return true;
	return false;
}
