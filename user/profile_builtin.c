// SPDX-License-Identifier: MIT
/*
 * Probe profiles: the built-in ones, in the --profile format (docs/profiles.md), which
 * profile_parse.c parses before any --profile file.
 */
#include <stddef.h>
#include "profile_int.h"

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
	"fields go1.19* count=u64@0 flags=u8@8 buckets=log2:u8@9 noverflow=u16@10 "
	"oldbuckets=u64@24 nevacuate=u64@32 goid=u64@(g)+152\n"
	/*
	 * Inserts (mapassign, the hottest path) and evacuation steps (growWork) are not probed:
	 * each map's count is read, and its evacuation while oldbuckets is set: nevacuate old
	 * buckets of 2^(B-1), or 2^B after a same-size grow (flags & sameSizeGrow, 8).
	 */
	"read count=count pos=nevacuate size=buckets evac=oldbuckets same=flags&8\n"
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
	"fields go1.24* used=u64@0 dirlen=u64@24 depth=u8@32 tables=log2:u8@32 goid=u64@(g)+160\n"
	"fields go1.25* used=u64@0 dirlen=u64@24 depth=u8@32 tables=log2:u8@32 goid=u64@(g)+152\n"
	"fields go1.26* used=u64@0 dirlen=u64@24 depth=u8@32 tables=log2:u8@32 goid=u64@(g)+152\n"
	/*
	 * Map.used once more as the program exits (BPF on exit_group), never at a sync: the
	 * collector frees maps unseen and reuses their memory.  A table map's directory has dirLen
	 * = 2^globalDepth entries, each table at most 896 entries (7/8 of 1024 slots): other
	 * readings are no map any more (a small map, dirLen 0, no longer grows: not read).
	 */
	"read count=used size=dirlen check=tables max_load=896 at=exit\n"
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
	/*
	 * A map made, only with --detail (tsgo makes about 26,000 in a run of 10,000 grows):
	 * makemap_small (NewEmptyMap inlined: make() with no hint or one of 8 or less) and
	 * NewMap(typ, hint, m, maxAlloc) (makemap's and reflect's; m is a Map the compiler put on
	 * the stack, or nil: new) each call internal/runtime/maps.rand for the seed once the Map
	 * exists, then in RAX and RCX.  The call is emulated; every instruction after it is
	 * single-stepped.  NewMap has spilled its hint (RBX) to its slot, fp + 16 + 8 x 1.
	 */
	"probe create runtime.makemap_small:call=internal/runtime/maps.rand map=goarg0 "
	"attach=detail\n"
	"probe create internal/runtime/maps.NewMap:call=internal/runtime/maps.rand map=goarg2 "
	"hint=u64@(fp)+24 attach=detail\n"
	/*
	 * maps.Clone from Go 1.25 (Go 1.24's calls makemap): (*Map).Clone's one new(Map), in RAX
	 * where runtime.newobject returns (a mov: single-stepped; tsgo clones about 1,800 maps)
	 */
	"probe create internal/runtime/maps.(*Map).Clone>runtime.newobject:ret map=ret "
	"attach=detail\n"
	"probe grow_begin internal/runtime/maps.(*table).split map=goarg2 size=u16@(goarg0)+2 "
	"new_size=const:2048 count=used depth=depth type=goarg1\n"
	"probe grow_end internal/runtime/maps.(*table).split:ret\n"
	/*
	 * sync.Mutex wraps internal/sync.Mutex (at the same address) from Go 1.24: its lockSlow(m)
	 * runs only when Lock's CAS failed.  Timed from its entry to its epilogue, per goroutine.
	 * RWMutex is {w Mutex; writerSem, readerSem uint32; readerCount, readerWait atomic.Int32}
	 * (src/sync/rwmutex.go): a writer behind a writer is lockSlow(&rw.w) called from
	 * RWMutex.Lock (Mutex.Lock is inlined there), at rw + 0.
	 */
	"probe lock internal/sync.(*Mutex).lockSlow lock=goarg0 not_from=sync.(*RWMutex).Lock\n"
	"probe lock internal/sync.(*Mutex).lockSlow lock=goarg0 mode=write "
	"from=sync.(*RWMutex).Lock\n"
	"probe lock_end internal/sync.(*Mutex).lockSlow:ret goid=goid\n"
	/*
	 * The RWMutex's other waits park in a semacquire of their own, each with one caller
	 * (src/runtime/sema.go, linknamed into sync): RLock (inlined into its caller) calls
	 * runtime_SemacquireRWMutexR(&rw.readerSem) (rw + 12), a reader behind a writer; Lock
	 * calls runtime_SemacquireRWMutex(&rw.writerSem) (rw + 8), a writer behind readers.  A
	 * program that never read- or write-locks one has no such function: not needed.
	 */
	"probe lock sync.runtime_SemacquireRWMutexR lock=goarg0-12 mode=read\n"
	"probe lock_end sync.runtime_SemacquireRWMutexR:ret goid=goid\n"
	"probe lock sync.runtime_SemacquireRWMutex lock=goarg0-8 mode=write\n"
	"probe lock_end sync.runtime_SemacquireRWMutex:ret goid=goid\n";

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

/* In this order: --list prints them so. */
const struct profile_builtin profile_builtins[] = {
	{ "glib", builtin_glib },
	{ "redis", builtin_redis },
	{ "go", builtin_go },
	{ "gosync", builtin_gosync },
	{ "libstdc++", builtin_cxx },
	{ "goswiss", builtin_goswiss },
	{ "libstdc++-rehash", builtin_cxx_rehash },
	{ NULL, NULL },
};
