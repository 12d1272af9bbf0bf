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

/*
 * Built-in profiles, in the --profile format.  Field offsets were read from the libraries'
 * machine code on Debian 12 (GLib 2.74.6, Redis 7.0.15) and are checked against the version
 * before use.
 */
#define GLIB_WHEN "when=(noccupied+1)*17>=size*16|(nnodes-1)*4<size&size>8"

static const char builtin_glib[] =
	"# GLib's GHashTable (struct _GHashTable in glib/ghash.c)\n"
	"profile glib\n"
	"object libglib-2.0.so.0\n"
	"require g_hash_table_insert g_hash_table_new_full\n"
	"version symbols glib_major_version glib_minor_version glib_micro_version\n"
	"fields 2.74.* size=u64@0 nnodes=u32@16 noccupied=u32@20\n"
	/* each known table's entries and size, read at each sync: no probe on inserts */
	"read count=nnodes size=size\n"
	"probe create g_hash_table_new_full map=ret size=size\n"
	/*
	 * Every resize runs the static g_hash_table_resize, which the stripped library does not
	 * name: @glib_resize locates it by disassembly (profile_locate.c).  Its entry reads the
	 * old size; each of its ret instructions ends it with the new one (uprobes, no uretprobe).
	 * Inserts and removes are then only counted.
	 */
	"probe grow_begin @glib_resize map=arg0 size=size new_size=size count=nnodes\n"
	"probe grow_end @glib_resize:ret\n"
	"probe insert g_hash_table_insert map=arg0 if=@glib_resize\n"
	"probe insert g_hash_table_replace map=arg0 if=@glib_resize\n"
	"probe insert g_hash_table_add map=arg0 if=@glib_resize\n"
	"probe delete g_hash_table_remove map=arg0 if=@glib_resize\n"
	"probe delete g_hash_table_steal map=arg0 if=@glib_resize\n"
	/*
	 * Without it, every insert and remove may resize (g_hash_table_maybe_resize is inlined):
	 * watch size.  It resizes when size <= noccupied + noccupied / 16 (grow) or size > 4 *
	 * nnodes and size > 8 (shrink), after the call; one call changes noccupied and nnodes by at
	 * most one.  So only calls where these hold at entry, one step ahead, need their return seen.
	 */
	"probe insert g_hash_table_insert map=arg0 size=size count=nnodes " GLIB_WHEN
	" unless=@glib_resize\n"
	"probe insert g_hash_table_replace map=arg0 size=size count=nnodes " GLIB_WHEN
	" unless=@glib_resize\n"
	"probe insert g_hash_table_add map=arg0 size=size count=nnodes " GLIB_WHEN
	" unless=@glib_resize\n"
	"probe delete g_hash_table_remove map=arg0 size=size count=nnodes " GLIB_WHEN
	" unless=@glib_resize\n"
	"probe delete g_hash_table_steal map=arg0 size=size count=nnodes " GLIB_WHEN
	" unless=@glib_resize\n"
	/*
	 * With destroy notifiers, remove_all sets the minimum size itself, not through a resize;
	 * a resize it calls instead ends this call's watch (one call in flight per thread).
	 */
	"probe resize g_hash_table_remove_all map=arg0 size=size new_size=size count=nnodes\n";

static const char builtin_redis[] =
	/*
	 * No dictDelete: its entry is single-stepped (~4 us) and every SET calls it on the
	 * expires dict, usually for a key that is not there.
	 */
	"# Redis's dict (src/dict.h); Debian's redis-server is a link to redis-check-rdb\n"
	"profile redis\n"
	"object redis-server redis-check-rdb\n"
	"require _dictExpand dictRehash dictAddRaw\n"
	"version retconst RM_GetServerVersion\n"
	"fields 7.0.* type=u64@0 size0=log2:s8@50 size1=log2:s8@51 used0=u64@24 used1=u64@32 "
	"rehashidx=s64@40\n"
	/* a dict is named after its dictType: dbDictType is the keyspace, dbExpiresDictType ... */
	"probe create dictCreate map=ret size=size0 name=type\n"
	"probe insert dictAddRaw map=arg0\n"
	"probe destroy dictRelease map=arg0\n"
	/*
	 * The new table is table 1 while rehashing, table 0 when the dict was empty.  dictExpand
	 * and dictResize (shrinks) carry inlined copies of _dictExpand in 7.0.15: probe all three.
	 */
	"probe resize _dictExpand map=arg0 size=size0 new_size=size1|size0 ok=ret==0 count=used0 "
	"name=type\n"
	"probe resize dictExpand map=arg0 size=size0 new_size=size1|size0 ok=ret==0 count=used0 "
	"name=type\n"
	"probe resize dictResize map=arg0 size=size0 new_size=size1|size0 ok=ret==0 count=used0 "
	"name=type\n"
	"probe rehash_step dictRehash map=arg0 pos=rehashidx size=size0\n"
	/*
	 * Read at each sync from every dict known from a probe: entries (table 1 holds some
	 * while rehashing), the rehash position (-1 when done) and the table's size.
	 */
	"read count=used0+used1 pos=rehashidx size=size0\n";

static const char builtin_go[] =
	/*
	 * Go's classic maps (runtime.hmap, src/runtime/map.go), Go 1.19 amd64: count int @0,
	 * flags u8 @8, B u8 @9 (log2 of the buckets), noverflow u16 @10, hash0 u32 @12, buckets
	 * @16, oldbuckets @24, nevacuate @32, extra @40.  Arguments are in Go's registers
	 * (goargN); no return probes on Go code: ends are probed at ret instructions.  A lock
	 * wait's goroutine id is g.goid @152 of the g in R14 (objdump of runtime.goroutineheader).
	 */
	"# Go's runtime maps (runtime.hmap), in any Go executable of a known version\n"
	"profile go\n"
	"object " OBJECT_GO "\n"
	"require runtime.hashGrow\n"
	"version go\n"
	"fields go1.19* count=u64@0 buckets=log2:u8@9 noverflow=u16@10 oldbuckets=u64@24 "
	"nevacuate=u64@32 goid=u64@(g)+152\n"
	/* inserts (mapassign, the hottest path) are not probed: each map's count is read */
	"read count=count\n"
	/*
	 * The map is the result, in RAX at each ret; B then says how big the hint made it.  Only
	 * with --detail: a ret is single-stepped (~13 us a hit) and makemap_small runs once per
	 * map made (tens of ns), so a program making many small maps would run many times slower.
	 * By default a map is known from its first grow, named after where that grow happened.
	 */
	"probe create runtime.makemap:ret map=ret size=buckets attach=detail\n"
	"probe create runtime.makemap_small:ret map=ret size=buckets attach=detail\n"
	/*
	 * hashGrow(t *maptype, h *hmap) runs once per grow, before the insert that needs it: its
	 * entry has the old B and the count; at its rets h.B has moved (or not: a same-size grow,
	 * overflow buckets piled up).  Evacuation then runs incrementally in later writes.
	 */
	"probe grow_begin runtime.hashGrow map=goarg1 size=buckets new_size=buckets count=count "
	"type=goarg0\n"
	"probe grow_end runtime.hashGrow:ret\n"
	/*
	 * sync.(*Mutex).lockSlow(m) runs only when Lock's fast-path CAS failed: the mutex was
	 * held.  Each call is a contended acquisition, timed from its entry to its ret (it returns
	 * holding m), per goroutine: a parked goroutine resumes on another thread.  Called from
	 * sync.(*RWMutex).Lock (Mutex.Lock is inlined there), m is rw.w at offset 0 of
	 * RWMutex{w Mutex; writerSem, readerSem uint32; readerCount, readerWait int32}: a writer
	 * waiting for a writer.
	 */
	"probe lock sync.(*Mutex).lockSlow lock=goarg0 not_from=sync.(*RWMutex).Lock\n"
	"probe lock sync.(*Mutex).lockSlow lock=goarg0 mode=write from=sync.(*RWMutex).Lock\n"
	"probe lock_end sync.(*Mutex).lockSlow:ret goid=goid\n"
	/*
	 * An RWMutex's other waits park in sync.runtime_SemacquireMutex(addr, ...), which returns
	 * once the semaphore is released to it: from RWMutex.Lock a writer waiting for readers on
	 * &rw.writerSem (rw + 8); from anywhere else but lockSlow (whose wait is counted above)
	 * a reader, from RLock inlined into its caller, on &rw.readerSem (rw + 12).
	 */
	"probe lock sync.runtime_SemacquireMutex lock=goarg0-8 mode=write "
	"from=sync.(*RWMutex).Lock\n"
	"probe lock sync.runtime_SemacquireMutex lock=goarg0-12 mode=read "
	"not_from=sync.(*Mutex).lockSlow|sync.(*RWMutex).Lock\n"
	"probe lock_end sync.runtime_SemacquireMutex:ret goid=goid\n";

static const char builtin_gosync[] =
	/*
	 * Go's sync.Map (src/sync/map.go), Go 1.19 amd64: mu Mutex @0, read atomic.Value @8,
	 * dirty map @24, misses int @32.  A profile apart from go's: its maps are not hmaps (go's
	 * read line would take mu's state word for a count).
	 */
	"# Go's sync.Map misses and promotions, in any Go executable of a known version\n"
	"profile gosync\n"
	"object " OBJECT_GO "\n"
	"require sync.(*Map).missLocked\n"
	"version go\n"
	"fields go1.19* misses=u64@32\n"
	/* each call is one miss: a Load (LoadOrStore, LoadAndDelete) the snapshot could not answer */
	"probe miss sync.(*Map).missLocked map=goarg0\n"
	/*
	 * missLocked promotes when misses reach len(dirty): m.read.Store(readOnly{m: m.dirty}),
	 * a call made only then, with &m.read (m + 8) in RAX and m.misses (the dirty map's length,
	 * less any keys deleted from it) set.  Range promotes too, whenever the dirty map has keys
	 * the snapshot lacks.
	 */
	"probe promote sync.(*Map).missLocked:call=sync/atomic.(*Value).Store map=goarg0-8 "
	"size=misses\n"
	"probe promote sync.(*Map).Range:call=sync/atomic.(*Value).Store map=goarg0-8\n";

/*
 * libstdc++'s unordered containers: every std::unordered_{map,set,multimap,multiset} of every
 * instantiation is a std::_Hashtable, whose rehash code is a template compiled (often inlined)
 * into the user's binary.  What all share is in libstdc++.so: the rehash policy, which the
 * table's insert asks through _M_need_rehash(n_bkt, n_elt, n_ins) (every insert: never probed)
 * and which calls _M_next_bkt only when it has decided to grow.  The policy is a member of the
 * table: _M_buckets @0, _M_bucket_count @8, _M_before_begin @16, _M_element_count @24,
 * _M_rehash_policy @32 (libstdc++'s ABI, the same across libstdc++.so.6), so the table is the
 * policy's this - 32.
 */
#define CXX_POLICY "_ZNKSt8__detail20_Prime_rehash_policy"
#define CXX_NEED_REHASH CXX_POLICY "14_M_need_rehashEmmm"
#define CXX_NEXT_BKT CXX_POLICY "11_M_next_bktEm"

static const char builtin_cxx[] =
	"# libstdc++'s std::unordered_* containers (std::_Hashtable, bits/hashtable.h)\n"
	"profile libstdc++\n"
	"object libstdc++.so.6\n"
	"require " CXX_NEED_REHASH " " CXX_NEXT_BKT "\n"
	/* the file name's suffix: 0.30 for libstdc++.so.6.0.30 (GCC 12) */
	"version soname\n"
	"fields 0.* buckets=u64@0 bucket_count=u64@8 element_count=u64@24\n"
	"layout std::_Hashtable: _M_buckets@0 _M_bucket_count@8 _M_before_begin@16 "
	"_M_element_count@24 _M_rehash_policy@32 (libstdc++.so.6's ABI); table = policy - 32\n"
	/*
	 * A container freed without our knowing (no destructor is probed: it is inlined) and its
	 * memory reused reads as garbage: more entries than 64 per bucket, or no bucket, is no
	 * table (libstdc++'s default max_load_factor is 1)
	 */
	"read count=element_count size=bucket_count max_load=64\n"
	/*
	 * At the call from _M_need_rehash to _M_next_bkt the policy is arg0 and the table still
	 * has its old bucket count; where the call returns, RAX has the new one.  The table
	 * rehashes after _M_need_rehash returns, in the user's code: the span is not timed.
	 * reserve(), rehash() and a constructor's bucket hint call _M_next_bkt from the user's
	 * code, not from here: they are not rehashes of a full table and are not seen.
	 */
	"probe grow_begin " CXX_NEED_REHASH ">" CXX_NEXT_BKT " map=arg0-32 size=bucket_count "
	"new_size=ret count=element_count timed=no\n"
	"probe grow_end " CXX_NEED_REHASH ">" CXX_NEXT_BKT ":ret\n";

static const char builtin_goswiss[] =
	/*
	 * Go 1.24+ Swiss tables (internal/runtime/maps; checked against the machine code of
	 * go1.24.6, go1.25.7, go1.26.4 and go1.26.5 binaries, docs/go.md): Map {used u64 @0, ...,
	 * globalDepth u8 @32}.  growToTable moves a small map's 8 slots to a table of 16 (depth 0);
	 * rehash(t, typ, m) doubles a table (capacity u16 @2) up to 1024 slots (grow), and beyond
	 * splits it in two of 1024 (split: depth + 1 when t's localDepth was globalDepth).  Entries:
	 * the push after the stack check (emulated); ends: the epilogue (single-stepped, ~10 us in
	 * tsgo), where depth is read.  Splits are timed, and with --detail growToTable and grow (97%
	 * of tsgo's), else seen at entry (depth already final).  Not probed (too hot): mapassign,
	 * growToSmall, makemap; no 'read' of used (GC frees maps unseen): the count is each grow's.
	 */
	"# Go 1.24+ runtime maps (Swiss tables, internal/runtime/maps), in any Go executable\n"
	"profile goswiss\n"
	"object " OBJECT_GO "\n"
	"require internal/runtime/maps.(*table).rehash\n"
	"version go\n"
	/* g.goid: 160 in go1.24, 152 in go1.25 and go1.26 (each runtime.goroutineheader's load) */
	"fields go1.24* used=u64@0 depth=u8@32 goid=u64@(g)+160\n"
	"fields go1.25* used=u64@0 depth=u8@32 goid=u64@(g)+152\n"
	"fields go1.26* used=u64@0 depth=u8@32 goid=u64@(g)+152\n"
	"probe resize internal/runtime/maps.(*Map).growToTable map=goarg0 size=const:8 "
	"new_size=const:16 count=used depth=depth type=goarg1 attach=default\n"
	"probe grow_begin internal/runtime/maps.(*Map).growToTable map=goarg0 size=const:8 "
	"new_size=const:16 count=used depth=depth type=goarg1 attach=detail\n"
	"probe grow_end internal/runtime/maps.(*Map).growToTable:ret attach=detail\n"
	"probe resize internal/runtime/maps.(*table).grow map=goarg2 size=u16@(goarg0)+2 "
	"new_size=goarg3 count=used depth=depth type=goarg1 attach=default\n"
	"probe grow_begin internal/runtime/maps.(*table).grow map=goarg2 size=u16@(goarg0)+2 "
	"new_size=goarg3 count=used depth=depth type=goarg1 attach=detail\n"
	"probe grow_end internal/runtime/maps.(*table).grow:ret attach=detail\n"
	"probe grow_begin internal/runtime/maps.(*table).split map=goarg2 size=u16@(goarg0)+2 "
	"new_size=const:2048 count=used depth=depth type=goarg1\n"
	"probe grow_end internal/runtime/maps.(*table).split:ret\n"
	/*
	 * sync.Mutex wraps internal/sync.Mutex (at the same address) from Go 1.24: its lockSlow(m)
	 * runs only when Lock's CAS failed.  Timed from its entry to its epilogue, per goroutine.
	 */
	"probe lock internal/sync.(*Mutex).lockSlow lock=goarg0\n"
	"probe lock_end internal/sync.(*Mutex).lockSlow:ret goid=goid\n";

/*
 * The rehash itself, where it is out of line: _Hashtable<...>::_M_rehash(n_bkt, state), an
 * instantiation in the program (the executable) per key and value type, inlined into the
 * insert for some.  Timed from entry (the table at arg0, its bucket count @8, the new one arg1)
 * to its ret instructions, only right after the libstdc++ profile's untimed rehash of the same
 * table on the thread (join=untimed: not reserve() or rehash()), whose record it times.
 */
#define CXX_REHASH "_ZNSt10_Hashtable*_M_rehashEmRKm"

static const char builtin_cxx_rehash[] =
	"# the duration of libstdc++ rehashes whose _Hashtable<...>::_M_rehash is out of line\n"
	"profile libstdc++-rehash\n"
	"object " OBJECT_EXE "\n"
	"probe grow_begin " CXX_REHASH " map=arg0 size=u64@8 new_size=arg1 join=untimed\n"
	"probe grow_end " CXX_REHASH ":ret\n";

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
	int err;

	*out = NULL;
	if (!ps)
		return -ENOMEM;
	err = parse_text(ps, builtin_glib, "built-in profile glib");
	if (!err)
		err = parse_text(ps, builtin_redis, "built-in profile redis");
	if (!err)
		err = parse_text(ps, builtin_go, "built-in profile go");
	if (!err)
		err = parse_text(ps, builtin_gosync, "built-in profile gosync");
	if (!err)
		err = parse_text(ps, builtin_cxx, "built-in profile libstdc++");
	if (!err)
		err = parse_text(ps, builtin_goswiss, "built-in profile goswiss");
	if (!err)
		err = parse_text(ps, builtin_cxx_rehash, "built-in profile libstdc++-rehash");
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
