// SPDX-License-Identifier: MIT
/*
 * Probe profiles without BPF: parsing of the built-in profiles, --probe and --profile files,
 * the specs each probe turns into, and planning against this very process (its own functions
 * resolved to the file offsets nm and readelf give).
 */
/* timeout: 60 */
#include <stdint.h>
#include <stdlib.h>
#include <sys/stat.h>
#include "profile.h"
#include "profile_int.h"
#include "target.h"
#include "../tap.h"

/* A function of this executable for the planner to find. */
__attribute__((noinline, used)) int profile_fixture_resize(void *map, unsigned long n)
{
	return (int)(n + (uintptr_t)map);
}

/* A caller for from=: the planner finds it by name. */
__attribute__((noinline, used)) int profile_fixture_caller(void *map)
{
	return profile_fixture_resize(map, 1) + 1;
}

static struct profile_set *parse(const char *const *files, int nfiles, const char *const *probes,
				 int nprobes, int *err)
{
	struct profile_set *ps = NULL;

	*err = profile_set__new(files, nfiles, probes, nprobes, &ps);
	return ps;
}

/*
 * profile_set__new() with stderr caught: the set is freed, the message it printed left in @msg.
 * Return: its error.
 */
static int parse_msg(const char *const *files, int nfiles, const char *const *probes, int nprobes,
		     char *msg, size_t len)
{
	FILE *tmp = tmpfile();
	int saved = dup(2), err;
	size_t n;

	if (!tmp || saved < 0)
		abort();
	fflush(stderr);
	dup2(fileno(tmp), 2);
	profile_set__free(parse(files, nfiles, probes, nprobes, &err));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(msg, 1, len - 1, tmp);
	msg[n] = '\0';
	fclose(tmp);
	return err;
}

/* One line ending in a newline, holding @want. */
static bool one_line(const char *msg, const char *want)
{
	const char *nl = strchr(msg, '\n');

	return strstr(msg, want) && nl && !nl[1];
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (!f || fputs(text, f) < 0 || fclose(f))
		abort();
}

static const struct plan_site *find_site(const struct probe_plan *p, const char *sym)
{
	for (int i = 0; p && i < p->nmodules; i++)
		for (int j = 0; j < p->modules[i].nsites; j++)
			if (!strcmp(p->modules[i].sites[j].sym, sym))
				return &p->modules[i].sites[j];
	return NULL;
}

/* The file offset of @sym in @exe, as nm and readelf's segments give it. */
/* The address and size `nm -S` gives @sym in @exe (0 when it cannot). */
static unsigned long long nm_vaddr(const char *exe, const char *sym, unsigned long long *size)
{
	char cmd[2048];
	unsigned long long v = 0;
	FILE *f;

	*size = 0;
	snprintf(cmd, sizeof(cmd), "nm -S %s | awk '$4 == \"%s\" { print $1, $2 }'", exe, sym);
	f = popen(cmd, "r");
	if (!f || fscanf(f, "%llx %llx", &v, size) != 2)
		v = 0;
	if (f)
		pclose(f);
	return v;
}

static unsigned long long nm_offset(const char *exe, const char *sym)
{
	char cmd[2048];
	unsigned long long v = 0, off = 0, vaddr = 0, filesz = 0;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "nm %s | awk '$3 == \"%s\" { print $1 }'", exe, sym);
	f = popen(cmd, "r");
	if (!f || fscanf(f, "%llx", &v) != 1)
		v = 0;
	if (f)
		pclose(f);
	snprintf(cmd, sizeof(cmd),
		 "readelf -lW %s | awk '$1 == \"LOAD\" && / R E / { print $2, $3, $5 }'", exe);
	f = popen(cmd, "r");
	if (!f || fscanf(f, "%llx %llx %llx", &off, &vaddr, &filesz) != 3)
		return 0;
	pclose(f);
	return v - vaddr + off;
}

/* The built-in profile @name's field-set pattern for Go version @ver, "-" when none. */
static const char *go_fields(const struct profile_set *ps, const char *name, const char *ver)
{
	for (int i = 0; ps && i < ps->n; i++) {
		const struct fieldset *fs;

		if (strcmp(ps->p[i]->name, name))
			continue;
		fs = profile__fieldset(ps->p[i], ver);
		return fs ? fs->glob : "-";
	}
	return "no such profile";
}

/*
 * Which Go releases the Go profiles apply to: the layouts checked (docs/go.md), and no other
 * (an older or newer runtime's maps are another struct: --list names the version instead).
 */
static void test_go_versions(void)
{
	static const struct {
		const char *profile, *ver, *glob;
	} cases[] = {
		{ "go", "go1.19.8", "go1.19*" },
		{ "go", "go1.18.10", "-" },
		{ "go", "go1.20.14", "-" },
		{ "go", "go1.23.12", "-" },
		{ "gosync", "go1.19.13", "go1.19*" },
		{ "gosync", "go1.23.12", "-" },
		{ "goswiss", "go1.23.12", "-" },
		{ "goswiss", "go1.24.6", "go1.24*" },
		{ "goswiss", "go1.25.7", "go1.25*" },
		{ "goswiss", "go1.26.4", "go1.26*" },
		{ "goswiss", "go1.27.0", "-" },
		{ "goswiss", "go1.2", "-" },
		{ "goswiss", "", "-" },
	};
	struct profile_set *ps;
	int err;

	ps = parse(NULL, 0, NULL, 0, &err);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *got = go_fields(ps, cases[i].profile, cases[i].ver);

		check(!strcmp(got, cases[i].glob), "profile %s, Go '%s': fields %s (%s)",
		      cases[i].profile, cases[i].ver, cases[i].glob, got);
	}
	for (int i = 0; ps && i < ps->n; i++)
		if (!strcmp(ps->p[i]->name, "goswiss"))
			check(!strcmp(ps->p[i]->globs, "go1.24*, go1.25*, go1.26*"),
			      "goswiss: a refusal names the versions it knows: '%s'", ps->p[i]->globs);
	profile_set__free(ps);
}

int main(void)
{
	char dir[] = "/tmp/test_profile.XXXXXX", path[256], exe[1024], probe[512];
	struct profile_set *ps;
	struct probe_plan *plan = NULL;
	const struct plan_site *s;
	struct target t = { 0 };
	ssize_t n;
	int err;

	if (!mkdtemp(dir))
		return 1;
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 1;
	exe[n] = '\0';

	/* the built-ins parse, and their names index the records' lib field */
	ps = parse(NULL, 0, NULL, 0, &err);
	check(!err && ps &&
		      !strcmp(profile_set__libraries(ps),
			      "cmap,glib,redis,go,gosync,libstdc++,goswiss,libstdc++-rehash"),
	      "built-in profiles parse: libraries '%s'", ps ? profile_set__libraries(ps) : "");
	/* no probe of theirs sees a map made: their maps are first seen at a resize */
	check(!err && ps && !strcmp(profile_set__unmade(ps), "gosync,libstdc++,libstdc++-rehash"),
	      "built-in profiles with no create probe: '%s'", ps ? profile_set__unmade(ps) : "");
	profile_set__free(ps);

	/* --probe syntax */
	{
		static const struct {
			const char *probe;
			int err;
		} cases[] = {
			{ "grow:libfoo.so:foo_resize:map=arg0,new_size=arg1", 0 },
			{ "insert:libfoo.so:foo_put:map=arg0,size=u32@8", 0 },
			{ "rehash_step:libfoo.so:foo_step:map=arg0,pos=s64@40,size=log2:s8@50", 0 },
			{ "create:libfoo.so:foo_new:map=ret,size=u64@0", 0 },
			{ "resize:libfoo.so:foo_x:map=arg0,size=u64@0,new_size=u64@8|u64@0,ok=ret==0",
			  0 },
			{ "lock:libfoo.so:foo_lock:lock=arg0", 0 },
			{ "lock:libfoo.so:foo_rdlock:lock=arg0,map=arg1,mode=read", 0 },
			{ "lock:libfoo.so:foo_lock:map=arg0", -EINVAL },	 /* no lock */
			{ "lock:libfoo.so:foo_lock:lock=arg0,mode=shared", -EINVAL },
			{ "grow:libfoo.so", -EINVAL },
			{ "explode:libfoo.so:foo:map=arg0", -EINVAL },
			{ "grow:libfoo.so:foo:map=arg9,new_size=arg1", -EINVAL },
			/* Go's register ABI: goarg0..goarg8 */
			{ "grow_begin:app:runtime.hashGrow:map=goarg1,size=u8@9", 0 },
			{ "grow:app:foo:map=goarg8,new_size=goarg0", 0 },
			{ "grow:app:foo:map=goarg9,new_size=goarg0", -EINVAL },
			/* a Go lock: the mutex in goarg0, its end at the ret instructions */
			{ "lock:app:sync.(*Mutex).lockSlow:lock=goarg0", 0 },
			{ "lock_end:app:sync.(*Mutex).lockSlow", 0 },
			/* SYMBOL:ret on the command line, with and without values after it */
			{ "grow_end:libfoo.so:foo_resize:ret", 0 },
			{ "create:libfoo.so:foo_new:ret:map=ret,size=u64@0", 0 },
			{ "lock:app:sync.(*Mutex).lockSlow:lock=goarg9", -EINVAL },
			{ "grow:app:foo:map=goarg,new_size=goarg0", -EINVAL },
			/* a field of what another Go argument points to: a Swiss table's capacity */
			{ "grow:app:foo:map=goarg2,size=u16@(goarg0)+2,new_size=goarg3", 0 },
			/* a Swiss map's directory depth, read where the grow ends; a constant size */
			{ "grow_begin:app:foo:map=goarg2,size=u16@(goarg0)+2,new_size=const:2048,"
			  "depth=u8@32", 0 },
			{ "grow:app:foo:map=goarg2,new_size=goarg3,depth=u8@32", 0 },
			/* attached only without --detail, which attaches a timed pair instead */
			{ "grow:app:foo:map=goarg2,new_size=goarg3,attach=default", 0 },
			{ "grow:app:foo:map=goarg2,size=u16@(goarg9)+2,new_size=goarg3", -EINVAL },
			{ "grow:app:foo:map=goarg2,size=u16@(goarg0+2,new_size=goarg3", -EINVAL },
			{ "grow:app:foo:map=goarg2,size=u16@2(arg0),new_size=goarg3", -EINVAL },
			{ "grow:libfoo.so:foo:map=arg0", -EINVAL },	/* no new_size */
			{ "insert:libfoo.so:foo:size=u64@0", -EINVAL }, /* no map */
			{ "insert:libfoo.so:foo:map=ret", -EINVAL },	/* ret only for create */
			{ "insert:libfoo.so:foo:map=arg0,size=f64@0", -EINVAL },
			{ "insert:libfoo.so:foo:map=arg0,size=nosuchfield", -EINVAL },
			{ "rehash_step:libfoo.so:foo:map=arg0,size=u64@0", -EINVAL }, /* no pos */
			{ "resize:libfoo.so:foo:map=arg0,new_size=arg1,ok=ret<0", -EINVAL },
			/* read: fields only, each key once, and a probe to find the maps */
			{ "read:libfoo.so:count=u64@24+u64@32,pos=s64@40,size=log2:s8@50", -EINVAL },
			/* reaching into structs: an argument plus an offset, a field at one */
			{ "grow:libfoo.so:foo:map=arg0-32,size=u64@(arg0-32)+8,new_size=arg1", 0 },
			{ "grow:libfoo.so:foo:base=arg0-32,map=base,size=u64@(base+8),new_size=arg1",
			  0 },
			{ "lock:libfoo.so:foo:lock=arg0+40,map=arg0", 0 },
			{ "lock:libfoo.so:foo:lock=u64@(arg0)+8,map=arg0", 0 },
			{ "grow_begin:libfoo.so:foo:map=arg0-32,size=u64@8,new_size=ret,timed=no", 0 },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *probes[] = { cases[i].probe };

			ps = parse(NULL, 0, probes, 1, &err);
			check(err == cases[i].err, "--probe '%s': %d (want %d)", cases[i].probe, err,
			      cases[i].err);
			profile_set__free(ps);
		}
	}

	/* --profile files: errors name the line */
	{
		static const struct {
			const char *text;
			int err;
			const char *what;
		} cases[] = {
			{ "profile a\nobject a\nprobe insert a_put map=arg0\n", 0, "minimal" },
			{ "object a\n", -EINVAL, "no profile line first" },
			{ "profile a\nobject a\n", -EINVAL, "no probe" },
			{ "profile a\nprobe insert a_put map=arg0\n", -EINVAL, "no object" },
			{ "profile a\nobject a\nfrobnicate\n", -EINVAL, "unknown directive" },
			{ "profile a\nobject a\nversion maybe\nprobe insert f map=arg0\n", -EINVAL,
			  "bad version kind" },
			{ "profile a\nobject a\nfields 1.* size=u64\nprobe insert f map=arg0\n", -EINVAL,
			  "field without offset" },
			{ "profile a\nobject a\nfields 1.* size=u64@0\n"
			  "probe insert f map=arg0 size=size\n",
			  0, "a named field" },
			{ "profile a\nobject a\nfields 1.* size=u64@0\n"
			  "probe insert f map=arg0 size=other\n",
			  -EINVAL, "an undefined field name" },
			{ "profile glib\nobject x\nprobe insert f map=arg0\n", 0,
			  "the name of a built-in replaces it" },
			{ "profile a\nobject a\nprobe insert f map=arg0\n"
			  "profile a\nobject b\nprobe insert g map=arg0\n",
			  -EINVAL, "two profiles of one name" },
			{ "profile a\nobject a\nfields * n=u32@16 s=u64@0 p=s64@40\n"
			  "probe create f map=ret\nread count=n size=s pos=p\n",
			  0, "a read line of named fields" },
			{ "profile a\nobject a\nprobe create f map=ret\n"
			  "read count=u64@24+u64@32 size=log2:s8@50|log2:s8@51\n",
			  0, "a read line of inline fields, a sum and an alternative" },
			{ "profile a\nobject a\nprobe create f map=ret\nread count=n\n", -EINVAL,
			  "a read of an undefined field name" },
			{ "profile a\nobject a\nprobe create f map=ret\nread\n", -EINVAL,
			  "an empty read line" },
			{ "profile a\nobject a\nprobe create f map=ret\n"
			  "read count=u64@24 size=u64@8 max_load=64\n",
			  0, "a read line with max_load" },
			{ "profile a\nobject a\nprobe create f map=ret\nread count=u64@24 max_load=64\n",
			  -EINVAL, "max_load without size" },
			{ "profile a\nobject a\nprobe create f map=ret\n"
			  "read count=u64@24 size=u64@8 max_load=0\n",
			  -EINVAL, "max_load 0" },
			{ "profile a\nobject a\nprobe create f map=ret\n"
			  "read count=u64@0 size=u64@24 check=log2:u8@32 max_load=896 at=exit\n",
			  0, "a read line only at the exit, its size checked a second way" },
			{ "profile a\nobject a\nprobe create f map=ret\n"
			  "read count=u64@0 size=u64@24 check=log2:u8@32\n",
			  -EINVAL, "check without max_load" },
			{ "profile a\nobject a\nprobe create f map=ret\n"
			  "read count=u64@0 size=u64@24 check=u8@32|u8@33 max_load=8\n",
			  -EINVAL, "check of two fields" },
			{ "profile a\nobject a\nlayout struct a: size@0 count@8\n"
			  "probe create f map=ret\n",
			  0, "a layout line (free text for --list)" },
			/* a Go lock wait's goroutine id: a field of the g (R14), per version */
			{ "profile a\nobject a\nfields 1.* goid=u64@(g)+152\n"
			  "probe lock_end f:ret goid=goid\n",
			  0, "goid=, a field of the g" },
			{ "profile a\nobject a\nprobe lock_end f:ret goid=u64@(g)+152\n", 0,
			  "goid=, an inline field of the g" },
			{ "profile a\nobject a\nfields 1.* n=u64@0\nfields 2.* goid=u64@(g)+152\n"
			  "probe lock_end f:ret goid=goid\n",
			  0, "goid= that one version's fields lack (that version: no goid)" },
			{ "profile a\nobject a\nfields 1.* goid=u64@(g)+152\n"
			  "probe lock_end f:ret goid=gid\n",
			  -EINVAL, "goid= naming a field no fields line defines" },
			{ "profile a\nobject a\nprobe lock f lock=goarg0 goid=u64@(g)+152\n", -EINVAL,
			  "goid= on a lock (its record is made at lock_end)" },
			{ "profile a\nobject a\nprobe lock_end f:ret goid=u64@152\n", -EINVAL,
			  "goid= of the map, not the g" },
			{ "profile a\nobject a\nprobe lock_end f:ret goid=u64@(goarg0)+152\n",
			  -EINVAL, "goid= at an argument, not the g" },
			{ "profile a\nobject a\nfields 1.* x=u64@(arg0)+8\nprobe insert f map=arg0\n",
			  -EINVAL, "a field at an argument in a fields line" },
			/* a Go map's size hint, where NewMap spilled it: at the frame pointer */
			{ "profile a\nobject a\nprobe create f:call=g map=goarg2 hint=u64@(fp)+24\n",
			  0, "hint= at the frame pointer, on a create" },
		};

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *files[] = { path };

			snprintf(path, sizeof(path), "%s/p%zu.profile", dir, i);
			write_file(path, cases[i].text);
			ps = parse(files, 1, NULL, 0, &err);
			check(err == cases[i].err, "--profile, %s: %d (want %d)", cases[i].what, err,
			      cases[i].err);
			profile_set__free(ps);
		}
		{
			const char *files[] = { "/nonexistent/x.profile" };

			ps = parse(files, 1, NULL, 0, &err);
			check(err == -ENOENT, "--profile of a missing file: %d", err);
			profile_set__free(ps);
		}
	}

	/* --probe refusals name the real problem, in one line */
	{
		static const struct {
			const char *probe, *want;
		} cases[] = {
			{"insert::cmap_put:map=arg0",
			 "--probe 'insert::cmap_put:map=arg0': the object is empty; write "
			 "ROLE:OBJECT:SYMBOL, e.g. insert:libfoo.so:cmap_put:map=arg0"},
			{"insert:libfoo.so::map=arg0",
			 "the symbol is empty; write ROLE:OBJECT:SYMBOL"},
			{"insert:libfoo.so:foo:map=arg0,size=u64@0,when=arg1>99999999999999999999",
			 "at 'when=arg1>99999999999999999999': 99999999999999999999 is out of "
			 "range (a constant is -2147483647..2147483647)"},
			/* the number is wrong whatever 'size' turns out to be */
			{"insert:libfoo.so:foo:map=arg0,size=u64@0,when=size>99999999999999999999",
			 "99999999999999999999 is out of range"},
			{"insert:libfoo.so:foo:map=arg0,size=u64@0,when=(arg1+70000)*2>arg2",
			 "70000 is out of range (an addend is 0..65535)"},
			{"insert:libfoo.so:foo:map=arg0,map=arg1",
			 "at 'map=arg1': map= given twice"},
			{"grow:libfoo.so:foo:map=arg0,size=u64@0,new_size=arg1,old_size=u64@8",
			 "old_size= given twice (first as size=)"},
			{"lock:libfoo.so:foo:lock=arg0,mode=read,mode=write", "mode= given twice"},
			{"grow:libfoo.so:foo:map=arg9,new_size=arg1",
			 "at 'map=arg9': arg9 is not an argument: they are arg0..arg5"},
			{"grow:app:foo:map=goarg12,new_size=arg1",
			 "at 'map=goarg12': goarg12 is not a Go argument: they are goarg0..goarg8"},
			{"insert:libfoo.so:foo:map=arg0,size=nosuchfield",
			 "nosuchfield names a field no 'fields' line defines"},
			{"insert:libfoo.so:foo:map=arg0,size=f64@0", "'f64' is not a type"},
			{"explode:libfoo.so:foo:map=arg0", "unknown role 'explode'"},
			/* the user's report: new_size= demanded, and what was typed quoted */
			{"grow:libfoo.so:foo:map=arg0",
			 "--probe 'grow:libfoo.so:foo:map=arg0': resize (grow) needs new_size=, the "
			 "size it moves to: an argument (new_size=arg1), a field read at return, or "
			 "ret (given: 'map=arg0')"},
			/* values relative to an argument, a named base */
			{"grow:libfoo.so:foo:map=base,new_size=arg1",
			 "at 'map=base': 'base' uses base before base= is given; give base=argN+K "
			 "first"},
			{"grow:libfoo.so:foo:base=arg0,map=base,base=arg1,new_size=arg1",
			 "at 'base=arg1': base= given twice"},
			{"grow:libfoo.so:foo:base=u64@8,map=arg0,new_size=arg1",
			 "at 'base=u64@8': base= is an argument plus or minus an offset"},
			{"grow:libfoo.so:foo:map=arg0-,new_size=arg1",
			 "at 'map=arg0-': 'arg0-' is not arg0-N with N a number"},
			{"grow:libfoo.so:foo:map=arg0+0x100000000,new_size=arg1",
			 "at 'map=arg0+0x100000000': 'arg0+0x100000000': the offset is out of range"},
			{"grow:libfoo.so:foo:map=arg0,new_size=u64@(arg7)+8",
			 "at 'new_size=u64@(arg7)+8': 'u64@(arg7)+8': '(arg7)' is not an argument's "
			 "address"},
			{"grow:libfoo.so:foo:map=arg0,new_size=u64@(arg1)*8",
			 "'u64@(arg1)*8' is not TYPE@(ADDR)+OFFSET: '*8' after the parenthesis"},
			{"grow:libfoo.so:foo:map=arg0,new_size=f64@(arg1)",
			 "at 'new_size=f64@(arg1)': 'f64' is not a type"},
			{"insert:libfoo.so:foo:map=arg0,size=u64@(arg1)",
			 "insert's size= is read again at the return, where the arguments are gone"},
			{"grow:libfoo.so:foo:map=arg0,new_size=arg1,timed=no",
			 "timed= is for grow_begin only (given: 'map=arg0,new_size=arg1,timed=no')"},
			{"grow_begin:libfoo.so:foo:map=arg0,timed=yes", "at 'timed=yes': timed= is no"},
			{"grow_begin:libfoo.so:foo:map=arg0-32,count=u64@(arg0)-8",
			 "grow_begin's count= is read where the resize ends, where the arguments are "
			 "gone: give a field of the map"},
			{"resize:libfoo.so:foo:map=arg0,new_size=u64@8,name=arg1",
			 "resize's name= is read where the resize ends"},
			{"grow_begin:app:foo:map=goarg2,depth=u8@(goarg2)+32",
			 "grow_begin's depth= is read where the resize ends, where the arguments are "
			 "gone: give a field of the map"},
			{"grow:app:foo:map=goarg2,new_size=goarg3,depth=goarg1",
			 "depth= is a field of the map (TYPE@OFFSET), for resize and grow_begin only"},
			{"insert:app:foo:map=goarg2,depth=u8@32",
			 "depth= is a field of the map (TYPE@OFFSET), for resize and grow_begin only"},
			{"insert:libfoo.so:foo:size=u64@0", "insert needs map="},
			{"insert:app:foo:map=goarg0,hint=u64@(fp)+24",
			 "hint= is for create only (the size hint a map was made with)"},
			{"create:libfoo.so:foo:map=ret,hint=arg1",
			 "hint= is read at the probed instruction, where map= must be too: not with "
			 "map=ret"},
			{"create:app:foo:map=goarg0,hint=u64@(sp)+8",
			 "'(sp)' is not an argument's address; write (argN), (argN+K), (argN-K), "
			 "(goargN...), (base...), (g) or (fp)"},
			{"insert:libfoo.so:foo:map=arg0,if=glib_resize",
			 "at 'if=glib_resize': if= and unless= name a located function, e.g. "
			 "@glib_resize"},
			{"insert:libfoo.so:foo:map=arg0,unless=@",
			 "if= and unless= name a located function"},
			{"insert:libfoo.so:foo:map=arg0,if=@a,unless=@a",
			 "at 'unless=@a': if= and unless= together"},
			{"read:libfoo.so:count=arg0", "at 'count=arg0': a read is of the map's own "
						      "fields (TYPE@OFFSET or a field name)"},
			{"read:libfoo.so:count=u64@(goarg0)", "at 'count=u64@(goarg0)': a read is of "
							      "the map's own fields"},
			{"grow:app:foo:map=goarg2,size=u16@(goarg9)+2,new_size=goarg3",
			 "'(goarg9)' is not an argument's address"},
			{"read:libfoo.so:pos=s64@40+s64@48", "at 'pos=s64@40+s64@48': pos= is one field"},
			{"read:libfoo.so:size=u64@0,size=u64@8", "at 'size=u64@8': size= given twice"},
			{"read:libfoo.so:used=u64@24",
			 "at 'used=u64@24': a read is count=FIELD[+FIELD], pos=FIELD, "
			 "size=FIELD[|FIELD], evac=FIELD, same=FIELD&MASK, max_load=N, "
			 "check=FIELD or at=exit"},
			{"read:libfoo.so:evac=u64@24,pos=u64@32",
			 "evac= needs pos= (old buckets evacuated) and size= (the table's size now)"},
			{"read:libfoo.so:same=u8@8&8,pos=u64@32,size=log2:u8@9",
			 "same= needs pos= (old buckets evacuated) and size= (the table's size now) and "
			 "evac="},
			{"read:libfoo.so:evac=u64@24,pos=u64@32,size=log2:u8@9,same=u8@8",
			 "at 'same=u8@8': want same=FIELD&MASK (go: same=flags&8)"},
			{"read:libfoo.so:evac=u64@24|u64@8", "at 'evac=u64@24|u64@8': evac= is one field"},
			{"read:libfoo.so:count=u64@8", "maps are read once a probe finds them; add one"},
			{"read:libfoo.so", "want read:OBJECT:KEY=VALUE,..."},
			{"lock:app:foo:lock=goarg0-x",
			 "at 'lock=goarg0-x': 'goarg0-x' is not goarg0-N with N a number"},
			{"lock:app:foo:lock=arg1*2", "'arg1*2' is not arg1, arg1+N or arg1-N"},
			{"lock:app:foo:lock=goarg0,from=a|",
			 "at 'from=a|': from= and not_from= name one function or two, F|G"},
			{"lock:app:foo:lock=goarg0,from=a|b|c", "name one function or two, F|G"},
			{"lock:app:foo:lock=goarg0,from=a,not_from=b",
			 "at 'not_from=b': from= and not_from= together"},
			{"lock_end:app:f:goid=u64@(goarg0)+8",
			 "goid= is for lock_end, and a field of the goroutine's g (TYPE@(g)+OFFSET"},
			{"create:libfoo.so:foo:map=ret,attach=always",
			 "at 'attach=always': attach= is detail (the probe attaches only with "
			 "--detail)"},
		};
		char msg[2048];

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *probes[] = {cases[i].probe};

			err = parse_msg(NULL, 0, probes, 1, msg, sizeof(msg));
			if (!check(err == -EINVAL && one_line(msg, cases[i].want),
				   "--probe '%s': %d, '%.*s'", cases[i].probe, err,
				   (int)strcspn(msg, "\n"), msg))
				diag("want one line saying '%s'", cases[i].want);
		}
	}

	/* --profile: only a regular file of 1 byte to PROFILE_MAX_BYTES, never waited on */
	{
		char fifo[300], empty[300], comments[300], big[300], full[300], msg[2048];
		const char *profile = "profile a\nobject a\nprobe insert a_put map=arg0\n";
		static char text[PROFILE_MAX_BYTES + 2];
		const struct {
			const char *path, *want;
			int err;
		} cases[] = {
			{fifo, "not a regular file (a FIFO); give a profile file", -EINVAL},
			{dir, "not a regular file (a directory); give a profile file", -EISDIR},
			{"/dev/zero", "not a regular file (a character device)", -EINVAL},
			{"/proc/self/mem", "a /proc file, made by the kernel as it is read",
			 -EINVAL},
			{empty, "empty (0 bytes); give a profile file", -ENODATA},
			{comments,
			 "only comments and blank lines; a profile starts with 'profile NAME'",
			 -EINVAL},
			{big, "too large (1048577 bytes); a profile file is at most 1 MiB", -EFBIG},
			{full, "", 0},
		};

		snprintf(fifo, sizeof(fifo), "%s/fifo.profile", dir);
		snprintf(empty, sizeof(empty), "%s/empty.profile", dir);
		snprintf(comments, sizeof(comments), "%s/comments.profile", dir);
		snprintf(big, sizeof(big), "%s/big.profile", dir);
		snprintf(full, sizeof(full), "%s/full.profile", dir);
		if (mkfifo(fifo, 0600))
			return 1;
		write_file(empty, "");
		write_file(comments, "# a profile, one day\n\n   \n");
		/* a valid profile padded with a comment to the limit, and to one byte more */
		memset(text, '#', PROFILE_MAX_BYTES + 1);
		memcpy(text, profile, strlen(profile));
		text[PROFILE_MAX_BYTES - 1] = '\n';
		text[PROFILE_MAX_BYTES] = '\0';
		write_file(full, text);
		text[PROFILE_MAX_BYTES] = '#';
		write_file(big, text);
		/* a parser that waits on the FIFO is killed by the alarm: a failure, not a hang */
		alarm(20);
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			const char *files[] = {cases[i].path};

			err = parse_msg(files, 1, NULL, 0, msg, sizeof(msg));
			check(err == cases[i].err &&
				      (cases[i].err ? one_line(msg, cases[i].want) : !msg[0]),
			      "--profile %s: %d (want %d), '%.*s'", cases[i].path, err,
			      cases[i].err, (int)strcspn(msg, "\n"), msg);
		}
		alarm(0);
	}

	/* planning against this process: its own function, by the offset nm gives */
	t.pid = getpid();
	snprintf(probe, sizeof(probe),
		 "resize:%s:profile_fixture_resize:map=arg0,size=u64@0,new_size=arg1",
		 strrchr(exe, '/') + 1);
	{
		const char *probes[] = { probe };
		unsigned long long want = nm_offset(exe, "profile_fixture_resize");

		ps = parse(NULL, 0, probes, 1, &err);
		err = err ?: profile_set__plan(ps, &t, &plan);
		s = err ? NULL : find_site(plan, "profile_fixture_resize");
		check(s && s->file_offset == want && want,
		      "plan: profile_fixture_resize at file offset 0x%llx (nm: 0x%llx)",
		      s ? (unsigned long long)s->file_offset : 0, want);
		check(s && s->spec.role == MT_ROLE_RESIZE && s->spec.map.kind == MT_SRC_ARG &&
			      s->spec.map.arg == 0 && s->spec.size.kind == MT_SRC_FIELD &&
			      s->spec.size.width == 8 && s->spec.new_size.kind == MT_SRC_ARG &&
			      s->spec.new_size.arg == 1 && !(s->spec.flags & MT_SPEC_RETURN) &&
			      s->spec.lib == 8,
		      /* after the built-ins cmap, glib, redis, go, gosync, libstdc++, goswiss, libstdc++-rehash */
		      "plan: a resize with its new size in an argument needs no return probe, lib 8");
		check(plan && !plan->fatal && plan->refusals && !plan->refusals[0],
		      "plan: nothing refused");
		check(plan && strstr(plan->log, "profile glib (built-in): not matched: no mapped "
						"object named libglib-2.0.so.0"),
		      "plan: the log says why glib did not match");
		probe_plan__free(plan);
		plan = NULL;
		profile_set__free(ps);
	}
	/* attach=default: the site is planned, and attached only without --detail */
	snprintf(probe, sizeof(probe),
		 "resize:%s:profile_fixture_resize:map=arg0,size=u64@0,new_size=arg1,attach=default",
		 strrchr(exe, '/') + 1);
	{
		const char *probes[] = { probe };
		int n0, n1;

		ps = parse(NULL, 0, probes, 1, &err);
		err = err ?: profile_set__plan(ps, &t, &plan);
		s = err ? NULL : find_site(plan, "profile_fixture_resize");
		n0 = probe_plan__attached(plan, false);
		n1 = probe_plan__attached(plan, true);
		check(s && s->nodetail && !s->detail && n0 == n1 + 1,
		      "plan: attach=default: only without --detail (%d sites without, %d with)", n0, n1);
		probe_plan__free(plan);
		plan = NULL;
		profile_set__free(ps);
	}

	/* struct-relative values become the specs BPF reads: offsets signed, from the argument */
	{
		char p1[512], p2[512], p3[512];
		const char *probes[] = { p1, p2, p3 };
		const struct plan_site *g = NULL, *l = NULL, *z = NULL;

		snprintf(p1, sizeof(p1),
			 "grow_begin:%s:profile_fixture_resize:base=arg1-32,map=base,"
			 "size=u64@(base+8),count=u32@24,new_size=ret,timed=no",
			 strrchr(exe, '/') + 1);
		snprintf(p2, sizeof(p2), "lock:%s:profile_fixture_resize:lock=arg0+40,map=arg0",
			 strrchr(exe, '/') + 1);
		/* an entry-only resize reads its count at entry: it may be at an argument */
		snprintf(p3, sizeof(p3),
			 "resize:%s:profile_fixture_resize:base=arg1-32,map=arg0,new_size=arg2,"
			 "count=s32@(base)-4",
			 strrchr(exe, '/') + 1);
		ps = parse(NULL, 0, probes, 3, &err);
		err = err ?: profile_set__plan(ps, &t, &plan);
		for (int i = 0; !err && i < plan->nmodules; i++)
			for (int j = 0; j < plan->modules[i].nsites; j++) {
				const struct plan_site *x = &plan->modules[i].sites[j];

				if (x->spec.role == MT_ROLE_GROW_BEGIN)
					g = x;
				else if (x->spec.role == MT_ROLE_LOCK)
					l = x;
				else if (x->spec.role == MT_ROLE_RESIZE)
					z = x;
			}
		check(g && g->spec.map.kind == MT_SRC_ARG && g->spec.map.arg == 1 &&
			      (__s32)g->spec.map.off == -32 &&
			      g->spec.size.kind == MT_SRC_ARG_FIELD && g->spec.size.arg == 1 &&
			      (__s32)g->spec.size.off == -24 && g->spec.size.width == 8 &&
			      g->spec.count.kind == MT_SRC_FIELD && g->spec.count.off == 24 &&
			      g->spec.new_size.kind == MT_SRC_RET &&
			      (g->spec.flags & MT_SPEC_UNTIMED) && !(g->spec.flags & MT_SPEC_RETURN),
		      "spec: base=arg1-32: map arg1-32, size 8 bytes at arg1-24, count a field, new "
		      "size ret, untimed");
		check(z && z->spec.count.kind == MT_SRC_ARG_FIELD && z->spec.count.arg == 1 &&
			      (__s32)z->spec.count.off == -36 && z->spec.count.width == 4 &&
			      (z->spec.count.flags & MT_SRC_SIGNED) &&
			      !(z->spec.count.flags & MT_SRC_GOBASE) && !(z->spec.flags & MT_SPEC_RETURN),
		      "spec: count=s32@(base)-4 with base=arg1-32: 4 signed bytes at arg1-36, read at "
		      "entry");
		check(l && l->spec.lock.kind == MT_SRC_ARG && l->spec.lock.arg == 0 &&
			      l->spec.lock.off == 40 && l->spec.map.kind == MT_SRC_ARG &&
			      l->spec.map.off == 0,
		      "spec: lock=arg0+40 is the argument plus 40, the map the argument");
		probe_plan__free(plan);
		plan = NULL;
		profile_set__free(ps);
	}

	/* per-operation roles attach only with --detail; a read line resolves per module */
	{
		char p1[512], p2[512], p3[512];
		const char *probes[] = { p1, p2, p3 };
		const struct plan_read *rd;

		snprintf(p1, sizeof(p1), "insert:%s:profile_fixture_resize:map=arg0",
			 strrchr(exe, '/') + 1);
		snprintf(p2, sizeof(p2), "resize:%s:profile_fixture_resize:map=arg0,new_size=arg1",
			 strrchr(exe, '/') + 1);
		snprintf(p3, sizeof(p3), "read:%s:count=u64@24+u64@32,pos=s64@40,size=log2:s8@50",
			 strrchr(exe, '/') + 1);
		ps = parse(NULL, 0, probes, 3, &err);
		err = err ?: profile_set__plan(ps, &t, &plan);
		check(!err && probe_plan__sites(plan) == 2 && probe_plan__attached(plan, false) == 1 &&
			      probe_plan__attached(plan, true) == 2,
		      "plan: of an insert and a resize, only the resize attaches without --detail");
		check(!err && plan->modules[0].sites[0].detail && !plan->modules[0].sites[1].detail &&
			      strstr(plan->log, "(per operation: only with --detail)"),
		      "plan: the insert is marked detail-only, in --list too");
		probe_plan__free(plan);
		plan = NULL;
		profile_set__free(ps);
		/* from= and not_from=: the callers' ranges, a function the program lacks left out */
		{
			unsigned long long size, at = nm_vaddr(exe, "profile_fixture_caller", &size);
			const char *froms[] = {"from=profile_fixture_caller|nosuchfunction",
					       "from=nosuchfunction", "not_from=nosuchfunction"};
			const char *one[] = {p2};

			for (int i = 0; i < 3; i++) {
				const struct plan_site *fs;

				snprintf(p2, sizeof(p2), "lock:%s:profile_fixture_resize:lock=arg0,%s",
					 strrchr(exe, '/') + 1, froms[i]);
				ps = parse(NULL, 0, one, 1, &err);
				err = err ?: profile_set__plan(ps, &t, &plan);
				fs = err ? NULL : find_site(plan, "profile_fixture_resize");
				if (i == 0)
					check(fs && at && size && fs->spec.nfrom == 1 &&
						      fs->spec.from_lo[0] == at &&
						      fs->spec.from_hi[0] == at + size &&
						      !(fs->spec.flags & MT_SPEC_NOT_FROM) &&
						      fs->spec.site == fs->vaddr &&
						      strstr(plan->log, "(calls from profile_fixture_caller)"),
					      "plan: %s: the caller's range [0x%llx, +0x%llx) per nm, "
					      "the missing one left out", froms[i], at, size);
				else if (i == 1)
					check(!err && !fs && probe_plan__sites(plan) == 0 &&
						      strstr(plan->log, "not needed: lock "),
					      "plan: %s: not needed, no site, no error", froms[i]);
				else
					check(fs && fs->spec.nfrom == 0 &&
						      !(fs->spec.flags & MT_SPEC_NOT_FROM),
					      "plan: %s: every call taken", froms[i]);
				probe_plan__free(plan);
				plan = NULL;
				profile_set__free(ps);
			}
		}
		/* attach=detail: any role attaches only with --detail, said so in --list */
		snprintf(p2, sizeof(p2), "resize:%s:profile_fixture_resize:map=arg0,new_size=arg1,"
			 "attach=detail", strrchr(exe, '/') + 1);
		ps = parse(NULL, 0, probes, 3, &err);
		err = err ?: profile_set__plan(ps, &t, &plan);
		check(!err && probe_plan__sites(plan) == 2 && probe_plan__attached(plan, false) == 0 &&
			      probe_plan__attached(plan, true) == 2 &&
			      plan->modules[0].sites[1].detail &&
			      strstr(plan->log, "resize") &&
			      strstr(strstr(plan->log, "resize"), " (only with --detail)\n"),
		      "plan: a resize with attach=detail attaches only with --detail, in --list too");
		rd = err ? NULL : &plan->modules[0].read;
		check(rd && rd->count[0].kind == MT_SRC_FIELD && rd->count[0].off == 24 &&
			      rd->count[1].off == 32 && rd->pos.off == 40 &&
			      (rd->pos.flags & MT_SRC_SIGNED) && rd->size.off == 50 &&
			      (rd->size.flags & MT_SRC_EXP2) && rd->size_alt.kind == MT_SRC_NONE &&
			      plan_read__any(rd),
		      "plan: the read line's fields: count 24+32, pos 40 signed, size log2 at 50");
		check(!err && strstr(plan->log, "read         count=u64@24+u64@32"),
		      "plan: --list shows the read line");
		probe_plan__free(plan);
		plan = NULL;
		profile_set__free(ps);
	}

	/* a field set for another version: the probe is refused with the reason, fatally */
	snprintf(path, sizeof(path), "%s/v.profile", dir);
	snprintf(probe, sizeof(probe),
		 "profile mine\nobject %s\nversion build-id\nfields 0000* size=u64@0\n"
		 "probe insert profile_fixture_resize map=arg0 size=size\n"
		 "probe lookup profile_fixture_resize map=arg0\n",
		 strrchr(exe, '/') + 1);
	write_file(path, probe);
	{
		const char *files[] = { path };

		ps = parse(files, 1, NULL, 0, &err);
		err = err ?: profile_set__plan(ps, &t, &plan);
		check(!err && plan->fatal == 1 &&
			      strstr(plan->refusals, "the mine profile knows the field offsets of "
						     "0000* only"),
		      "plan: an unknown version refuses the probe that reads a field");
		if (plan && plan->refusals[0])
			diag("refused: %.*s", (int)strcspn(plan->refusals, "\n"), plan->refusals);
		s = plan ? find_site(plan, "profile_fixture_resize") : NULL;
		check(s && s->spec.role == MT_ROLE_LOOKUP && probe_plan__sites(plan) == 1,
		      "plan: the probe without fields still attaches");
		probe_plan__free(plan);
		profile_set__free(ps);
	}
	test_go_versions();
	snprintf(probe, sizeof(probe), "rm -rf %s", dir);
	if (system(probe))
		diag("could not remove %s", dir);
	printf("# %d passed, %d failed\n", passed, failed);
	return failed != 0;
}
