#!/usr/bin/env bash
# Times the native GhostNet bottleneck against the unfused layers (NativeBottleneckBench) with the
# training JVM's flags (bin/pnet: java17.flags, jemalloc, 2 OpenMP threads). Build first:
#   mvn -B -o -q -pl pipeline test-compile dependency:build-classpath \
#     -Dmdep.outputFile=target/test-classpath.txt -Dmdep.includeScope=test
# Usage: tools/native-bench.sh model block batch [iterations] | network model batch [iterations]
#        | ab model batch iterations property=a,b | pair modelA modelB batch [iterations]
# BENCH_JAVA_OPTS: -Dpnet.native.profile=true (and -Dpnet.native.profile.lines=N) prints the native
# step profile; -Dpnet.bench.step=fit makes ab time whole fit steps (updater included).
# BENCH_MAIN runs another benchmark class of the test classpath with the same JVM (PlanNormBench).
# Wrap it in `flock /tmp/heavy.lock` on a shared machine.
root="$(cd "$(dirname "$0")/.." && pwd)"
flags="$(sed -n 's:.*<java17.flags>\(.*\)</java17.flags>.*:\1:p' "$root/pom.xml")"
# shellcheck source=../bin/native-env.sh
source "$root/bin/native-env.sh"
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-2}"
# OpenMP waits as under pnet (NativeThreads): PASSIVE unless the caller set a policy. Without it
# libgomp spins for milliseconds after each region, which pnet's runs do not, and a comparison here
# measured another setting than the one pnet trains with. GOMP_SPINCOUNT, if set, passes through.
export OMP_WAIT_POLICY="${OMP_WAIT_POLICY:-PASSIVE}"
cp="$root/pipeline/target/test-classes:$root/pipeline/target/classes"
cp="$cp:$(cat "$root/pipeline/target/test-classpath.txt")"
# shellcheck disable=SC2086
exec java -Xmx6g $flags ${BENCH_JAVA_OPTS:-} -cp "$cp" \
  "${BENCH_MAIN:-org.parameternet.model.layers.NativeBottleneckBench}" "$@"
