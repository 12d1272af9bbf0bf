// SPDX-License-Identifier: MIT
/* Sinks: the calls that feed one, and a tee that feeds two.  See sink.h. */
#include <errno.h>
#include "sink.h"

#define CALL(s, op, ...) ((s)->ops->op ? (s)->ops->op((s)->ctx, __VA_ARGS__) : 0)

int sink__info(const struct sink *s, const struct run_info *info)
{
	return CALL(s, info, info);
}

int sink__stack(const struct sink *s, int idx, const struct mt_frame *frames, int nframes)
{
	/* a sink that keeps no stacks keeps the number it was given, or says there is none */
	if (!s->ops->stack)
		return idx;
	return s->ops->stack(s->ctx, idx, frames, nframes);
}

int sink__event(const struct sink *s, const struct mt_hdr *rec, const struct mt_event *ev,
		int stack)
{
	return CALL(s, event, rec, ev, stack);
}

int sink__name_map(const struct sink *s, __u64 map, const char *name)
{
	return CALL(s, name_map, map, name);
}

int sink__go_type(const struct sink *s, __u64 map, const char *type)
{
	return CALL(s, go_type, map, type);
}

int sink__alias_lock(const struct sink *s, __u64 word, __u64 lock, const char *name)
{
	return CALL(s, alias_lock, word, lock, name);
}

int sink__counts(const struct sink *s, __u64 map, const struct mt_map_counts *c)
{
	return CALL(s, counts, map, c);
}

int sink__lib_counts(const struct sink *s, __u64 map, const struct mt_ev_lib_counts *c)
{
	return CALL(s, lib_counts, map, c);
}

int sink__dropped(const struct sink *s, const __u64 dropped[MT_DROP_MAX])
{
	return CALL(s, dropped, dropped);
}

int sink__end(const struct sink *s, const struct run_info *info)
{
	return CALL(s, end, info);
}

/* Run @call on the second sink unless it failed before; keep its first error. */
#define TEE_SECOND(t, call)                                                                        \
	do {                                                                                       \
		if (!(t)->second_err) {                                                            \
			int e2 = (call);                                                           \
			(t)->second_err = e2 < 0 ? e2 : 0;                                         \
		}                                                                                  \
	} while (0)

static int tee_info(void *ctx, const struct run_info *info)
{
	struct sink_tee *t = ctx;
	int err = sink__info(&t->first, info);

	if (!err)
		TEE_SECOND(t, sink__info(&t->second, info));
	return err;
}

static int tee_stack(void *ctx, int idx, const struct mt_frame *frames, int nframes)
{
	struct sink_tee *t = ctx;
	int first = sink__stack(&t->first, idx, frames, nframes);

	if (first >= 0)
		TEE_SECOND(t, sink__stack(&t->second, first, frames, nframes));
	return first;
}

static int tee_event(void *ctx, const struct mt_hdr *rec, const struct mt_event *ev, int stack)
{
	struct sink_tee *t = ctx;
	int err = sink__event(&t->first, rec, ev, stack);

	if (!err)
		TEE_SECOND(t, sink__event(&t->second, rec, ev, stack));
	return err;
}

static int tee_name_map(void *ctx, __u64 map, const char *name)
{
	struct sink_tee *t = ctx;
	int err = sink__name_map(&t->first, map, name);

	if (!err)
		TEE_SECOND(t, sink__name_map(&t->second, map, name));
	return err;
}

static int tee_go_type(void *ctx, __u64 map, const char *type)
{
	struct sink_tee *t = ctx;
	int err = sink__go_type(&t->first, map, type);

	if (!err)
		TEE_SECOND(t, sink__go_type(&t->second, map, type));
	return err;
}

static int tee_alias_lock(void *ctx, __u64 word, __u64 lock, const char *name)
{
	struct sink_tee *t = ctx;
	int err = sink__alias_lock(&t->first, word, lock, name);

	if (!err)
		TEE_SECOND(t, sink__alias_lock(&t->second, word, lock, name));
	return err;
}

static int tee_counts(void *ctx, __u64 map, const struct mt_map_counts *c)
{
	struct sink_tee *t = ctx;
	int err = sink__counts(&t->first, map, c);

	if (!err)
		TEE_SECOND(t, sink__counts(&t->second, map, c));
	return err;
}

static int tee_lib_counts(void *ctx, __u64 map, const struct mt_ev_lib_counts *c)
{
	struct sink_tee *t = ctx;
	int err = sink__lib_counts(&t->first, map, c);

	if (!err)
		TEE_SECOND(t, sink__lib_counts(&t->second, map, c));
	return err;
}

static int tee_dropped(void *ctx, const __u64 dropped[MT_DROP_MAX])
{
	struct sink_tee *t = ctx;
	int err = sink__dropped(&t->first, dropped);

	if (!err)
		TEE_SECOND(t, sink__dropped(&t->second, dropped));
	return err;
}

static int tee_end(void *ctx, const struct run_info *info)
{
	struct sink_tee *t = ctx;
	int err = sink__end(&t->first, info);

	if (!err)
		TEE_SECOND(t, sink__end(&t->second, info));
	return err;
}

static const struct sink_ops tee_ops = {
	.info = tee_info,
	.stack = tee_stack,
	.event = tee_event,
	.name_map = tee_name_map,
	.go_type = tee_go_type,
	.alias_lock = tee_alias_lock,
	.counts = tee_counts,
	.lib_counts = tee_lib_counts,
	.dropped = tee_dropped,
	.end = tee_end,
};

void sink_tee__init(struct sink_tee *tee, struct sink first, struct sink second,
		    struct sink *out)
{
	*tee = (struct sink_tee){ .first = first, .second = second };
	*out = (struct sink){ .ops = &tee_ops, .ctx = tee };
}
