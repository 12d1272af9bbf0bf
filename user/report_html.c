// SPDX-License-Identifier: MIT
/*
 * The "html" backend: one self-contained page, drawn by maptrace, that opens offline in any
 * browser.  Nothing is fetched: the style and a short script are inline, the pictures are
 * inline SVG (report_html_draw.c, report_html_flame.c), tooltips are SVG <title>s.
 *
 * In order: the header (advice first, then target, host, kernel, duration, losses); each map
 * that grew (the top --top, the rest listed) with its entries and capacity over time; each
 * contended lock with its wait histogram, its waits over time and its waiting and holder
 * stacks; two flame graphs (waits by wait time, grows by rehash time; click to zoom, type to
 * search); the summary's tables, sortable by a click on a column.
 *
 * It draws from the event log (REPORT_EVENTS) and gets every row (REPORT_ALL_ROWS): the rows
 * past --top are listed, not drawn.  With --all-waits the wait flame graph has the other futex
 * waits too, as -f folded does.  The script writes the time from navigation to the load event,
 * layout included, into <body data-render-ms> (what the README's load times are).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "report_html.h"
#include "u64map.h"
#include "util.h"

#define TABLE_ROWS_MAX 500 /* rows per table */
#define LINE_BUF 4096

static const char style[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:0 24px 40px;color:#222;max-width:1400px}"
	"h1{font-size:22px;margin:16px 0 8px}h2{font-size:18px;margin:28px 0 8px;"
	"border-bottom:1px solid #ccc}h3{font-size:15px;margin:18px 0 4px}"
	"code,pre,.mono{font-family:ui-monospace,monospace;font-size:12px}"
	"#advice{background:#fff6db;border:1px solid #e8c95a;padding:6px 14px;margin:8px 0}"
	"#advice li{margin:4px 0}table{border-collapse:collapse;margin:6px 0}"
	"td,th{padding:2px 8px;border-bottom:1px solid #eee;text-align:right;white-space:nowrap}"
	"td.l,th.l{text-align:left}table.sort th{cursor:pointer;background:#f3f3f3}"
	"table.sort th:hover{background:#e3e3e3}table.info td{text-align:left}"
	"svg{display:block;width:100%;height:auto;font:11px ui-monospace,monospace}"
	"svg.chart{max-width:1000px}.axis{stroke:#666}.grid{stroke:#eee}"
	".tick{text-anchor:middle;fill:#555}.ytick{text-anchor:end;fill:#555}"
	".count{fill:none;stroke:#1f6fd1;stroke-width:2}.cap{fill:none;stroke:#e07b00;"
	"stroke-width:1.5;stroke-dasharray:5 3}.evac{fill:#c33;opacity:.18}"
	".grow line{stroke:#b00;stroke-width:1}.grow circle{fill:#b00}.grow .hit{fill:transparent}"
	".pt{fill:transparent}.pt:hover{fill:#1f6fd1}.grow:hover line{stroke-width:3}"
	".grow[data-kind=shrink] circle{fill:#070}"
	".bar{fill:#5b8bd0}.bar:hover{fill:#2a5aa0}.pct line{stroke:#c00;stroke-dasharray:4 2}"
	".pct text{fill:#c00}.write{fill:#d0605b}.read{fill:#5b8bd0}.unknown{fill:#aaa}"
	".fr rect{stroke:#fff;stroke-width:.5}.fr:hover rect{stroke:#000}.fr text{fill:#000;"
	"pointer-events:none}.fr{cursor:pointer}.anc rect{opacity:.6}"
	".key span{display:inline-block;width:14px;height:4px;margin:0 4px 3px 12px}"
	"pre.stack{margin:2px 0 8px 16px;background:#f7f7f7;padding:4px 8px}"
	".row{display:flex;gap:20px}.row>div{flex:1;min-width:0}h4{margin:8px 0 2px;font-size:13px}"
	".note{color:#666}.fl-bar{margin:4px 0}.fl-bar input{width:240px}";

static const char script[] =
	"(function(){'use strict';"
	"function fit(t,n,w){var k=Math.floor((w-6)/7);"
	"t.textContent=k<3?'':n.length<=k?n:n.slice(0,k-2)+'..';}"
	"function zoom(s,g){var x0=+g.dataset.x,w0=+g.dataset.w,d0=+g.dataset.d,W=1200;"
	"s.querySelectorAll('g.fr').forEach(function(f){var x=+f.dataset.x,w=+f.dataset.w,"
	"d=+f.dataset.d,r=f.querySelector('rect'),t=f.querySelector('text'),nx=0,nw=-1;"
	"if(d<d0){if(x<=x0&&x+w>=x0+w0)nw=W;}else if(x>=x0&&x+w<=x0+w0){nx=(x-x0)/w0*W;"
	"nw=w/w0*W;}if(nw<0){f.style.display='none';return;}f.style.display='';"
	"r.setAttribute('x',nx);r.setAttribute('width',nw);t.setAttribute('x',nx+3);"
	"fit(t,f.dataset.n,nw);f.classList.toggle('anc',d<d0);});}"
	"function search(s,q,o){q=q.toLowerCase();var iv=[],sum=0,end=-1,"
	"tot=+s.dataset.total;s.querySelectorAll('g.fr').forEach(function(f){"
	"var r=f.querySelector('rect'),m=q!==''&&f.dataset.n.toLowerCase().indexOf(q)>=0;"
	"r.setAttribute('fill',m?'#d05ce3':r.dataset.c);"
	"if(m)iv.push([+f.dataset.x,+f.dataset.x+(+f.dataset.w)]);});"
	"iv.sort(function(a,b){return a[0]-b[0];});iv.forEach(function(v){"
	"if(v[0]>=end){sum+=v[1]-v[0];end=v[1];}else if(v[1]>end){sum+=v[1]-end;end=v[1];}});"
	"o.textContent=q?'matched '+(tot?(100*sum/tot).toFixed(2):'0')+'%':'';}"
	"document.querySelectorAll('svg.flame').forEach(function(s){"
	"s.addEventListener('click',function(e){var g=e.target.closest('g.fr');if(g)zoom(s,g);});"
	"var bar=document.querySelector('[data-for='+s.id+']');if(!bar)return;"
	"var inp=bar.querySelector('input'),o=bar.querySelector('.match');"
	"inp.addEventListener('input',function(){search(s,inp.value,o);});"
	"bar.querySelector('button').addEventListener('click',function(){"
	"var root=s.querySelector('g.fr[data-d=\"0\"]');if(root)zoom(s,root);});});"
	"document.querySelectorAll('table.sort th').forEach(function(th){"
	"th.addEventListener('click',function(){var tb=th.closest('table').tBodies[0],"
	"i=th.cellIndex,dir=th.dataset.dir==='d'?1:-1;th.dataset.dir=dir<0?'d':'a';"
	"var rows=Array.prototype.slice.call(tb.rows);rows.sort(function(a,b){"
	"var x=a.cells[i],y=b.cells[i],u=x.dataset.v,v=y.dataset.v;"
	"return dir*(u!==undefined&&v!==undefined?(+u)-(+v):"
	"x.textContent.localeCompare(y.textContent));});"
	"rows.forEach(function(r){tb.appendChild(r);});});});"
	"window.addEventListener('load',function(){void document.body.offsetHeight;"
	"document.body.setAttribute('data-render-ms',performance.now().toFixed(1));});"
	"})();";

static int top_of(const struct report_opts *o)
{
	/* --top 0: every one */
	return o && o->top > 0 ? o->top : INT_MAX;
}

static bool map_grew(const struct map_report *m)
{
	return m->grows || m->same_size_grows || m->shrinks;
}

/* A library's idle tables (Redis makes a few per client) would bury the others, as in text. */
static bool map_idle(const struct map_report *m)
{
	return m->sizes_in_slots && !m->inserts && !m->deletes && !map_grew(m);
}

static void map_label(struct html *h, const struct map_report *m)
{
	FILE *out = h->out;

	if (m->folded)
		fprintf(out, "%llu freed maps (row %u)", (unsigned long long)m->folded, m->fold_id);
	else
		fprintf(out, "map 0x%llx", (unsigned long long)m->addr);
	if (m->name && m->name[0]) {
		fputs(" ", out);
		html__text(out, m->name);
	}
	fprintf(out, " (%s", m->variant >= 0 ? mt_variant_name(m->variant) :
			      m->library ? m->library : "?");
	if (m->create_seen && m->created_at && m->created_at[0]) {
		fputs(", created at ", out);
		html__text(out, m->created_at);
	}
	fputs(")", out);
}

static const char *size_path(char *buf, size_t size, const struct map_report *m)
{
	int n = m->nsizes < MT_MAX_SIZES ? m->nsizes : MT_MAX_SIZES;
	const char *pre = m->sizes_in_slots ? "" : "2^";

	__u64 top = 0;

	if (n <= 0) {
		snprintf(buf, size, "-");
		return buf;
	}
	for (int i = 0; i < n; i++)
		top = m->sizes[i] > top ? m->sizes[i] : top;
	/* up and down again (GLib shrinks as it empties): first, largest, last, as in text */
	if (top != m->sizes[n - 1])
		snprintf(buf, size, "%s%llu->%s%llu->%s%llu", pre, (unsigned long long)m->sizes[0],
			 pre, (unsigned long long)top, pre, (unsigned long long)m->sizes[n - 1]);
	else
		snprintf(buf, size, "%s%llu->%s%llu", pre, (unsigned long long)m->sizes[0], pre,
			 (unsigned long long)m->sizes[n - 1]);
	return buf;
}

static void header(struct html *h)
{
	const struct report *r = h->r;
	FILE *out = h->out;
	__u64 dropped = report__dropped_total(r);
	char d[16], when[64] = "?";

	if (r->info.start_wall_ns) {
		time_t t = (time_t)(r->info.start_wall_ns / 1000000000ULL);
		struct tm tm;

		if (gmtime_r(&t, &tm))
			strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
	}
	fprintf(out, "<header><h1>maptrace: PID %d (", r->info.pid);
	html__text(out, r->info.comm);
	fputs(")</h1>", out);
	fputs("<section id=\"advice\"><h2>Advice</h2>", out);
	if (!r->nadvice)
		fputs("<p>no advice: nothing in this trace calls for a change</p>", out);
	fputs("<ul>", out);
	for (int i = 0; i < r->nadvice; i++) {
		fputs("<li>", out);
		html__text(out, r->advice[i]);
		fputs("</li>\n", out);
	}
	fputs("</ul></section><table class=\"info\">", out);
	fputs("<tr><th class=\"l\">target</th><td class=\"mono\">", out);
	html__text(out, r->info.cmdline[0] ? r->info.cmdline : r->info.comm);
	fputs("</td></tr><tr><th class=\"l\">host</th><td>", out);
	html__text(out, r->info.hostname);
	fputs("</td></tr><tr><th class=\"l\">kernel</th><td>", out);
	html__text(out, r->info.kernel);
	fprintf(out, "</td></tr><tr><th class=\"l\">started</th><td>%s</td></tr>"
		     "<tr><th class=\"l\">duration</th><td>%s%s</td></tr>"
		     "<tr><th class=\"l\">records</th><td>%llu</td></tr>"
		     "<tr><th class=\"l\">losses</th><td id=\"losses\">",
		when, report__fmt_ns(d, sizeof(d), report__duration_ns(r)),
		r->info.target_exited ? " (the target exited)" : "", (unsigned long long)r->events);
	if (!dropped)
		fputs("none dropped", out);
	else
		fprintf(out, "dropped %llu: %llu records (ring buffer full: a larger "
			     "--ringbuf-mb), %llu stacks, %llu thread-table, %llu map-table "
			     "(--max-maps), %llu allocation; the text summary says what each "
			     "means",
			(unsigned long long)dropped,
			(unsigned long long)r->dropped[MT_DROP_RINGBUF],
			(unsigned long long)r->dropped[MT_DROP_STACK],
			(unsigned long long)r->dropped[MT_DROP_STATE],
			(unsigned long long)r->dropped[MT_DROP_MAPS],
			(unsigned long long)r->dropped[MT_DROP_ALLOC]);
	if (r->events_not_kept)
		fprintf(out, "; %llu events past the event log's cap are counted but not drawn",
			(unsigned long long)r->events_not_kept);
	if (!r->event_log)
		fputs("; no event log: nothing over time can be drawn", out);
	fprintf(out, "</td></tr><tr><th class=\"l\">maptrace</th><td>");
	html__text(out, r->info.version);
	fputs("</td></tr>", out);
	/* what the trace could not see, as the text summary says it */
	if (r->before_attach.maps)
		fprintf(out, "<tr><th class=\"l\">attached late</th><td>%llu %s before "
			     "maptrace attached: grows before that are not seen</td></tr>",
			(unsigned long long)r->before_attach.maps,
			r->before_attach.maps == 1 ? "map existed" : "maps existed");
	if (r->before_attach.unmade)
		fprintf(out,
			"<tr><th class=\"l\">first seen at a resize</th><td>%llu %s (no probe "
			"sees %s made): resizes before attach, if any, are not seen</td></tr>",
			(unsigned long long)r->before_attach.unmade,
			r->before_attach.unmade == 1 ? "map" : "maps",
			r->before_attach.unmade == 1 ? "it" : "them");
	if (report__nothing_seen(r))
		fprintf(out, "<tr><th class=\"l\">nothing seen</th><td>PID %d exited %s after "
			     "maptrace attached; trace it from its start: maptrace [OPTIONS] -- "
			     "CMD</td></tr>",
			r->info.pid, report__fmt_ns(d, sizeof(d), report__duration_ns(r)));
	fputs("</table></header>", out);
}

/*
 * The figures of every row at @addr into @sum: when a map is freed, malloc may give its memory
 * to the next one, so one address can hold many maps one after another (each a row), and the
 * event log names them by address alone.  Return: the rows.
 */
static int addr_sum(const struct report *r, __u64 addr, struct map_report *sum)
{
	int n = 0;

	memset(sum, 0, sizeof(*sum));
	for (int i = 0; i < r->nmaps; i++) {
		const struct map_report *m = &r->maps[i];

		if (m->addr != addr)
			continue;
		n++;
		sum->grows += m->grows;
		sum->same_size_grows += m->same_size_grows;
		sum->shrinks += m->shrinks;
		sum->grow_ns_total += m->grow_ns_total;
		sum->grow_ns_max = m->grow_ns_max > sum->grow_ns_max ? m->grow_ns_max :
								      sum->grow_ns_max;
		sum->moved += m->moved;
	}
	return n;
}

static void map_heading(struct html *h, const struct map_report *m)
{
	char sizes[64], d[16], dmax[16];
	struct map_report sum;
	int n = addr_sum(h->r, m->addr, &sum);

	fputs("<h3>", h->out);
	map_label(h, m);
	if (n > 1)
		fprintf(h->out, " and %d more maps at its address, one after another (freed and "
				"its memory reused)", n - 1);
	fprintf(h->out, "</h3><p>%llu grows (%llu same-size, %llu shrinks), ",
		(unsigned long long)(sum.grows + sum.same_size_grows),
		(unsigned long long)sum.same_size_grows, (unsigned long long)sum.shrinks);
	if (n == 1)
		fprintf(h->out, "%s, ", size_path(sizes, sizeof(sizes), m));
	fprintf(h->out, "%s rehashing, longest step %s",
		report__fmt_ns(d, sizeof(d), sum.grow_ns_total),
		report__fmt_ns(dmax, sizeof(dmax), sum.grow_ns_max));
	/* a profile map's moves are not counted (its rehash steps are) */
	if (!m->sizes_in_slots || sum.moved)
		fprintf(h->out, ", %llu entries moved", (unsigned long long)sum.moved);
	fputs("</p>", h->out);
}

/* One chart per address of a map that grew, the --top costliest; the other addresses listed. */
static int maps_section(struct html *h, const struct report_opts *o)
{
	const struct report *r = h->r;
	struct u64map seen = {};
	int shown = 0, rest = 0, err = 0;

	fputs("<section id=\"maps\"><h2>Maps over time</h2>", h->out);
	fputs("<p class=\"key note\"><span style=\"background:#1f6fd1\"></span>entries"
	      "<span style=\"background:#e07b00\"></span>capacity (entries before the next grow; "
	      "a profile map's slots)<span style=\"background:#f2c4c4;height:10px\"></span>"
	      "evacuation or incremental rehash in progress; a red mark per grow (hover for its "
	      "duration, size step and stack)</p>", h->out);
	for (int i = 0; i < r->nmaps && !err; i++) {
		const struct map_report *m = &r->maps[i];

		if (!map_grew(m) || u64map__get(&seen, m->addr, NULL))
			continue;
		err = u64map__put(&seen, m->addr, 1);
		if (err)
			break;
		if (shown >= top_of(o)) {
			if (!rest++)
				fprintf(h->out, "<p>more maps grew (not drawn, --top %d): ",
					top_of(o));
			fprintf(h->out, "<span class=\"mono\">0x%llx</span> (%llu) ",
				(unsigned long long)m->addr, (unsigned long long)m->grows);
			continue;
		}
		shown++;
		map_heading(h, m);
		err = html__map_chart(h, m);
	}
	if (rest)
		fputs("</p>", h->out);
	if (!shown)
		fputs("<p>no map grew during the trace</p>", h->out);
	fputs("</section>", h->out);
	u64map__free(&seen);
	return err;
}

static void lock_title(struct html *h, const struct lock_report *l)
{
	char label[256];

	fprintf(h->out, "%s ", mt_lock_kind_name(l->kind));
	html__text(h->out, report__lock_label(label, sizeof(label), l));
	if (l->map)
		fprintf(h->out, " guarding map 0x%llx", (unsigned long long)l->map);
}

static void lock_stacks(struct html *h, const struct lock_report *l)
{
	char d[16];

	fprintf(h->out, "<details open><summary>waiting stacks (%d)</summary>", l->ntop);
	for (int k = 0; k < l->ntop; k++) {
		fprintf(h->out, "<div>#%d: %llu waits, %s</div>", k + 1,
			(unsigned long long)l->top_stacks[k].count,
			report__fmt_ns(d, sizeof(d), l->top_stacks[k].ns));
		html__stack(h, l->top_stacks[k].stack);
	}
	fprintf(h->out, "</details><details open><summary>holder stacks: the releases that woke "
			"a waiter (%d stacks, %llu wakes)</summary>",
		l->nholders, (unsigned long long)l->holder_wakes);
	for (int k = 0; k < l->nholders; k++) {
		fprintf(h->out, "<div>#%d: %llu waking releases</div>", k + 1,
			(unsigned long long)l->holder_stacks[k].count);
		html__stack(h, l->holder_stacks[k].stack);
	}
	fputs("</details>", h->out);
}

static void locks_section(struct html *h, const struct report_opts *o)
{
	const struct report *r = h->r;
	char a[16], b[16], c[16], d[16], e[16], f[16];
	int shown = 0;

	fputs("<section id=\"locks\"><h2>Contended locks</h2>", h->out);
	for (int i = 0; i < r->nlocks; i++) {
		const struct lock_report *l = &r->locks[i];

		if (!l->contentions)
			continue;
		if (shown++ >= top_of(o)) {
			fprintf(h->out, "<p>also contended (not drawn, --top %d): ", top_of(o));
			for (int j = i; j < r->nlocks; j++)
				if (r->locks[j].contentions)
					fprintf(h->out,
						"<span class=\"mono\">0x%llx</span> (%llu waits) ",
						(unsigned long long)r->locks[j].addr,
						(unsigned long long)r->locks[j].contentions);
			fputs("</p>", h->out);
			break;
		}
		fprintf(h->out, "<div class=\"lock\" data-lock=\"0x%llx\"><h3>",
			(unsigned long long)l->addr);
		lock_title(h, l);
		fprintf(h->out, "</h3><p>%llu waits, %s waiting; P50 %s, P99 %s, max %s; "
				"read: %llu waits, %s; write: %llu waits, %s</p>",
			(unsigned long long)l->contentions,
			report__fmt_ns(a, sizeof(a), l->wait_ns),
			report__fmt_ns(b, sizeof(b), l->p50_ns),
			report__fmt_ns(c, sizeof(c), l->p99_ns),
			report__fmt_ns(d, sizeof(d), l->max_ns),
			(unsigned long long)l->read_contentions,
			report__fmt_ns(e, sizeof(e), l->read_wait_ns),
			(unsigned long long)l->write_contentions,
			report__fmt_ns(f, sizeof(f), l->write_wait_ns));
		fputs("<div class=\"row\"><div><h4>wait time histogram (log2 buckets)</h4>",
		      h->out);
		html__lock_hist(h, l);
		fputs("</div><div><h4>waits over time, by where they began: "
		      "<span class=\"key note\"><span style=\"background:#d0605b\"></span>write"
		      "<span style=\"background:#5b8bd0\"></span>read<span style=\"background:"
		      "#aaa\"></span>mode not recorded</span></h4>", h->out);
		html__lock_timeline(h, l);
		fputs("</div></div>", h->out);
		lock_stacks(h, l);
		fputs("</div>", h->out);
	}
	if (!shown)
		fputs("<p>no contended lock</p>", h->out);
	fputs("</section>", h->out);
}

static int flames_section(struct html *h)
{
	static const struct {
		enum report_what what;
		const char *id, *title;
	} fl[] = {
		{ REPORT_WHAT_LOCKS, "flame-waits", "Lock waits, by wait time" },
		{ REPORT_WHAT_GROWS, "flame-grows",
		  "Grows, by rehash time (grow plus evacuation)" },
	};
	int err = 0;

	fputs("<section id=\"flames\"><h2>Flame graphs</h2><p class=\"note\">The stacks of the "
	      "folded output (-f folded), root at the bottom. Click a frame to zoom into it, type "
	      "to highlight the frames whose name contains the text.</p>", h->out);
	for (size_t i = 0; i < ARRAY_SIZE(fl) && !err; i++) {
		fprintf(h->out, "<h3>%s</h3><div class=\"fl-bar\" data-for=\"%s\"><input "
				"type=\"search\" placeholder=\"search\" aria-label=\"search\"> "
				"<button type=\"button\">reset zoom</button> <span class=\"match\">"
				"</span></div>",
			fl[i].title, fl[i].id);
		err = html__flame(h, fl[i].what, fl[i].id);
	}
	fputs("</section>", h->out);
	return err;
}

/* A numeric cell: sorted by @v, showing @text. */
static void td_num(FILE *out, __u64 v, const char *text)
{
	fprintf(out, "<td data-v=\"%llu\">%s</td>", (unsigned long long)v, text);
}

static void td_u64(FILE *out, __u64 v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%llu", (unsigned long long)v);
	td_num(out, v, buf);
}

static void td_ns(FILE *out, __u64 ns)
{
	char buf[16];

	td_num(out, ns, report__fmt_ns(buf, sizeof(buf), ns));
}

static void th_row(FILE *out, const char *const *heads, size_t n)
{
	fputs("<thead><tr>", out);
	for (size_t i = 0; i < n; i++)
		fprintf(out, "<th%s>%s</th>", heads[i][0] == '<' ? " class=\"l\"" : "",
			heads[i][0] == '<' ? heads[i] + 1 : heads[i]);
	fputs("</tr></thead><tbody>", out);
}

static void maps_table(struct html *h)
{
	static const char *const heads[] = { "<ADDR", "<VARIANT", "INSERTS", "GROWS", "SAME",
					     "<SIZE PATH", "REHASH", "MAXSTEP", "MOVED", "COUNT",
					     "CAPACITY", "<CREATED AT" };
	const struct report *r = h->r;
	char buf[64];
	int rows = 0;

	fputs("<h3>Maps</h3><table class=\"sort\" id=\"maps-table\">", h->out);
	th_row(h->out, heads, ARRAY_SIZE(heads));
	for (int i = 0; i < r->nmaps && rows < TABLE_ROWS_MAX; i++) {
		const struct map_report *m = &r->maps[i];

		if (map_idle(m))
			continue;
		rows++;
		fprintf(h->out, "<tr><td class=\"l mono\">0x%llx</td><td class=\"l\">%s</td>",
			(unsigned long long)m->addr,
			m->variant >= 0 ? mt_variant_name(m->variant) :
			m->library	? m->library : "?");
		td_u64(h->out, m->inserts);
		td_u64(h->out, m->grows);
		td_u64(h->out, m->same_size_grows);
		fprintf(h->out, "<td class=\"l\">%s</td>", size_path(buf, sizeof(buf), m));
		td_ns(h->out, m->grow_ns_total);
		td_ns(h->out, m->grow_ns_max);
		td_u64(h->out, m->moved);
		if (m->count >= 0)
			td_u64(h->out, (__u64)m->count);
		else
			td_num(h->out, 0, "?");
		if (m->sizes_in_slots)
			td_num(h->out, 0, "-");
		else
			td_u64(h->out, m->capacity);
		fputs("<td class=\"l\">", h->out);
		html__text(h->out, m->create_seen && m->created_at ? m->created_at : "?");
		fputs("</td></tr>", h->out);
	}
	fputs("</tbody></table>", h->out);
	if (r->nmaps > rows)
		fprintf(h->out, "<p class=\"note\">%d idle or further maps not listed</p>",
			r->nmaps - rows);
}

static void locks_table(struct html *h)
{
	static const char *const heads[] = { "<LOCK", "<KIND", "<MAP", "WAITS", "TOTAL", "P50",
					     "P99", "MAX", "READS", "WRITES",
					     "<TOP WAITING STACK" };
	const struct report *r = h->r;
	char buf[LINE_BUF];
	int rows = r->nlocks < TABLE_ROWS_MAX ? r->nlocks : TABLE_ROWS_MAX;

	fputs("<h3>Locks</h3><table class=\"sort\" id=\"locks-table\">", h->out);
	th_row(h->out, heads, ARRAY_SIZE(heads));
	for (int i = 0; i < rows; i++) {
		const struct lock_report *l = &r->locks[i];

		fputs("<tr><td class=\"l mono\">", h->out);
		html__text(h->out, report__lock_label(buf, sizeof(buf), l));
		fprintf(h->out, "</td><td class=\"l\">%s</td><td class=\"l mono\">",
			mt_lock_kind_name(l->kind));
		if (l->map)
			fprintf(h->out, "0x%llx", (unsigned long long)l->map);
		else
			fputs("-", h->out);
		fputs("</td>", h->out);
		td_u64(h->out, l->contentions);
		td_ns(h->out, l->wait_ns);
		td_ns(h->out, l->p50_ns);
		td_ns(h->out, l->p99_ns);
		td_ns(h->out, l->max_ns);
		td_u64(h->out, l->read_contentions);
		td_u64(h->out, l->write_contentions);
		fputs("<td class=\"l mono\">", h->out);
		html__text(h->out, report__fmt_stack_line(buf, sizeof(buf), r,
							 l->ntop ? l->top_stacks[0].stack : -1, 4));
		fputs("</td></tr>", h->out);
	}
	fputs("</tbody></table>", h->out);
	if (r->nlocks > rows)
		fprintf(h->out, "<p class=\"note\">%d further locks not listed</p>",
			r->nlocks - rows);
}

/* The trace's time: its start to its end, or to its last event when that is later. */
static void time_range(struct html *h)
{
	const struct report *r = h->r;

	h->start = r->info.start_mono_ns;
	h->end = r->info.end_mono_ns;
	for (size_t i = 0; i < r->nevent_log; i++) {
		__u64 ts = r->event_log[i].ev.ts;

		if (!h->start || ts < h->start)
			h->start = ts;
		if (ts > h->end)
			h->end = ts;
	}
	if (h->end < h->start)
		h->end = h->start;
	h->t0 = h->start;
	h->t1 = h->end;
}

static int html_emit(FILE *out, const struct report *r, const struct report_opts *o)
{
	struct html h = { .out = out, .r = r, .all_waits = o && o->all_waits };
	int err;

	time_range(&h);
	fputs("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	      "<meta name=\"viewport\" content=\"width=device-width\"><title>maptrace: ", out);
	html__text(out, r->info.comm[0] ? r->info.comm : "report");
	fprintf(out, "</title><style>%s</style></head><body>", style);
	header(&h);
	err = maps_section(&h, o);
	if (!err)
		locks_section(&h, o);
	if (!err)
		err = flames_section(&h);
	if (!err) {
		fputs("<section id=\"tables\"><h2>Tables</h2><p class=\"note\">Click a column to "
		      "sort by it, largest first.</p>", out);
		maps_table(&h);
		locks_table(&h);
		fprintf(out, "</section><script>%s</script></body></html>\n", script);
	}
	if (!err && (fflush(out) || ferror(out)))
		err = -EIO;
	return err;
}

const struct report_backend report_html_backend = {
	.name = "html",
	.desc = "one self-contained page: maps over time, wait histograms, flame graphs",
	.traits = REPORT_EVENTS | REPORT_ALL_ROWS,
	.emit = html_emit,
};
