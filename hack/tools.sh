#!/usr/bin/env bash
# hack/tools.sh builds, once, the real binaries that wecforge's integration and end-to-end tests
# run, from the Go module proxy only (no release downloads, no container engine):
#
#   kube-apiserver, kube-controller-manager  k8s.io/kubernetes  (wrapper hack/tools/kube)
#   etcd                                     go.etcd.io/etcd    (wrapper hack/tools/etcd)
#   registration, work, registration-operator open-cluster-management.io/ocm (hack/tools/ocm)
#   kustomize                                sigs.k8s.io/kustomize/kustomize/v5 (hack/tools/kustomize)
#
# and makes sure a Chromium is present for the browser test (group chromium): one found on PATH,
# else, when running as root with apt-get (as CI does), Debian's `chromium` package; either
# way it is linked as hack/bin/chromium.
#
# Binaries are cached in the gitignored hack/bin/ as NAME-VERSION, with unversioned symlinks
# beside them, and hack/bin/assets/ holds kube-apiserver and etcd for KUBEBUILDER_ASSETS. A
# binary is built only when missing, so a warm run takes well under a second. The wrapper
# modules build in parallel; each `go build` builds its commands in one invocation so they share
# work. On 2 cores a cold build (empty Go build cache) takes about 15-18 minutes on an idle
# machine, and took 35 minutes here while other heavy jobs competed (etcd 2, OCM 12,
# Kubernetes 35; kustomize alone about 2 minutes); a fresh clone whose Go build cache is
# warm needs about 40 seconds.
#
# Usage:
#   hack/tools.sh                 build whatever is missing (all groups)
#   hack/tools.sh kube etcd ocm   build only the named groups (kube etcd ocm kustomize chromium;
#                                 chromium: only the browser)
#   hack/tools.sh --assets-dir    print the absolute KUBEBUILDER_ASSETS folder
#   hack/tools.sh --bin-dir       print the absolute folder of all binaries
#   hack/tools.sh --force ...     rebuild even when present
#
# Exit status is non-zero when any build fails; the failing build's log is printed.
set -euo pipefail

HACK="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
BIN="${HACK}/bin"
ASSETS="${BIN}/assets"
LOGS="${BIN}/logs"

KUBE_VERSION=v1.37.2
KUBE_MAJOR=1
KUBE_MINOR=37
ETCD_VERSION=v3.7.3
OCM_VERSION=v1.0.0
# kustomize runs the KRM function in its end-to-end test. v5.8.2 is the last release on the
# kyaml/api v0.21.2 modules the project pins; later ones need a newer Go.
KUSTOMIZE_VERSION=v5.8.2

force=0
groups=()
while (($#)); do
	case "$1" in
	--assets-dir) echo "${ASSETS}"; exit 0 ;;
	--bin-dir) echo "${BIN}"; exit 0 ;;
	--force) force=1 ;;
	-h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
	kube | etcd | ocm | kustomize | chromium) groups+=("$1") ;;
	*) echo "tools.sh: unknown argument: $1" >&2; exit 2 ;;
	esac
	shift
done
((${#groups[@]})) || groups=(kube etcd ocm kustomize chromium)

mkdir -p "${BIN}" "${ASSETS}" "${LOGS}"

# One build at a time per checkout: a second caller waits, then finds the binaries present.
exec 9>"${BIN}/.lock"
if ! flock -n 9; then
	echo "tools.sh: another build holds ${BIN}/.lock; waiting" >&2
	flock 9
fi

# The wrappers are their own modules: never let a workspace or the caller's flags leak in.
export GOWORK=off GOFLAGS="-buildvcs=false" GOTOOLCHAIN="${GOTOOLCHAIN:-local}"

# group_cmds GROUP prints "binary version package" lines for one wrapper module.
group_cmds() {
	case "$1" in
	kube)
		echo "kube-apiserver ${KUBE_VERSION} k8s.io/kubernetes/cmd/kube-apiserver"
		echo "kube-controller-manager ${KUBE_VERSION} k8s.io/kubernetes/cmd/kube-controller-manager"
		;;
	etcd) echo "etcd ${ETCD_VERSION} go.etcd.io/etcd/server/v3" ;;
	ocm)
		echo "registration ${OCM_VERSION} open-cluster-management.io/ocm/cmd/registration"
		echo "work ${OCM_VERSION} open-cluster-management.io/ocm/cmd/work"
		echo "registration-operator ${OCM_VERSION} open-cluster-management.io/ocm/cmd/registration-operator"
		;;
	kustomize) echo "kustomize ${KUSTOMIZE_VERSION} sigs.k8s.io/kustomize/kustomize/v5" ;;
	esac
}

group_ldflags() {
	case "$1" in
	kube)
		local v=k8s.io/component-base/version
		echo "-s -w -X ${v}.gitVersion=${KUBE_VERSION} -X ${v}.gitMajor=${KUBE_MAJOR}" \
			"-X ${v}.gitMinor=${KUBE_MINOR} -X ${v}.gitTreeState=clean"
		;;
	ocm)
		# OCM stamps its own version package the same way.
		echo "-s -w -X open-cluster-management.io/ocm/pkg/version.versionFromGit=${OCM_VERSION}"
		;;
	*) echo "-s -w" ;;
	esac
}

# build_group GROUP builds the group's missing binaries in one `go build` and links them in.
build_group() {
	local group="$1" name version pkg start
	local -a pkgs=() names=()
	while read -r name version pkg; do
		if ((force)) || [[ ! -x "${BIN}/${name}-${version}" ]]; then
			pkgs+=("${pkg}")
			names+=("${name}:${version}")
		fi
	done < <(group_cmds "${group}")
	if ((${#pkgs[@]} == 0)); then
		echo "tools.sh: ${group}: up to date"
		return 0
	fi
	echo "tools.sh: ${group}: building ${names[*]}"
	start=${SECONDS}
	local out
	out="$(mktemp -d "${BIN}/.build-${group}.XXXXXX")"
	if ! (cd "${HACK}/tools/${group}" &&
		go build -trimpath -ldflags "$(group_ldflags "${group}")" -o "${out}/" "${pkgs[@]}") \
		>"${LOGS}/${group}.log" 2>&1; then
		echo "tools.sh: ${group}: build FAILED after $((SECONDS - start))s; log follows" >&2
		cat "${LOGS}/${group}.log" >&2
		rm -rf "${out}"
		return 1
	fi
	local entry pkgbase
	for entry in "${names[@]}"; do
		name="${entry%%:*}"
		version="${entry#*:}"
		# go build names each binary after its package's last path element.
		pkgbase="$(group_cmds "${group}" | awk -v n="${name}" '$1 == n { print $3 }')"
		pkgbase="${pkgbase##*/}"
		[[ "${pkgbase}" == v3 ]] && pkgbase=server # go.etcd.io/etcd/server/v3 builds "server"
		[[ "${pkgbase}" == v5 ]] && pkgbase=kustomize # sigs.k8s.io/kustomize/kustomize/v5 builds "kustomize"
		mv -f "${out}/${pkgbase}" "${BIN}/${name}-${version}"
	done
	rm -rf "${out}"
	echo "tools.sh: ${group}: built in $((SECONDS - start))s"
}

link_all() {
	local group name version pkg
	for group in kube etcd ocm kustomize; do
		while read -r name version pkg; do
			if [[ -x "${BIN}/${name}-${version}" ]]; then
				ln -sfn "${name}-${version}" "${BIN}/${name}"
			fi
		done < <(group_cmds "${group}")
	done
	[[ -x "${BIN}/kube-apiserver-${KUBE_VERSION}" ]] &&
		ln -sfn "../kube-apiserver-${KUBE_VERSION}" "${ASSETS}/kube-apiserver"
	[[ -x "${BIN}/etcd-${ETCD_VERSION}" ]] &&
		ln -sfn "../etcd-${ETCD_VERSION}" "${ASSETS}/etcd"
	return 0
}

# --- chromium: the browser TestE2EReportInBrowser drives. A distribution package, not built
# from source; nothing here is versioned, the test needs any recent headless Chromium. ---
# ensure_chromium links hack/bin/chromium to the first Chromium on PATH, installing Debian's
# package with apt-get first when there is none and the script runs as root.
ensure_chromium() {
	local found="" name
	for name in chromium chromium-browser google-chrome-stable google-chrome; do
		found="$(command -v "${name}" 2>/dev/null)" && break
		found=""
	done
	if [[ -z "${found}" ]]; then
		if [[ "$(id -u)" != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
			echo "tools.sh: chromium: none on PATH, and installing needs root and apt-get;" \
				"install it (Debian: apt-get install -y chromium) or put one on PATH" >&2
			return 1
		fi
		echo "tools.sh: chromium: installing Debian's chromium package with apt-get"
		if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium; } \
			>"${LOGS}/chromium.log" 2>&1 || ! found="$(command -v chromium)"; then
			echo "tools.sh: chromium: apt-get install FAILED; log follows" >&2
			cat "${LOGS}/chromium.log" >&2
			return 1
		fi
	fi
	ln -sfn "${found}" "${BIN}/chromium"
	echo "tools.sh: chromium: ${found} linked as ${BIN}/chromium"
}

total=${SECONDS}
declare -A pids=()
for g in "${groups[@]}"; do
	if [[ "${g}" == chromium ]]; then
		ensure_chromium &
	else
		build_group "${g}" &
	fi
	pids[${g}]=$!
done
failed=()
for g in "${!pids[@]}"; do
	wait "${pids[${g}]}" || failed+=("${g}")
done
link_all
if ((${#failed[@]})); then
	echo "tools.sh: FAILED: ${failed[*]} (logs in ${LOGS})" >&2
	exit 1
fi
echo "tools.sh: all tools present in ${BIN} ($((SECONDS - total))s)"
