"""SPSS (.sav) files, through pyreadstat.

pyreadstat, with pandas and numpy, is about 70 MB installed, so it is the
optional extra `asi-tui[stats]`; without it the format is refused with one
line that says how to install it. Nothing here is imported before such a
file is asked for. (Stata files are written by `stata.py`, streaming.)

What the file declares (the codebook, `codebook.py`, says the same):

* variable names valid in SPSS and Stata (`Variable.name`; the codebook maps
  them to the CSV columns), variable labels in the export's language;
* value labels of every coded column, the age bands, and X and N;
* missing values: -9 (X) and -8 (N) are user-missing values (also "-9"/"-8"
  in string columns such as dates);
* R reads it with haven: `haven::read_sav(path, user_na = TRUE)` keeps
  -9/-8 as declared missing values (`haven::zap_missing()` turns them into
  NA).

pyreadstat needs the whole table as a DataFrame: numbers are read as
float32 where every valid value is exact in it (most columns), else float64.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Iterable

from ..i18n import Translator
from .codebook import MISSING_VALUES, NUMERIC, Variable
from .common import ReportError
from .export_rows import quote

FLOAT32_EXACT = 2**24
SPSS_LABEL_BYTES = 120  # value labels; variable labels may be longer
SPSS_VAR_LABEL_BYTES = 255
_MEASURE = {
    "count": "scale", "days": "scale", "money": "scale", "years_months": "scale",
    "client_rating": "ordinal", "interviewer_rating": "ordinal", "age_band": "ordinal",
}


def require_stats_extra() -> None:
    """A clear line instead of an ImportError when the extra is not installed."""
    try:
        import pandas  # noqa: F401
        import pyreadstat  # noqa: F401
    except ImportError:
        raise ReportError("reports.export.error.stats_extra") from None


def _cut_bytes(text: str, limit: int) -> str:
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode("utf-8", "ignore") + "…"


def _spool(path: Path, variables: list[Variable], lines: Iterable[bytes]) -> int:
    """The rows to a private temp CSV; returns how many."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    n = 0
    with open(fd, "wb") as fh:
        fh.write((",".join(quote(v.column) for v in variables) + "\n").encode())
        for line in lines:
            fh.write(line + b"\n")
            n += 1
    return n


def _frame(path: Path, variables: list[Variable], rows: int) -> Any:
    """The spooled rows as a DataFrame: numbers as float32/float64, text as text (never NaN)."""
    import numpy as np
    import pandas as pd

    numeric = [v.column for v in variables if v.storage == NUMERIC]
    dtypes = {v.column: (_float_type(v) if v.storage == NUMERIC else object) for v in variables}
    # read in chunks into columns of their final size: read_csv over the whole file at once
    # holds its own buffers beside the result (some 100 MB more at 50,000 rows)
    columns = {v.column: np.empty(rows, dtype=dtypes[v.column]) for v in variables}
    at = 0
    for chunk in pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values={c: [""] for c in numeric},
                             encoding="utf-8", chunksize=5000):
        n = len(chunk)
        if at + n > rows:
            raise ValueError("more rows than spooled")
        for column, values in chunk.items():
            columns[str(column)][at:at + n] = values.to_numpy()
        at += n
    if at != rows:
        raise ValueError("fewer rows than spooled")
    return pd.DataFrame({v.name: columns.pop(v.column) for v in variables}, copy=False)


def _float_type(var: Variable) -> str:
    return "float32" if var.max_value is not None and var.max_value < FLOAT32_EXACT else "float64"


def write_sav(out: Path, variables: list[Variable], lines: Iterable[bytes], lang: str) -> None:
    """Write `out` (0600, atomically) as .sav."""
    import pyreadstat

    t = Translator(lang)
    token = secrets.token_hex(4)
    spool = out.parent / f".{out.name}.{token}.csv.tmp"
    tmp = out.parent / f".{out.name}.{token}.tmp"
    try:
        try:
            frame = _frame(spool, variables, _spool(spool, variables, lines))
        finally:
            spool.unlink(missing_ok=True)
        missing_labels = {code: t(f"reports.export.label.{code}") for code in MISSING_VALUES}
        _write_sav(pyreadstat, frame, tmp, variables, lang, missing_labels, t("reports.export.file_label"))
        del frame
        os.chmod(tmp, 0o600)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, out)
    except OSError:
        raise ReportError("reports.error.write", path=str(out)) from None
    finally:
        tmp.unlink(missing_ok=True)


def _private(path: Path) -> None:
    """Create the file 0600 before pyreadstat opens it (it keeps an existing file's mode)."""
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _write_sav(pyreadstat: Any, frame: Any, path: Path, variables: list[Variable], lang: str,
               missing_labels: dict[str, str], file_label: str) -> None:
    labels, value_labels, missing, measure, formats = {}, {}, {}, {}, {}
    for v in variables:
        labels[v.name] = _cut_bytes(v.label(lang), SPSS_VAR_LABEL_BYTES)
        if v.storage == NUMERIC:
            vl = {float(k): _cut_bytes(text, SPSS_LABEL_BYTES) for k, text in v.value_labels(lang).items()
                  if isinstance(k, int)}
            if v.missing:
                missing[v.name] = list(map(float, MISSING_VALUES.values()))
                vl.update({float(MISSING_VALUES[c]): _cut_bytes(text, SPSS_LABEL_BYTES) for c, text in missing_labels.items()})
            if vl:
                value_labels[v.name] = vl
            measure[v.name] = _MEASURE.get(v.type, "nominal")
            formats[v.name] = "F10.0"
        else:
            if v.missing:
                missing[v.name] = [str(n) for n in MISSING_VALUES.values()]
            measure[v.name] = "nominal"
    _private(path)
    pyreadstat.write_sav(frame, str(path), file_label=file_label, column_labels=labels,
                         variable_value_labels=value_labels, missing_ranges=missing, variable_measure=measure,
                         variable_format=formats)
