# The native allocator every pnet JVM on this machine runs with, declared once: sourced by bin/pnet
# and the benchmark tools (tools/native-bench.sh, tools/bench/round-cost.sh). The Docker image
# and docs/running.md's spark-submit lines set the same two variables for executors.
#
# jemalloc with page decay off: glibc's malloc maps and unmaps the large native buffers of every
# training step (GhostNet-300M steps were 15-24% faster with jemalloc). thp:always: jemalloc asks
# for transparent huge pages, which kernels in THP "madvise" mode (this machine's) give only when
# asked; a training step streams through gigabytes of native buffers, and with 4 KB pages its
# memory-bound ops (copies, reorders, norms) paid for the page walks. Measurements: docs/running.md
# "Allocator".
#
# PNET_JEMALLOC=0 keeps glibc's malloc; a MALLOC_CONF already set is kept; without the library
# (bin/install-native-libraries.sh installs it) nothing changes.
pnet_jemalloc=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
pnet_malloc_conf="dirty_decay_ms:-1,muzzy_decay_ms:-1,thp:always,metadata_thp:always"
if [ "${PNET_JEMALLOC:-1}" != 0 ] && [ -f "$pnet_jemalloc" ] \
  && [[ "${LD_PRELOAD:-}" != *jemalloc* ]]; then
  export LD_PRELOAD="$pnet_jemalloc${LD_PRELOAD:+:$LD_PRELOAD}"
  export MALLOC_CONF="${MALLOC_CONF:-$pnet_malloc_conf}"
fi
