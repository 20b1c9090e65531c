#!/usr/bin/env bash
# The release, as a user gets it: `goreleaser check`, a snapshot release
# (archives, .deb, .rpm, checksums, Homebrew formula, Scoop manifest), the
# linux/amd64 archive's binary run, and the .deb installed with dpkg,
# used (version, help, bash completion through bash-completion's own
# loader, the packaged systemd unit) and removed. Run by .ci/run with
# goreleaser on PATH; needs root for dpkg.
set -euo pipefail
cd "$(dirname "$0")/.."

fail() { echo "package: $*" >&2; exit 1; }

# goreleaser asks git for the remote's URL and, in a clone without one,
# gives up on all git facts (commit "none", no date); name this checkout
# as the remote for its git calls alone, without changing its config.
if ! git ls-remote --get-url >/dev/null 2>&1; then
  export GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=remote.origin.url GIT_CONFIG_VALUE_0="$PWD"
fi

goreleaser check
goreleaser release --snapshot --clean

version=$(sed -n 's/.*"version":"\([^"]*\)".*/\1/p' dist/metadata.json)
[ -n "$version" ] || fail "no version in dist/metadata.json"
echo "snapshot version: $version"
( cd dist && sha256sum -c --quiet checksums.txt ) || fail "checksums.txt does not match the files"
for f in dist/homebrew/Formula/credswap.rb dist/scoop/credswap.json; do
  [ -s "$f" ] || fail "$f was not written"
  grep -qF "$version" "$f" || fail "$f does not name $version"
done

echo
echo "artifacts:"
( cd dist && ls -l ./*.tar.gz ./*.zip ./*.deb ./*.rpm | awk '{printf "  %-55s %5.1f MB\n", $NF, $5/1048576}' )

# The archive's binary carries the snapshot version, commit and date.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tar -xzf dist/credswap_"${version}"_linux_amd64.tar.gz -C "$tmp"
out=$("$tmp/credswap" version -v)
echo "$out"
grep -q "^credswap v${version} (commit [0-9a-f]\{7,\}, go" <<<"$out" || fail "the archive's binary prints no v$version with a commit"
grep -q '^date:   20[0-9][0-9]-' <<<"$out" || fail "the archive's binary has no stamped date"
# The arm64 one runs under qemu's user-mode emulation.
command -v qemu-aarch64 >/dev/null || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq qemu-user >/dev/null
}
mkdir "$tmp/arm64"
tar -xzf dist/credswap_"${version}"_linux_arm64.tar.gz -C "$tmp/arm64" credswap
out=$(qemu-aarch64 "$tmp/arm64/credswap" version)
echo "$out"
grep -q "^credswap v${version} (commit [0-9a-f]\{7,\}, go.* linux/arm64)$" <<<"$out" || fail "the linux/arm64 binary prints no v$version"
for f in LICENSE README.md completions/credswap.bash completions/credswap.zsh completions/credswap.fish \
         contrib/systemd/credswap-refresh.service contrib/systemd/credswap-refresh.timer; do
  [ -s "$tmp/$f" ] || fail "the archive lacks $f"
done

# The .deb: installed, used, removed without a trace.
command -v dpkg >/dev/null || fail "no dpkg here"
[ -f /usr/share/bash-completion/bash_completion ] || {
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq bash-completion >/dev/null
}
deb=$(ls dist/credswap_*_amd64.deb)
dpkg -i "$deb"
trap 'dpkg -r credswap >/dev/null 2>&1 || true; rm -rf "$tmp"' EXIT
[ "$(command -v credswap)" = /usr/bin/credswap ] || fail "credswap on PATH is $(command -v credswap), not /usr/bin/credswap"
# (output is captured before grep reads it: with pipefail, grep -q
# leaving early would fail the pipeline on credswap's SIGPIPE)
out=$(/usr/bin/credswap version)
echo "$out"
grep -q "^credswap v${version} " <<<"$out" || fail "the installed credswap does not print v$version"
out=$(/usr/bin/credswap help)
grep -q '^  assume ' <<<"$out" || fail "credswap help lists no assume"
# bash-completion loads /usr/share/bash-completion/completions/credswap on
# the first Tab; the file completes without the wrapper function.
completed=$(env -i HOME="$tmp" PATH=/usr/bin:/bin bash --norc -c '
  . /usr/share/bash-completion/bash_completion
  __load_completion credswap || exit 1
  [ "$(type -t credswap)" = file ] || { echo "credswap is a $(type -t credswap)" >&2; exit 1; }
  COMP_WORDS=(credswap ref); COMP_CWORD=1; COMP_LINE="credswap ref"; COMP_POINT=${#COMP_LINE}
  _credswap_complete; printf "%s\n" "${COMPREPLY[@]}"
  COMP_WORDS=(credswap refresh --min); COMP_CWORD=2; COMP_LINE="credswap refresh --min"; COMP_POINT=${#COMP_LINE}
  _credswap_complete; printf "%s\n" "${COMPREPLY[@]}"')
echo "bash completes 'credswap ref' and 'credswap refresh --min' to: $(echo $completed)"
[ "$(echo $completed)" = "refresh --min-remaining" ] || fail "unexpected completion: $completed"
grep -q '^ExecStart=/usr/bin/credswap refresh ' /usr/lib/systemd/user/credswap-refresh.service \
  || fail "the packaged service does not run /usr/bin/credswap"
[ -f /usr/share/zsh/vendor-completions/_credswap ] && [ -f /usr/share/fish/vendor_completions.d/credswap.fish ] \
  || fail "the zsh or fish completion is not installed"
listed=$(dpkg -L credswap)
dpkg -r credswap
for f in $listed; do
  [ -d "$f" ] && continue
  [ ! -e "$f" ] || fail "$f is still there after dpkg -r"
done
! dpkg -s credswap >/dev/null 2>&1 || fail "credswap is still installed"
echo "package: the .deb installed, worked and was removed"
