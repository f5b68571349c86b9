#!/usr/bin/env bash
# Every container of the image starts here: it writes the cluster's Spark settings, the
# authentication secret among them, into a spark-defaults.conf only this user can read, then runs
# the container's command. Spark's daemons and spark-submit read that file, so the secret is never
# on a command line (visible in ps) nor in the environment.
set -euo pipefail
secret_file=/run/secrets/spark_auth_secret
if [ ! -s "${secret_file}" ]; then
  echo "spark-entrypoint: ${secret_file} is missing or empty (compose: secrets.spark_auth_secret)" >&2
  exit 2
fi
conf_dir="${SPARK_CONF_DIR:?set SPARK_CONF_DIR}"
mkdir -p "${conf_dir}"
umask 077
{
  echo "spark.authenticate true"
  echo "spark.authenticate.secret $(tr -d '\n' < "${secret_file}")"
  # AES-based encryption of Spark's RPC and block transfers (needs authentication)
  echo "spark.network.crypto.enabled true"
  # shuffle and spill files encrypted on the executors' disks too
  echo "spark.io.encryption.enabled true"
} > "${conf_dir}/spark-defaults.conf"
chmod 600 "${conf_dir}/spark-defaults.conf"
exec "$@"
