"""What the converters in tools/ share: slugs, dates, durations and writing a seed directory.

Each converter reads one public data set as its package ships it and writes a seed directory
in version 2 of the format (docs/seed-format.md), every fact citing the data set as its
source. Nothing is invented: a value the data set lacks stays absent.
"""

import json
import os
import re
import unicodedata


def slugify(text, taken=None):
    """A slug made from `text`, unique within `taken` (a set it is added to)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:100].strip("-") or "x"
    if taken is None:
        return slug
    unique, n = slug, 2
    while unique in taken:
        unique = f"{slug}-{n}"
        n += 1
    taken.add(unique)
    return unique


def duration(seconds):
    """`mm:ss`, as the seed format writes a running time (minutes in two or three digits)."""
    if seconds is None or seconds < 0 or seconds >= 1000 * 60:
        return None
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


def write_seed(directory, files):
    """Writes `files` ({name: records}) and `seed.json` into `directory`."""
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "seed.json"), "w", encoding="utf-8") as f:
        f.write('{ "version": 2 }\n')
    for name, records in files.items():
        with open(os.path.join(directory, name), "w", encoding="utf-8") as f:
            f.write("[\n")
            f.write(",\n".join(json.dumps(r, ensure_ascii=False) for r in records))
            f.write("\n]\n" if records else "]\n")
