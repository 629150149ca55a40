"""Merges seed directories into one catalogue: the records of each file, one directory after
another. Slugs are unique only within one seed: a person in two (a film's director and a
track's composer may share a name, and so a slug) is kept twice, the later one renamed with
`-2`, `-3`… and every reference to it in its own seed rewritten, since two seeds naming the
same person is a claim neither makes. Any other slug that collides stops the merge.

    python3 bench/merge_seeds.py OUT_DIR SEED_DIR...
"""

import json
import os
import sys

# The fields that refer to a person, by file: a slug, or a list of slugs.
PERSON_REFS = {
    "credits.json": ["person"],
    "coaching.json": ["person"],
    "groups.json": ["members"],
    "matches.json": ["commentators"],
    "sources.json": ["author"],
}


def read_seed(directory):
    files = {}
    for name in sorted(os.listdir(directory)):
        if name.endswith(".json") and name != "seed.json":
            with open(os.path.join(directory, name), encoding="utf-8") as f:
                files[name] = json.load(f)
    return files


def rename_people(files, taken):
    """Renames the seed's people whose slugs are in `taken`, and rewrites their references."""
    renamed = {}
    for person in files.get("people.json", []):
        slug, n = person["slug"], 2
        if slug in taken:
            while f"{slug}-{n}" in taken:
                n += 1
            renamed[slug] = person["slug"] = f"{slug}-{n}"
    for name, keys in PERSON_REFS.items():
        for record in files.get(name, []):
            for key in keys:
                value = record.get(key)
                if isinstance(value, str):
                    record[key] = renamed.get(value, value)
                elif isinstance(value, list):
                    record[key] = [renamed.get(v, v) for v in value]
    return len(renamed)


def main():
    out, dirs = sys.argv[1], sys.argv[2:]
    merged, slugs = {}, {}
    for directory in dirs:
        files = read_seed(directory)
        renamed = rename_people(files, slugs.get("people.json", set()))
        for name, records in files.items():
            taken = slugs.setdefault(name, set())
            for record in records:
                slug = record.get("slug")
                if slug is not None:
                    if slug in taken:
                        sys.exit(f"merge: {directory}/{name}: the slug {slug!r} is taken")
                    taken.add(slug)
            merged.setdefault(name, []).extend(records)
        print(f"{directory}: {sum(len(r) for r in files.values())} records, {renamed} people renamed")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "seed.json"), "w", encoding="utf-8") as f:
        f.write('{ "version": 2 }\n')
    for name, records in merged.items():
        with open(os.path.join(out, name), "w", encoding="utf-8") as f:
            json.dump(records, f, ensure_ascii=False)
    print(f"{out}: {sum(len(r) for r in merged.values())} records")


if __name__ == "__main__":
    main()
