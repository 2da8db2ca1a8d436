"""The stuck lists published to Prefect: one table for the city (`stuck-demands`) and one
markdown page per district with a stuck demand (`stuck-demands-<instance>-d<district>`), each
row with the step it waits for, who holds it, how long it has waited, and a link to its run.
No personal data: holders by role and organisation or community, demands by number.

Prefect 3's UI does not list artifacts in its sidebar and filters runs by tags with OR; the
console links straight to a district's artifact key page, which shows the table itself."""
from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flows.engine.monitor import Stuck
from flows.orchestration.naming import stuck_artifact_key, ui_run_url
from schemas.settings import get_settings

DESCRIPTION_ROWS = 200


def waited(delta: timedelta) -> str:
    """`3 天 4 小时`: how long a case has waited, to the hour."""
    days, hours = delta.days, delta.seconds // 3600
    return f"{days} 天 {hours} 小时" if days else f"{hours} 小时"


def holder_text(case: Stuck) -> str:
    return "、".join(h.label() for h in case.holders) or "—"


def table_rows(stuck: list[Stuck], runs: dict[int, Any], districts: dict[int | None, str]) -> list[dict[str, str]]:
    """The city-wide table artifact's rows."""
    base = get_settings().base_url
    return [{"需求": f"#{c.demand_id} {c.workflow_title}", "等待": c.step_title, "处理人": holder_text(c),
             "已等待": waited(c.waited), "等待自": c.since.strftime("%Y-%m-%d %H:%M"), "社区": c.community,
             "区县": districts.get(c.district_id, ""), "已提醒": "是" if c.escalated else "否",
             "运行": ui_run_url(runs[c.demand_id]) if c.demand_id in runs else "", "链接": f"{base}/d/{c.demand_id}"}
            for c in stuck]


def district_pages(stuck: list[Stuck], runs: dict[int, Any], districts: dict[int | None, str]
                   ) -> dict[str, tuple[str, str]]:
    """{artifact key: (markdown, description)} for each district with stuck demands."""
    base = get_settings().base_url
    by_district: dict[int | None, list[Stuck]] = {}
    for case in stuck:
        by_district.setdefault(case.district_id, []).append(case)
    pages = {}
    for district, cases in by_district.items():
        name = districts.get(district, "")
        lines = [f"### {name} · 超时未处理的需求（{len(cases)} 条）", "",
                 "| 需求 | 等待 | 处理人 | 已等待 | 社区 | 已提醒 | 运行 |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for c in cases:
            run = f"[打开运行]({ui_run_url(runs[c.demand_id])})" if c.demand_id in runs else "—"
            lines.append(f"| [#{c.demand_id} {c.workflow_title}]({base}/d/{c.demand_id}) | {c.step_title} | "
                         f"{holder_text(c)} | {waited(c.waited)} | {c.community} | "
                         f"{'是' if c.escalated else '否'} | {run} |")
        # The UI shows an artifact key's description (markdown) on the key's own page, above its
        # versions: the table goes there too, so the console's link lands on it in one click.
        shown = lines[:4 + DESCRIPTION_ROWS] + (["", f"（另有 {len(cases) - DESCRIPTION_ROWS} 条，见最新版本）"]
                                                if len(cases) > DESCRIPTION_ROWS else [])
        pages[stuck_artifact_key(district)] = ("\n".join(lines), "\n".join(shown))
    return pages


def publish(stuck: list[Stuck], runs: dict[int, Any], districts: dict[int | None, str],
            create_table: Callable[..., Any], create_markdown: Callable[..., Any]) -> None:
    """Write the artifacts with Prefect's artifact functions (passed in: called inside a flow)."""
    create_table(key="stuck-demands", table=table_rows(stuck, runs, districts) or [{"需求": "没有超时的需求"}],
                 description=f"超时未处理的需求：{len(stuck)} 条")
    for key, (markdown, description) in district_pages(stuck, runs, districts).items():
        create_markdown(key=key, markdown=markdown, description=description)
