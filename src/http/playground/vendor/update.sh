#!/usr/bin/env bash
# Refreshes the vendored browser files from the npm registry and rewrites MANIFEST.
#
# The build never runs this: the files are committed, so `cargo build` needs neither npm nor a
# network. Run it by hand to upgrade a package (edit PACKAGES below), then review the diff,
# run `cargo test --test playground_e2e` and commit the files and MANIFEST together.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# One line per file: folder/file here, npm package, exact version, member of the npm tarball.
PACKAGES=(
  "graphiql/graphiql.min.js            graphiql    4.1.2   package/graphiql.min.js"
  "graphiql/graphiql.min.css           graphiql    4.1.2   package/graphiql.min.css"
  "graphiql/LICENSE                    graphiql    4.1.2   package/LICENSE"
  "react/react.production.min.js       react       18.3.1  package/umd/react.production.min.js"
  "react/LICENSE                       react       18.3.1  package/LICENSE"
  "react-dom/react-dom.production.min.js react-dom 18.3.1  package/umd/react-dom.production.min.js"
  "react-dom/LICENSE                   react-dom   18.3.1  package/LICENSE"
  "graphql-ws/graphql-ws.min.js        graphql-ws  6.4.2   package/umd/graphql-ws.min.js"
  "graphql-ws/LICENSE                  graphql-ws  6.4.2   package/LICENSE.md"
)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

manifest="$work/MANIFEST"
{
  echo "# The vendored browser files: what each is, where it came from, and its SHA-256."
  echo "# Written by update.sh; src/http/playground.rs's tests check every file against it."
  echo "# file	package	version	member of the npm tarball	sha256"
} >"$manifest"

for line in "${PACKAGES[@]}"; do
  read -r file package version member <<<"$line"
  unpacked="$work/$package-$version"
  if [[ ! -d "$unpacked" ]]; then
    mkdir -p "$unpacked"
    (cd "$work" && npm pack "$package@$version" --silent --ignore-scripts >/dev/null)
    tar -xzf "$work/$package-$version.tgz" -C "$unpacked"
  fi
  mkdir -p "$here/$(dirname "$file")"
  cp "$unpacked/$member" "$here/$file"
  sum="$(sha256sum "$here/$file" | cut -d' ' -f1)"
  printf '%s\t%s\t%s\t%s\t%s\n' "$file" "$package" "$version" "$member" "$sum" >>"$manifest"
done

cp "$manifest" "$here/MANIFEST"
echo "update.sh: wrote $here/MANIFEST"
