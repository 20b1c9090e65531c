#!/bin/sh
# release-files.sh DIR: writes what the release archives and the .deb and
# .rpm packages carry beside the binary (goreleaser runs it as a before
# hook; see .goreleaser.yaml):
#
#   DIR/completions/credswap.{bash,zsh,fish}   shell-init SHELL --completion-only
#   DIR/systemd/credswap-refresh.{service,timer}
#
# The packaged service runs /usr/bin/credswap, where the packages put it;
# contrib/systemd's own unit runs ~/go/bin/credswap (go install).
set -eu
out=${1:?usage: release-files.sh DIR}
rm -rf "$out"
mkdir -p "$out/completions" "$out/systemd"

# The completions come from the command table of this very source tree.
go build -o "$out/credswap" .
for shell in bash zsh fish; do
	"$out/credswap" shell-init "$shell" --completion-only >"$out/completions/credswap.$shell"
done
rm -f "$out/credswap"

unit=contrib/systemd/credswap-refresh.service
sed -e 's|^ExecStart=%h/go/bin/credswap |ExecStart=/usr/bin/credswap |' \
	-e 's|^# %h is your home directory; adjust if credswap is installed elsewhere\.$|# Installed by the credswap package with the binary in /usr/bin.|' \
	"$unit" >"$out/systemd/credswap-refresh.service"
if ! grep -q '^ExecStart=/usr/bin/credswap ' "$out/systemd/credswap-refresh.service"; then
	echo "release-files.sh: $unit has no 'ExecStart=%h/go/bin/credswap ' line to point at /usr/bin" >&2
	exit 1
fi
cp contrib/systemd/credswap-refresh.timer "$out/systemd/"
