"""The milestones of an order laid out as a Gantt chart: one row per milestone with its planned bar
and its actual bar, month ticks and today's line, in the coordinates of an SVG the template
draws (viewBox width WIDTH; the chart area starts at LABEL_WIDTH)."""
from datetime import date, timedelta

WIDTH, LABEL_WIDTH, RIGHT_PAD = 1000, 230, 10
ROW_HEIGHT, HEADER = 34, 26


def _start_of_next_month(day):
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def _spans(milestones, first_start):
    """(planned start, planned end, actual start, actual end) per milestone: a milestone without
    its own start begins where the previous one ended (planned, respectively actual)."""
    spans, prev_planned, prev_actual = [], first_start, first_start
    for m in milestones:
        p_end = m['planned_end']
        p_start = m.get('planned_start') or prev_planned or p_end
        p_start = min(p_start, p_end)
        a_end = m.get('actual_end')
        a_start = m.get('actual_start') or prev_actual or p_start
        if a_end is not None:
            a_start = min(a_start, a_end)
            prev_actual = a_end
        spans.append((p_start, p_end, a_start, a_end))
        prev_planned = p_end
    return spans


def layout(milestones, order_start=None, today=None):
    """None without milestones; else {height, rows, ticks, today_x} for the template. Each row:
    name, late, planned (x, width, start, end), actual (x, width, start, end) or None, overdue
    (the stretch from the planned end to today of a late milestone not yet reached) or None."""
    if not milestones:
        return None
    today = today or date.today()
    spans = _spans(milestones, order_start)
    days = [d for span in spans for d in span if d is not None] + [today]
    lo, hi = min(days) - timedelta(days=3), max(days) + timedelta(days=3)
    total = max((hi - lo).days, 1)
    chart = WIDTH - LABEL_WIDTH - RIGHT_PAD

    def x(day):
        return round(LABEL_WIDTH + chart * (day - lo).days / total, 1)

    def bar(start, end):
        left = x(start)
        return {'x': left, 'width': max(round(x(end + timedelta(days=1)) - left, 1), 3), 'start': start, 'end': end}

    rows = []
    for n, (m, (p_start, p_end, a_start, a_end)) in enumerate(zip(milestones, spans)):
        late = m['late']
        overdue = bar(p_end + timedelta(days=1), today) if a_end is None and p_end < today else None
        rows.append({'name': m['name'], 'late': late, 'y': HEADER + n * ROW_HEIGHT,
                     'planned': bar(p_start, p_end),
                     'actual': bar(a_start, a_end) if a_end is not None else None,
                     'overdue': overdue})
    ticks, day = [], _start_of_next_month(lo) if lo.day != 1 else lo
    step = max(1, round(total / 30 / 8))  # at most about eight month labels
    month = 0
    while day <= hi:
        if month % step == 0:
            ticks.append({'x': x(day), 'day': day})
        day, month = _start_of_next_month(day), month + 1
    return {'width': WIDTH, 'label_width': LABEL_WIDTH, 'height': HEADER + len(rows) * ROW_HEIGHT + 6,
            'row_height': ROW_HEIGHT, 'rows': rows, 'ticks': ticks,
            'today_x': x(today) if lo <= today <= hi else None, 'today': today}
