#!/usr/bin/env bash
# spark-submit of the pnet jar to the compose cluster: pnet-submit <pnet subcommand> [options]
# Needs SPARK_MASTER_URL in the environment; authentication, its secret and encryption come from
# the spark-defaults.conf the image's entrypoint writes (never on this command line).
set -euo pipefail
: "${SPARK_MASTER_URL:?set SPARK_MASTER_URL, e.g. spark://spark-master:7077}"
# Spark 3.5 adds the JDK 17 module flags itself; every JVM also needs ND4J's reflection flag, and
# the Vector API module for pnet's SIMD kernels where the image's Java runtime has it (a runtime
# without it refuses to start with the flag; the kernels then fall back to libnd4j's ops). The
# driver and executors run this same image.
JAVA_OPTS="-Djdk.reflect.useDirectMethodHandle=false"
if java --list-modules 2>/dev/null | grep -q '^jdk\.incubator\.vector@'; then
  JAVA_OPTS="${JAVA_OPTS} --add-modules=jdk.incubator.vector"
fi
exec /opt/spark/bin/spark-submit \
  --master "${SPARK_MASTER_URL}" \
  --conf spark.executor.cores=1 \
  --conf spark.executor.memory=3g \
  --conf spark.driver.memory=4g \
  --conf "spark.driver.extraJavaOptions=${JAVA_OPTS}" \
  --conf "spark.executor.extraJavaOptions=${JAVA_OPTS}" \
  --conf spark.executorEnv.OMP_NUM_THREADS=1 \
  --class org.parameternet.jobs.Pnet \
  "${PNET_HOME:-/opt/parameternet}/parameternet-jobs-spark.jar" "$@"
