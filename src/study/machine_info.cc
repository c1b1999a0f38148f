#include "study/machine_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <cmath>
#include <fstream>
#include <string>
#include <thread>

namespace switchyard {

nlohmann::json DescribeMachine() {
  nlohmann::json m;
  m["cores"] = std::thread::hardware_concurrency();
  std::string cpu;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      cpu = line.substr(line.find(':') + 2);
      break;
    }
  }
  m["cpu"] = cpu.empty() ? "unknown" : cpu;
  utsname u{};
  if (::uname(&u) == 0) {
    m["kernel"] = u.release;
    m["hostname"] = u.nodename;
  }
  std::ifstream meminfo("/proc/meminfo");
  for (std::string line; std::getline(meminfo, line);) {
    if (line.rfind("MemTotal:", 0) == 0) {
      double kib = std::stod(line.substr(9));
      m["memory_gib"] = std::round(kib / (1024.0 * 1024.0) * 10) / 10;
      break;
    }
  }
  return m;
}

}  // namespace switchyard
