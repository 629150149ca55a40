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


def run_vega_converter(data_file, noun, convert):
    """The command line the vega-datasets converters share: PACKAGE OUT [--limit N] [--every N]
    [--raw FILE]. Reads `data/<data_file>` of the npm package, keeps every Nth row and at most
    N, writes the rows taken to --raw (the excerpt the tests check against), and writes the seed
    that `convert(rows, package_version)` makes."""
    import argparse

    parser = argparse.ArgumentParser()
    parser.add_argument("package")
    parser.add_argument("out")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--every", type=int, default=1, help="take every Nth row")
    parser.add_argument("--raw")
    args = parser.parse_args()
    with open(os.path.join(args.package, "package.json"), encoding="utf-8") as f:
        version = json.load(f)["version"]
    with open(os.path.join(args.package, "data", data_file), encoding="utf-8") as f:
        rows = json.load(f)
    rows = rows[:: args.every]
    if args.limit:
        rows = rows[: args.limit]
    if args.raw:
        with open(args.raw, "w", encoding="utf-8") as f:
            json.dump(rows, f, ensure_ascii=False, indent=0)
            f.write("\n")
    write_seed(args.out, convert(rows, version))
    print(f"{len(rows)} {noun} converted into {args.out}")
