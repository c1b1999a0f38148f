#include "report/report_writer.h"

#include <fmt/format.h>
#include <stdlib.h>  // mkdtemp

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <system_error>

namespace switchyard::report {
namespace {

namespace fs = std::filesystem;

Status WriteFile(const fs::path& path, const std::string& content) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  if (!f) return Internal(fmt::format("cannot create {}", path.string()));
  f.write(content.data(), static_cast<std::streamsize>(content.size()));
  f.close();
  if (!f) return Internal(fmt::format("cannot write {}", path.string()));
  return Status::Ok();
}

// Removes a temporary directory when it goes out of scope, unless released.
class TempDirGuard {
 public:
  explicit TempDirGuard(fs::path p) : path_(std::move(p)) {}
  ~TempDirGuard() {
    if (!path_.empty()) {
      std::error_code ec;
      fs::remove_all(path_, ec);
    }
  }
  TempDirGuard(const TempDirGuard&) = delete;
  TempDirGuard& operator=(const TempDirGuard&) = delete;
  void Release() { path_.clear(); }

 private:
  fs::path path_;
};

}  // namespace

Status WriteReport(const RenderedReport& report, const std::string& dir) {
  if (dir.empty()) return InvalidArgument("no output directory given");
  std::error_code ec;
  fs::path out = fs::absolute(fs::path(dir), ec).lexically_normal();
  if (ec) return InvalidArgument(fmt::format("{}: {}", dir, ec.message()));
  if (!out.has_filename()) out = out.parent_path();  // "dir/" -> "dir"
  fs::path parent = out.parent_path();

  bool exists = fs::exists(out, ec);
  if (exists && !fs::is_directory(out, ec)) {
    return InvalidArgument(fmt::format("{} exists and is not a directory", dir));
  }
  fs::create_directories(parent, ec);
  if (ec) return Internal(fmt::format("cannot create {}: {}", parent.string(), ec.message()));

  std::string pattern = (parent / ("." + out.filename().string() + ".tmp-XXXXXX")).string();
  if (mkdtemp(pattern.data()) == nullptr) {
    return Internal(fmt::format("cannot create a temporary directory beside {}: {}", dir,
                                std::error_code(errno, std::generic_category()).message()));
  }
  fs::path tmp = pattern;
  TempDirGuard guard(tmp);
  fs::permissions(tmp,
                  fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                      fs::perms::others_read | fs::perms::others_exec,
                  ec);

  // Everything is written into tmp first.
  fs::create_directory(tmp / "charts", ec);
  if (ec) return Internal(fmt::format("cannot create {}: {}", (tmp / "charts").string(), ec.message()));
  if (Status s = WriteFile(tmp / "index.html", report.index_html); !s.ok()) return s;
  if (Status s = WriteFile(tmp / "summary.md", report.summary_md); !s.ok()) return s;
  for (const auto& c : report.charts) {
    if (Status s = WriteFile(tmp / "charts" / c.file_name, c.svg); !s.ok()) return s;
  }

  if (!exists) {
    fs::rename(tmp, out, ec);
    if (ec) return Internal(fmt::format("cannot move the report to {}: {}", dir, ec.message()));
    guard.Release();
    return Status::Ok();
  }

  // An existing directory: swap charts/ (the old one ends up in tmp and is
  // removed with it), then replace the two files.
  fs::path old_charts = tmp / "charts.old";
  bool had_charts = fs::exists(out / "charts", ec);
  if (had_charts) {
    fs::rename(out / "charts", old_charts, ec);
    if (ec) return Internal(fmt::format("cannot replace {}/charts: {}", dir, ec.message()));
  }
  fs::rename(tmp / "charts", out / "charts", ec);
  if (ec) {
    std::error_code ignored;
    if (had_charts) fs::rename(old_charts, out / "charts", ignored);
    return Internal(fmt::format("cannot move charts into {}: {}", dir, ec.message()));
  }
  for (const char* name : {"index.html", "summary.md"}) {
    fs::rename(tmp / name, out / name, ec);
    if (ec) return Internal(fmt::format("cannot move {} into {}: {}", name, dir, ec.message()));
  }
  return Status::Ok();
}

}  // namespace switchyard::report
