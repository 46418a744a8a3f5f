"""The audit's report files: ``audit.json``, ``audit.csv`` and ``audit.html``.

``audit.json`` is the contract: ``{"version": 1, "server": URL, "projects":
[{"project", "ref", "sha", "status", "findings": [...], "urls": {...}}]}``,
projects sorted by path, each finding the object ``cigen lint --format json``
writes, ``urls`` the address of each file they are in at the commit read, a
``message`` saying why when the status is not ``ok``, and nothing
that depends on when or where it ran, so shards merged give the same bytes as
one run. ``audit.csv`` has a row per finding; ``audit.html`` is one
self-contained page (no external script, style or font): the counts per rule,
a sortable table per rule with a link to each finding's line on GitLab, and the
projects with their status.
"""

from __future__ import annotations

import csv
import html
import io
import json
import os
import re
import tempfile
from collections import Counter
from typing import Any
from urllib.parse import quote

VERSION = 1
REPORT_FILES = ("audit.json", "audit.csv", "audit.html")
_REMOTE_NAME = re.compile(r"^(?P<project>[^@:\s]+)@(?P<ref>[^:]+):(?P<path>.+)$")
CSV_FIELDS = ("project", "ref", "sha", "code", "rule", "severity", "path", "line", "column",
              "message", "jobs", "url")


class ReportError(Exception):
    """A report that cannot be read or written (exit 2)."""


def document(server: str, projects: list[dict[str, Any]]) -> dict[str, Any]:
    return {"version": VERSION, "server": server,
            "projects": sorted(projects, key=lambda entry: str(entry["project"]))}


def read_document(path: str) -> dict[str, Any]:
    try:
        with open(path, encoding="utf-8") as handle:
            loaded = json.load(handle)
    except OSError as error:
        raise ReportError(f"{path}: cannot read: {error.strerror or error}") from None
    except ValueError as error:
        raise ReportError(f"{path}: not JSON: {error}") from None
    if not isinstance(loaded, dict) or loaded.get("version") != VERSION \
            or not isinstance(loaded.get("projects"), list) \
            or not all(isinstance(entry, dict) and isinstance(entry.get("project"), str)
                       for entry in loaded["projects"]):
        raise ReportError(f"{path}: not a cigen audit report (version {VERSION})")
    result: dict[str, Any] = loaded
    return result


def finding_url(server: str, entry: dict[str, Any], finding: dict[str, Any]) -> str:
    """Where a finding's line is on GitLab (or the `remote:` URL); "" for a template."""
    path = str(finding.get("path", ""))
    line = finding.get("line")
    anchor = f"#L{line}" if isinstance(line, int) else ""
    if path.startswith(("https://", "http://")):
        return path
    urls = entry.get("urls")
    if isinstance(urls, dict) and isinstance(urls.get(path), str):
        return f"{urls[path]}{anchor}"
    matched = _REMOTE_NAME.match(path)
    if matched is None:
        return ""
    project, ref = matched.group("project"), matched.group("ref")
    if project == entry.get("project") and entry.get("sha"):
        ref = str(entry["sha"])  # the commit that was audited, not where the branch is now
    return f"{server}/{project}/-/blob/{quote(ref, safe='')}/{quote(matched.group('path'))}" \
           f"{anchor}"


def write_reports(directory: str, report: dict[str, Any]) -> None:
    os.makedirs(directory, exist_ok=True)
    _write(os.path.join(directory, "audit.json"), json.dumps(report, indent=2) + "\n")
    _write(os.path.join(directory, "audit.csv"), render_csv(report))
    _write(os.path.join(directory, "audit.html"), render_html(report))


def _write(path: str, text: str) -> None:
    try:
        handle, temporary = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as stream:
                stream.write(text)
            os.replace(temporary, path)
        except BaseException:
            os.unlink(temporary)
            raise
    except OSError as error:
        raise ReportError(f"{path}: cannot write: {error.strerror or error}") from None


def _rows(report: dict[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(entry, finding) for entry in report["projects"]
            for finding in entry.get("findings") or [] if isinstance(finding, dict)]


def render_csv(report: dict[str, Any]) -> str:
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(CSV_FIELDS)
    server = str(report.get("server", ""))
    for entry, finding in _rows(report):
        writer.writerow([entry.get("project"), entry.get("ref") or "", entry.get("sha") or "",
                         finding.get("code"), finding.get("rule"), finding.get("severity"),
                         finding.get("path"), finding.get("line"), finding.get("column"),
                         _one_line(str(finding.get("message", ""))),
                         " ".join(str(job) for job in finding.get("jobs") or []),
                         finding_url(server, entry, finding)])
    return output.getvalue()


def _one_line(text: str) -> str:
    return " ".join(text.split())


SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2em;color:#1f1f1f}
table{border-collapse:collapse;margin:1em 0;width:100%}
th,td{border:1px solid #ccc;padding:.3em .6em;text-align:left;vertical-align:top}
th{background:#f2f2f2;cursor:pointer;user-select:none}
th.sorted-asc::after{content:" \\25B2"}th.sorted-desc::after{content:" \\25BC"}
td.number{text-align:right;font-variant-numeric:tabular-nums}
.error{color:#a4000f}.warning{color:#8a5300}.info{color:#245a9c}
code{font-size:90%}
"""

_SCRIPT = """
document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (header, column) {
    header.addEventListener("click", function () {
      var body = table.tBodies[0];
      var rows = Array.prototype.slice.call(body.rows);
      var ascending = !header.classList.contains("sorted-asc");
      table.querySelectorAll("th").forEach(function (other) {
        other.classList.remove("sorted-asc", "sorted-desc");
      });
      header.classList.add(ascending ? "sorted-asc" : "sorted-desc");
      rows.sort(function (a, b) {
        var x = a.cells[column].getAttribute("data-sort") || a.cells[column].textContent;
        var y = b.cells[column].getAttribute("data-sort") || b.cells[column].textContent;
        var nx = parseFloat(x), ny = parseFloat(y);
        var order = (!isNaN(nx) && !isNaN(ny)) ? nx - ny : x.localeCompare(y);
        return ascending ? order : -order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});
"""


def render_html(report: dict[str, Any]) -> str:
    escape = html.escape
    server = str(report.get("server", ""))
    projects = report["projects"]
    rows = _rows(report)
    by_rule: dict[str, list[tuple[dict[str, Any], dict[str, Any]]]] = {}
    for entry, finding in rows:
        by_rule.setdefault(str(finding.get("rule")), []).append((entry, finding))
    severities = Counter(str(finding.get("severity")) for _, finding in rows)
    statuses = Counter(str(entry.get("status")) for entry in projects)
    with_findings = sum(1 for entry in projects if entry.get("findings"))
    ordered_rules = sorted(by_rule, key=lambda rule: (-len(by_rule[rule]), rule))
    parts = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
             "<title>cigen audit</title>", f"<style>{_STYLE}</style></head><body>",
             "<h1>cigen audit</h1>",
             f'<p>Server: {escape(server)}. <span id="project-count">{len(projects)}</span> '
             f'projects, <span id="projects-with-findings">{with_findings}</span> with '
             f'findings; <span id="finding-count">{len(rows)}</span> findings ('
             + ", ".join(f'<span class="{name}">{severities.get(name, 0)} {name}</span>'
                         for name in ("error", "warning", "info"))
             + "). Status: "
             + ", ".join(f"{count} {escape(status)}" for status, count in sorted(statuses.items()))
             + ".</p>",
             '<h2 id="rules">Findings by rule</h2>',
             '<table class="sortable" id="rule-counts"><thead><tr><th>Code</th><th>Rule</th>'
             "<th>Severity</th><th>Findings</th><th>Projects</th></tr></thead><tbody>"]
    for rule in ordered_rules:
        items = by_rule[rule]
        first = items[0][1]
        severity = str(first.get("severity"))
        affected = len({str(entry.get("project")) for entry, _ in items})
        parts.append(
            f'<tr><td><code>{escape(str(first.get("code")))}</code></td>'
            f'<td><a href="#rule-{escape(rule)}">{escape(rule)}</a></td>'
            f'<td class="{escape(severity)}" data-sort="{SEVERITY_ORDER.get(severity, 3)}">'
            f"{escape(severity)}</td>"
            f'<td class="number count" data-rule="{escape(rule)}">{len(items)}</td>'
            f'<td class="number">{affected}</td></tr>')
    parts.append("</tbody></table>")
    for rule in ordered_rules:
        items = by_rule[rule]
        parts.append(f'<h2 id="rule-{escape(rule)}"><code>'
                     f'{escape(str(items[0][1].get("code")))}</code> {escape(rule)} '
                     f"({len(items)})</h2>")
        parts.append('<table class="sortable"><thead><tr><th>Project</th><th>Where</th>'
                     "<th>Severity</th><th>Message</th><th>Jobs</th></tr></thead><tbody>")
        for entry, finding in items:
            url = finding_url(server, entry, finding)
            where = f'{finding.get("path")}:{finding.get("line")}'
            place = f'<a href="{escape(url)}">{escape(where)}</a>' if url else escape(where)
            severity = str(finding.get("severity"))
            parts.append(
                f'<tr><td>{escape(str(entry.get("project")))}</td><td>{place}</td>'
                f'<td class="{escape(severity)}">{escape(severity)}</td>'
                f'<td>{escape(_one_line(str(finding.get("message", ""))))}</td>'
                f'<td>{escape(", ".join(str(job) for job in finding.get("jobs") or []))}</td>'
                "</tr>")
        parts.append("</tbody></table>")
    parts.append('<h2 id="projects">Projects</h2>')
    parts.append('<table class="sortable" id="project-table"><thead><tr><th>Project</th>'
                 "<th>Ref</th><th>Status</th><th>Findings</th></tr></thead><tbody>")
    for entry in projects:
        project = str(entry.get("project"))
        link = f"{server}/{project}"
        status = str(entry.get("status"))
        detail = entry.get("message")
        shown_status = escape(status) + (f": {escape(_one_line(str(detail)))}" if detail else "")
        parts.append(
            f'<tr><td><a href="{escape(link)}">{escape(project)}</a></td>'
            f'<td>{escape(str(entry.get("ref") or ""))}</td><td>{shown_status}</td>'
            f'<td class="number">{len(entry.get("findings") or [])}</td></tr>')
    parts.append("</tbody></table>")
    parts.append(f"<script>{_SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"
