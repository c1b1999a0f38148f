#include "metrics/process_tree.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace switchyard {

namespace {

// The errno values with which /proc says "that process is gone": ENOENT when
// the directory is gone, ESRCH when it exited while its files were open (and
// for smaps_rollup of a zombie, which has no memory left).
bool Vanished(int err) { return err == ENOENT || err == ESRCH; }

Status FileError(const std::string& path, int err) {
  std::string what = path + ": " + std::strerror(err);
  if (Vanished(err)) return NotFound(what);
  return Internal(what);
}

// Reads a whole /proc file with plain syscalls: these files are small, are
// produced in one go by the kernel, and iostreams would cost more than the
// read itself. Returns 0 or the errno.
int ReadProcFile(const std::string& path, std::string& out) {
  out.clear();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  char buf[4096];
  int err = 0;
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) err = errno;
    break;
  }
  ::close(fd);
  return err;
}

bool IsPidName(const char* name) {
  if (*name == '\0') return false;
  for (const char* c = name; *c != '\0'; ++c) {
    if (*c < '0' || *c > '9') return false;
  }
  return true;
}

template <typename T>
bool ParseNumber(std::string_view s, T& value) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  return ec == std::errc() && end == s.data() + s.size();
}

// The fields of /proc/PID/stat that we use. Field numbers as in proc(5).
struct StatFields {
  char state = '?';
  pid_t ppid = 0;          // 4
  uint64_t minflt = 0;     // 10
  uint64_t majflt = 0;     // 12
  uint64_t utime = 0;      // 14, clock ticks
  uint64_t stime = 0;      // 15, clock ticks
  int num_threads = 0;     // 20
};

// The command name (field 2) is in parentheses and may itself contain spaces
// and parentheses, so the fixed fields are counted from the last ')'.
bool ParseStat(std::string_view text, StatFields& f) {
  size_t close = text.rfind(')');
  if (close == std::string_view::npos) return false;
  std::string_view rest = text.substr(close + 1);
  // rest holds fields 3.. separated by single spaces; token i is field i + 3.
  int field = 3;
  size_t pos = 0;
  bool ok = true;
  while (pos < rest.size() && field <= 20) {
    while (pos < rest.size() && rest[pos] == ' ') ++pos;
    size_t end = rest.find_first_of(" \n", pos);
    if (end == std::string_view::npos) end = rest.size();
    std::string_view token = rest.substr(pos, end - pos);
    switch (field) {
      case 3: f.state = token.empty() ? '?' : token[0]; break;
      case 4: ok = ok && ParseNumber(token, f.ppid); break;
      case 10: ok = ok && ParseNumber(token, f.minflt); break;
      case 12: ok = ok && ParseNumber(token, f.majflt); break;
      case 14: ok = ok && ParseNumber(token, f.utime); break;
      case 15: ok = ok && ParseNumber(token, f.stime); break;
      case 20: ok = ok && ParseNumber(token, f.num_threads); break;
      default: break;
    }
    ++field;
    pos = end;
  }
  return ok && field > 20;
}

// Finds "Key:<spaces>NUMBER" at the start of a line; false if absent.
bool FindKeyedNumber(std::string_view text, std::string_view key, uint64_t& value) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    if (line.size() > key.size() && line.substr(0, key.size()) == key && line[key.size()] == ':') {
      std::string_view v = line.substr(key.size() + 1);
      size_t b = v.find_first_not_of(" \t");
      if (b == std::string_view::npos) return false;
      v = v.substr(b);
      size_t e = v.find_first_not_of("0123456789");
      return ParseNumber(v.substr(0, e), value);
    }
    pos = eol + 1;
  }
  return false;
}

Result<StatFields> ReadStat(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/stat";
  std::string text;
  int err = ReadProcFile(path, text);
  if (err != 0) return FileError(path, err);
  StatFields f;
  if (!ParseStat(text, f)) return Internal(path + ": cannot parse '" + text + "'");
  return f;
}

// Sums the per-thread counts of /proc/PID/task/*/status: the process-level
// status file reports the main thread alone.
Status ReadThreadSwitches(pid_t pid, uint64_t& voluntary, uint64_t& involuntary) {
  std::string dir_path = "/proc/" + std::to_string(pid) + "/task";
  DIR* dir = ::opendir(dir_path.c_str());
  if (dir == nullptr) return FileError(dir_path, errno);
  voluntary = 0;
  involuntary = 0;
  int read_threads = 0;
  std::string text;
  Status status;
  while (dirent* entry = ::readdir(dir)) {
    if (!IsPidName(entry->d_name)) continue;
    std::string path = dir_path + "/" + entry->d_name + "/status";
    int err = ReadProcFile(path, text);
    if (Vanished(err)) continue;  // the thread exited meanwhile
    if (err != 0) {
      status = FileError(path, err);
      break;
    }
    uint64_t v = 0, n = 0;
    if (!FindKeyedNumber(text, "voluntary_ctxt_switches", v) ||
        !FindKeyedNumber(text, "nonvoluntary_ctxt_switches", n)) {
      status = Internal(path + ": no voluntary/nonvoluntary_ctxt_switches lines");
      break;
    }
    voluntary += v;
    involuntary += n;
    ++read_threads;
  }
  ::closedir(dir);
  if (status.ok() && read_threads == 0) return NotFound(dir_path + ": no threads left (process exited)");
  return status;
}

double TicksToSeconds(uint64_t ticks) {
  static const long kTicksPerSecond = ::sysconf(_SC_CLK_TCK);
  return static_cast<double>(ticks) / static_cast<double>(kTicksPerSecond > 0 ? kTicksPerSecond : 100);
}

// Every live process on the system as (pid, ppid). Processes that exit while
// /proc is scanned are left out.
std::vector<std::pair<pid_t, pid_t>> ScanParents() {
  std::vector<std::pair<pid_t, pid_t>> out;
  DIR* dir = ::opendir("/proc");
  if (dir == nullptr) return out;
  std::string text;
  std::string path;
  while (dirent* entry = ::readdir(dir)) {
    if (!IsPidName(entry->d_name)) continue;
    path.assign("/proc/").append(entry->d_name).append("/stat");
    if (ReadProcFile(path, text) != 0) continue;
    StatFields f;
    pid_t pid = 0;
    if (!ParseStat(text, f) || !ParseNumber(std::string_view(entry->d_name), pid)) continue;
    out.emplace_back(pid, f.ppid);
  }
  ::closedir(dir);
  return out;
}

// `root` (with its ppid) and its descendants with theirs, root first.
Result<std::vector<std::pair<pid_t, pid_t>>> ListTreeWithParents(pid_t root) {
  std::vector<std::pair<pid_t, pid_t>> all = ScanParents();
  std::unordered_multimap<pid_t, pid_t> children;  // ppid -> pid
  children.reserve(all.size());
  pid_t root_ppid = -1;
  for (const auto& [pid, ppid] : all) {
    children.emplace(ppid, pid);
    if (pid == root) root_ppid = ppid;
  }
  if (root_ppid < 0) return NotFound("process " + std::to_string(root) + " does not exist");
  std::vector<std::pair<pid_t, pid_t>> tree = {{root, root_ppid}};
  // Breadth first; a pid is a child of exactly one parent in one scan, so
  // this cannot loop (pid 0's "children" are never walked: root > 0).
  for (size_t i = 0; i < tree.size(); ++i) {
    pid_t parent = tree[i].first;
    auto [begin, end] = children.equal_range(parent);
    for (auto it = begin; it != end; ++it) {
      if (it->second != parent) tree.emplace_back(it->second, parent);
    }
  }
  return tree;
}

}  // namespace

void ProcessTreeFigures::Add(const ProcessFigures& p) {
  processes += 1;
  cpu_user_s += p.cpu_user_s;
  cpu_system_s += p.cpu_system_s;
  voluntary_ctxt_switches += p.voluntary_ctxt_switches;
  involuntary_ctxt_switches += p.involuntary_ctxt_switches;
  minor_faults += p.minor_faults;
  major_faults += p.major_faults;
  rss_bytes += p.rss_bytes;
  pss_bytes += p.pss_bytes;
}

Result<ProcessFigures> ReadProcess(pid_t pid) {
  if (pid <= 0) return InvalidArgument("pid must be positive, got " + std::to_string(pid));
  auto stat = ReadStat(pid);
  if (!stat.ok()) return stat.status();
  if (stat->state == 'Z' || stat->state == 'X') {
    return NotFound("process " + std::to_string(pid) + " has exited (zombie)");
  }
  ProcessFigures p;
  p.pid = pid;
  p.ppid = stat->ppid;
  p.threads = stat->num_threads;
  p.cpu_user_s = TicksToSeconds(stat->utime);
  p.cpu_system_s = TicksToSeconds(stat->stime);
  p.minor_faults = stat->minflt;
  p.major_faults = stat->majflt;

  if (pid == ::getpid()) {
    // Our own process: getrusage also counts threads that have exited, which
    // /proc/self/task no longer lists.
    rusage ru{};
    if (::getrusage(RUSAGE_SELF, &ru) != 0) return Internal(std::string("getrusage: ") + std::strerror(errno));
    p.voluntary_ctxt_switches = static_cast<uint64_t>(ru.ru_nvcsw);
    p.involuntary_ctxt_switches = static_cast<uint64_t>(ru.ru_nivcsw);
  } else {
    Status s = ReadThreadSwitches(pid, p.voluntary_ctxt_switches, p.involuntary_ctxt_switches);
    if (!s.ok()) return s;
  }

  std::string path = "/proc/" + std::to_string(pid) + "/smaps_rollup";
  std::string text;
  int err = ReadProcFile(path, text);
  if (err != 0) return FileError(path, err);
  uint64_t rss_kb = 0, pss_kb = 0;
  // Empty for a process without an address space (it is exiting right now).
  if (!text.empty() && (!FindKeyedNumber(text, "Rss", rss_kb) || !FindKeyedNumber(text, "Pss", pss_kb))) {
    return Internal(path + ": no Rss/Pss lines");
  }
  p.rss_bytes = rss_kb * 1024;
  p.pss_bytes = pss_kb * 1024;
  return p;
}

Result<std::vector<pid_t>> ListProcessTree(pid_t root) {
  auto tree = ListTreeWithParents(root);
  if (!tree.ok()) return tree.status();
  std::vector<pid_t> pids;
  pids.reserve(tree->size());
  for (const auto& entry : *tree) pids.push_back(entry.first);
  return pids;
}

Result<ProcessTreeFigures> ReadProcessTree(pid_t root, const AfterListingHook& after_listing) {
  if (root <= 0) return InvalidArgument("pid must be positive, got " + std::to_string(root));
  auto tree = ListTreeWithParents(root);
  if (!tree.ok()) return tree.status();
  if (after_listing) {
    std::vector<pid_t> pids;
    for (const auto& entry : *tree) pids.push_back(entry.first);
    after_listing(pids);
  }
  ProcessTreeFigures sum;
  for (size_t i = 0; i < tree->size(); ++i) {
    const auto [pid, listed_ppid] = (*tree)[i];
    auto p = ReadProcess(pid);
    if (!p.ok()) {
      if (i == 0 || p.status().code() != StatusCode::kNotFound) return p.status();
      continue;  // exited since the scan
    }
    // Reparented (its parent exited) or the pid was reused: no longer ours.
    if (i != 0 && p->ppid != listed_ppid) continue;
    sum.Add(*p);
  }
  return sum;
}

}  // namespace switchyard
