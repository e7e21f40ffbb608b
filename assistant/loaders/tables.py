"""Tables in PDF pages, read row by row.

pypdf's plain extraction reads a table line by line across its columns, so a row of an action plan
comes out as "Deadline for applications Early Summer 2020 Ministry of the Economy and …", and the
row's parts run into the next row's. Its layout mode keeps the columns where they stand on the page:

    Deadline for applications          Early Summer           Ministry of the Economy and Innovation and clusters,
                                       2020                   research institutions and companies form the …

`page_text` finds such blocks (several lines whose cells, apart by three spaces or more, start at the
same columns) and writes each row as one line: "Deadline for applications: Early Summer 2020. Ministry of
the Economy and Innovation and clusters, research institutions …". The header row becomes a caption
("Table columns: Action | Timing of the action | …"), which is indexed but never shown as an answer.
A page without such a block is left to the plain extraction, and so is one with prose in columns beside
a table (layout mode would read the prose across its columns)."""

from __future__ import annotations

import re

_CELL = re.compile(r"\S+(?: {1,2}\S+)*")  # words apart by one or two spaces: one cell
_MARK = re.compile(r"^(?:[•▪◦·*–-]|\d{1,2}[.)]|[a-z][.)])$")  # a bullet or item number before its text
MIN_ROWS = 3   # lines with two cells or more at the same columns, for a block to be a table
NEAR = 7       # lines: a table's multi-cell lines are at most this far apart (a cell can wrap)
MIN_COLUMNS = 3
LABEL_WORDS = 5  # the median first cell of a table's lines is this short at most


def _cells(line: str) -> list[tuple[int, str]]:
    """Each cell of a layout line, with the column it starts at; a bullet and its text are one cell."""
    out: list[tuple[int, str]] = []
    for m in _CELL.finditer(line):
        if out and _MARK.match(out[-1][1]):
            out[-1] = (out[-1][0], f"{out[-1][1]} {m.group()}")
        else:
            out.append((m.start(), m.group()))
    return out


def _near(column: int, columns: set[int]) -> bool:
    return any(abs(column - c) <= 1 for c in columns)


def _blocks(lines: list[str]) -> tuple[list[tuple[int, int, list[int]]], bool]:
    """(first line, line after the last, column starts) of each table on the page; and whether the page
    also has prose in columns (a run of lines apart in the same places that is no table)."""
    multi = {i: [s for s, _ in _cells(line)] for i, line in enumerate(lines) if len(_cells(line)) >= 2}
    groups: list[list[int]] = []
    for i in sorted(multi):
        last = groups[-1][-1] if groups else None
        if last is not None and i - last <= NEAR and _near_any(multi[i][1:], multi[last][1:]):
            groups[-1].append(i)
        else:
            groups.append([i])
    out = []
    prose_columns = False
    for g in groups:
        if len(g) < MIN_ROWS:
            continue  # a running header or footer ("Page 3      Cluster report"), an item "(i)   the …"
        # A table's first column holds labels ("Deadline for applications"); prose set in two columns
        # has as many words on the left of each line as on the right.
        firsts = sorted(len(_cells(lines[i])[0][1].split()) for i in g)
        if firsts[len(firsts) // 2] > LABEL_WORDS:
            prose_columns = True
            continue
        starts = sorted({s for i in g for s in multi[i]})
        # A column is where at least half the lines start a cell; two columns may be prose set in two.
        columns = [s for s in starts if sum(_near(s, set(multi[i])) for i in g) >= max(2, len(g) / 2)]
        columns = [s for k, s in enumerate(columns) if k == 0 or s - columns[k - 1] > 1]
        if len(columns) < MIN_COLUMNS or not all(_near(s, set(columns)) for i in g for s in multi[i]):
            continue  # too few columns, or cells set right or centred, which plain extraction reads as well
        end = g[-1] + 1
        # The last row goes on in lines that hold one cell at one of the columns ("the results of the …").
        while end < len(lines) and lines[end].strip() and _near(len(lines[end]) - len(lines[end].lstrip()),
                                                                set(columns[1:])):
            end += 1
        out.append((g[0], end, columns))
    return out, prose_columns


def _near_any(a: list[int], b: list[int]) -> bool:
    return any(_near(x, set(b)) for x in a)


def _rows(lines: list[str], columns: list[int]) -> list[list[str]]:
    """The block's rows, each a list of cell texts (one per column). A line with a cell in every column
    opens a row (layout mode spaces rows unevenly); so does a line after a blank one, in a table whose rows
    are spaced so (three runs of lines or more: a header and two rows), or, in a table set tight, a label
    with more beside it. A label alone continues the row above ("Deadline for" / "applications")."""
    runs = sum(1 for k, line in enumerate(lines) if line.strip() and (k == 0 or not lines[k - 1].strip()))
    spaced = runs >= 3
    rows: list[list[list[str]]] = []
    fresh = True
    for line in lines:
        if not line.strip():
            fresh = True
            continue
        placed = [(max((k for k, c in enumerate(columns) if c <= start + 1), default=0), text)
                  for start, text in _cells(line)]
        filled = {col for col, _ in placed}
        opens = len(filled) == len(columns) or (fresh if spaced else 0 in filled and len(filled) >= 2)
        if opens or not rows:
            rows.append([[] for _ in columns])
        fresh = False
        for col, text in placed:
            rows[-1][col].append(text)
    return [[_joined(parts) for parts in row] for row in rows]


def _joined(parts: list[str]) -> str:
    text = " ".join(parts)
    return re.sub(r"(?<=[a-z])- (?=[a-z])", "", text)  # a word hyphenated across the cell's lines


def _row_line(cells: list[str]) -> str:
    """ "Deadline for applications: Early Summer 2020. Ministry of …" """
    filled = [c for c in cells if c]
    if len(filled) < 2:
        return " ".join(filled)
    rest = [c if c.endswith((".", "!", "?", ";", ":")) else f"{c}." for c in filled[1:]]
    return f"{filled[0].rstrip(':')}: {' '.join(rest)}"


def _is_header(cells: list[str]) -> bool:
    return all(not any(ch.isdigit() for ch in c) and len(c.split()) <= 6 for c in cells if c)


def page_text(layout: str) -> str | None:
    """The page's text with each table written row by row, or None when the page has no table."""
    lines = layout.splitlines()
    blocks, prose_columns = _blocks(lines)
    if not blocks or prose_columns:
        return None  # no table; or prose in columns beside it, which layout mode would read across
    out: list[str] = []
    at = 0
    for first, end, columns in blocks:
        out += [" ".join(line.split()) for line in lines[at:first]]
        rows = _rows(lines[first:end], columns)
        if rows and _is_header(rows[0]):
            header = " | ".join(c for c in rows[0] if c).rstrip(".:;?! ")
            out.append(f"Table columns: {header}.")  # a unit of its own
            rows = rows[1:]
        out += [_row_line(row) for row in rows]
        at = end
    out += [" ".join(line.split()) for line in lines[at:]]
    return "\n".join(out)
