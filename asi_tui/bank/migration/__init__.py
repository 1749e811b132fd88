"""Migration maps: how answers of one bank version line up with the next.

A map is a small YAML file written by an admin (or suggested by
`asi-tui bank suggest-map`) and published beside the banks it joins:

```yaml
from: {bank: asi-grund, version: 1.0.0}
to:   {bank: asi-grund, version: 2.0.0}
rename: {M4: M4x}          # old id -> new id (same question, new id)
remove: [M11]              # gone in the new version: its answers stay as an old-only column
recode:
  D14:                     # an old coded item (its new id follows `rename`)
    map: {6: 7}            # old code -> new code (merge: many -> one); X/N allowed
    split:                 # one old code -> several new ones: a rule per case
      5:
        - {when: "D5a > 0", code: 5}
        - {code: 13}       # otherwise (no rule matched and no fallback: X)
```

Nothing is ever dropped: an item the new version removed keeps its answers
under its old id, so exports show it as a column that only old rows fill.
Old codes not named in `map`/`split` keep their value and must exist in the
new code list (the validator says so, with file:line).
"""

from ..model import version_key
from .apply import apply_map
from .chain import Migrator
from .maps import LoadedMap, load_map
from .schema import MISSING_CODES, BankRef, MapReport, Migrate, MigrationMap, Recode, SplitRule, Target
from .suggest import suggest, suggest_renames

__all__ = [
    "MISSING_CODES", "BankRef", "LoadedMap", "MapReport", "Migrate", "MigrationMap", "Migrator", "Recode",
    "SplitRule", "Target", "apply_map", "load_map", "suggest", "suggest_renames", "version_key",
]
