#include "workload/kv_store.h"

#include <sqlite3.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <mutex>

#include "workload/sha256_chain.h"

namespace switchyard {
namespace {

// The library's memory statistics take a global lock on every allocation;
// with it off two threads' point selects scale (DESIGN.md, machine facts).
// Must run before any other SQLite call.
void ConfigureSqliteOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    sqlite3_initialize();
  });
}

// Percent-encodes the characters a file: URI gives meaning to.
std::string UriEscapePath(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", static_cast<unsigned char>(c));
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string SqliteError(sqlite3* db, const std::string& what) {
  return what + ": " + (db != nullptr ? sqlite3_errmsg(db) : "out of memory");
}

}  // namespace

std::string KvValueForKey(int64_t key) {
  std::string decimal = std::to_string(key);
  Sha256Chain sha;
  std::string h = sha.ComputeHex(decimal, 0);
  return (h + h).substr(0, 100);
}

Status GenerateKvDatabase(const std::string& out_path, int64_t rows,
                          const std::function<void(int64_t)>& progress) {
  if (rows < 1) return InvalidArgument("--rows must be at least 1, got " + std::to_string(rows));
  ConfigureSqliteOnce();
  std::filesystem::path target(out_path);
  std::error_code ec;
  if (std::filesystem::is_directory(target, ec)) {
    return InvalidArgument("--out " + out_path + " is a directory");
  }
  std::filesystem::path tmp = target;
  tmp += ".tmp-" + std::to_string(::getpid());
  std::filesystem::remove(tmp, ec);

  sqlite3* db = nullptr;
  if (sqlite3_open_v2(tmp.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr) !=
      SQLITE_OK) {
    Status s = InvalidArgument(SqliteError(db, "cannot create " + tmp.string()));
    sqlite3_close(db);
    return s;
  }
  auto fail = [&](const std::string& what) {
    Status s = Internal(SqliteError(db, what));
    sqlite3_close(db);
    std::filesystem::remove(tmp, ec);
    return s;
  };
  const char* setup =
      "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; "
      "CREATE TABLE kv(key INTEGER PRIMARY KEY, val TEXT NOT NULL); BEGIN;";
  if (sqlite3_exec(db, setup, nullptr, nullptr, nullptr) != SQLITE_OK) return fail("schema");
  sqlite3_stmt* insert = nullptr;
  if (sqlite3_prepare_v2(db, "INSERT INTO kv(key, val) VALUES(?, ?)", -1, &insert, nullptr) !=
      SQLITE_OK) {
    return fail("prepare insert");
  }
  Sha256Chain sha;
  for (int64_t k = 0; k < rows; ++k) {
    std::string h = sha.ComputeHex(std::to_string(k), 0);
    std::string val = (h + h).substr(0, 100);
    sqlite3_bind_int64(insert, 1, k);
    sqlite3_bind_text(insert, 2, val.data(), static_cast<int>(val.size()), SQLITE_TRANSIENT);
    if (sqlite3_step(insert) != SQLITE_DONE) {
      sqlite3_finalize(insert);
      return fail("insert");
    }
    sqlite3_reset(insert);
    if (progress && (k + 1) % 100000 == 0) progress(k + 1);
  }
  sqlite3_finalize(insert);
  if (sqlite3_exec(db, "COMMIT;", nullptr, nullptr, nullptr) != SQLITE_OK) return fail("commit");
  if (sqlite3_close(db) != SQLITE_OK) return Internal("cannot close " + tmp.string());
  std::filesystem::rename(tmp, target, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    return InvalidArgument("cannot write " + out_path + ": " + ec.message());
  }
  if (progress) progress(rows);
  return Status::Ok();
}

Result<std::unique_ptr<KvReader>> KvReader::Open(const std::string& path) {
  ConfigureSqliteOnce();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec)) {
    return NotFound("database file " + path + " does not exist");
  }
  // immutable=1: the file does not change while we serve (gen-db replaces it
  // by rename, which leaves an open file alone), so SQLite may skip the file
  // locks it would otherwise take on every statement.
  std::string uri = "file:" + UriEscapePath(path) + "?mode=ro&immutable=1";
  sqlite3* db = nullptr;
  int flags = SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2(uri.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    Status s = InvalidArgument(SqliteError(db, "cannot open " + path));
    sqlite3_close(db);
    return s;
  }
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v3(db, "SELECT val FROM kv WHERE key=?", -1, SQLITE_PREPARE_PERSISTENT,
                         &stmt, nullptr) != SQLITE_OK) {
    Status s = InvalidArgument(SqliteError(db, path + " is not a switchyard kv database"));
    sqlite3_close(db);
    return s;
  }
  return std::unique_ptr<KvReader>(new KvReader(db, stmt));
}

KvReader::~KvReader() {
  sqlite3_finalize(stmt_);
  sqlite3_close(db_);
}

Result<std::string> KvReader::Get(int64_t key) {
  sqlite3_bind_int64(stmt_, 1, key);
  int rc = sqlite3_step(stmt_);
  Result<std::string> out = NotFound("key " + std::to_string(key) + " not found");
  if (rc == SQLITE_ROW) {
    const unsigned char* text = sqlite3_column_text(stmt_, 0);
    int n = sqlite3_column_bytes(stmt_, 0);
    out = std::string(reinterpret_cast<const char*>(text), static_cast<size_t>(n));
  } else if (rc != SQLITE_DONE) {
    out = Internal(SqliteError(db_, "select"));
  }
  sqlite3_reset(stmt_);
  return out;
}

int64_t KvReader::row_count() {
  sqlite3_stmt* count = nullptr;
  int64_t n = -1;
  if (sqlite3_prepare_v2(db_, "SELECT count(*) FROM kv", -1, &count, nullptr) == SQLITE_OK &&
      sqlite3_step(count) == SQLITE_ROW) {
    n = sqlite3_column_int64(count, 0);
  }
  sqlite3_finalize(count);
  return n;
}

Status ValidateKvDatabase(const std::string& path) {
  auto reader = KvReader::Open(path);
  if (!reader.ok()) return reader.status();
  return Status::Ok();
}

}  // namespace switchyard
