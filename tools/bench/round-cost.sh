#!/usr/bin/env bash
# What one parameter-averaging round costs per byte (pipeline/src/test/java/.../RoundCostProbe):
# Kryo, ND4J's add/divide/assign, Spark's broadcast and treeAggregate of parameters + Adam state.
#
#   tools/bench/round-cost.sh local   [SIZES] [PARTITIONS] [REPEATS]   # Spark local[2]
#   tools/bench/round-cost.sh cluster [SIZES] [PARTITIONS] [REPEATS]   # Master + 2 Workers (1 core,
#       one executor each) as separate JVMs on 127.0.0.1, from the Maven-resolved Spark jars
# SIZES: parameter counts in millions (default 2,8,34.5); PARTITIONS: tasks a round (default 2).
# Needs the build (mvn -DskipTests package compiles the test classes too). Wrap in flock
# /tmp/heavy.lock on a shared machine. Prints RESULT lines (seconds per run) and FIT lines.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
mode="${1:-local}"; sizes="${2:-2,8,34.5}"; parts="${3:-2}"; repeats="${4:-3}"
jar="$(ls "$root"/jobs/target/parameternet-jobs-*-spark.jar | head -n 1)"
sparkcp="$(cat "$root/spark-runtime/target/spark-classpath.txt")"
read -r -a flags <<<"$(sed -n 's:.*<java17.flags>\(.*\)</java17.flags>.*:\1:p' "$root/pom.xml")"
app="$jar:$root/pipeline/target/test-classes"
export SPARK_LOCAL_IP=127.0.0.1
# the native allocator bin/pnet runs with (bin/native-env.sh), when installed
# shellcheck source=../../bin/native-env.sh
source "$root/bin/native-env.sh"
probe=(java -Xmx6g "${flags[@]}" -Dlog4j2.configurationFile="$root/conf/log4j2.properties"
  -cp "$app:$sparkcp" org.parameternet.benchmark.RoundCostProbe)

if [ "$mode" = local ]; then
  exec "${probe[@]}" "local[2]" "$sizes" "$parts" "$repeats"
fi

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
mkdir -p "$work/home/jars"
tr ':' '\n' <<<"$sparkcp" | while read -r j; do ln -sf "$j" "$work/home/jars/"; done
export SPARK_HOME="$work/home" SPARK_SCALA_VERSION=2.12
daemon() { # name class args...
  local name=$1 cls=$2; shift 2
  java -Xmx1g "${flags[@]}" -cp "$SPARK_HOME/jars/*" "$cls" "$@" >"$work/$name.log" 2>&1 &
  pids+=($!)
}
port=$((20000 + RANDOM % 20000))
daemon master org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" --webui-port 0
until grep -q "elected leader" "$work/master.log"; do sleep 0.5; done
for i in 0 1; do
  daemon "worker$i" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --webui-port 0 \
    --cores 1 --memory 5g --work-dir "$work/w$i" "spark://127.0.0.1:$port"
done
until [ "$(grep -l "Successfully registered" "$work"/worker*.log 2>/dev/null | wc -l)" = 2 ]; do sleep 0.5; done
# executors: the same jars and module flags as the driver (SparkConf reads -Dspark.* properties)
java -Xmx6g "${flags[@]}" -Dlog4j2.configurationFile="$root/conf/log4j2.properties" \
  -Dspark.executor.extraClassPath="$app" -Dspark.executor.extraJavaOptions="${flags[*]}" \
  -Dspark.executor.memory=4g -Dspark.driver.host=127.0.0.1 \
  -cp "$app:$sparkcp" org.parameternet.benchmark.RoundCostProbe \
  "spark://127.0.0.1:$port" "$sizes" "$parts" "$repeats"
