#!/bin/sh
# Fetches xterm.js and its fit addon from the npm registry for the browser terminal (/shell/{id})
# and puts the few files the page serves under OUT (a resource directory of the build). The
# packages are never committed; a second build with the same pins skips the fetch.
#
# usage: fetch-xterm.sh WORK OUT XTERM_VERSION XTERM_INTEGRITY FIT_VERSION FIT_INTEGRITY
# The integrities are npm's sha512 ones (`npm view PKG@VERSION dist.integrity`): a tarball that
# does not match its pin fails the build.
set -eu

work=$1
out=$2
xterm_version=$3
xterm_integrity=$4
fit_version=$5
fit_integrity=$6
assets="$out/dev/burrow/daemon/shell"
stamp="$work/fetched"
want="@xterm/xterm@$xterm_version $xterm_integrity @xterm/addon-fit@$fit_version $fit_integrity"

if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -f "$assets/xterm.js" ] && [ -f "$assets/addon-fit.js" ]; then
    echo "xterm.js $xterm_version and addon-fit $fit_version: already fetched"
    exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
    echo "ERROR: npm is not installed. The browser terminal bundles xterm.js from the npm registry at build time:" >&2
    echo "ERROR: install it (Debian: apt-get install -y npm) and build again." >&2
    exit 1
fi

rm -rf "$work" "$assets"
mkdir -p "$work" "$assets"
echo "fetching @xterm/xterm@$xterm_version and @xterm/addon-fit@$fit_version with npm"
npm install --prefix "$work" --no-save --no-package-lock --ignore-scripts --no-audit --no-fund --loglevel=error \
    "@xterm/xterm@$xterm_version" "@xterm/addon-fit@$fit_version"

# npm checked each tarball against the registry's integrity; this checks the registry against the pins
node - "$work/node_modules/.package-lock.json" "$xterm_integrity" "$fit_integrity" <<'JS'
const [lockFile, xterm, fit] = process.argv.slice(2);
const lock = JSON.parse(require('fs').readFileSync(lockFile, 'utf8'));
const pins = { 'node_modules/@xterm/xterm': xterm, 'node_modules/@xterm/addon-fit': fit };
for (const [pkg, pin] of Object.entries(pins)) {
    const got = (lock.packages[pkg] || {}).integrity;
    if (got !== pin) {
        console.error(`ERROR: ${pkg} has integrity ${got}, the pom pins ${pin}`);
        process.exit(1);
    }
}
JS

modules="$work/node_modules/@xterm"
cp "$modules/xterm/lib/xterm.js" "$modules/xterm/css/xterm.css" "$modules/addon-fit/lib/addon-fit.js" "$assets/"
cp "$modules/xterm/LICENSE" "$assets/xterm.LICENSE.txt"
cp "$modules/addon-fit/LICENSE" "$assets/addon-fit.LICENSE.txt"
echo "$want" > "$stamp"
