#!/usr/bin/env bash
# Builds mk's offline images, FROM scratch, with no registry: Debian's static busybox for
# mk/pause:1, mk/busybox:1, mk/web:v1, mk/web:v2 and the two-tier demo's mk/backend:v1 and
# mk/proxy:v1, and Debian's etcd binary (with the libraries and loader it links) for mk/etcd:3.4,
# which the test harness runs.
#
# Idempotent and quiet: each image carries the label mk.build=TAG@HASH, HASH covering its folder
# here, its build arguments and the binary it copies (path, size, mtime). An image is built only when
# no image with that label exists under its tag; with everything up to date this prints nothing and
# costs one `docker image inspect` (about 0.1 s). Tags are always explicit; nothing is ever pulled.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BUSYBOX="${MK_BUSYBOX:-/bin/busybox}"
ETCD="${MK_ETCD:-/usr/bin/etcd}"

# tag | folder | build argument | binary copied in
IMAGES=(
  "mk/pause:1|pause||$BUSYBOX"
  "mk/busybox:1|busybox||$BUSYBOX"
  "mk/web:v1|web|VERSION=v1|$BUSYBOX"
  "mk/web:v2|web|VERSION=v2|$BUSYBOX"
  "mk/backend:v1|backend||$BUSYBOX"
  "mk/proxy:v1|proxy||$BUSYBOX"
  "mk/etcd:3.4|etcd||$ETCD"
)

# The label value an up-to-date image of each entry carries, one line per entry, in IMAGES order.
# Process starts dominate the cost of an up-to-date run, so this reads the folder once (each file's
# mode and content hash, and the binaries' size and mtime, which a package upgrade changes), splits
# it per image with one awk and hashes every image's part with one sha256sum.
want_labels() {
  local tmp
  tmp="$(mktemp -d "${TMPDIR:-/tmp}/mk-images.XXXXXX")"
  (
    cd "$HERE"
    find . -mindepth 2 -printf '%p %m\n' | LC_ALL=C sort
    find . -mindepth 2 -type f -print0 | xargs -0 sha256sum | LC_ALL=C sort -k2
    stat -L -c '%n %s %Y' "$BUSYBOX" "$ETCD"
  ) | awk -v out="$tmp" -v spec="$(printf '%s\n' "${IMAGES[@]}")" '
    BEGIN { n = split(spec, entries, "\n") }
    { lines[NR] = $0 }
    END {
      for (i = 1; i <= n; i++) {
        split(entries[i], f, "|")  # tag, folder, build argument, binary
        file = sprintf("%s/%03d", out, i)
        print f[1] "\n" f[3] > file
        for (j = 1; j <= NR; j++)
          if (index(lines[j], "./" f[2] "/") || index(lines[j], f[4] " ")) print lines[j] > file
        close(file)
      }
    }'
  local i=0 sum _
  while read -r sum _; do
    printf '%s@%s\n' "${IMAGES[$i]%%|*}" "${sum:0:16}"
    i=$((i + 1))
  done < <(sha256sum "$tmp"/*)
  rm -rf "$tmp"
}

# Prints the label of every image named by a tag (docker skips the missing ones and fails; that is fine).
have_labels() {
  docker image inspect --format '{{index .Config.Labels "mk.build"}}' "$@" 2>/dev/null || true
}

# Copies the binary and, if it is dynamically linked, the libraries and loader ldd names, into rootfs/.
stage_binary() {
  local bin="$1" rootfs="$2"
  mkdir -p "$rootfs$(dirname "$bin")"
  cp -L "$bin" "$rootfs$bin"
  local libs
  if libs="$(ldd "$bin" 2>/dev/null)"; then
    awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"$libs" | while read -r lib; do
      mkdir -p "$rootfs$(dirname "$lib")"
      cp -L "$lib" "$rootfs$lib"
    done
  fi
}

build_one() {
  local tag="$1" dir="$2" arg="$3" bin="$4" label="$5"
  local ctx start old
  start="$(date +%s%N)"
  ctx="$(mktemp -d "${TMPDIR:-/tmp}/mk-image.XXXXXX")"
  # shellcheck disable=SC2064 # expand ctx now
  trap "rm -rf '$ctx'" RETURN
  cp -a "$HERE/$dir/." "$ctx/"
  case "$dir" in
    etcd) stage_binary "$bin" "$ctx/rootfs"; mkdir -p "$ctx/rootfs/var/lib/etcd" "$ctx/rootfs/tmp"
      chmod 700 "$ctx/rootfs/var/lib/etcd"; chmod 1777 "$ctx/rootfs/tmp" ;;
    *) cp -L "$bin" "$ctx/busybox" ;;
  esac
  local args=(--quiet --force-rm --label "mk.build=$label" --tag "$tag")
  [ -n "$arg" ] && args+=(--build-arg "$arg")
  old="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
  local out
  if ! out="$(DOCKER_BUILDKIT=0 docker build "${args[@]}" "$ctx" 2>&1)"; then
    printf '%s\n' "$out" >&2
    echo "images: building $tag failed" >&2
    return 1
  fi
  # The replaced image is now untagged; remove it unless a container still uses it (then rm fails).
  if [ -n "$old" ] && [ "$old" != "$(docker image inspect --format '{{.Id}}' "$tag")" ]; then
    docker image rm "$old" >/dev/null 2>&1 || true
  fi
  echo "images: built $tag ($(( ($(date +%s%N) - start) / 1000000 )) ms)" >&2
}

declare -a todo=()
check() {
  todo=()
  local labels have i
  mapfile -t labels < <(want_labels)
  have="$(have_labels "${labels[@]%@*}")"
  for i in "${!IMAGES[@]}"; do
    [[ $'\n'$have$'\n' == *$'\n'"${labels[$i]}"$'\n'* ]] || todo+=("${IMAGES[$i]}|${labels[$i]}")
  done
}

check
[ ${#todo[@]} -eq 0 ] && exit 0

# Two setups at once must not build the same tag twice: take a lock, then look again.
exec 9>"${TMPDIR:-/tmp}/mk-images.lock"
flock 9
check
for entry in "${todo[@]}"; do
  IFS='|' read -r tag dir arg bin label <<<"$entry"
  build_one "$tag" "$dir" "$arg" "$bin" "$label"
done
