// The io workload of seed 003: point selects on an SQLite key-value table.
//
// Schema: kv(key INTEGER PRIMARY KEY, val TEXT). Row k holds the first 100
// characters of h+h, where h is the lowercase hex SHA-256 of k's decimal form.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace switchyard {

// The value gen-db stores for `key`.
std::string KvValueForKey(int64_t key);

// Writes a fresh database of `rows` rows to `out_path`, atomically: it is built
// beside the target and renamed over it, so a reader never sees half a file.
// `progress` (may be empty) is called now and then with rows written so far.
Status GenerateKvDatabase(const std::string& out_path, int64_t rows,
                          const std::function<void(int64_t)>& progress = {});

// One read-only connection with its prepared statement.
//
// Not thread-safe: one per worker (thread, loop or process). Open it in the
// process that uses it: an SQLite connection must not cross fork().
class KvReader {
 public:
  static Result<std::unique_ptr<KvReader>> Open(const std::string& path);
  ~KvReader();
  KvReader(const KvReader&) = delete;
  KvReader& operator=(const KvReader&) = delete;

  // The value for `key`, or NotFound.
  Result<std::string> Get(int64_t key);
  int64_t row_count();

 private:
  KvReader(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Checks that `path` is an SQLite file with the kv table; for the CLI.
Status ValidateKvDatabase(const std::string& path);

}  // namespace switchyard
