// A results file: JSON Lines, one RunRecord (results/run_record.h) per line,
// appended by `switchyard study` a whole line at a time (core/file_util.h
// AppendLine) and read back by `switchyard report`.
//
// Thread-safety: pure functions (ReadRecords reads only the stream it is given).
#pragma once

#include <istream>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "results/run_record.h"

namespace switchyard::results {

// A record and where it was read.
struct NumberedRecord {
  int line = 0;  // 1-based line number in the file
  RunRecord record;
};

// Parses JSON Lines; `source` names the input in messages
// ("results.jsonl:7: field `cell` ..."). Blank lines are skipped. Fails on the
// first malformed line, and when there is no record at all. One exception: a
// final line without its '\n' that is not valid JSON is what an interrupted
// writer leaves; it is skipped with a warning appended to `warnings`.
Result<std::vector<NumberedRecord>> ReadRecords(std::istream& in, std::string_view source,
                                                std::vector<std::string>* warnings = nullptr);

// `record` as one line of a results file, '\n' included.
std::string RecordLine(const RunRecord& record);

}  // namespace switchyard::results
