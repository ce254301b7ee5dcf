"""The county report's page: its stylesheet (screen, phone and A4 print) and its print to PDF by headless
Chromium.  :mod:`culture_logistics.reports.report` builds the page's content."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from culture_logistics.reports.writers import atomic_write_bytes

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

#: the report's stylesheet: a page that works on a phone (max-width rules) and prints on A4 (@page, @media print)
CSS = """
*{box-sizing:border-box}
body{font-family:"Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","PingFang SC","WenQuanYi Micro Hei",sans-serif;
 margin:0 auto;max-width:960px;padding:12px;color:#212121;font-size:14px;line-height:1.4}
h1{font-size:22px;margin:0 0 2px}h2{font-size:16px;margin:14px 0 6px;border-bottom:2px solid #1565c0;padding-bottom:2px}
.sub{color:#555;margin:0 0 6px}.banner{background:#fff3e0;border:1px solid #f9a825;padding:4px 8px;margin:6px 0;
 font-size:12px}
.kpis{display:flex;gap:8px;flex-wrap:wrap;margin:4px 0 8px}.kpi{flex:1 1 180px;border:1px solid #bdbdbd;
 border-radius:4px;padding:6px 8px}.kpi b{display:block;font-size:22px}.kpi span{font-size:12px;color:#424242}
.kpi.target{background:#e8f5e9}
table.t{border-collapse:collapse;width:100%;margin:4px 0;font-size:12.5px}.t th,.t td{border:1px solid #ccc;padding:2px 5px;
 text-align:left;vertical-align:middle}.t th{background:#f5f5f5}.num{text-align:right;white-space:nowrap}
.note{font-size:11.5px;color:#555;margin:3px 0}.lead{font-weight:bold;margin:4px 0}
.kvs{display:grid;grid-template-columns:repeat(auto-fit,minmax(150px,1fr));gap:6px;margin:4px 0}
.kv{border:1px solid #bdbdbd;border-radius:4px;padding:4px 6px}.kv span{display:block;font-size:11.5px;color:#424242}
.kv b{font-size:16px}
.two{display:flex;gap:12px;flex-wrap:wrap}.two>div:first-child{flex:2 1 320px}.two>div{flex:1 1 200px}figure.cost{max-width:640px}.parts p{margin:2px 0 2px 10px}.parts p.total{border-top:1px solid #ccc;padding-top:2px}
.t caption{text-align:left;font-weight:bold;padding:2px 0}
figure{margin:0}figcaption{font-size:12px;color:#424242}
svg.chart{max-width:100%;height:auto;font-size:11px}svg .lb,svg .nt,svg .lg{font-size:11px;fill:#212121}
svg.pbar{vertical-align:middle;max-width:100%;margin-left:4px}
.src{font-size:11.5px;padding-left:18px;margin:2px 0}.src li{margin:1px 0;overflow-wrap:anywhere}
a{color:#1565c0}
@media (max-width:600px){.t{font-size:11px}.t.reach svg.pbar{display:none}
 .t.reach th[scope=row]{min-width:6em}.t .num{white-space:normal}.t th,.t td{padding:2px 3px}h1{font-size:18px}.kpi b{font-size:18px}}
@page{size:A4;margin:11mm 10mm}
@media print{html,body{width:auto;max-width:188mm}body{padding:0;font-size:10.5px}h1{font-size:17px}h2{font-size:12.5px;margin:7px 0 3px;
 break-after:avoid}.kpi b{font-size:16px}.kpi{padding:3px 6px}table.t{font-size:9.5px}.t th,.t td{padding:1px 4px}
 #siting{break-before:page}section{break-inside:avoid-page}a{color:#212121;text-decoration:none}
 .note,.src{font-size:9px}.kv b{font-size:12.5px}.kv span{font-size:9px}svg .lb,svg .nt,svg .lg{font-size:10px}}
"""


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        p = shutil.which(name)
        if p:
            return p
    return None


def count_pdf_pages(data: bytes) -> int:
    """Pages in a PDF: its ``/Type /Page`` objects (not ``/Pages``); Chromium writes them uncompressed."""
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


def print_pdf(html_path: Path, pdf_path: Path, timeout_s: float = 120.0) -> tuple[int | None, str]:
    """Print ``html_path`` to ``pdf_path`` (A4, from the page's @page rule) with headless Chromium.

    Returns (pages, note); (None, why) when Chromium is not on PATH or fails — the PDF is optional.
    The PDF is written atomically.
    """
    exe = find_chromium()
    if exe is None:
        return None, "report.pdf not written: Chromium is not on PATH (install chromium, or print report.html)"
    with tempfile.TemporaryDirectory(prefix="cl-pdf-") as tmp:
        out = Path(tmp) / "report.pdf"
        cmd = [exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
               f"--user-data-dir={tmp}/profile", "--no-pdf-header-footer", "--run-all-compositor-stages-before-draw",
               f"--print-to-pdf={out}", html_path.resolve().as_uri()]
        try:
            subprocess.run(cmd, capture_output=True, timeout=timeout_s, check=False)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return None, f"report.pdf not written: Chromium failed ({type(exc).__name__})"
        if not out.is_file() or out.stat().st_size == 0:
            return None, "report.pdf not written: Chromium produced no PDF"
        data = out.read_bytes()
    atomic_write_bytes(pdf_path, data)
    return count_pdf_pages(data), ""
