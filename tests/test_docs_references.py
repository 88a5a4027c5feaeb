"""References to files in comments, docstrings, templates and docs point at something that exists.

A newcomer follows `docs/architecture.md#invariants` or `static/js/app.js` from a comment; a reference
to a file that was renamed, moved or never committed sends them nowhere. These tests read every
path-like reference (a path under `docs/`, `app/`, `static/`, `templates/`, `tests/`, `bench/` or
`migrations/` that ends in a file extension or `/`) in the code, templates, scripts and docs, and
check that it names a file or directory of the repository; for a `docs/*.md#anchor` reference, that
the page has that heading. Relative links between the docs are checked the same way. A second test
keeps the README's Layout section naming every package of `app/`.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Where references are read: (directory or file, suffixes read there).
SCANNED = (
    ("app", (".py",)),
    ("tests", (".py",)),
    ("bench", (".py", ".sh")),
    ("templates", (".html",)),
    ("static/js", (".js",)),
    ("docs", (".md",)),
    ("README.md", None),
    ("worker.py", None),
    ("Procfile", None),
)
SKIPPED_DIRS = {"vendor", "__pycache__"}

# Not preceded by a word character, `/` or `.` (a URL, an absolute or a longer path); `*` stops a
# glob at its directory, which is what such a reference promises.
REFERENCE = re.compile(r"(?<![\w/.-])((?:docs|app|static|templates|tests|bench|migrations)/[\w./-]*)(#[\w-]+)?")
FILE_LIKE = re.compile(r"\.[A-Za-z0-9]+$")
MARKDOWN_LINK = re.compile(r"\]\(([^)\s#]*)(#[\w-]+)?\)")
HEADING = re.compile(r"^#{1,6}\s+(.+?)\s*$", re.MULTILINE)
EXPLICIT_ANCHOR = re.compile(r"<a id=\"([\w-]+)\"")


def _scanned_files() -> list[Path]:
    files = []
    for where, suffixes in SCANNED:
        path = ROOT / where
        if path.is_file():
            files.append(path)
            continue
        for file in sorted(path.rglob("*")):
            if file.is_file() and file.suffix in suffixes and not SKIPPED_DIRS & set(file.relative_to(ROOT).parts):
                files.append(file)
    return files


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[`*]", "", heading).strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    text = page.read_text(encoding="utf-8")
    return {_slug(h) for h in HEADING.findall(text)} | set(EXPLICIT_ANCHOR.findall(text))


def _references(file: Path):
    """(line number, reference as written, resolved path, anchor or None) of every reference."""
    for number, line in enumerate(file.read_text(encoding="utf-8").splitlines(), start=1):
        for match in REFERENCE.finditer(line):
            path = match.group(1).rstrip(".")
            if path.endswith("/") or FILE_LIKE.search(path):
                yield number, path + (match.group(2) or ""), ROOT / path, (match.group(2) or "")[1:] or None
        if file.suffix == ".md":
            for match in MARKDOWN_LINK.finditer(line):
                target, anchor = match.group(1), (match.group(2) or "")[1:] or None
                if "://" in target or target.startswith(("mailto:", "/")) or not (target or anchor):
                    continue
                # `[text](#anchor)` is a heading of the page itself.
                yield number, match.group(0), (file.parent / target).resolve() if target else file, anchor


def _problems() -> list[str]:
    problems = []
    for file in _scanned_files():
        where = file.relative_to(ROOT)
        for number, written, target, anchor in _references(file):
            if not target.exists():
                problems.append(f"{where}:{number}: {written} -> no such file or directory")
            elif anchor and target.suffix == ".md" and anchor not in _anchors(target):
                problems.append(f"{where}:{number}: {written} -> {target.name} has no heading #{anchor}")
    return problems


def test_every_path_reference_exists():
    problems = _problems()
    assert not problems, "references to files that do not exist:\n  " + "\n  ".join(problems)


def test_the_scan_finds_references():
    # A regex that silently matched nothing would pass the test above.
    found = {written for file in _scanned_files() for _, written, _, _ in _references(file)}
    assert "docs/architecture.md" in " ".join(found)
    assert any(written.startswith("static/js/") for written in found)


def _layout_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", readme, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no '## Layout' section"
    return match.group(1)


def test_readme_layout_names_every_package_of_app():
    layout = _layout_section()
    packages = sorted(p.name for p in (ROOT / "app").iterdir() if (p / "__init__.py").is_file())
    missing = [name for name in packages if not re.search(rf"`(?:app/)?{name}/`", layout)]
    assert not missing, f"README.md's Layout section does not name these packages of app/: {', '.join(missing)}"
    assert "docs/architecture.md" in layout
