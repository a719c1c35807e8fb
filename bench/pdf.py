"""PDF documents: Chinese against Latin, 1/10/100 pages, and the yearly batch — in one run.

Usage:  .venv/bin/python bench/pdf.py [--runs 15] [--scale-runs 3] [--database-url URL]
                                      [--skip-batch]

Loads the demo into a scratch database (SQLite by default; issued PDFs go to a scratch media
folder), then, all through `village.documents.render` with the bundled CJK font:

1. One A4 page, Chinese against Latin. One template (a passbook-like page: heading, household
   facts, 22 entry lines, a note, the seal, the QR code and the verification facts; the page
   header and "第 N 页 共 M 页" footer) holds no text of its own: every string comes from the
   context, once in Chinese and once in Latin with the same number of characters per string.
   Both use the same bundled font, so the difference is what Chinese costs (more distinct
   glyphs to shape and subset). Runs alternate between the two; medians and their ratio are
   printed (goal ≤ 1.5×). For reference, the demo's real one-page passbook (户积分存折, issued
   and registered by `points.documents.statement`) is timed as well.
2. The same template with 1, 10 and 100 pages of Chinese lines: median time, time per page and
   the ratio of each per-page time to the 1-page one (goal: linear, i.e. the per-page time does
   not grow with the length).
3. The batch: every household's passbook of the demo village (320 households) as one book, run
   the way the background task runs it (`points.documents.statements_batch_run` on a queued
   `DocumentBatch`), in a child process so that its peak memory is its own: the child's
   resident set before the run (after warming WeasyPrint up) and its peak during the run
   (Linux /proc/self/status VmRSS and VmHWM, the peak reset just before the run; getrusage's
   maxrss is not used, as it carries the parent's peak across fork and exec). Should
   `points.documents` lack the batch, the child instead renders a 320-page combined document
   of the same template with `village.documents.render`, and says so. (The app's batch now
   issues one passbook per household and takes that path; bench/passbooks.py measures it.)
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

LINES_PER_PAGE = 22

TEMPLATE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ t.title }}</title>
<style>
  @font-face { font-family: "CunzhiCJK"; src: url("{{ font_url }}"); }
  @page {
    size: A4;
    margin: 24mm 18mm 22mm 18mm;
    @top-left { content: "{{ t.header }}"; font-family: "CunzhiCJK"; font-size: 9pt; }
    @top-right { content: "{{ t.title }}"; font-family: "CunzhiCJK"; font-size: 9pt; }
    @bottom-center {
      content: "{{ t.page_a }} " counter(page) " {{ t.page_b }} " counter(pages) " {{ t.page_c }}";
      font-family: "CunzhiCJK"; font-size: 9pt;
    }
  }
  html { font-family: "CunzhiCJK"; font-size: 10.5pt; line-height: 1.55; color: #111; }
  h1 { font-size: 17pt; text-align: center; margin: 0 0 4mm; }
  table { width: 100%; border-collapse: collapse; margin: 2mm 0; font-size: 9.5pt; }
  th, td { border: 0.5pt solid #777; padding: 1mm 1.5mm; text-align: left; }
  th { background: #f1f1f1; }
  td.num { text-align: right; }
  section + section { break-before: page; }
  .issue { margin-top: 6mm; display: flex; gap: 6mm; break-inside: avoid; }
  .issue .seal, .issue .seal svg { width: 30mm; height: 30mm; flex: none; }
  .issue .qr { width: 24mm; height: 24mm; }
  .issue .facts { font-size: 8.5pt; }
</style></head>
<body>
{% for lines in pages %}
<section>
  <h1>{{ t.title }}</h1>
  <table>
    <tr><th>{{ t.k_village }}</th><td>{{ t.village }}</td>
        <th>{{ t.k_number }}</th><td>{{ t.number }}</td></tr>
    <tr><th>{{ t.k_head }}</th><td>{{ t.head }}</td>
        <th>{{ t.k_area }}</th><td>{{ t.area }}</td></tr>
  </table>
  <table>
    <thead><tr><th>#</th><th>{{ t.k_date }}</th><th>{{ t.k_label }}</th><th>{{ t.k_reason }}</th>
      <th>{{ t.k_points }}</th><th>{{ t.k_balance }}</th></tr></thead>
    <tbody>{% for line in lines %}<tr><td class="num">{{ line.n }}</td><td>{{ line.day }}</td>
      <td>{{ line.label }}</td><td>{{ line.reason }}</td><td class="num">{{ line.points }}</td>
      <td class="num">{{ line.balance }}</td></tr>{% endfor %}</tbody>
  </table>
  <p>{{ t.note }}</p>
</section>
{% endfor %}
<div class="issue">
  <div class="seal">{{ seal }}</div>
  <img class="qr" src="{{ qr }}" alt="">
  <div class="facts"><p>{{ t.issued }}</p><p>{{ t.k_url }}{{ url }}</p><p>{{ t.disclaimer }}</p>
  </div>
</div>
</body></html>
"""

CHINESE = {
    "title": "户积分存折",
    "header": "东镇东毛铺村",
    "page_a": "第",
    "page_b": "页 共",
    "page_c": "页",
    "k_village": "村",
    "village": "东毛铺村",
    "k_number": "户号",
    "number": "DMP-0042",
    "k_head": "户主",
    "head": "王秀英",
    "k_area": "片区",
    "area": "第一网格三片区",
    "k_date": "日期",
    "k_label": "类别",
    "k_reason": "摘要",
    "k_points": "加减分",
    "k_balance": "余额",
    "note": "说明：只列已入账的积分；对积分有疑问的，请向村委会或本片网格员反映。",
    "issued": "东镇东毛铺村 · 刘书记 签发 · 2026年1月5日",
    "k_url": "验证地址：",
    "disclaimer": "本文书由村治平台生成，所盖为平台电子印章。",
}
LABELS = ["环境卫生", "乡风文明", "平安建设", "移风易俗", "积分兑换", "孝老爱亲"]
REASONS = [
    "参加村环境卫生整治义务劳动",
    "门前三包落实到位院落整洁",
    "主动调解邻里纠纷",
    "按时缴纳新农合医疗保险",
    "家中子女考取全日制大学",
    "参加无偿献血一次",
    "违规焚烧秸秆被劝阻",
    "在积分超市兑换洗衣粉两袋",
    "红白事简办签订承诺书",
    "照顾孤寡老人获邻居推荐",
]
LATIN_POOL = (
    "village passbook household points entry balance cleaning the square helping "
    "neighbours paying health insurance giving blood burning straw exchanging soap "
)


def latin(text: str, salt: int = 0) -> str:
    """A Latin string of exactly as many characters as `text`."""
    start = (salt * 37) % len(LATIN_POOL)
    pool = LATIN_POOL * (2 + len(text) // len(LATIN_POOL))
    return pool[start : start + len(text)]


def texts(language: str) -> dict:
    if language == "zh":
        return dict(CHINESE)
    return {key: latin(value, n) for n, (key, value) in enumerate(CHINESE.items())}


def lines(pages: int, language: str) -> list[list[dict]]:
    out, balance, n = [], 100, 0
    day = date(2026, 1, 5)
    for _p in range(pages):
        page = []
        for _i in range(LINES_PER_PAGE):
            n += 1
            label, reason = LABELS[n % len(LABELS)], REASONS[n % len(REASONS)]
            if language != "zh":
                label, reason = latin(label, n), latin(reason, n + 7)
            points = (n % 7) - 2
            balance += points
            page.append(
                {
                    "n": n,
                    "day": (day + timedelta(days=n % 300)).isoformat(),
                    "label": label,
                    "reason": reason,
                    "points": f"{points:+d}",
                    "balance": balance,
                }
            )
        out.append(page)
    return out


def setup_django(database_url: str, media: str, templates: str):
    os.environ["DATABASE_URL"] = database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "village.settings.dev"
    os.environ["DJANGO_DEBUG"] = "0"
    import django

    django.setup()
    from django.conf import settings
    from django.test.utils import override_settings

    engines = [dict(e) for e in settings.TEMPLATES]
    engines[0]["DIRS"] = [templates, *engines[0].get("DIRS", [])]
    storages = dict(settings.STORAGES)
    storages["default"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": media},
    }
    # Issued PDFs go to the scratch folder; the bench template is found by name.
    override_settings(TEMPLATES=engines, STORAGES=storages, MEDIA_ROOT=media).enable()


def write_template(folder: str) -> str:
    path = Path(folder) / "bench_pdf" / "page.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(TEMPLATE, encoding="utf-8")
    return "bench_pdf/page.html"


def context(village, pages: int, language: str) -> dict:
    from village.documents import qr_data_uri, verify_url
    from village.documents.seal import seal_for

    url = verify_url("B66K8URJ9H")
    return {
        "t": texts(language),
        "pages": lines(pages, language),
        "seal": seal_for(village),
        "qr": qr_data_uri(url),
        "url": url,
    }


def timed(fn, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _i in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def _status_mb(field: str) -> float | None:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024  # kB
    except OSError:
        pass
    return None


def rss_mb() -> float:
    """Resident memory now (Linux), else the peak so far."""
    now = _status_mb("VmRSS")
    return now if now is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak() -> bool:
    """Start the peak (VmHWM) over from the current resident set (Linux ≥ 4.0)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_mb() -> float:
    """This process's peak resident memory. VmHWM belongs to the process's own address space;
    getrusage's maxrss would include the parent's peak, which survives fork and exec."""
    peak = _status_mb("VmHWM")
    return peak if peak is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- the child: the batch's peak memory ---------------------------------------------------------


def child_batch(args):
    setup_django(args.database_url, args.media, args.templates)
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from village import documents
    from village.models import Document, Village

    village = Village.objects.select_related("township").get(code="dongmaopu")
    template = write_template(args.templates)
    # Warm up: WeasyPrint, the font and the seal loaded, one page rendered; then the baseline.
    documents.render(template, context(village, 1, "zh"))
    import gc

    gc.collect()
    result = {"baseline_mb": rss_mb(), "warm_peak_mb": peak_mb(), "peak_reset": reset_peak()}
    try:
        from points.documents import statements_batch_run
        from points.tasks import statements_batch_start
    except ImportError:
        statements_batch_run = None
    started = time.perf_counter()
    if statements_batch_run is not None:
        secretary = get_user_model().objects.get(username="secretary")
        batch = statements_batch_start(
            actor=secretary, village=village, year=timezone.localdate().year
        )
        statements_batch_run(batch.pk)  # what the task runs (the database backend only queued)
        batch.refresh_from_db()
        assert batch.status == "done", (batch.status, batch.error)
        document = Document.objects.get(pk=batch.document_id)
        result.update(
            what="points.documents batch (every household's passbook, one book)",
            households=(batch.total - 1) // 2,
            pages=document.pages,
            size=document.size,
        )
    else:
        rendered = documents.render(template, context(village, 320, "zh"))
        result.update(
            what="fallback: a 320-page combined document via village.documents.render",
            households=320,
            pages=rendered.pages,
            size=len(rendered.pdf),
        )
    result["seconds"] = time.perf_counter() - started
    result["peak_mb"] = peak_mb()
    print(json.dumps(result))


# --- the parent ---------------------------------------------------------------------------------


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--scale-runs", type=int, default=3)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--child", choices=["batch"], help=argparse.SUPPRESS)
    parser.add_argument("--media", default="", help=argparse.SUPPRESS)
    parser.add_argument("--templates", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "batch":
        return child_batch(args)

    scratch = tempfile.mkdtemp(prefix="cz-bench-pdf-")
    if not args.database_url:
        args.database_url = f"sqlite:///{scratch}/db.sqlite3"
    args.media, args.templates = f"{scratch}/media", f"{scratch}/templates"
    setup_django(args.database_url, args.media, args.templates)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db.models import Count
    from django.utils import timezone

    from village import documents
    from village.models import Household, Village

    print("loading the demo into a scratch database …", flush=True)
    call_command("migrate", verbosity=0)
    call_command("load_demo", force=True, verbosity=0)
    village = Village.objects.select_related("township").get(code="dongmaopu")
    template = write_template(args.templates)
    font_size = documents.FONT.stat().st_size

    # 1. One page, Chinese against Latin, alternating.
    zh, la = context(village, 1, "zh"), context(village, 1, "la")
    for _i in range(2):  # warm up
        documents.render(template, zh)
        documents.render(template, la)
    times = {"zh": [], "la": []}
    out = {}
    for _i in range(args.runs):
        for key, ctx in (("zh", zh), ("la", la)):
            started = time.perf_counter()
            out[key] = documents.render(template, ctx)
            times[key].append(time.perf_counter() - started)
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"\n1. One A4 page, same template, same characters per string ({args.runs} runs each)")
    print(f"{'document':44} {'median ms':>10} {'pages':>6} {'PDF bytes':>10} {'% of font':>9}")
    for key, label in (("la", "Latin page (baseline)"), ("zh", "Chinese page")):
        pdf = out[key]
        print(
            f"{label:44} {med[key] * 1000:10.1f} {pdf.pages:6d} {len(pdf.pdf):10d}"
            f" {100 * len(pdf.pdf) / font_size:8.2f}%"
        )
    print(f"ratio Chinese / Latin: {med['zh'] / med['la']:.2f}×")
    print("goal: a one-page Chinese statement within 1.5× the same page in Latin text")

    from points import documents as points_documents
    from points.models import Entry, EntryStatus

    # The household with the most lines this year whose passbook still fits one page.
    year = timezone.localdate().year
    busiest = (
        Entry.objects.filter(
            village=village, year=year, status=EntryStatus.POSTED, account__villager__isnull=True
        )
        .values("account__household")
        .annotate(n=Count("id"))
        .filter(n__lte=LINES_PER_PAGE - 6)
        .order_by("-n", "account__household")
        .first()
    )
    household = Household.objects.get(pk=busiest["account__household"])
    secretary = get_user_model().objects.get(username="secretary")
    points_documents.statement(secretary, household, year)  # warm up
    statement_time, statement = timed(
        lambda: points_documents.statement(secretary, household, year), args.runs
    )
    print(
        f"{'real passbook ' + household.number + ' (render + register)':44}"
        f" {statement_time * 1000:10.1f} {statement.pages:6d} {statement.size:10d}"
        f" {100 * statement.size / font_size:8.2f}%"
    )
    print(f"ratio real passbook / Latin page: {statement_time / med['la']:.2f}×")

    # 2. 1, 10 and 100 pages.
    print(f"\n2. Length (Chinese, {LINES_PER_PAGE} lines a page; median of {args.scale_runs})")
    print(f"{'pages':>6} {'median s':>9} {'ms / page':>10} {'per page vs 1':>14} {'PDF bytes':>10}")
    per_page = {}
    for n in (1, 10, 100):
        ctx = context(village, n, "zh")
        runs = args.runs if n == 1 else args.scale_runs
        seconds, pdf = timed(lambda ctx=ctx: documents.render(template, ctx), runs)
        per_page[n] = seconds / pdf.pages
        print(
            f"{pdf.pages:6d} {seconds:9.3f} {per_page[n] * 1000:10.1f}"
            f" {per_page[n] / per_page[1]:13.2f}× {len(pdf.pdf):10d}"
        )
    print(
        f"time(100 pages) / time(10 pages) = {per_page[100] * 10 / per_page[10]:.2f}"
        " (10.00 = linear)"
    )

    # 3. The batch, in a child process.
    if not args.skip_batch:
        print("\n3. Every household's passbook of the demo village (child process)", flush=True)
        child = subprocess.run(
            [
                sys.executable,
                __file__,
                "--child",
                "batch",
                "--database-url",
                args.database_url,
                "--media",
                args.media,
                "--templates",
                args.templates,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if child.returncode != 0:
            print(child.stderr[-3000:])
            raise SystemExit("the batch failed")
        r = json.loads(child.stdout.strip().splitlines()[-1])
        print(f"measured: {r['what']}")
        print(
            f"households {r['households']}, pages {r['pages']}, PDF {r['size'] / 1e6:.1f} MB,"
            f" {r['seconds']:.1f} s ({r['seconds'] / r['pages'] * 1000:.0f} ms / page)"
        )
        grown = r["peak_mb"] - r["baseline_mb"]
        print(
            f"resident memory: {r['baseline_mb']:.0f} MB before the run (warmed up),"
            f" peak {r['peak_mb']:.0f} MB during it: +{grown:.0f} MB for the batch"
            f" ({grown / r['pages'] * 1024:.0f} KiB / page)"
            + ("" if r["peak_reset"] else "; peak not reset: it may include the warm-up")
        )
    import shutil

    shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
