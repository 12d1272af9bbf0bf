// SPDX-License-Identifier: MIT
/* The width of the terminal and whether to colour it (term.h). */
#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include "term.h"

static int clamp_width(long w)
{
	if (w < TERM_MIN_WIDTH)
		return TERM_MIN_WIDTH;
	return w > TERM_MAX_WIDTH ? TERM_MAX_WIDTH : (int)w;
}

int term__width(int fd)
{
	const char *s = getenv("COLUMNS");
	struct winsize ws;

	/* a user's COLUMNS wins, as in perf: it is how a script asks for a width */
	if (s && *s) {
		char *end;
		long w;

		errno = 0;
		w = strtol(s, &end, 10);
		if (!errno && !*end && w > 0)
			return clamp_width(w);
	}
	if (!ioctl(fd, TIOCGWINSZ, &ws) && ws.ws_col)
		return clamp_width(ws.ws_col);
	return TERM_DEFAULT_WIDTH;
}

bool term__color(int fd)
{
	const char *no = getenv("NO_COLOR");

	return isatty(fd) && !(no && *no);
}
