#include "admin/process_metrics.h"

#include <sys/resource.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace gatehouse::admin {

namespace {

double cpuSeconds() {
  rusage usage{};
  if (getrusage(RUSAGE_SELF, &usage) != 0) return 0;
  auto seconds = [](const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double residentBytes() {
  std::ifstream statm("/proc/self/statm");
  uint64_t size = 0;
  uint64_t resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

double openFds() {
  std::error_code ec;
  double count = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec)) ++count;
  return count;
}

}  // namespace

void renderProcessMetrics(metrics::Exposition& out) {
  out.family("process_cpu_seconds_total", metrics::Type::Counter, "Total user and system CPU time spent in seconds.");
  out.counter({}, cpuSeconds());
  out.family("process_resident_memory_bytes", metrics::Type::Gauge, "Resident memory size in bytes.");
  out.gauge({}, residentBytes());
  out.family("process_open_fds", metrics::Type::Gauge, "Number of open file descriptors.");
  out.gauge({}, openFds());
}

}  // namespace gatehouse::admin
