"""Server-rendered SVG: a stacked bar chart of milestones per period (no script, no CDN)."""

from __future__ import annotations

from markupsafe import Markup, escape

SERIES = (("open", "未完成", "#1565c0"), ("done", "已完成", "#2e7d32"), ("cancelled", "已取消", "#9e9e9e"))
LATE = "#b00020"
WIDTH, HEIGHT, TOP, BOTTOM, LEFT = 640, 220, 22, 34, 8


def bar_chart(periods: list[dict], *, title: str = "按月统计的里程碑") -> Markup:
    """One <g class="bar"> per period, stacked by status; heights share one scale."""
    peak = max([sum(p[key] for key, _, _ in SERIES) for p in periods] + [1])
    slot = (WIDTH - 2 * LEFT) / max(1, len(periods))
    bar = slot * 0.62
    usable = HEIGHT - TOP - BOTTOM
    parts = [f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
             f"<title>{escape(title)}</title>",
             f'<line x1="{LEFT}" x2="{WIDTH - LEFT}" y1="{HEIGHT - BOTTOM}" y2="{HEIGHT - BOTTOM}" '
             f'stroke="#bbb"/>']
    for i, period in enumerate(periods):
        x = LEFT + i * slot + (slot - bar) / 2
        y = HEIGHT - BOTTOM
        total = sum(period[key] for key, _, _ in SERIES)
        parts.append(f'<g class="bar" data-period="{escape(period["key"])}" data-total="{total}">')
        for key, label, color in SERIES:
            n = period[key]
            if not n:
                continue
            h = usable * n / peak
            y -= h
            fill = LATE if period["key"] == "overdue" and key == "open" else color
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                         f'fill="{fill}"><title>{escape(period["label"])} {label} {n}</title></rect>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{y - 5:.1f}" text-anchor="middle" '
                     f'font-size="13" fill="#333">{total}</text>')
        parts.append(f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - BOTTOM + 20}" text-anchor="middle" '
                     f'font-size="13" fill="#555">{escape(period["label"])}</text></g>')
    parts.append("</svg>")
    return Markup("".join(parts))


def legend() -> Markup:
    items = [f'<span class="key"><i style="background:{LATE}"></i>逾期</span>'] + [
        f'<span class="key"><i style="background:{color}"></i>{label}</span>'
        for _, label, color in SERIES]
    return Markup("".join(items))
