"""Converts `data/football.json` of the npm package vega-datasets (football results from
OpenFootball, 2013 to 2017) into a seed directory. See vega_football.md for the mapping.

    python3 tools/vega_football.py PACKAGE_DIR OUT_DIR [--every N] [--limit N] [--raw RAW_OUT]

PACKAGE_DIR is the unpacked package (`npm pack vega-datasets@3.2.1`, then `tar xzf`), the
folder holding `data/` and `package.json`. With --limit, only the first N results are
converted and --raw writes exactly those rows, as the source has them, for tests to check
answers against.
"""


from seedkit import run_vega_converter, slugify

SOURCE = "vega-datasets-football"


def convert(rows, version):
    teams, competitions, matches = {}, {}, []
    team_slugs, competition_slugs, match_slugs = set(), set(), set()
    cite = [SOURCE]
    for row in rows:
        division = row["division"]
        if division not in competitions:
            competitions[division] = {
                "slug": slugify(division, competition_slugs),
                "name": division,
                "sport": "Football",
                "sources": cite,
            }
        sides = []
        for name in (row["home_team"], row["away_team"]):
            if name not in teams:
                teams[name] = {
                    "slug": slugify(name, team_slugs),
                    "name": name,
                    "sport": "Football",
                    "sources": cite,
                }
            sides.append(teams[name]["slug"])
        home, away = sides
        match = {
            "slug": slugify(f"{row['date']} {home} vs {away}", match_slugs),
            "date": row["date"],
            "competition": competitions[division]["slug"],
            "teams": [home, away],
            "home": home,
        }
        hs, as_ = row.get("home_score"), row.get("away_score")
        if isinstance(hs, int) and isinstance(as_, int):
            match["score"] = [hs, as_]
            if hs == as_:
                match["draw"] = True
            else:
                match["winner"] = home if hs > as_ else away
        match["sources"] = cite
        matches.append(match)
    source = {
        "slug": SOURCE,
        "title": "football.json: football match outcomes across five divisions, 2013 to 2017",
        "kind": "DATASET",
        "publisher": "vega-datasets (npm), a subset of OpenFootball",
        "file": "data/football.json",
        "version": version,
        "licence": "CC0-1.0 (OpenFootball); the package is BSD-3-Clause",
    }
    return {
        "sources.json": [source],
        "competitions.json": list(competitions.values()),
        "teams.json": list(teams.values()),
        "matches.json": matches,
    }


def main():
    run_vega_converter("football.json", "results", convert)


if __name__ == "__main__":
    main()
