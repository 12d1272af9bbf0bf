// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Separate debug files, shared by the symbolizer (names and lines of stack frames) and elfsym
 * (symbols to attach uprobes to): one search order, one acceptance rule.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <elfutils/libdwelf.h>
#include <gelf.h>
#include <zlib.h>

#include "debugfile.h"
#include "util.h"

#define DEBUG_ROOT "/usr/lib/debug"

/* What a candidate is checked against; @self NULL when any file will do (dwz alt files). */
struct want {
	const char *build_id;
	const struct debugfile_query *self;
};

Elf *debugfile__elf_begin(int fd)
{
	Elf *elf = elf_begin(fd, ELF_C_READ_MMAP, NULL);

	if (!elf)
		return NULL;
	/* Detach from the fd so a long-lived cache does not hold one fd per file. */
	if (elf_kind(elf) != ELF_K_ELF || elf_cntl(elf, ELF_C_FDREAD) != 0) {
		elf_end(elf);
		return NULL;
	}
	return elf;
}

Elf_Scn *debugfile__section(Elf *elf, const char *name)
{
	Elf_Scn *scn = NULL;
	size_t shstrndx;
	GElf_Shdr shdr;
	const char *n;

	if (elf_getshdrstrndx(elf, &shstrndx) != 0)
		return NULL;
	while ((scn = elf_nextscn(elf, scn))) {
		if (!gelf_getshdr(scn, &shdr))
			continue;
		n = elf_strptr(elf, shstrndx, shdr.sh_name);
		if (n && strcmp(n, name) == 0)
			return scn;
	}
	return NULL;
}

bool debugfile__has_symtab(Elf *elf)
{
	Elf_Scn *scn = NULL;
	GElf_Shdr shdr;

	while ((scn = elf_nextscn(elf, scn)))
		if (gelf_getshdr(scn, &shdr) && shdr.sh_type == SHT_SYMTAB)
			return true;
	return false;
}

bool debugfile__has_dwarf(Elf *elf)
{
	Elf_Scn *scn = debugfile__section(elf, ".debug_info");
	GElf_Shdr shdr;

	if (!scn)
		scn = debugfile__section(elf, ".zdebug_info");
	/* a NOBITS .debug_info is a placeholder some strippers leave, not debug info */
	return scn && gelf_getshdr(scn, &shdr) && shdr.sh_type != SHT_NOBITS;
}

void debugfile__build_id(Elf *elf, char hex[DEBUGFILE_BUILD_ID_HEX])
{
	const unsigned char *id;
	ssize_t len;
	int i;

	hex[0] = '\0';
	len = dwelf_elf_gnu_build_id(elf, (const void **)&id);
	if (len <= 0)
		return;
	if (len > DEBUGFILE_BUILD_ID_MAX)
		len = DEBUGFILE_BUILD_ID_MAX;
	for (i = 0; i < len; i++)
		sprintf(hex + 2 * i, "%02x", id[i]);
}

static bool crc_matches(int fd, GElf_Word want)
{
	unsigned char buf[65536];
	uLong crc = crc32(0, Z_NULL, 0);
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return false;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		crc = crc32(crc, buf, (uInt)n);
	return n == 0 && (GElf_Word)crc == want;
}

static void set_path(char *out, size_t len, const char *path)
{
	if (out && len)
		snprintf(out, len, "%s", path);
}

/*
 * Open a candidate, accepting it only when it provably belongs to the wanted file: the same
 * build-id when both have one, else the CRC recorded in .gnu_debuglink (@crc non-NULL).
 */
static Elf *open_candidate(const struct want *w, const char *path, const GElf_Word *crc)
{
	char id[DEBUGFILE_BUILD_ID_HEX];
	struct stat st;
	Elf *elf = NULL;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto cleanup;
	/* an unstripped file whose link names itself would pass the build-id check */
	if (w->self && st.st_dev == w->self->dev && st.st_ino == w->self->ino)
		goto cleanup;
	elf = debugfile__elf_begin(fd);
	if (!elf)
		goto cleanup;
	debugfile__build_id(elf, id);
	if (w->build_id[0] && id[0]) {
		if (strcmp(id, w->build_id) != 0)
			goto reject;
	} else if (!crc || !crc_matches(fd, *crc)) {
		/* the CRC reads the whole file: only when there is no build-id to compare */
		goto reject;
	}
	if (debugfile__has_symtab(elf) || debugfile__has_dwarf(elf))
		goto cleanup;
reject:
	elf_end(elf);
	elf = NULL;
cleanup:
	close(fd);
	return elf;
}

static Elf *find_by_build_id(const struct want *w, const char *root, char *out, size_t len)
{
	const char *id = w->build_id;
	char path[PATH_MAX];
	Elf *elf;

	if (!id[0] || !id[1] || !id[2])
		return NULL;
	snprintf(path, sizeof(path), "%s" DEBUG_ROOT "/.build-id/%.2s/%s.debug", root, id, id + 2);
	elf = open_candidate(w, path, NULL);
	if (elf)
		set_path(out, len, path);
	if (elf || !root[0])
		return elf;
	/* The host's debug packages are safe to use for a container's file: the id must match. */
	snprintf(path, sizeof(path), DEBUG_ROOT "/.build-id/%.2s/%s.debug", id, id + 2);
	elf = open_candidate(w, path, NULL);
	if (elf)
		set_path(out, len, path);
	return elf;
}

int debugfile__open(const struct debugfile_query *q, Elf **out, char *path, size_t len)
{
	const char *roots[] = {q->root, ""};
	struct want w = {.build_id = q->build_id, .self = q};
	const char *link, *slash;
	char cand[PATH_MAX];
	GElf_Word crc;
	int dirlen, i;
	size_t r;

	*out = find_by_build_id(&w, q->root, path, len);
	if (*out)
		return 0;
	link = dwelf_elf_gnu_debuglink(q->elf, &crc);
	slash = strrchr(q->path, '/');
	if (!link || !link[0] || !slash)
		return -ENOENT;
	dirlen = (int)(slash - q->path);
	/*
	 * gdb's order: beside the file, in .debug/ beside it, under the global debug dir; first as
	 * the target sees them, then as we do (a chrooted target's maps show our paths).
	 */
	for (r = 0; r < ARRAY_SIZE(roots); r++) {
		for (i = 0; i < 3; i++) {
			if (i == 0)
				snprintf(cand, sizeof(cand), "%s%.*s/%s", roots[r], dirlen, q->path,
					 link);
			else if (i == 1)
				snprintf(cand, sizeof(cand), "%s%.*s/.debug/%s", roots[r], dirlen,
					 q->path, link);
			else
				snprintf(cand, sizeof(cand), "%s" DEBUG_ROOT "%.*s/%s", roots[r],
					 dirlen, q->path, link);
			*out = open_candidate(&w, cand, &crc);
			if (*out) {
				set_path(path, len, cand);
				return 0;
			}
		}
	}
	return -ENOENT;
}

int debugfile__open_alt(Elf *dwarf_elf, const char *root, Elf **out)
{
	char id[DEBUGFILE_BUILD_ID_HEX], path[PATH_MAX];
	/* The alt file's build-id is its identity; open_candidate checks it against this. */
	struct want w = {.build_id = id};
	const unsigned char *raw;
	const char *name;
	size_t namelen, len, i;
	Elf_Data *data;
	Elf_Scn *scn;

	*out = NULL;
	scn = debugfile__section(dwarf_elf, ".gnu_debugaltlink");
	data = scn ? elf_getdata(scn, NULL) : NULL;
	if (!data || !data->d_buf || !data->d_size)
		return -ENOENT;
	/* the section is the file name, a NUL, and the build-id bytes */
	name = data->d_buf;
	namelen = strnlen(name, data->d_size);
	if (namelen + 1 >= data->d_size)
		return -ENOENT;
	raw = (const unsigned char *)name + namelen + 1;
	len = data->d_size - namelen - 1;
	if (len > DEBUGFILE_BUILD_ID_MAX)
		return -ENOENT;
	for (i = 0; i < len; i++)
		sprintf(id + 2 * i, "%02x", raw[i]);
	*out = find_by_build_id(&w, root, NULL, 0);
	if (!*out && name[0] == '/') {
		snprintf(path, sizeof(path), "%s%s", root, name);
		*out = open_candidate(&w, path, NULL);
	}
	return *out ? 0 : -ENOENT;
}
