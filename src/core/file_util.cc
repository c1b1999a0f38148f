#include "core/file_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

namespace switchyard {
namespace {

Status Errno(const std::string& what, const std::string& path) {
  return Internal(what + " '" + path + "': " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

}  // namespace

Status WriteFileAtomically(const std::string& path, std::string_view content) {
  std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", tmp);
  Status s = WriteAll(fd, content, tmp);
  if (s.ok() && ::fsync(fd) < 0) s = Errno("cannot flush", tmp);
  ::close(fd);
  if (s.ok() && ::rename(tmp.c_str(), path.c_str()) < 0) s = Errno("cannot rename to", path);
  if (!s.ok()) ::unlink(tmp.c_str());
  return s;
}

Status AppendLine(const std::string& path, std::string_view line) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot open", path);
  // One write(2): appends from other processes cannot interleave with it.
  ssize_t n;
  do {
    n = ::write(fd, line.data(), line.size());
  } while (n < 0 && errno == EINTR);
  Status s;
  if (n < 0) {
    s = Errno("cannot append to", path);
  } else if (static_cast<size_t>(n) != line.size()) {
    s = Internal("short append to '" + path + "' (disk full?)");
  } else if (::fsync(fd) < 0) {
    s = Errno("cannot flush", path);
  }
  ::close(fd);
  return s;
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot read '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Internal("error reading '" + path + "'");
  return text.str();
}

}  // namespace switchyard
