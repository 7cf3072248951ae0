#!/bin/sh
# peer-ratios.sh: the peer comparison in one command.
#
#   benchmarks/peer-ratios.sh [ROUNDS] [BENCHTIME]     (defaults: 30 rounds of 0.2s)
#
# It builds the benchmark binary once, then runs ROUNDS interleaved rounds, each one process
# that runs every benchmark below once for BENCHTIME: DeepCopy, RenderPair, PeerTechnique and
# each peer's reference (Peer<Name>) with its restricted engine (Engine<Name>). A round's
# benchmarks share the machine's state of that moment, so each ratio is computed within a
# round; the script prints, per ratio, the median over the rounds and the range, then each
# benchmark's median ns/op and its B/op and allocs/op. Set RAW=FILE to keep the raw lines.
set -eu

rounds=${1:-30}
benchtime=${2:-0.2s}
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
go test -c -o "$tmp/bench.test" ./benchmarks/

i=0
while [ "$i" -lt "$rounds" ]; do
	i=$((i + 1))
	echo "round $i"
	"$tmp/bench.test" -test.run '^$' -test.benchtime "$benchtime" -test.benchmem \
		-test.bench 'DeepCopy$|RenderPair$|PeerTechnique$|Peer(KubeStellar|Karmada|Kustomize)$|Engine(KubeStellar|Karmada|Kustomize)$' |
		grep '^Benchmark'
done | tee "${RAW:-/dev/null}" | awk '
function median(list,    n, a, i, j, x) {
	n = split(list, a, " ")
	for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > x + 0; j--) a[j + 1] = a[j]; a[j + 1] = x }
	if (n % 2) return a[(n + 1) / 2]
	return (a[n / 2] + a[n / 2 + 1]) / 2
}
function lo(list,    n, a, i, m) { n = split(list, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 < m + 0) m = a[i]; return m }
function hi(list,    n, a, i, m) { n = split(list, a, " "); m = a[1]; for (i = 2; i <= n; i++) if (a[i] + 0 > m + 0) m = a[i]; return m }
function ratio(label, num, den,    r, l) {
	l = ""
	for (r = 1; r <= rounds; r++) if ((r, num) in ns && (r, den) in ns) l = l " " ns[r, num] / ns[r, den]
	if (l == "") return
	printf "%-44s %6.2f   (%.2f-%.2f over %d rounds)\n", label, median(l), lo(l), hi(l), split(l, tmp, " ")
}
/^round / { rounds = $2; next }
{
	name = $1; sub(/^Benchmark/, "", name); sub(/-[0-9]+$/, "", name)
	for (f = 2; f < NF; f++) {
		if ($(f + 1) == "ns/op") ns[rounds, name] = $f
		if ($(f + 1) == "B/op") bytes[name] = $f
		if ($(f + 1) == "allocs/op") allocs[name] = $f
	}
	seen[name] = 1
}
END {
	print "ratio (per round, then median)                  median   range"
	split("KubeStellar Karmada Kustomize", peers, " ")
	for (p = 1; p <= 3; p++) {
		ratio("Peer" peers[p] " / DeepCopy", "Peer" peers[p], "DeepCopy")
		ratio("Peer" peers[p] " / Engine" peers[p], "Peer" peers[p], "Engine" peers[p])
		ratio("Peer" peers[p] " / RenderPair", "Peer" peers[p], "RenderPair")
		ratio("Engine" peers[p] " / DeepCopy", "Engine" peers[p], "DeepCopy")
	}
	ratio("RenderPair / DeepCopy", "RenderPair", "DeepCopy")
	ratio("PeerTechnique / RenderPair", "PeerTechnique", "RenderPair")
	print ""
	print "benchmark                   median ns/op        B/op   allocs/op"
	n = split("DeepCopy RenderPair PeerTechnique PeerKubeStellar EngineKubeStellar PeerKarmada EngineKarmada PeerKustomize EngineKustomize", names, " ")
	for (k = 1; k <= n; k++) {
		b = names[k]
		if (!(b in seen)) continue
		l = ""
		for (r = 1; r <= rounds; r++) if ((r, b) in ns) l = l " " ns[r, b]
		printf "%-26s %13.0f %11s %11s\n", b, median(l), bytes[b], allocs[b]
	}
}'
