#!/usr/bin/env bash
# Runs the Windows build of credswap under wine with a scripted session
# against the fake STS (internal/winetest/fakests), and checks every step by
# reading the resulting credentials file from Linux. Rule 13 of
# credentials-file.md: Windows behaviour is tested by running the Windows
# build, not only by compiling it.
#
#   bash .ci/wine.sh
#
# Self-contained: installs wine64 and binutils-mingw-w64 with apt-get when
# they are missing, makes a fresh wine prefix in a temporary directory,
# builds the ProcessPrng stub (internal/winetest/README.md), credswap.exe and
# the helpers, runs the session, removes everything it made, and ends with
# "N passed, N failed" (exit 1 if any check failed).
#
# The same session runs first with the Linux build, as a control: a check
# that fails only under wine points at Windows (wine or credswap's Windows
# code), one that fails in both at credswap itself.
#
# Environment: WINE_SH_KEEP=1 keeps the temporary directory for a look
# afterwards; WINE_SH_NO_CONTROL=1 skips the Linux control run.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v go >/dev/null || { echo "wine.sh: go is not on PATH" >&2; exit 1; }

t0=$(date +%s.%N)
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2fs", b - a }'; }
step() { printf '\n=== %s  [%s]\n' "$*" "$(since "$t0")"; }

# --- tools -----------------------------------------------------------------
step "tools"
if ! command -v wine >/dev/null || ! command -v wineboot >/dev/null || ! command -v x86_64-w64-mingw32-dlltool >/dev/null; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing wine64 and binutils-mingw-w64"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wine64 binutils-mingw-w64 >/dev/null
fi
go version
WINEDEBUG=-all wine --version

# --- scratch space and cleanup ---------------------------------------------
work=$(mktemp -d "${TMPDIR:-/tmp}/credswap-wine.XXXXXX")
export WINEPREFIX=$work/prefix WINEARCH=win64 WINEDEBUG=-all
# No Mono or Gecko installer dialogs; no display needed.
export WINEDLLOVERRIDES="mscoree,mshtml="
unset DISPLAY WAYLAND_DISPLAY
sts_pid="" sts_fd=""
cleanup() {
  set +e
  if [ -n "$sts_fd" ]; then exec {sts_fd}>&-; fi
  if [ -n "$sts_pid" ]; then
    # fakests stops when its stdin closes; make sure.
    for _ in 1 2 3 4 5 6 7 8 9 10; do kill -0 "$sts_pid" 2>/dev/null || break; sleep 0.1; done
    kill "$sts_pid" 2>/dev/null
    wait "$sts_pid" 2>/dev/null
  fi
  [ -d "$WINEPREFIX" ] && wineserver -k 2>/dev/null
  if [ "${WINE_SH_KEEP:-}" = 1 ]; then
    echo "kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- builds ----------------------------------------------------------------
step "build credswap.exe, the helpers and the ProcessPrng stub"
GOOS=windows GOARCH=amd64 go build -o "$work/credswap.exe" .
GOOS=windows GOARCH=amd64 go build -o "$work/holdfile.exe" ./internal/winetest/holdfile
go build -o "$work/credswap" .
go build -o "$work/holdfile" ./internal/winetest/holdfile
go build -o "$work/fakests" ./internal/winetest/fakests
x86_64-w64-mingw32-dlltool --input-def internal/winetest/bcryptprimitives.def \
  --dllname bcryptprimitives.dll --output-exp "$work/bcryptprimitives.exp"
x86_64-w64-mingw32-ld --dll --entry 0 --no-insert-timestamp \
  -o "$work/bcryptprimitives.dll" "$work/bcryptprimitives.exp"

step "wine prefix"
wineboot -i >"$work/wineboot.log" 2>&1 || { cat "$work/wineboot.log"; exit 1; }
wineserver -w
# One wineserver for the whole session rather than one per command; it
# goes by itself 10s after the last wine process, should cleanup not run.
wineserver -p10
sys32=$WINEPREFIX/drive_c/windows/system32
if wine "$work/credswap.exe" version >"$work/nostub.out" 2>&1; then
  echo "this wine has ProcessPrng itself; the stub is not installed"
elif grep -q 'bcryptprimitives.dll not found' "$work/nostub.out"; then
  echo "without the stub: $(grep -m1 'fatal error' "$work/nostub.out")"
  cp "$work/bcryptprimitives.dll" "$sys32/"
  echo "installed the ProcessPrng stub in $sys32"
else
  echo "credswap.exe fails to start for another reason:" >&2
  cat "$work/nostub.out" >&2
  exit 1
fi

# The release's own Windows binary (goreleaser's, from .ci/package.sh's
# snapshot), when WINE_SH_RELEASE_EXE names it, starts and prints the
# version stamped into it.
if [ -n "${WINE_SH_RELEASE_EXE:-}" ]; then
  step "the release's credswap.exe"
  release_out=$(wine "$WINE_SH_RELEASE_EXE" version 2>&1 | tr -d '\r')
  echo "$release_out"
  grep -q '^credswap v[0-9][^ ]* (commit [0-9a-f]\{7,\}, go1\.[0-9.]* windows/amd64)$' <<<"$release_out" || {
    echo "wine.sh: $WINE_SH_RELEASE_EXE does not print a stamped version" >&2
    exit 1
  }
fi

# --- the fake STS -----------------------------------------------------------
step "fake STS"
mkfifo "$work/sts.in"
"$work/fakests" <"$work/sts.in" >"$work/sts.url" 2>"$work/sts.log" &
sts_pid=$!
exec {sts_fd}>"$work/sts.in"
sts_url=""
for _ in $(seq 100); do
  sts_url=$(head -n1 "$work/sts.url" 2>/dev/null || true)
  [ -n "$sts_url" ] && break
  sleep 0.05
done
[ -n "$sts_url" ] || { echo "the fake STS did not start" >&2; cat "$work/sts.log" >&2; exit 1; }
echo "fake STS at $sts_url"

# --- checks ------------------------------------------------------------------
passed=0 failed=0 label=""
pass() { passed=$((passed + 1)); printf '  ok    %s: %s\n' "$label" "$1"; }
fail() {
  failed=$((failed + 1))
  printf '  FAIL  %s: %s\n' "$label" "$1"
  shift
  for f in "$@"; do
    [ -f "$f" ] && sed 's/^/        | /' "$f"
  done
  return 0
}
# check DESCRIPTION COMMAND...: a check that passes when COMMAND succeeds.
# A failure shows $out/why, written by the command or just before the
# check, or else the stderr of the last credswap run.
check() {
  local what=$1
  shift
  if "$@"; then
    pass "$what"
  elif [ -s "$out/why" ]; then
    fail "$what" "$out/why"
  else
    fail "$what" "$out/err"
  fi
  rm -f "$out/why"
}

# The environment of every credswap run: the source keys come from [base]
# of the credentials file, STS is the fake, nothing of the machine leaks in.
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY AWS_SESSION_TOKEN \
      AWS_SHARED_CREDENTIALS_FILE AWS_CONFIG_FILE AWS_ENDPOINT_URL AWS_REGION AWS_DEFAULT_REGION
export AWS_ENDPOINT_URL_STS=$sts_url AWS_EC2_METADATA_DISABLED=true NO_COLOR=1 USER=sue USERNAME=sue

# run NAME ARGS...: runs credswap ARGS with the current runner, its stdout,
# stderr and exit code in $out/NAME.{out,err,rc}; sets $rc and $out/{out,err}.
rc=0
run() {
  local name=$1
  shift
  local s
  s=$(date +%s.%N)
  set +e
  "${runner[@]}" "$@" >"$out/$name.out" 2>"$out/$name.err"
  rc=$?
  set -e
  echo "$rc" >"$out/$name.rc"
  cp "$out/$name.out" "$out/out"
  cp "$out/$name.err" "$out/err"
  printf '  ..    %s: credswap %s -> exit %d in %s\n' "$label" "$*" "$rc" "$(since "$s")"
}

# section FILE NAME: the lines of [NAME] (header excluded, CR removed).
section() {
  tr -d '\r' <"$1" | awk -v want="[$2]" '
    /^[ \t]*\[/ { inside = ($0 == want); next }
    inside { print }'
}
headers() { tr -d '\r' <"$1" | grep -c -x -F "[$2]" || true; }
value() { section "$1" "$2" | sed -n "s/^$3 = //p" | head -n1; }
# starts_with FILE PREFIXFILE: FILE begins with the bytes of PREFIXFILE.
starts_with() { cmp -s -n "$(stat -c %s "$2")" "$1" "$2"; }
# no_temp DIR BASE: no temporary file of BASE is left in DIR ("." + BASE +
# digits, renameio's names; ".BASE.tmp-digits", what older Windows code made).
no_temp() {
  local left="" f
  for f in "$1"/.* "$1"/*; do
    [[ ${f##*/} =~ ^\.$2([0-9]+|\.tmp-[0-9]+)$ ]] && left="$left ${f##*/}"
  done
  if [ -n "$left" ]; then
    echo "left in $1: $left" >"$out/why"
    return 1
  fi
}
is_crlf() { [ "$(grep -c $'\r$' "$1")" -eq "$(wc -l <"$1")" ] && [ "$(wc -l <"$1")" -gt 0 ]; }
exit_is() { [ "$rc" -eq "$1" ]; }

# use KIND DIR CDIR: run the Linux or the Windows build (KIND), with the
# files in DIR as Linux sees it, CDIR as credswap sees it.
use() {
  local sep=/
  case $1 in
    linux) runner=("$work/credswap") holder=("$work/holdfile") ;;
    windows) runner=(wine "$work/credswap.exe") holder=(wine "$work/holdfile.exe") sep=\\ ;;
  esac
  dir=$2 cdir=$3
  cpath="$cdir${sep}credentials"
  export AWS_SHARED_CREDENTIALS_FILE=$cpath AWS_CONFIG_FILE="$cdir${sep}config" CREDSWAP_TTY="$cdir${sep}no-such-tty"
  mkdir -p "$dir"
}

# session LABEL KIND DIR CDIR: the scripted session (see use).
session() {
  label=$1
  use "$2" "$3" "$4"
  out=$work/out-$label
  mkdir -p "$out"
  local cred=$dir/credentials
  step "session: $label ($AWS_SHARED_CREDENTIALS_FILE)"

  # A file written by hand and by another tool.
  cat >"$cred" <<'EOF'
# My AWS keys. Written by hand; keep this comment.
; and this one

[base]
aws_access_key_id = AKIAEXAMPLEBASE0001
aws_secret_access_key = SECRETbase0000000000000000000000000000000
region = eu-west-1

# saml2aws owns the next section
[saml]
aws_access_key_id = ASIAEXAMPLESAML0001
aws_secret_access_key = SECRETsaml
aws_session_token = TOKENsaml
x_security_token_expires = 2030-01-01T00:00:00Z
x_principal_arn = arn:aws:sts::111122223333:assumed-role/Saml/sue
EOF
  cat >"$dir/config" <<'EOF'
[default]
region = us-east-1
EOF
  cp "$cred" "$out/original"

  run version version
  check "version starts" exit_is 0

  run assume1 assume --role-arn arn:aws:iam::111122223333:role/Admin -s base -p admin
  check "assume into a new profile exits 0" exit_is 0
  check "the original bytes are kept" starts_with "$cred" "$out/original"
  check "[admin] written once" test "$(headers "$cred" admin)" = 1
  local key1
  key1=$(value "$cred" admin aws_access_key_id)
  check "[admin] holds temporary keys" test -n "$key1" -a "${key1#ASIA}" != "$key1" -a -n "$(value "$cred" admin aws_session_token)"
  check "[admin] names the assumed role" test "$(value "$cred" admin x_principal_arn | cut -d/ -f1-2)" = "arn:aws:sts::111122223333:assumed-role/Admin"
  check "no temporary file left" no_temp "$dir" credentials

  run assume2 assume --role-arn arn:aws:iam::111122223333:role/Admin -s base -p admin
  check "assume into the same profile again exits 0" exit_is 0
  local key2
  key2=$(value "$cred" admin aws_access_key_id)
  check "[admin] holds the new keys" test -n "$key2" -a "$key2" != "$key1"
  check "[admin] still written once" test "$(headers "$cred" admin)" = 1
  check "the original bytes are kept" starts_with "$cred" "$out/original"
  check "no temporary file left" no_temp "$dir" credentials

  run assume3 assume --role-arn arn:aws:iam::111122223333:role/ReadOnly -s base -p ro
  check "assume into a second profile exits 0" exit_is 0
  check "[ro] names the ReadOnly role" test "$(value "$cred" ro x_principal_arn | cut -d/ -f1-2)" = "arn:aws:sts::111122223333:assumed-role/ReadOnly"
  check "[admin] is untouched" test "$(value "$cred" admin aws_access_key_id)" = "$key2"
  check "the original bytes are kept" starts_with "$cred" "$out/original"

  # A temporary file left by a killed writer is removed by the next write,
  # under the lock; a file that only looks alike is not.
  cp "$cred" "$dir/.credentials4242424242"
  echo "my notes" >"$dir/.credentials-notes"
  run assume4 assume --role-arn arn:aws:iam::111122223333:role/ReadOnly -s base -p ro -q
  check "a write removes a temporary file left by a killed writer" test ! -e "$dir/.credentials4242424242"
  check "... but not .credentials-notes" test -e "$dir/.credentials-notes"
  rm -f "$dir/.credentials-notes"

  run whoami whoami -p admin
  check "whoami with the written credentials" grep -q '^arn:aws:sts::111122223333:assumed-role/Admin/' "$out/out"

  run remove remove ro
  check "remove exits 0" exit_is 0
  check "[ro] is gone" test "$(headers "$cred" ro)" = 0
  check "[admin] is still there" test "$(value "$cred" admin aws_access_key_id)" = "$key2"
  check "the original bytes are kept" starts_with "$cred" "$out/original"
  check "no temporary file left" no_temp "$dir" credentials

  run list list
  check "list exits 0" exit_is 0
  check "list shows base as static" grep -q -E '^[ *] base .*static' "$out/out"
  check "list shows saml as temporary" grep -q -E '^[ *] saml .*temporary' "$out/out"
  check "list shows admin as managed" grep -q -E '^[ *] admin .*managed' "$out/out"
  check "list prints no secret" bash -c "! grep -q -E 'SECRET|TOKEN' '$out/out'"

  # Writers at once, each into its own profile, queued behind a held lock
  # so that they all race for it when it is let go, while `list` reads the
  # file without the lock (on Windows an open reader blocks the rename).
  local n=8 i s pids=() hpid
  "${holder[@]}" -lock "$cpath.lock" 1500ms >"$out/lock.out" 2>&1 &
  hpid=$!
  for _ in $(seq 200); do grep -q holding "$out/lock.out" 2>/dev/null && break; sleep 0.05; done
  s=$(date +%s.%N)
  for i in $(seq "$n"); do
    "${runner[@]}" assume --role-arn arn:aws:iam::111122223333:role/ReadOnly -s base -p "c$i" -q \
      >"$out/c$i.out" 2>"$out/c$i.err" &
    pids+=($!)
  done
  (
    for i in 1 2 3 4 5 6; do
      "${runner[@]}" list >"$out/r$i.out" 2>"$out/r$i.err" || echo "list $i: exit $?" >>"$out/readers"
      sleep 0.1
    done
  ) &
  local rpid=$!
  local bad=0
  for i in $(seq "$n"); do
    if wait "${pids[$((i - 1))]}"; then echo 0 >"$out/c$i.rc"; else echo $? >"$out/c$i.rc"; bad=1; fi
  done
  local took
  took=$(since "$s")
  wait "$hpid" || true
  wait "$rpid" || true
  printf '  ..    %s: %d concurrent assume -> exit codes %s in %s\n' "$label" "$n" \
    "$(for i in $(seq "$n"); do printf '%s ' "$(cat "$out/c$i.rc")"; done)" "$took"
  for i in $(seq "$n"); do
    [ "$(cat "$out/c$i.rc")" = 0 ] || { echo "c$i: exit $(cat "$out/c$i.rc")"; cat "$out/c$i.err"; } >>"$out/why"
  done
  check "$n concurrent writers all exit 0" test "$bad" = 0
  check "they waited for the held lock" awk -v t="${took%s}" 'BEGIN { exit !(t >= 1.0) }'
  cat "$out/readers" >"$out/why" 2>/dev/null || true
  check "list while they write exits 0 every time" test ! -s "$out/readers"
  local missing=""
  for i in $(seq "$n"); do
    [ "$(headers "$cred" "c$i")" = 1 ] && [ -n "$(value "$cred" "c$i" aws_session_token)" ] || missing="$missing c$i"
  done
  echo "missing or duplicated:$missing" >"$out/why"
  check "all $n sections are there, once each" test -z "$missing"
  check "[admin] survived the writers" test "$(value "$cred" admin aws_access_key_id)" = "$key2"
  check "the original bytes are kept" starts_with "$cred" "$out/original"
  check "no temporary file left" no_temp "$dir" credentials
  ls -A "$dir" >"$out/ls"
  echo "files: $(tr '\n' ' ' <"$out/ls")" >"$out/why"
  check "only the file, its lock and the config are there" \
    test "$(grep -c -v -x -E 'credentials|credentials\.lock|config' "$out/ls")" = 0

  # A file with CRLF line endings stays CRLF.
  local crlf=$dir/crlf
  printf '# CRLF file, keep me\r\n[base]\r\naws_access_key_id = AKIAEXAMPLEBASE0001\r\naws_secret_access_key = SECRETbase0000000000000000000000000000000\r\n\r\n[other]\r\nfoo = bar\r\n' >"$crlf"
  cp "$crlf" "$out/original-crlf"
  export AWS_SHARED_CREDENTIALS_FILE="${cpath%credentials}crlf"
  run crlf1 assume --role-arn arn:aws:iam::111122223333:role/Admin -s base -p admin
  check "assume into a CRLF file exits 0" exit_is 0
  check "every line of the CRLF file ends in CRLF" is_crlf "$crlf"
  check "the CRLF file's original bytes are kept" starts_with "$crlf" "$out/original-crlf"
  run crlf2 assume --role-arn arn:aws:iam::111122223333:role/ReadOnly -s base -p admin
  check "overwriting in the CRLF file exits 0" exit_is 0
  check "the CRLF file is still all CRLF" is_crlf "$crlf"
  check "[admin] once in the CRLF file, with the new role" \
    test "$(headers "$crlf" admin)/$(value "$crlf" admin x_principal_arn | cut -d/ -f1-2)" = "1/arn:aws:sts::111122223333:assumed-role/ReadOnly"
  check "no temporary file left beside the CRLF file" no_temp "$dir" crlf
  export AWS_SHARED_CREDENTIALS_FILE=$cpath

  # exec: the command runs with [base]'s keys in its environment only, the
  # outer AWS_PROFILE gone, and exits with its own status; with --server it
  # gets no keys but the loopback endpoint.
  local status_cmd env_cmd srv_cmd
  case $2 in
    linux)
      status_cmd=(sh -c 'exit 3')
      env_cmd=(sh -c 'echo "$CREDSWAP_PROFILE $AWS_ACCESS_KEY_ID ${AWS_PROFILE:-unset}"')
      srv_cmd=(sh -c 'echo "${AWS_ACCESS_KEY_ID:-nokey} $AWS_CONTAINER_CREDENTIALS_FULL_URI"') ;;
    windows)
      status_cmd=(cmd /c exit 3)
      env_cmd=(cmd /c 'if defined AWS_PROFILE (echo %CREDSWAP_PROFILE% %AWS_ACCESS_KEY_ID% %AWS_PROFILE%) else (echo %CREDSWAP_PROFILE% %AWS_ACCESS_KEY_ID% unset)')
      srv_cmd=(cmd /c 'if defined AWS_ACCESS_KEY_ID (echo %AWS_ACCESS_KEY_ID% %AWS_CONTAINER_CREDENTIALS_FULL_URI%) else (echo nokey %AWS_CONTAINER_CREDENTIALS_FULL_URI%)') ;;
  esac
  run exec1 exec base -- "${status_cmd[@]}"
  check "exec exits with the command's status" exit_is 3
  run exec2 exec base --server -- "${status_cmd[@]}"
  check "exec --server exits with the command's status" exit_is 3
  AWS_PROFILE=saml run exec3 exec base -- "${env_cmd[@]}"
  tr -d '\r' <"$out/exec3.out" >"$out/why"
  check "exec gives the command [base]'s keys, not AWS_PROFILE" test "$(cat "$out/why")" = "base AKIAEXAMPLEBASE0001 unset"
  rm -f "$out/why"
  run exec4 exec base --server -- "${srv_cmd[@]}"
  tr -d '\r' <"$out/exec4.out" >"$out/why"
  check "exec --server gives the command an endpoint and no keys" grep -q -x -E 'nokey http://127\.0\.0\.1:[0-9]+/credentials' "$out/why"
  rm -f "$out/why"
  run exec5 exec base -- no-such-command-credswap
  check "exec of a command that is not there exits 127" exit_is 127
}

# held LABEL DIR CDIR: a Windows process holds the credentials file open
# (sharing reads and writes, not deletion) while credswap replaces it.
held() {
  label=$1
  use windows "$2" "$3"
  out=$work/out-$label
  mkdir -p "$out"
  local cred=$dir/credentials
  step "session: $label (another process holds $cpath open)"

  # Briefly: the rename is retried until the other process lets go.
  local hpid
  "${holder[@]}" "$cpath" 1500ms >"$out/hold1.out" 2>&1 &
  hpid=$!
  for _ in $(seq 100); do grep -q holding "$out/hold1.out" 2>/dev/null && break; sleep 0.05; done
  run held1 assume --role-arn arn:aws:iam::111122223333:role/Admin -s base -p held -q
  wait "$hpid" || true
  check "a write while the file is held for 1.5s exits 0" exit_is 0
  check "[held] is written" test "$(headers "$cred" held)" = 1
  check "no temporary file left" no_temp "$dir" credentials

  # Longer than credswap's bound: a clear failure, the file unchanged.
  cp "$cred" "$out/before"
  "${holder[@]}" "$cpath" 8s >"$out/hold2.out" 2>&1 &
  hpid=$!
  for _ in $(seq 100); do grep -q holding "$out/hold2.out" 2>/dev/null && break; sleep 0.05; done
  run held2 assume --role-arn arn:aws:iam::111122223333:role/Admin -s base -p held2 -q
  check "a write while the file is held for good exits 1" exit_is 1
  check "... and leaves the file byte for byte as it was" cmp -s "$cred" "$out/before"
  check "... and no temporary file" no_temp "$dir" credentials
  check "... and says why on stderr" grep -q -i -E 'denied|in use|another program|another process' "$out/held2.err"
  check "... naming its temporary file .credentials<digits>" grep -q -E '[\\/]\.credentials[0-9]+ ' "$out/held2.err"
  kill "$hpid" 2>/dev/null || true
  wait "$hpid" 2>/dev/null || true
}

if [ "${WINE_SH_NO_CONTROL:-}" != 1 ]; then
  session linux linux "$work/home/.aws" "$work/home/.aws"
fi
winhome=$WINEPREFIX/drive_c/users/test/.aws
session windows windows "$winhome" 'C:\users\test\.aws'
held windows-held "$winhome" 'C:\users\test\.aws'

step "fake STS summary"
exec {sts_fd}>&-
sts_fd=""
wait "$sts_pid" || true
sts_pid=""
cat "$work/sts.log"

step "done"
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
