"""SPSS (.sav) and Stata (.dta) files, through pyreadstat.

pyreadstat, with pandas and numpy, is about 70 MB installed, so it is the
optional extra `asi-tui[stats]`; without it these two formats are refused
with one line that says how to install it. Nothing here is imported before
such a file is asked for.

What the files declare (the codebook, `codebook.py`, says the same):

* variable names valid in both programs (`Variable.name`; the codebook maps
  them to the CSV columns), variable labels in the export's language;
* value labels of every coded column, the age bands, and X and N;
* missing values: SPSS keeps -9 (X) and -8 (N) as user-missing values (also
  "-9"/"-8" in string columns such as dates); Stata has no user-missing
  numbers, so X and N become its extended missing values .x and .n,
  labelled;
* R reads either file with haven: `haven::read_sav(path, user_na = TRUE)`
  keeps -9/-8 as declared missing values (`haven::zap_missing()` turns them
  into NA), `haven::read_dta()` gives .x/.n as tagged NA.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Iterable

from ..i18n import Translator
from .codebook import MISSING_VALUES, NUMERIC, STATA_MISSING, Variable
from .common import ReportError
from .export_rows import quote

STATA_LABEL_CHARS = 80
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


def _cut_chars(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _spool(path: Path, variables: list[Variable], lines: Iterable[bytes]) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with open(fd, "wb") as fh:
        fh.write((",".join(quote(v.column) for v in variables) + "\n").encode())
        for line in lines:
            fh.write(line + b"\n")


def _frame(path: Path, variables: list[Variable]) -> Any:
    """The spooled rows as a DataFrame: numbers as float64, text as text (never NaN)."""
    import pandas as pd

    numeric = [v.column for v in variables if v.storage == NUMERIC]
    dtypes = {v.column: ("float64" if v.storage == NUMERIC else str) for v in variables}
    frame = pd.read_csv(path, dtype=dtypes, keep_default_na=False, na_values={c: [""] for c in numeric},
                        encoding="utf-8")
    frame.columns = [v.name for v in variables]
    return frame


def _stata_column(values: Any) -> Any:
    """A numeric column with X/N as Stata's .x/.n: an object column of floats.

    Floats, not ints: pyreadstat types an object column by its first value,
    and in an integer column it writes an empty cell as 0. Equal floats share
    one object, so the column costs a pointer per cell."""
    import pandas as pd

    x, n = MISSING_VALUES["X"], MISSING_VALUES["N"]
    sx, sn = STATA_MISSING["X"], STATA_MISSING["N"]
    shared: dict[float, float] = {}
    keep = shared.setdefault
    out = [None if v != v else sx if v == x else sn if v == n else keep(v, v) for v in values.tolist()]
    return pd.Series(out, dtype=object, index=values.index)


def write_stats_file(out: Path, fmt: str, variables: list[Variable], lines: Iterable[bytes], lang: str) -> None:
    """Write `out` (0600, atomically) as .sav or .dta."""
    import pyreadstat

    t = Translator(lang)
    token = secrets.token_hex(4)
    spool = out.parent / f".{out.name}.{token}.csv.tmp"
    tmp = out.parent / f".{out.name}.{token}.tmp"
    try:
        try:
            _spool(spool, variables, lines)
            frame = _frame(spool, variables)
        finally:
            spool.unlink(missing_ok=True)
        missing_labels = {code: t(f"reports.export.label.{code}") for code in MISSING_VALUES}
        if fmt == "sav":
            _write_sav(pyreadstat, frame, tmp, variables, lang, missing_labels, t("reports.export.file_label"))
        else:
            _write_dta(pyreadstat, frame, tmp, variables, lang, missing_labels, t("reports.export.file_label"))
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


def _write_dta(pyreadstat: Any, frame: Any, path: Path, variables: list[Variable], lang: str,
               missing_labels: dict[str, str], file_label: str) -> None:
    labels, value_labels, missing = {}, {}, {}
    for v in variables:
        labels[v.name] = _cut_chars(v.label(lang), STATA_LABEL_CHARS)
        if v.storage != NUMERIC:
            continue
        vl: dict[Any, str] = {k: text for k, text in v.value_labels(lang).items() if isinstance(k, int)}
        if v.missing:
            frame[v.name] = _stata_column(frame[v.name])
            missing[v.name] = list(STATA_MISSING.values())
            vl.update({STATA_MISSING[c]: text for c, text in missing_labels.items()})
        if vl:
            value_labels[v.name] = vl
    _private(path)
    pyreadstat.write_dta(frame, str(path), file_label=_cut_chars(file_label, STATA_LABEL_CHARS), column_labels=labels,
                         variable_value_labels=value_labels, missing_user_values=missing)

