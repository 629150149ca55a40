"""Converts `data/movies.json` of the npm package vega-datasets (films with their release
date, running time, genre and director) into a seed directory. See vega_films.md for the
mapping.

    python3 tools/vega_films.py PACKAGE_DIR OUT_DIR [--every N] [--limit N] [--raw RAW_OUT]

The data set says it keeps known errors for teaching data cleaning; a value the seed format
refuses (a date that does not parse, a running time of 0) is left out, never repaired, and
counted on the standard error.
"""

import datetime
import sys

from seedkit import run_vega_converter, slugify

SOURCE = "vega-datasets-movies"


def release_date(text):
    """`Jun 12 1998` as `1998-06-12`, or None when the text is not such a date."""
    try:
        return datetime.datetime.strptime(text, "%b %d %Y").date().isoformat()
    except (TypeError, ValueError):
        return None


def convert(rows, version):
    films, people, credits = [], {}, []
    film_slugs, person_slugs = set(), set()
    cite = [SOURCE]
    left_out = 0
    for row in rows:
        title = row.get("Title")
        if title is None or not str(title).strip():
            left_out += 1
            continue
        title = str(title)
        film = {"slug": slugify(title, film_slugs), "title": title}
        genre = row.get("Major Genre")
        if genre:
            film["genres"] = [genre]
        runtime = row.get("Running Time min")
        if isinstance(runtime, int) and runtime >= 1:
            film["runtimeMinutes"] = runtime
        elif runtime is not None:
            left_out += 1
        date = release_date(row.get("Release Date"))
        if date:
            film["releases"] = [{"date": date, "kind": "RELEASE", "sources": cite}]
        elif row.get("Release Date") is not None:
            left_out += 1
        film["sources"] = cite
        films.append(film)
        director = row.get("Director")
        if director:
            if director not in people:
                people[director] = {
                    "slug": slugify(director, person_slugs),
                    "name": director,
                    "sources": cite,
                }
            credits.append(
                {
                    "film": film["slug"],
                    "person": people[director]["slug"],
                    "role": "DIRECTOR",
                    "sources": cite,
                }
            )
    if left_out:
        print(f"{left_out} values the seed format refuses were left out", file=sys.stderr)
    source = {
        "slug": SOURCE,
        "title": "movies.json: films and their performance metrics",
        "kind": "DATASET",
        "publisher": "vega-datasets (npm)",
        "file": "data/movies.json",
        "version": version,
        "licence": "BSD-3-Clause (the package)",
    }
    return {
        "sources.json": [source],
        "people.json": list(people.values()),
        "films.json": films,
        "credits.json": credits,
    }


def main():
    run_vega_converter("movies.json", "films", convert)


if __name__ == "__main__":
    main()
